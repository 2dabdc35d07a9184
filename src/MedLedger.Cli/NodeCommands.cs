using System.CommandLine;
using MedLedger.Consensus;
using MedLedger.Crypto;
using MedLedger.Node;
using Microsoft.Extensions.Hosting;

namespace MedLedger.Cli;

/// <summary><c>medledger node init</c> and <c>medledger node start</c>.</summary>
internal static class NodeCommands
{
    public const int DefaultApiPort = 7100;

    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "The node's data folder; the only state the node touches.", Required = true };
        var suiteOption = new Option<string>("--suite") { Description = "Crypto suite chosen at genesis: standard.", DefaultValueFactory = _ => StandardCryptoSuite.SuiteName };
        var chainId = new Option<string>("--chain-id") { Description = "Chain id written into genesis.", DefaultValueFactory = _ => "medledger-local" };
        var name = new Option<string>("--name") { Description = "The node's display name.", DefaultValueFactory = _ => "MedLedger node" };
        var apiPort = new Option<int?>("--api-port") { Description = $"Port of the REST API on 127.0.0.1 (default {DefaultApiPort}; 0 picks a free port)." };
        var passphraseFile = new Option<FileInfo?>("--passphrase-file") { Description = "File holding the node key's passphrase (else MEDLEDGER_PASSPHRASE; init generates one if neither is given)." };

        var init = new Command("init", "Create a node: an encrypted node key and a genesis with this node as its validator.")
        {
            data, suiteOption, chainId, name, apiPort, passphraseFile,
        };
        init.SetAction(parse => CliErrors.Run(() =>
        {
            var port = parse.GetValue(apiPort) ?? DefaultApiPort;
            CheckPort(port);
            var passphrase = Passphrases.FromFileOrEnvironment(parse.GetValue(passphraseFile));
            var directory = NodeDataDirectory.Initialize(
                parse.GetValue(data)!.FullName,
                new NodeInitOptions(parse.GetValue(name)!, parse.GetValue(chainId)!, parse.GetValue(suiteOption)!, passphrase, port),
                TimeProvider.System);
            Console.WriteLine($"Initialised node in {directory.Root}");
            if (passphrase is null)
            {
                Console.WriteLine($"No passphrase given: generated one in {directory.GeneratedPassphrasePath} (mode 0600). Move it to a secret store for production.");
            }

            return 0;
        }));

        var consensusTimeout = new Option<int?>("--consensus-timeout-ms") { Description = "A consortium member's base round timeout in milliseconds (propose; prevote and precommit a third of it; default 3000). Shorter suits loopback tests; every node of a consortium should use the same." };
        var minBlockInterval = new Option<int?>("--min-block-interval-ms") { Description = "Block pacing: after a commit, wait until this many milliseconds have passed before building the next block unless 1,000 transactions are waiting (default 10; 0 builds at once). Fewer, fuller blocks under light load; adds up to this much commit latency." };
        var start = new Command("start", "Start a node: consensus, ledger, store and REST API (and, when node.json names a peer port, the peer network). Ctrl-C stops it cleanly.")
        {
            data, apiPort, passphraseFile, consensusTimeout, minBlockInterval,
        };
        start.SetAction((parse, cancellationToken) => CliErrors.RunAsync(async () =>
        {
            var port = parse.GetValue(apiPort);
            if (port is { } p)
            {
                CheckPort(p);
            }

            TendermintOptions? consensus = null;
            if (parse.GetValue(consensusTimeout) is { } milliseconds)
            {
                if (milliseconds is < 50 or > 600_000)
                {
                    throw new CliUsageException($"--consensus-timeout-ms must be 50..600000, not {milliseconds}.");
                }

                var propose = TimeSpan.FromMilliseconds(milliseconds);
                consensus = new TendermintOptions
                {
                    TimeoutPropose = propose,
                    TimeoutProposeDelta = propose / 6,
                    TimeoutPrevote = propose / 3,
                    TimeoutPrevoteDelta = propose / 6,
                    TimeoutPrecommit = propose / 3,
                    TimeoutPrecommitDelta = propose / 6,
                    RebroadcastInterval = propose * 2 / 3,
                };
            }

            TimeSpan? pacing = null;
            if (parse.GetValue(minBlockInterval) is { } interval)
            {
                if (interval is < 0 or > 1_000)
                {
                    throw new CliUsageException($"--min-block-interval-ms must be 0..1000, not {interval}.");
                }

                pacing = TimeSpan.FromMilliseconds(interval);
            }

            var options = new NodeStartOptions(parse.GetValue(data)!.FullName, port, Passphrases.FromFileOrEnvironment(parse.GetValue(passphraseFile)), Consensus: consensus, MinBlockInterval: pacing);
            await RunNodeAsync(options, cancellationToken).ConfigureAwait(false);
            return Environment.ExitCode;
        }));

        return new Command("node", "Operate a node.") { init, start, CreateJoin(data, name, apiPort, passphraseFile) };
    }

    /// <summary>
    /// <c>medledger node join</c>: a folder for a node that joins an existing consortium (docs/operations.md
    /// "Joining a consortium"): a new key, the consortium's genesis, the peers to dial. Prints the public key an
    /// organisation administrator registers on chain as a node before peers accept it.
    /// </summary>
    private static Command CreateJoin(Option<DirectoryInfo> data, Option<string> name, Option<int?> apiPort, Option<FileInfo?> passphraseFile)
    {
        var genesis = new Option<FileInfo>("--genesis") { Description = "The consortium's genesis.json (a copy from any of its nodes).", Required = true };
        var peers = new Option<string[]>("--peer") { Description = "host:port of a consortium node's peer port to dial (repeat, or separate with commas).", Required = true, AllowMultipleArgumentsPerToken = true };
        var peerPort = new Option<int>("--peer-port") { Description = "Port on 127.0.0.1 this node accepts peers on (1..65535).", Required = true };
        var join = new Command("join", "Create a node that joins an existing consortium: a new key, the consortium's genesis, its peers. An administrator then registers the key on chain as a node; 'node start' syncs and follows.")
        {
            data, genesis, peers, peerPort, name, apiPort, passphraseFile,
        };
        join.SetAction(parse => CliErrors.Run(() =>
        {
            var port = parse.GetValue(apiPort) ?? DefaultApiPort;
            CheckPort(port);
            var addresses = (parse.GetValue(peers) ?? []).SelectMany(p => p.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            var passphrase = Passphrases.FromFileOrEnvironment(parse.GetValue(passphraseFile));
            var nodeName = parse.GetValue(name)!;
            var (directory, publicKey) = NodeDataDirectory.InitializeJoiningNode(
                parse.GetValue(data)!.FullName,
                new JoinNodeOptions(parse.GetValue(genesis)!.FullName, nodeName, port, parse.GetValue(peerPort), addresses, passphrase));
            var chain = directory.LoadGenesis().ChainId;
            Console.WriteLine($"Initialised node '{nodeName}' in {directory.Root} to join chain {chain} through {string.Join(", ", addresses)}.");
            Console.WriteLine($"Node public key: {publicKey}");
            Console.WriteLine("Peers accept this node once its key is on chain as a node account. An administrator of a member organisation registers it:");
            Console.WriteLine($"  medledger user register --node <their node's API URL> --key <their key file> --role node --org <their organisation> --name \"{nodeName}\" --public-key {publicKey}");
            Console.WriteLine($"Then 'medledger node start --data {directory.Root}' fetches the chain from its peers, verifies it and follows it.");
            if (passphrase is null)
            {
                Console.WriteLine($"No passphrase given: generated one in {directory.GeneratedPassphrasePath} (mode 0600). Move it to a secret store for production.");
            }

            return 0;
        }));
        return join;
    }

    public static async Task RunNodeAsync(NodeStartOptions options, CancellationToken cancellationToken, Func<Uri, CancellationToken, Task>? afterStart = null)
    {
        var app = NodeHost.Build(options);
        await using (app.ConfigureAwait(false))
        {
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException exception)
            {
                throw new NodeSetupException($"Cannot listen: {exception.Message}", exception);
            }

            var status = app.Services.GetService(typeof(LedgerService)) is LedgerService ledger ? ledger.GetStatus() : null;
            Console.WriteLine($"MedLedger node '{status?.NodeName}' API on {NodeHost.ApiAddress(app)} (chain {status?.ChainId}, height {status?.Height})");
            if (afterStart is not null)
            {
                await afterStart(new Uri(NodeHost.ApiAddress(app) + "/"), cancellationToken).ConfigureAwait(false);
            }

            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static void CheckPort(int port)
    {
        if (port is < 0 or > 65535)
        {
            throw new CliUsageException($"Port {port} is out of range 0..65535.");
        }
    }
}
