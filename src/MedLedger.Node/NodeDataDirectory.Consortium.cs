using System.Security.Cryptography;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Node;

/// <summary>
/// Data folders for a consortium of several node processes (issue 4; docs/operations.md "Consortium folders"):
/// every node gets its own folder with its own sealed node key, the keys of the organisations it hosts, one shared
/// genesis.json and a node.json naming its API port, its peer port and the peer addresses of all the other nodes.
/// </summary>
public sealed partial class NodeDataDirectory
{
    /// <summary>
    /// Creates one folder per node under <paramref name="root"/> (which must be new or empty) for a medical consortium
    /// whose genesis (the medical genesis v2 of <see cref="InitializeConsortium"/>: organisations, founding
    /// administrators, policy) names every node as a validator of power 1 and every node key as an account with role
    /// <see cref="AccountRole.Node"/> of the first organisation it hosts (or, for a node hosting none, of an
    /// organisation chosen round-robin). Each organisation is hosted by exactly one node: its encryption key is sealed
    /// in that node's folder only, and its on-chain endpoint is that node's API address. Each folder's keys are
    /// sealed under <see cref="ConsortiumNodesOptions.Passphrase"/>, or under a passphrase generated for that folder
    /// and saved beside its keys. Throws <see cref="NodeSetupException"/> for a layout it refuses, before writing.
    /// </summary>
    public static IReadOnlyList<NodeDataDirectory> InitializeConsortiumNodes(string root, ConsortiumNodesOptions options, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        var fullRoot = Path.GetFullPath(root);
        CheckLayout(fullRoot, options);
        ICryptoSuite suite;
        try
        {
            suite = CryptoSuites.Get(options.Suite);
        }
        catch (CryptoException exception)
        {
            throw new NodeSetupException(exception.Message, exception);
        }

        var hostOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < options.Nodes.Count; i++)
        {
            foreach (var organisation in options.Nodes[i].Organisations)
            {
                hostOf[organisation] = i;
            }
        }

        var directories = options.Nodes.Select(n => new NodeDataDirectory(Path.Combine(fullRoot, n.Folder))).ToList();
        var nodeKeys = new List<ISigningKey>();
        try
        {
            var passphrases = new string[options.Nodes.Count];
            for (var i = 0; i < directories.Count; i++)
            {
                var directory = directories[i];
                Directory.CreateDirectory(Path.Combine(directory.Root, "keys"));
                Directory.CreateDirectory(Path.Combine(directory.Root, "consensus"));
                passphrases[i] = options.Passphrase ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
                if (options.Passphrase is null)
                {
                    SecureFile.WriteAllBytes(directory.GeneratedPassphrasePath, System.Text.Encoding.UTF8.GetBytes(passphrases[i]));
                }

                var key = suite.GenerateSigningKey();
                nodeKeys.Add(key);
                KeyFile.Save(directory.KeyPath, suite, key, passphrases[i]);
            }

            var organisations = new List<GenesisOrganisation>();
            foreach (var organisation in options.Organisations)
            {
                var host = hostOf[organisation.Id];
                using var organisationKey = suite.GenerateSigningKey();
                KeyFile.Save(directories[host].OrganisationKeyPath(organisation.Id), suite, organisationKey, passphrases[host]);
                var endpoint = $"http://{options.Host}:{options.Nodes[host].ApiPort}";
                organisations.Add(new GenesisOrganisation(organisation.Id, organisation.Name, organisation.Kind, organisation.Tier, Convert.ToHexStringLower(organisationKey.PublicKey.Span), endpoint));
            }

            var validators = new List<GenesisValidator>();
            var accounts = new List<GenesisAccount>();
            for (var i = 0; i < options.Nodes.Count; i++)
            {
                var node = options.Nodes[i];
                var publicKey = Convert.ToHexStringLower(nodeKeys[i].PublicKey.Span);
                validators.Add(new GenesisValidator(node.Name, publicKey, 1));
                var organisation = node.Organisations.Count > 0 ? node.Organisations[0] : options.Organisations[i % options.Organisations.Count].Id;
                accounts.Add(new GenesisAccount(node.Name, publicKey, AccountRole.Node, organisation));
            }

            accounts.AddRange(options.Administrators.Select(a => new GenesisAccount(a.Name, a.PublicKey, AccountRole.OrgAdmin, a.Organisation)));
            var genesis = new GenesisDocument(options.ChainId, suite.Name, clock.GetUtcNow().ToUnixTimeMilliseconds(), validators, accounts, organisations, options.Policies, options.Credit);
            try
            {
                genesis.Validate();
            }
            catch (Core.DecodingException exception)
            {
                throw new NodeSetupException($"The consortium's genesis is invalid: {exception.Message}", exception);
            }

            var genesisJson = genesis.ToJson();
            for (var i = 0; i < directories.Count; i++)
            {
                var node = options.Nodes[i];
                File.WriteAllBytes(directories[i].GenesisPath, genesisJson);
                var peers = options.Nodes.Where((_, j) => j != i).Select(other => $"{options.Host}:{other.PeerPort}").ToList();
                directories[i].SaveSettings(new NodeSettings(node.Name, node.ApiPort, node.Organisations.ToList(), node.PeerPort, peers));
            }
        }
        catch
        {
            // A half-written consortium is useless and would be refused as "not empty" next time: remove what was written.
            foreach (var directory in directories)
            {
                DeleteQuietly(directory.Root);
            }

            throw;
        }
        finally
        {
            foreach (var key in nodeKeys)
            {
                key.Dispose();
            }
        }

        return directories;
    }

    /// <summary>
    /// Creates the folder of a node that joins an existing consortium: a new node key (sealed under
    /// <paramref name="options"/>' passphrase or a generated one), a copy of the consortium's genesis, and a node.json
    /// with the given ports and the peers to dial, hosting no organisation. Peers accept the node only once its key is
    /// on chain as an account with role <see cref="AccountRole.Node"/> (docs/operations.md "Joining a consortium");
    /// the returned public key (hex) is what an organisation administrator registers. Throws
    /// <see cref="NodeSetupException"/> for an unreadable genesis, no peers, or a folder in use.
    /// </summary>
    public static (NodeDataDirectory Directory, string PublicKey) InitializeJoiningNode(string root, JoinNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var directory = new NodeDataDirectory(root);
        if (Directory.Exists(directory.Root) && Directory.EnumerateFileSystemEntries(directory.Root).Any())
        {
            throw new NodeSetupException($"'{directory.Root}' is not empty; a node is initialised in a new or empty folder.");
        }

        if (options.Peers.Count == 0 || options.Peers.Any(p => !IsPeerAddress(p)))
        {
            throw new NodeSetupException("A joining node needs at least one peer address, each as host:port with a port of 1..65535.");
        }

        if (options.ApiPort is < 0 or > 65535 || options.PeerPort is < 1 or > 65535)
        {
            throw new NodeSetupException($"A joining node needs an API port of 0..65535 and a peer port of 1..65535 (API {options.ApiPort}, peer {options.PeerPort}).");
        }

        if (string.IsNullOrWhiteSpace(options.Name))
        {
            throw new NodeSetupException("A joining node needs a name.");
        }

        byte[] genesisJson;
        GenesisDocument genesis;
        try
        {
            genesisJson = File.ReadAllBytes(options.GenesisPath);
            genesis = GenesisDocument.FromJson(genesisJson);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new NodeSetupException($"Cannot read the consortium's genesis '{options.GenesisPath}': {exception.Message}", exception);
        }
        catch (Core.DecodingException exception)
        {
            throw new NodeSetupException($"The consortium's genesis '{options.GenesisPath}' is invalid: {exception.Message}", exception);
        }

        var suite = CryptoSuites.Get(genesis.Suite);
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
        File.WriteAllBytes(directory.GenesisPath, genesisJson);
        directory.SaveSettings(new NodeSettings(options.Name, options.ApiPort, [], options.PeerPort, [.. options.Peers]));
        return (directory, Convert.ToHexStringLower(key.PublicKey.Span));
    }

    private static bool IsPeerAddress(string? text)
    {
        var colon = text?.LastIndexOf(':') ?? -1;
        return colon > 0
            && int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
            && port is >= 1 and <= 65535;
    }

    /// <summary>
    /// The usual layout of a local consortium of <paramref name="nodeCount"/> nodes: folders node1…nodeN, API ports
    /// from <paramref name="apiBasePort"/> upwards (each 0 when it is 0: the node picks one at start), peer ports from
    /// <paramref name="peerBasePort"/> upwards, and the organisations dealt out round-robin in their order, so that
    /// with fewer nodes than organisations every node hosts at least one.
    /// </summary>
    public static IReadOnlyList<ConsortiumNodeSeed> SpreadNodes(int nodeCount, IReadOnlyList<OrganisationSeed> organisations, int apiBasePort, int peerBasePort, string namePrefix = "node")
    {
        ArgumentNullException.ThrowIfNull(organisations);
        if (nodeCount is < 1 or > Core.Limits.MaxValidators)
        {
            throw new NodeSetupException($"A consortium has 1..{Core.Limits.MaxValidators} nodes, not {nodeCount}.");
        }

        if (peerBasePort is < 1 || peerBasePort + nodeCount - 1 > 65535 || apiBasePort < 0 || (apiBasePort > 0 && apiBasePort + nodeCount - 1 > 65535))
        {
            throw new NodeSetupException($"The ports of {nodeCount} nodes do not fit below 65536 from API port {apiBasePort} and peer port {peerBasePort}.");
        }

        var hosted = Enumerable.Range(0, nodeCount).Select(_ => new List<string>()).ToList();
        for (var i = 0; i < organisations.Count; i++)
        {
            hosted[i % nodeCount].Add(organisations[i].Id);
        }

        return [.. Enumerable.Range(0, nodeCount).Select(i => new ConsortiumNodeSeed($"{namePrefix}{i + 1}", $"{namePrefix}{i + 1}", apiBasePort == 0 ? 0 : apiBasePort + i, peerBasePort + i, hosted[i]))];
    }

    private static void CheckLayout(string root, ConsortiumNodesOptions options)
    {
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            throw new NodeSetupException($"'{root}' is not empty; a consortium is created in a new or empty folder.");
        }

        if (options.Nodes.Count is < 1 or > Core.Limits.MaxValidators)
        {
            throw new NodeSetupException($"A consortium has 1..{Core.Limits.MaxValidators} nodes, not {options.Nodes.Count}.");
        }

        if (options.Organisations.Count == 0)
        {
            throw new NodeSetupException("A consortium has at least one organisation.");
        }

        var folders = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var ports = new HashSet<int>();
        foreach (var node in options.Nodes)
        {
            if (string.IsNullOrWhiteSpace(node.Folder) || node.Folder is "." or ".." || node.Folder.IndexOfAny([.. Path.GetInvalidFileNameChars(), '/', '\\']) >= 0)
            {
                throw new NodeSetupException($"Node folder '{node.Folder}' is not a plain folder name.");
            }

            if (!folders.Add(node.Folder))
            {
                throw new NodeSetupException($"Two nodes share the folder '{node.Folder}'.");
            }

            if (string.IsNullOrWhiteSpace(node.Name) || !names.Add(node.Name))
            {
                throw new NodeSetupException($"Every node needs a distinct name; '{node.Name}' is empty or repeated.");
            }

            if (node.ApiPort is < 0 or > 65535 || node.PeerPort is < 1 or > 65535)
            {
                throw new NodeSetupException($"Node '{node.Name}' needs an API port of 0..65535 and a peer port of 1..65535 (API {node.ApiPort}, peer {node.PeerPort}).");
            }

            if (!ports.Add(node.PeerPort) || (node.ApiPort != 0 && !ports.Add(node.ApiPort)))
            {
                throw new NodeSetupException($"Node '{node.Name}' repeats a port another node (or itself) uses: every API and peer port is distinct.");
            }
        }

        var known = options.Organisations.Select(o => o.Id).ToHashSet(StringComparer.Ordinal);
        var hosted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in options.Nodes)
        {
            foreach (var organisation in node.Organisations)
            {
                if (!known.Contains(organisation))
                {
                    throw new NodeSetupException($"Node '{node.Name}' hosts organisation '{organisation}', which the consortium does not found.");
                }

                if (!hosted.Add(organisation))
                {
                    throw new NodeSetupException($"Organisation '{organisation}' is hosted by two nodes; each organisation's records live at exactly one node.");
                }
            }
        }

        if (known.FirstOrDefault(o => !hosted.Contains(o)) is { } orphan)
        {
            throw new NodeSetupException($"No node hosts organisation '{orphan}'; each organisation's records live at exactly one node.");
        }
    }

    private static void DeleteQuietly(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: the caller's error says what went wrong.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}

/// <summary>
/// One node of <see cref="NodeDataDirectory.InitializeConsortiumNodes"/>: its display name (validator and account
/// name), folder name under the consortium's root, API port (0: chosen at start), peer port, and the ids of the
/// organisations whose records it holds.
/// </summary>
public sealed record ConsortiumNodeSeed(string Name, string Folder, int ApiPort, int PeerPort, IReadOnlyList<string> Organisations);

/// <summary>Choices for <see cref="NodeDataDirectory.InitializeConsortiumNodes"/>.</summary>
/// <param name="ChainId">The chain id written into genesis.</param>
/// <param name="Suite">The crypto suite chosen at genesis.</param>
/// <param name="Passphrase">Seals every folder's keys; null generates one per folder (keys/node.passphrase).</param>
/// <param name="Nodes">The nodes, in validator order.</param>
/// <param name="Organisations">The founding organisations.</param>
/// <param name="Administrators">The founding organisation administrators (public keys supplied by the caller).</param>
/// <param name="Policies">The consortium policy.</param>
/// <param name="Host">The host every node listens on, used in peer addresses and organisation endpoints.</param>
/// <param name="Credit">The credit rules and epoch elections (docs/credit.md); null for a chain without them.</param>
public sealed record ConsortiumNodesOptions(
    string ChainId,
    string Suite,
    string? Passphrase,
    IReadOnlyList<ConsortiumNodeSeed> Nodes,
    IReadOnlyList<OrganisationSeed> Organisations,
    IReadOnlyList<AdministratorSeed> Administrators,
    IReadOnlyList<PolicyRule> Policies,
    string Host = "127.0.0.1",
    CreditParameters? Credit = null);

/// <summary>Choices for <see cref="NodeDataDirectory.InitializeJoiningNode"/>.</summary>
/// <param name="GenesisPath">The consortium's genesis.json (a copy from any of its nodes).</param>
/// <param name="Name">The node's display name.</param>
/// <param name="ApiPort">The API port (0: chosen at start).</param>
/// <param name="PeerPort">The peer port this node accepts peers on.</param>
/// <param name="Peers">host:port peer addresses of consortium nodes to dial.</param>
/// <param name="Passphrase">Seals the node key; null generates one (keys/node.passphrase).</param>
public sealed record JoinNodeOptions(string GenesisPath, string Name, int ApiPort, int PeerPort, IReadOnlyList<string> Peers, string? Passphrase);
