using System.Diagnostics;
using Xunit.Abstractions;

namespace MedLedger.Storage.Tests;

public sealed class RecordStoreConcurrencyTests : IDisposable
{
    private const int Seed = 31337;
    private const int Rounds = 30;
    private const int AccessesPerBlock = 3;
    private const long Time = 1_767_225_600_000;

    private readonly ITestOutputHelper _output;
    private readonly TempDirectory _directory = new();

    public RecordStoreConcurrencyTests(ITestOutputHelper output)
    {
        _output = output;
        _output.WriteLine($"seed {Seed}");
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Readers_DuringWrites_SeeOnlyWholeWrites_AndNeverFail()
    {
        // One writer puts a three-tier record, indexes a block of one record and three accesses, and shreds every
        // third earlier record, 30 times; three readers meanwhile read records, blobs, the record index and the
        // access log. Every read succeeds and sees whole writes only: a record has all three tiers or none, the
        // access count is a multiple of three, and every blob hashes to its address. The writer waits for the
        // readers to make progress after each round, so reads interleave with writes however threads are scheduled.
        var data = new RecordStoreTestData(Seed);
        using var store = SqliteRecordStore.Open(_directory.File("records.db"), data.Suite);
        var patient = data.NextHash();
        var author = data.NextHash();
        var records = new List<StoredRecord>();
        for (var i = 0; i < Rounds; i++)
        {
            records.Add(data.Record(ciphertextBytes: 2000 + (i * 100)));
        }

        using var done = new CancellationTokenSource();
        var reads = 0;
        var written = 0;

        void Read(int reader)
        {
            var random = new Random(Seed + reader);
            while (!done.IsCancellationRequested)
            {
                var record = records[random.Next(Math.Max(1, Volatile.Read(ref written)))];
                var tiers = store.GetRecord(record.RecordId);
                Assert.True(tiers.Count is 0 or 3, $"a record read with {tiers.Count} tiers");
                var blob = store.GetBlob(record.Tiers[1].Address);
                Assert.True(blob is null || data.Suite.Hash(blob) == record.Tiers[1].Address);

                Assert.Equal(0, store.QueryAccess(new AccessQuery(Limit: 1000)).Count % AccessesPerBlock);
                Assert.True(store.RecordsOfPatients([patient], 1000).Count <= Rounds);
                Assert.All(store.EnumerateBlobs(), b => Assert.Equal(b.Address, data.Suite.Hash(b.Ciphertext)));
                Interlocked.Increment(ref reads);
            }
        }

        var readers = Enumerable.Range(0, 3).Select(r => Task.Run(() => Read(r))).ToArray();
        try
        {
            for (var i = 0; i < Rounds; i++)
            {
                var before = Volatile.Read(ref reads);
                store.PutRecord(records[i]);
                Volatile.Write(ref written, i + 1);
                var height = (ulong)i + 1;
                var accesses = Enumerable.Range(0, AccessesPerBlock)
                    .Select(_ => data.Access([author], [patient], [records[i].RecordId], Time + i))
                    .ToList();
                store.Index(new IndexBatch(height, [data.IndexedRecord(height, patient, author, Time + i)], [], accesses));
                if (i % 3 == 2)
                {
                    Assert.True(store.Shred(records[i - 2].RecordId));
                }

                var waited = Stopwatch.StartNew();
                while (Volatile.Read(ref reads) <= before + 1 && !readers.Any(r => r.IsCompleted))
                {
                    Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the readers made no progress for 30 s");
                    Thread.Sleep(1);
                }
            }
        }
        finally
        {
            done.Cancel();
        }

        await Task.WhenAll(readers);
        Assert.Equal((ulong)Rounds, store.IndexedHeight);
        Assert.Equal(Rounds * AccessesPerBlock, store.QueryAccess(new AccessQuery(Limit: 1000)).Count);
        Assert.Equal((Rounds - (Rounds / 3)) * 3, store.EnumerateBlobs().Count());
        Assert.True(reads >= Rounds, $"only {reads} reads interleaved with {Rounds} rounds");
        _output.WriteLine($"{reads} consistent reads during {Rounds} rounds; shred checkpoint pending at the end: {store.ShredCheckpointPending}");
    }

    [Fact]
    public void ConcurrentWriters_EachGetTheirOwnOutcome_AndARefusedWriteLeavesNothing()
    {
        // Sixteen threads put records at once, so writes queue up and commit in groups (one transaction, a savepoint per
        // write). Every fourth put is a conflicting copy of a record already stored (same id, other tiers): it must
        // throw to its own caller only, leave the stored record as it was, and not undo any write of its group.
        var data = new RecordStoreTestData(Seed + 1);
        using var store = SqliteRecordStore.Open(_directory.File("group.db"), data.Suite);
        var originals = Enumerable.Range(0, 16).Select(_ => data.Record(ciphertextBytes: 1500)).ToList();
        foreach (var original in originals)
        {
            store.PutRecord(original);
        }

        var fresh = Enumerable.Range(0, 16 * 12).Select(_ => data.Record(ciphertextBytes: 1200)).ToList();
        var conflicts = originals.Select(o => o with { Tiers = data.Record(ciphertextBytes: 900).Tiers }).ToList();
        var refused = 0;
        Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 16 }, thread =>
        {
            for (var i = 0; i < 12; i++)
            {
                store.PutRecord(fresh[(thread * 12) + i]);
                if (i % 4 == 3)
                {
                    Assert.Throws<InvalidOperationException>(() => store.PutRecord(conflicts[thread]));
                    Interlocked.Increment(ref refused);
                }
            }
        });

        Assert.Equal(16 * 3, refused);
        foreach (var record in fresh)
        {
            RecordStoreTestData.AssertSameTiers(record.Tiers, store.GetRecord(record.RecordId));
        }

        foreach (var original in originals)
        {
            RecordStoreTestData.AssertSameTiers(original.Tiers, store.GetRecord(original.RecordId));
        }

        Assert.Equal((originals.Count + fresh.Count) * 3, store.EnumerateBlobs().Count());
    }
}
