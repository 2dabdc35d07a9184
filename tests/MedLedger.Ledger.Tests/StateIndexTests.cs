using System.Text;
using MedLedger.Crypto;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// The state tree's key index (reads without hashing the key), the buckets Prepare hands to Apply, and the hashed
/// write set that sorts on enumeration: all must agree with the bucketed commitment and with a plain map.
/// </summary>
public sealed class StateIndexTests
{
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;

    // Proves reads, count and root after several blocks of inserts, updates and deletions equal a plain map's
    // contents and the root of a tree loaded from scratch with those contents.
    [Fact]
    public void ManyBlocks_ReadsAndRoot_MatchAPlainMapAndAFreshLoad()
    {
        var state = new StateTree(Suite);
        var reference = new Dictionary<string, string>();
        var random = new Random(7);
        for (var block = 0; block < 20; block++)
        {
            var writes = new WriteSet();
            for (var i = 0; i < 50; i++)
            {
                var key = $"k{random.Next(300)}";
                if (random.Next(4) == 0)
                {
                    writes.Set(Utf8(key), null);
                    reference.Remove(key);
                }
                else
                {
                    var value = $"v{block}.{i}";
                    writes.Set(Utf8(key), Utf8(value));
                    reference[key] = value;
                }
            }

            state.Apply(state.Prepare(writes));
        }

        for (var k = 0; k < 300; k++)
        {
            var key = $"k{k}";
            var value = state.GetValue(Utf8(key));
            Assert.Equal(reference.TryGetValue(key, out var expected) ? Utf8(expected) : null, value);
        }

        Assert.Equal(reference.Count, state.Count);
        var loaded = new StateTree(Suite);
        loaded.Load(reference.Select(pair => new KeyValuePair<byte[], byte[]>(Utf8(pair.Key), Utf8(pair.Value))));
        Assert.Equal(loaded.Root, state.Root);
        Assert.Equal(
            loaded.Entries().Select(e => Convert.ToHexString(e.Key) + "=" + Convert.ToHexString(e.Value)),
            state.Entries().Select(e => Convert.ToHexString(e.Key) + "=" + Convert.ToHexString(e.Value)));
    }

    // Proves a PreparedState without the buckets Prepare records (built by hand) still applies correctly.
    [Fact]
    public void Apply_PreparedStateWithoutRecordedBuckets_HashesTheKeys()
    {
        var state = new StateTree(Suite);
        var prepared = state.Prepare(Writes(("a", "1"), ("b", "2")));
        var copy = new PreparedState(prepared.Changes, prepared.BucketRoots, prepared.LeafHashes, prepared.Root, prepared.BaseRoot, prepared.Nodes);

        state.Apply(copy);

        Assert.Equal(prepared.Root, state.Root);
        Assert.Equal(Utf8("1"), state.GetValue("a"u8));
        Assert.Equal(Utf8("2"), state.GetValue("b"u8));
    }

    // Proves the write set enumerates in key order whatever the order of writes, and sees writes made after an enumeration.
    [Fact]
    public void WriteSet_Changes_AreInKeyOrder_AndFollowLaterWrites()
    {
        var writes = Writes(("c", "3"), ("a", "1"), ("bb", "2"), ("b", null));
        Assert.Equal(["a", "b", "bb", "c"], writes.Changes.Select(change => Encoding.UTF8.GetString(change.Key)));

        writes.Set(Utf8("a"), null);
        writes.Set(Utf8("0"), Utf8("0"));

        Assert.Equal(["0", "a", "b", "bb", "c"], writes.Changes.Select(change => Encoding.UTF8.GetString(change.Key)));
        Assert.Null(writes.Changes.Single(change => change.Key.AsSpan().SequenceEqual("a"u8)).Value);
        Assert.True(writes.TryGet("bb"u8, out var value));
        Assert.Equal(Utf8("2"), value);
        Assert.False(writes.TryGet("d"u8, out _));
    }

    // Proves an overlay reads its own writes (deletions included) before its base, and merges them into another.
    [Fact]
    public void Overlay_ReadsItsWritesFirst_AndMergesThem()
    {
        var state = new StateTree(Suite);
        state.Apply(state.Prepare(Writes(("a", "1"), ("b", "2"))));
        var block = new StateOverlay(state);
        var transaction = new StateOverlay(block);

        transaction.Set(Utf8("a"), Utf8("changed"));
        transaction.Writes.Set(Utf8("b"), null);

        Assert.Equal(Utf8("changed"), transaction.GetValue("a"u8));
        Assert.Null(transaction.GetValue("b"u8));
        Assert.Equal(Utf8("1"), block.GetValue("a"u8));
        transaction.MergeInto(block);
        Assert.Equal(Utf8("changed"), block.GetValue("a"u8));
        Assert.Null(block.GetValue("b"u8));
        Assert.Equal(Utf8("2"), state.GetValue("b"u8));
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static WriteSet Writes(params (string Key, string? Value)[] changes)
    {
        var writes = new WriteSet();
        foreach (var (key, value) in changes)
        {
            writes.Set(Utf8(key), value is null ? null : Utf8(value));
        }

        return writes;
    }
}
