using System.CommandLine;
using MedLedger.Client;

namespace MedLedger.Cli;

/// <summary>
/// <c>medledger bench</c>: measures how many transactions a fresh single-validator node (or, with <c>--nodes N</c>, a
/// fresh consortium of N validator processes) commits per second, with what latency, next to this machine's P-256
/// verification rate (which bounds throughput; DEPENDENCIES.md).
/// The node runs as a separate child process, so the numbers include the real HTTP API, admission, consensus and
/// the durable store. docs/benchmarks.md records the figures and where the time goes.
/// </summary>
internal static class BenchCommand
{
    /// <summary>Most validator processes a benchmark starts on one machine.</summary>
    public const int MaxNodes = 16;

    public static Command Create()
    {
        var clients = new Option<int>("--clients") { Description = "Concurrent clients, each with its own registered account.", DefaultValueFactory = _ => 8 };
        var transactions = new Option<int>("--transactions") { Description = "Transactions submitted in the timed phase, over all clients.", DefaultValueFactory = _ => 100_000 };
        var warmup = new Option<int>("--warmup") { Description = "Transactions sent before the timed phase and not counted: the node JIT-compiles its hot paths at full optimisation in the first seconds of load.", DefaultValueFactory = _ => 30_000 };
        var batch = new Option<int>("--batch") { Description = "Transactions per request (1..1000).", DefaultValueFactory = _ => 200 };
        var data = new Option<DirectoryInfo?>("--data") { Description = "New or empty folder for the benchmark node (default: a temporary folder, deleted afterwards unless --keep)." };
        var keep = new Option<bool>("--keep") { Description = "Keep the temporary node folder afterwards." };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object." };
        var nodes = new Option<int>("--nodes") { Description = $"Validators, each its own node process on this machine (1..{MaxNodes}); clients are spread over them.", DefaultValueFactory = _ => 1 };
        var bench = new Command("bench", "Start a fresh node as a child process, load it with pre-signed transactions from concurrent clients, and report throughput, commit latency and the machine's verification bound.")
        {
            clients, transactions, warmup, batch, data, keep, json, nodes,
        };

        // `bench records`: the medical record path (writes, authorised reads, the SQLite baseline).
        bench.Subcommands.Add(BenchRecordsCommand.Create());
        bench.SetAction((parse, cancellationToken) => CliErrors.RunAsync(async () =>
        {
            var settings = new BenchSettings(
                parse.GetValue(clients),
                parse.GetValue(transactions),
                parse.GetValue(warmup),
                parse.GetValue(batch),
                parse.GetValue(data)?.FullName,
                parse.GetValue(keep),
                parse.GetValue(json));
            settings.Validate();
            var nodeCount = parse.GetValue(nodes);
            if (nodeCount is < 1 or > MaxNodes)
            {
                throw new CliUsageException($"--nodes must be 1..{MaxNodes}, not {nodeCount}.");
            }

            try
            {
                return nodeCount == 1
                    ? await BenchRunner.RunAsync(settings, cancellationToken).ConfigureAwait(false)
                    : await BenchConsortiumRunner.RunAsync(settings, nodeCount, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is BenchmarkFailedException or HttpRequestException or MedLedgerApiException or System.Text.Json.JsonException or NodeExitedException)
            {
                // The node is not reachable or answered something unexpected: one line, like every other CLI error.
                await Console.Error.WriteLineAsync($"medledger: bench failed: {exception.Message}").ConfigureAwait(false);
                return CliErrors.Failure;
            }
        }));
        return bench;
    }
}

/// <summary>What <c>medledger bench</c> was asked to do.</summary>
/// <param name="Clients">Concurrent clients (one account each).</param>
/// <param name="Transactions">Transactions in the timed phase over all clients.</param>
/// <param name="Warmup">Transactions sent before the timed phase, not counted.</param>
/// <param name="Batch">Transactions per request.</param>
/// <param name="DataDirectory">The node's folder, or null for a temporary one.</param>
/// <param name="Keep">Keep a temporary folder afterwards.</param>
/// <param name="Json">Print one JSON object instead of text.</param>
internal sealed record BenchSettings(int Clients, int Transactions, int Warmup, int Batch, string? DataDirectory, bool Keep, bool Json)
{
    /// <summary>Most clients: each is registered in one batch request, and more would only measure the HTTP stack.</summary>
    public const int MaxClients = 1_000;

    public void Validate()
    {
        if (Clients is < 1 or > MaxClients)
        {
            throw new CliUsageException($"--clients must be 1..{MaxClients}, not {Clients}.");
        }

        if (Transactions < Clients)
        {
            throw new CliUsageException($"--transactions ({Transactions}) must be at least --clients ({Clients}).");
        }

        if (Warmup < 0)
        {
            throw new CliUsageException($"--warmup must not be negative, not {Warmup}.");
        }

        if (Batch is < 1 or > Core.Limits.MaxTransactionsPerRequest)
        {
            throw new CliUsageException($"--batch must be 1..{Core.Limits.MaxTransactionsPerRequest}, not {Batch}.");
        }
    }
}

/// <summary>The benchmark cannot go on (the node did not start, answered wrongly, or refused setup).</summary>
internal sealed class BenchmarkFailedException : Exception
{
    public BenchmarkFailedException(string message)
        : base(message)
    {
    }

    public BenchmarkFailedException()
    {
    }

    public BenchmarkFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
