using System.Security.Cryptography;
using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// The transaction Merkle tree against a straightforward recursive RFC 6962 implementation written here, for every
/// size from 0 to 70 leaves, and its inclusion proofs against the RFC's audit paths.
/// </summary>
public sealed class MerkleTreeTests
{
    private const int MaxLeaves = 70;
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;

    // Proves leaf and node hashing use RFC 6962's domain separation: H(0x00 ‖ data) and H(0x01 ‖ left ‖ right).
    [Fact]
    public void HashLeafAndHashNode_UseDistinctPrefixes()
    {
        var data = "leaf"u8.ToArray();
        Assert.Equal(TestHex.Of(SHA256.HashData([0x00, .. data])), MerkleTree.HashLeaf(Suite, data).ToString());
        var left = TestHex.Filled(0x01);
        var right = TestHex.Filled(0x02);
        Assert.Equal(TestHex.Of(SHA256.HashData([0x01, .. left.ToArray(), .. right.ToArray()])), MerkleTree.HashNode(Suite, left, right).ToString());
        Assert.NotEqual(MerkleTree.HashNode(Suite, left, right), MerkleTree.HashLeaf(Suite, [.. left.ToArray(), .. right.ToArray()]));
    }

    // Proves ComputeRoot equals the recursive RFC 6962 definition for every size 0..70.
    [Fact]
    public void ComputeRoot_Sizes0To70_MatchesRecursiveRfc6962()
    {
        for (var size = 0; size <= MaxLeaves; size++)
        {
            var leaves = Leaves(size);
            var expected = TestHex.Of(Rfc6962Root([.. leaves.Select(l => l.ToArray())]));
            Assert.True(expected == MerkleTree.ComputeRoot(Suite, leaves).ToString(), $"size {size}");
        }
    }

    // Proves CreateProof gives exactly RFC 6962's audit path for every index of every size 1..70, and that each proof
    // verifies against the root.
    [Fact]
    public void CreateProof_EveryIndexOfSizes1To70_IsTheRfc6962PathAndVerifies()
    {
        for (var size = 1; size <= MaxLeaves; size++)
        {
            var leaves = Leaves(size);
            var root = MerkleTree.ComputeRoot(Suite, leaves);
            var raw = leaves.Select(l => l.ToArray()).ToList();
            for (var index = 0; index < size; index++)
            {
                var proof = MerkleTree.CreateProof(Suite, leaves, index);
                Assert.Equal(index, proof.Index);
                Assert.Equal(size, proof.LeafCount);
                var expectedPath = Rfc6962Path(index, raw).Select(h => TestHex.Of(h));
                Assert.True(expectedPath.SequenceEqual(proof.Path.Select(h => h.ToString())), $"size {size}, index {index}: path differs from RFC 6962");
                Assert.True(MerkleTree.VerifyProof(Suite, root, leaves[index], proof), $"size {size}, index {index}: proof does not verify");
            }
        }
    }

    // Proves a proof fails for any other leaf, any other index, a wrong root, and a path with an element removed,
    // added or altered — checked for every index of every size 1..70.
    [Fact]
    public void VerifyProof_AnythingAltered_ReturnsFalse()
    {
        var stranger = MerkleTree.HashLeaf(Suite, "not in the tree"u8);
        for (var size = 1; size <= MaxLeaves; size++)
        {
            var leaves = Leaves(size);
            var root = MerkleTree.ComputeRoot(Suite, leaves);
            for (var index = 0; index < size; index++)
            {
                var proof = MerkleTree.CreateProof(Suite, leaves, index);
                var context = $"size {size}, index {index}";
                Assert.False(MerkleTree.VerifyProof(Suite, root, stranger, proof), $"{context}: wrong leaf");
                Assert.False(MerkleTree.VerifyProof(Suite, stranger, leaves[index], proof), $"{context}: wrong root");
                for (var other = 0; other < size; other++)
                {
                    if (other != index)
                    {
                        Assert.False(MerkleTree.VerifyProof(Suite, root, leaves[index], proof with { Index = other }), $"{context}: claimed index {other}");
                        Assert.False(MerkleTree.VerifyProof(Suite, root, leaves[other], proof), $"{context}: leaf {other}");
                    }
                }

                Assert.False(MerkleTree.VerifyProof(Suite, root, leaves[index], proof with { Path = [.. proof.Path, stranger] }), $"{context}: extended path");
                if (proof.Path.Count > 0)
                {
                    Assert.False(MerkleTree.VerifyProof(Suite, root, leaves[index], proof with { Path = proof.Path.Skip(1).ToList() }), $"{context}: path without its first element");
                    Assert.False(MerkleTree.VerifyProof(Suite, root, leaves[index], proof with { Path = proof.Path.SkipLast(1).ToList() }), $"{context}: truncated path");
                    for (var p = 0; p < proof.Path.Count; p++)
                    {
                        var altered = proof.Path.ToArray();
                        altered[p] = stranger;
                        Assert.False(MerkleTree.VerifyProof(Suite, root, leaves[index], proof with { Path = altered }), $"{context}: path element {p} altered");
                    }
                }
            }
        }
    }

    // Proves a wrong leaf count makes a proof fail whenever it changes the proof's shape (which siblings exist and on
    // which side); a count that keeps the shape cannot be told apart by the root alone, which is why verifiers must
    // take the count from an authenticated source (the block header's TransactionCount), as RFC 9162 verifiers do.
    [Fact]
    public void VerifyProof_WrongLeafCount_FailsWheneverTheShapeChanges()
    {
        var rejected = 0;
        for (var size = 1; size <= MaxLeaves; size++)
        {
            var leaves = Leaves(size);
            var root = MerkleTree.ComputeRoot(Suite, leaves);
            for (var index = 0; index < size; index++)
            {
                var proof = MerkleTree.CreateProof(Suite, leaves, index);
                var shape = Shape(index, size);
                foreach (var count in new[] { 0, -1, index, index + 1, size - 1, size + 1, size * 2, int.MaxValue }.Where(c => c != size))
                {
                    var verified = MerkleTree.VerifyProof(Suite, root, leaves[index], proof with { LeafCount = count });
                    var sameShape = count > index && Shape(index, count).SequenceEqual(shape);
                    Assert.True(verified == sameShape, $"size {size}, index {index}, claimed count {count}: verified {verified}, same shape {sameShape}");
                    rejected += verified ? 0 : 1;
                }
            }
        }

        Assert.True(rejected > 1_000, $"only {rejected} wrong counts were rejected");
    }

    // Proves out-of-range arguments are refused: CreateProof throws, VerifyProof returns false.
    [Fact]
    public void Proofs_OutOfRangeArguments_AreRefused()
    {
        var leaves = Leaves(5);
        var root = MerkleTree.ComputeRoot(Suite, leaves);
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.CreateProof(Suite, leaves, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.CreateProof(Suite, leaves, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.CreateProof(Suite, [], 0));
        Assert.False(MerkleTree.VerifyProof(Suite, root, leaves[0], new MerkleProof(-1, 5, [])));
        Assert.False(MerkleTree.VerifyProof(Suite, root, leaves[0], new MerkleProof(5, 5, [])));
        Assert.False(MerkleTree.VerifyProof(Suite, root, leaves[0], new MerkleProof(0, 5, Enumerable.Repeat(leaves[1], 65).ToList())));
    }

    /// <summary>The recursive Merkle Tree Hash of RFC 6962 §2.1 over already-hashed leaves.</summary>
    internal static byte[] Rfc6962Root(IReadOnlyList<byte[]> leafHashes)
    {
        if (leafHashes.Count == 0)
        {
            return SHA256.HashData([]);
        }

        if (leafHashes.Count == 1)
        {
            return leafHashes[0];
        }

        var k = LargestPowerOfTwoBelow(leafHashes.Count);
        return SHA256.HashData([0x01, .. Rfc6962Root([.. leafHashes.Take(k)]), .. Rfc6962Root([.. leafHashes.Skip(k)])]);
    }

    /// <summary>The audit path PATH(m, D[n]) of RFC 6962 §2.1.1, siblings from the leaf up.</summary>
    private static List<byte[]> Rfc6962Path(int m, List<byte[]> leafHashes)
    {
        if (leafHashes.Count <= 1)
        {
            return [];
        }

        var k = LargestPowerOfTwoBelow(leafHashes.Count);
        if (m < k)
        {
            return [.. Rfc6962Path(m, [.. leafHashes.Take(k)]), Rfc6962Root([.. leafHashes.Skip(k)])];
        }

        return [.. Rfc6962Path(m - k, [.. leafHashes.Skip(k)]), Rfc6962Root([.. leafHashes.Take(k)])];
    }

    /// <summary>Which sides the siblings of leaf <paramref name="m"/> sit on, leaf upward ('L' or 'R' of the sibling).</summary>
    private static string Shape(int m, int n)
    {
        if (n <= 1)
        {
            return string.Empty;
        }

        var k = LargestPowerOfTwoBelow(n);
        return m < k ? Shape(m, k) + "R" : Shape(m - k, n - k) + "L";
    }

    private static int LargestPowerOfTwoBelow(int n)
    {
        var k = 1L;
        while (k * 2 < n)
        {
            k *= 2;
        }

        return (int)k;
    }

    private static List<Hash> Leaves(int count) =>
        [.. Enumerable.Range(0, count).Select(i => MerkleTree.HashLeaf(Suite, System.Text.Encoding.UTF8.GetBytes($"transaction {i}")))];
}
