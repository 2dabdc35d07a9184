using MedLedger.Consensus;
using MedLedger.Node.Consortium;
using MedLedger.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedLedger.Node.Tests;

/// <summary>
/// Block pacing through the real driver with a single-validator engine and a stepped clock: after a commit, a small
/// mempool is built only once the minimum interval has passed on the driver's clock; a full one is built at once.
/// </summary>
public sealed class ConsortiumPacingDriverTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task AfterACommit_ASmallMempoolWaitsForTheInterval_AndAFullOneDoesNot()
    {
        using var ledger = new TestLedger();
        using var folder = new TempDirectory();
        var clock = new SteppedClock();
        using var store = new SqliteChainStore(folder.File("chain.db"), ledger.Suite);
        store.Initialize(ledger.Genesis);
        var mempool = new Mempool(clock);
        var signer = new FileVoteSigner(folder.File("last-signed"), ledger.Suite, ledger.Key, TestLedger.ChainId);
        var driver = new ConsensusDriver(ledger.Machine, store, mempool, new SingleValidatorEngine(signer), new ProposalJournal(folder.File("proposal"), ledger.Suite), new CommitNotifier(), ledger.KeyId, clock, NullLogger<ConsensusDriver>.Instance)
        {
            Pacing = new BlockPacer(clock, TimeSpan.FromMilliseconds(20), fullBlockTransactions: 50),
        };
        var anchors = ledger.Anchors(52);
        using var stop = new CancellationTokenSource();
        var run = driver.RunAsync(stop.Token);

        // Height 1: nothing was committed before, so nothing to pace against.
        Add(mempool, ledger, anchors[0]);
        driver.NotifyTransactionsAvailable();
        await WaitForHeightAsync(run, ledger, 1);

        // One transaction right after the commit: no block while the driver's clock stands still...
        Add(mempool, ledger, anchors[1]);
        driver.NotifyTransactionsAvailable();
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.Equal(1UL, ledger.Machine.Height);

        // ...and a block as soon as the interval has passed on it.
        clock.Advance(TimeSpan.FromMilliseconds(20));
        await WaitForHeightAsync(run, ledger, 2);

        // A full mempool right after a commit is built without waiting.
        clock.Advance(TimeSpan.FromMilliseconds(1));
        foreach (var anchor in anchors.Skip(2))
        {
            Add(mempool, ledger, anchor);
        }

        driver.NotifyTransactionsAvailable();
        await WaitForHeightAsync(run, ledger, 3);
        Assert.Equal(0, mempool.Count);

        await stop.CancelAsync();
        await run;
    }

    private static void Add(Mempool mempool, TestLedger ledger, Ledger.Transaction transaction)
    {
        var id = transaction.ComputeId(ledger.Suite);
        Assert.True(ledger.Machine.CheckTransaction(transaction, id).IsAccepted);
        Assert.True(mempool.TryAdd(transaction, id).IsAccepted);
    }

    private static async Task WaitForHeightAsync(Task run, TestLedger ledger, ulong height)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (ledger.Machine.Height < height)
        {
            if (run.IsCompleted)
            {
                await run; // surfaces the driver's failure
                Assert.Fail("the driver stopped");
            }

            Assert.True(DateTime.UtcNow < deadline, $"the driver did not reach height {height} (at {ledger.Machine.Height})");
            await Task.Delay(20);
        }
    }
}
