using System.CommandLine;
using MedLedger.Node;

namespace MedLedger.Cli;

/// <summary>
/// <c>medledger up</c>: the README's start command. Creates (on first use) and starts a local MedLedger node in
/// <c>--data</c>, prints its API address, and stops cleanly on Ctrl-C.
/// </summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "Folder for the local consortium's data.", DefaultValueFactory = _ => new DirectoryInfo(".medledger") };
        var basePort = new Option<int>("--base-port") { Description = "API port of the first node.", DefaultValueFactory = _ => NodeCommands.DefaultApiPort };
        var up = new Command("up", "Start a local MedLedger consortium with its API; creates it on first use. Ctrl-C stops it.")
        {
            data, basePort,
        };
        up.SetAction((parse, cancellationToken) => CliErrors.RunAsync(async () =>
        {
            var root = parse.GetValue(data)!.FullName;
            var nodeFolder = Path.Combine(root, "node1");
            var port = parse.GetValue(basePort);
            if (!new NodeDataDirectory(nodeFolder).IsInitialized)
            {
                NodeDataDirectory.Initialize(nodeFolder, new NodeInitOptions("Node 1", "medledger-local", "standard", null, port), TimeProvider.System);
                Console.WriteLine($"Created a new local chain in {root}");
            }

            await NodeCommands.RunNodeAsync(new NodeStartOptions(nodeFolder, port), cancellationToken).ConfigureAwait(false);
            return Environment.ExitCode;
        }));
        return up;
    }
}
