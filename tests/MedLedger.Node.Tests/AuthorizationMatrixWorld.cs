using System.Net.Http.Json;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Sharing.Demo;

namespace MedLedger.Node.Tests;

/// <summary>One running medical node with the authorisation matrix's world on it, shared by the matrix tests.</summary>
public sealed class AuthorizationMatrixFixture : IAsyncLifetime
{
    internal MedicalTestNode? Node { get; private set; }

    internal AuthorizationMatrixWorld World { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Node = await MedicalTestNode.StartAsync();
        try
        {
            World = await AuthorizationMatrixWorld.BuildAsync(Node);
        }
        catch
        {
            await Node.DisposeAsync();
            Node = null;
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (Node is null)
        {
            return;
        }

        World.Dispose();
        if (Node is not null)
        {
            await Node.DisposeAsync();
        }
    }
}

/// <summary>The callers of the authorisation matrix: one column each.</summary>
internal enum MatrixActor
{
    /// <summary>P, a custodial patient of st-mary and the subject of record R.</summary>
    Patient,

    /// <summary>P2, another patient (of harbor, with record R2 written by D2).</summary>
    OtherPatient,

    /// <summary>D1, a doctor of st-mary and the author of R.</summary>
    AuthorDoctor,

    /// <summary>D2, a doctor of harbor whom P granted read access for treatment.</summary>
    GrantedDoctor,

    /// <summary>D3, a doctor of harbor without any grant.</summary>
    UngrantedDoctor,

    /// <summary>The org admin of st-mary (the organisation that holds R).</summary>
    StMaryAdmin,

    /// <summary>The org admin of harbor.</summary>
    HarborAdmin,

    /// <summary>An auditor of the regulator.</summary>
    Auditor,

    /// <summary>A researcher of the genome institute.</summary>
    Researcher,

    /// <summary>An insurer agent of civic-insurance.</summary>
    Insurer,

    /// <summary>The node's own key (a Node account of st-mary), as an operator's tool would sign with it.</summary>
    NodeKey,

    /// <summary>A well-formed signature by a key the chain does not know.</summary>
    UnregisteredKey,

    /// <summary>A request without any signature headers (and, for transactions, without a valid signature).</summary>
    Unsigned,
}

/// <summary>One caller: its key (none for <see cref="MatrixActor.Unsigned"/>), an HTTP client that signs with it, and its transaction factory.</summary>
internal sealed class MatrixCaller
{
    public required MatrixActor Actor { get; init; }

    /// <summary>The short column label of the printed matrix.</summary>
    public required string Label { get; init; }

    public ISigningKey? Key { get; init; }

    public Hash KeyId => Key is null ? Hash.Zero : CryptoSuites.Standard.Hash(Key.PublicKey.Span);

    /// <summary>Sends the matrix's requests: signs them with <see cref="Key"/>, or not at all.</summary>
    public required HttpClient Http { get; init; }

    /// <summary>Builds this caller's transactions (null for the unsigned caller).</summary>
    public TransactionFactory? Factory { get; init; }

    /// <summary>The caller's organisation on chain, if any.</summary>
    public string? Organisation { get; init; }
}

/// <summary>
/// The small world the authorisation matrix runs against, built once on one node through the real API: patient P of
/// st-mary with record R written by doctor D1 (with P's consent); doctor D2 of harbor with a read grant from P; doctor
/// D3 of harbor without one; the org admins of st-mary and harbor; an auditor, a researcher and an insurer agent;
/// patient P2 of harbor with record R2 written by D2; the node's own key; an unregistered key; and an unsigned caller.
/// </summary>
internal sealed class AuthorizationMatrixWorld : IDisposable
{
    public const string PatientUsername = "matrix.patient";
    public const string PatientPassphrase = "matrix.patient passphrase";
    public const string PatientNationalId = "NID-MATRIX-P";
    public const string OtherPatientUsername = "matrix.other";
    public const string OtherPatientPassphrase = "matrix.other passphrase";

    /// <summary>A third custodial patient whose passphrase only the matrix's passphrase-change row uses (P knows it).</summary>
    public const string KeyholderUsername = "matrix.keyholder";
    public const string KeyholderPassphrase = "matrix.keyholder passphrase";

    private readonly List<IDisposable> _owned = [];
    private readonly Dictionary<MatrixActor, MatrixCaller> _callers = [];

    private AuthorizationMatrixWorld(MedicalTestNode node, string chainId)
    {
        Node = node;
        ChainId = chainId;
        Public = new MedLedgerClient(node.Anonymous);
    }

    public MedicalTestNode Node { get; }

    /// <summary>The public routes, unsigned.</summary>
    public MedLedgerClient Public { get; }

    public string ChainId { get; }

    public ICryptoSuite Suite => Node.Suite;

    public IReadOnlyDictionary<MatrixActor, MatrixCaller> Callers => _callers;

    /// <summary>P's user id (its first key id).</summary>
    public Hash Patient { get; private set; }

    public ISigningKey PatientKey { get; private set; } = null!;

    public Hash OtherPatient { get; private set; }

    public ISigningKey OtherPatientKey { get; private set; } = null!;

    /// <summary>R: P's laboratory record, written by D1, held by st-mary.</summary>
    public Hash Record { get; private set; }

    /// <summary>The transaction that anchored R, and its block height.</summary>
    public Hash RecordTransaction { get; private set; }

    public ulong RecordHeight { get; private set; }

    /// <summary>R2: P2's record, written by D2, held by harbor.</summary>
    public Hash OtherRecord { get; private set; }

    /// <summary>P's grant to D2: read, treatment, every category and tier, for an hour.</summary>
    public Hash Grant { get; private set; }

    /// <summary>st-mary's on-chain encryption key (records of P are sealed for it).</summary>
    public byte[] StMaryEncryptionKey { get; private set; } = [];

    /// <summary>A FHIR document for the uploads the matrix tries.</summary>
    public byte[] Document { get; private set; } = [];

    public MatrixCaller this[MatrixActor actor] => _callers[actor];

    public static async Task<AuthorizationMatrixWorld> BuildAsync(MedicalTestNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var status = await new MedLedgerClient(node.Anonymous).GetStatusAsync();
        var world = new AuthorizationMatrixWorld(node, status.ChainId);
        try
        {
            await world.PopulateAsync();
            return world;
        }
        catch
        {
            world.Dispose();
            throw;
        }
    }

    /// <summary>A transaction factory for a key (registered or not), its last nonce read from the chain plus an offset.</summary>
    public async Task<TransactionFactory> FactoryAsync(ISigningKey key, ulong nonceOffset = 0)
    {
        ArgumentNullException.ThrowIfNull(key);
        var status = await Public.GetStatusAsync();
        return new TransactionFactory(Suite, key, ChainId, await LastNonceAsync(Suite.Hash(key.PublicKey.Span)) + nonceOffset, status.Height);
    }

    /// <summary>The last nonce the chain holds for a key (0 when unknown).</summary>
    public async Task<ulong> LastNonceAsync(Hash keyId) => (await Public.GetAccountAsync(keyId))?.Nonce ?? 0;

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }

    private async Task PopulateAsync()
    {
        // 1. Staff, registered on chain by their organisations' founding admins.
        var d1 = await Node.RegisterAsync(MedicalTestNode.StMary, AccountRole.Doctor, "Dr Matrix Author");
        var d2 = await Node.RegisterAsync(MedicalTestNode.Harbor, AccountRole.Doctor, "Dr Matrix Granted");
        var d3 = await Node.RegisterAsync(MedicalTestNode.Harbor, AccountRole.Doctor, "Dr Matrix Ungranted");
        var auditor = await Node.RegisterAsync(MedicalTestNode.Regulator, AccountRole.Auditor, "Auditor Matrix");
        var researcher = await Node.RegisterAsync(MedicalTestNode.Research, AccountRole.Researcher, "Researcher Matrix");
        var insurer = await Node.RegisterAsync(MedicalTestNode.Insurer, AccountRole.InsurerAgent, "Agent Matrix");

        // 2. Custodial patients: P at st-mary (enrolled by D1), P2 at harbor (enrolled by D2).
        var d1Client = Node.ClientFor(d1);
        var d2Client = Node.ClientFor(d2);
        (PatientKey, Patient) = await EnrolAsync(d1Client, MedicalTestNode.StMary, PatientUsername, PatientPassphrase, PatientNationalId);
        (OtherPatientKey, OtherPatient) = await EnrolAsync(d2Client, MedicalTestNode.Harbor, OtherPatientUsername, OtherPatientPassphrase, "NID-MATRIX-P2");
        await EnrolAsync(d1Client, MedicalTestNode.StMary, KeyholderUsername, KeyholderPassphrase, "NID-MATRIX-P3");

        // 3. R: a laboratory record of P by D1 with P's consent; R2: a record of P2 by D2 with P2's consent.
        var synthetic = SyntheticPatients.GeneratePatient(20_250, 0);
        Document = synthetic.Records.First(r => r.Category == RecordCategory.Laboratory).Json.ToArray();
        var writer = new RecordWriter(d1Client);
        var draft = await writer.PrepareRecordAsync(Patient, RecordCategory.Laboratory, Document, MedicalTestNode.Split);
        var uploaded = await writer.UploadAsync(draft.SignConsent(Suite, PatientKey));
        Record = Hash.Parse(uploaded.RecordId);
        RecordTransaction = Hash.Parse(uploaded.TransactionId);
        RecordHeight = uploaded.Height ?? throw new InvalidOperationException("R was not committed.");
        OtherRecord = await Node.WriteRecordAsync(d2Client, OtherPatientKey, OtherPatient, Document, RecordCategory.Laboratory);

        // 4. P grants D2 read access for treatment.
        var patientClient = Node.ClientFor(PatientKey);
        var factory = await patientClient.GetTransactionFactoryAsync();
        var now = DateTimeOffset.UtcNow;
        var grant = factory.GrantConsent(new ConsentGrantPayload(Patient, GrantActor.ForUser(Suite.Hash(d2.PublicKey.Span)), GrantActions.Read, AccessPurpose.Treatment, [], [SensitivityTier.Identity, SensitivityTier.GeneralClinical, SensitivityTier.Sensitive], [], now.AddMinutes(-1).ToUnixTimeMilliseconds(), now.AddHours(1).ToUnixTimeMilliseconds()));
        Assert.Equal("committed", (await patientClient.SubmitAsync(grant)).Status);
        Grant = grant.ComputeId(Suite);

        var stMary = await Public.GetOrganisationAsync(MedicalTestNode.StMary) ?? throw new InvalidOperationException("st-mary is not on chain.");
        StMaryEncryptionKey = Convert.FromHexString(stMary.EncryptionKey);

        // 5. The callers, each with its own signing HTTP client and transaction factory.
        var nodeKey = new NodeDataDirectory(Node.DataPath).LoadNodeKey(Suite, MedicalTestNode.Passphrase);
        _owned.Add(nodeKey);
        var stranger = Suite.GenerateSigningKey();
        _owned.Add(stranger);
        await AddAsync(MatrixActor.Patient, "P", PatientKey, MedicalTestNode.StMary);
        await AddAsync(MatrixActor.OtherPatient, "P2", OtherPatientKey, MedicalTestNode.Harbor);
        await AddAsync(MatrixActor.AuthorDoctor, "D1", d1, MedicalTestNode.StMary);
        await AddAsync(MatrixActor.GrantedDoctor, "D2", d2, MedicalTestNode.Harbor);
        await AddAsync(MatrixActor.UngrantedDoctor, "D3", d3, MedicalTestNode.Harbor);
        await AddAsync(MatrixActor.StMaryAdmin, "Adm-SM", Node.Admins[MedicalTestNode.StMary], MedicalTestNode.StMary);
        await AddAsync(MatrixActor.HarborAdmin, "Adm-H", Node.Admins[MedicalTestNode.Harbor], MedicalTestNode.Harbor);
        await AddAsync(MatrixActor.Auditor, "Aud", auditor, MedicalTestNode.Regulator);
        await AddAsync(MatrixActor.Researcher, "Res", researcher, MedicalTestNode.Research);
        await AddAsync(MatrixActor.Insurer, "Ins", insurer, MedicalTestNode.Insurer);

        // The node key's transactions take nonces far above its own access-log batches, so they never collide with
        // them; every one the matrix sends is refused, so the node's nonce never moves because of them.
        await AddAsync(MatrixActor.NodeKey, "Node", nodeKey, MedicalTestNode.StMary, nonceOffset: 1_000_000);
        await AddAsync(MatrixActor.UnregisteredKey, "Unreg", stranger, organisation: null);
        var unsigned = new HttpClient(FromOwnLoopbackAddress(MatrixActor.Unsigned), disposeHandler: true) { BaseAddress = Node.Address, Timeout = TimeSpan.FromSeconds(60) };
        _owned.Add(unsigned);
        _callers[MatrixActor.Unsigned] = new MatrixCaller { Actor = MatrixActor.Unsigned, Label = "Unsig", Http = unsigned };

        // 6. Wait until the index holds everything above (R2 was anchored after R and the grant was made after R2),
        // so that the access-log rows are scoped over entries of several actors and organisations.
        await MedicalTestNode.WaitForLogAsync(Node.ClientFor(auditor), new AccessLogQuery(Action: AccessAction.Grant), e => e.GrantId == Grant.ToString());
    }

    private async Task AddAsync(MatrixActor actor, string label, ISigningKey key, string? organisation, ulong nonceOffset = 0)
    {
        var http = new HttpClient(new RequestSigningHandler(Suite, key, new RequestSigningOptions { ChainId = ChainId }, FromOwnLoopbackAddress(actor)), disposeHandler: true)
        {
            BaseAddress = Node.Address,
            Timeout = TimeSpan.FromSeconds(60),
        };
        _owned.Add(http);
        _callers[actor] = new MatrixCaller { Actor = actor, Label = label, Key = key, Http = http, Factory = await FactoryAsync(key, nonceOffset), Organisation = organisation };
    }

    // Each caller connects from its own loopback address (127.0.0.10 + its number), as separate people do from separate
    // machines: the passphrase throttle counts failures per username and address, so the matrix's deliberately wrong
    // passphrases for P's vault are one attempt per caller rather than a guessing run from one address.
    private static SocketsHttpHandler FromOwnLoopbackAddress(MatrixActor actor) => new()
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new System.Net.IPEndPoint(new System.Net.IPAddress([127, 0, 0, checked((byte)(10 + (int)actor))]), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    private async Task<(ISigningKey Key, Hash UserId)> EnrolAsync(MedLedgerUserClient doctor, string organisation, string username, string passphrase, string nationalId)
    {
        var request = new PatientEnrolmentRequest(username, passphrase, "Ada", $"Matrix-{username}", nationalId, "1961-04-12", "female", "94110");
        var (_, registration) = await doctor.EnrolPatientAndRegisterAsync(request, organisation);
        Assert.Equal("committed", registration.Status);
        using var response = await Node.Anonymous.PostAsJsonAsync("api/v1/custody/export", new VaultExportRequest(username, passphrase));
        response.EnsureSuccessStatusCode();
        var vault = (await response.Content.ReadFromJsonAsync<VaultExportResponse>())!;
        var key = KeyVault.Open(Suite, Convert.FromBase64String(vault.Vault), passphrase)[0];
        _owned.Add(key);
        return (key, Suite.Hash(key.PublicKey.Span));
    }
}
