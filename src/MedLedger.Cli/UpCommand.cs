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
        var basePort = new Option<int>("--base-port") { Description = "API port of the first node (0: a free port).", DefaultValueFactory = _ => NodeCommands.DefaultApiPort };
        var demoPatients = new Option<int>("--demo-patients") { Description = "Synthetic patients seeded on first start (1..200).", DefaultValueFactory = _ => DemoConsortium.DefaultPatientCount };
        var up = new Command("up", "Start a local MedLedger consortium with demo organisations, staff and patients; creates and seeds it on first use. Ctrl-C stops it.")
        {
            data, basePort, demoPatients,
        };
        up.SetAction((parse, cancellationToken) => CliErrors.RunAsync(async () =>
        {
            var root = parse.GetValue(data)!.FullName;
            var nodeFolder = Path.Combine(root, "node1");
            var port = parse.GetValue(basePort);
            var patients = parse.GetValue(demoPatients);
            if (patients is < 1 or > 200)
            {
                throw new CliUsageException("--demo-patients is 1..200.");
            }

            if (port is < 0 or > 65535)
            {
                throw new CliUsageException($"Port {port} is out of range 0..65535.");
            }
            if (!new NodeDataDirectory(nodeFolder).IsInitialized)
            {
                Console.WriteLine($"Creating the demo consortium in {root} …");
                DemoConsortium.Initialize(nodeFolder, port);
            }

            await NodeCommands.RunNodeAsync(new NodeStartOptions(nodeFolder, port), cancellationToken, async (address, token) =>
            {
                if (!DemoConsortium.IsSeeded(nodeFolder))
                {
                    await DemoConsortium.SeedAsync(nodeFolder, address, patients, token).ConfigureAwait(false);
                }

                DemoConsortium.PrintLogins(nodeFolder);
                Console.WriteLine("Ctrl-C stops the consortium.");
            }).ConfigureAwait(false);
            return Environment.ExitCode;
        }));
        return up;
    }
}
