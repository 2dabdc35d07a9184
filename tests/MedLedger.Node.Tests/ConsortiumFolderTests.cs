using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Node.Tests;

/// <summary>
/// <see cref="NodeDataDirectory.InitializeConsortiumNodes"/> and <see cref="NodeDataDirectory.InitializeJoiningNode"/>:
/// what the folders of a multi-process consortium hold (one shared genesis with every validator and node account,
/// keys sealed per folder, each organisation's key at exactly one node, peers) and the layouts they refuse without
/// leaving anything behind.
/// </summary>
public sealed class ConsortiumFolderTests : IDisposable
{
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;

    private static readonly OrganisationSeed[] Organisations =
    [
        new("st-mary", "St Mary's Hospital", OrganisationKind.Hospital, "tertiary"),
        new("harbor", "Harbor Hospital", OrganisationKind.Hospital, "secondary"),
        new("riverside", "Riverside Clinic", OrganisationKind.Clinic, string.Empty),
        new("civic", "Civic Insurance", OrganisationKind.Insurer, string.Empty),
        new("regulator", "Health Regulator", OrganisationKind.Regulator, string.Empty),
    ];

    private readonly string _root = Directory.CreateTempSubdirectory("medledger-consortium-folders-").FullName;
    private readonly List<ISigningKey> _admins = [];

    [Fact]
    public void FourNodes_ShareOneGenesisWithEveryValidatorAndNodeAccount_AndEachHoldsOnlyItsOwnKeys()
    {
        // Four folders for five organisations: the genesis bytes are identical everywhere, list four validators of power
        // 1 whose keys are the folders' node keys (opened with each folder's own generated passphrase), and list each
        // node key as a Node account of the first organisation it hosts.
        var nodes = NodeDataDirectory.SpreadNodes(4, Organisations, 7200, 7300);
        var directories = NodeDataDirectory.InitializeConsortiumNodes(Path.Combine(_root, "c"), Options(nodes), TimeProvider.System);

        Assert.Equal(4, directories.Count);
        var genesisBytes = File.ReadAllBytes(directories[0].GenesisPath);
        var genesis = directories[0].LoadGenesis();
        Assert.Equal(4, genesis.Validators.Count);
        Assert.All(genesis.Validators, v => Assert.Equal(1UL, v.Power));
        Assert.Equal(Organisations.Length, genesis.Organisations!.Count);
        Assert.Equal(Organisations.Length, genesis.Accounts.Count(a => a.Role == AccountRole.OrgAdmin));
        Assert.Single(genesis.Policies!);
        var passphrases = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 4; i++)
        {
            var directory = directories[i];
            Assert.True(directory.IsInitialized);
            Assert.Equal(genesisBytes, File.ReadAllBytes(directory.GenesisPath));
            var passphrase = File.ReadAllText(directory.GeneratedPassphrasePath).Trim();
            Assert.True(passphrases.Add(passphrase), "each folder has its own generated passphrase");
            using var key = directory.LoadNodeKey(Suite, passphrase);
            var publicKey = Convert.ToHexStringLower(key.PublicKey.Span);
            Assert.Equal(publicKey, genesis.Validators[i].PublicKey);
            var account = Assert.Single(genesis.Accounts, a => a.PublicKey == publicKey);
            Assert.Equal(AccountRole.Node, account.Role);
            var settings = directory.LoadSettings();
            Assert.Equal($"node{i + 1}", settings.Name);
            Assert.Equal(7200 + i, settings.ApiPort);
            Assert.Equal(7300 + i, settings.PeerPort);
            Assert.Equal(settings.Organisations![0], account.Organisation);
            Assert.Equal(Enumerable.Range(0, 4).Where(j => j != i).Select(j => $"127.0.0.1:{7300 + j}"), settings.Peers);
        }

        // Round-robin: five organisations over four nodes; each organisation's key is at its host only, matches the
        // on-chain encryption key, and its on-chain endpoint is its host's API.
        Assert.Equal(["st-mary", "regulator"], directories[0].LoadSettings().Organisations);
        Assert.Equal(["harbor"], directories[1].LoadSettings().Organisations);
        foreach (var organisation in genesis.Organisations)
        {
            var hosts = directories.Where(d => File.Exists(d.OrganisationKeyPath(organisation.Id))).ToList();
            var host = Assert.Single(hosts);
            var index = directories.ToList().IndexOf(host);
            Assert.Contains(organisation.Id, host.LoadSettings().Organisations!);
            using var organisationKey = KeyFile.Load(host.OrganisationKeyPath(organisation.Id), Suite, File.ReadAllText(host.GeneratedPassphrasePath).Trim());
            Assert.Equal(organisation.EncryptionPublicKey, Convert.ToHexStringLower(organisationKey.PublicKey.Span));
            Assert.Equal($"http://127.0.0.1:{7200 + index}", organisation.Endpoint);
        }
    }

    [Fact]
    public void MoreNodesThanOrganisations_NodesWithoutOrganisationsAreStillNodeAccounts_AndAGivenPassphraseSealsEveryFolder()
    {
        // Seven nodes for five organisations: nodes 6 and 7 host none, yet their keys are validators and Node accounts
        // (of an existing organisation, as genesis requires); with a passphrase given, no passphrase file is written.
        var nodes = NodeDataDirectory.SpreadNodes(7, Organisations, 0, 7400);
        var directories = NodeDataDirectory.InitializeConsortiumNodes(Path.Combine(_root, "c"), Options(nodes) with { Passphrase = "shared secret" }, TimeProvider.System);

        var genesis = directories[0].LoadGenesis();
        Assert.Equal(7, genesis.Validators.Count);
        Assert.Empty(directories[6].LoadSettings().Organisations!);
        Assert.Equal(0, directories[6].LoadSettings().ApiPort);
        using var key = directories[6].LoadNodeKey(Suite, "shared secret");
        var account = Assert.Single(genesis.Accounts, a => a.PublicKey == Convert.ToHexStringLower(key.PublicKey.Span));
        Assert.Equal(AccountRole.Node, account.Role);
        Assert.Contains(account.Organisation, Organisations.Select(o => o.Id));
        Assert.All(directories, d => Assert.False(File.Exists(d.GeneratedPassphrasePath)));
        Assert.Throws<NodeSetupException>(() => directories[0].LoadNodeKey(Suite, "wrong"));
    }

    public static TheoryData<string, string> RefusedLayouts => new()
    {
        { "hosted twice", "hosted by two nodes" },
        { "not hosted", "No node hosts organisation 'regulator'" },
        { "unknown organisation", "does not found" },
        { "repeated peer port", "repeats a port" },
        { "API port equals a peer port", "repeats a port" },
        { "repeated folder", "share the folder" },
        { "folder escapes the root", "not a plain folder name" },
        { "repeated name", "distinct name" },
        { "no peer port", "peer port of 1..65535" },
        { "no nodes", "1..128 nodes" },
        { "no organisations", "at least one organisation" },
    };

    [Theory]
    [MemberData(nameof(RefusedLayouts))]
    public void RefusedLayouts_FailWithTheReason_AndWriteNothing(string layout, string reason)
    {
        // Each broken layout is refused with a one-line reason before any file is written.
        var nodes = NodeDataDirectory.SpreadNodes(3, Organisations, 7200, 7300).ToList();
        var options = Options(nodes);
        options = layout switch
        {
            "hosted twice" => options with { Nodes = [nodes[0] with { Organisations = [.. nodes[0].Organisations, "harbor"] }, nodes[1], nodes[2]] },
            "not hosted" => options with { Nodes = [nodes[0], nodes[1] with { Organisations = ["harbor"] }, nodes[2]] },
            "unknown organisation" => options with { Nodes = [nodes[0] with { Organisations = [.. nodes[0].Organisations, "nowhere"] }, nodes[1], nodes[2]] },
            "repeated peer port" => options with { Nodes = [nodes[0], nodes[1] with { PeerPort = nodes[0].PeerPort }, nodes[2]] },
            "API port equals a peer port" => options with { Nodes = [nodes[0] with { ApiPort = nodes[2].PeerPort }, nodes[1], nodes[2]] },
            "repeated folder" => options with { Nodes = [nodes[0], nodes[1] with { Folder = nodes[0].Folder }, nodes[2]] },
            "folder escapes the root" => options with { Nodes = [nodes[0] with { Folder = "../outside" }, nodes[1], nodes[2]] },
            "repeated name" => options with { Nodes = [nodes[0], nodes[1] with { Name = nodes[0].Name }, nodes[2]] },
            "no peer port" => options with { Nodes = [nodes[0] with { PeerPort = 0 }, nodes[1], nodes[2]] },
            "no nodes" => options with { Nodes = [] },
            "no organisations" => options with { Organisations = [], Administrators = [], Nodes = [.. nodes.Select(n => n with { Organisations = [] })] },
            _ => throw new ArgumentOutOfRangeException(nameof(layout)),
        };

        var root = Path.Combine(_root, "c");
        var exception = Assert.Throws<NodeSetupException>(() => NodeDataDirectory.InitializeConsortiumNodes(root, options, TimeProvider.System));
        Assert.Contains(reason, exception.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any(), "nothing is written for a refused layout");
        Assert.False(Directory.Exists(Path.Combine(_root, "outside")));
    }

    [Fact]
    public void AFolderInUse_IsRefused_AndAnInvalidGenesisRemovesWhatWasWritten()
    {
        // A non-empty root is refused untouched; a genesis that fails validation (an administrator with a malformed
        // key) is refused after the keys were made, and the half-written folders are removed.
        var root = Path.Combine(_root, "c");
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "keep.txt"), "mine");
        var nodes = NodeDataDirectory.SpreadNodes(2, Organisations, 7200, 7300);
        var inUse = Assert.Throws<NodeSetupException>(() => NodeDataDirectory.InitializeConsortiumNodes(root, Options(nodes), TimeProvider.System));
        Assert.Contains("not empty", inUse.Message, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(root, "keep.txt")));

        var fresh = Path.Combine(_root, "d");
        var broken = Options(nodes) with { Administrators = [new AdministratorSeed("st-mary", "Admin", "not-hex")] };
        var invalid = Assert.Throws<NodeSetupException>(() => NodeDataDirectory.InitializeConsortiumNodes(fresh, broken, TimeProvider.System));
        Assert.Contains("genesis is invalid", invalid.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(fresh, "node1")));
        Assert.False(Directory.Exists(Path.Combine(fresh, "node2")));
    }

    [Fact]
    public void AJoiningNode_GetsANewKeyTheSameGenesisAndItsPeers_AndBadInputIsRefused()
    {
        // A late node's folder: the consortium's genesis copied byte for byte, a fresh key that genesis does not know
        // (it must be admitted on chain), no hosted organisation, and the peers it dials.
        var directories = NodeDataDirectory.InitializeConsortiumNodes(Path.Combine(_root, "c"), Options(NodeDataDirectory.SpreadNodes(2, Organisations, 7200, 7300)), TimeProvider.System);
        var genesisPath = directories[0].GenesisPath;
        var (joined, publicKey) = NodeDataDirectory.InitializeJoiningNode(Path.Combine(_root, "late"), new JoinNodeOptions(genesisPath, "late node", 0, 7310, ["127.0.0.1:7300", "localhost:7301"], null));

        Assert.Equal(File.ReadAllBytes(genesisPath), File.ReadAllBytes(joined.GenesisPath));
        using (var key = joined.LoadNodeKey(Suite, File.ReadAllText(joined.GeneratedPassphrasePath).Trim()))
        {
            Assert.Equal(publicKey, Convert.ToHexStringLower(key.PublicKey.Span));
        }

        Assert.DoesNotContain(joined.LoadGenesis().Accounts, a => a.PublicKey == publicKey);
        var settings = joined.LoadSettings();
        Assert.Equal(7310, settings.PeerPort);
        Assert.Empty(settings.Organisations!);
        Assert.Equal(["127.0.0.1:7300", "localhost:7301"], settings.Peers);

        var noPeers = Assert.Throws<NodeSetupException>(() => NodeDataDirectory.InitializeJoiningNode(Path.Combine(_root, "a"), new JoinNodeOptions(genesisPath, "n", 0, 7311, [], null)));
        Assert.Contains("peer address", noPeers.Message, StringComparison.Ordinal);
        var badPeer = Assert.Throws<NodeSetupException>(() => NodeDataDirectory.InitializeJoiningNode(Path.Combine(_root, "b"), new JoinNodeOptions(genesisPath, "n", 0, 7311, ["127.0.0.1:0"], null)));
        Assert.Contains("peer address", badPeer.Message, StringComparison.Ordinal);
        var tampered = Path.Combine(_root, "tampered.json");
        File.WriteAllText(tampered, "{\"chainId\": 5}");
        var invalid = Assert.Throws<NodeSetupException>(() => NodeDataDirectory.InitializeJoiningNode(Path.Combine(_root, "e"), new JoinNodeOptions(tampered, "n", 0, 7311, ["127.0.0.1:7300"], null)));
        Assert.Contains("invalid", invalid.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<NodeSetupException>(() => NodeDataDirectory.InitializeJoiningNode(Path.Combine(_root, "f"), new JoinNodeOptions(Path.Combine(_root, "none.json"), "n", 0, 7311, ["127.0.0.1:7300"], null)));
        Assert.Contains("Cannot read", missing.Message, StringComparison.Ordinal);
        Assert.Throws<NodeSetupException>(() => NodeDataDirectory.InitializeJoiningNode(joined.Root, new JoinNodeOptions(genesisPath, "again", 0, 7312, ["127.0.0.1:7300"], null)));
        Assert.False(Directory.Exists(Path.Combine(_root, "a")));
        Assert.False(Directory.Exists(Path.Combine(_root, "e")));
    }

    public void Dispose()
    {
        foreach (var key in _admins)
        {
            key.Dispose();
        }

        Directory.Delete(_root, recursive: true);
    }

    private ConsortiumNodesOptions Options(IReadOnlyList<ConsortiumNodeSeed> nodes)
    {
        var administrators = new List<AdministratorSeed>();
        foreach (var organisation in Organisations)
        {
            var key = Suite.GenerateSigningKey();
            _admins.Add(key);
            administrators.Add(new AdministratorSeed(organisation.Id, $"Administrator of {organisation.Name}", Convert.ToHexStringLower(key.PublicKey.Span)));
        }

        return new ConsortiumNodesOptions(
            "medledger-consortium-test",
            Suite.Name,
            null,
            nodes,
            Organisations,
            administrators,
            [new PolicyRule(AccountRole.Researcher, AccessPurpose.Research, [], [SensitivityTier.GeneralClinical])]);
    }
}
