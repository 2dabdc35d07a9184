using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using Xunit.Abstractions;

namespace MedLedger.EndToEnd.Tests;

/// <summary>
/// SPEC §5 reliability for one node: no acknowledged transaction is lost when the node process is killed
/// (SIGKILL) at any moment of a write burst, and the folder it leaves always verifies and restarts. A process kill
/// loses what the process held, not what the operating system had buffered; surviving a power loss rests on
/// SQLite's synchronous=FULL and is beyond what a test on a live kernel can show.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output) : IDisposable
{
    private const int Clients = 4;
    private const int Cycles = 4;
    private const int MaxKillDelayMilliseconds = 1_000;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task KilledDuringWrites_RestartsWithEveryAcknowledgedTransaction()
    {
        // Four clients write continuously (single and batch submissions with ?wait=commit) while the test SIGKILLs
        // the node at a seeded random moment, four times; after each kill the folder verifies, the node restarts,
        // and every transaction the node acknowledged as committed is there at its acknowledged height.
        // The seed drives the kill delays and batch sizes; it is printed, and MEDLEDGER_TEST_SEED replays it. The
        // default is a fresh seed per run (not the clock) so that runs explore different kill moments.
        var seed = int.TryParse(Environment.GetEnvironmentVariable("MEDLEDGER_TEST_SEED"), out var fixedSeed) ? fixedSeed : RandomNumberGenerator.GetInt32(int.MaxValue);
        output.WriteLine($"seed {seed} (MEDLEDGER_TEST_SEED={seed} replays this schedule)");
        var random = new Random(seed);
        var data = _folder.Combine("node");
        var acknowledged = new ConcurrentDictionary<Hash, ulong>();

        // 1. Initialise and start a node; the administrator registers one member key per client.
        await NodeFolder.InitAsync(data);
        using var admin = NodeFolder.LoadAdminKey(data);
        var members = Enumerable.Range(0, Clients).Select(_ => NodeFolder.Suite.GenerateSigningKey()).ToArray();
        var node = await NodeProcess.StartAsync(data);
        try
        {
            var registrations = await node.Client.SubmitBatchAsync([.. members.Select((member, i) => NodeFolder.Register(admin, (ulong)i + 1, member, $"client {i}"))], waitForCommit: true);
            foreach (var result in registrations.Results)
            {
                Assert.True(result.Status == "committed", $"seed {seed}: {result}\n{node}");
                acknowledged[Hash.Parse(result.Id)] = result.Height!.Value;
            }

            for (var cycle = 1; cycle <= Cycles; cycle++)
            {
                // 2. The clients write until their node dies; the kill comes a random delay after the first
                //    acknowledgement of this cycle, so it lands among the writes.
                var killDelay = random.Next(MaxKillDelayMilliseconds);
                var clientSeeds = members.Select(_ => random.Next()).ToArray();
                var firstAcknowledgement = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var before = acknowledged.Count;
                var writers = members.Select((member, i) => WriteUntilTheNodeDiesAsync(node, member, new Random(clientSeeds[i]), acknowledged, firstAcknowledgement)).ToArray();
                if (await Task.WhenAny(firstAcknowledgement.Task, Task.WhenAll(writers), Task.Delay(TimeSpan.FromSeconds(60))) != firstAcknowledgement.Task)
                {
                    await Task.WhenAny(Task.WhenAll(writers), Task.Delay(TimeSpan.FromSeconds(1)));
                    Assert.Fail($"seed {seed}, cycle {cycle}: no transaction was acknowledged. {Describe(writers)}\n{node}");
                }

                await Task.Delay(killDelay);

                // 3. SIGKILL.
                await node.KillAsync();
                var allWriters = Task.WhenAll(writers);
                if (await Task.WhenAny(allWriters, Task.Delay(TimeSpan.FromSeconds(90))) != allWriters)
                {
                    Assert.Fail($"seed {seed}, cycle {cycle}: clients still running 90 s after the kill. {Describe(writers)}");
                }

                var written = await allWriters;
                output.WriteLine($"cycle {cycle}: killed {killDelay} ms after the first acknowledgement; {acknowledged.Count - before} acknowledged this cycle ({string.Join(", ", written)} per client), highest acknowledged height {acknowledged.Values.Max()}");

                // 4. The folder the kill left verifies as it is, before anything repairs it.
                var verify = await MedLedgerCli.RunAsync(["chain", "verify", "--data", data, "--json"]);
                Assert.True(verify.ExitCode == 0, $"seed {seed}, cycle {cycle}: the killed node's folder does not verify\n{verify}\n--- node ---\n{node}");

                // 5. The node starts again on the folder.
                var killed = node;
                node = await NodeProcess.StartAsync(data);
                await killed.DisposeAsync();

                // 6. Its height covers every acknowledgement, and every acknowledged transaction is committed at the
                //    height it was acknowledged at.
                var status = await node.Client.GetStatusAsync();
                var highest = acknowledged.Values.Max();
                Assert.True(status.Height >= highest, $"seed {seed}, cycle {cycle}: restarted at height {status.Height}, but height {highest} was acknowledged\n{node}");
                await AssertAllCommittedAsync(node, acknowledged, $"seed {seed}, cycle {cycle}");
            }

            // 7. A clean stop, and the whole chain verifies.
            var exitCode = await node.StopAsync();
            Assert.True(exitCode == 0, $"seed {seed}: exit code {exitCode} on SIGTERM\n{node}");
            var final = (await MedLedgerCli.RunAsync(["chain", "verify", "--data", data, "--json"])).Succeeded();
            using var document = JsonDocument.Parse(final.Stdout);
            output.WriteLine($"final: {document.RootElement.GetProperty("storedHeight").GetUInt64()} blocks, {acknowledged.Count} acknowledged transactions, all present");
        }
        finally
        {
            await node.DisposeAsync();
            foreach (var member in members)
            {
                member.Dispose();
            }
        }
    }

    /// <summary>
    /// One client: submits batches of 1 to 5 anchors (a single one through the single-transaction form) with
    /// ?wait=commit, records each one answered 'committed', and stops at the first transport failure. Starts from
    /// the account's committed nonce, since a batch in flight at the previous kill may or may not have committed.
    /// Returns how many transactions it had acknowledged.
    /// </summary>
    private static async Task<int> WriteUntilTheNodeDiesAsync(NodeProcess node, ISigningKey key, Random random, ConcurrentDictionary<Hash, ulong> acknowledged, TaskCompletionSource firstAcknowledgement)
    {
        var client = node.Client;
        var count = 0;
        try
        {
            var nonce = (await client.GetAccountAsync(NodeFolder.KeyId(key)))!.Nonce + 1;
            while (true)
            {
                var batch = Enumerable.Range(0, random.Next(1, 6)).Select(i => NodeFolder.Anchor(key, nonce + (ulong)i)).ToList();
                nonce += (ulong)batch.Count;
                IReadOnlyList<SubmittedTransaction> results = batch.Count == 1
                    ? [await client.SubmitAsync(batch[0], waitForCommit: true)]
                    : (await client.SubmitBatchAsync(batch, waitForCommit: true)).Results;
                foreach (var result in results)
                {
                    // 'pending' means the 30 s wait ended first: not acknowledged, and not a failure.
                    Assert.True(result.Status != "rejected", $"a client's transaction was refused: {result}");
                    if (result.Status == "committed")
                    {
                        acknowledged[Hash.Parse(result.Id)] = result.Height!.Value;
                        count++;
                        firstAcknowledgement.TrySetResult();
                    }
                }
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException or JsonException)
        {
            // The node died: a refused connection, a reset, or a response cut off.
            return count;
        }
    }

    private static async Task AssertAllCommittedAsync(NodeProcess node, ConcurrentDictionary<Hash, ulong> acknowledged, string context)
    {
        var client = node.Client;
        await Parallel.ForEachAsync(acknowledged, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (entry, cancellationToken) =>
        {
            var transaction = await client.GetTransactionAsync(entry.Key, cancellationToken);
            Assert.True(
                transaction is { Status: "committed" } && transaction.Height == entry.Value,
                $"{context}: transaction {entry.Key} was acknowledged at height {entry.Value} but the restarted node has {(transaction is null ? "nothing" : $"{transaction.Status} at {transaction.Height}")}");
        });
    }

    private static string Describe(Task<int>[] writers) =>
        string.Join("; ", writers.Select((writer, i) => $"client {i}: {writer.Status}{(writer.Exception is { } e ? $" {e.InnerException}" : string.Empty)}"));
}
