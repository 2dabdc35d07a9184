using System.Collections.Concurrent;
using System.Diagnostics;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Node;

namespace MedLedger.EndToEnd.Tests;

/// <summary>
/// A consortium of validators, each a real <c>medledger node start</c> process on loopback, made with
/// <see cref="NodeDataDirectory.InitializeConsortiumNodes"/> (one hospital, whose administrator key the test holds and
/// signs the load with). Every directed link between two nodes runs through a <see cref="PeerLinkProxy"/> in the test
/// process, so a test can split the network; node i's node.json names the proxies to the others instead of their
/// peer ports. Nodes can be killed (SIGKILL), stopped and restarted; disposing kills whatever still runs and deletes
/// the folders.
/// </summary>
internal sealed class ConsortiumCluster : IAsyncDisposable
{
    public const string ChainId = "medledger-e2e-consortium";
    public const string Hospital = "e2e-hospital";

    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;

    private readonly TempFolder _folder = new();
    private readonly PeerLinkProxy?[,] _links;
    private readonly NodeProcess?[] _nodes;
    private readonly ISigningKey[] _writers;
    private readonly long[] _nonces = new long[2];

    private ConsortiumCluster(int count)
    {
        _links = new PeerLinkProxy?[count, count];
        _nodes = new NodeProcess?[count];
        _writers = [Suite.GenerateSigningKey(), Suite.GenerateSigningKey()];
    }

    public int Count => _nodes.Length;

    /// <summary>
    /// Arguments every node process gets: a short round timeout, so that a round without a live proposer costs little
    /// test time (loopback delivers in microseconds).
    /// </summary>
    public static IReadOnlyList<string> NodeArguments { get; } = ["--consensus-timeout-ms", "1000"];

    /// <summary>Creates the folders and proxies and starts every node; returns once a transaction committed through node 0.</summary>
    public static async Task<ConsortiumCluster> StartAsync(int count = 4)
    {
        var cluster = new ConsortiumCluster(count);
        try
        {
            var taken = new HashSet<int>();
            var peerPorts = Enumerable.Range(0, count).Select(_ => FreePort(taken)).ToArray();
            var organisation = new OrganisationSeed(Hospital, "End-to-end Hospital", OrganisationKind.Hospital, "tertiary");
            var seeds = NodeDataDirectory.SpreadNodes(count, [organisation], 0, 1).Select((n, i) => n with { PeerPort = peerPorts[i] }).ToList();
            var directories = NodeDataDirectory.InitializeConsortiumNodes(
                cluster._folder.Path,
                new ConsortiumNodesOptions(ChainId, Suite.Name, null, seeds, [organisation], [.. cluster._writers.Select((w, k) => new AdministratorSeed(Hospital, $"E2E administrator {k + 1}", Convert.ToHexStringLower(w.PublicKey.Span)))], []),
                TimeProvider.System);
            for (var i = 0; i < count; i++)
            {
                for (var j = 0; j < count; j++)
                {
                    if (i != j)
                    {
                        cluster._links[i, j] = new PeerLinkProxy(peerPorts[j]);
                    }
                }

                var settings = directories[i].LoadSettings();
                directories[i].SaveSettings(settings with { Peers = [.. Enumerable.Range(0, count).Where(j => j != i).Select(j => $"127.0.0.1:{cluster._links[i, j]!.Port}")] });
            }

            await Task.WhenAll(Enumerable.Range(0, count).Select(cluster.StartNodeAsync));
            var first = await cluster.Node(0).Client.SubmitAsync(cluster.NextAnchor(), waitForCommit: true);
            Assert.True(first.Status == "committed", $"the first transaction of the consortium ended '{first.Status}' ({first.Reason})\n{cluster.Describe()}");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public string Folder(int node) => _folder.Combine($"node{node + 1}");

    public NodeProcess Node(int node) => _nodes[node] ?? throw new InvalidOperationException($"node{node + 1} is not running");

    public bool IsRunning(int node) => _nodes[node] is { HasExited: false };

    /// <summary>
    /// A new anchor of a random commitment signed by one of the hospital's two administrators (<paramref name="writer"/>
    /// 0 or 1), with that signer's next nonce. Transactions sent to two sides of a split use different signers: a
    /// higher nonce committed first would make the other side's lower one a replay.
    /// </summary>
    public Transaction NextAnchor(int writer = 0) =>
        Transaction.Create(Suite, _writers[writer], ChainId, TransactionType.CommitmentAnchor, (ulong)Interlocked.Increment(ref _nonces[writer]), 1_000_000, new CommitmentAnchorPayload(NodeFolder.RandomCommitment()).Encode());

    public Task StartNodeAsync(int node) => StartNodeCoreAsync(node);

    /// <summary>SIGKILL: the node dies at once, mid-write if it was writing; its process is forgotten.</summary>
    public async Task KillAsync(int node)
    {
        await Node(node).KillAsync();
        await Node(node).DisposeAsync();
        _nodes[node] = null;
    }

    /// <summary>SIGTERM and wait; returns the exit code.</summary>
    public async Task<int> StopAsync(int node)
    {
        var code = await Node(node).StopAsync();
        await Node(node).DisposeAsync();
        _nodes[node] = null;
        return code;
    }

    /// <summary>Cuts every link between the two groups, both ways.</summary>
    public void Split(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        foreach (var i in a)
        {
            foreach (var j in b)
            {
                _links[i, j]!.Cut();
                _links[j, i]!.Cut();
            }
        }
    }

    /// <summary>Restores every link.</summary>
    public void Heal()
    {
        foreach (var link in _links)
        {
            link?.Heal();
        }
    }

    public async Task<ulong> HeightAsync(int node) => (await Node(node).Client.GetStatusAsync()).Height;

    /// <summary>Waits until the node's height reaches <paramref name="height"/>; fails with every node's output after the timeout.</summary>
    public async Task WaitForHeightAsync(int node, ulong height, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        while (await HeightAsync(node) < height)
        {
            Assert.True(Stopwatch.GetElapsedTime(started) < timeout, $"node{node + 1} did not reach height {height} within {timeout}\n{Describe()}");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the transaction is served as committed by the node.</summary>
    public async Task WaitForCommitAsync(int node, Hash id, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        while ((await Node(node).Client.GetTransactionAsync(id))?.Status != "committed")
        {
            Assert.True(Stopwatch.GetElapsedTime(started) < timeout, $"transaction {id} was not committed at node{node + 1} within {timeout}\n{Describe()}");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// No fork: waits until every running node reached the highest height among them, then asserts that all hold the
    /// same block hash at every height.
    /// </summary>
    public async Task AssertSameBlocksAsync(TimeSpan timeout)
    {
        var running = Enumerable.Range(0, Count).Where(IsRunning).ToList();
        var heights = await Task.WhenAll(running.Select(HeightAsync));
        var top = heights.Max();
        foreach (var node in running)
        {
            await WaitForHeightAsync(node, top, timeout);
        }

        for (var height = 1UL; height <= top; height++)
        {
            var hashes = await Task.WhenAll(running.Select(async n => (await Node(n).Client.GetBlockAsync(height))?.Hash));
            Assert.True(hashes.All(h => h is not null && h == hashes[0]), $"fork at height {height}: {string.Join(", ", running.Select((n, k) => $"node{n + 1} {hashes[k]}"))}");
        }
    }

    /// <summary>Every node's recent output, for failure messages.</summary>
    public string Describe() => string.Join("\n", _nodes.Select((n, i) => n is null ? $"node{i + 1}: not running" : $"node{i + 1}: {Tail(n.Output)}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            if (node is not null)
            {
                await node.DisposeAsync();
            }
        }

        foreach (var link in _links)
        {
            if (link is not null)
            {
                await link.DisposeAsync();
            }
        }

        foreach (var writer in _writers)
        {
            writer.Dispose();
        }
        _folder.Dispose();
    }

    private static string Tail(string output)
    {
        var lines = output.Split('\n');
        return string.Join("\n", lines.Skip(Math.Max(0, lines.Length - 15)));
    }

    private async Task StartNodeCoreAsync(int node)
    {
        Assert.False(IsRunning(node), $"node{node + 1} already runs");
        _nodes[node] = await NodeProcess.StartAsync(Folder(node), extraArguments: NodeArguments);
    }

    // A node's peer port is chosen here and bound later by the node process. Taken from the kernel's ephemeral range
    // (port 0), it could be handed to a relay's listener or to an outgoing connection in between, and the node would
    // fail to start (seen once in CI); below that range (Linux: 32768-60999) nothing else gets it implicitly.
    private static int FreePort(ICollection<int> taken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = Random.Shared.Next(20_000, 32_000);
            if (taken.Contains(port))
            {
                continue;
            }

            try
            {
                using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                listener.Start();
                taken.Add(port);
                return port;
            }
            catch (System.Net.Sockets.SocketException) when (attempt < 200)
            {
                // In use: try another.
            }
        }
    }
}

/// <summary>
/// A steady write load on a <see cref="ConsortiumCluster"/>: one anchor at a time with <c>?wait=commit</c>, sent to the
/// running nodes in turn. A transaction counts as acknowledged only when a node answered "committed"; a refused or
/// failed request (its node just died) is not counted, and its nonce is simply skipped.
/// </summary>
internal sealed class WriteLoad : IAsyncDisposable
{
    private readonly ConsortiumCluster _cluster;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    public WriteLoad(ConsortiumCluster cluster)
    {
        _cluster = cluster;
        _running = Task.Run(RunAsync);
    }

    public ConcurrentBag<(Hash Id, ulong Height)> Acknowledged { get; } = [];

    /// <summary>Waits until <paramref name="more"/> further transactions were acknowledged; false after the timeout.</summary>
    public async Task<bool> WaitForMoreAsync(int more, TimeSpan timeout)
    {
        var target = Acknowledged.Count + more;
        var started = Stopwatch.GetTimestamp();
        while (Acknowledged.Count < target)
        {
            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                return false;
            }

            await Task.Delay(100);
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var turn = 0;
        while (!_stop.IsCancellationRequested)
        {
            var node = Enumerable.Range(0, _cluster.Count).Select(k => (turn + k) % _cluster.Count).FirstOrDefault(_cluster.IsRunning, -1);
            turn++;
            if (node < 0)
            {
                await Task.Delay(100);
                continue;
            }

            try
            {
                var transaction = _cluster.NextAnchor();
                using var http = new HttpClient { BaseAddress = _cluster.Node(node).Address, Timeout = TimeSpan.FromSeconds(40) };
                var result = await new MedLedgerClient(http).SubmitAsync(transaction, waitForCommit: true, _stop.Token);
                if (result.Status == "committed" && result.Height is { } height)
                {
                    Acknowledged.Add((transaction.ComputeId(CryptoSuites.Standard), height));
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException or InvalidOperationException or MedLedgerApiException)
            {
                // The node died or is stopping; the next turn goes to another.
            }
        }
    }
}
