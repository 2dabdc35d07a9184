using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Ledger.Tests;

/// <summary>The bucketed state commitment: staging, order independence, deletion, loading, and stale-base detection.</summary>
public sealed class StateTreeTests
{
    private const int Seed = 65_536;
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;

    // Proves Prepare is pure: it computes a new root but leaves the tree's root, count and values as they were.
    [Fact]
    public void Prepare_Changes_DoesNotChangeTheTree()
    {
        var state = new StateTree(Suite);
        state.Apply(state.Prepare(Writes(("a", "1"), ("b", "2"))));
        var rootBefore = state.Root;

        var prepared = state.Prepare(Writes(("a", "changed"), ("c", "3"), ("b", null)));

        Assert.NotEqual(rootBefore, prepared.Root);
        Assert.Equal(rootBefore, prepared.BaseRoot);
        Assert.Equal(rootBefore, state.Root);
        Assert.Equal(2, state.Count);
        Assert.Equal("1"u8.ToArray(), state.GetValue("a"u8));
        Assert.Equal("2"u8.ToArray(), state.GetValue("b"u8));
        Assert.Null(state.GetValue("c"u8));
    }

    // Proves Apply installs exactly the prepared root and the prepared values, deletions included.
    [Fact]
    public void Apply_PreparedChanges_GivesThePreparedRootAndValues()
    {
        var state = new StateTree(Suite);
        state.Apply(state.Prepare(Writes(("a", "1"), ("b", "2"))));
        var prepared = state.Prepare(Writes(("a", "changed"), ("c", "3"), ("b", null), ("never-existed", null)));
        state.Apply(prepared);
        Assert.Equal(prepared.Root, state.Root);
        Assert.Equal(2, state.Count);
        Assert.Equal("changed"u8.ToArray(), state.GetValue("a"u8));
        Assert.Null(state.GetValue("b"u8));
        Assert.Equal("3"u8.ToArray(), state.GetValue("c"u8));
        Assert.Equal(["a", "c"], state.Entries().Select(e => System.Text.Encoding.UTF8.GetString(e.Key)).Order());
    }

    // Proves the root depends only on the final contents, not on the order or batching of writes: seeded shuffles
    // of 300 entries split into random blocks all give the root of a single Load, which matches the independent
    // implementation of docs/state.md.
    [Fact]
    public void Root_SeededShufflesAndBatchings_AreIndependentOfOrder()
    {
        var entries = Enumerable.Range(0, 300).Select(i => (Key: Utf8($"key/{i}"), Value: Utf8($"value {i * 7919}"))).ToList();
        var loaded = new StateTree(Suite);
        loaded.Load(entries.Select(e => new KeyValuePair<byte[], byte[]>(e.Key, e.Value)));
        Assert.Equal(TestHex.Of(GoldenHashTests.IndependentStateRoot(entries)), loaded.Root.ToString());

        for (var run = 0; run < 5; run++)
        {
            var seed = Seed + run;
            var random = new Random(seed);
            var shuffled = entries.OrderBy(_ => random.Next()).ToList();
            var state = new StateTree(Suite);
            var position = 0;
            while (position < shuffled.Count)
            {
                var batch = shuffled.Skip(position).Take(random.Next(1, 60)).ToList();
                var writes = new WriteSet();
                foreach (var (key, value) in batch)
                {
                    writes.Set(key, value);
                }

                state.Apply(state.Prepare(writes));
                position += batch.Count;
            }

            Assert.True(loaded.Root == state.Root, $"seed {seed}: root {state.Root} differs from loaded root {loaded.Root}");
            Assert.True(state.Count == entries.Count, $"seed {seed}: count {state.Count}");
        }
    }

    // Proves deleting what was added restores the previous root exactly, whether the bucket becomes empty or keeps
    // other entries (two keys in the same bucket, found by search).
    [Fact]
    public void Delete_AddedEntries_RestoresThePreviousRoot()
    {
        var state = new StateTree(Suite);
        var emptyRoot = state.Root;
        state.Apply(state.Prepare(Writes(("x", "1"))));
        state.Apply(state.Prepare(Writes(("x", null))));
        Assert.Equal(emptyRoot, state.Root);
        Assert.Equal(0, state.Count);

        var (first, second) = TwoKeysInOneBucket(state);
        state.Apply(state.Prepare(WritesOf((first, Utf8("one")))));
        var withOne = state.Root;
        state.Apply(state.Prepare(WritesOf((second, Utf8("two")))));
        Assert.NotEqual(withOne, state.Root);
        state.Apply(state.Prepare(WritesOf((second, null))));
        Assert.Equal(withOne, state.Root);
        state.Apply(state.Prepare(WritesOf((first, null))));
        Assert.Equal(emptyRoot, state.Root);
    }

    // Proves overwriting a value changes the root, and writing the same value back restores it.
    [Fact]
    public void Overwrite_ValueChangedAndRestored_RootFollows()
    {
        var state = new StateTree(Suite);
        state.Apply(state.Prepare(Writes(("k", "v1"))));
        var root = state.Root;
        state.Apply(state.Prepare(Writes(("k", "v2"))));
        Assert.NotEqual(root, state.Root);
        state.Apply(state.Prepare(Writes(("k", "v1"))));
        Assert.Equal(root, state.Root);
        Assert.Equal(1, state.Count);
    }

    // Proves entries sharing a bucket are committed in key order within it, matching the independent implementation,
    // whatever the order they arrive in.
    [Fact]
    public void SharedBucket_EntriesInEitherOrder_MatchIndependentRoot()
    {
        var probe = new StateTree(Suite);
        var (first, second) = TwoKeysInOneBucket(probe);
        var forward = new StateTree(Suite);
        forward.Apply(forward.Prepare(WritesOf((first, Utf8("1")))));
        forward.Apply(forward.Prepare(WritesOf((second, Utf8("2")))));
        var backward = new StateTree(Suite);
        backward.Apply(backward.Prepare(WritesOf((second, Utf8("2")))));
        backward.Apply(backward.Prepare(WritesOf((first, Utf8("1")))));
        Assert.Equal(forward.Root, backward.Root);
        Assert.Equal(TestHex.Of(GoldenHashTests.IndependentStateRoot([(first, Utf8("1")), (second, Utf8("2"))])), forward.Root.ToString());
    }

    // Proves Load of a state's entries reproduces the root of the state built incrementally, over several blocks
    // with overwrites and deletions.
    [Fact]
    public void Load_EntriesOfIncrementalState_GivesTheSameRoot()
    {
        var random = new Random(Seed);
        var state = new StateTree(Suite);
        for (var block = 0; block < 20; block++)
        {
            var writes = new WriteSet();
            for (var i = 0; i < 30; i++)
            {
                var key = Utf8($"key/{random.Next(0, 200)}");
                writes.Set(key, random.Next(5) == 0 ? null : Utf8($"value {random.Next()}"));
            }

            state.Apply(state.Prepare(writes));
        }

        var loaded = new StateTree(Suite);
        loaded.Load(state.Entries().ToList());
        Assert.True(state.Root == loaded.Root, $"seed {Seed}");
        Assert.True(state.Count == loaded.Count, $"seed {Seed}");
    }

    // Proves a change set prepared against an older root cannot be applied after the tree moved on: Apply throws
    // InvariantViolationException and leaves the tree as it was.
    [Fact]
    public void Apply_PreparedAgainstStaleBase_ThrowsInvariantViolation()
    {
        var state = new StateTree(Suite);
        var first = state.Prepare(Writes(("a", "1")));
        var second = state.Prepare(Writes(("b", "2")));
        state.Apply(first);
        var root = state.Root;

        Assert.Throws<InvariantViolationException>(() => state.Apply(second));
        Assert.Equal(root, state.Root);
        Assert.Null(state.GetValue("b"u8));
        Assert.Throws<InvariantViolationException>(() => state.Apply(first));
    }

    // Proves an empty change set prepares the current root and applies as a no-op.
    [Fact]
    public void Prepare_EmptyWriteSet_KeepsTheRoot()
    {
        var state = new StateTree(Suite);
        state.Apply(state.Prepare(Writes(("a", "1"))));
        var prepared = state.Prepare(new WriteSet());
        Assert.Equal(state.Root, prepared.Root);
        state.Apply(prepared);
        Assert.Equal(prepared.Root, state.Root);
    }

    // Proves the bucket is the first two bytes of the suite hash of the key, big-endian.
    [Fact]
    public void BucketOf_Key_IsFirstTwoBytesOfKeyHash()
    {
        var state = new StateTree(Suite);
        foreach (var key in new[] { "a", "acct/x", "chain/validators" })
        {
            var hash = Suite.Hash(Utf8(key)).ToArray();
            Assert.Equal((hash[0] << 8) | hash[1], state.BucketOf(Utf8(key)));
        }

        Assert.Equal(65_536, StateTree.BucketCount);
        Assert.Equal(16, StateTree.BucketBits);
    }

    // Proves bounds are enforced on both paths: WriteSet refuses empty or oversized keys and oversized values
    // (a bug in a module, hence an invariant), and Load refuses them as bad stored data (DecodingException).
    [Fact]
    public void Bounds_OversizedKeysAndValues_AreRefused()
    {
        var writes = new WriteSet();
        Assert.Throws<InvariantViolationException>(() => writes.Set([], [1]));
        Assert.Throws<InvariantViolationException>(() => writes.Set(new byte[Limits.MaxStateKeyBytes + 1], [1]));
        Assert.Throws<InvariantViolationException>(() => writes.Set([1], new byte[Limits.MaxStateValueBytes + 1]));
        writes.Set(new byte[Limits.MaxStateKeyBytes], new byte[Limits.MaxStateValueBytes]);

        var state = new StateTree(Suite);
        Assert.Throws<DecodingException>(() => state.Load([new KeyValuePair<byte[], byte[]>([], [1])]));
        Assert.Throws<DecodingException>(() => state.Load([new KeyValuePair<byte[], byte[]>(new byte[Limits.MaxStateKeyBytes + 1], [1])]));
        Assert.Throws<DecodingException>(() => state.Load([new KeyValuePair<byte[], byte[]>([1], new byte[Limits.MaxStateValueBytes + 1])]));
    }

    // Proves a WriteSet keeps one change per key (the last) in unsigned byte order of the keys.
    [Fact]
    public void WriteSet_RepeatedKeys_KeepsLastChangeInKeyOrder()
    {
        var writes = new WriteSet();
        writes.Set([0x80], [1]);
        writes.Set([0x01, 0x00], [2]);
        writes.Set([0x01], [3]);
        writes.Set([0x80], null);
        Assert.Equal(3, writes.Count);
        Assert.Equal(["01", "0100", "80"], writes.Changes.Select(c => TestHex.Of(c.Key)));
        Assert.Null(writes.Changes.Last().Value);
        Assert.True(writes.TryGet([0x80], out var deleted));
        Assert.Null(deleted);
    }

    // Proves an overlay reads its own writes (deletions included) over the base, and nested overlays merge upward
    // without touching the base.
    [Fact]
    public void StateOverlay_NestedWrites_ReadThroughAndMergeUpward()
    {
        var state = new StateTree(Suite);
        state.Apply(state.Prepare(Writes(("a", "1"), ("b", "2"))));
        var block = new StateOverlay(state);
        var transaction = new StateOverlay(block);
        transaction.Set(Utf8("a"), Utf8("9"));
        transaction.Writes.Set(Utf8("b"), null);
        Assert.Equal(Utf8("9"), transaction.GetValue("a"u8));
        Assert.Null(transaction.GetValue("b"u8));
        Assert.Equal(Utf8("1"), block.GetValue("a"u8));

        transaction.MergeInto(block);
        Assert.Equal(Utf8("9"), block.GetValue("a"u8));
        Assert.Null(block.GetValue("b"u8));
        Assert.Equal(Utf8("1"), state.GetValue("a"u8));
        Assert.Equal(Utf8("2"), state.GetValue("b"u8));
    }

    private static (byte[] First, byte[] Second) TwoKeysInOneBucket(StateTree state)
    {
        var seen = new Dictionary<int, byte[]>();
        for (var i = 0; ; i++)
        {
            var key = Utf8($"probe/{i}");
            var bucket = state.BucketOf(key);
            if (seen.TryGetValue(bucket, out var other))
            {
                return (other, key);
            }

            seen[bucket] = key;
        }
    }

    private static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private static WriteSet Writes(params (string Key, string? Value)[] changes) =>
        WritesOf([.. changes.Select(c => (Utf8(c.Key), c.Value is null ? null : Utf8(c.Value)))]);

    private static WriteSet WritesOf(params (byte[] Key, byte[]? Value)[] changes)
    {
        var writes = new WriteSet();
        foreach (var (key, value) in changes)
        {
            writes.Set(key, value);
        }

        return writes;
    }
}
