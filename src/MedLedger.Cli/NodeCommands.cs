using System.CommandLine;
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

        var start = new Command("start", "Start a node: consensus, ledger, store and REST API. Ctrl-C stops it cleanly.")
        {
            data, apiPort, passphraseFile,
        };
        start.SetAction((parse, cancellationToken) => CliErrors.RunAsync(async () =>
        {
            var port = parse.GetValue(apiPort);
            if (port is { } p)
            {
                CheckPort(p);
            }

            var options = new NodeStartOptions(parse.GetValue(data)!.FullName, port, Passphrases.FromFileOrEnvironment(parse.GetValue(passphraseFile)));
            await RunNodeAsync(options, cancellationToken).ConfigureAwait(false);
            return Environment.ExitCode;
        }));

        return new Command("node", "Operate a node.") { init, start };
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
