using System.Net;
using MedLedger.Client;
using MedLedger.Ledger;
using MedLedger.Sharing.Demo;
using MedLedger.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace MedLedger.Node.Tests;

/// <summary>
/// Record write requests over the real REST API and SQLite store (issue 5): a doctor uploads in pending mode, the
/// patient lists and approves (the record is then readable with its commitments verified, in the timeline, the practice
/// history and the access log) or declines (no record; the held ciphertext is shredded); nobody else may answer.
/// </summary>
public sealed class WriteRequestApiTests(MedicalNodeFixture fixture) : IClassFixture<MedicalNodeFixture>
{
    private MedicalTestNode Node => fixture.Node;

    private LedgerStateMachine Ledger => Node.App.Services.GetRequiredService<LedgerStateMachine>();

    private IRecordStore Store => Node.App.Services.GetRequiredService<IRecordStore>();

    // Proves the approve path end to end: 1. the doctor's pending upload commits a request and stores the sealed tiers,
    // but no record exists (reads are 404) and the integrity audit does not call the ciphertext an orphan; 2. the patient lists it with its metadata and reviews its
    // content; 3. another patient (or the doctor) cannot see the content, decline it through the API or approve it on chain; 4. the patient approves; 5. the patient reads it back with every
    // commitment verified, it appears in the timeline, the practice history and the access log; 6. answering again is
    // refused.
    [Fact]
    public async Task Approve_MakesTheRecordReadable_Listed_AndLogged()
    {
        var doctorKey = await Node.RegisterAsync(MedicalTestNode.StMary, AccountRole.Doctor, "Dr Wren Pending");
        var doctor = Node.ClientFor(doctorKey);
        var doctorId = Node.Suite.Hash(doctorKey.PublicKey.Span);
        var (patientKey, patient) = await Node.EnrolPatientAsync(doctor, MedicalTestNode.StMary, "pending.approver", "NID-WR-001");
        var patientClient = Node.ClientFor(patientKey);
        var document = SyntheticPatients.GeneratePatient(11, 0).Records.First(r => r.Category == RecordCategory.Laboratory).Json.ToArray();

        // 1. The pending upload.
        var draft = await new RecordWriter(doctor).PrepareRecordAsync(patient, RecordCategory.Laboratory, document, MedicalTestNode.Split);
        var uploaded = await doctor.RequestRecordWriteAsync(draft);
        Assert.NotNull(uploaded.Height);
        var recordId = draft.RecordId;
        Assert.Equal(recordId.ToString(), uploaded.RecordId);
        Assert.Null(Ledger.GetRecord(recordId));
        Assert.Equal(WriteRequestStatus.Open, Ledger.GetWriteRequest(recordId)!.Status);
        Assert.Equal(draft.Tiers.Count, Store.GetRecord(recordId).Count);
        var unread = await Assert.ThrowsAsync<MedLedgerApiException>(() => patientClient.ReadRecordAsync(recordId));
        Assert.Equal(HttpStatusCode.NotFound, unread.StatusCode);

        // The integrity audit checks the held ciphertext of an open request against the requested anchor: not an orphan.
        var audit = await Node.ClientFor(Node.Admins[MedicalTestNode.StMary]).CheckIntegrityAsync();
        Assert.DoesNotContain(audit.Failures, f => f.RecordId == recordId.ToString());

        // 2. The patient's list (and the doctor's, with its status).
        var pending = Assert.Single((await patientClient.ListWriteRequestsAsync()).Requests, r => r.RecordId == recordId.ToString());
        Assert.Equal("Dr Wren Pending", pending.AuthorName);
        Assert.Equal("St Mary's Hospital", pending.OrganisationName);
        Assert.Equal("laboratory", pending.Category);
        Assert.Equal("open", pending.Status);
        Assert.Equal(draft.Anchor.Tiers.Select(t => ApiNames.Of(t.Tier)), pending.Tiers);
        Assert.Equal("open", Assert.Single((await doctor.ListWriteRequestsAsync()).Requests, r => r.RecordId == recordId.ToString()).Status);

        // The patient reviews the content before answering (verified against the requested pointers and commitments).
        var preview = await patientClient.ReadWriteRequestAsync(recordId, MedicalTestNode.Merge);
        Assert.Equal(MedicalTestNode.Merge(MedicalTestNode.Split(document)), preview.Merged);
        Assert.Equal("pending", preview.Record.Status);

        // 3. Another patient: refused by the API (and logged), and by the chain when sent as a transaction.
        var (otherKey, _) = await Node.EnrolPatientAsync(doctor, MedicalTestNode.StMary, "pending.other", "NID-WR-002");
        var other = Node.ClientFor(otherKey);
        var peek = await Assert.ThrowsAsync<MedLedgerApiException>(() => other.GetWriteRequestContentAsync(recordId));
        Assert.Equal(HttpStatusCode.Forbidden, peek.StatusCode);
        var doctorPeek = await Assert.ThrowsAsync<MedLedgerApiException>(() => doctor.GetWriteRequestContentAsync(recordId));
        Assert.Equal(HttpStatusCode.Forbidden, doctorPeek.StatusCode);
        var refused = await Assert.ThrowsAsync<MedLedgerApiException>(() => other.DeclineWriteRequestAsync(recordId));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        await Assert.ThrowsAsync<MedLedgerClientException>(() => other.ApproveWriteRequestAsync(recordId));
        var otherFactory = await other.GetTransactionFactoryAsync();
        var forged = otherFactory.RespondToWriteRequest(recordId, otherKey.Sign(draft.Anchor.EncodeConsentStatement(MedicalTestNode.ChainId)));
        Assert.Equal("NotAuthorized", await RejectionOf(() => other.SubmitAsync(forged)));
        Assert.Equal(WriteRequestStatus.Open, Ledger.GetWriteRequest(recordId)!.Status);

        // 4. The patient approves.
        var approved = await patientClient.ApproveWriteRequestAsync(recordId);
        Assert.Equal("approved", approved.Status);
        Assert.NotNull(approved.Height);
        var entry = Ledger.GetRecord(recordId)!;
        Assert.Equal(WriteAuthorisation.PatientSignature, entry.Authorisation);
        Assert.Equal(patient, Ledger.GetWriteRequest(recordId)!.ConsentSigner);

        // 5. Readable (the reader checks each tier's address and commitment), listed and logged.
        var read = await patientClient.ReadRecordAsync(recordId, AccessPurpose.Treatment, MedicalTestNode.Merge);
        Assert.Equal(MedicalTestNode.Merge(MedicalTestNode.Split(document)), read.Merged);
        Assert.Equal(recordId.ToString(), read.Record.RecordId);
        await MedicalTestNode.WaitForLogAsync(patientClient, new AccessLogQuery(Patients: [patient]), e => e.Action == "write" && e.Outcome == "allowed" && e.RecordId == recordId.ToString());
        Assert.Contains((await patientClient.ListPatientRecordsAsync([patient])).Records, r => r.RecordId == recordId.ToString());
        Assert.Contains((await doctor.ListAuthoredRecordsAsync(doctorId)).Records, r => r.RecordId == recordId.ToString());
        Assert.DoesNotContain((await patientClient.ListWriteRequestsAsync()).Requests, r => r.RecordId == recordId.ToString());
        Assert.Equal("approved", Assert.Single((await doctor.ListWriteRequestsAsync()).Requests, r => r.RecordId == recordId.ToString()).Status);

        // 6. No second answer, and no preview once answered.
        var again = await Assert.ThrowsAsync<MedLedgerApiException>(() => patientClient.DeclineWriteRequestAsync(recordId));
        Assert.Equal("RequestNotOpen", again.Code);
        var closed = await Assert.ThrowsAsync<MedLedgerApiException>(() => patientClient.GetWriteRequestContentAsync(recordId));
        Assert.Equal("RequestNotOpen", closed.Code);
        Assert.NotNull(Ledger.GetRecord(recordId));
    }

    // Proves the decline path: the answer commits, no record exists (reads 404, not in the timeline), the doctor's list
    // says declined, the decline is logged as a write refused for want of consent, and the held ciphertext is shredded.
    [Fact]
    public async Task Decline_LeavesNoRecord_AndShredsTheHeldCiphertext()
    {
        var doctor = Node.ClientFor(await Node.RegisterAsync(MedicalTestNode.StMary, AccountRole.Doctor, "Dr Ives Declined"));
        var (patientKey, patient) = await Node.EnrolPatientAsync(doctor, MedicalTestNode.StMary, "pending.decliner", "NID-WR-003");
        var patientClient = Node.ClientFor(patientKey);
        var document = SyntheticPatients.GeneratePatient(12, 0).Records.First(r => r.Category == RecordCategory.Laboratory).Json.ToArray();
        var draft = await new RecordWriter(doctor).PrepareRecordAsync(patient, RecordCategory.Laboratory, document, MedicalTestNode.Split);
        await doctor.RequestRecordWriteAsync(draft);
        var recordId = draft.RecordId;
        Assert.NotEmpty(Store.GetRecord(recordId));

        var declined = await patientClient.DeclineWriteRequestAsync(recordId);
        Assert.Equal("declined", declined.Status);
        Assert.Equal(WriteRequestStatus.Declined, Ledger.GetWriteRequest(recordId)!.Status);
        Assert.Null(Ledger.GetRecord(recordId));

        await MedicalTestNode.WaitForLogAsync(patientClient, new AccessLogQuery(Patients: [patient], Outcome: AccessOutcome.Denied), e => e.Action == "write" && e.Reason == "consentMissing" && e.RecordId == recordId.ToString());
        Assert.Empty(Store.GetRecord(recordId));
        var unread = await Assert.ThrowsAsync<MedLedgerApiException>(() => patientClient.ReadRecordAsync(recordId));
        Assert.Equal(HttpStatusCode.NotFound, unread.StatusCode);
        Assert.DoesNotContain((await patientClient.ListPatientRecordsAsync([patient])).Records, r => r.RecordId == recordId.ToString());
        Assert.Empty((await patientClient.ListWriteRequestsAsync()).Requests);
        Assert.Equal("declined", Assert.Single((await doctor.ListWriteRequestsAsync()).Requests, r => r.RecordId == recordId.ToString()).Status);
        await Assert.ThrowsAsync<MedLedgerClientException>(() => patientClient.ApproveWriteRequestAsync(recordId));
    }

    // Proves the pending upload runs the upload's checks: a tier that does not match its anchor is IntegrityFailure and
    // no request reaches the chain; a role that has no write requests (an org admin) is refused the list.
    [Fact]
    public async Task PendingUpload_IsCheckedLikeAnUpload_AndOnlyPatientsAndDoctorsList()
    {
        var doctor = Node.ClientFor(await Node.RegisterAsync(MedicalTestNode.StMary, AccountRole.Doctor, "Dr Tam Tamper"));
        var (_, patient) = await Node.EnrolPatientAsync(doctor, MedicalTestNode.StMary, "pending.tampered", "NID-WR-004");
        var document = SyntheticPatients.GeneratePatient(13, 0).Records.First(r => r.Category == RecordCategory.Laboratory).Json.ToArray();
        var draft = await new RecordWriter(doctor).PrepareRecordAsync(patient, RecordCategory.Laboratory, document, MedicalTestNode.Split);
        var first = draft.Tiers[0];
        var ciphertext = Convert.FromBase64String(first.Ciphertext);
        ciphertext[^1] ^= 1;
        var tampered = draft with { Tiers = [first with { Ciphertext = Convert.ToBase64String(ciphertext) }, .. draft.Tiers.Skip(1)] };

        var refused = await Assert.ThrowsAsync<MedLedgerApiException>(() => doctor.RequestRecordWriteAsync(tampered));
        Assert.Equal("IntegrityFailure", refused.Code);
        Assert.Null(Ledger.GetWriteRequest(draft.RecordId));
        Assert.Empty(Store.GetRecord(draft.RecordId));

        var admin = Node.ClientFor(Node.Admins[MedicalTestNode.StMary]);
        var denied = await Assert.ThrowsAsync<MedLedgerApiException>(() => admin.ListWriteRequestsAsync());
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
    }

    private static async Task<string?> RejectionOf(Func<Task<SubmittedTransaction>> submit)
    {
        try
        {
            var result = await submit();
            Assert.Equal("rejected", result.Status);
            return result.Code;
        }
        catch (MedLedgerApiException exception)
        {
            return exception.Code;
        }
    }
}
