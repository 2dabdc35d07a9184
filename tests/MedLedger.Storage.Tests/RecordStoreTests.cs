using MedLedger.Core;
using MedLedger.Ledger;
using Xunit.Abstractions;

namespace MedLedger.Storage.Tests;

public sealed class RecordStoreTests : IDisposable
{
    private const int Seed = 20260101;

    private readonly TempDirectory _directory = new();
    private readonly RecordStoreTestData _data = new(Seed);
    private readonly string _path;

    public RecordStoreTests(ITestOutputHelper output)
    {
        output.WriteLine($"seed {Seed}");
        _path = _directory.File("records.db");
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void PutRecord_ThenGet_RoundTripsEveryTierAndBlob()
    {
        // Stores a record with all three tiers: GetRecord returns each tier (in tier order) with its address,
        // ciphertext and both envelopes byte for byte, and GetBlob finds each ciphertext by its address; a record
        // or address never stored reads as empty or null.
        using var store = Open();
        var record = _data.Record(tiers: [SensitivityTier.Sensitive, SensitivityTier.Identity, SensitivityTier.GeneralClinical]);

        store.PutRecord(record);

        RecordStoreTestData.AssertSameTiers(record.Tiers, store.GetRecord(record.RecordId));
        foreach (var tier in record.Tiers)
        {
            Assert.Equal(tier.Ciphertext, store.GetBlob(tier.Address));
        }

        Assert.Empty(store.GetRecord(_data.NextHash()));
        Assert.Null(store.GetBlob(_data.NextHash()));
    }

    [Fact]
    public void PutRecord_CiphertextNotAtItsAddress_IsRefused_AndLeavesNothing()
    {
        // The second tier's address is the hash of other bytes: the put throws ArgumentException naming the
        // mismatch, and neither the first (valid) tier nor anything else of the record is stored.
        using var store = Open();
        var record = _data.Record();
        var forged = record.Tiers[1] with { Address = _data.Suite.Hash(_data.Bytes(300)) };
        var refused = record with { Tiers = [record.Tiers[0], forged, record.Tiers[2]] };

        var error = Assert.Throws<ArgumentException>(() => store.PutRecord(refused));
        Assert.Contains("not to its address", error.Message, StringComparison.Ordinal);

        Assert.Empty(store.GetRecord(record.RecordId));
        Assert.All(record.Tiers, t => Assert.Null(store.GetBlob(t.Address)));
        Assert.Empty(store.EnumerateBlobs());
    }

    [Fact]
    public void PutRecord_MalformedTiers_AreRefusedWithArgumentException()
    {
        // No tiers, a tier named twice, the None tier, an undefined tier value, the same ciphertext in two tiers and
        // empty ciphertext or envelopes are each refused before anything is written.
        using var store = Open();
        var record = _data.Record();
        var first = record.Tiers[0];
        var malformed = new[]
        {
            record with { Tiers = [] },
            record with { Tiers = [first, _data.Tier(first.Tier)] },
            record with { Tiers = [first with { Tier = SensitivityTier.None }] },
            record with { Tiers = [first with { Tier = (SensitivityTier)99 }] },
            record with { Tiers = [first, first with { Tier = SensitivityTier.Sensitive }] },
            record with { Tiers = [first with { Ciphertext = [], Address = _data.Suite.Hash([]) }] },
            record with { Tiers = [first with { PatientEnvelope = [] }] },
            record with { Tiers = [first with { OrganisationEnvelope = [] }] },
        };

        foreach (var refused in malformed)
        {
            Assert.Throws<ArgumentException>(() => store.PutRecord(refused));
        }

        Assert.Empty(store.EnumerateBlobs());
    }

    [Fact]
    public void PutRecord_Again_IsANoOp()
    {
        // Putting the same record twice, and then only one of its tiers again, changes nothing: the record reads
        // back the same and the store holds exactly its three blobs.
        using var store = Open();
        var record = _data.Record();

        store.PutRecord(record);
        store.PutRecord(record);
        store.PutRecord(record with { Tiers = [record.Tiers[1]] });

        RecordStoreTestData.AssertSameTiers(record.Tiers, store.GetRecord(record.RecordId));
        Assert.Equal(3, store.EnumerateBlobs().Count());
    }

    [Fact]
    public void PutRecord_ConflictingWithHeldData_IsRefused_AndWritesNothingOfTheRecord()
    {
        // 1. Record A is held. 2. Record B's first tier is new, but its second tier is A's ciphertext: the put
        // fails with InvalidOperationException after B's first tier was inserted, and the transaction rolls that
        // back. 3. A re-put of A with another patient envelope is refused too, and A is unchanged.
        using var store = Open();
        var a = _data.Record();
        store.PutRecord(a);

        var newTier = _data.Tier(SensitivityTier.Identity);
        var b = new StoredRecord(_data.NextHash(), [newTier, a.Tiers[1]]);
        Assert.Throws<InvalidOperationException>(() => store.PutRecord(b));
        Assert.Empty(store.GetRecord(b.RecordId));
        Assert.Null(store.GetBlob(newTier.Address));

        var rewrapped = a with { Tiers = [a.Tiers[0] with { PatientEnvelope = _data.Bytes(113) }] };
        Assert.Throws<InvalidOperationException>(() => store.PutRecord(rewrapped));
        RecordStoreTestData.AssertSameTiers(a.Tiers, store.GetRecord(a.RecordId));
        Assert.Equal(3, store.EnumerateBlobs().Count());
    }

    [Fact]
    public void PutRecords_StoresEachRecord_AndRefusesOnlyTheBadOnes()
    {
        // A batch of five: 0, 2 and 4 are good; 1's ciphertext is not at its address (ArgumentException, refused before
        // the write); 3 reuses record 0's ciphertext (InvalidOperationException inside the shared transaction, rolled
        // back to its savepoint). Each slot of the result says so, the good records read back whole, the bad ones
        // left nothing (3's fresh first tier included), and an identical re-put of the batch's good records is a no-op.
        using var store = Open();
        var good = new[] { _data.Record(), _data.Record(), _data.Record() };
        var badTier = _data.Tier(SensitivityTier.GeneralClinical);
        var misaddressed = new StoredRecord(_data.NextHash(), [badTier with { Address = _data.NextHash() }]);
        var freshTier = _data.Tier(SensitivityTier.Identity);
        var conflicting = new StoredRecord(_data.NextHash(), [freshTier, good[0].Tiers[1]]);

        var errors = store.PutRecords([good[0], misaddressed, good[1], conflicting, good[2]]);

        Assert.Equal(5, errors.Count);
        Assert.Null(errors[0]);
        Assert.IsType<ArgumentException>(errors[1]);
        Assert.Null(errors[2]);
        Assert.IsType<InvalidOperationException>(errors[3]);
        Assert.Null(errors[4]);
        foreach (var record in good)
        {
            RecordStoreTestData.AssertSameTiers(record.Tiers, store.GetRecord(record.RecordId));
        }

        Assert.Empty(store.GetRecord(misaddressed.RecordId));
        Assert.Empty(store.GetRecord(conflicting.RecordId));
        Assert.Null(store.GetBlob(freshTier.Address));
        Assert.Equal(9, store.EnumerateBlobs().Count());

        Assert.All(store.PutRecords(good), Assert.Null);
        Assert.Equal(9, store.EnumerateBlobs().Count());
        Assert.Empty(store.PutRecords([]));
    }

    [Fact]
    public async Task PutRecords_FromConcurrentBatches_StoresEveryRecordOnce()
    {
        // Eight threads each store a batch of 16 records while the others do: every record of every batch is stored
        // (all slots null) and reads back whole; nothing is lost or duplicated across the shared group commits.
        using var store = Open();
        var batches = Enumerable.Range(0, 8).Select(_ => Enumerable.Range(0, 16).Select(_ => _data.Record(200, SensitivityTier.GeneralClinical)).ToList()).ToList();

        var results = await Task.WhenAll(batches.Select(batch => Task.Run(() => store.PutRecords(batch))));

        Assert.All(results.SelectMany(r => r), Assert.Null);
        foreach (var record in batches.SelectMany(b => b))
        {
            RecordStoreTestData.AssertSameTiers(record.Tiers, store.GetRecord(record.RecordId));
        }

        Assert.Equal(128, store.EnumerateBlobs().Count());
    }

    [Fact]
    public void EnumerateBlobs_ReturnsEveryHeldBlobOnce_InAddressOrder_AcrossPages()
    {
        // 90 records of two tiers (180 blobs, several pages of 64): the enumeration yields each blob exactly once
        // with its record, tier, address and ciphertext, in ascending address order.
        using var store = Open();
        var expected = new Dictionary<Hash, (Hash RecordId, StoredTier Tier)>();
        for (var i = 0; i < 90; i++)
        {
            var record = _data.Record(ciphertextBytes: 64 + i, SensitivityTier.GeneralClinical, SensitivityTier.Sensitive);
            store.PutRecord(record);
            foreach (var tier in record.Tiers)
            {
                expected.Add(tier.Address, (record.RecordId, tier));
            }
        }

        var blobs = store.EnumerateBlobs().ToList();

        Assert.Equal(expected.Count, blobs.Count);
        Assert.Equal(expected.Keys.Order(), blobs.Select(b => b.Address));
        foreach (var blob in blobs)
        {
            var (recordId, tier) = expected[blob.Address];
            Assert.Equal(recordId, blob.RecordId);
            Assert.Equal(tier.Tier, blob.Tier);
            Assert.Equal(tier.Ciphertext, blob.Ciphertext);
        }
    }

    [Fact]
    public void TamperedCiphertext_IsReturnedUnjudged_SoTheAuditCanReportIt()
    {
        // Flips a byte of a stored ciphertext with a separate connection: GetBlob, GetRecord and EnumerateBlobs
        // return the altered bytes under the original address, where their hash no longer matches (SPEC F21).
        using var store = Open();
        var record = _data.Record();
        store.PutRecord(record);
        var tier = record.Tiers[0];
        var altered = (byte[])tier.Ciphertext.Clone();
        altered[17] ^= 0x01;
        Assert.Equal(1, RecordStoreTestData.Execute(_path, "UPDATE blobs SET ciphertext = $c WHERE address = $a", ("$c", altered), ("$a", tier.Address.ToArray())));

        Assert.Equal(altered, store.GetBlob(tier.Address));
        Assert.Equal(altered, store.GetRecord(record.RecordId).Single(t => t.Tier == tier.Tier).Ciphertext);
        var held = store.EnumerateBlobs().Single(b => b.Address == tier.Address);
        Assert.NotEqual(held.Address, _data.Suite.Hash(held.Ciphertext));
    }

    [Fact]
    public void StructuralDamage_ThrowsStoreCorrupted()
    {
        // A blob whose envelopes were deleted behind the store's back, and an address column cut to 31 bytes, are
        // reported as StoreCorruptedException rather than as a partial record or a bad Hash.
        using var store = Open();
        var first = _data.Record();
        var second = _data.Record();
        store.PutRecord(first);
        store.PutRecord(second);

        RecordStoreTestData.Execute(_path, "DELETE FROM envelopes WHERE record_id = $r", ("$r", first.RecordId.ToArray()));
        Assert.Throws<StoreCorruptedException>(() => store.GetRecord(first.RecordId));

        RecordStoreTestData.Execute(_path, "UPDATE blobs SET address = substr(address, 1, 31) WHERE address = $a", ("$a", second.Tiers[0].Address.ToArray()));
        Assert.Throws<StoreCorruptedException>(() => store.GetRecord(second.RecordId));
        Assert.Throws<StoreCorruptedException>(() => store.EnumerateBlobs().ToList());
    }

    [Fact]
    public void Open_NotADatabase_OrAnotherSchemaVersion_ThrowsStoreCorrupted()
    {
        // A file of random bytes is not a readable store; a store whose meta row names schema version 2 is refused
        // by this build, which reads version 1.
        File.WriteAllBytes(_path, _data.Bytes(8192));
        Assert.Throws<StoreCorruptedException>(() => Open());

        var other = _directory.File("other.db");
        SqliteRecordStore.Open(other, _data.Suite).Dispose();
        RecordStoreTestData.Execute(other, "UPDATE meta SET schema_version = 2");
        var error = Assert.Throws<StoreCorruptedException>(() => SqliteRecordStore.Open(other, _data.Suite));
        Assert.Contains("schema version 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Shred_RemovesTheRecordsCiphertextAndEnvelopes_AndSaysWhetherAnythingWasHeld()
    {
        // Of two held records, shredding A returns true and removes every tier of A from GetRecord, GetBlob and
        // EnumerateBlobs; B is untouched; shredding A again, or a record never held, returns false.
        using var store = Open();
        var a = _data.Record();
        var b = _data.Record();
        store.PutRecord(a);
        store.PutRecord(b);

        Assert.True(store.Shred(a.RecordId));

        Assert.Empty(store.GetRecord(a.RecordId));
        Assert.All(a.Tiers, t => Assert.Null(store.GetBlob(t.Address)));
        Assert.Equal(b.Tiers.Select(t => t.Address).Order(), store.EnumerateBlobs().Select(h => h.Address));
        RecordStoreTestData.AssertSameTiers(b.Tiers, store.GetRecord(b.RecordId));
        Assert.Equal(0, CountRows("SELECT COUNT(*) FROM envelopes WHERE record_id = $r", a.RecordId));
        Assert.False(store.Shred(a.RecordId));
        Assert.False(store.Shred(_data.NextHash()));
        Assert.False(store.ShredCheckpointPending);
    }

    [Fact]
    public void Shred_LeavesNoCopyOfTheBytes_InTheDatabaseWalOrShmFile()
    {
        // 1. Store records with a small tier (kept inside a table page) and a 100 KiB tier (on overflow pages),
        // checkpointed into the database file and also still in the WAL, plus a neighbour record. 2. Before the
        // shred, a 64-byte slice of each ciphertext and each envelope is found in the raw files, so the search
        // works. 3. After Shred none of them is found in records.db, records.db-wal or records.db-shm, while the
        // neighbour's bytes still are. 4. The same holds after closing the store.
        var store = Open();
        var small = _data.Record(ciphertextBytes: 300, SensitivityTier.Identity);
        var large = _data.Record(ciphertextBytes: 100 * 1024, SensitivityTier.Sensitive);
        var neighbour = _data.Record(ciphertextBytes: 300, SensitivityTier.GeneralClinical);
        store.PutRecord(small);
        store.PutRecord(neighbour);
        RecordStoreTestData.Execute(_path, "PRAGMA wal_checkpoint(PASSIVE)");
        store.PutRecord(large);
        var secrets = new[] { small, large }
            .SelectMany(r => r.Tiers)
            .SelectMany(t => new[] { Slice(t.Ciphertext), Slice(t.PatientEnvelope), Slice(t.OrganisationEnvelope) })
            .ToList();
        var neighbourSlice = Slice(neighbour.Tiers[0].Ciphertext);
        Assert.All(secrets, s => Assert.NotEmpty(RecordStoreTestData.FilesContaining(_path, s)));

        Assert.True(store.Shred(small.RecordId));
        Assert.True(store.Shred(large.RecordId));

        Assert.False(store.ShredCheckpointPending);
        Assert.All(secrets, s => Assert.Empty(RecordStoreTestData.FilesContaining(_path, s)));
        Assert.NotEmpty(RecordStoreTestData.FilesContaining(_path, neighbourSlice));

        store.Dispose();
        Assert.All(secrets, s => Assert.Empty(RecordStoreTestData.FilesContaining(_path, s)));
        Assert.Equal(["records.db"], RecordStoreTestData.FilesContaining(_path, neighbourSlice));
    }

    [Fact]
    public void Shred_WhileAReaderHoldsASnapshot_StaysPendingInTheWal_UntilTheNextWrite()
    {
        // 1. A separate connection holds a read snapshot, which keeps SQLite from truncating the WAL. 2. Shred
        // still deletes the record, but ShredCheckpointPending is true and the WAL still holds the old page images
        // (the documented limit). 3. Once the reader ends, the next write completes the checkpoint: nothing pending
        // and no copy of the bytes in any file.
        using var store = Open();
        var record = _data.Record(ciphertextBytes: 500, SensitivityTier.GeneralClinical);
        store.PutRecord(record);
        var secret = Slice(record.Tiers[0].Ciphertext);

        using (var reader = RecordStoreTestData.OpenRawConnection(_path))
        using (var snapshot = reader.BeginTransaction(deferred: true))
        {
            using var command = reader.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM blobs";
            Assert.Equal(1L, command.ExecuteScalar());

            Assert.True(store.Shred(record.RecordId));

            Assert.Empty(store.GetRecord(record.RecordId));
            Assert.True(store.ShredCheckpointPending);
            Assert.Contains("records.db-wal", RecordStoreTestData.FilesContaining(_path, secret));
        }

        store.PutRecord(_data.Record());

        Assert.False(store.ShredCheckpointPending);
        Assert.Empty(RecordStoreTestData.FilesContaining(_path, secret));
    }

    [Fact]
    public void UpdateVault_AndEmpiReplacement_LeaveNoCopyOfTheOldSecrets_InTheFiles()
    {
        // A vault replaced after a passphrase change, and sealed demographics replaced in the EMPI, are found in
        // the raw files before the update and nowhere afterwards: the update is followed by the shred checkpoint.
        using var store = Open();
        var oldVault = _data.Bytes(400);
        var oldDemographics = _data.Bytes(400);
        store.PutCustodialAccount(new CustodialAccount("alice", _data.NextHash(), AccountRole.Patient, "hospital-a", oldVault, 1_767_225_600_000));
        store.PutEmpiEntry(new EmpiEntry("alice", _data.Bytes(32), _data.Bytes(32), oldDemographics, [_data.NextHash()]));
        store.PutRecord(_data.Record());
        Assert.NotEmpty(RecordStoreTestData.FilesContaining(_path, Slice(oldVault)));
        Assert.NotEmpty(RecordStoreTestData.FilesContaining(_path, Slice(oldDemographics)));

        store.UpdateVault("alice", _data.Bytes(400));
        store.PutEmpiEntry(new EmpiEntry("alice", _data.Bytes(32), _data.Bytes(32), _data.Bytes(400), [_data.NextHash()]));

        Assert.False(store.ShredCheckpointPending);
        Assert.Empty(RecordStoreTestData.FilesContaining(_path, Slice(oldVault)));
        Assert.Empty(RecordStoreTestData.FilesContaining(_path, Slice(oldDemographics)));
    }

    [Fact]
    public void Reopen_KeepsRecordsAccountsEmpiAndIndex()
    {
        // 1. Fill every part of the store and close it. 2. Reopen the file: the record, the custodial account, the
        // EMPI entry, the index height, indexed records and access entries all read back as written, and the file
        // is still in WAL mode. 3. The reopened index accepts the next height and refuses a repeated one.
        var record = _data.Record();
        var userId = _data.NextHash();
        var account = new CustodialAccount("Dr.Weber", userId, AccountRole.Doctor, "hospital-a", _data.Bytes(200), 1_767_225_600_000);
        var pseudonyms = new[] { _data.NextHash(), _data.NextHash() };
        var empi = new EmpiEntry("patient-17", _data.Bytes(32), _data.Bytes(32), _data.Bytes(150), pseudonyms);
        var indexed = _data.IndexedRecord(1, pseudonyms[0], userId, 1_767_225_700_000);
        var access = _data.Access([userId], pseudonyms, [indexed.RecordId], 1_767_225_800_000);
        using (var store = Open())
        {
            store.PutRecord(record);
            store.PutCustodialAccount(account);
            store.PutEmpiEntry(empi);
            store.Index(new IndexBatch(1, [indexed], [], [access]));
            store.Index(new IndexBatch(2, [], [indexed.RecordId], []));
        }

        using var reopened = Open();
        RecordStoreTestData.AssertSameTiers(record.Tiers, reopened.GetRecord(record.RecordId));
        var loadedAccount = reopened.GetCustodialAccount("dr.weber")!;
        Assert.Equal((account.Username, account.UserId, account.Role, account.Organisation, account.CreatedUnixMilliseconds), (loadedAccount.Username, loadedAccount.UserId, loadedAccount.Role, loadedAccount.Organisation, loadedAccount.CreatedUnixMilliseconds));
        Assert.Equal(account.Vault, loadedAccount.Vault);
        var loadedEmpi = reopened.FindEmpiEntryByPseudonym(pseudonyms[1])!;
        Assert.Equal(empi.SealedDemographics, loadedEmpi.SealedDemographics);
        Assert.Equal(pseudonyms, loadedEmpi.Pseudonyms);
        Assert.Equal(2UL, reopened.IndexedHeight);
        Assert.Equal([indexed with { Erased = true }], reopened.RecordsByAuthor(userId, 10));
        Assert.Equal([new IndexedAccess(1, 1, access.TransactionId, access.Organisation, access.Entry)], reopened.QueryAccess(new AccessQuery()));
        using (var connection = RecordStoreTestData.OpenRawConnection(_path))
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA journal_mode";
            Assert.Equal("wal", command.ExecuteScalar());
        }

        Assert.Throws<InvalidOperationException>(() => reopened.Index(new IndexBatch(2, [], [], [])));
        reopened.Index(new IndexBatch(3, [], [], []));
        Assert.Equal(3UL, reopened.IndexedHeight);
    }

    [Fact]
    public void Dispose_ThenUse_ThrowsObjectDisposed()
    {
        // After Dispose every read and write refuses with ObjectDisposedException; a second Dispose is harmless.
        var store = Open();
        store.Dispose();
        store.Dispose();

        Assert.Throws<ObjectDisposedException>(() => store.GetBlob(Hash.Zero));
        Assert.Throws<ObjectDisposedException>(() => store.PutRecord(_data.Record()));
        Assert.Throws<ObjectDisposedException>(() => store.Shred(Hash.Zero));
        Assert.Throws<ObjectDisposedException>(() => store.EnumerateBlobs());
        Assert.Throws<ObjectDisposedException>(() => store.QueryAccess(new AccessQuery()));
    }

    private static byte[] Slice(byte[] bytes) => bytes.AsSpan(bytes.Length / 2 - 32, 64).ToArray();

    private SqliteRecordStore Open() => SqliteRecordStore.Open(_path, _data.Suite);

    private long CountRows(string sql, Hash recordId)
    {
        using var connection = RecordStoreTestData.OpenRawConnection(_path);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$r", recordId.ToArray());
        return (long)command.ExecuteScalar()!;
    }
}
