using System.Buffers.Binary;
using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Ledger;

/// <summary>
/// The ledger state: a sorted key-value map with a Merkle commitment over its entries (docs/state.md).
/// <para>
/// Entries are spread over 65,536 buckets by the first two bytes of the hash of their key. A bucket's root is the
/// RFC 6962 Merkle root of its entries' leaf hashes in key order, with leaf data
/// <c>len(key) ‖ key ‖ len(value) ‖ value</c>; the state root is a perfect binary Merkle tree over the bucket roots.
/// A block that touches k entries therefore rehashes only k small buckets and k paths of 16 nodes, whatever the
/// size of the state, and any entry can still be proved with one bucket proof plus one 16-step path.
/// </para>
/// <para>
/// The whole map lives in memory; the store holds the durable copy and loads it at start. Changes are staged
/// with <see cref="Prepare"/> (pure: computes the new root without touching the tree) and installed with
/// <see cref="Apply"/>, so a proposal that is never committed leaves no trace.
/// </para>
/// </summary>
public sealed class StateTree : IStateReader
{
    /// <summary>Number of bits of the key hash that choose the bucket.</summary>
    public const int BucketBits = 16;

    /// <summary>Number of buckets.</summary>
    public const int BucketCount = 1 << BucketBits;

    private readonly ICryptoSuite _suite;
    private readonly SortedDictionary<byte[], StateEntry>?[] _buckets = new SortedDictionary<byte[], StateEntry>?[BucketCount];

    // Every entry's value and bucket by key: reads and changes of present keys need no key hash. Mirrors _buckets.
    private readonly Dictionary<byte[], IndexEntry> _index = new(ByteArrayComparer.Instance);
    private readonly Dictionary<byte[], IndexEntry>.AlternateLookup<ReadOnlySpan<byte>> _indexBySpan;

    // Perfect binary tree stored as an array: node i has children 2i and 2i+1; leaves (bucket roots) at BucketCount + b.
    private readonly Hash[] _nodes = new Hash[2 * BucketCount];
    private readonly Hash _emptyBucketRoot;

    /// <summary>Creates an empty state.</summary>
    public StateTree(ICryptoSuite suite)
    {
        _suite = suite ?? throw new ArgumentNullException(nameof(suite));
        _indexBySpan = _index.GetAlternateLookup<ReadOnlySpan<byte>>();
        _emptyBucketRoot = suite.Hash([]);
        // Every node of one level of the empty tree has the same hash: 16 hashes instead of 65,535.
        var levelHash = _emptyBucketRoot;
        for (var start = BucketCount; start >= 1; start /= 2)
        {
            Array.Fill(_nodes, levelHash, start, start);
            levelHash = MerkleTree.HashNode(_suite, levelHash, levelHash);
        }
    }

    /// <summary>The Merkle commitment over every entry.</summary>
    public Hash Root => _nodes[1];

    /// <summary>Number of entries.</summary>
    public int Count => _index.Count;

    /// <inheritdoc />
    public byte[]? GetValue(ReadOnlySpan<byte> key) => _indexBySpan.TryGetValue(key, out var entry) ? entry.Value : null;

    /// <summary>Every entry in commitment order (bucket, then key); used by verification and snapshots.</summary>
    public IEnumerable<KeyValuePair<byte[], byte[]>> Entries()
    {
        foreach (var bucket in _buckets)
        {
            if (bucket is null)
            {
                continue;
            }

            foreach (var (key, entry) in bucket)
            {
                yield return new KeyValuePair<byte[], byte[]>(key, entry.Value);
            }
        }
    }

    /// <summary>
    /// Loads entries without staging, as when a node restores its state from the store. Recomputes the root once.
    /// </summary>
    public void Load(IEnumerable<KeyValuePair<byte[], byte[]>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var touched = new HashSet<int>();
        foreach (var (key, value) in entries)
        {
            CheckEntry(key, value);
            var b = BucketOf(key);
            var bucket = _buckets[b] ??= new SortedDictionary<byte[], StateEntry>(ByteArrayComparer.Instance);
            bucket[key] = new StateEntry(value, LeafHash(key, value));
            _index[key] = new IndexEntry(value, b);
            touched.Add(b);
        }

        var bucketRoots = touched.ToDictionary(b => b, b => BucketRoot([.. _buckets[b]!.Values.Select(entry => entry.LeafHash)]));
        InstallNodes(ComputeNodesWith(bucketRoots));
    }

    /// <summary>
    /// Computes the root the state would have after <paramref name="changes"/>, without changing the tree.
    /// </summary>
    public PreparedState Prepare(WriteSet changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var newBucketRoots = new Dictionary<int, Hash>();
        var leafHashes = new Dictionary<byte[], Hash>(ByteArrayComparer.Instance);
        var changeList = changes.Changes.ToList();
        var changeBuckets = new int[changeList.Count];
        for (var i = 0; i < changeList.Count; i++)
        {
            changeBuckets[i] = _index.TryGetValue(changeList[i].Key, out var present) ? present.Bucket : BucketOf(changeList[i].Key);
        }

        foreach (var group in changeList.Select((change, i) => (change, bucket: changeBuckets[i])).GroupBy(pair => pair.bucket, pair => pair.change))
        {
            var merged = new SortedDictionary<byte[], Hash>(ByteArrayComparer.Instance);
            if (_buckets[group.Key] is { } existing)
            {
                foreach (var (key, entry) in existing)
                {
                    merged[key] = entry.LeafHash;
                }
            }

            foreach (var change in group)
            {
                if (change.Value is null)
                {
                    merged.Remove(change.Key);
                }
                else
                {
                    var leaf = LeafHash(change.Key, change.Value);
                    merged[change.Key] = leaf;
                    leafHashes[change.Key] = leaf;
                }
            }

            newBucketRoots[group.Key] = BucketRoot([.. merged.Values]);
        }

        var nodes = ComputeNodesWith(newBucketRoots);
        return new PreparedState(changes, newBucketRoots, leafHashes, nodes.Count == 0 ? Root : nodes[1], Root, nodes)
        {
            ChangeList = changeList,
            ChangeBuckets = changeBuckets,
        };
    }

    /// <summary>Installs a prepared change set. It must have been prepared against the current root.</summary>
    public void Apply(PreparedState prepared)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        Invariant.Check(prepared.BaseRoot == Root, "a prepared state is applied to the state it was prepared against");
        // Prepare recorded each change's bucket; a PreparedState built elsewhere falls back to hashing the keys.
        var changeList = prepared.ChangeList ?? [.. prepared.Changes.Changes];
        for (var i = 0; i < changeList.Count; i++)
        {
            var change = changeList[i];
            var b = prepared.ChangeBuckets is { } buckets ? buckets[i] : BucketOf(change.Key);
            if (change.Value is null)
            {
                _buckets[b]?.Remove(change.Key);

                _index.Remove(change.Key);
            }
            else
            {
                var bucket = _buckets[b] ??= new SortedDictionary<byte[], StateEntry>(ByteArrayComparer.Instance);
                bucket[change.Key] = new StateEntry(change.Value, prepared.LeafHashes[change.Key]);
                _index[change.Key] = new IndexEntry(change.Value, b);
            }
        }

        // Prepare already hashed every node on the changed paths against this very tree (BaseRoot == Root).
        InstallNodes(prepared.Nodes);

        Invariant.Check(Root == prepared.Root, "applying a prepared state yields the root it promised");
    }

    /// <summary>The bucket an entry with this key belongs to.</summary>
    public int BucketOf(ReadOnlySpan<byte> key)
    {
        Span<byte> digest = stackalloc byte[Hash.Size];
        _suite.Hash(key).CopyTo(digest);
        return BinaryPrimitives.ReadUInt16BigEndian(digest);
    }

    private Hash LeafHash(byte[] key, byte[] value)
    {
        var writer = new CanonicalWriter(8 + key.Length + value.Length);
        writer.WriteBytes(key);
        writer.WriteBytes(value);
        return MerkleTree.HashLeaf(_suite, writer.WrittenSpan);
    }

    private Hash BucketRoot(List<Hash> leafHashes) =>
        leafHashes.Count == 0 ? _emptyBucketRoot : MerkleTree.ComputeRoot(_suite, leafHashes);

    /// <summary>Every tree node that <paramref name="newBucketRoots"/> changes (bucket leaves included), by index.</summary>
    private Dictionary<int, Hash> ComputeNodesWith(Dictionary<int, Hash> newBucketRoots)
    {
        var overrides = new Dictionary<int, Hash>(newBucketRoots.Count * 4);
        if (newBucketRoots.Count == 0)
        {
            return overrides;
        }

        foreach (var (b, root) in newBucketRoots)
        {
            overrides[BucketCount + b] = root;
        }

        // Level by level: the parents of this level's changed nodes are the next level's; order within a level is free.
        var frontier = new HashSet<int>(newBucketRoots.Keys.Select(b => (BucketCount + b) / 2));
        while (frontier.Count > 0)
        {
            var next = new HashSet<int>();
            foreach (var node in frontier)
            {
                var left = overrides.TryGetValue(2 * node, out var l) ? l : _nodes[2 * node];
                var right = overrides.TryGetValue((2 * node) + 1, out var r) ? r : _nodes[(2 * node) + 1];
                overrides[node] = MerkleTree.HashNode(_suite, left, right);
                if (node > 1)
                {
                    next.Add(node / 2);
                }
            }

            frontier = next;
        }

        return overrides;
    }

    private void InstallNodes(IReadOnlyDictionary<int, Hash> nodes)
    {
        foreach (var (node, hash) in nodes)
        {
            _nodes[node] = hash;
        }
    }

    private static void CheckEntry(byte[] key, byte[] value)
    {
        if (key.Length == 0 || key.Length > Limits.MaxStateKeyBytes || value.Length > Limits.MaxStateValueBytes)
        {
            throw new DecodingException($"A state entry's key ({key.Length} bytes) or value ({value.Length} bytes) is out of bounds.");
        }
    }

    private readonly record struct StateEntry(byte[] Value, Hash LeafHash);

    private readonly record struct IndexEntry(byte[] Value, int Bucket);
}

/// <summary>Read access to state, committed or staged.</summary>
public interface IStateReader
{
    /// <summary>The value under <paramref name="key"/>, or null.</summary>
    byte[]? GetValue(ReadOnlySpan<byte> key);
}

/// <summary>A staged change set with the roots it produces; see <see cref="StateTree.Prepare"/>.</summary>
public sealed record PreparedState(
    WriteSet Changes,
    IReadOnlyDictionary<int, Hash> BucketRoots,
    IReadOnlyDictionary<byte[], Hash> LeafHashes,
    Hash Root,
    Hash BaseRoot,
    IReadOnlyDictionary<int, Hash> Nodes)
{
    /// <summary>The changes in <see cref="WriteSet.Changes"/> order, as <see cref="StateTree.Prepare"/> saw them.</summary>
    internal IReadOnlyList<StateChange>? ChangeList { get; init; }

    /// <summary>The bucket of each change in <see cref="ChangeList"/>, computed once by <see cref="StateTree.Prepare"/>.</summary>
    internal int[]? ChangeBuckets { get; init; }
}
