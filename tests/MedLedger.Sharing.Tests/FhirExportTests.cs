using System.Text.Json;
using MedLedger.Ledger;
using MedLedger.Sharing.Fhir;

namespace MedLedger.Sharing.Tests;

public sealed class FhirExportTests
{
    private static readonly AuditEventInput Read = new()
    {
        Id = "3f2a9c",
        Time = new DateTimeOffset(2025, 3, 4, 10, 11, 12, 345, TimeSpan.FromHours(2)),
        Action = AuditAction.Read,
        Success = true,
        Purpose = PurposeOfUse.Treatment,
        ActorKeyId = "a1b2c3d4",
        ActorRole = "doctor",
        ActorOrganizationId = "hospital-1",
        PatientPseudonym = "pp-77",
        RecordId = "rec-0001",
        GrantId = "grant-9",
    };

    private static readonly ConsentInput Grant = new()
    {
        Id = "grant-9",
        GrantorPseudonym = "pp-77",
        ActorKind = ConsentActorKind.Organization,
        ActorValue = "hospital-1",
        Actions = ConsentActions.Read | ConsentActions.Append,
        Purpose = PurposeOfUse.Treatment,
        Categories = [RecordCategory.Laboratory, RecordCategory.PatientEvaluation],
        Tiers = [SensitivityTier.GeneralClinical],
        RecordIds = ["rec-0001", "rec-0002"],
        PeriodStart = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero),
        PeriodEnd = new DateTimeOffset(2025, 12, 31, 0, 0, 0, TimeSpan.Zero),
        Status = ConsentStatus.Active,
    };

    [Theory]
    [InlineData(AuditAction.Create, "C", PurposeOfUse.Treatment, "TREAT")]
    [InlineData(AuditAction.Read, "R", PurposeOfUse.Payment, "HPAYMT")]
    [InlineData(AuditAction.Update, "U", PurposeOfUse.Research, "HRESCH")]
    [InlineData(AuditAction.Delete, "D", PurposeOfUse.Emergency, "ETREAT")]
    [InlineData(AuditAction.Execute, "E", PurposeOfUse.Treatment, "TREAT")]
    public void Audit_event_validates_and_carries_the_input(AuditAction action, string code, PurposeOfUse purpose, string purposeCode)
    {
        // The AuditEvent passes the validator and holds action, UTC instant, outcome, purpose, actor key, role,
        // organisation, grant, patient pseudonym and record id where FHIR puts them.
        var json = FhirExport.AuditEvent(Read with { Action = action, Purpose = purpose });
        var document = FhirValidator.Validate(json);
        Assert.Equal("AuditEvent", document.ResourceType);
        var root = document.Root;
        Assert.Equal(code, root.GetProperty("action").GetString());
        Assert.Equal("2025-03-04T08:11:12.345Z", root.GetProperty("recorded").GetString());
        Assert.Equal("0", root.GetProperty("outcome").GetString());
        Assert.Equal(purposeCode, root.GetProperty("purposeOfEvent")[0].GetProperty("coding")[0].GetProperty("code").GetString());
        var agent = root.GetProperty("agent")[0];
        Assert.Equal("a1b2c3d4", agent.GetProperty("who").GetProperty("identifier").GetProperty("value").GetString());
        Assert.Equal("doctor", agent.GetProperty("type").GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.Equal("urn:medledger:grant:grant-9", agent.GetProperty("policy")[0].GetString());
        Assert.True(agent.GetProperty("requestor").GetBoolean());
        Assert.Equal("hospital-1", root.GetProperty("agent")[1].GetProperty("who").GetProperty("identifier").GetProperty("value").GetString());
        Assert.Equal("Patient/pp-77", root.GetProperty("entity")[0].GetProperty("what").GetProperty("reference").GetString());
        Assert.Equal("rec-0001", root.GetProperty("entity")[1].GetProperty("what").GetProperty("identifier").GetProperty("value").GetString());
    }

    [Fact]
    public void Failed_attempt_has_outcome_4_and_its_reason()
    {
        var json = FhirExport.AuditEvent(Read with { Success = false, FailureReason = "no grant covers the sensitive tier", GrantId = null });
        var root = FhirValidator.Validate(json).Root;
        Assert.Equal("4", root.GetProperty("outcome").GetString());
        Assert.Equal("no grant covers the sensitive tier", root.GetProperty("outcomeDesc").GetString());
        Assert.False(root.GetProperty("agent")[0].TryGetProperty("policy", out _));
    }

    [Fact]
    public void Audit_bundle_holds_events_of_many_patients_and_validates()
    {
        // An auditor's export spans patients: the one-patient rule applies to subject/patient, not to entities.
        var events = Enumerable.Range(0, 300).Select(i => Read with
        {
            Id = "e" + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
            PatientPseudonym = "pp-" + (i % 7).ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).ToArray();
        var document = FhirValidator.Validate(FhirExport.AuditEventBundle(events));
        Assert.Equal(300, document.Resources.Count);
        Assert.All(document.Resources, resource => Assert.Equal("AuditEvent", resource.ResourceType));
        Assert.Null(document.PatientReference);

        Assert.Equal("collection", FhirValidator.Validate(FhirExport.AuditEventBundle([])).BundleType);
        Assert.Throws<ArgumentException>(() => FhirExport.AuditEventBundle(Enumerable.Repeat(Read, FhirLimits.MaxBundleEntries + 1).ToArray()));
    }

    [Fact]
    public void Bad_audit_inputs_are_refused_naming_the_field()
    {
        Assert.Throws<ArgumentException>(() => FhirExport.AuditEvent(Read with { Id = "not an id" }));
        Assert.Throws<ArgumentException>(() => FhirExport.AuditEvent(Read with { ActorKeyId = "xyz" }));
        Assert.Throws<ArgumentException>(() => FhirExport.AuditEvent(Read with { ActorRole = " doctor" }));
        Assert.Throws<ArgumentException>(() => FhirExport.AuditEvent(Read with { PatientPseudonym = "pp/1" }));
        Assert.Throws<ArgumentException>(() => FhirExport.AuditEvent(Read with { Success = false, FailureReason = null }));
        Assert.Throws<ArgumentException>(() => FhirExport.AuditEvent(Read with { Action = (AuditAction)42 }));
        Assert.Throws<ArgumentException>(() => FhirExport.AuditEvent(Read with { RecordId = "rec 1" }));
    }

    [Fact]
    public void Consent_validates_and_carries_the_grant()
    {
        // The Consent passes the validator; grantor, actor, actions, purpose, categories, tiers, records and
        // period are where FHIR puts them.
        var document = FhirValidator.Validate(FhirExport.Consent(Grant));
        Assert.Equal("Patient/pp-77", document.PatientReference);
        var root = document.Root;
        Assert.Equal("active", root.GetProperty("status").GetString());
        var provision = root.GetProperty("provision");
        Assert.Equal("permit", provision.GetProperty("type").GetString());
        Assert.Equal("2025-01-01T00:00:00.000Z", provision.GetProperty("period").GetProperty("start").GetString());
        Assert.Equal("2025-12-31T00:00:00.000Z", provision.GetProperty("period").GetProperty("end").GetString());
        var actor = provision.GetProperty("actor")[0].GetProperty("reference");
        Assert.Equal("Organization", actor.GetProperty("type").GetString());
        Assert.Equal("hospital-1", actor.GetProperty("identifier").GetProperty("value").GetString());
        Assert.Equal(["read", "append"], provision.GetProperty("action").EnumerateArray().Select(a => a.GetProperty("coding")[1].GetProperty("code").GetString()!).ToArray());
        Assert.Equal("TREAT", provision.GetProperty("purpose")[0].GetProperty("code").GetString());
        Assert.Equal(["laboratory", "patient-evaluation"], provision.GetProperty("class").EnumerateArray().Select(c => c.GetProperty("code").GetString()!).ToArray());
        Assert.Equal(["general-clinical"], provision.GetProperty("securityLabel").EnumerateArray().Select(c => c.GetProperty("code").GetString()!).ToArray());
        Assert.Equal(["rec-0001", "rec-0002"], provision.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("reference").GetProperty("identifier").GetProperty("value").GetString()!).ToArray());
    }

    [Theory]
    [InlineData(ConsentActorKind.User, "0a1b2c")]
    [InlineData(ConsentActorKind.Role, "researcher")]
    public void Consent_for_users_and_roles_and_revoked_grants_validate(ConsentActorKind kind, string value)
    {
        var json = FhirExport.Consent(Grant with
        {
            ActorKind = kind,
            ActorValue = value,
            Actions = ConsentActions.Read,
            Status = ConsentStatus.Inactive,
            PeriodEnd = null,
            Categories = [],
            Tiers = [],
            RecordIds = [],
            Purpose = PurposeOfUse.Research,
        });
        var root = FhirValidator.Validate(json).Root;
        Assert.Equal("inactive", root.GetProperty("status").GetString());
        Assert.False(root.GetProperty("provision").TryGetProperty("class", out _));
        Assert.False(root.GetProperty("provision").GetProperty("period").TryGetProperty("end", out _));
    }

    [Fact]
    public void Bad_consent_inputs_are_refused()
    {
        Assert.Throws<ArgumentException>(() => FhirExport.Consent(Grant with { Actions = ConsentActions.None }));
        Assert.Throws<ArgumentException>(() => FhirExport.Consent(Grant with { PeriodEnd = Grant.PeriodStart.AddDays(-1) }));
        Assert.Throws<ArgumentException>(() => FhirExport.Consent(Grant with { GrantorPseudonym = "" }));
        Assert.Throws<ArgumentException>(() => FhirExport.Consent(Grant with { ActorValue = "two words" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => FhirExport.Consent(Grant with { Tiers = [SensitivityTier.None] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => FhirExport.Consent(Grant with { Categories = [RecordCategory.None] }));
    }

    [Fact]
    public void Exports_are_deterministic()
    {
        Assert.Equal(FhirExport.AuditEvent(Read), FhirExport.AuditEvent(Read));
        Assert.Equal(FhirExport.Consent(Grant), FhirExport.Consent(Grant));
        using var parsed = JsonDocument.Parse(FhirExport.Consent(Grant));
        Assert.Equal("Consent", parsed.RootElement.GetProperty("resourceType").GetString());
    }
}
