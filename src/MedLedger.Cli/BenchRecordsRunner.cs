using System.Diagnostics;
using MedLedger.Crypto;
using MedLedger.Sharing.Demo;

namespace MedLedger.Cli;

/// <summary>
/// One run of <c>medledger bench records</c>, in steps:
/// 1. make the FHIR bundles (~8 KiB each) and measure the record path's building blocks on one idle thread;
/// 2. initialise a one-hospital consortium in a fresh folder and start its node as a child process;
/// 3. register writing and reading doctors, patients (by the doctors, keys held here) and one grant per patient;
/// 4. write: a warm-up, then the timed phase — client preparation, upload, store, anchor, until every anchor is committed;
/// 5. read: a warm-up, then two timed phases (fetch; fetch, verify and decrypt), each drained of its access log;
/// 6. check sampled reads in the on-chain access log; stop the node;
/// 7. baseline: the same bundles sealed the same way, inserted straight into SQLite (per bundle, and in block-sized batches);
/// 8. report, delete the temporary folder.
/// </summary>
internal static class BenchRecordsRunner
{
    private const int BundleCount = 32;
    private const int BundleBytes = 8 * 1024;

    public static async Task<int> RunAsync(BenchRecordsSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var log = settings.Json ? TextWriter.Null : Console.Out;
        var ownsDirectory = settings.DataDirectory is null;
        var root = settings.DataDirectory ?? Directory.CreateTempSubdirectory("medledger-bench-records-").FullName;
        try
        {
            var suite = CryptoSuites.Standard;
            var loadAverage = BenchMachine.LoadAverage();

            // Step 1.
            var documents = Enumerable.Range(0, BundleCount).Select(i => SyntheticPatients.BenchmarkBundle(settings.Seed + i, BundleBytes)).ToArray();
            log.WriteLine($"Measuring the record path's building blocks on one thread ({documents.Length} bundles of {documents.Average(d => d.Length):N0} bytes on average)...");
            var costs = BenchRecordsCosts.Measure(suite, documents[0]);

            // Step 2.
            var (directory, consortium) = BenchRecordsConsortium.Initialize(Path.Combine(root, "node"));
            using (consortium)
            {
                log.WriteLine($"Starting a fresh consortium node in {directory.Root}...");
                WritePhaseResult warmUpWrites, writes;
                WritePhaseResult? batchedWrites = null;
                ReadPhaseResult[] reads;
                int[] readTransactions;
                double[] drainSeconds;
                AccessLogReport accessLog;
                var node = await NodeChildProcess.StartAsync("the benchmark node", directory.Root, TimeSpan.FromSeconds(60), cancellationToken, ["--api-port", "0"], logToFolder: false).ConfigureAwait(false);
                await using (node.ConfigureAwait(false))
                {
                    using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }, disposeHandler: true) { BaseAddress = node.Address, Timeout = TimeSpan.FromSeconds(120) };
                    await node.WaitUntilReadyAsync(http, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                    log.WriteLine($"Node (pid {node.ProcessId}) is ready on {node.Address}");
                    var readingDoctors = settings.Readers - (settings.Readers / 2);
                    try
                    {
                        // Step 3.
                        log.WriteLine($"Registering {settings.Writers} writing and {readingDoctors} reading doctors, {settings.Patients} patients and their grants...");
                        await consortium.EnrolAsync(new MedLedger.Client.MedLedgerClient(http), settings.Writers, readingDoctors, settings.Patients, cancellationToken).ConfigureAwait(false);
                        using var world = new BenchRecordsWorld(node, http, consortium, documents);

                        // Step 4.
                        log.WriteLine($"Warming up with {settings.WarmupRecords:N0} record writes (not counted)...");
                        warmUpWrites = await BenchRecordsWrites.RunAsync(world, settings.WarmupRecords, settings.CommitSample, settings.Seed + 1, cancellationToken).ConfigureAwait(false);
                        log.WriteLine($"Writing {settings.Records:N0} records from {settings.Writers} writers (prepare, upload without waiting, then wait for every anchor to commit)...");
                        writes = await BenchRecordsWrites.RunAsync(world, settings.Records, settings.CommitSample, settings.Seed + 2, cancellationToken).ConfigureAwait(false);
                        log.WriteLine($"  {writes.Records.Count / writes.Elapsed.TotalSeconds:N0} records/s");
                        if (settings.UploadBatch > 1)
                        {
                            log.WriteLine($"Writing {settings.Records:N0} records from {settings.Writers} writers in batches of {settings.UploadBatch} per request...");
                            batchedWrites = await BenchRecordsWrites.RunAsync(world, settings.Records, settings.CommitSample, settings.Seed + 7, cancellationToken, settings.UploadBatch).ConfigureAwait(false);
                            log.WriteLine($"  {batchedWrites.Records.Count / batchedWrites.Elapsed.TotalSeconds:N0} records/s");
                        }

                        // Step 5.
                        var readers = BenchRecordsReads.CreateReaders(world, settings.Readers, warmUpWrites.Records.Concat(writes.Records).Concat(batchedWrites?.Records ?? []).ToList());
                        log.WriteLine($"Warming up with {settings.WarmupReads:N0} reads (not counted)...");
                        await BenchRecordsReads.RunAsync(world, readers, Math.Max(settings.WarmupReads, readers.Count), ReadMode.FetchAndOpen, settings.Seed + 3, cancellationToken).ConfigureAwait(false);
                        await BenchRecordsWorld.WaitForEmptyMempoolAsync(world.Api, TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
                        reads = new ReadPhaseResult[2];
                        readTransactions = new int[2];
                        drainSeconds = new double[2];
                        foreach (var (mode, i) in new[] { (ReadMode.Fetch, 0), (ReadMode.FetchAndOpen, 1) })
                        {
                            log.WriteLine($"Reading {settings.Reads:N0} records with {settings.Readers} readers ({(mode == ReadMode.Fetch ? "fetch only" : "fetch, verify and decrypt")})...");
                            reads[i] = await BenchRecordsReads.RunAsync(world, readers, settings.Reads, mode, settings.Seed + 4 + i, cancellationToken).ConfigureAwait(false);
                            log.WriteLine($"  {reads[i].Served / reads[i].Elapsed.TotalSeconds:N0} reads/s");
                            var drainStarted = Stopwatch.GetTimestamp();
                            var drained = await BenchRecordsWorld.WaitForEmptyMempoolAsync(world.Api, TimeSpan.FromMilliseconds(10), cancellationToken).ConfigureAwait(false);
                            drainSeconds[i] = Stopwatch.GetElapsedTime(drainStarted).TotalSeconds;
                            readTransactions[i] = (await BenchRecordsWorld.CountBlockTransactionsAsync(world.Api, reads[i].HeightBefore, drained.Height, cancellationToken).ConfigureAwait(false)).Sum();
                        }

                        // Step 6.
                        var (checkedReads, found) = await BenchRecordsReads.CheckLoggedAsync(reads.SelectMany(r => r.Logged), cancellationToken).ConfigureAwait(false);
                        accessLog = new AccessLogReport(checkedReads, found, checkedReads == 0 ? "no read was sampled" : null);
                    }
                    catch (HttpRequestException exception)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None).ConfigureAwait(false);
                        throw new BenchmarkFailedException(node.Exited.IsCompleted ? node.ExitDescription() : exception.Message, exception);
                    }
                }

                // Step 7: the node is gone, so the baseline has the machine the node had.
                log.WriteLine($"Baseline: sealing {settings.Records:N0} bundles (not timed), then inserting them straight into SQLite...");
                var rows = BenchRecordsBaseline.Seal(suite, documents, consortium.OrganisationKey, settings.Records);
                var baselineFolder = Directory.CreateDirectory(Path.Combine(root, "baseline")).FullName;
                var blockBatch = Math.Max(1, (int)Math.Round(writes.Blocks == 0 ? 1 : (double)writes.BlockTransactions / writes.Blocks));
                var writesPerSecond = writes.Records.Count / writes.Elapsed.TotalSeconds;
                var baseline = new List<BaselineReport>();
                foreach (var batch in new[] { 1, blockBatch }.Distinct())
                {
                    var result = BenchRecordsBaseline.Insert(Path.Combine(baselineFolder, $"bundles-{batch}.db"), rows, batch);
                    baseline.Add(new BaselineReport(batch, result.Rows, Math.Round(result.Elapsed.TotalSeconds, 3), Math.Round(result.RowsPerSecond, 1), Math.Round(writesPerSecond / result.RowsPerSecond, 3)));
                }

                var report = new BenchRecordsReport
                {
                    Machine = BenchMachine.Current(),
                    LoadAverageBefore = loadAverage,
                    Seed = settings.Seed,
                    Patients = settings.Patients,
                    Bundles = documents.Length,
                    MeanBundleBytes = (int)documents.Average(d => d.Length),
                    Costs = costs,
                    Writes = ToReport(settings, writes),
                    BatchedWrites = batchedWrites is null ? null : ToReport(settings, batchedWrites) with { UploadBatch = settings.UploadBatch },
                    Reads = reads.Select((r, i) => ToReport(settings, r, readTransactions[i], drainSeconds[i])).ToList(),
                    AccessLog = accessLog,
                    Baseline = baseline,
                    DataDirectory = ownsDirectory && !settings.Keep ? null : root,
                };
                if (settings.Json)
                {
                    Console.WriteLine(report.ToJson());
                }
                else
                {
                    report.WriteText(Console.Out);
                }

                if (!report.IsClean)
                {
                    await Console.Error.WriteLineAsync("medledger: bench records run was not clean: see the checks in the report.").ConfigureAwait(false);
                    return 2;
                }

                return 0;
            }
        }
        finally
        {
            if (ownsDirectory && !settings.Keep)
            {
                DeleteFolder(root);
            }
        }
    }

    private static WriteReport ToReport(BenchRecordsSettings settings, WritePhaseResult writes)
    {
        var count = writes.Records.Count;
        return new WriteReport(
            settings.Writers,
            settings.WarmupRecords,
            count,
            writes.Failed,
            writes.FailureCodes,
            Math.Round(writes.Elapsed.TotalSeconds, 3),
            Math.Round((writes.Elapsed - writes.LoadElapsed).TotalSeconds, 3),
            Math.Round(count / writes.Elapsed.TotalSeconds, 1),
            writes.ClientStages,
            Math.Round(writes.ClientStages.Take(BenchRecordsWrites.StageUpload).Sum(s => s.MeanMicroseconds), 1),
            writes.UploadLatency,
            writes.CommitLatency,
            writes.CommitLatencyWithPrepare,
            writes.Blocks,
            Math.Round(writes.Blocks == 0 ? 0 : (double)writes.BlockTransactions / writes.Blocks, 1),
            CpuReport.From(writes.Cpu),
            PerOperation(writes.Cpu.Node, count),
            PerOperation(writes.Cpu.Client, count),
            writes.Fault);
    }

    private static ReadReport ToReport(BenchRecordsSettings settings, ReadPhaseResult reads, int accessLogTransactions, double drainSeconds) => new(
        reads.Mode,
        settings.Readers,
        reads.Served,
        reads.Failed,
        reads.FailureCodes,
        Math.Round(reads.Elapsed.TotalSeconds, 3),
        Math.Round(reads.Served / reads.Elapsed.TotalSeconds, 1),
        reads.OpenedLatency ?? reads.FetchLatency,
        reads.FetchLatency,
        CpuReport.From(reads.Cpu),
        PerOperation(reads.Cpu.Node, reads.Served),
        PerOperation(reads.Cpu.Client, reads.Served),
        accessLogTransactions,
        Math.Round(accessLogTransactions == 0 ? 0 : (double)(reads.Served + reads.Failed) / accessLogTransactions, 1),
        Math.Round(drainSeconds, 2));

    private static double PerOperation(double cpuSeconds, int count) => Math.Round(count == 0 ? 0 : cpuSeconds * 1e6 / count, 1);

    private static void DeleteFolder(string root)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (Directory.Exists(root))
                {
                    Directory.Delete(root, recursive: true);
                }

                return;
            }
            catch (IOException) when (attempt < 5)
            {
                Thread.Sleep(200);
            }
            catch (IOException exception)
            {
                Console.Error.WriteLine($"medledger: could not delete the benchmark folder {root}: {exception.Message}");
                return;
            }
        }
    }
}
