using MedLedger.Core;
using MedLedger.Ledger;
using Xunit.Abstractions;

namespace MedLedger.Storage.Tests;

public sealed class RecordStoreIndexTests : IDisposable
{
    private const int Seed = 777;
    private const long Time = 1_767_225_600_000;

    private readonly ITestOutputHelper _output;
    private readonly TempDirectory _directory = new();
    private readonly RecordStoreTestData _data = new(Seed);
    private readonly string _path;
    private readonly SqliteRecordStore _store;

    public RecordStoreIndexTests(ITestOutputHelper output)
    {
        _output = output;
        _output.WriteLine($"seed {Seed}");
        _path = _directory.File("records.db");
        _store = SqliteRecordStore.Open(_path, _data.Suite);
    }

    public void Dispose()
    {
        _store.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void Index_ThenRecordsOfPatientsAndByAuthor_ReturnNewestFirst_WithErasures()
    {
        // Three blocks index five records of one patient (under two pseudonyms) and another patient's record, by
        // two authors; block 3 erases one. RecordsOfPatients over both pseudonyms and RecordsByAuthor return the
        // matching records newest first (creation time, then height), marked erased where erased, cut at the limit.
        var pseudonymA = _data.NextHash();
        var pseudonymB = _data.NextHash();
        var stranger = _data.NextHash();
        var doctor = _data.NextHash();
        var nurse = _data.NextHash();
        var r1 = _data.IndexedRecord(1, pseudonymA, doctor, Time + 10);
        var r2 = _data.IndexedRecord(1, pseudonymB, nurse, Time + 30);
        var r3 = _data.IndexedRecord(1, stranger, doctor, Time + 20);
        var r4 = _data.IndexedRecord(2, pseudonymA, doctor, Time + 30);
        var r5 = _data.IndexedRecord(2, pseudonymB, doctor, Time + 5);
        _store.Index(new IndexBatch(1, [r1, r2, r3], [], []));
        Assert.Equal(1UL, _store.IndexedHeight);
        _store.Index(new IndexBatch(2, [r4, r5], [], []));
        _store.Index(new IndexBatch(3, [], [r1.RecordId], []));
        Assert.Equal(3UL, _store.IndexedHeight);
        var erased1 = r1 with { Erased = true };

        // r2 and r4 share a creation time; r4 has the greater height, so it comes first.
        Assert.Equal([r4, r2, erased1, r5], _store.RecordsOfPatients([pseudonymA, pseudonymB], 10));
        Assert.Equal([r4, r2], _store.RecordsOfPatients([pseudonymA, pseudonymB], 2));
        Assert.Equal([r4, erased1], _store.RecordsOfPatients([pseudonymA], 10));
        Assert.Equal([r4, r3, erased1, r5], _store.RecordsByAuthor(doctor, 10));
        Assert.Equal([r4], _store.RecordsByAuthor(doctor, 0));
        Assert.Equal([r2], _store.RecordsByAuthor(nurse, 10));
        Assert.Empty(_store.RecordsOfPatients([], 10));
        Assert.Empty(_store.RecordsByAuthor(_data.NextHash(), 10));
        Assert.Throws<ArgumentException>(() => _store.RecordsOfPatients([.. Enumerable.Range(0, SqliteRecordStore.MaxQueryPatients + 1).Select(_ => _data.NextHash())], 10));
    }

    [Fact]
    public void Index_OutOfOrder_IsRefused()
    {
        // At height 0 only batch 1 is accepted: batch 2 (a gap) and, afterwards, batch 1 again (a repeat) throw
        // InvalidOperationException and leave the height where it was.
        Assert.Throws<InvalidOperationException>(() => _store.Index(new IndexBatch(2, [], [], [])));
        Assert.Equal(0UL, _store.IndexedHeight);

        _store.Index(new IndexBatch(1, [], [], []));
        Assert.Throws<InvalidOperationException>(() => _store.Index(new IndexBatch(1, [], [], [])));
        Assert.Throws<InvalidOperationException>(() => _store.Index(new IndexBatch(3, [], [], [])));
        Assert.Equal(1UL, _store.IndexedHeight);
    }

    [Fact]
    public void Index_MalformedBatch_IsRefusedWithArgumentException()
    {
        // Height 0, a record stamped with another height, and null lists are refused before anything is written.
        var record = _data.IndexedRecord(2, _data.NextHash(), _data.NextHash(), Time);
        Assert.Throws<ArgumentException>(() => _store.Index(new IndexBatch(0, [], [], [])));
        Assert.Throws<ArgumentException>(() => _store.Index(new IndexBatch(1, [record], [], [])));
        Assert.Throws<ArgumentException>(() => _store.Index(new IndexBatch(1, null!, [], [])));
        Assert.Equal(0UL, _store.IndexedHeight);
        Assert.Empty(_store.RecordsByAuthor(record.AuthorUser, 10));
    }

    [Fact]
    public void Index_FailingBatch_LeavesHeightRecordsAndAccessesUnchanged_AlsoAfterReopen()
    {
        // 1. Index block 1. 2. Block 2 carries a new record and an access, then fails: once on a record that is
        // already indexed, once on erasing a record never indexed. Each time the height stays 1 and neither the new
        // record nor the access (nor the erasure of r1) is visible. 3. The same after reopening the file. 4. The
        // honest block 2 is then accepted.
        var patient = _data.NextHash();
        var author = _data.NextHash();
        var r1 = _data.IndexedRecord(1, patient, author, Time);
        _store.Index(new IndexBatch(1, [r1], [], []));
        var r2 = _data.IndexedRecord(2, patient, author, Time + 1);
        var access = _data.Access([author], [patient], [r2.RecordId], Time + 2);

        var duplicate = new IndexBatch(2, [r2, r1 with { Height = 2 }], [], [access]);
        Assert.Throws<InvalidOperationException>(() => _store.Index(duplicate));
        AssertOnlyBlockOne();
        var unknownErasure = new IndexBatch(2, [r2], [r1.RecordId, _data.NextHash()], [access]);
        Assert.Throws<InvalidOperationException>(() => _store.Index(unknownErasure));
        AssertOnlyBlockOne();

        using (var reopened = SqliteRecordStore.Open(_path, _data.Suite))
        {
            Assert.Equal(1UL, reopened.IndexedHeight);
            Assert.Equal([r1], reopened.RecordsByAuthor(author, 10));
            Assert.Empty(reopened.QueryAccess(new AccessQuery()));
        }

        _store.Index(new IndexBatch(2, [r2], [r1.RecordId], [access]));
        Assert.Equal(2UL, _store.IndexedHeight);
        Assert.Equal([r2, r1 with { Erased = true }], _store.RecordsByAuthor(author, 10));
        Assert.Single(_store.QueryAccess(new AccessQuery()));

        void AssertOnlyBlockOne()
        {
            Assert.Equal(1UL, _store.IndexedHeight);
            Assert.Equal([r1], _store.RecordsByAuthor(author, 10));
            Assert.Empty(_store.QueryAccess(new AccessQuery()));
        }
    }

    [Fact]
    public void QueryAccess_EachFilterAndCombinations_MatchAReferenceFilter()
    {
        // Indexes 600 random entries over 6 blocks (fields drawn from small sets, so every filter selects a proper
        // subset) and checks each filter alone, and several combinations, against the same filter applied by LINQ
        // to what was indexed: same entries, same sequences, newest first.
        var actors = Hashes(4);
        var patients = Hashes(5);
        var records = Hashes(6);
        var expected = new List<IndexedAccess>();
        for (ulong height = 1; height <= 6; height++)
        {
            var batch = Enumerable.Range(0, 100).Select(i => _data.Access(actors, patients, records, Time + (long)(height * 1000) + _data.Next(2000))).ToList();
            _store.Index(new IndexBatch(height, [], [], batch));
            var first = expected.Count + 1;
            expected.AddRange(batch.Select((a, i) => new IndexedAccess(first + i, height, a.TransactionId, a.Organisation, a.Entry)));
        }

        var queries = new (string Name, AccessQuery Query, Func<IndexedAccess, bool> Matches)[]
        {
            ("all", new AccessQuery(), _ => true),
            ("actor", new AccessQuery(Actor: actors[1]), a => a.Entry.Actor == actors[1]),
            ("patients", new AccessQuery(Patients: [patients[0], patients[3]]), a => a.Entry.Patient == patients[0] || a.Entry.Patient == patients[3]),
            ("record", new AccessQuery(RecordId: records[2]), a => a.Entry.RecordId == records[2]),
            ("outcome", new AccessQuery(Outcome: AccessOutcome.Denied), a => a.Entry.Outcome == AccessOutcome.Denied),
            ("purpose", new AccessQuery(Purpose: AccessPurpose.Emergency), a => a.Entry.Purpose == AccessPurpose.Emergency),
            ("action", new AccessQuery(Action: AccessAction.Read), a => a.Entry.Action == AccessAction.Read),
            ("organisation", new AccessQuery(Organisation: "clinic-b"), a => a.Organisation == "clinic-b"),
            ("from", new AccessQuery(FromUnixMilliseconds: Time + 4000), a => a.Entry.TimeUnixMilliseconds >= Time + 4000),
            ("to", new AccessQuery(ToUnixMilliseconds: Time + 3000), a => a.Entry.TimeUnixMilliseconds <= Time + 3000),
            ("before", new AccessQuery(BeforeSequence: 250), a => a.Sequence < 250),
            (
                "patient, outcome and window",
                new AccessQuery(Patients: [patients[1]], Outcome: AccessOutcome.Allowed, FromUnixMilliseconds: Time + 2500, ToUnixMilliseconds: Time + 5500),
                a => a.Entry.Patient == patients[1] && a.Entry.Outcome == AccessOutcome.Allowed && a.Entry.TimeUnixMilliseconds is >= Time + 2500 and <= Time + 5500),
            (
                "actor, purpose, action and organisation",
                new AccessQuery(Actor: actors[0], Purpose: AccessPurpose.Treatment, Action: AccessAction.Write, Organisation: "hospital-a"),
                a => a.Entry.Actor == actors[0] && a.Entry.Purpose == AccessPurpose.Treatment && a.Entry.Action == AccessAction.Write && a.Organisation == "hospital-a"),
            (
                "record and before",
                new AccessQuery(RecordId: records[4], BeforeSequence: 400),
                a => a.Entry.RecordId == records[4] && a.Sequence < 400),
        };

        foreach (var (name, query, matches) in queries)
        {
            var reference = expected.Where(matches).OrderByDescending(a => a.Sequence).Take(1000).ToList();
            var actual = _store.QueryAccess(query with { Limit = 1000 });
            _output.WriteLine($"{name}: {actual.Count} of {expected.Count}");
            Assert.True(reference.Count is > 0, $"the reference for '{name}' selects nothing, so the test proves nothing");
            Assert.True(name == "all" || reference.Count < expected.Count, $"the reference for '{name}' selects everything");
            Assert.Equal(reference, actual);
        }

        Assert.Empty(_store.QueryAccess(new AccessQuery(Patients: [])));
        Assert.Empty(_store.QueryAccess(new AccessQuery(Actor: _data.NextHash())));
        Assert.Throws<ArgumentException>(() => _store.QueryAccess(new AccessQuery(Patients: Hashes(SqliteRecordStore.MaxQueryPatients + 1))));
    }

    [Fact]
    public void QueryAccess_PagingWithBeforeSequence_VisitsEveryEntryOnce_AndLimitIsClamped()
    {
        // 1,050 entries in two blocks: pages of 97 chained through BeforeSequence visit all of them once, newest
        // first; a filtered paging does the same for its subset. Limit 0 returns one entry, a limit of 5,000 returns
        // MaxQueryLimit (1,000).
        var actors = Hashes(3);
        var patients = Hashes(3);
        var records = Hashes(3);
        _store.Index(new IndexBatch(1, [], [], [.. Enumerable.Range(0, 600).Select(i => _data.Access(actors, patients, records, Time + i))]));
        _store.Index(new IndexBatch(2, [], [], [.. Enumerable.Range(0, 450).Select(i => _data.Access(actors, patients, records, Time + 600 + i))]));

        var all = Page(new AccessQuery(Limit: 97));
        Assert.Equal(Enumerable.Range(1, 1050).Reverse().Select(s => (long)s), all.Select(a => a.Sequence));
        Assert.Equal(all.Take(600).Select(a => a.Height), Enumerable.Repeat(2UL, 450).Concat(Enumerable.Repeat(1UL, 150)));

        var denied = Page(new AccessQuery(Outcome: AccessOutcome.Denied, Limit: 50));
        Assert.Equal(all.Where(a => a.Entry.Outcome == AccessOutcome.Denied), denied);

        Assert.Single(_store.QueryAccess(new AccessQuery(Limit: 0)));
        Assert.Single(_store.QueryAccess(new AccessQuery(Limit: -5)));
        Assert.Equal(SqliteRecordStore.MaxQueryLimit, _store.QueryAccess(new AccessQuery(Limit: 5000)).Count);
    }

    [Fact]
    public void ResetIndex_EmptiesTheIndex_ForARebuildFromHeightOne_KeepingStoredRecords()
    {
        // After two blocks, ResetIndex leaves height 0, no indexed records or accesses, and the held ciphertext in
        // place; re-indexing from block 1 works, and the rebuilt access entries get sequences above the old ones.
        var record = _data.Record();
        _store.PutRecord(record);
        var author = _data.NextHash();
        var indexed = _data.IndexedRecord(1, _data.NextHash(), author, Time);
        var access = _data.Access([author], [indexed.Patient], [indexed.RecordId], Time);
        _store.Index(new IndexBatch(1, [indexed], [], [access]));
        _store.Index(new IndexBatch(2, [], [], [access]));

        _store.ResetIndex();

        Assert.Equal(0UL, _store.IndexedHeight);
        Assert.Empty(_store.RecordsByAuthor(author, 10));
        Assert.Empty(_store.QueryAccess(new AccessQuery()));
        RecordStoreTestData.AssertSameTiers(record.Tiers, _store.GetRecord(record.RecordId));

        _store.Index(new IndexBatch(1, [indexed], [], [access]));
        Assert.Equal([indexed], _store.RecordsByAuthor(author, 10));
        Assert.Equal(3L, _store.QueryAccess(new AccessQuery()).Single().Sequence);
    }

    private List<IndexedAccess> Page(AccessQuery query)
    {
        var all = new List<IndexedAccess>();
        var next = query;
        while (true)
        {
            var page = _store.QueryAccess(next);
            Assert.True(page.Count <= query.Limit);
            if (page.Count == 0)
            {
                return all;
            }

            all.AddRange(page);
            next = query with { BeforeSequence = page[^1].Sequence };
        }
    }

    private List<Hash> Hashes(int count) => [.. Enumerable.Range(0, count).Select(_ => _data.NextHash())];
}
