using System.Buffers.Binary;
using System.Security.Cryptography;
using MedLedger.Crypto;

namespace MedLedger.Ledger.Tests;

/// <summary>Golden values of the hash-based commitments: transaction Merkle roots and the state root.</summary>
public sealed class GoldenHashTests
{
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;

    // The leaf inputs of the RFC 6962 test vectors published with Certificate Transparency.
    private static readonly string[] CertificateTransparencyLeaves =
        ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];

    public static TheoryData<int, string> CertificateTransparencyRoots => new()
    {
        { 1, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d" },
        { 2, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" },
        { 3, "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77" },
        { 4, "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" },
        { 5, "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4" },
        { 6, "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef" },
        { 7, "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c" },
        { 8, "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328" },
    };

    // Proves the Merkle tree is RFC 6962's, by the published Certificate Transparency root vectors for 1..8 leaves.
    [Theory]
    [MemberData(nameof(CertificateTransparencyRoots))]
    public void MerkleRoot_CertificateTransparencyVectors_Match(int leafCount, string expectedRoot)
    {
        var leaves = CertificateTransparencyLeaves.Take(leafCount).Select(hex => MerkleTree.HashLeaf(Suite, TestHex.Bytes(hex))).ToList();
        Assert.Equal(expectedRoot, MerkleTree.ComputeRoot(Suite, leaves).ToString());
    }

    // Proves the empty Merkle tree is SHA-256 of nothing (RFC 6962 §2.1), the transactions root of an empty block.
    [Fact]
    public void MerkleRoot_NoLeaves_IsSha256OfEmptyInput()
    {
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", MerkleTree.ComputeRoot(Suite, []).ToString());
        Assert.Equal(MerkleTree.ComputeRoot(Suite, []), Block.ComputeTransactionsRoot(Suite, []));
    }

    // Proves a block's transactions root is the Merkle root over leaf hashes of the transactions' full encodings,
    // using the golden transaction, and freezes its value.
    [Fact]
    public void TransactionsRoot_GoldenTransaction_IsLeafOfEncoding()
    {
        var transaction = GoldenEncodingTests.GoldenTransaction();
        var root = Block.ComputeTransactionsRoot(Suite, [transaction]);
        Assert.Equal(TestHex.Of(SHA256.HashData([0x00, .. transaction.Encoded.Span])), root.ToString());
        var two = Block.ComputeTransactionsRoot(Suite, [transaction, transaction]);
        Assert.Equal(TestHex.Of(SHA256.HashData([0x01, .. root.ToArray(), .. root.ToArray()])), two.ToString());
    }

    // Proves the root of the empty state: a perfect 16-level tree whose 65,536 leaves are all SHA-256 of nothing,
    // computed here independently, and freezes its value.
    [Fact]
    public void StateRoot_EmptyState_IsGolden()
    {
        var node = SHA256.HashData([]);
        for (var level = 0; level < 16; level++)
        {
            node = SHA256.HashData([0x01, .. node, .. node]);
        }

        var root = new StateTree(Suite).Root;
        Assert.Equal(TestHex.Of(node), root.ToString());
        Assert.Equal("03f0e06610687f70ab58d0e39ae4abb846a5ad17ec789db9d910d27f0ec52ba3", root.ToString());
    }

    // Proves the root of a small fixed state, against an independent implementation of docs/state.md written here
    // (bucket = first two bytes of SHA-256(key); leaf = SHA-256(0x00 ‖ u32 len ‖ key ‖ u32 len ‖ value); bucket root =
    // RFC 6962 root in key order; state root = perfect tree over 65,536 bucket roots), and freezes its value.
    [Fact]
    public void StateRoot_SmallFixedState_IsGolden()
    {
        var entries = new Dictionary<string, string>
        {
            ["acct/alice"] = "01",
            ["anch/0001"] = "0102030405",
            ["chain/genesis"] = TestHex.Repeat("ab", 32),
            ["k"] = string.Empty,
        };
        var state = new StateTree(Suite);
        var writes = new WriteSet();
        foreach (var (key, value) in entries)
        {
            writes.Set(System.Text.Encoding.UTF8.GetBytes(key), TestHex.Bytes(value));
        }

        state.Apply(state.Prepare(writes));
        var independent = IndependentStateRoot(entries.Select(e => (System.Text.Encoding.UTF8.GetBytes(e.Key), TestHex.Bytes(e.Value))));
        Assert.Equal(TestHex.Of(independent), state.Root.ToString());
        Assert.Equal("af2d7b8a4b9b001d4e37f6ef191813396ba8666cbca27686ca5ae6639940d42b", state.Root.ToString());
    }

    /// <summary>docs/state.md implemented from scratch with SHA-256, for cross-checking <see cref="StateTree"/>.</summary>
    internal static byte[] IndependentStateRoot(IEnumerable<(byte[] Key, byte[] Value)> entries)
    {
        var buckets = new List<(byte[] Key, byte[] Leaf)>[65_536];
        foreach (var (key, value) in entries)
        {
            var bucket = BinaryPrimitives.ReadUInt16BigEndian(SHA256.HashData(key));
            var leafData = new byte[4 + key.Length + 4 + value.Length];
            BinaryPrimitives.WriteUInt32BigEndian(leafData, (uint)key.Length);
            key.CopyTo(leafData, 4);
            BinaryPrimitives.WriteUInt32BigEndian(leafData.AsSpan(4 + key.Length), (uint)value.Length);
            value.CopyTo(leafData, 8 + key.Length);
            (buckets[bucket] ??= []).Add((key, SHA256.HashData([0x00, .. leafData])));
        }

        var level = new byte[65_536][];
        for (var b = 0; b < level.Length; b++)
        {
            level[b] = buckets[b] is { } list
                ? MerkleTreeTests.Rfc6962Root(list.OrderBy(e => e.Key, Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y))).Select(e => e.Leaf).ToList())
                : SHA256.HashData([]);
        }

        while (level.Length > 1)
        {
            var next = new byte[level.Length / 2][];
            for (var i = 0; i < next.Length; i++)
            {
                next[i] = SHA256.HashData([0x01, .. level[2 * i], .. level[(2 * i) + 1]]);
            }

            level = next;
        }

        return level[0];
    }
}
