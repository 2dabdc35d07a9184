using System.Diagnostics;
using System.Text.Json;
using MedLedger.Client;
using MedLedger.Node;

namespace MedLedger.Cli;

/// <summary>
/// The supervisor behind <c>medledger up --nodes N</c> (N &gt; 1), in steps:
/// 1. start every node folder's <c>medledger node start</c> as a child process, in parallel, and wait until each
///    API listens and its consensus loop runs (and, where the status shows peers, until each sees the others);
/// 2. on first start, seed the demo data through each organisation's home node;
/// 3. add late nodes when more are asked for than the consortium has (admitted on chain, then started);
/// 4. write the home URLs into demo-logins.json, print logins and every node's URL;
/// 5. run until Ctrl-C or SIGTERM, reporting any node that exits; then stop every node with SIGTERM.
/// </summary>
internal sealed class LocalConsortium(string root, TextWriter output) : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    private readonly List<NodeChildProcess> _nodes = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public async Task<int> RunAsync(int existing, int count, int basePort, int patients, CancellationToken cancellationToken)
    {
        try
        {
            // Step 1.
            output.WriteLine($"Starting {existing} nodes (each a 'medledger node start' process; logs in <node folder>/node.log) …");
            var starts = Enumerable.Range(1, existing).Select(i =>
                NodeChildProcess.StartAsync($"node{i}", DemoConsortium.NodeFolder(root, i), StartTimeout, cancellationToken, echo: output)).ToList();
            try
            {
                await Task.WhenAll(starts).ConfigureAwait(false);
            }
            finally
            {
                // Those that did start are stopped with the rest when another failed.
                _nodes.AddRange(starts.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            }

            await Task.WhenAll(_nodes.Select(n => n.WaitUntilReadyAsync(_http, ReadyTimeout, cancellationToken))).ConfigureAwait(false);
            await WaitForPeersAsync(_nodes, existing - 1, cancellationToken).ConfigureAwait(false);
            var homes = Homes();

            // Step 2.
            if (!DemoConsortium.IsSeeded(root))
            {
                await DemoConsortium.SeedAsync(root, homes, patients, cancellationToken).ConfigureAwait(false);
            }

            // Step 3.
            if (count > existing)
            {
                var first = new NodeDataDirectory(DemoConsortium.NodeFolder(root, 1)).LoadSettings();
                var regular = first.ApiPort > 0 && first.PeerPort == first.ApiPort + UpCommand.PeerPortOffset;
                var (apiPorts, peerPorts) = UpCommand.ChoosePorts(regular ? first.ApiPort : 0, existing, count - existing);
                for (var index = existing + 1; index <= count; index++)
                {
                    output.WriteLine($"Adding node{index} as a late, non-voting node: admitting its key on chain, then starting it …");
                    var folder = await DemoConsortium.AddLateNodeAsync(root, index, apiPorts[index - existing - 1], peerPorts[index - existing - 1], _nodes[0].Address, cancellationToken).ConfigureAwait(false);
                    var late = await NodeChildProcess.StartAsync($"node{index}", folder, StartTimeout, cancellationToken, echo: output).ConfigureAwait(false);
                    _nodes.Add(late);
                    await late.WaitUntilReadyAsync(_http, ReadyTimeout, cancellationToken).ConfigureAwait(false);
                }
            }

            // Step 4.
            DemoConsortium.UpdateLoginUrls(root, homes);
            output.WriteLine("Nodes:");
            foreach (var node in _nodes)
            {
                var hosted = new NodeDataDirectory(node.Folder).LoadSettings().Organisations ?? [];
                output.WriteLine($"  {node.Name,-7} {node.Address.AbsoluteUri.TrimEnd('/'),-24} pid {node.ProcessId,-7} {(hosted.Count == 0 ? "(hosts no organisation)" : string.Join(", ", hosted))}");
            }

            DemoConsortium.PrintLogins(root);
            output.WriteLine("Ctrl-C stops the consortium.");

            // Step 5.
            return await SuperviseAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await StopAllAsync().ConfigureAwait(false);
            return 0;
        }
        catch (Exception exception) when (exception is HttpRequestException or MedLedgerApiException or MedLedgerClientException or NodeExitedException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"medledger: the consortium did not come up: {MedicalCli.OneLine(exception.Message)}{DescribeExits()}").ConfigureAwait(false);
            await StopAllAsync().ConfigureAwait(false);
            return CliErrors.Failure;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }

        _http.Dispose();
    }

    /// <summary>
    /// Waits (bounded) until each node's status shows at least <paramref name="others"/> peers, when the status reports
    /// a peer count at all; a node build without one is taken as connected.
    /// </summary>
    private async Task WaitForPeersAsync(IReadOnlyList<NodeChildProcess> nodes, int others, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var node in nodes)
        {
            while (Stopwatch.GetElapsedTime(started) < ReadyTimeout)
            {
                var peers = await PeerCountAsync(_http, node.Address, cancellationToken).ConfigureAwait(false);
                if (peers is null || peers >= others)
                {
                    break;
                }

                if (node.Exited.IsCompleted)
                {
                    throw new NodeExitedException(node.ExitDescription());
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The peer count a node's <c>/api/v1/status</c> reports (a number "peers"/"peerCount", or an array "peers"), or null.</summary>
    public static async Task<int?> PeerCountAsync(HttpClient http, Uri node, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        try
        {
            using var response = await http.GetAsync(new Uri(node, "api/v1/status"), cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("peerCount") || property.NameEquals("peers") || property.NameEquals("connectedPeers"))
                {
                    return property.Value.ValueKind switch
                    {
                        JsonValueKind.Number => property.Value.GetInt32(),
                        JsonValueKind.Array => property.Value.GetArrayLength(),
                        _ => null,
                    };
                }
            }

            return null;
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException)
        {
            return 0;
        }
    }

    /// <summary>Organisation id → the base URL of the node hosting it.</summary>
    private Dictionary<string, Uri> Homes()
    {
        var homes = new Dictionary<string, Uri>(StringComparer.Ordinal);
        foreach (var node in _nodes)
        {
            foreach (var organisation in new NodeDataDirectory(node.Folder).LoadSettings().Organisations ?? [])
            {
                homes[organisation] = node.Address;
            }
        }

        return homes;
    }

    private async Task<int> SuperviseAsync(CancellationToken cancellationToken)
    {
        var running = _nodes.ToList();
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registration = cancellationToken.Register(() => stopped.TrySetResult()).ConfigureAwait(false);
        while (running.Count > 0)
        {
            var exited = running.Select(n => n.Exited).ToList();
            var first = await Task.WhenAny([stopped.Task, .. exited]).ConfigureAwait(false);
            if (first == stopped.Task)
            {
                output.WriteLine("Stopping the consortium …");
                await StopAllAsync().ConfigureAwait(false);
                return 0;
            }

            var gone = running.Where(n => n.Exited.IsCompleted).ToList();
            foreach (var node in gone)
            {
                running.Remove(node);
                await Console.Error.WriteLineAsync($"medledger: {node.ExitDescription()}. {running.Count} of {_nodes.Count} nodes still run; 'medledger node start --data {node.Folder}' restarts it.").ConfigureAwait(false);
            }
        }

        await Console.Error.WriteLineAsync("medledger: every node has exited; the consortium is down.").ConfigureAwait(false);
        return CliErrors.Failure;
    }

    private async Task StopAllAsync()
    {
        var codes = await Task.WhenAll(_nodes.Select(n => n.StopAsync(StopTimeout))).ConfigureAwait(false);
        for (var i = 0; i < codes.Length; i++)
        {
            if (codes[i] != 0)
            {
                output.WriteLine($"{_nodes[i].Name} stopped with exit code {codes[i]}.");
            }
        }
    }

    private string DescribeExits()
    {
        var exited = _nodes.Where(n => n.Exited.IsCompleted).Select(n => n.ExitDescription()).ToList();
        return exited.Count == 0 ? string.Empty : $" ({string.Join("; ", exited)})";
    }
}
