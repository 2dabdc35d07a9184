using System.Net;
using System.Text;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Sharing.Demo;

namespace MedLedger.Node.Tests;

/// <summary>
/// <c>POST /api/v1/records/batch</c> over the real REST API and SQLite: several records of one author in one signed
/// request, each with its own anchor; results per record, in order. A refused record (bad FHIR, a tampered
/// ciphertext, a forged consent the ledger refuses, another sender's anchor) is not stored, not anchored and logged as
/// a denied write, and the other records of the batch are committed and read back intact.
/// </summary>
public sealed class RecordBatchUploadTests(MedicalNodeFixture fixture) : IClassFixture<MedicalNodeFixture>
{
    private MedicalTestNode Node => fixture.Node;

    // Proves a batch of four with one invalid FHIR document (index 2): 1. three records are committed with their
    // heights, 2. the bad one is rejected with the code a single upload gets (422 fhir-missing-field), 3. it is not
    // anchored and its refusal is in the patient's access log, 4. the good ones open to their exact plaintext.
    [Fact]
    public async Task BatchWithOneBadFhirRecord_CommitsTheOthers_AndRefusesAndLogsTheBadOne()
    {
        var (doctor, patientKey, patient) = await DoctorAndPatientAsync("batch.fhir", "NID-BATCH-1");
        var writer = new RecordWriter(doctor);
        var documents = Enumerable.Range(0, 4).Select(i => SyntheticPatients.GeneratePatient(21, i).Records[0].Json.ToArray()).ToArray();
        documents[2] = Encoding.UTF8.GetBytes("""{"resourceType":"Observation","subject":{"reference":"Patient/p1"}}""");
        var drafts = new List<RecordDraft>();
        foreach (var document in documents)
        {
            var draft = await writer.PrepareRecordAsync(patient, RecordCategory.Laboratory, document);
            drafts.Add(draft.SignConsent(Node.Suite, patientKey));
        }

        // Step 1-2.
        var response = await writer.UploadBatchAsync(drafts);
        Assert.Equal(4, response.Results.Count);
        foreach (var i in new[] { 0, 1, 3 })
        {
            Assert.Equal("committed", response.Results[i].Status);
            Assert.Equal(drafts[i].RecordId.ToString(), response.Results[i].RecordId);
            Assert.NotNull(response.Results[i].Height);
        }

        var bad = response.Results[2];
        Assert.Equal("rejected", bad.Status);
        Assert.Equal(drafts[2].RecordId.ToString(), bad.RecordId);
        Assert.Equal(422, bad.HttpStatus);
        Assert.Equal("fhir-missing-field", bad.Code);

        // Step 3.
        var patientClient = Node.ClientFor(patientKey);
        var missing = await Assert.ThrowsAsync<MedLedgerApiException>(() => patientClient.GetRecordContentAsync(drafts[2].RecordId));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await MedicalTestNode.WaitForLogAsync(patientClient, new AccessLogQuery(Patients: [patient], Outcome: AccessOutcome.Denied), e => e.Action == "write" && e.Reason == "malformed" && e.RecordId == drafts[2].RecordId.ToString());

        // Step 4.
        foreach (var i in new[] { 0, 1, 3 })
        {
            var read = await patientClient.ReadRecordAsync(drafts[i].RecordId);
            Assert.Equal(documents[i], read.Parts[SensitivityTier.GeneralClinical]);
        }
    }

    // Proves per-record refusals of the node's own checks and of the ledger in one batch: a ciphertext altered after
    // sealing (IntegrityFailure), an anchor sent by another key (NotAuthorized) and a consent naming the patient but
    // signed by another key (refused by the ledger at admission, then shredded); the one good record is committed, and
    // the refused records are neither anchored nor readable.
    [Fact]
    public async Task BatchWithTamperedForeignAndUnconsentedRecords_RefusesEachAndCommitsTheRest()
    {
        var (doctor, patientKey, patient) = await DoctorAndPatientAsync("batch.mixed", "NID-BATCH-2");
        var writer = new RecordWriter(doctor);
        var document = SyntheticPatients.GeneratePatient(22, 1).Records[0].Json.ToArray();
        var factory = await doctor.GetTransactionFactoryAsync();

        var good = (await writer.PrepareRecordAsync(patient, RecordCategory.Laboratory, document)).SignConsent(Node.Suite, patientKey);
        var tampered = (await writer.PrepareRecordAsync(patient, RecordCategory.Laboratory, document)).SignConsent(Node.Suite, patientKey);
        using var wrongKey = Node.Suite.GenerateSigningKey();
        var unconsented = await writer.PrepareRecordAsync(patient, RecordCategory.Laboratory, document);
        unconsented = unconsented.WithConsentSignature(patient, wrongKey.Sign(unconsented.EncodeConsentStatement()));
        var otherDoctorKey = await Node.RegisterAsync(MedicalTestNode.StMary, AccountRole.Doctor, "Dr Other Batch");
        var otherDoctor = Node.ClientFor(otherDoctorKey);
        var foreign = (await new RecordWriter(otherDoctor).PrepareRecordAsync(patient, RecordCategory.Laboratory, document)).SignConsent(Node.Suite, patientKey);
        var foreignTransaction = (await otherDoctor.GetTransactionFactoryAsync()).AnchorRecord(foreign.Anchor);

        var tamperedUpload = tampered.ToUploadRequest(factory.AnchorRecord(tampered.Anchor));
        var ciphertext = Convert.FromBase64String(tamperedUpload.Tiers[0].Ciphertext);
        ciphertext[^1] ^= 0x01;
        tamperedUpload = tamperedUpload with { Tiers = [tamperedUpload.Tiers[0] with { Ciphertext = Convert.ToBase64String(ciphertext) }] };
        var request = new RecordBatchUploadRequest(
        [
            good.ToUploadRequest(factory.AnchorRecord(good.Anchor)),
            tamperedUpload,
            unconsented.ToUploadRequest(factory.AnchorRecord(unconsented.Anchor)),
            foreign.ToUploadRequest(foreignTransaction),
        ]);

        var response = await doctor.UploadRecordBatchAsync(request);
        Assert.Equal(4, response.Results.Count);
        Assert.Equal("committed", response.Results[0].Status);
        Assert.Equal(("rejected", 422, "IntegrityFailure"), (response.Results[1].Status, response.Results[1].HttpStatus, response.Results[1].Code));
        Assert.Equal("rejected", response.Results[2].Status);
        Assert.True(response.Results[2].Code is "ConsentMissing" or "InvalidPayloadSignature", $"code {response.Results[2].Code}");
        Assert.Equal(("rejected", 403, "NotAuthorized"), (response.Results[3].Status, response.Results[3].HttpStatus, response.Results[3].Code));

        var patientClient = Node.ClientFor(patientKey);
        Assert.Equal(document, (await patientClient.ReadRecordAsync(good.RecordId)).Parts[SensitivityTier.GeneralClinical]);
        foreach (var refused in new[] { tampered, unconsented, foreign })
        {
            var error = await Assert.ThrowsAsync<MedLedgerApiException>(() => patientClient.GetRecordContentAsync(refused.RecordId));
            Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        }

        await MedicalTestNode.WaitForLogAsync(patientClient, new AccessLogQuery(Patients: [patient], Outcome: AccessOutcome.Denied), e => e.Action == "write" && e.Reason == "integrityFailure" && e.RecordId == tampered.RecordId.ToString());
        await MedicalTestNode.WaitForLogAsync(patientClient, new AccessLogQuery(Patients: [patient], Outcome: AccessOutcome.Denied), e => e.Action == "write" && e.Reason == "consentMissing" && e.RecordId == unconsented.RecordId.ToString());
    }

    // Proves the whole request is refused (400 Malformed, nothing stored) for an empty batch and for one above the
    // limit, and that the SDK refuses such a batch before sending it.
    [Fact]
    public async Task EmptyOrOversizedBatch_IsRefusedAsAWhole()
    {
        var (doctor, patientKey, patient) = await DoctorAndPatientAsync("batch.limits", "NID-BATCH-3");
        var empty = await Assert.ThrowsAsync<MedLedgerApiException>(() => doctor.UploadRecordBatchAsync(new RecordBatchUploadRequest([])));
        Assert.Equal((HttpStatusCode.BadRequest, "Malformed"), (empty.StatusCode, empty.Code));

        var writer = new RecordWriter(doctor);
        var draft = (await writer.PrepareRecordAsync(patient, RecordCategory.Laboratory, SyntheticPatients.GeneratePatient(23, 1).Records[0].Json.ToArray())).SignConsent(Node.Suite, patientKey);
        var factory = await doctor.GetTransactionFactoryAsync();
        var upload = draft.ToUploadRequest(factory.AnchorRecord(draft.Anchor));
        var tooMany = await Assert.ThrowsAsync<MedLedgerApiException>(() => doctor.UploadRecordBatchAsync(new RecordBatchUploadRequest(Enumerable.Repeat(upload, RecordBatchUploadRequest.MaxRecords + 1).ToList())));
        Assert.Equal((HttpStatusCode.BadRequest, "Malformed"), (tooMany.StatusCode, tooMany.Code));
        var notStored = await Assert.ThrowsAsync<MedLedgerApiException>(() => Node.ClientFor(patientKey).GetRecordContentAsync(draft.RecordId));
        Assert.Equal(HttpStatusCode.NotFound, notStored.StatusCode);

        await Assert.ThrowsAsync<ArgumentException>(() => writer.UploadBatchAsync([]));
    }

    // Proves records written by the SDK's default writer (one-off sender keys reused per recipient) and by a writer
    // with a fresh one-off key per envelope (as every record written before) are both accepted and read back, and that
    // the two drafts of the reusing writer name the same sender key in their patient envelopes.
    [Fact]
    public async Task ReusedAndFreshSenderKeys_AreBothAcceptedAndRead()
    {
        var (doctor, patientKey, patient) = await DoctorAndPatientAsync("batch.keys", "NID-BATCH-4");
        var document = SyntheticPatients.GeneratePatient(24, 1).Records[0].Json.ToArray();
        var writer = new RecordWriter(doctor);
        var first = (await writer.PrepareRecordAsync(patient, RecordCategory.Laboratory, document)).SignConsent(Node.Suite, patientKey);
        var second = (await writer.PrepareRecordAsync(patient, RecordCategory.Laboratory, document)).SignConsent(Node.Suite, patientKey);
        Assert.Equal(
            KeyWrap.ReadSenderKey(Node.Suite, Convert.FromBase64String(first.Tiers[0].PatientEnvelope)),
            KeyWrap.ReadSenderKey(Node.Suite, Convert.FromBase64String(second.Tiers[0].PatientEnvelope)));

        var organisationKey = Convert.FromHexString((await doctor.Node.GetOrganisationAsync(MedicalTestNode.StMary))!.EncryptionKey);
        var fresh = RecordWriter.Prepare(Node.Suite, doctor.Key, MedicalTestNode.ChainId, patient, patientKey.PublicKey.Span, MedicalTestNode.StMary, organisationKey, RecordCategory.Laboratory, RecordWriter.WholeDocument(document), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).SignConsent(Node.Suite, patientKey);

        var response = await writer.UploadBatchAsync([first, second, fresh]);
        Assert.All(response.Results, r => Assert.Equal("committed", r.Status));
        var patientClient = Node.ClientFor(patientKey);
        foreach (var draft in new[] { first, second, fresh })
        {
            Assert.Equal(document, (await patientClient.ReadRecordAsync(draft.RecordId)).Parts[SensitivityTier.GeneralClinical]);
        }

        // The reader's cache now holds the one secret agreed with the organisation's key.
        Assert.Equal(1, patientClient.EnvelopeSecrets.Count);
    }

    private async Task<(MedLedgerUserClient Doctor, ISigningKey PatientKey, Hash Patient)> DoctorAndPatientAsync(string username, string nationalId)
    {
        var doctor = Node.ClientFor(await Node.RegisterAsync(MedicalTestNode.StMary, AccountRole.Doctor, $"Dr of {username}"));
        var (key, patient) = await Node.EnrolPatientAsync(doctor, MedicalTestNode.StMary, username, nationalId);
        return (doctor, key, patient);
    }
}
