using System.Net;
using System.Security.Cryptography;
using System.Text;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Sharing.Demo;

namespace MedLedger.Node.Tests;

/// <summary>
/// Each refusal the issue names fails with the right error, changes nothing, and is logged on chain where the
/// patient (or an auditor) can see it: an unregistered key, a forged signature, a replayed request, an expired
/// grant, a revoked user, a tampered ciphertext, a request for another patient's record, malformed and oversized FHIR.
/// </summary>
public sealed class MedicalRefusalTests(MedicalNodeFixture fixture) : IClassFixture<MedicalNodeFixture>
{
    private MedicalTestNode Node => fixture.Node;

    [Fact]
    public async Task UnregisteredKey_IsRefusedAndLogged()
    {
        var (patientClient, patient, recordId) = await PatientWithRecordAsync("refusal.unknown", "NID-U-1");
        using var stranger = Node.Suite.GenerateSigningKey();
        var error = await Assert.ThrowsAsync<MedLedgerApiException>(() => Node.ClientFor(stranger).GetRecordContentAsync(recordId));
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal("UnknownKey", error.Code);
        var entry = await MedicalTestNode.WaitForLogAsync(patientClient, new AccessLogQuery(Patients: [patient], Outcome: AccessOutcome.Denied), e => e.Actor == Node.Suite.Hash(stranger.PublicKey.Span).ToString());
        Assert.Equal("unknownKey", entry.Reason);
        Assert.Equal(recordId.ToString(), entry.RecordId);
    }

    [Fact]
    public async Task ForgedSignature_IsRefusedAndLogged()
    {
        var (patientClient, patient, recordId) = await PatientWithRecordAsync("refusal.forged", "NID-F-1");
        var doctorKey = await Node.RegisterAsync(MedicalTestNode.Harbor, AccountRole.Doctor, "Dr Forged Victim");
        using var forger = Node.Suite.GenerateSigningKey();

        // The forger names the doctor's key id but can only sign with its own key.
        using var request = SignedRequest(forger, Node.Suite.Hash(doctorKey.PublicKey.Span), HttpMethod.Get, $"/api/v1/records/{recordId}");
        using var response = await Node.Anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("InvalidSignature", await response.Content.ReadAsStringAsync());
        var entry = await MedicalTestNode.WaitForLogAsync(patientClient, new AccessLogQuery(Patients: [patient], Outcome: AccessOutcome.Denied), e => e.Reason == "invalidSignature");
        Assert.Equal(Node.Suite.Hash(doctorKey.PublicKey.Span).ToString(), entry.Actor);
    }

    [Fact]
    public async Task ReplayedRequest_IsRefusedAndLogged()
    {
        var (patientClient, patient, recordId) = await PatientWithRecordAsync("refusal.replay", "NID-R-1");
        var patientKeyId = patient;
        var key = _patientKeys[patient];
        var created = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        using (var first = SignedRequest(key, patientKeyId, HttpMethod.Get, $"/api/v1/records/{recordId}", created, nonce))
        using (var response = await Node.Anonymous.SendAsync(first))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var again = SignedRequest(key, patientKeyId, HttpMethod.Get, $"/api/v1/records/{recordId}", created, nonce);
        using var replayed = await Node.Anonymous.SendAsync(again);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        Assert.Contains("Replay", await replayed.Content.ReadAsStringAsync());
        await MedicalTestNode.WaitForLogAsync(patientClient, new AccessLogQuery(Patients: [patient], Outcome: AccessOutcome.Denied), e => e.Reason == "replay" && e.RecordId == recordId.ToString());
    }

    [Fact]
    public async Task ExpiredGrant_IsRefusedAndLogged()
    {
        var (patientClient, patient, recordId) = await PatientWithRecordAsync("refusal.expired", "NID-E-1");
        var doctorKey = await Node.RegisterAsync(MedicalTestNode.Harbor, AccountRole.Doctor, "Dr Late");
        var now = DateTimeOffset.UtcNow;
        await GrantAsync(patientClient, patient, doctorKey, now.AddMinutes(-5), now.AddSeconds(2));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var error = await Assert.ThrowsAsync<MedLedgerApiException>(() => Node.ClientFor(doctorKey).GetRecordContentAsync(recordId));
        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Equal("GrantExpired", error.Code);
        await MedicalTestNode.WaitForLogAsync(patientClient, new AccessLogQuery(Patients: [patient], Outcome: AccessOutcome.Denied), e => e.Reason == "grantExpired");
    }

    [Fact]
    public async Task RevokedUser_IsRefusedAndLogged()
    {
        var (patientClient, patient, recordId) = await PatientWithRecordAsync("refusal.revoked", "NID-V-1");
        var doctorKey = await Node.RegisterAsync(MedicalTestNode.Harbor, AccountRole.Doctor, "Dr Gone");
        var now = DateTimeOffset.UtcNow;
        await GrantAsync(patientClient, patient, doctorKey, now.AddMinutes(-1), now.AddHours(1));
        var doctor = Node.ClientFor(doctorKey);
        Assert.NotNull((await doctor.GetRecordContentAsync(recordId)).Record);

        var admin = Node.ClientFor(Node.Admins[MedicalTestNode.Harbor]);
        var factory = await admin.GetTransactionFactoryAsync();
        Assert.Equal("committed", (await admin.SubmitAsync(factory.RevokeAccount(Node.Suite.Hash(doctorKey.PublicKey.Span)))).Status);
        var error = await Assert.ThrowsAsync<MedLedgerApiException>(() => doctor.GetRecordContentAsync(recordId));
        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Equal("KeyRevoked", error.Code);
        await MedicalTestNode.WaitForLogAsync(patientClient, new AccessLogQuery(Patients: [patient], Outcome: AccessOutcome.Denied), e => e.Reason == "actorRevoked");
    }

    [Fact]
    public async Task TamperedCiphertext_IsRefusedLoggedAndReportedByTheIntegrityAudit()
    {
        var (patientClient, patient, recordId) = await PatientWithRecordAsync("refusal.tamper", "NID-T-1");
        Node.TamperCiphertext(recordId);

        var error = await Assert.ThrowsAsync<MedLedgerApiException>(() => patientClient.ReadRecordAsync(recordId));
        Assert.Equal("IntegrityFailure", error.Code);
        await MedicalTestNode.WaitForLogAsync(patientClient, new AccessLogQuery(Patients: [patient], Outcome: AccessOutcome.Denied), e => e.Reason == "integrityFailure" && e.Action == "read");

        var auditor = Node.ClientFor(await Node.RegisterAsync(MedicalTestNode.Regulator, AccountRole.Auditor, "Auditor Integrity"));
        var report = await auditor.CheckIntegrityAsync();
        Assert.Contains(report.Failures, f => f.RecordId == recordId.ToString());
        Assert.True(report.Passed < report.Checked);
    }

    [Fact]
    public async Task AnotherPatientsRecord_IsRefusedAndLogged()
    {
        var (firstClient, first, _) = await PatientWithRecordAsync("refusal.first", "NID-A-1");
        var (secondClient, second, secondRecord) = await PatientWithRecordAsync("refusal.second", "NID-A-2");
        var doctorKey = await Node.RegisterAsync(MedicalTestNode.Harbor, AccountRole.Doctor, "Dr Curious");
        var now = DateTimeOffset.UtcNow;
        await GrantAsync(firstClient, first, doctorKey, now.AddMinutes(-1), now.AddHours(1));

        var error = await Assert.ThrowsAsync<MedLedgerApiException>(() => Node.ClientFor(doctorKey).GetRecordContentAsync(secondRecord));
        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        Assert.Equal("NoGrant", error.Code);
        await MedicalTestNode.WaitForLogAsync(secondClient, new AccessLogQuery(Patients: [second], Outcome: AccessOutcome.Denied), e => e.Actor == Node.Suite.Hash(doctorKey.PublicKey.Span).ToString() && e.Reason == "noGrant");

        // The patient also cannot read another patient's record.
        var other = await Assert.ThrowsAsync<MedLedgerApiException>(() => firstClient.GetRecordContentAsync(secondRecord));
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
    }

    [Fact]
    public async Task MalformedFhir_IsRefusedLoggedAndNothingIsAnchored()
    {
        var (patientClient, patient, _) = await PatientWithRecordAsync("refusal.malformed", "NID-M-1");
        var doctor = _doctors[patient];
        var writer = new RecordWriter(doctor);
        var invalid = Encoding.UTF8.GetBytes("""{"resourceType":"Observation","subject":{"reference":"Patient/p1"}}""");
        var draft = await writer.PrepareRecordAsync(patient, RecordCategory.Laboratory, invalid);
        var error = await Assert.ThrowsAsync<MedLedgerApiException>(() => writer.UploadAsync(draft.SignConsent(Node.Suite, _patientKeys[patient])));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.StatusCode);
        Assert.Equal("fhir-missing-field", error.Code);
        await AssertNotAnchoredAsync(patientClient, draft.RecordId);
        await MedicalTestNode.WaitForLogAsync(patientClient, new AccessLogQuery(Patients: [patient], Outcome: AccessOutcome.Denied), e => e.Action == "write" && e.Reason == "malformed" && e.RecordId == draft.RecordId.ToString());
    }

    [Fact]
    public async Task OversizedFhir_IsRefusedLoggedAndNothingIsAnchored()
    {
        var (patientClient, patient, _) = await PatientWithRecordAsync("refusal.oversized", "NID-O-1");
        var doctor = _doctors[patient];
        var writer = new RecordWriter(doctor);
        var note = new string('x', 3 * 1024 * 1024);
        var huge = Encoding.UTF8.GetBytes($$$"""{"resourceType":"Observation","status":"final","code":{"text":"{{{note}}}"},"subject":{"reference":"Patient/p1"}}""");
        var draft = await writer.PrepareRecordAsync(patient, RecordCategory.Laboratory, huge);
        var error = await Assert.ThrowsAsync<MedLedgerApiException>(() => writer.UploadAsync(draft.SignConsent(Node.Suite, _patientKeys[patient])));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.StatusCode);
        Assert.Equal("fhir-too-large", error.Code);
        await AssertNotAnchoredAsync(patientClient, draft.RecordId);
    }

    private readonly Dictionary<Hash, ISigningKey> _patientKeys = [];
    private readonly Dictionary<Hash, MedLedgerUserClient> _doctors = [];

    private async Task<(MedLedgerUserClient Client, Hash Patient, Hash RecordId)> PatientWithRecordAsync(string username, string nationalId)
    {
        var doctor = Node.ClientFor(await Node.RegisterAsync(MedicalTestNode.StMary, AccountRole.Doctor, $"Dr of {username}"));
        var (key, patient) = await Node.EnrolPatientAsync(doctor, MedicalTestNode.StMary, username, nationalId);
        lock (_patientKeys)
        {
            _patientKeys[patient] = key;
            _doctors[patient] = doctor;
        }

        var document = SyntheticPatients.GeneratePatient(11, nationalId.GetHashCode(StringComparison.Ordinal) & 0xff).Records[0].Json.ToArray();
        var recordId = await Node.WriteRecordAsync(doctor, key, patient, document, SyntheticPatients.GeneratePatient(11, nationalId.GetHashCode(StringComparison.Ordinal) & 0xff).Records[0].Category);
        return (Node.ClientFor(key), patient, recordId);
    }

    private async Task GrantAsync(MedLedgerUserClient patientClient, Hash patient, ISigningKey grantee, DateTimeOffset from, DateTimeOffset until)
    {
        var factory = await patientClient.GetTransactionFactoryAsync();
        var grant = factory.GrantConsent(new ConsentGrantPayload(patient, GrantActor.ForUser(Node.Suite.Hash(grantee.PublicKey.Span)), GrantActions.Read, AccessPurpose.Treatment, [], [SensitivityTier.Identity, SensitivityTier.GeneralClinical, SensitivityTier.Sensitive], [], from.ToUnixTimeMilliseconds(), until.ToUnixTimeMilliseconds()));
        Assert.Equal("committed", (await patientClient.SubmitAsync(grant)).Status);
    }

    private static async Task AssertNotAnchoredAsync(MedLedgerUserClient patientClient, Hash recordId)
    {
        var error = await Assert.ThrowsAsync<MedLedgerApiException>(() => patientClient.GetRecordContentAsync(recordId));
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
    }

    private HttpRequestMessage SignedRequest(ISigningKey signer, Hash claimedKey, HttpMethod method, string path, long? created = null, string? nonce = null)
    {
        var chainId = MedicalTestNode.ChainId;
        var createdAt = created ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var expires = createdAt + 60_000;
        nonce ??= Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var signature = signer.Sign(RequestSignature.EncodeSigningBytes(chainId, method.Method, path, createdAt, expires, nonce, Node.Suite.Hash([])));
        var request = new HttpRequestMessage(method, path.TrimStart('/'));
        request.Headers.Add(RequestSignature.KeyHeader, claimedKey.ToString());
        request.Headers.Add(RequestSignature.CreatedHeader, createdAt.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(RequestSignature.ExpiresHeader, expires.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(RequestSignature.NonceHeader, nonce);
        request.Headers.Add(RequestSignature.SignatureHeader, Convert.ToBase64String(signature));
        return request;
    }
}
