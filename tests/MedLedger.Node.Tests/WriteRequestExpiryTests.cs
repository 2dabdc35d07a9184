using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Sharing.Demo;
using MedLedger.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace MedLedger.Node.Tests;

/// <summary>
/// Write requests that lapse, on the real node (REST API, consensus, chain indexer, SQLite records.db): the ciphertext
/// of a request that expires unanswered, or that never reaches the chain, is shredded once the chain is past its expiry
/// height, while an approved request's ciphertext and an open request's stay.
/// </summary>
public sealed class WriteRequestExpiryTests(MedicalNodeFixture fixture) : IClassFixture<MedicalNodeFixture>
{
    private MedicalTestNode Node => fixture.Node;

    private LedgerStateMachine Ledger => Node.App.Services.GetRequiredService<LedgerStateMachine>();

    private IRecordStore Store => Node.App.Services.GetRequiredService<IRecordStore>();

    // Proves the sweep on committed requests: 1. the doctor asks three patients' approval — one request open for 10
    // blocks, one for the default 100,000, one for 3 blocks — and each is registered as a pending write; 2. the second patient approves in time; 3. the chain moves
    // past both short expiry heights; 4. the unanswered short request's ciphertext is gone from the store and the
    // integrity audit, its registration dropped, and the doctor sees it expired; 5. the approved record keeps its
    // ciphertext (read back with its commitments verified) and loses its registration; 6. the open request is untouched
    // and still reviewable by its patient.
    [Fact]
    public async Task ExpiredUnanswered_IsShredded_WhileApprovedAndOpenKeepTheirCiphertext()
    {
        // 1.
        var doctor = Node.ClientFor(await Node.RegisterAsync(MedicalTestNode.StMary, AccountRole.Doctor, "Dr Lapse"));
        var (_, silentPatient) = await Node.EnrolPatientAsync(doctor, MedicalTestNode.StMary, "lapse.silent", "NID-WX-001");
        var (approverKey, approverPatient) = await Node.EnrolPatientAsync(doctor, MedicalTestNode.StMary, "lapse.approver", "NID-WX-002");
        var (waiterKey, waiterPatient) = await Node.EnrolPatientAsync(doctor, MedicalTestNode.StMary, "lapse.waiter", "NID-WX-003");
        var approved = await RequestAsync(doctor, approverPatient, 22, lifetimeBlocks: 10);
        var open = await RequestAsync(doctor, waiterPatient, 23, MedLedgerUserClient.DefaultWriteRequestLifetimeBlocks);
        var expiring = await RequestAsync(doctor, silentPatient, 21, lifetimeBlocks: 3);
        var expiringHeight = Ledger.GetWriteRequest(expiring.RecordId)!.Request.ExpiresAtHeight;
        var approvedHeight = Ledger.GetWriteRequest(approved.RecordId)!.Request.ExpiresAtHeight;
        var openHeight = Ledger.GetWriteRequest(open.RecordId)!.Request.ExpiresAtHeight;
        await WaitUntilAsync(() => Registered(expiring.RecordId) && Registered(approved.RecordId) && Registered(open.RecordId), "the three requests are registered as pending writes");
        Assert.NotEmpty(Store.GetRecord(expiring.RecordId));

        // 2.
        var approverClient = Node.ClientFor(approverKey);
        Assert.Equal("approved", (await approverClient.ApproveWriteRequestAsync(approved.RecordId)).Status);

        // 3.
        await AdvancePastAsync(Math.Max(expiringHeight, approvedHeight));

        // 4.
        await WaitUntilAsync(() => !Registered(expiring.RecordId) && !Registered(approved.RecordId), "the lapsed pending writes are settled");
        Assert.True(Ledger.GetWriteRequest(expiring.RecordId)!.IsExpiredAt(Ledger.Height));
        Assert.Empty(Store.GetRecord(expiring.RecordId));
        Assert.All(expiring.Anchor.Tiers, t => Assert.Null(Store.GetBlob(t.ContentAddress)));
        var audit = await Node.ClientFor(Node.Admins[MedicalTestNode.StMary]).CheckIntegrityAsync();
        Assert.DoesNotContain(audit.Failures, f => f.RecordId == expiring.RecordId.ToString());
        Assert.Equal("expired", Assert.Single((await doctor.ListWriteRequestsAsync()).Requests, r => r.RecordId == expiring.RecordId.ToString()).Status);

        // 5.
        Assert.Equal(approved.Tiers.Count, Store.GetRecord(approved.RecordId).Count);
        var read = await approverClient.ReadRecordAsync(approved.RecordId, AccessPurpose.Treatment, MedicalTestNode.Merge);
        Assert.Equal(approved.RecordId.ToString(), read.Record.RecordId);
        Assert.DoesNotContain(audit.Failures, f => f.RecordId == approved.RecordId.ToString());

        // 6.
        Assert.Equal(open.Tiers.Count, Store.GetRecord(open.RecordId).Count);
        Assert.Contains(new PendingWrite(open.RecordId, openHeight), Store.ExpiredPendingWrites(ulong.MaxValue, SqliteRecordStore.MaxQueryLimit));
        Assert.Equal("pending", (await Node.ClientFor(waiterKey).ReadWriteRequestAsync(open.RecordId, MedicalTestNode.Merge)).Record.Status);
    }

    // Proves the rule for a request the ledger never saw (its upload stored the ciphertext, but the transaction was
    // dropped before a block took it): 1. two such uploads are registered as the upload path does — one to expire at the
    // current height, one far ahead (a request that may still commit); the audit calls the first an orphan; 2. the chain
    // moves past the first expiry; 3. the first is shredded and no longer an orphan; the second, whose expiry has not
    // come, is held and registered still.
    [Fact]
    public async Task NeverCommitted_IsShreddedOnlyOnceItsStoredExpiryHasPassed()
    {
        // 1.
        var suite = Node.Suite;
        var lapsed = SealedLooking(suite, 31);
        var waiting = SealedLooking(suite, 32);
        var now = Ledger.Height;
        var stored = Store.PutRecords([lapsed, waiting], [new PendingWrite(lapsed.RecordId, now), new PendingWrite(waiting.RecordId, now + 1_000)]);
        Assert.All(stored, Assert.Null);
        var admin = Node.ClientFor(Node.Admins[MedicalTestNode.StMary]);
        Assert.Contains((await admin.CheckIntegrityAsync()).Failures, f => f.RecordId == lapsed.RecordId.ToString());

        // 2.
        await AdvancePastAsync(now);

        // 3.
        await WaitUntilAsync(() => Store.GetRecord(lapsed.RecordId).Count == 0, "the never-committed request's ciphertext is shredded");
        Assert.False(Registered(lapsed.RecordId));
        Assert.Null(Ledger.GetWriteRequest(lapsed.RecordId));
        Assert.DoesNotContain((await admin.CheckIntegrityAsync()).Failures, f => f.RecordId == lapsed.RecordId.ToString());
        Assert.Equal(waiting.Tiers.Count, Store.GetRecord(waiting.RecordId).Count);
        Assert.Contains(new PendingWrite(waiting.RecordId, now + 1_000), Store.ExpiredPendingWrites(ulong.MaxValue, SqliteRecordStore.MaxQueryLimit));

        // Leave no orphan behind for the other tests of this node.
        Store.Shred(waiting.RecordId);
    }

    // A doctor's pending upload of a laboratory record from the synthetic patient of this seed, committed.
    private static async Task<(Hash RecordId, RecordAnchorPayload Anchor, IReadOnlyList<RecordTierUpload> Tiers)> RequestAsync(MedLedgerUserClient doctor, Hash patient, int seed, ulong lifetimeBlocks)
    {
        var document = SyntheticPatients.GeneratePatient(seed, 0).Records.First(r => r.Category == RecordCategory.Laboratory).Json.ToArray();
        var draft = await new RecordWriter(doctor).PrepareRecordAsync(patient, RecordCategory.Laboratory, document, MedicalTestNode.Split);
        var uploaded = await doctor.RequestRecordWriteAsync(draft, lifetimeBlocks);
        Assert.NotNull(uploaded.Height);
        return (draft.RecordId, draft.Anchor, draft.Tiers);
    }

    // Random bytes stored as a record's two tiers at their true addresses (the store checks nothing else), as a node
    // holds a pending upload whose request the chain has not seen.
    private static StoredRecord SealedLooking(ICryptoSuite suite, int seed)
    {
        var random = new Random(seed);
        byte[] Bytes(int length)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            return bytes;
        }

        StoredTier Tier(SensitivityTier tier)
        {
            var ciphertext = Bytes(400);
            return new StoredTier(tier, suite.Hash(ciphertext), ciphertext, Bytes(113), Bytes(113));
        }

        return new StoredRecord(new Hash(Bytes(Hash.Size)), [Tier(SensitivityTier.Identity), Tier(SensitivityTier.GeneralClinical)]);
    }

    private bool Registered(Hash recordId) =>
        Store.ExpiredPendingWrites(ulong.MaxValue, SqliteRecordStore.MaxQueryLimit).Any(p => p.RecordId == recordId);

    // Commits blocks (each registers a user) until the ledger and the index are two blocks past the height.
    private async Task AdvancePastAsync(ulong height)
    {
        var guard = 0;
        while (Ledger.Height < height + 2)
        {
            Assert.True(++guard < 50, $"the chain did not pass height {height}");
            await Node.RegisterAsync(MedicalTestNode.StMary, AccountRole.Doctor, $"Dr Tick {guard}");
        }

        await WaitUntilAsync(() => Store.IndexedHeight >= height + 2, $"the index reaches height {height + 2}");
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after 30 s waiting until {what}.");
            }

            await Task.Delay(50);
        }
    }
}
