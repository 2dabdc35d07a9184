using System.Text;
using System.Text.Json;
using MedLedger.Ledger;
using MedLedger.Sharing.Demo;

namespace MedLedger.Node.Tests;

/// <summary>
/// After a full scenario (enrolment, writes with every tier, grants, reads, denials, revocation), the chain's files —
/// every block, transaction and state entry, including the write-ahead log — contain no plaintext FHIR content, no
/// patient name or national id, and no unsalted hash of any field or document (SPEC F11, Targets "zero plaintext").
/// </summary>
public sealed class MedicalPlaintextScanTests(MedicalNodeFixture fixture) : IClassFixture<MedicalNodeFixture>
{
    private MedicalTestNode Node => fixture.Node;

    [Fact]
    public async Task ChainFiles_HoldNoPlaintextNamesIdsOrUnsaltedHashes()
    {
        var doctor = Node.ClientFor(await Node.RegisterAsync(MedicalTestNode.StMary, AccountRole.Doctor, "Dr Scan"));
        var reader = await Node.RegisterAsync(MedicalTestNode.Harbor, AccountRole.Doctor, "Dr Reader");
        var synthetic = SyntheticPatients.GeneratePatient(99, 3);
        var (patientKey, patient) = await Node.EnrolPatientAsync(doctor, MedicalTestNode.StMary, "scan.patient", synthetic.NationalId);
        var patientClient = Node.ClientFor(patientKey);
        var factory = await patientClient.GetTransactionFactoryAsync();
        var now = DateTimeOffset.UtcNow;
        var grant = factory.GrantConsent(new ConsentGrantPayload(patient, GrantActor.ForUser(Node.Suite.Hash(reader.PublicKey.Span)), GrantActions.Read, AccessPurpose.Treatment, [], [SensitivityTier.Identity, SensitivityTier.GeneralClinical, SensitivityTier.Sensitive], [], now.AddMinutes(-1).ToUnixTimeMilliseconds(), now.AddHours(1).ToUnixTimeMilliseconds()));
        await patientClient.SubmitAsync(grant);

        var secrets = new List<(string What, byte[] Bytes)>();
        foreach (var record in synthetic.Records)
        {
            var document = record.Json.ToArray();
            var recordId = await Node.WriteRecordAsync(doctor, patientKey, patient, document, record.Category);
            await Node.ClientFor(reader).ReadRecordAsync(recordId);
            secrets.Add(("sha-256 of a whole document", Node.Suite.Hash(document).ToArray()));
            foreach (var (tier, part) in MedicalTestNode.Split(document))
            {
                secrets.Add(($"sha-256 of a {tier} part", Node.Suite.Hash(part).ToArray()));
            }

            // Bundle.type codes are FHIR vocabulary, not patient content ("transaction" is also an SQLite table name).
            foreach (var text in StringValues(document).Where(s => s.Length >= 8 && s is not ("transaction" or "collection" or "document")).Distinct())
            {
                secrets.Add(($"FHIR text '{text}'", Encoding.UTF8.GetBytes(text)));
            }
        }

        await patientClient.SubmitAsync(factory.RevokeConsent(grant.ComputeId(Node.Suite)));
        foreach (var field in new[] { synthetic.GivenName, synthetic.FamilyName, synthetic.NationalId, synthetic.PostalCode, synthetic.BirthDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) })
        {
            if (field.Length >= 6)
            {
                secrets.Add(($"identifier '{field}'", Encoding.UTF8.GetBytes(field)));
            }

            secrets.Add(($"sha-256 of '{field}'", Node.Suite.Hash(Encoding.UTF8.GetBytes(field)).ToArray()));
            secrets.Add(($"sha-256 of upper-case '{field}'", Node.Suite.Hash(Encoding.UTF8.GetBytes(field.ToUpperInvariant())).ToArray()));
        }

        var chain = ReadShared(Path.Combine(Node.DataPath, "chain.db")).Concat(ReadShared(Path.Combine(Node.DataPath, "chain.db-wal"))).ToArray();
        Assert.True(chain.Length > 100_000, "the chain files were read");
        foreach (var (what, bytes) in secrets)
        {
            Assert.True(chain.AsSpan().IndexOf(bytes) < 0, $"chain.db holds {what}");
        }

        // The scan is able to find what it looks for: the patient's pseudonym is (rightly) on chain.
        Assert.True(chain.AsSpan().IndexOf(patient.ToArray()) >= 0);
    }

    private static byte[] ReadShared(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static IEnumerable<string> StringValues(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        var stack = new Stack<JsonElement>([document.RootElement]);
        while (stack.Count > 0)
        {
            var element = stack.Pop();
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        stack.Push(property.Value);
                    }

                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        stack.Push(item);
                    }

                    break;
                case JsonValueKind.String:
                    yield return element.GetString()!;
                    break;
            }
        }
    }
}
