using MedLedger.Client;
using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using Microsoft.AspNetCore.Builder;

namespace MedLedger.Node.Tests;

/// <summary>
/// A consortium of in-process nodes for tests: one temp folder per node, each with the SAME genesis naming every node key
/// as a validator (power 1) and as an account with role Node, plus an administrator key (held by the test) that signs the
/// transactions, and one extra Node account that is not a validator (<see cref="ObserverKey"/>, for a test peer). Nodes
/// listen for peers on free loopback ports (real TLS 1.3) and run the BFT engine with short timeouts; each node started
/// dials every node already running, so the peers form a full mesh.
/// </summary>
internal sealed class TestConsortium : IAsyncDisposable
{
    public const string ChainId = "medledger-consortium-tests";
    public const string Passphrase = "consortium tests passphrase";
    public const ulong ExpiryHeight = 100_000;

    /// <summary>Short timeouts so that a round that fails costs well under a second.</summary>
    public static readonly TendermintOptions FastTimeouts = new()
    {
        TimeoutPropose = TimeSpan.FromMilliseconds(600),
        TimeoutProposeDelta = TimeSpan.FromMilliseconds(200),
        TimeoutPrevote = TimeSpan.FromMilliseconds(200),
        TimeoutPrevoteDelta = TimeSpan.FromMilliseconds(100),
        TimeoutPrecommit = TimeSpan.FromMilliseconds(200),
        TimeoutPrecommitDelta = TimeSpan.FromMilliseconds(100),
        RebroadcastInterval = TimeSpan.FromMilliseconds(500),
    };

    private readonly string _root;
    private readonly WebApplication?[] _apps;
    private ulong _adminNonce;

    private TestConsortium(string root, int count)
    {
        _root = root;
        _apps = new WebApplication?[count];
        Clients = new MedLedgerClient?[count];
        Https = new HttpClient?[count];
    }

    public static ICryptoSuite Suite => CryptoSuites.Standard;

    public ISigningKey AdminKey { get; } = Suite.GenerateSigningKey();

    public Hash AdminId => Suite.Hash(AdminKey.PublicKey.Span);

    /// <summary>The node keys, by node index (also the validators).</summary>
    public IReadOnlyList<ISigningKey> NodeKeys { get; private set; } = [];

    /// <summary>A Node account that is not a validator: a peer the nodes admit.</summary>
    public ISigningKey ObserverKey { get; } = Suite.GenerateSigningKey();

    public GenesisDocument Genesis { get; private set; } = null!;

    public int Count => _apps.Length;

    public MedLedgerClient?[] Clients { get; }

    private HttpClient?[] Https { get; }

    /// <summary>Creates the folders of <paramref name="count"/> nodes (none started).</summary>
    public static TestConsortium Create(int count = 4, CreditParameters? credit = null)
    {
        var root = Directory.CreateTempSubdirectory("medledger-consortium-tests-").FullName;
        var consortium = new TestConsortium(root, count);
        consortium.Initialize(credit);
        return consortium;
    }

    public static string NodeName(int index) => $"node{index + 1}";

    public string DataPath(int index) => Path.Combine(_root, NodeName(index));

    public WebApplication App(int index) => _apps[index] ?? throw new InvalidOperationException($"{NodeName(index)} is not running");

    public MedLedgerClient Client(int index) => Clients[index] ?? throw new InvalidOperationException($"{NodeName(index)} is not running");

    public bool IsRunning(int index) => _apps[index] is not null;

    public IEnumerable<int> Running => Enumerable.Range(0, Count).Where(IsRunning);

    /// <summary>Starts every node, in order.</summary>
    public async Task StartAllAsync()
    {
        for (var i = 0; i < Count; i++)
        {
            await StartAsync(i);
        }
    }

    /// <summary>Starts (or restarts) one node on free ports, dialling every running node.</summary>
    public async Task StartAsync(int index, TendermintOptions? consensus = null)
    {
        Assert.False(IsRunning(index), $"{NodeName(index)} already runs");
        var peers = Running.Select(i => NodeHost.PeerAddress(App(i))!).ToList();
        var app = NodeHost.Build(new NodeStartOptions(DataPath(index), 0, Passphrase, PeerPort: 0, Peers: peers, Consensus: consensus ?? FastTimeouts), _ => { });
        await app.StartAsync();
        _apps[index] = app;
        var http = new HttpClient { BaseAddress = new Uri(NodeHost.ApiAddress(app) + "/"), Timeout = TimeSpan.FromSeconds(60) };
        Https[index] = http;
        Clients[index] = new MedLedgerClient(http);
    }

    /// <summary>Stops one node cleanly and keeps its folder.</summary>
    public async Task StopAsync(int index)
    {
        var app = App(index);
        _apps[index] = null;
        Clients[index] = null;
        Https[index]?.Dispose();
        Https[index] = null;
        await app.StopAsync();
        await app.DisposeAsync();
    }

    /// <summary>A signed anchor by the administrator with the next nonce.</summary>
    public Transaction NextAnchor() =>
        Transaction.Create(Suite, AdminKey, ChainId, TransactionType.CommitmentAnchor, ++_adminNonce, ExpiryHeight, new CommitmentAnchorPayload(TestNode.RandomCommitment()).Encode());

    /// <summary>Waits until every running node has committed at least <paramref name="height"/>; fails with every node's status.</summary>
    public async Task WaitForHeightAsync(ulong height, TimeSpan? timeout = null, IEnumerable<int>? nodes = null)
    {
        var which = (nodes ?? Running).ToList();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var statuses = await Task.WhenAll(which.Select(i => Client(i).GetStatusAsync()));
            if (statuses.All(s => s.Height >= height))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not every node reached height {height}: " + string.Join(", ", which.Zip(statuses, (i, s) => $"{NodeName(i)} at {s.Height} with {s.PeerCount} peer(s)")));
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Asserts that the running nodes agree on the block hash and state root at <paramref name="height"/> (their head must be there).</summary>
    public async Task AssertSameChainAsync(ulong height)
    {
        var blocks = await Task.WhenAll(Running.Select(i => Client(i).GetBlockAsync(height)));
        Assert.All(blocks, b => Assert.NotNull(b));
        Assert.Single(blocks.Select(b => b!.Hash).Distinct());
        Assert.Single(blocks.Select(b => b!.Header.StateRoot).Distinct());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var i in Running.ToList())
        {
            await StopAsync(i);
        }

        foreach (var key in NodeKeys)
        {
            key.Dispose();
        }

        AdminKey.Dispose();
        ObserverKey.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A file still closing; the temp folder is cleaned up by the OS later.
        }
    }

    private void Initialize(CreditParameters? credit)
    {
        var keys = Enumerable.Range(0, Count).Select(_ => Suite.GenerateSigningKey()).ToList();
        NodeKeys = keys;
        string Hex(ISigningKey key) => Convert.ToHexStringLower(key.PublicKey.Span);
        var accounts = new List<GenesisAccount> { new("admin", Hex(AdminKey), AccountRole.Administrator) };
        accounts.AddRange(keys.Select((k, i) => new GenesisAccount(NodeName(i), Hex(k), AccountRole.Node)));
        accounts.Add(new GenesisAccount("observer", Hex(ObserverKey), AccountRole.Node));
        Genesis = new GenesisDocument(
            ChainId,
            Suite.Name,
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000,
            [.. keys.Select((k, i) => new GenesisValidator(NodeName(i), Hex(k), 1))],
            accounts,
            Credit: credit);
        Genesis.Validate();
        for (var i = 0; i < Count; i++)
        {
            var directory = new NodeDataDirectory(DataPath(i));
            Directory.CreateDirectory(Path.Combine(directory.Root, "keys"));
            Directory.CreateDirectory(Path.Combine(directory.Root, "consensus"));
            KeyFile.Save(directory.KeyPath, Suite, keys[i], Passphrase);
            File.WriteAllBytes(directory.GenesisPath, Genesis.ToJson());
            directory.SaveSettings(new NodeSettings(NodeName(i), 0));
        }
    }
}
