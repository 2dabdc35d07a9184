using System.Net;
using MedLedger.Client;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Node.Tests;

/// <summary>
/// <c>POST /api/v1/staff</c> refuses a role the organisation's kind cannot have before it creates anything, so no custodial
/// account is left behind that the ledger would never register.
/// </summary>
public sealed class StaffEnrolmentTests(MedicalNodeFixture fixture) : IClassFixture<MedicalNodeFixture>
{
    private MedicalTestNode Node => fixture.Node;

    [Theory]
    [InlineData("auditor")]
    [InlineData("researcher")]
    [InlineData("insurerAgent")]
    public async Task AHospitalAdmin_CannotEnrolARoleAHospitalHasNot_AndTheUsernameStaysFree(string role)
    {
        var admin = Node.ClientFor(Node.Admins[MedicalTestNode.StMary]);
        var username = $"staff.misfit.{role.ToLowerInvariant()}";
        var error = await Assert.ThrowsAsync<MedLedgerApiException>(() => admin.EnrolStaffAsync(new StaffEnrolmentRequest(username, "a long staff passphrase", role, "Misfit Staff")));
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Contains($"has no {role} users", error.Detail, StringComparison.Ordinal);

        // Nothing was created: the same username is free for a doctor, who fits a hospital.
        var doctor = await admin.EnrolStaffAsync(new StaffEnrolmentRequest(username, "a long staff passphrase", "doctor", "Fitting Staff"));
        Assert.Equal(username, doctor.Username);
    }

    [Fact]
    public async Task ARegulatorAdmin_EnrolsAnAuditor()
    {
        var admin = Node.ClientFor(Node.Admins[MedicalTestNode.Regulator]);
        var auditor = await admin.EnrolStaffAsync(new StaffEnrolmentRequest("staff.auditor.ok", "a long staff passphrase", "auditor", "Fitting Auditor"));
        Assert.Equal("staff.auditor.ok", auditor.Username);
    }
}

/// <summary>
/// <c>POST /api/v1/custody/passphrase</c> on the real node: the vault is sealed again under the new passphrase with the
/// same keys; the old passphrase stops working; a wrong current passphrase or an unacceptable new one changes nothing.
/// </summary>
public sealed class PassphraseChangeTests(MedicalNodeFixture fixture) : IClassFixture<MedicalNodeFixture>
{
    private MedicalTestNode Node => fixture.Node;

    [Fact]
    public async Task ChangingThePassphrase_KeepsTheKeys_AndOnlyTheNewPassphraseOpensTheVault()
    {
        var doctor = Node.ClientFor(await Node.RegisterAsync(MedicalTestNode.StMary, AccountRole.Doctor, "Dr Passphrase"));
        var (key, _) = await Node.EnrolPatientAsync(doctor, MedicalTestNode.StMary, "change.patient", "NID-CHANGE-1");
        var client = new MedLedgerClient(Node.Anonymous);
        const string original = "change.patient passphrase", chosen = "only the patient knows this one";

        // Refusals change nothing: a wrong current passphrase, a too-short new one, the same one again.
        var wrong = await Assert.ThrowsAsync<MedLedgerApiException>(() => client.ChangePassphraseAsync(new PassphraseChangeRequest("change.patient", "not the passphrase", chosen)));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var shortOne = await Assert.ThrowsAsync<MedLedgerApiException>(() => client.ChangePassphraseAsync(new PassphraseChangeRequest("change.patient", original, "short")));
        Assert.Equal(HttpStatusCode.BadRequest, shortOne.StatusCode);
        var same = await Assert.ThrowsAsync<MedLedgerApiException>(() => client.ChangePassphraseAsync(new PassphraseChangeRequest("change.patient", original, original)));
        Assert.Equal(HttpStatusCode.BadRequest, same.StatusCode);
        Assert.NotEmpty(await client.ExportVaultAsync(new VaultExportRequest("change.patient", original)));

        var changed = await client.ChangePassphraseAsync(new PassphraseChangeRequest("change.patient", original, chosen));
        Assert.Equal(("change.patient", 1), (changed.Username, changed.Keys));

        var old = await Assert.ThrowsAsync<MedLedgerApiException>(() => client.ExportVaultAsync(new VaultExportRequest("change.patient", original)));
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        var vault = await client.ExportVaultAsync(new VaultExportRequest("change.patient", chosen));
        var reopened = Assert.Single(KeyVault.Open(Node.Suite, vault, chosen));
        using (reopened)
        {
            Assert.Equal(key.PublicKey.ToArray(), reopened.PublicKey.ToArray());
        }
    }
}
