using System.Buffers;
using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Ledger;

/// <summary>
/// Binary Merkle trees in the shape of RFC 6962 §2.1: a leaf is <c>H(0x00 ‖ data)</c>, an inner node
/// <c>H(0x01 ‖ left ‖ right)</c>, a list of n &gt; 1 items splits at the largest power of two below n, and the
/// empty tree is <c>H()</c>. The distinct prefixes stop a leaf from being passed off as an inner node.
/// </summary>
public static class MerkleTree
{
    /// <summary>The hash of a leaf holding <paramref name="data"/>.</summary>
    public static Hash HashLeaf(ICryptoSuite suite, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(suite);

        // One contiguous buffer and one hash call: creating an incremental hasher per leaf costs more than the
        // hashing itself for transaction-sized leaves.
        var buffer = ArrayPool<byte>.Shared.Rent(data.Length + 1);
        try
        {
            buffer[0] = 0x00;
            data.CopyTo(buffer.AsSpan(1));
            return suite.Hash(buffer.AsSpan(0, data.Length + 1));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The hash of an inner node.</summary>
    public static Hash HashNode(ICryptoSuite suite, Hash left, Hash right)
    {
        ArgumentNullException.ThrowIfNull(suite);
        Span<byte> buffer = stackalloc byte[1 + (2 * Hash.Size)];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + Hash.Size)..]);
        return suite.Hash(buffer);
    }

    /// <summary>The root over already-hashed leaves.</summary>
    public static Hash ComputeRoot(ICryptoSuite suite, IReadOnlyList<Hash> leafHashes)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(leafHashes);
        if (leafHashes.Count == 0)
        {
            return suite.Hash([]);
        }

        // Bottom-up in place: at each level pair neighbours; an odd last node is promoted unchanged, which gives
        // exactly RFC 6962's split at the largest power of two.
        var level = new Hash[leafHashes.Count];
        for (var i = 0; i < level.Length; i++)
        {
            level[i] = leafHashes[i];
        }

        var count = level.Length;
        while (count > 1)
        {
            var next = 0;
            for (var i = 0; i < count; i += 2)
            {
                level[next++] = i + 1 < count ? HashNode(suite, level[i], level[i + 1]) : level[i];
            }

            count = next;
        }

        return level[0];
    }

    /// <summary>The inclusion proof of leaf <paramref name="index"/>: sibling hashes from the leaf up.</summary>
    public static MerkleProof CreateProof(ICryptoSuite suite, IReadOnlyList<Hash> leafHashes, int index)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(leafHashes);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, leafHashes.Count);

        var path = new List<Hash>();
        var level = leafHashes.ToArray();
        var position = index;
        var count = level.Length;
        while (count > 1)
        {
            var sibling = position ^ 1;
            if (sibling < count)
            {
                path.Add(level[sibling]);
            }

            var next = 0;
            for (var i = 0; i < count; i += 2)
            {
                level[next++] = i + 1 < count ? HashNode(suite, level[i], level[i + 1]) : level[i];
            }

            position /= 2;
            count = next;
        }

        return new MerkleProof(index, leafHashes.Count, path);
    }

    /// <summary>True when <paramref name="proof"/> shows <paramref name="leafHash"/> at its index under <paramref name="root"/>.</summary>
    public static bool VerifyProof(ICryptoSuite suite, Hash root, Hash leafHash, MerkleProof proof)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(proof);
        if (proof.LeafCount <= 0 || proof.Index < 0 || proof.Index >= proof.LeafCount || proof.Path.Count > 64)
        {
            return false;
        }

        var hash = leafHash;
        var position = proof.Index;
        var count = proof.LeafCount;
        var used = 0;
        while (count > 1)
        {
            var sibling = position ^ 1;
            if (sibling < count)
            {
                if (used >= proof.Path.Count)
                {
                    return false;
                }

                var siblingHash = proof.Path[used++];
                hash = (position & 1) == 0 ? HashNode(suite, hash, siblingHash) : HashNode(suite, siblingHash, hash);
            }

            position /= 2;
            count -= count / 2;
        }

        return used == proof.Path.Count && hash == root;
    }
}

/// <summary>An inclusion proof: the leaf's index, the number of leaves, and the sibling hashes from the leaf up.</summary>
public sealed record MerkleProof(int Index, int LeafCount, IReadOnlyList<Hash> Path);
