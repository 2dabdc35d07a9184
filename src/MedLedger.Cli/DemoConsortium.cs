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
    /// <summary>The file in the consortium's root listing every demo login with its home node's URL.</summary>
    public const string LoginsFile = "demo-logins.json";
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

    private static readonly PolicyRule[] Policies =
    [
        new PolicyRule(AccountRole.Researcher, AccessPurpose.Research, [], [SensitivityTier.GeneralClinical]),
        new PolicyRule(AccountRole.Auditor, AccessPurpose.Audit, [], [SensitivityTier.GeneralClinical]),
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

    /// <summary>The node folders of a demo consortium: node1, node2, … under its root.</summary>
    public static string NodeFolder(string root, int index) => Path.Combine(root, $"node{index}");

    /// <summary>How many nodes the demo consortium in <paramref name="root"/> has (initialised folders node1, node2, … in a row).</summary>
    public static int CountNodes(string root)
    {
        var count = 0;
        while (new NodeDataDirectory(NodeFolder(root, count + 1)).IsInitialized)
        {
            count++;
        }

        return count;
    }

    /// <summary>Creates a single-node consortium's data folder with its founding administrators as custodial users.</summary>
    public static void Initialize(string nodeFolder, int port)
    {
        var suite = CryptoSuites.Standard;
        var admins = Organisations.ToDictionary(o => o.Id, _ => suite.GenerateSigningKey());
        try
        {
            var options = new ConsortiumInitOptions("Demo node", ChainId, suite.Name, null, port, Organisations, AdministratorSeeds(admins), Policies);
            var directory = NodeDataDirectory.InitializeConsortium(nodeFolder, options, TimeProvider.System);
            StoreCustodialAdministrators(suite, admins, Organisations.ToDictionary(o => o.Id, _ => directory));
        }
        finally
        {
            foreach (var key in admins.Values)
            {
                key.Dispose();
            }
        }
    }

    /// <summary>
    /// Creates a consortium of <paramref name="nodeCount"/> validators, one folder each (node1…nodeN under
    /// <paramref name="root"/>), with the founding organisations spread over the nodes and each administrator's custodial
    /// account at the node hosting its organisation. API ports are <paramref name="apiPorts"/>, peer ports
    /// <paramref name="peerPorts"/>.
    /// </summary>
    public static void InitializeNodes(string root, int nodeCount, IReadOnlyList<int> apiPorts, IReadOnlyList<int> peerPorts)
    {
        var suite = CryptoSuites.Standard;
        var admins = Organisations.ToDictionary(o => o.Id, _ => suite.GenerateSigningKey());
        try
        {
            var nodes = NodeDataDirectory.SpreadNodes(nodeCount, Organisations, 0, 1)
                .Select((node, i) => node with { ApiPort = apiPorts[i], PeerPort = peerPorts[i] })
                .ToList();
            var directories = NodeDataDirectory.InitializeConsortiumNodes(root, new ConsortiumNodesOptions(ChainId, suite.Name, null, nodes, Organisations, AdministratorSeeds(admins), Policies, Credit: CreditParameters.Default), TimeProvider.System);
            var homes = new Dictionary<string, NodeDataDirectory>(StringComparer.Ordinal);
            for (var i = 0; i < nodes.Count; i++)
            {
                foreach (var organisation in nodes[i].Organisations)
                {
                    homes[organisation] = directories[i];
                }
            }

            StoreCustodialAdministrators(suite, admins, homes);
        }
        finally
        {
            foreach (var key in admins.Values)
            {
                key.Dispose();
            }
        }
    }

    /// <summary>
    /// Adds node <paramref name="index"/> to a running demo consortium as a late, non-voting node: creates its folder
    /// from the consortium's genesis (peers: every existing node), has the administrator of the first node's first
    /// organisation register its key on chain as a Node account (through that node, waiting for the commit), and adds
    /// its peer address to the existing nodes' node.json for their next start. Returns the new folder.
    /// </summary>
    public static async Task<string> AddLateNodeAsync(string root, int index, int apiPort, int peerPort, Uri firstNode, CancellationToken cancellationToken)
    {
        var suite = CryptoSuites.Standard;
        var existing = Enumerable.Range(1, index - 1).Select(i => new NodeDataDirectory(NodeFolder(root, i))).ToList();
        var peers = existing.Select(d => $"127.0.0.1:{d.LoadSettings().PeerPort}").ToList();
        var name = $"node{index}";
        var (directory, publicKey) = NodeDataDirectory.InitializeJoiningNode(NodeFolder(root, index), new JoinNodeOptions(existing[0].GenesisPath, name, apiPort, peerPort, peers, null));
        try
        {
            var sponsor = existing[0].LoadSettings().Organisations is [var firstHosted, ..] ? firstHosted : throw new CliUsageException("node1 hosts no organisation, so no administrator can admit a late node.");
            using var anonymous = new HttpClient { BaseAddress = firstNode };
            using var adminKey = await ExportKeyAsync(anonymous, suite, AdminUsername(sponsor), StaffPassphrase, cancellationToken).ConfigureAwait(false);
            using var admin = MedLedgerUserClient.Create(firstNode, suite, adminKey);
            var factory = await admin.GetTransactionFactoryAsync(cancellationToken).ConfigureAwait(false);
            var result = await admin.SubmitAsync(factory.RegisterUser(Convert.FromHexString(publicKey), AccountRole.Node, sponsor, name), true, cancellationToken).ConfigureAwait(false);
            if (result.Status != "committed")
            {
                throw new CliUsageException($"Admitting {name} ended '{result.Status}': {result.Reason}");
            }
        }
        catch
        {
            Directory.Delete(directory.Root, recursive: true);
            throw;
        }

        foreach (var other in existing)
        {
            var settings = other.LoadSettings();
            other.SaveSettings(settings with { Peers = [.. settings.Peers ?? [], $"127.0.0.1:{peerPort}"] });
        }

        return directory.Root;
    }

    /// <summary>True when the consortium's demo data was seeded already (the logins file is at the root, or at node1 as before).</summary>
    public static bool IsSeeded(string root)
    {
        var legacy = Path.Combine(NodeFolder(root, 1), LoginsFile);
        if (!File.Exists(Path.Combine(root, LoginsFile)) && File.Exists(legacy))
        {
            File.Move(legacy, Path.Combine(root, LoginsFile));
        }

        return File.Exists(Path.Combine(root, LoginsFile));
    }

    /// <summary>
    /// Seeds staff, patients, records and grants through the API of each organisation's home node
    /// (<paramref name="homes"/>: organisation id → base URL): staff are enrolled at the node hosting their organisation,
    /// patients at their home hospital's node. Writes <c>demo-logins.json</c> into <paramref name="root"/>.
    /// </summary>
    public static async Task SeedAsync(string root, IReadOnlyDictionary<string, Uri> homes, int patientCount, CancellationToken cancellationToken)
    {
        var suite = CryptoSuites.Standard;
        var clients = homes.Values.Distinct().ToDictionary(u => u, u => new HttpClient { BaseAddress = u });
        var keys = new Dictionary<string, ISigningKey>(StringComparer.Ordinal);
        var logins = new List<DemoLogin>();
        try
        {
            Console.WriteLine("Seeding the demo consortium (first start only): staff, patients, records, grants…");
            foreach (var organisation in Organisations)
            {
                keys[AdminUsername(organisation.Id)] = await ExportKeyAsync(clients[homes[organisation.Id]], suite, AdminUsername(organisation.Id), StaffPassphrase, cancellationToken).ConfigureAwait(false);
                logins.Add(new DemoLogin(AdminUsername(organisation.Id), StaffPassphrase, "orgAdmin", organisation.Id, null));
            }

            foreach (var (organisation, role, username, name) in Staff)
            {
                var home = homes[organisation];
                using var admin = MedLedgerUserClient.Create(home, suite, keys[AdminUsername(organisation)]);
                var response = await admin.EnrolStaffAsync(new StaffEnrolmentRequest(username, StaffPassphrase, role, name), cancellationToken).ConfigureAwait(false);
                var factory = await admin.GetTransactionFactoryAsync(cancellationToken).ConfigureAwait(false);
                var parsedRole = Enum.Parse<AccountRole>(role, ignoreCase: true);
                await admin.SubmitAsync(factory.RegisterUser(Convert.FromHexString(response.PublicKey), parsedRole, organisation, name), true, cancellationToken).ConfigureAwait(false);
                keys[username] = await ExportKeyAsync(clients[home], suite, username, StaffPassphrase, cancellationToken).ConfigureAwait(false);
                logins.Add(new DemoLogin(username, StaffPassphrase, role, organisation, null));
            }

            var doctors = Staff.Where(s => s.Role == "doctor").ToList();
            var patients = SyntheticPatients.Generate(2026, patientCount);
            var records = 0;
            for (var i = 0; i < patients.Count; i++)
            {
                var synthetic = patients[i];
                var doctorSeat = doctors[i % doctors.Count];
                var home = homes[doctorSeat.Organisation];
                using var doctor = MedLedgerUserClient.Create(home, suite, keys[doctorSeat.Username]);
                var username = $"patient{i + 1:00}";
                var (enrolment, _) = await doctor.EnrolPatientAndRegisterAsync(
                    new PatientEnrolmentRequest(username, PatientPassphrase, synthetic.GivenName, synthetic.FamilyName, synthetic.NationalId, synthetic.BirthDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), synthetic.Sex, synthetic.PostalCode),
                    doctorSeat.Organisation,
                    true,
                    cancellationToken).ConfigureAwait(false);
                using var patientKey = await ExportKeyAsync(clients[home], suite, username, PatientPassphrase, cancellationToken).ConfigureAwait(false);
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
                    using var patient = MedLedgerUserClient.Create(home, suite, patientKey);
                    var other = doctors[(i + 2) % doctors.Count];
                    var factory = await patient.GetTransactionFactoryAsync(cancellationToken).ConfigureAwait(false);
                    var now = DateTimeOffset.UtcNow;
                    var grant = factory.GrantConsent(new ConsentGrantPayload(pseudonym, GrantActor.ForUser(suite.Hash(keys[other.Username].PublicKey.Span)), GrantActions.Read, AccessPurpose.Treatment, [], [SensitivityTier.GeneralClinical], [], now.ToUnixTimeMilliseconds(), now.AddDays(90).ToUnixTimeMilliseconds()));
                    await patient.SubmitAsync(grant, true, cancellationToken).ConfigureAwait(false);
                }

                logins.Add(new DemoLogin(username, PatientPassphrase, "patient", doctorSeat.Organisation, null));
            }

            await File.WriteAllBytesAsync(Path.Combine(root, LoginsFile), JsonSerializer.SerializeToUtf8Bytes(logins, IndentedJson), cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"Seeded {Organisations.Length} organisations, {Staff.Length} staff, {patients.Count} patients and {records} records.");
        }
        finally
        {
            foreach (var key in keys.Values)
            {
                key.Dispose();
            }

            foreach (var client in clients.Values)
            {
                client.Dispose();
            }
        }
    }

    /// <summary>
    /// Sets every login's Url to its home node's current base URL (<paramref name="homes"/>: organisation id → URL),
    /// so <c>demo-logins.json</c> is right even when the nodes got new ports at this start.
    /// </summary>
    public static void UpdateLoginUrls(string root, IReadOnlyDictionary<string, Uri> homes)
    {
        var path = Path.Combine(root, LoginsFile);
        if (!File.Exists(path))
        {
            return;
        }

        var logins = JsonSerializer.Deserialize<List<DemoLogin>>(File.ReadAllBytes(path)) ?? [];
        var updated = logins.Select(l => l with { Url = homes.TryGetValue(l.Organisation, out var url) ? url.AbsoluteUri.TrimEnd('/') : l.Url }).ToList();
        File.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(updated, IndentedJson));
    }

    /// <summary>Prints the demo logins (demo passphrases: a local trial only) and, for several nodes, where each organisation lives.</summary>
    public static void PrintLogins(string root)
    {
        var path = Path.Combine(root, LoginsFile);
        if (!File.Exists(path))
        {
            return;
        }

        var logins = JsonSerializer.Deserialize<List<DemoLogin>>(File.ReadAllBytes(path)) ?? [];
        Console.WriteLine($"Demo logins (local demo only; passphrases are public; all of them in {path}):");
        foreach (var group in logins.GroupBy(l => l.Role))
        {
            var names = group.Select(l => l.Username).ToList();
            var shown = names.Count > 6 ? string.Join(", ", names.Take(4)) + $", … ({names.Count} in all)" : string.Join(", ", names);
            Console.WriteLine($"  {group.Key,-13} {shown}   passphrase: {group.First().Passphrase}");
        }

        var urls = logins.Where(l => l.Url is not null).Select(l => l.Url).Distinct().Count();
        if (urls > 1)
        {
            Console.WriteLine("Each user signs in at their organisation's home node:");
            foreach (var group in logins.Where(l => l.Url is not null).GroupBy(l => l.Url!).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                Console.WriteLine($"  {group.Key}  {string.Join(", ", group.Select(l => l.Organisation).Distinct())}");
            }
        }
    }

    private static List<AdministratorSeed> AdministratorSeeds(Dictionary<string, ISigningKey> admins) =>
        [.. Organisations.Select(o => new AdministratorSeed(o.Id, $"Administrator of {o.Name}", Convert.ToHexStringLower(admins[o.Id].PublicKey.Span)))];

    /// <summary>Seals each founding administrator's key as a custodial account at the node hosting its organisation.</summary>
    private static void StoreCustodialAdministrators(ICryptoSuite suite, Dictionary<string, ISigningKey> admins, Dictionary<string, NodeDataDirectory> homes)
    {
        foreach (var group in Organisations.GroupBy(o => homes[o.Id].Root))
        {
            using var store = SqliteRecordStore.Open(homes[group.First().Id].RecordDatabasePath, suite);
            Parallel.ForEach(group, organisation =>
            {
                var vault = KeyVault.Seal(suite, [admins[organisation.Id]], StaffPassphrase);
                store.PutCustodialAccount(new CustodialAccount(AdminUsername(organisation.Id), suite.Hash(admins[organisation.Id].PublicKey.Span), AccountRole.OrgAdmin, organisation.Id, vault, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            });
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

    /// <summary>One demo login; <see cref="Url"/> is the base URL of the user's home node (absent in older files).</summary>
    private sealed record DemoLogin(string Username, string Passphrase, string Role, string Organisation, string? Url);
}
