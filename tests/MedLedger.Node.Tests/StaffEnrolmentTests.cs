using System.Net;
using MedLedger.Client;

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
