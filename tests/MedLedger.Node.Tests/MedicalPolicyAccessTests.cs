using System.Net;
using System.Net.Http.Json;
using MedLedger.Client;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Sharing.Demo;

namespace MedLedger.Node.Tests;

/// <summary>
/// Policy access (SPEC F14, F18): a researcher receives de-identified, k-anonymous data of the general tier under the
/// on-chain policy, without any patient's grant — never names or national ids — and each release is logged where
/// the patient sees it; a doctor, whose role the policy does not name, is refused.
/// </summary>
public sealed class MedicalPolicyAccessTests(MedicalNodeFixture fixture) : IClassFixture<MedicalNodeFixture>
{
    private MedicalTestNode Node => fixture.Node;

    [Fact]
    public async Task Researcher_GetsDeidentifiedRecordsUnderPolicy_DoctorIsRefused()
    {
        var doctorKey = await Node.RegisterAsync(MedicalTestNode.StMary, AccountRole.Doctor, "Dr Policy");
        var doctor = Node.ClientFor(doctorKey);
        var patients = new List<(SyntheticPatient Synthetic, MedLedgerUserClient Client, Core.Hash Id)>();
        for (var i = 0; i < 3; i++)
        {
            var synthetic = SyntheticPatients.GeneratePatient(31, i);
            var (key, id) = await Node.EnrolPatientAsync(doctor, MedicalTestNode.StMary, $"policy.patient{i}", synthetic.NationalId);
            foreach (var record in synthetic.Records.Where(r => r.Category == RecordCategory.Laboratory))
            {
                await Node.WriteRecordAsync(doctor, key, id, record.Json.ToArray(), record.Category);
            }

            patients.Add((synthetic, Node.ClientFor(key), id));
        }

        var researcherKey = await Node.RegisterAsync(MedicalTestNode.Research, AccountRole.Researcher, "Dr Research");
        using var researcher = Signed(researcherKey);
        using var response = await researcher.PostAsJsonAsync("api/v1/research/deidentified", new DeidentifiedRequest("laboratory", 2, 500));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        var release = (await response.Content.ReadFromJsonAsync<DeidentifiedResponse>())!;
        Assert.NotEmpty(release.Records);
        Assert.Equal(["generalClinical"], release.Tiers);
        foreach (var (synthetic, _, _) in patients)
        {
            foreach (var identifier in synthetic.DirectIdentifiers.Where(d => d.Length >= 5))
            {
                Assert.DoesNotContain(identifier, body, StringComparison.Ordinal);
            }
        }

        var (_, firstClient, firstId) = patients[0];
        await MedicalTestNode.WaitForLogAsync(firstClient, new AccessLogQuery(Patients: [firstId]), e => e.Action == "deidentified" && e.Purpose == "research" && e.Actor == Node.Suite.Hash(researcherKey.PublicKey.Span).ToString());

        using var asDoctor = Signed(doctorKey);
        using var refused = await asDoctor.PostAsJsonAsync("api/v1/research/deidentified", new DeidentifiedRequest(null, 2, 10));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    private HttpClient Signed(ISigningKey key) =>
        new(new RequestSigningHandler(Node.Suite, key, new RequestSigningOptions { ChainId = MedicalTestNode.ChainId }, new SocketsHttpHandler())) { BaseAddress = Node.Address };
}
