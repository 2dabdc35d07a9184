using System.CommandLine;
using MedLedger.Client;

namespace MedLedger.Cli;

/// <summary>
/// <c>medledger bench records</c>: the medical record path end to end on a fresh single-node consortium started as a
/// child process — record writes per second (an 8 KiB FHIR bundle per record: validate, split, seal, wrap, sign, upload,
/// store, anchor), authorised reads per second with their latency, and the same sealed bundles written straight into
/// SQLite in the same run as the baseline. docs/benchmarks.md records the figures and where the time goes.
/// </summary>
internal static class BenchRecordsCommand
{
    public static Command Create()
    {
        var writers = new Option<int>("--writers") { Description = "Concurrent writing clients, each a doctor with one upload in flight.", DefaultValueFactory = _ => 16 };
        var records = new Option<int>("--records") { Description = "Records written in the timed phase, over all writers.", DefaultValueFactory = _ => 10_000 };
        var warmupRecords = new Option<int>("--warmup-records") { Description = "Records written before the timed phase and not counted (they are read later).", DefaultValueFactory = _ => 2_000 };
        var patients = new Option<int>("--patients") { Description = "Patients (pseudonyms with locally held keys) the records are written for.", DefaultValueFactory = _ => 256 };
        var readers = new Option<int>("--readers") { Description = "Concurrent reading clients: half of them patients reading their own records, half doctors the patients granted.", DefaultValueFactory = _ => 32 };
        var reads = new Option<int>("--reads") { Description = "Reads in each of the two timed read phases (fetch only; fetch, verify and decrypt).", DefaultValueFactory = _ => 20_000 };
        var warmupReads = new Option<int>("--warmup-reads") { Description = "Reads before the timed read phases, not counted.", DefaultValueFactory = _ => 5_000 };
        var commitSample = new Option<int>("--commit-sample") { Description = "Every n-th upload of each writer waits for its commit, to sample write latency to commit (0: none).", DefaultValueFactory = _ => 50 };
        var uploadBatch = new Option<int>("--upload-batch") { Description = "After the single-upload write phase, a second timed write phase of as many records uploaded n per request (POST /api/v1/records/batch); 0 or 1: none.", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed of the bundles and of the writers' and readers' choices.", DefaultValueFactory = _ => 1 };
        var data = new Option<DirectoryInfo?>("--data") { Description = "New or empty folder for the benchmark node and the baseline database (default: a temporary folder, deleted afterwards unless --keep)." };
        var keep = new Option<bool>("--keep") { Description = "Keep the temporary folder afterwards." };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object." };
        var command = new Command("records", "Write 8 KiB FHIR records (seal, store, anchor) and read them back (policy, access log, re-wrap) on a fresh consortium node in a child process; compare with the same sealed bundles written straight into SQLite.")
        {
            writers, records, warmupRecords, patients, readers, reads, warmupReads, commitSample, uploadBatch, seed, data, keep, json,
        };
        command.SetAction((parse, cancellationToken) => CliErrors.RunAsync(async () =>
        {
            var settings = new BenchRecordsSettings(
                parse.GetValue(writers),
                parse.GetValue(records),
                parse.GetValue(warmupRecords),
                parse.GetValue(patients),
                parse.GetValue(readers),
                parse.GetValue(reads),
                parse.GetValue(warmupReads),
                parse.GetValue(commitSample),
                parse.GetValue(seed),
                parse.GetValue(data)?.FullName,
                parse.GetValue(keep),
                parse.GetValue(json),
                parse.GetValue(uploadBatch));
            settings.Validate();
            try
            {
                return await BenchRecordsRunner.RunAsync(settings, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is BenchmarkFailedException or HttpRequestException or MedLedgerApiException or MedLedgerClientException or System.Text.Json.JsonException or NodeExitedException)
            {
                await Console.Error.WriteLineAsync($"medledger: bench records failed: {exception.Message}").ConfigureAwait(false);
                return CliErrors.Failure;
            }
        }));
        return command;
    }
}

/// <summary>What <c>medledger bench records</c> was asked to do.</summary>
/// <param name="Writers">Concurrent writing doctors.</param>
/// <param name="Records">Records in the timed write phase.</param>
/// <param name="WarmupRecords">Records written before it, not counted.</param>
/// <param name="Patients">Patients the records belong to.</param>
/// <param name="Readers">Concurrent readers (half patients, half granted doctors).</param>
/// <param name="Reads">Reads in each timed read phase.</param>
/// <param name="WarmupReads">Reads before them, not counted.</param>
/// <param name="CommitSample">Every n-th upload of a writer waits for commit (0: none).</param>
/// <param name="Seed">Seed of bundles and choices.</param>
/// <param name="DataDirectory">The folder, or null for a temporary one.</param>
/// <param name="Keep">Keep a temporary folder afterwards.</param>
/// <param name="Json">Print one JSON object instead of text.</param>
/// <param name="UploadBatch">Records per request in a second, batched write phase (0 or 1: no such phase).</param>
internal sealed record BenchRecordsSettings(int Writers, int Records, int WarmupRecords, int Patients, int Readers, int Reads, int WarmupReads, int CommitSample, int Seed, string? DataDirectory, bool Keep, bool Json, int UploadBatch = 0)
{
    /// <summary>Most writers or readers: each has its own key, HTTP connection and registration.</summary>
    public const int MaxClients = 256;

    /// <summary>Most patients: each is registered and grants one doctor, in batches, during setup.</summary>
    public const int MaxPatients = 20_000;

    public void Validate()
    {
        if (Writers is < 1 or > MaxClients)
        {
            throw new CliUsageException($"--writers must be 1..{MaxClients}, not {Writers}.");
        }

        if (Readers is < 2 or > MaxClients)
        {
            throw new CliUsageException($"--readers must be 2..{MaxClients} (half patients, half doctors), not {Readers}.");
        }

        if (Patients < Math.Max(Readers, Writers) || Patients > MaxPatients)
        {
            throw new CliUsageException($"--patients must be at least --writers and --readers ({Math.Max(Readers, Writers)}) and at most {MaxPatients}, not {Patients}.");
        }

        if (Records < Patients)
        {
            throw new CliUsageException($"--records ({Records}) must be at least --patients ({Patients}), so that every patient has a record to read.");
        }

        if (WarmupRecords < 0 || WarmupReads < 0 || CommitSample < 0)
        {
            throw new CliUsageException("--warmup-records, --warmup-reads and --commit-sample must not be negative.");
        }

        if (UploadBatch is < 0 or > Client.RecordBatchUploadRequest.MaxRecords)
        {
            throw new CliUsageException($"--upload-batch must be 0..{Client.RecordBatchUploadRequest.MaxRecords}, not {UploadBatch}.");
        }

        if (Reads < Readers)
        {
            throw new CliUsageException($"--reads ({Reads}) must be at least --readers ({Readers}).");
        }
    }
}
