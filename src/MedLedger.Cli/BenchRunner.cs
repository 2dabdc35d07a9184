using System.Buffers;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Node;
using Spectre.Console;

namespace MedLedger.Cli;

/// <summary>
/// One run of <c>medledger bench</c>, in steps:
/// 1. initialise a fresh node folder, then measure P-256 verification on one thread and on all cores;
/// 2. start the node as a child process;
/// 3. register one Member account per client, signed by the node key (the genesis administrator);
/// 4. pre-sign every client's CommitmentAnchor transactions on all cores and encode the request bodies — client
///    work, kept out of the timed phase so that the two cores the machine has are measured serving the node;
/// 5. a warm-up load (not counted), then the timed phase: every client posts its batches one after another with
///    <c>?wait=commit</c>;
/// 6. check the ledger: the new blocks hold exactly the accepted transactions, sampled ones are served committed;
/// 7. report, kill the node, delete the temporary folder.
/// </summary>
internal static class BenchRunner
{
    private const string ChainId = "medledger-bench";
    private const int SampleSize = 64;
    private const int SigningChunk = 1_000;
    private static readonly TimeSpan VerifyMeasurement = TimeSpan.FromSeconds(1);
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public static async Task<int> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var log = settings.Json ? TextWriter.Null : Console.Out;
        var ownsDirectory = settings.DataDirectory is null;
        var root = settings.DataDirectory ?? Directory.CreateTempSubdirectory("medledger-bench-").FullName;
        try
        {
            var suite = CryptoSuites.Standard;
            var directory = NodeDataDirectory.Initialize(root, new NodeInitOptions("bench node", ChainId, suite.Name, null, 0), TimeProvider.System);

            // Measured before the node starts, so that nothing else of this benchmark competes for the cores.
            log.WriteLine($"Measuring P-256 verification ({VerifyMeasurement.TotalSeconds:0} s on one thread, then {VerifyMeasurement.TotalSeconds:0} s on {Environment.ProcessorCount} cores)...");
            var rates = BenchCryptoRates.Measure(suite, VerifyMeasurement);

            log.WriteLine($"Starting a fresh node in {directory.Root}...");
            BenchReport report;
            var node = await NodeChildProcess.StartAsync("the benchmark node", directory.Root, TimeSpan.FromSeconds(60), cancellationToken, ["--api-port", "0"], logToFolder: false).ConfigureAwait(false);
            await using (node.ConfigureAwait(false))
            {
                using var http = CreateHttpClient(node.Address, settings.Clients);
                await node.WaitUntilReadyAsync(http, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
                log.WriteLine($"Node (pid {node.ProcessId}) is ready on {node.Address}");
                try
                {
                    var target = new BenchTarget(
                        [http],
                        () => node.CpuTime,
                        (api, expiryHeight, clientKeys, token) => RegisterClientsAsync(suite, directory, api, ChainId, expiryHeight, clientKeys, token))
                    {
                        ProcessIds = [node.ProcessId],
                    };
                    report = await RunAgainstNodesAsync(settings, suite, target, rates, log, cancellationToken).ConfigureAwait(false);
                }
                catch (HttpRequestException exception)
                {
                    // A dead node shows up as a refused or reset request; say that the node died, and how.
                    await Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None).ConfigureAwait(false);
                    var reason = (node.Exited.IsCompleted ? node.ExitDescription() : null) ?? (exception.InnerException is { } inner ? $"{exception.Message} ({inner.Message})" : exception.Message);
                    throw new BenchmarkFailedException(reason, exception);
                }
            }

            report = report with { DataDirectory = ownsDirectory && !settings.Keep ? null : directory.Root };
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
                await Console.Error.WriteLineAsync($"medledger: bench run was not clean: {report.Rejected} rejected, {report.Submitted - report.Committed - report.Pending - report.Rejected} unanswered, ledger check {(report.LedgerVerified ? "passed" : "failed: " + report.VerificationFault)}.").ConfigureAwait(false);
                return 2;
            }

            return 0;
        }
        finally
        {
            if (ownsDirectory && !settings.Keep)
            {
                DeleteFolder(root);
            }
        }
    }

    /// <summary>
    /// Steps 3 to 6 against one node or a consortium (<paramref name="target"/>): client <c>c</c> submits to node
    /// <c>c mod N</c>, and the ledger is checked at the first node.
    /// </summary>
    internal static async Task<BenchReport> RunAgainstNodesAsync(BenchSettings settings, ICryptoSuite suite, BenchTarget target, VerifyRates rates, TextWriter log, CancellationToken cancellationToken)
    {
        var api = new MedLedgerClient(target.Nodes[0]);
        var loadAverage = BenchMachine.LoadAverage();
        var status = await api.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        var expiryHeight = status.Height + (Limits.MaxExpiryWindowBlocks / 2);

        // Step 3: one Member account per client, registered by the node key (an administrator in genesis).
        var clientKeys = new ISigningKey[settings.Clients];
        var privateKeys = new byte[settings.Clients][];
        try
        {
            for (var i = 0; i < clientKeys.Length; i++)
            {
                clientKeys[i] = suite.GenerateSigningKey();
                privateKeys[i] = clientKeys[i].ExportPrivateKey();
            }

            log.WriteLine($"Registering {settings.Clients} client account(s)...");
            await target.RegisterClients(api, expiryHeight, clientKeys, cancellationToken).ConfigureAwait(false);

            // Step 4: pre-sign on all cores, outside the timed phase. Warm-up transactions take each client's first nonces.
            log.WriteLine($"Pre-signing {settings.Warmup + settings.Transactions:N0} transactions on {Environment.ProcessorCount} cores (client work, not timed: signing is the client's cost, not the node's)...");
            var signingStarted = Stopwatch.GetTimestamp();
            var warmUp = PreSign(suite, settings, settings.Warmup, _ => 1, status.ChainId, expiryHeight, privateKeys);
            var work = PreSign(suite, settings, settings.Transactions, c => 1 + (ulong)warmUp[c].Transactions.Length, status.ChainId, expiryHeight, privateKeys);
            var preSignPerSecond = (settings.Warmup + settings.Transactions) / Stopwatch.GetElapsedTime(signingStarted).TotalSeconds;

            // Warm-up: the same load, not counted, so that the timed phase measures the node after its JIT has
            // compiled the hot paths at full optimisation (tiered compilation) rather than during.
            var warmUpRejected = 0;
            if (settings.Warmup > 0)
            {
                log.WriteLine($"Warming up with {settings.Warmup:N0} transactions (not counted)...");
                var warmUpOutcome = await RunLoadAsync(settings, target.Nodes, warmUp, "Warm-up", cancellationToken).ConfigureAwait(false);
                warmUpRejected = warmUpOutcome.Rejected;
                await WaitForEmptyMempoolAsync(api, cancellationToken).ConfigureAwait(false);
            }

            // Step 5: the timed phase.
            var before = await api.GetStatusAsync(cancellationToken).ConfigureAwait(false);
            log.WriteLine($"Submitting {settings.Transactions:N0} transactions from {settings.Clients} client(s), {settings.Batch} per request, waiting for commit...");
            var cpuBefore = BenchCpuSample.Take(target.NodeCpuTime());
            await using var jit = BenchJitCpu.Start(target.ProcessIds ?? []);
            var outcome = await RunLoadAsync(settings, target.Nodes, work, "Committed", cancellationToken).ConfigureAwait(false);
            var cpu = BenchCpuSample.Take(target.NodeCpuTime()).Since(cpuBefore);
            var jitSeconds = await jit.StopAsync().ConfigureAwait(false);

            // Step 6: check what the node committed.
            log.WriteLine("Checking the ledger...");
            var check = await CheckLedgerAsync(suite, api, work, outcome, before.Height, cancellationToken).ConfigureAwait(false);

            var committedLatencies = outcome.LatenciesMilliseconds.Where(latency => !double.IsNaN(latency)).ToArray();
            Array.Sort(committedLatencies);
            var throughput = outcome.Committed / outcome.Elapsed.TotalSeconds;
            return new BenchReport
            {
                Machine = BenchMachine.Current(),
                Clients = settings.Clients,
                BatchSize = settings.Batch,
                WarmUpTransactions = settings.Warmup,
                WarmUpRejected = warmUpRejected,
                Submitted = settings.Transactions,
                Committed = outcome.Committed,
                Pending = outcome.Pending,
                Rejected = outcome.Rejected,
                RejectionCodes = outcome.RejectionCodes,
                ElapsedSeconds = Math.Round(outcome.Elapsed.TotalSeconds, 3),
                TransactionsPerSecond = Math.Round(throughput, 1),
                LatencyP50Milliseconds = Math.Round(Percentile(committedLatencies, 0.50), 1),
                LatencyP99Milliseconds = Math.Round(Percentile(committedLatencies, 0.99), 1),
                LatencyMaxMilliseconds = Math.Round(committedLatencies.Length == 0 ? 0 : committedLatencies[^1], 1),
                Blocks = check.Blocks,
                MeanTransactionsPerBlock = Math.Round(check.Blocks == 0 ? 0 : (double)check.BlockTransactions / check.Blocks, 1),
                MaxTransactionsPerBlock = check.MaxBlockTransactions,
                VerifySingleThreadPerSecond = Math.Round(rates.SingleThreadPerSecond),
                VerifyAllCoresPerSecond = Math.Round(rates.AllCoresPerSecond),
                VerifyBoundRatio = Math.Round(throughput / rates.AllCoresPerSecond, 3),
                PreSignPerSecond = Math.Round(preSignPerSecond),
                CpuSecondsAvailable = Math.Round(cpu.Available, 2),
                NodeCpuSeconds = Math.Round(cpu.Node, 2),
                ClientCpuSeconds = Math.Round(cpu.Client, 2),
                OtherCpuSeconds = cpu.Other is { } other ? Math.Round(other, 2) : null,
                NodeCpuMicrosecondsPerTransaction = Math.Round(outcome.Committed == 0 ? 0 : cpu.Node * 1e6 / outcome.Committed, 1),
                NodeJitCpuSeconds = Math.Round(jitSeconds, 2),
                NodeCpuMicrosecondsPerTransactionWithoutJit = Math.Round(outcome.Committed == 0 ? 0 : (cpu.Node - jitSeconds) * 1e6 / outcome.Committed, 1),
                LoadAverageBefore = loadAverage,
                LedgerVerified = check.Fault is null,
                SampledTransactions = check.Sampled,
                VerificationFault = check.Fault,
                DataDirectory = null,
            };
        }
        finally
        {
            foreach (var key in clientKeys)
            {
                key?.Dispose();
            }

            foreach (var privateKey in privateKeys)
            {
                if (privateKey is not null)
                {
                    CryptographicOperations.ZeroMemory(privateKey);
                }
            }
        }
    }

    private static async Task RegisterClientsAsync(ICryptoSuite suite, NodeDataDirectory directory, MedLedgerClient api, string chainId, ulong expiryHeight, ISigningKey[] clientKeys, CancellationToken cancellationToken)
    {
        using var administrator = directory.LoadNodeKey(suite, null);
        var administratorId = suite.Hash(administrator.PublicKey.Span);
        var account = await api.GetAccountAsync(administratorId, cancellationToken).ConfigureAwait(false)
            ?? throw new BenchmarkFailedException("The node key is not an account of the new chain.");
        var registrations = new Transaction[clientKeys.Length];
        for (var i = 0; i < clientKeys.Length; i++)
        {
            var payload = new AccountRegisterPayload(clientKeys[i].PublicKey.ToArray(), AccountRole.Member, $"bench client {i + 1}").Encode();
            registrations[i] = Transaction.Create(suite, administrator, chainId, TransactionType.AccountRegister, account.Nonce + 1 + (ulong)i, expiryHeight, payload);
        }

        foreach (var chunk in registrations.Chunk(Limits.MaxTransactionsPerRequest))
        {
            var response = await api.SubmitBatchAsync(chunk, waitForCommit: true, cancellationToken).ConfigureAwait(false);
            if (response.Results.FirstOrDefault(result => result.Status != "committed") is { } failed)
            {
                throw new BenchmarkFailedException($"Registering a client account ended '{failed.Status}' ({failed.Code}: {failed.Reason}).");
            }
        }
    }

    /// <summary>
    /// Signs every client's transactions in parallel: <paramref name="total"/> over all clients, each client's nonces
    /// starting at <paramref name="firstNonce"/>. Chunks import their own copy of the client's key, because a
    /// platform key object is not promised to be safe for signing on two threads at once.
    /// </summary>
    private static ClientWork[] PreSign(ICryptoSuite suite, BenchSettings settings, int total, Func<int, ulong> firstNonce, string chainId, ulong expiryHeight, byte[][] privateKeys)
    {
        var clients = new ClientWork[settings.Clients];
        var offset = 0;
        for (var c = 0; c < clients.Length; c++)
        {
            clients[c] = new ClientWork(offset, firstNonce(c), new Transaction[ShareOf(total, settings.Clients, c)]);
            offset += clients[c].Transactions.Length;
        }

        var chunks = clients
            .SelectMany((client, c) => Enumerable.Range(0, (client.Transactions.Length + SigningChunk - 1) / SigningChunk).Select(k => (Client: c, Start: k * SigningChunk)))
            .ToArray();
        Parallel.ForEach(chunks, chunk =>
        {
            var client = clients[chunk.Client];
            using var key = suite.ImportSigningKey(privateKeys[chunk.Client]);
            Span<byte> commitment = stackalloc byte[Hash.Size];
            var end = Math.Min(chunk.Start + SigningChunk, client.Transactions.Length);
            for (var i = chunk.Start; i < end; i++)
            {
                // Unique random commitments: a repeated one would be refused as already anchored.
                RandomNumberGenerator.Fill(commitment);
                var payload = new CommitmentAnchorPayload(new Hash(commitment)).Encode();
                client.Transactions[i] = Transaction.Create(suite, key, chainId, TransactionType.CommitmentAnchor, client.FirstNonce + (ulong)i, expiryHeight, payload);
            }
        });

        // The request bodies too are client work: encode them now, so the timed phase only sends and receives.
        Parallel.ForEach(clients, client =>
        {
            foreach (var batch in client.Transactions.Chunk(settings.Batch))
            {
                client.Bodies.Add(EncodeRequestBody(batch));
            }
        });

        return clients;
    }

    /// <summary>Client <paramref name="client"/>'s share when <paramref name="total"/> is spread over <paramref name="clients"/>.</summary>
    private static int ShareOf(int total, int clients, int client) => (total / clients) + (client < total % clients ? 1 : 0);

    private static byte[] EncodeRequestBody(Transaction[] batch)
    {
        var buffer = new ArrayBufferWriter<byte>((batch.Length * 260) + 32);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("transactions");
            foreach (var transaction in batch)
            {
                writer.WriteBase64StringValue(transaction.Encoded.Span);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static async Task<TimedOutcome> RunLoadAsync(BenchSettings settings, IReadOnlyList<HttpClient> nodes, ClientWork[] clients, string label, CancellationToken cancellationToken)
    {
        var total = clients.Sum(client => client.Transactions.Length);
        var latencies = new double[total];
        Array.Fill(latencies, double.NaN);
        var ids = new string?[total];
        var started = Stopwatch.GetTimestamp();
        ClientTally[] tallies;
        if (settings.Json || Console.IsOutputRedirected)
        {
            tallies = await Task.WhenAll(clients.Select((client, c) => RunClientAsync(nodes[c % nodes.Count], settings.Batch, client, latencies, ids, null, cancellationToken))).ConfigureAwait(false);
        }
        else
        {
            tallies = await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask(label, maxValue: total);
                    return await Task.WhenAll(clients.Select((client, c) => RunClientAsync(nodes[c % nodes.Count], settings.Batch, client, latencies, ids, count => task.Increment(count), cancellationToken))).ConfigureAwait(false);
                })
                .ConfigureAwait(false);
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var codes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (code, count) in tallies.SelectMany(tally => tally.RejectionCodes))
        {
            codes[code] = codes.GetValueOrDefault(code) + count;
        }

        return new TimedOutcome(elapsed, tallies.Sum(t => t.Committed), tallies.Sum(t => t.Pending), tallies.Sum(t => t.Rejected), codes, latencies, ids);
    }

    private static async Task<ClientTally> RunClientAsync(HttpClient http, int batchSize, ClientWork client, double[] latencies, string?[] ids, Action<int>? progress, CancellationToken cancellationToken)
    {
        var tally = new ClientTally();
        var uri = new Uri("api/v1/transactions?wait=commit", UriKind.Relative);
        for (var b = 0; b < client.Bodies.Count; b++)
        {
            var first = client.Offset + (b * batchSize);
            var sent = Stopwatch.GetTimestamp();
            using var content = new ByteArrayContent(client.Bodies[b]);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync(uri, content, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var detail = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                throw new BenchmarkFailedException($"POST /api/v1/transactions answered {(int)response.StatusCode}: {detail[..Math.Min(detail.Length, 300)]}");
            }

            var results = (await response.Content.ReadFromJsonAsync<SubmitTransactionsResponse>(JsonOptions, cancellationToken).ConfigureAwait(false))?.Results
                ?? throw new BenchmarkFailedException("The node answered a submission with an empty body.");
            var latency = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            var expected = Math.Min(batchSize, client.Transactions.Length - (b * batchSize));
            if (results.Count != expected)
            {
                throw new BenchmarkFailedException($"The node answered {results.Count} results for a batch of {expected}.");
            }

            for (var i = 0; i < results.Count; i++)
            {
                var result = results[i];
                ids[first + i] = result.Id;
                switch (result.Status)
                {
                    case "committed":
                        latencies[first + i] = latency;
                        tally.Committed++;
                        break;
                    case "pending":
                        tally.Pending++;
                        break;
                    default:
                        tally.Rejected++;
                        var code = result.Code ?? result.Status;
                        tally.RejectionCodes[code] = tally.RejectionCodes.GetValueOrDefault(code) + 1;
                        break;
                }
            }

            progress?.Invoke(results.Count);
        }

        return tally;
    }

    /// <summary>
    /// Waits for any still-pending transactions, then checks that the blocks made since the timed phase began hold
    /// exactly the accepted transactions, that every id the node reported is the id of what was sent, and that a
    /// sample is served as committed in one of those blocks.
    /// </summary>
    private static async Task<LedgerCheck> CheckLedgerAsync(ICryptoSuite suite, MedLedgerClient api, ClientWork[] clients, TimedOutcome outcome, ulong heightBefore, CancellationToken cancellationToken)
    {
        var status = await WaitForEmptyMempoolAsync(api, cancellationToken).ConfigureAwait(false);

        var heightAfter = status.Height;
        var blocks = heightAfter - heightBefore;
        var counts = new int[blocks];
        await Parallel.ForAsync(0L, (long)blocks, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (k, token) =>
        {
            var block = await api.GetBlockAsync(heightBefore + 1 + (ulong)k, token).ConfigureAwait(false)
                ?? throw new BenchmarkFailedException($"Block {heightBefore + 1 + (ulong)k} is missing below the node's height {heightAfter}.");
            counts[k] = block.TransactionIds.Count;
        }).ConfigureAwait(false);

        var inBlocks = counts.Sum(c => (long)c);
        var accepted = outcome.Committed + outcome.Pending;
        var check = new LedgerCheck(blocks, inBlocks, counts.Length == 0 ? 0 : counts.Max(), 0, null);
        if (status.MempoolSize > 0)
        {
            return check with { Fault = $"{status.MempoolSize} transaction(s) still wait in the mempool 60 s after the timed phase" };
        }

        if (inBlocks != accepted)
        {
            return check with { Fault = $"the {blocks} new block(s) hold {inBlocks} transactions, but the node accepted {accepted}" };
        }

        var all = clients.SelectMany(client => client.Transactions).ToArray();
        for (var i = 0; i < all.Length; i++)
        {
            if (outcome.Ids[i] is { Length: > 0 } id && id != all[i].ComputeId(suite).ToString())
            {
                return check with { Fault = $"the node reported id {id} for transaction {i}, whose id is {all[i].ComputeId(suite)}" };
            }
        }

        var committed = Enumerable.Range(0, all.Length).Where(i => !double.IsNaN(outcome.LatenciesMilliseconds[i])).ToArray();
        var sampled = 0;
        for (var s = 0; s < Math.Min(SampleSize, committed.Length); s++)
        {
            var index = committed[RandomNumberGenerator.GetInt32(committed.Length)];
            var served = await api.GetTransactionAsync(all[index].ComputeId(suite), cancellationToken).ConfigureAwait(false);
            if (served is null || served.Status != "committed" || served.Height is not { } height || height <= heightBefore || height > heightAfter || served.Proof is null
                || served.Encoded != Convert.ToBase64String(all[index].Encoded.Span))
            {
                return check with { Sampled = sampled, Fault = $"transaction {all[index].ComputeId(suite)} is not served as committed in the new blocks (status {served?.Status ?? "unknown"}, height {served?.Height})" };
            }

            sampled++;
        }

        return check with { Sampled = sampled };
    }

    /// <summary>Waits (at most 60 s) until transactions whose commit wait ended have been committed or dropped.</summary>
    private static async Task<NodeStatus> WaitForEmptyMempoolAsync(MedLedgerClient api, CancellationToken cancellationToken)
    {
        var status = await api.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        while (status.MempoolSize > 0 && Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
            status = await api.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        }

        return status;
    }

    private static double Percentile(double[] sorted, double quantile) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];

    internal static HttpClient CreateHttpClient(Uri address, int clients)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = clients + 4,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseProxy = false,
        };

        // Longer than the node's 30 s commit wait, so that the node, not the client, decides when a wait ends.
        return new HttpClient(handler, disposeHandler: true) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(120) };
    }

    internal static void DeleteFolder(string root)
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

    /// <summary>One client's pre-signed transactions (nonces from <see cref="FirstNonce"/>, global indexes from <see cref="Offset"/>) and request bodies.</summary>
    private sealed record ClientWork(int Offset, ulong FirstNonce, Transaction[] Transactions)
    {
        public List<byte[]> Bodies { get; } = [];
    }

    private sealed class ClientTally
    {
        public int Committed { get; set; }

        public int Pending { get; set; }

        public int Rejected { get; set; }

        public Dictionary<string, int> RejectionCodes { get; } = new(StringComparer.Ordinal);
    }

    private sealed record TimedOutcome(TimeSpan Elapsed, int Committed, int Pending, int Rejected, IReadOnlyDictionary<string, int> RejectionCodes, double[] LatenciesMilliseconds, string?[] Ids);

    private sealed record LedgerCheck(ulong Blocks, long BlockTransactions, int MaxBlockTransactions, int Sampled, string? Fault);
}

/// <summary>
/// What a benchmark run loads: the nodes' API clients (client <c>c</c> uses node <c>c mod N</c>), the nodes' CPU time so
/// far, and how to register the benchmark's client accounts (each may then sign CommitmentAnchor transactions).
/// </summary>
internal sealed record BenchTarget(IReadOnlyList<HttpClient> Nodes, Func<TimeSpan> NodeCpuTime, Func<MedLedgerClient, ulong, ISigningKey[], CancellationToken, Task> RegisterClients)
{
    /// <summary>The node processes (for the JIT thread's share of their CPU), when known.</summary>
    public IReadOnlyList<int>? ProcessIds { get; init; }
}
