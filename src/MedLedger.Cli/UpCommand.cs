using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using MedLedger.Node;

namespace MedLedger.Cli;

/// <summary>
/// <c>medledger up</c>: the README's start command. Creates (on first use) a local MedLedger consortium in
/// <c>--data</c> and runs it: with <c>--nodes 1</c> one node in this process, as before; with more, every node as its
/// own <c>medledger node start</c> child process on 127.0.0.1, supervised (a node that exits is reported, Ctrl-C or
/// SIGTERM stops them all). Seeds the demo data on first start and writes <c>&lt;data&gt;/demo-logins.json</c>.
/// </summary>
internal static class UpCommand
{
    /// <summary>Peer ports are API ports plus this, so that late nodes can take the next ports of both ranges.</summary>
    public const int PeerPortOffset = 100;

    /// <summary>Most nodes <c>up</c> starts on one machine.</summary>
    public const int MaxNodes = 32;

    public const int DefaultNodes = 4;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "Folder for the local consortium's data.", DefaultValueFactory = _ => new DirectoryInfo(".medledger") };
        var basePort = new Option<int>("--base-port") { Description = $"API port of the first node; node k listens on base+k-1, its peer port is base+{PeerPortOffset}+k-1 (0: free ports, chosen when the consortium is created).", DefaultValueFactory = _ => NodeCommands.DefaultApiPort };
        var demoPatients = new Option<int>("--demo-patients") { Description = "Synthetic patients seeded on first start (1..200).", DefaultValueFactory = _ => DemoConsortium.DefaultPatientCount };
        var nodes = new Option<int?>("--nodes") { Description = $"Validator nodes of a new consortium, each a process (1..{MaxNodes}; default {DefaultNodes}; 1 runs one node in this process). For an existing consortium: as many as it has, or more to add late, non-voting nodes." };
        var up = new Command("up", "Start a local MedLedger consortium with demo organisations, staff and patients; creates and seeds it on first use. Ctrl-C stops it.")
        {
            data, basePort, demoPatients, nodes,
        };
        up.SetAction((parse, cancellationToken) => CliErrors.RunAsync(async () =>
        {
            var root = parse.GetValue(data)!.FullName;
            var port = parse.GetValue(basePort);
            var patients = parse.GetValue(demoPatients);
            var requested = parse.GetValue(nodes);
            if (patients is < 1 or > 200)
            {
                throw new CliUsageException("--demo-patients is 1..200.");
            }

            if (port is < 0 or > 65535)
            {
                throw new CliUsageException($"Port {port} is out of range 0..65535.");
            }

            if (requested is < 1 or > MaxNodes)
            {
                throw new CliUsageException($"--nodes is 1..{MaxNodes}.");
            }

            var existing = DemoConsortium.CountNodes(root);
            var singleNode = existing == 1 && new NodeDataDirectory(DemoConsortium.NodeFolder(root, 1)).LoadSettings().PeerPort == 0;
            if (existing == 0 ? requested == 1 : singleNode)
            {
                if (requested > 1)
                {
                    throw new CliUsageException($"The consortium in {root} is a single-node chain; it cannot grow to {requested} nodes. Run 'medledger up --nodes 1 --data {root}', or choose a new --data folder.");
                }

                return await RunSingleNodeAsync(root, port, patients, cancellationToken).ConfigureAwait(false);
            }

            var count = requested ?? Math.Max(existing, DefaultNodes);
            if (existing > 0 && count < existing)
            {
                throw new CliUsageException($"The consortium in {root} has {existing} nodes; --nodes {count} would leave some out. Omit --nodes to start them all.");
            }

            if (port > 0 && port + PeerPortOffset + count - 1 > 65535)
            {
                throw new CliUsageException($"--base-port {port} leaves no room for {count} nodes' API and peer ports below 65536.");
            }

            if (existing == 0)
            {
                Console.WriteLine($"Creating the demo consortium of {count} nodes in {root} …");
                var (apiPorts, peerPorts) = ChoosePorts(port, 0, count);
                DemoConsortium.InitializeNodes(root, count, apiPorts, peerPorts);
                existing = count;
            }

            await using var consortium = new LocalConsortium(root, Console.Out);
            return await consortium.RunAsync(existing, count, port, patients, cancellationToken).ConfigureAwait(false);
        }));
        return up;
    }

    /// <summary>
    /// API and peer ports for nodes <paramref name="first"/>…<paramref name="first"/>+<paramref name="count"/>-1 (0-based):
    /// from the base port upwards, or free ports of this machine when the base is 0.
    /// </summary>
    public static (int[] Api, int[] Peer) ChoosePorts(int basePort, int first, int count)
    {
        if (basePort == 0)
        {
            var free = FreePorts(2 * count);
            return (free[..count], free[count..]);
        }

        return ([.. Enumerable.Range(basePort + first, count)], [.. Enumerable.Range(basePort + PeerPortOffset + first, count)]);
    }

    /// <summary>Distinct ports that are free now: each is bound to port 0 at once and released together.</summary>
    public static int[] FreePorts(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
                listener.Dispose();
            }
        }
    }

    private static async Task<int> RunSingleNodeAsync(string root, int port, int patients, CancellationToken cancellationToken)
    {
        var nodeFolder = DemoConsortium.NodeFolder(root, 1);
        if (!new NodeDataDirectory(nodeFolder).IsInitialized)
        {
            Console.WriteLine($"Creating the demo consortium in {root} …");
            DemoConsortium.Initialize(nodeFolder, port);
        }

        await NodeCommands.RunNodeAsync(new NodeStartOptions(nodeFolder, port), cancellationToken, async (address, token) =>
        {
            var organisations = new NodeDataDirectory(nodeFolder).LoadSettings().Organisations ?? [];
            var homes = organisations.ToDictionary(o => o, _ => address, StringComparer.Ordinal);
            if (!DemoConsortium.IsSeeded(root))
            {
                await DemoConsortium.SeedAsync(root, homes, patients, token).ConfigureAwait(false);
            }

            DemoConsortium.UpdateLoginUrls(root, homes);
            DemoConsortium.PrintLogins(root);
            Console.WriteLine("Ctrl-C stops the consortium.");
        }).ConfigureAwait(false);
        return Environment.ExitCode;
    }
}
