using System.Diagnostics;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Node;

namespace MedLedger.Cli;

/// <summary>
/// One run of <c>medledger bench --nodes N</c> (N &gt; 1), in steps:
/// 1. create N validator folders of one consortium (one benchmark hospital, whose administrator key this process
///    holds), then measure P-256 verification on one thread and on all cores;
/// 2. start the N nodes as child processes and wait until each is ready and sees the others;
/// 3. register one user per client (doctors of the benchmark hospital, registered by its administrator) and run the
///    same load as the single-node bench, client <c>c</c> submitting to node <c>c mod N</c>;
/// 4. check the ledger at node1, wait until every node reached node1's height and compare the block hashes of every
///    new height on all nodes (no fork);
/// 5. report, stop the nodes, delete the temporary folder.
/// </summary>
internal static class BenchConsortiumRunner
{
    private const string ChainId = "medledger-bench-consortium";
    private const string Hospital = "bench-hospital";
    private static readonly TimeSpan VerifyMeasurement = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(BenchSettings settings, int nodeCount, CancellationToken cancellationToken)
    {
        var log = settings.Json ? TextWriter.Null : Console.Out;
        var ownsDirectory = settings.DataDirectory is null;
        var root = settings.DataDirectory ?? Directory.CreateTempSubdirectory("medledger-bench-consortium-").FullName;
        var suite = CryptoSuites.Standard;
        var nodes = new List<NodeChildProcess>();
        var https = new List<HttpClient>();
        try
        {
            // Step 1.
            using var administrator = suite.GenerateSigningKey();
            var peerPorts = UpCommand.FreePorts(nodeCount);
            var seeds = NodeDataDirectory.SpreadNodes(nodeCount, [new OrganisationSeed(Hospital, "Benchmark Hospital", OrganisationKind.Hospital, "tertiary")], 0, 1)
                .Select((node, i) => node with { PeerPort = peerPorts[i] })
                .ToList();
            var directories = NodeDataDirectory.InitializeConsortiumNodes(
                root,
                new ConsortiumNodesOptions(ChainId, suite.Name, null, seeds, [new OrganisationSeed(Hospital, "Benchmark Hospital", OrganisationKind.Hospital, "tertiary")], [new AdministratorSeed(Hospital, "Benchmark administrator", Convert.ToHexStringLower(administrator.PublicKey.Span))], []),
                TimeProvider.System);
            log.WriteLine($"Measuring P-256 verification ({VerifyMeasurement.TotalSeconds:0} s on one thread, then {VerifyMeasurement.TotalSeconds:0} s on {Environment.ProcessorCount} cores)...");
            var rates = BenchCryptoRates.Measure(suite, VerifyMeasurement);

            // Step 2.
            log.WriteLine($"Starting {nodeCount} validators in {root} (each a 'medledger node start' process, logs in nodeK/node.log)...");
            var starts = directories.Select((d, i) => NodeChildProcess.StartAsync($"node{i + 1}", d.Root, TimeSpan.FromSeconds(90), cancellationToken, ["--api-port", "0"])).ToList();
            try
            {
                await Task.WhenAll(starts).ConfigureAwait(false);
            }
            finally
            {
                nodes.AddRange(starts.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            }

            https.AddRange(nodes.Select(n => BenchRunner.CreateHttpClient(n.Address, settings.Clients)));
            await Task.WhenAll(nodes.Select((n, i) => n.WaitUntilReadyAsync(https[i], TimeSpan.FromSeconds(60), cancellationToken))).ConfigureAwait(false);
            await WaitForPeersAsync(nodes, https, cancellationToken).ConfigureAwait(false);
            log.WriteLine($"Validators ready: {string.Join(", ", nodes.Select(n => $"{n.Name} {n.Address} (pid {n.ProcessId})"))}");

            // Step 3.
            var target = new BenchTarget(
                https,
                () => nodes.Aggregate(TimeSpan.Zero, (sum, n) => sum + n.CpuTime),
                (api, expiryHeight, clientKeys, token) => RegisterDoctorsAsync(suite, administrator, api, expiryHeight, clientKeys, token))
            {
                ProcessIds = [.. nodes.Select(n => n.ProcessId)],
            };
            BenchReport report;
            try
            {
                report = await BenchRunner.RunAgainstNodesAsync(settings, suite, target, rates, log, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException exception)
            {
                var exited = nodes.Where(n => n.Exited.IsCompleted).Select(n => n.ExitDescription()).ToList();
                throw new BenchmarkFailedException(exited.Count > 0 ? string.Join("; ", exited) : exception.Message, exception);
            }

            // Step 4.
            log.WriteLine("Comparing the blocks of every node...");
            var fault = await CompareBlocksAsync(https, cancellationToken).ConfigureAwait(false);
            report = report with
            {
                Nodes = nodeCount,
                ConsortiumVerifyBoundRatio = Math.Round(report.TransactionsPerSecond * nodeCount / rates.AllCoresPerSecond, 3),
                SameBlocksOnAllNodes = fault is null,
                ConsistencyFault = fault,
                DataDirectory = ownsDirectory && !settings.Keep ? null : root,
            };

            // Step 5.
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
                await Console.Error.WriteLineAsync($"medledger: bench run was not clean: {report.Rejected} rejected, ledger check {(report.LedgerVerified ? "passed" : "failed: " + report.VerificationFault)}, fork check {(fault is null ? "passed" : "failed: " + fault)}.").ConfigureAwait(false);
                return 2;
            }

            return 0;
        }
        finally
        {
            await Task.WhenAll(nodes.Select(n => n.StopAsync(TimeSpan.FromSeconds(15)))).ConfigureAwait(false);
            foreach (var node in nodes)
            {
                await node.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var http in https)
            {
                http.Dispose();
            }

            if (ownsDirectory && !settings.Keep)
            {
                BenchRunner.DeleteFolder(root);
            }
        }
    }

    /// <summary>The benchmark hospital's administrator registers every client as a doctor (who may anchor commitments).</summary>
    private static async Task RegisterDoctorsAsync(ICryptoSuite suite, ISigningKey administrator, MedLedgerClient api, ulong expiryHeight, ISigningKey[] clientKeys, CancellationToken cancellationToken)
    {
        var account = await api.GetAccountAsync(suite.Hash(administrator.PublicKey.Span), cancellationToken).ConfigureAwait(false)
            ?? throw new BenchmarkFailedException("The benchmark administrator is not an account of the new chain.");
        var registrations = new Transaction[clientKeys.Length];
        for (var i = 0; i < clientKeys.Length; i++)
        {
            var payload = new UserRegisterPayload(clientKeys[i].PublicKey.ToArray(), AccountRole.Doctor, Hospital, $"bench client {i + 1}").Encode();
            registrations[i] = Transaction.Create(suite, administrator, ChainId, TransactionType.UserRegister, account.Nonce + 1 + (ulong)i, expiryHeight, payload);
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

    private static async Task WaitForPeersAsync(List<NodeChildProcess> nodes, List<HttpClient> https, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < nodes.Count; i++)
        {
            while (await LocalConsortium.PeerCountAsync(https[i], nodes[i].Address, cancellationToken).ConfigureAwait(false) is { } peers && peers < nodes.Count - 1)
            {
                if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(60))
                {
                    throw new BenchmarkFailedException($"{nodes[i].Name} sees {peers} of {nodes.Count - 1} peers after 60 s.");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Waits (at most 60 s) until every node reached the first node's height, then compares the block hash of every
    /// height on every node. Returns null when they agree, else what differs.
    /// </summary>
    private static async Task<string?> CompareBlocksAsync(List<HttpClient> https, CancellationToken cancellationToken)
    {
        var apis = https.Select(h => new MedLedgerClient(h)).ToList();
        var height = (await apis[0].GetStatusAsync(cancellationToken).ConfigureAwait(false)).Height;
        var started = Stopwatch.GetTimestamp();
        for (var i = 1; i < apis.Count; i++)
        {
            while ((await apis[i].GetStatusAsync(cancellationToken).ConfigureAwait(false)).Height < height)
            {
                if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(60))
                {
                    return $"node{i + 1} did not reach node1's height {height} within 60 s";
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
            }
        }

        var hashes = new string?[apis.Count, (int)height + 1];
        await Parallel.ForAsync(1L, (long)height + 1, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (h, token) =>
        {
            for (var i = 0; i < apis.Count; i++)
            {
                hashes[i, h] = (await apis[i].GetBlockAsync((ulong)h, token).ConfigureAwait(false))?.Hash;
            }
        }).ConfigureAwait(false);
        for (var h = 1; h <= (int)height; h++)
        {
            for (var i = 1; i < apis.Count; i++)
            {
                if (hashes[i, h] is null || hashes[i, h] != hashes[0, h])
                {
                    return $"at height {h} node1 holds block {hashes[0, h]} but node{i + 1} holds {hashes[i, h] ?? "none"}";
                }
            }
        }

        return null;
    }
}
