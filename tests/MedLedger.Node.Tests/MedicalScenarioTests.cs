using System.Net;
using System.Net.Http.Json;
using MedLedger.Client;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Sharing.Demo;

namespace MedLedger.Node.Tests;

/// <summary>One running consortium node shared by the medical scenario tests; each test uses its own patients.</summary>
public sealed class MedicalNodeFixture : IAsyncLifetime
{
    internal MedicalTestNode Node { get; private set; } = null!;

    public async Task InitializeAsync() => Node = await MedicalTestNode.StartAsync();

    public async Task DisposeAsync() => await Node.DisposeAsync();
}

/// <summary>
/// The end-to-end scenario over the real REST API and SQLite: a doctor writes a record with the patient's
/// consent; the patient grants a doctor of another hospital; that doctor reads it (the SDK verifies pointer and
/// commitment), the access is logged on chain and the patient sees it; the patient revokes; the next read is denied
/// and the denial is logged.
/// </summary>
public sealed class MedicalScenarioTests(MedicalNodeFixture fixture) : IClassFixture<MedicalNodeFixture>
{
    private MedicalTestNode Node => fixture.Node;

    [Fact]
    public async Task WriteGrantReadSeeRevokeDeny_EndToEnd()
    {
        var doctorA = Node.ClientFor(await Node.RegisterAsync(MedicalTestNode.StMary, AccountRole.Doctor, "Dr Amel Aziz"));
        var doctorBKey = await Node.RegisterAsync(MedicalTestNode.Harbor, AccountRole.Doctor, "Dr Bo Berg");
        var doctorB = Node.ClientFor(doctorBKey);
        var (patientKey, patient) = await Node.EnrolPatientAsync(doctorA, MedicalTestNode.StMary, "scenario.patient", "NID-100-200");
        var patientClient = Node.ClientFor(patientKey);

        var synthetic = SyntheticPatients.GeneratePatient(7, 0);
        var document = synthetic.Records.First(r => r.Category == RecordCategory.Laboratory).Json.ToArray();
        var recordId = await Node.WriteRecordAsync(doctorA, patientKey, patient, document, RecordCategory.Laboratory);

        // Before any grant, doctor B is refused.
        var refused = await Assert.ThrowsAsync<MedLedgerApiException>(() => doctorB.ReadRecordAsync(recordId));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("NoGrant", refused.Code);

        var factory = await patientClient.GetTransactionFactoryAsync();
        var now = DateTimeOffset.UtcNow;
        var grant = factory.GrantConsent(new ConsentGrantPayload(patient, GrantActor.ForUser(Node.Suite.Hash(doctorBKey.PublicKey.Span)), GrantActions.Read, AccessPurpose.Treatment, [RecordCategory.Laboratory], [SensitivityTier.Identity, SensitivityTier.GeneralClinical, SensitivityTier.Sensitive], [], now.AddMinutes(-1).ToUnixTimeMilliseconds(), now.AddHours(1).ToUnixTimeMilliseconds()));
        Assert.Equal("committed", (await patientClient.SubmitAsync(grant)).Status);
        var grantId = grant.ComputeId(Node.Suite);

        var read = await doctorB.ReadRecordAsync(recordId, AccessPurpose.Treatment, MedicalTestNode.Merge);
        Assert.Equal(grantId.ToString(), read.GrantId);
        Assert.Equal(MedicalTestNode.Merge(MedicalTestNode.Split(document)), read.Merged);

        var seen = await MedicalTestNode.WaitForLogAsync(patientClient, new AccessLogQuery(Patients: [patient]), e => e.Action == "read" && e.Outcome == "allowed" && e.Actor == Node.Suite.Hash(doctorBKey.PublicKey.Span).ToString());
        Assert.Equal(grantId.ToString(), seen.GrantId);
        Assert.Equal(recordId.ToString(), seen.RecordId);
        Assert.Equal("treatment", seen.Purpose);

        // Exports (SPEC F37): the patient's access log as FHIR AuditEvents and the grant as a FHIR Consent, both valid R4.
        var auditEvents = await patientClient.GetAccessLogFhirAsync(new AccessLogQuery(Patients: [patient]));
        Assert.Equal("Bundle", auditEvents.GetProperty("resourceType").GetString());
        Assert.Contains(auditEvents.GetProperty("entry").EnumerateArray(), e => e.GetProperty("resource").GetProperty("resourceType").GetString() == "AuditEvent");
        Sharing.Fhir.FhirValidator.Validate(System.Text.Encoding.UTF8.GetBytes(auditEvents.GetRawText()));
        var consent = await patientClient.GetGrantFhirAsync(grantId);
        Assert.Equal("Consent", consent.GetProperty("resourceType").GetString());
        Assert.Equal("active", consent.GetProperty("status").GetString());
        Sharing.Fhir.FhirValidator.Validate(System.Text.Encoding.UTF8.GetBytes(consent.GetRawText()));

        Assert.Equal("committed", (await patientClient.SubmitAsync(factory.RevokeConsent(grantId))).Status);
        var denied = await Assert.ThrowsAsync<MedLedgerApiException>(() => doctorB.ReadRecordAsync(recordId));
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("GrantRevoked", denied.Code);
        await MedicalTestNode.WaitForLogAsync(patientClient, new AccessLogQuery(Patients: [patient], Outcome: AccessOutcome.Denied), e => e.Reason == "grantRevoked" && e.RecordId == recordId.ToString());

        // The patient still reads their own record, every tier.
        var own = await patientClient.ReadRecordAsync(recordId, AccessPurpose.Treatment, MedicalTestNode.Merge);
        Assert.Equal(read.Merged, own.Merged);
    }

    [Fact]
    public async Task SecondInstitution_GetsItsOwnPseudonym_FoundInTheEmpiOnlyUnderGrant()
    {
        var homeDoctor = Node.ClientFor(await Node.RegisterAsync(MedicalTestNode.StMary, AccountRole.Doctor, "Dr Home"));
        var otherKey = await Node.RegisterAsync(MedicalTestNode.Harbor, AccountRole.Doctor, "Dr Elsewhere");
        var other = Node.ClientFor(otherKey);
        var (_, homePseudonym) = await Node.EnrolPatientAsync(homeDoctor, MedicalTestNode.StMary, "two.institutions", "NID-TWO-1");

        // Before any grant the other hospital's doctor finds nobody; the search is logged.
        Assert.Empty((await other.SearchPatientsAsync(new EmpiSearchRequest("NID-TWO-1", null, null, null))).Matches);

        using var added = await Node.Anonymous.PostAsJsonAsync("api/v1/custody/pseudonyms", new PseudonymRequest("two.institutions", "two.institutions passphrase", MedicalTestNode.Harbor));
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var pseudonym = (await added.Content.ReadFromJsonAsync<PseudonymResponse>())!;
        Assert.NotEqual(homePseudonym.ToString(), pseudonym.KeyId);
        var factory = await other.GetTransactionFactoryAsync();
        Assert.Equal("committed", (await other.SubmitAsync(factory.RegisterUser(Convert.FromHexString(pseudonym.PublicKey), AccountRole.Patient, MedicalTestNode.Harbor, string.Empty))).Status);

        using var export = await Node.Anonymous.PostAsJsonAsync("api/v1/custody/export", new VaultExportRequest("two.institutions", "two.institutions passphrase"));
        var vault = (await export.Content.ReadFromJsonAsync<VaultExportResponse>())!;
        var keys = KeyVault.Open(Node.Suite, Convert.FromBase64String(vault.Vault), "two.institutions passphrase");
        Assert.Equal(2, keys.Count);
        using var harborKey = keys.Single(k => Node.Suite.Hash(k.PublicKey.Span).ToString() == pseudonym.KeyId);
        keys.Single(k => k != harborKey).Dispose();
        var harborPseudonym = Node.Suite.Hash(harborKey.PublicKey.Span);

        // The harbor relationship's records live under the harbor pseudonym, with harbor as their holder.
        var recordId = await Node.WriteRecordAsync(other, harborKey, harborPseudonym, SyntheticPatients.GeneratePatient(5, 1).Records[0].Json.ToArray(), SyntheticPatients.GeneratePatient(5, 1).Records[0].Category);
        var patientAtHarbor = Node.ClientFor(harborKey);
        var own = await patientAtHarbor.ReadRecordAsync(recordId);
        Assert.Equal(MedicalTestNode.Harbor, own.Record.Organisation);
        Assert.Equal(harborPseudonym.ToString(), own.Record.Patient);

        // Once the patient grants the harbor doctor, the EMPI returns exactly the granted pseudonym, not the home one.
        var patientFactory = await patientAtHarbor.GetTransactionFactoryAsync();
        var now = DateTimeOffset.UtcNow;
        await patientAtHarbor.SubmitAsync(patientFactory.GrantConsent(new ConsentGrantPayload(harborPseudonym, GrantActor.ForUser(Node.Suite.Hash(otherKey.PublicKey.Span)), GrantActions.Read, AccessPurpose.Treatment, [], [SensitivityTier.GeneralClinical], [], now.AddMinutes(-1).ToUnixTimeMilliseconds(), now.AddHours(1).ToUnixTimeMilliseconds())));
        var found = await other.SearchPatientsAsync(new EmpiSearchRequest("NID-TWO-1", null, null, null));
        Assert.Equal([pseudonym.KeyId], found.Matches.Select(m => m.Pseudonym).ToArray());
    }
}
