using MedLedger.Core;
using MedLedger.Ledger;
using Xunit.Abstractions;

namespace MedLedger.Storage.Tests;

/// <summary>
/// Pending writes in a real SQLite <c>records.db</c>: the ciphertext of a write request registered with its expiry
/// height in the same transaction, the expiry query, the settlement that shreds or releases, and the upgrade of a file
/// created before the table existed.
/// </summary>
public sealed class RecordStorePendingWriteTests : IDisposable
{
    private const int Seed = 20260518;

    private readonly TempDirectory _directory = new();
    private readonly RecordStoreTestData _data = new(Seed);
    private readonly string _path;

    public RecordStorePendingWriteTests(ITestOutputHelper output)
    {
        output.WriteLine($"seed {Seed}");
        _path = _directory.File("records.db");
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void PutRecords_WithPendingWrites_RegistersEachWithItsRecord_AndNothingForARefusedRecord()
    {
        // A batch of a pending record, a plain record and a pending record whose id is already held with other tiers:
        // the first is stored and registered, the second stored and not registered, the third refused — and, being in
        // the same transaction as its record, its registration is rolled back with it.
        using var store = Open();
        var pending = _data.Record();
        var plain = _data.Record();
        var held = _data.Record();
        store.PutRecord(held);
        var conflicting = _data.Record() with { RecordId = held.RecordId };

        var errors = store.PutRecords([pending, plain, conflicting], [new PendingWrite(pending.RecordId, 10), new PendingWrite(held.RecordId, 5)]);

        Assert.Null(errors[0]);
        Assert.Null(errors[1]);
        Assert.IsType<InvalidOperationException>(errors[2]);
        RecordStoreTestData.AssertSameTiers(pending.Tiers, store.GetRecord(pending.RecordId));
        RecordStoreTestData.AssertSameTiers(plain.Tiers, store.GetRecord(plain.RecordId));
        Assert.Equal([new PendingWrite(pending.RecordId, 10)], store.ExpiredPendingWrites(ulong.MaxValue, 100));
    }

    [Fact]
    public void ExpiredPendingWrites_ListsExpiryBelowTheHeight_ByExpiryThenId_UpToTheLimit()
    {
        // Six registrations with expiry heights 3, 5, 5, 7, 9 and long.MaxValue: at height 7 the three below 7 are
        // expired (7 itself is not: a request may still be answered in its expiry block), in expiry order and, at equal
        // expiry, in record id order; the limit cuts the list, a limit below 1 counts as 1, and a height beyond
        // long.MaxValue lists all six.
        using var store = Open();
        var ids = Enumerable.Range(0, 6).Select(_ => _data.NextHash()).ToList();
        ulong[] expiries = [5, 3, 9, 5, 7, long.MaxValue];
        store.RegisterPendingWrites([.. ids.Select((id, i) => new PendingWrite(id, expiries[i]))]);
        var fives = new[] { ids[0], ids[3] }.OrderBy(id => Convert.ToHexString(id.ToArray()), StringComparer.Ordinal).ToList();

        var expired = store.ExpiredPendingWrites(7, 100);

        Assert.Equal([new PendingWrite(ids[1], 3), new PendingWrite(fives[0], 5), new PendingWrite(fives[1], 5)], expired);
        Assert.Equal(expired.Take(2), store.ExpiredPendingWrites(7, 2));
        Assert.Equal(expired.Take(1), store.ExpiredPendingWrites(7, 0));
        Assert.Empty(store.ExpiredPendingWrites(3, 100));
        Assert.Equal(5, store.ExpiredPendingWrites(long.MaxValue, 100).Count);
        Assert.Equal(6, store.ExpiredPendingWrites(ulong.MaxValue, 100).Count);
    }

    [Fact]
    public void RegisterPendingWrites_KeepsTheLaterExpiry_AndSurvivesReopening()
    {
        // Registering a record again never brings its expiry forward (10 then 4 stays 10) but may push it back (then
        // 20); the registration is in the file, so a reopened store still lists it.
        var recordId = _data.NextHash();
        using (var store = Open())
        {
            store.RegisterPendingWrites([new PendingWrite(recordId, 10)]);
            store.RegisterPendingWrites([new PendingWrite(recordId, 4)]);
            Assert.Equal([new PendingWrite(recordId, 10)], store.ExpiredPendingWrites(ulong.MaxValue, 10));
            store.RegisterPendingWrites([new PendingWrite(recordId, 20)]);
        }

        using var reopened = Open();
        Assert.Equal([new PendingWrite(recordId, 20)], reopened.ExpiredPendingWrites(ulong.MaxValue, 10));
        Assert.Empty(reopened.ExpiredPendingWrites(20, 10));
    }

    [Fact]
    public void MalformedPendingWrites_AreRefused_AndWriteNothing()
    {
        // An expiry SQLite cannot hold, two registrations of one record, a null entry, a pending write naming no record
        // of the batch, and an id both shredded and released are refused with ArgumentException (out of range for the
        // expiry) before anything is written.
        using var store = Open();
        var record = _data.Record();
        var id = _data.NextHash();

        Assert.Throws<ArgumentOutOfRangeException>(() => store.RegisterPendingWrites([new PendingWrite(id, (ulong)long.MaxValue + 1)]));
        Assert.Throws<ArgumentException>(() => store.RegisterPendingWrites([new PendingWrite(id, 1), new PendingWrite(id, 2)]));
        Assert.Throws<ArgumentException>(() => store.RegisterPendingWrites([null!]));
        Assert.Throws<ArgumentException>(() => store.PutRecords([record], [new PendingWrite(id, 1)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.PutRecords([record], [new PendingWrite(record.RecordId, ulong.MaxValue)]));
        Assert.Throws<ArgumentException>(() => store.SettlePendingWrites(10, [id], [id]));

        Assert.Empty(store.GetRecord(record.RecordId));
        Assert.Empty(store.ExpiredPendingWrites(ulong.MaxValue, 10));
    }

    [Fact]
    public void SettlePendingWrites_ShredsAndReleasesOnlyWhatExpired()
    {
        // Settling at height 10: 1. an expired registration to shred loses its ciphertext, envelopes and registration,
        // and no byte of them is left in the files; 2. an expired one to release keeps its ciphertext, loses its
        // registration; 3. one registered to expire at 10 (not before) is left whole although named; 4. an expired one
        // with no ciphertext held loses its registration and is not reported shredded; 5. a record held but not
        // registered is left whole although named. Only the first is returned.
        using var store = Open();
        var shredded = _data.Record();
        var released = _data.Record();
        var notYet = _data.Record();
        var unregistered = _data.Record();
        var empty = _data.NextHash();
        store.PutRecords([shredded, released, notYet, unregistered], [new PendingWrite(shredded.RecordId, 9), new PendingWrite(released.RecordId, 3), new PendingWrite(notYet.RecordId, 10)]);
        store.RegisterPendingWrites([new PendingWrite(empty, 2)]);
        var secrets = shredded.Tiers.SelectMany(t => new[] { t.Ciphertext, t.PatientEnvelope, t.OrganisationEnvelope }).Select(Slice).ToList();
        Assert.All(secrets, s => Assert.NotEmpty(RecordStoreTestData.FilesContaining(_path, s)));

        var result = store.SettlePendingWrites(10, [shredded.RecordId, notYet.RecordId, empty, unregistered.RecordId], [released.RecordId]);

        // 1.
        Assert.Equal([shredded.RecordId], result);
        Assert.Empty(store.GetRecord(shredded.RecordId));
        Assert.All(shredded.Tiers, t => Assert.Null(store.GetBlob(t.Address)));
        Assert.False(store.ShredCheckpointPending);
        Assert.All(secrets, s => Assert.Empty(RecordStoreTestData.FilesContaining(_path, s)));

        // 2., 3., 5.
        RecordStoreTestData.AssertSameTiers(released.Tiers, store.GetRecord(released.RecordId));
        RecordStoreTestData.AssertSameTiers(notYet.Tiers, store.GetRecord(notYet.RecordId));
        RecordStoreTestData.AssertSameTiers(unregistered.Tiers, store.GetRecord(unregistered.RecordId));

        // 2., 3., 4.: only the registration that had not expired is left.
        Assert.Equal([new PendingWrite(notYet.RecordId, 10)], store.ExpiredPendingWrites(ulong.MaxValue, 10));

        // Settling again changes nothing.
        Assert.Empty(store.SettlePendingWrites(10, [shredded.RecordId, empty], [released.RecordId]));
    }

    [Fact]
    public void Open_UpgradesARecordsDbCreatedWithoutTheTable()
    {
        // 1. A records.db with a record and an index height but no pending_writes table or index (as every file written
        // before they existed). 2. Opening it adds both and keeps what was there; 3. the upgraded store registers,
        // lists and settles pending writes.
        var record = _data.Record();
        using (var store = Open())
        {
            store.PutRecord(record);
            store.Index(new IndexBatch(1, [], [], []));
        }

        RecordStoreTestData.Execute(_path, "DROP INDEX pending_writes_by_expiry; DROP TABLE pending_writes;");
        Assert.Equal(0L, SchemaObjects());

        using var upgraded = Open();
        Assert.Equal(2L, SchemaObjects());
        RecordStoreTestData.AssertSameTiers(record.Tiers, upgraded.GetRecord(record.RecordId));
        Assert.Equal(1UL, upgraded.IndexedHeight);
        Assert.Empty(upgraded.ExpiredPendingWrites(ulong.MaxValue, 10));

        upgraded.RegisterPendingWrites([new PendingWrite(record.RecordId, 1)]);
        Assert.Equal([new PendingWrite(record.RecordId, 1)], upgraded.ExpiredPendingWrites(2, 10));
        Assert.Equal([record.RecordId], upgraded.SettlePendingWrites(2, [record.RecordId], []));
        Assert.Empty(upgraded.GetRecord(record.RecordId));
    }

    [Fact]
    public void Dispose_ThenPendingWriteCalls_ThrowObjectDisposed()
    {
        // After Dispose the pending-write members refuse like every other member.
        var store = Open();
        store.Dispose();

        Assert.Throws<ObjectDisposedException>(() => store.RegisterPendingWrites([new PendingWrite(Hash.Zero, 1)]));
        Assert.Throws<ObjectDisposedException>(() => store.RegisterPendingWrites([]));
        Assert.Throws<ObjectDisposedException>(() => store.ExpiredPendingWrites(1, 1));
        Assert.Throws<ObjectDisposedException>(() => store.SettlePendingWrites(1, [Hash.Zero], []));
        var record = _data.Record(tiers: [SensitivityTier.Identity]);
        Assert.IsType<ObjectDisposedException>(store.PutRecords([record], [new PendingWrite(record.RecordId, 1)])[0]);
    }

    private static byte[] Slice(byte[] bytes) => bytes.AsSpan(bytes.Length / 2 - 32, 64).ToArray();

    private SqliteRecordStore Open() => SqliteRecordStore.Open(_path, _data.Suite);

    // How many of the pending_writes table and its index the file's schema holds.
    private long SchemaObjects()
    {
        using var connection = RecordStoreTestData.OpenRawConnection(_path);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('pending_writes', 'pending_writes_by_expiry')";
        return (long)command.ExecuteScalar()!;
    }
}
