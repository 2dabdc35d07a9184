using System.Security.Cryptography;
using System.Text.Json;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Node;

/// <summary>
/// The files of one node's data folder (docs/operations.md). <c>--data</c> is the only state a node touches.
/// <code>
/// genesis.json            the chain's genesis document (shared by all nodes of a consortium)
/// node.json               this node's settings (name, API port)
/// keys/node.key           the node's signing key, encrypted under the operator's passphrase
/// keys/node.passphrase    the generated passphrase, only when the operator supplied none (mode 0600)
/// chain.db                SQLite: blocks, transactions, state
/// consensus/last-signed   the double-sign guard: the last (height, round, step, block) this validator signed
/// consensus/proposal      the consensus write-ahead record of the block being decided
/// consensus/lock          the BFT lock and the locked block (consortium members)
/// consensus/validator-sets the validator sets seen to take effect, with their first heights
/// </code>
/// </summary>
public sealed partial class NodeDataDirectory
{
    /// <summary>Environment variable that may carry the node key's passphrase.</summary>
    public const string PassphraseVariable = "MEDLEDGER_PASSPHRASE";

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public NodeDataDirectory(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    public string GenesisPath => Path.Combine(Root, "genesis.json");

    public string SettingsPath => Path.Combine(Root, "node.json");

    public string KeyPath => Path.Combine(Root, "keys", "node.key");

    public string GeneratedPassphrasePath => Path.Combine(Root, "keys", "node.passphrase");

    public string ChainDatabasePath => Path.Combine(Root, "chain.db");

    /// <summary>SQLite: held record ciphertext and key envelopes, custodial vaults, EMPI, and the chain index.</summary>
    public string RecordDatabasePath => Path.Combine(Root, "records.db");

    /// <summary>The encryption key of a hosted organisation (record data keys are wrapped for it).</summary>
    public string OrganisationKeyPath(string organisationId) => Path.Combine(Root, "keys", $"org-{organisationId}.key");

    /// <summary>The key the master patient index derives its blind-token and sealing keys from.</summary>
    public string EmpiKeyPath => Path.Combine(Root, "keys", "empi.key");

    /// <summary>The passphrase the node's keys were sealed with, as <see cref="LoadNodeKey"/> resolves it.</summary>
    public string? ResolvePassphrase(string? passphrase)
    {
        passphrase ??= Environment.GetEnvironmentVariable(PassphraseVariable);
        if (passphrase is null && File.Exists(GeneratedPassphrasePath))
        {
            passphrase = File.ReadAllText(GeneratedPassphrasePath).Trim();
        }

        return passphrase;
    }

    public string LastSignedPath => Path.Combine(Root, "consensus", "last-signed");

    public string ProposalPath => Path.Combine(Root, "consensus", "proposal");

    /// <summary>The BFT engine's lock with the locked block (a consortium member only).</summary>
    public string LockPath => Path.Combine(Root, "consensus", "lock");

    /// <summary>The validator sets seen to take effect, to check the head's certificate at start.</summary>
    public string ValidatorSetsPath => Path.Combine(Root, "consensus", "validator-sets");

    /// <summary>True when the folder holds an initialised node.</summary>
    public bool IsInitialized => File.Exists(GenesisPath) && File.Exists(KeyPath) && File.Exists(SettingsPath);

    /// <summary>
    /// Creates a new single-validator chain in an empty folder: a node key (encrypted under
    /// the given passphrase, or under a generated one saved beside it), and a genesis naming the node as
    /// the one validator and the first administrator. Throws <see cref="NodeSetupException"/> if the folder is in use.
    /// </summary>
    public static NodeDataDirectory Initialize(string root, NodeInitOptions options, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        var directory = new NodeDataDirectory(root);
        if (Directory.Exists(directory.Root) && Directory.EnumerateFileSystemEntries(directory.Root).Any())
        {
            throw new NodeSetupException($"'{directory.Root}' is not empty; a node is initialised in a new or empty folder.");
        }

        ICryptoSuite suite;
        try
        {
            suite = CryptoSuites.Get(options.Suite);
        }
        catch (CryptoException exception)
        {
            throw new NodeSetupException(exception.Message, exception);
        }

        Directory.CreateDirectory(directory.Root);
        Directory.CreateDirectory(Path.Combine(directory.Root, "keys"));
        Directory.CreateDirectory(Path.Combine(directory.Root, "consensus"));

        var passphrase = options.Passphrase;
        if (passphrase is null)
        {
            passphrase = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            SecureFile.WriteAllBytes(directory.GeneratedPassphrasePath, System.Text.Encoding.UTF8.GetBytes(passphrase));
        }

        using var key = suite.GenerateSigningKey();
        KeyFile.Save(directory.KeyPath, suite, key, passphrase);
        var publicKey = Convert.ToHexStringLower(key.PublicKey.Span);
        var genesis = new GenesisDocument(
            options.ChainId,
            suite.Name,
            clock.GetUtcNow().ToUnixTimeMilliseconds(),
            [new GenesisValidator(options.Name, publicKey, 1)],
            [new GenesisAccount(options.Name, publicKey, AccountRole.Administrator)]);
        genesis.Validate();
        File.WriteAllBytes(directory.GenesisPath, genesis.ToJson());
        directory.SaveSettings(new NodeSettings(options.Name, options.ApiPort));
        return directory;
    }

    /// <summary>
    /// Creates a medical consortium chain in an empty folder (the node hosts every founding organisation's records):
    /// the node key (the one validator, registered as the first organisation's node account), an encryption key
    /// per organisation (keys/org-*.key), and a genesis naming the organisations, their first administrators
    /// (whose public keys the caller supplies) and the consortium policy. Every key file is sealed under the
    /// passphrase (or a generated one saved beside it).
    /// </summary>
    public static NodeDataDirectory InitializeConsortium(string root, ConsortiumInitOptions options, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        if (options.Organisations.Count == 0)
        {
            throw new NodeSetupException("A consortium has at least one organisation.");
        }

        var directory = new NodeDataDirectory(root);
        if (Directory.Exists(directory.Root) && Directory.EnumerateFileSystemEntries(directory.Root).Any())
        {
            throw new NodeSetupException($"'{directory.Root}' is not empty; a node is initialised in a new or empty folder.");
        }

        var suite = CryptoSuites.Get(options.Suite);
        Directory.CreateDirectory(Path.Combine(directory.Root, "keys"));
        Directory.CreateDirectory(Path.Combine(directory.Root, "consensus"));
        var passphrase = options.Passphrase;
        if (passphrase is null)
        {
            passphrase = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            SecureFile.WriteAllBytes(directory.GeneratedPassphrasePath, System.Text.Encoding.UTF8.GetBytes(passphrase));
        }

        using var key = suite.GenerateSigningKey();
        KeyFile.Save(directory.KeyPath, suite, key, passphrase);
        var endpoint = $"http://127.0.0.1:{options.ApiPort}";
        var organisations = new List<GenesisOrganisation>();
        foreach (var organisation in options.Organisations)
        {
            using var organisationKey = suite.GenerateSigningKey();
            KeyFile.Save(directory.OrganisationKeyPath(organisation.Id), suite, organisationKey, passphrase);
            organisations.Add(new GenesisOrganisation(organisation.Id, organisation.Name, organisation.Kind, organisation.Tier, Convert.ToHexStringLower(organisationKey.PublicKey.Span), endpoint));
        }

        var publicKey = Convert.ToHexStringLower(key.PublicKey.Span);
        var accounts = new List<GenesisAccount> { new(options.NodeName, publicKey, AccountRole.Node, options.Organisations[0].Id) };
        accounts.AddRange(options.Administrators.Select(a => new GenesisAccount(a.Name, a.PublicKey, AccountRole.OrgAdmin, a.Organisation)));
        var genesis = new GenesisDocument(options.ChainId, suite.Name, clock.GetUtcNow().ToUnixTimeMilliseconds(), [new GenesisValidator(options.NodeName, publicKey, 1)], accounts, organisations, options.Policies);
        try
        {
            genesis.Validate();
        }
        catch (Core.DecodingException exception)
        {
            throw new NodeSetupException($"The consortium's genesis is invalid: {exception.Message}", exception);
        }

        File.WriteAllBytes(directory.GenesisPath, genesis.ToJson());
        directory.SaveSettings(new NodeSettings(options.NodeName, options.ApiPort, options.Organisations.Select(o => o.Id).ToList()));
        return directory;
    }

    /// <summary>Reads and validates genesis.json.</summary>
    public GenesisDocument LoadGenesis()
    {
        if (!File.Exists(GenesisPath))
        {
            throw new NodeSetupException($"No genesis.json in '{Root}'; run 'medledger node init --data {Root}' first.");
        }

        try
        {
            return GenesisDocument.FromJson(File.ReadAllBytes(GenesisPath));
        }
        catch (Core.DecodingException exception)
        {
            throw new NodeSetupException($"genesis.json is invalid: {exception.Message}", exception);
        }
    }

    /// <summary>Reads node.json.</summary>
    public NodeSettings LoadSettings()
    {
        if (!File.Exists(SettingsPath))
        {
            throw new NodeSetupException($"No node.json in '{Root}'; run 'medledger node init --data {Root}' first.");
        }

        try
        {
            return JsonSerializer.Deserialize<NodeSettings>(File.ReadAllBytes(SettingsPath), JsonOptions)
                ?? throw new NodeSetupException("node.json is empty.");
        }
        catch (JsonException exception)
        {
            throw new NodeSetupException($"node.json is invalid: {exception.Message}", exception);
        }
    }

    public void SaveSettings(NodeSettings settings) => File.WriteAllBytes(SettingsPath, JsonSerializer.SerializeToUtf8Bytes(settings, JsonOptions));

    /// <summary>
    /// Opens the node key with, in order: the given passphrase, the <see cref="PassphraseVariable"/> environment
    /// variable, or the generated passphrase file.
    /// </summary>
    public ISigningKey LoadNodeKey(ICryptoSuite suite, string? passphrase)
    {
        passphrase = ResolvePassphrase(passphrase);
        if (passphrase is null)
        {
            throw new NodeSetupException($"The node key is encrypted: pass --passphrase-file or set {PassphraseVariable}.");
        }

        try
        {
            return KeyFile.Load(KeyPath, suite, passphrase);
        }
        catch (CryptoException exception)
        {
            throw new NodeSetupException($"Cannot open the node key: {exception.Message}", exception);
        }
    }
}

/// <summary>Choices for <see cref="NodeDataDirectory.Initialize"/>.</summary>
public sealed record NodeInitOptions(string Name, string ChainId, string Suite, string? Passphrase, int ApiPort);

/// <summary>A founding organisation of <see cref="NodeDataDirectory.InitializeConsortium"/>.</summary>
public sealed record OrganisationSeed(string Id, string Name, OrganisationKind Kind, string Tier);

/// <summary>A founding administrator: organisation, name and public key (hex).</summary>
public sealed record AdministratorSeed(string Organisation, string Name, string PublicKey);

/// <summary>Choices for <see cref="NodeDataDirectory.InitializeConsortium"/>.</summary>
public sealed record ConsortiumInitOptions(string NodeName, string ChainId, string Suite, string? Passphrase, int ApiPort, IReadOnlyList<OrganisationSeed> Organisations, IReadOnlyList<AdministratorSeed> Administrators, IReadOnlyList<PolicyRule> Policies);

/// <summary>
/// The contents of node.json: name, API port, the member organisations whose records this node holds, and the peer
/// network: the TCP port this node accepts peers on (0: no peer port, a single-node chain) and the addresses
/// ("host:port") of peers it dials. Who may connect is decided by the on-chain node keys, not by this list.
/// </summary>
public sealed record NodeSettings(string Name, int ApiPort, IReadOnlyList<string>? Organisations = null, int PeerPort = 0, IReadOnlyList<string>? Peers = null);

/// <summary>The node cannot start or be set up as asked; the message is a one-line reason for the operator.</summary>
public sealed class NodeSetupException : Exception
{
    public NodeSetupException(string message)
        : base(message)
    {
    }

    public NodeSetupException()
    {
    }

    public NodeSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
