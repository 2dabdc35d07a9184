using System.Net.Http.Json;
using System.Text.Json;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Node;
using MedLedger.Sharing.Demo;
using MedLedger.Sharing.Records;
using MedLedger.Storage;

namespace MedLedger.Cli;

/// <summary>
/// The demo consortium of <c>medledger up</c> (issue "medical data sharing", part 7): organisations of every kind,
/// their staff and a few dozen synthetic patients with realistic FHIR records, all created through the node's real
/// API and ledger (enrolment, registration transactions, sealed uploads with consent co-signatures, grants).
/// Every demo user is custodial (keys sealed under their passphrase at the node), so they can sign in to the web UI
/// and export their keys for the CLI. Passphrases are demo values, printed for a local trial only.
/// </summary>
internal static class DemoConsortium
{
    public const string ChainId = "medledger-demo";
    public const string StaffPassphrase = "demo-staff-passphrase";
    public const string PatientPassphrase = "demo-patient-passphrase";
    public const int DefaultPatientCount = 24;
    private const string SeededMarker = "demo-logins.json";
    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    private static readonly OrganisationSeed[] Organisations =
    [
        new("st-mary", "St Mary's Hospital", OrganisationKind.Hospital, "tertiary"),
        new("harbor-general", "Harbor General Hospital", OrganisationKind.Hospital, "secondary"),
        new("riverside-clinic", "Riverside Family Clinic", OrganisationKind.Clinic, string.Empty),
        new("sunrise-care", "Sunrise Elderly Care Home", OrganisationKind.ElderlyCare, string.Empty),
        new("civic-insurance", "Civic Health Insurance", OrganisationKind.Insurer, string.Empty),
        new("health-regulator", "National Health Regulator", OrganisationKind.Regulator, string.Empty),
        new("genome-institute", "Genome Research Institute", OrganisationKind.ResearchInstitute, string.Empty),
    ];

    private static readonly (string Organisation, string Role, string Username, string Name)[] Staff =
    [
        ("st-mary", "doctor", "dr.chen", "Dr Li Chen"),
        ("st-mary", "doctor", "dr.okafor", "Dr Ngozi Okafor"),
        ("harbor-general", "doctor", "dr.silva", "Dr Marta Silva"),
        ("riverside-clinic", "doctor", "dr.novak", "Dr Petr Novak"),
        ("sunrise-care", "doctor", "dr.haddad", "Dr Rania Haddad"),
        ("civic-insurance", "insurerAgent", "agent.moreau", "Claire Moreau"),
        ("health-regulator", "auditor", "auditor.berg", "Lars Berg"),
        ("genome-institute", "researcher", "researcher.tanaka", "Yuki Tanaka"),
    ];

    /// <summary>Creates the consortium's data folder with its founding administrators as custodial users.</summary>
    public static void Initialize(string nodeFolder, int port)
    {
        var suite = CryptoSuites.Standard;
        var admins = Organisations.ToDictionary(o => o.Id, _ => suite.GenerateSigningKey());
        try
        {
            var options = new ConsortiumInitOptions(
                "Demo node", ChainId, suite.Name, null, port, Organisations,
                Organisations.Select(o => new AdministratorSeed(o.Id, $"Administrator of {o.Name}", Convert.ToHexStringLower(admins[o.Id].PublicKey.Span))).ToList(),
                [
                    new PolicyRule(AccountRole.Researcher, AccessPurpose.Research, [], [SensitivityTier.GeneralClinical]),
                    new PolicyRule(AccountRole.Auditor, AccessPurpose.Audit, [], [SensitivityTier.GeneralClinical]),
                ]);
            var directory = NodeDataDirectory.InitializeConsortium(nodeFolder, options, TimeProvider.System);
            using var store = SqliteRecordStore.Open(directory.RecordDatabasePath, suite);
            Parallel.ForEach(Organisations, organisation =>
            {
                var vault = KeyVault.Seal(suite, [admins[organisation.Id]], StaffPassphrase);
                store.PutCustodialAccount(new CustodialAccount(AdminUsername(organisation.Id), suite.Hash(admins[organisation.Id].PublicKey.Span), AccountRole.OrgAdmin, organisation.Id, vault, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            });
        }
        finally
        {
            foreach (var key in admins.Values)
            {
                key.Dispose();
            }
        }
    }

    /// <summary>True when the folder's demo data was seeded already.</summary>
    public static bool IsSeeded(string nodeFolder) => File.Exists(Path.Combine(nodeFolder, SeededMarker));

    /// <summary>Seeds staff, patients, records and grants through the API of the running node.</summary>
    public static async Task SeedAsync(string nodeFolder, Uri address, int patientCount, CancellationToken cancellationToken)
    {
        var suite = CryptoSuites.Standard;
        using var anonymous = new HttpClient { BaseAddress = address };
        var keys = new Dictionary<string, ISigningKey>(StringComparer.Ordinal);
        var logins = new List<DemoLogin>();
        try
        {
            Console.WriteLine("Seeding the demo consortium (first start only): staff, patients, records, grants…");
            foreach (var organisation in Organisations)
            {
                keys[AdminUsername(organisation.Id)] = await ExportKeyAsync(anonymous, suite, AdminUsername(organisation.Id), StaffPassphrase, cancellationToken).ConfigureAwait(false);
                logins.Add(new DemoLogin(AdminUsername(organisation.Id), StaffPassphrase, "orgAdmin", organisation.Id));
            }

            foreach (var (organisation, role, username, name) in Staff)
            {
                using var admin = MedLedgerUserClient.Create(address, suite, keys[AdminUsername(organisation)]);
                var response = await admin.EnrolStaffAsync(new StaffEnrolmentRequest(username, StaffPassphrase, role, name), cancellationToken).ConfigureAwait(false);
                var factory = await admin.GetTransactionFactoryAsync(cancellationToken).ConfigureAwait(false);
                var parsedRole = Enum.Parse<AccountRole>(role, ignoreCase: true);
                await admin.SubmitAsync(factory.RegisterUser(Convert.FromHexString(response.PublicKey), parsedRole, organisation, name), true, cancellationToken).ConfigureAwait(false);
                keys[username] = await ExportKeyAsync(anonymous, suite, username, StaffPassphrase, cancellationToken).ConfigureAwait(false);
                logins.Add(new DemoLogin(username, StaffPassphrase, role, organisation));
            }

            var doctors = Staff.Where(s => s.Role == "doctor").ToList();
            var patients = SyntheticPatients.Generate(2026, patientCount);
            var records = 0;
            for (var i = 0; i < patients.Count; i++)
            {
                var synthetic = patients[i];
                var home = doctors[i % doctors.Count];
                using var doctor = MedLedgerUserClient.Create(address, suite, keys[home.Username]);
                var username = $"patient{i + 1:00}";
                var (enrolment, _) = await doctor.EnrolPatientAndRegisterAsync(
                    new PatientEnrolmentRequest(username, PatientPassphrase, synthetic.GivenName, synthetic.FamilyName, synthetic.NationalId, synthetic.BirthDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), synthetic.Sex, synthetic.PostalCode),
                    home.Organisation,
                    true,
                    cancellationToken).ConfigureAwait(false);
                using var patientKey = await ExportKeyAsync(anonymous, suite, username, PatientPassphrase, cancellationToken).ConfigureAwait(false);
                var pseudonym = Hash.Parse(enrolment.KeyId);
                var writer = new RecordWriter(doctor);
                foreach (var record in synthetic.Records)
                {
                    var draft = await writer.PrepareRecordAsync(pseudonym, record.Category, record.Json.ToArray(), Split, null, cancellationToken).ConfigureAwait(false);
                    await writer.UploadAsync(draft.SignConsent(suite, patientKey), true, cancellationToken).ConfigureAwait(false);
                    records++;
                }

                // Every third patient lets a doctor of another hospital read their general clinical data for 90 days.
                if (i % 3 == 0)
                {
                    using var patient = MedLedgerUserClient.Create(address, suite, patientKey);
                    var other = doctors[(i + 2) % doctors.Count];
                    var factory = await patient.GetTransactionFactoryAsync(cancellationToken).ConfigureAwait(false);
                    var now = DateTimeOffset.UtcNow;
                    var grant = factory.GrantConsent(new ConsentGrantPayload(pseudonym, GrantActor.ForUser(suite.Hash(keys[other.Username].PublicKey.Span)), GrantActions.Read, AccessPurpose.Treatment, [], [SensitivityTier.GeneralClinical], [], now.ToUnixTimeMilliseconds(), now.AddDays(90).ToUnixTimeMilliseconds()));
                    await patient.SubmitAsync(grant, true, cancellationToken).ConfigureAwait(false);
                }

                logins.Add(new DemoLogin(username, PatientPassphrase, "patient", home.Organisation));
            }

            await File.WriteAllBytesAsync(Path.Combine(nodeFolder, SeededMarker), JsonSerializer.SerializeToUtf8Bytes(logins, IndentedJson), cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"Seeded {Organisations.Length} organisations, {Staff.Length} staff, {patients.Count} patients and {records} records.");
        }
        finally
        {
            foreach (var key in keys.Values)
            {
                key.Dispose();
            }
        }
    }

    /// <summary>Prints the demo logins (demo passphrases: a local trial only).</summary>
    public static void PrintLogins(string nodeFolder)
    {
        var path = Path.Combine(nodeFolder, SeededMarker);
        if (!File.Exists(path))
        {
            return;
        }

        var logins = JsonSerializer.Deserialize<List<DemoLogin>>(File.ReadAllBytes(path)) ?? [];
        Console.WriteLine("Demo logins (local demo only; passphrases are public):");
        foreach (var group in logins.GroupBy(l => l.Role))
        {
            var names = group.Select(l => l.Username).ToList();
            var shown = names.Count > 6 ? string.Join(", ", names.Take(4)) + $", … ({names.Count} in all)" : string.Join(", ", names);
            Console.WriteLine($"  {group.Key,-13} {shown}   passphrase: {group.First().Passphrase}");
        }
    }

    private static string AdminUsername(string organisation) => $"admin.{organisation}";

    private static IReadOnlyDictionary<SensitivityTier, byte[]> Split(byte[] document) => RecordTiers.Split(document);

    private static async Task<ISigningKey> ExportKeyAsync(HttpClient http, ICryptoSuite suite, string username, string passphrase, CancellationToken cancellationToken)
    {
        var response = await http.PostAsJsonAsync("api/v1/custody/export", new VaultExportRequest(username, passphrase), cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var vault = await response.Content.ReadFromJsonAsync<VaultExportResponse>(cancellationToken).ConfigureAwait(false);
        return KeyVault.Open(suite, Convert.FromBase64String(vault!.Vault), passphrase)[0];
    }

    private sealed record DemoLogin(string Username, string Passphrase, string Role, string Organisation);
}
