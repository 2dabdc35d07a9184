using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Node.Tests;

public sealed class CommitNotifierTests
{
    private static readonly Hash Id = CryptoSuites.Standard.Hash("transaction"u8);

    [Fact]
    public async Task Register_ThenComplete_DeliversTheOutcome_Once()
    {
        // A request registered before admission receives the outcome the driver reports; a second completion of the
        // same id (no waiter left) is ignored.
        var notifier = new CommitNotifier();
        var wait = notifier.Register(Id);
        var committed = new SubmittedTransaction(Id.ToString(), "committed", 3, 0);

        notifier.Complete(Id, committed);
        notifier.Complete(Id, committed with { Height = 4 });

        Assert.Same(committed, await wait);
    }

    [Fact]
    public void Forget_ThenComplete_LeavesTheWaitPending()
    {
        // A request that stopped waiting (timeout, refusal at admission) is not completed later.
        var notifier = new CommitNotifier();
        var wait = notifier.Register(Id);

        notifier.Forget(Id);
        notifier.Complete(Id, new SubmittedTransaction(Id.ToString(), "committed", 1, 0));

        Assert.False(wait.IsCompleted);
    }

    [Fact]
    public async Task TwoRequestsForTheSameTransaction_BothReceiveTheOutcome()
    {
        // Two concurrent submissions of the same bytes both register before admission and share one outcome.
        var notifier = new CommitNotifier();
        var first = notifier.Register(Id);
        var second = notifier.Register(Id);
        var committed = new SubmittedTransaction(Id.ToString(), "committed", 1, 0);

        notifier.Complete(Id, committed);

        Assert.Same(committed, await first);
        Assert.Same(committed, await second);
    }

    [Fact]
    public async Task Forget_ByOneOfTwoRequests_DoesNotCancelTheOthersWait()
    {
        // Of two requests waiting for the same transaction, the one that gives up (refused as a duplicate, or timed
        // out) must not take the other's wait with it.
        var notifier = new CommitNotifier();
        var winner = notifier.Register(Id);
        _ = notifier.Register(Id);
        var committed = new SubmittedTransaction(Id.ToString(), "committed", 1, 0);

        notifier.Forget(Id);
        notifier.Complete(Id, committed);

        Assert.True(winner.IsCompleted, "the remaining request never learns that its transaction committed");
        Assert.Same(committed, await winner);
    }
}
