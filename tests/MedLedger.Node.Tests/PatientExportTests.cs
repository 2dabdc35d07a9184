using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using MedLedger.Client;
using MedLedger.Ledger;
using MedLedger.Sharing.Demo;
using MedLedger.Web;

namespace MedLedger.Node.Tests;

/// <summary>
/// The patient's "download my records" (web UI, SPEC F37) on the real node: every readable record is in the FHIR
/// Bundle, and a record that fails its integrity check at the holding node does not stop the export — it is named in
/// an OperationOutcome entry, its content is not in the bundle, and the failed read is in the patient's access log.
/// </summary>
public sealed partial class PatientExportTests(MedicalNodeFixture fixture) : IClassFixture<MedicalNodeFixture>
{
    private MedicalTestNode Node => fixture.Node;

    [Fact]
    public async Task Export_ContainsTheReadableRecords_AndNamesATamperedOneInAnOperationOutcome()
    {
        const string username = "export.patient";
        var doctor = Node.ClientFor(await Node.RegisterAsync(MedicalTestNode.StMary, AccountRole.Doctor, "Dr Export"));
        var (key, patient) = await Node.EnrolPatientAsync(doctor, MedicalTestNode.StMary, username, "NID-EXPORT-1");
        var records = SyntheticPatients.GeneratePatient(11, 41).Records;
        var intact = await Node.WriteRecordAsync(doctor, key, patient, records[0].Json.ToArray(), records[0].Category);
        var tampered = await Node.WriteRecordAsync(doctor, key, patient, records[1].Json.ToArray(), records[1].Category);
        Node.TamperCiphertext(tampered);

        using var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = Node.Address };
        var session = await SignInAsync(client, username, $"{username} passphrase");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/patient/export/records");
        request.Headers.Add("Cookie", $"{WebUi.SessionCookie}={session}");
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        using var bundle = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("Bundle", bundle.RootElement.GetProperty("resourceType").GetString());
        var entries = bundle.RootElement.GetProperty("entry").EnumerateArray().ToList();
        var urls = entries.Select(e => e.GetProperty("fullUrl").GetString()).ToList();
        Assert.Contains($"urn:medledger:record:{intact}", urls);
        Assert.DoesNotContain($"urn:medledger:record:{tampered}", urls);
        var intactEntry = entries.Single(e => e.GetProperty("fullUrl").GetString() == $"urn:medledger:record:{intact}");
        using (var written = JsonDocument.Parse(records[0].Json))
        {
            Assert.Equal(written.RootElement.GetProperty("resourceType").GetString(), intactEntry.GetProperty("resource").GetProperty("resourceType").GetString());
        }

        var outcome = entries.Single(e => e.GetProperty("resource").GetProperty("resourceType").GetString() == "OperationOutcome").GetProperty("resource");
        var issue = Assert.Single(outcome.GetProperty("issue").EnumerateArray());
        Assert.Equal("error", issue.GetProperty("severity").GetString());
        Assert.Equal("processing", issue.GetProperty("code").GetString());
        Assert.Equal($"urn:medledger:record:{tampered}", Assert.Single(issue.GetProperty("expression").EnumerateArray()).GetString());

        // Exporting is reading: the intact record's read is logged as allowed, the tampered one's as an integrity failure.
        var patientClient = Node.ClientFor(key);
        await MedicalTestNode.WaitForLogAsync(patientClient, new AccessLogQuery(Patients: [patient], Outcome: AccessOutcome.Denied), e => e.RecordId == tampered.ToString() && e.Reason == "integrityFailure" && e.Action == "read");
        await MedicalTestNode.WaitForLogAsync(patientClient, new AccessLogQuery(Patients: [patient], Outcome: AccessOutcome.Allowed), e => e.RecordId == intact.ToString() && e.Action == "read");
    }

    private static async Task<string> SignInAsync(HttpClient client, string username, string passphrase)
    {
        var html = await client.GetStringAsync("/signin");
        var token = TokenField().Match(html).Groups["token"].Value;
        Assert.False(string.IsNullOrEmpty(token), "the sign-in form carries no antiforgery token");
        using var form = new FormUrlEncodedContent([new("username", username), new("passphrase", passphrase), new(WebUi.AntiforgeryField, token)]);
        using var response = await client.PostAsync("/signin", form);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(WebUi.SessionCookie + "=", StringComparison.Ordinal));

        // HttpClient does not send a Secure cookie over http://, unlike browsers for 127.0.0.1; it is sent by hand.
        return cookie[(WebUi.SessionCookie.Length + 1)..cookie.IndexOf(';', StringComparison.Ordinal)];
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"(?<token>[^\"]+)\"")]
    private static partial Regex TokenField();
}
