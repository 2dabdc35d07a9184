using System.Net.Http.Json;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Sharing.Records;
using Microsoft.AspNetCore.Builder;

using Microsoft.Data.Sqlite;

namespace MedLedger.Node.Tests;

/// <summary>
/// A real medical consortium node in this process (Kestrel on a free loopback port, SQLite files in a temp folder)
/// made by <see cref="NodeDataDirectory.InitializeConsortium"/>: two hospitals, a regulator and an insurer, whose
/// administrators' keys the test holds. Helpers register staff and enrol patients through the real API.
/// </summary>
internal sealed class MedicalTestNode : IAsyncDisposable
{
    public const string ChainId = "medledger-medical-tests";
    public const string Passphrase = "medical tests passphrase";
    public const string StMary = "st-mary";
    public const string Harbor = "harbor";
    public const string Regulator = "regulator";
    public const string Insurer = "civic-insurance";
    public const string Research = "genome-institute";

    private readonly string _root;
    private readonly List<IDisposable> _owned = [];

    private MedicalTestNode(string root, WebApplication app, Dictionary<string, ISigningKey> admins)
    {
        _root = root;
        App = app;
        Admins = admins;
        Address = new Uri(NodeHost.ApiAddress(app) + "/");
        Anonymous = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public ICryptoSuite Suite { get; } = CryptoSuites.Standard;

    public WebApplication App { get; }

    public Uri Address { get; }

    public string DataPath => Path.Combine(_root, "node");

    /// <summary>An HTTP client that signs nothing.</summary>
    public HttpClient Anonymous { get; }

    /// <summary>The founding administrators' keys by organisation.</summary>
    public IReadOnlyDictionary<string, ISigningKey> Admins { get; }

    public static async Task<MedicalTestNode> StartAsync()
    {
        var root = Directory.CreateTempSubdirectory("medledger-medical-tests-").FullName;
        var suite = CryptoSuites.Standard;
        var admins = new Dictionary<string, ISigningKey>
        {
            [StMary] = suite.GenerateSigningKey(),
            [Harbor] = suite.GenerateSigningKey(),
            [Regulator] = suite.GenerateSigningKey(),
            [Insurer] = suite.GenerateSigningKey(),
            [Research] = suite.GenerateSigningKey(),
        };
        OrganisationSeed[] organisations =
        [
            new(StMary, "St Mary's Hospital", OrganisationKind.Hospital, "tertiary"),
            new(Harbor, "Harbor Hospital", OrganisationKind.Hospital, "secondary"),
            new(Regulator, "Health Regulator", OrganisationKind.Regulator, string.Empty),
            new(Insurer, "Civic Insurance", OrganisationKind.Insurer, string.Empty),
            new(Research, "Genome Institute", OrganisationKind.ResearchInstitute, string.Empty),
        ];
        var options = new ConsortiumInitOptions(
            "test-node",
            ChainId,
            "standard",
            Passphrase,
            0,
            organisations,
            admins.Select(a => new AdministratorSeed(a.Key, $"Admin of {a.Key}", Convert.ToHexStringLower(a.Value.PublicKey.Span))).ToList(),
            [new PolicyRule(AccountRole.Researcher, AccessPurpose.Research, [], [SensitivityTier.GeneralClinical])]);
        WebApplication? app = null;
        try
        {
            NodeDataDirectory.InitializeConsortium(Path.Combine(root, "node"), options, TimeProvider.System);
            app = NodeHost.Build(new NodeStartOptions(Path.Combine(root, "node"), 0, Passphrase), _ => { });
            await app.StartAsync();
            return new MedicalTestNode(root, app, admins);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            Directory.Delete(root, recursive: true);
            throw;
        }
    }

    /// <summary>A client signing with <paramref name="key"/>; disposed with the node.</summary>
    public MedLedgerUserClient ClientFor(ISigningKey key)
    {
        var client = MedLedgerUserClient.Create(Address, Suite, key);
        _owned.Add(client);
        return client;
    }

    /// <summary>A fresh key registered by the organisation's admin with a role; returns the key.</summary>
    public async Task<ISigningKey> RegisterAsync(string organisation, AccountRole role, string name)
    {
        var key = Suite.GenerateSigningKey();
        _owned.Add(key);
        var admin = ClientFor(Admins[organisation]);
        var factory = await admin.GetTransactionFactoryAsync();
        var submitted = await admin.SubmitAsync(factory.RegisterUser(key.PublicKey.Span, role, organisation, role == AccountRole.Patient ? string.Empty : name));
        Assert.Equal("committed", submitted.Status);
        return key;
    }

    /// <summary>Enrols a custodial patient through a doctor, registers the pseudonym, and opens the exported vault.</summary>
    public async Task<(ISigningKey Key, Hash UserId)> EnrolPatientAsync(MedLedgerUserClient doctor, string organisation, string username, string nationalId)
    {
        var passphrase = $"{username} passphrase";
        var (enrolment, registration) = await doctor.EnrolPatientAndRegisterAsync(new PatientEnrolmentRequest(username, passphrase, "Ada", $"Lovelace-{username}", nationalId, "1961-04-12", "female", "94110"), organisation);
        Assert.Equal("committed", registration.Status);
        var response = await Anonymous.PostAsJsonAsync("api/v1/custody/export", new VaultExportRequest(username, passphrase));
        response.EnsureSuccessStatusCode();
        var vault = (await response.Content.ReadFromJsonAsync<VaultExportResponse>())!;
        var key = KeyVault.Open(Suite, Convert.FromBase64String(vault.Vault), passphrase)[0];
        _owned.Add(key);
        Assert.Equal(enrolment.KeyId, Suite.Hash(key.PublicKey.Span).ToString());
        return (key, Suite.Hash(key.PublicKey.Span));
    }

    /// <summary>Overwrites every stored ciphertext tier of a record with zeros in records.db, as an attacker with disk access could.</summary>
    public void TamperCiphertext(Hash recordId)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(DataPath, "records.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE blobs SET ciphertext = zeroblob(length(ciphertext)) WHERE record_id = $id";
        command.Parameters.AddWithValue("$id", recordId.ToArray());
        Assert.True(command.ExecuteNonQuery() > 0, $"record {recordId} has no stored ciphertext to tamper with");
    }

    /// <summary>Writes a record as <paramref name="doctor"/> with the patient's consent co-signature.</summary>
    public async Task<Hash> WriteRecordAsync(MedLedgerUserClient doctor, ISigningKey patientKey, Hash patient, byte[] fhir, RecordCategory category)
    {
        var writer = new RecordWriter(doctor);
        var draft = await writer.PrepareRecordAsync(patient, category, fhir, Split);
        var uploaded = await writer.UploadAsync(draft.SignConsent(Suite, patientKey));
        Assert.NotNull(uploaded.Height);
        return Hash.Parse(uploaded.RecordId);
    }

    /// <summary>The production splitter: validate, then cut into tiers.</summary>
    public static IReadOnlyDictionary<SensitivityTier, byte[]> Split(byte[] document) => RecordTiers.Split(document);

    /// <summary>The production merge.</summary>
    public static byte[] Merge(IReadOnlyDictionary<SensitivityTier, byte[]> parts) => RecordTiers.Merge(parts);

    /// <summary>Waits until the indexed access log shows an entry matching <paramref name="match"/>.</summary>
    public static async Task<AccessLogEntryInfo> WaitForLogAsync(MedLedgerUserClient reader, AccessLogQuery query, Func<AccessLogEntryInfo, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var log = await reader.GetAccessLogAsync(query);
            if (log.Entries.FirstOrDefault(match) is { } entry)
            {
                return entry;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No matching access-log entry in 30 s; saw: {string.Join("; ", log.Entries.Select(e => $"{e.Action}/{e.Outcome}/{e.Reason}/{e.Actor[..8]}"))}");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        foreach (var key in Admins.Values)
        {
            key.Dispose();
        }

        Anonymous.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }
}
