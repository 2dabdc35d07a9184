using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Node.Tests;

public sealed class MempoolTests
{
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;
    private static readonly Hash Alice = Suite.Hash("alice"u8);
    private static readonly Hash Bob = Suite.Hash("bob"u8);
    private static readonly Hash Carol = Suite.Hash("carol"u8);

    [Fact]
    public void TryAdd_TheSameTransactionTwice_RefusesTheSecondAsDuplicate()
    {
        // The mempool keys transactions by id: the second copy is refused and the first stays findable.
        var mempool = new Mempool();
        var transaction = Make(Alice, 1);

        Assert.True(mempool.TryAdd(transaction, Id(transaction)).IsAccepted);
        var second = mempool.TryAdd(transaction, Id(transaction));

        Assert.Equal(TransactionRejection.Duplicate, second.Rejection);
        Assert.Equal(1, mempool.Count);
        Assert.True(mempool.Contains(Id(transaction)));
        Assert.Same(transaction, mempool.Find(Id(transaction)));
    }

    [Fact]
    public void TryAdd_AnotherTransactionWithTheSameSenderAndNonce_IsDuplicate()
    {
        // One transaction per (sender, nonce): a different transaction reusing a waiting nonce is refused, while
        // the same nonce from another sender is independent.
        var mempool = new Mempool();
        var first = Make(Alice, 7, payloadByte: 1);
        var conflicting = Make(Alice, 7, payloadByte: 2);
        var otherSender = Make(Bob, 7, payloadByte: 2);

        Assert.True(mempool.TryAdd(first, Id(first)).IsAccepted);
        Assert.Equal(TransactionRejection.Duplicate, mempool.TryAdd(conflicting, Id(conflicting)).Rejection);
        Assert.True(mempool.TryAdd(otherSender, Id(otherSender)).IsAccepted);

        Assert.Equal(2, mempool.Count);
        Assert.False(mempool.Contains(Id(conflicting)));
    }

    [Fact]
    public void Remove_FreesTheIdAndTheSenderNonce_AndIgnoresUnknownIds()
    {
        // After a commit removes a transaction, its (sender, nonce) slot is free again; unknown ids are ignored.
        var mempool = new Mempool();
        var transaction = Make(Alice, 1, payloadByte: 1);
        var replacement = Make(Alice, 1, payloadByte: 2);
        mempool.TryAdd(transaction, Id(transaction));

        mempool.Remove([Id(transaction), Suite.Hash("unknown"u8)]);

        Assert.Equal(0, mempool.Count);
        Assert.Null(mempool.Find(Id(transaction)));
        Assert.Empty(mempool.Reap(100, long.MaxValue));
        Assert.True(mempool.TryAdd(replacement, Id(replacement)).IsAccepted);
        Assert.Same(replacement, Assert.Single(mempool.Reap(100, long.MaxValue)));
    }

    [Fact]
    public void Reap_KeepsArrivalOrderAcrossSenders_AndNonceOrderWithinEachSender()
    {
        // Arrival A3, B1, A1, C5, A2: Alice's three transactions fill the slots Alice occupies (0, 2, 4) in nonce
        // order, so a client that submitted concurrently is not refused for its own reordering.
        var mempool = new Mempool();
        Add(mempool, Make(Alice, 3), Make(Bob, 1), Make(Alice, 1), Make(Carol, 5), Make(Alice, 2));

        var reaped = mempool.Reap(100, long.MaxValue);

        Assert.Equal([(Alice, 1UL), (Bob, 1UL), (Alice, 2UL), (Carol, 5UL), (Alice, 3UL)], reaped.Select(t => (t.Sender, t.Nonce)));
        Assert.Equal(5, mempool.Count);
    }

    [Fact]
    public void Reap_StopsAtTheCountAndByteLimits_WithoutRemoving()
    {
        // Reap takes the oldest transactions up to maxCount and up to maxBytes (never splitting one), and leaves
        // them in the mempool until the commit removes them.
        var mempool = new Mempool();
        var transactions = Enumerable.Range(1, 10).Select(i => Make(Bob, (ulong)i)).ToList();
        Add(mempool, [.. transactions]);
        var size = transactions[0].EncodedLength;

        Assert.Equal(transactions.Take(4), mempool.Reap(4, long.MaxValue));
        Assert.Equal(transactions.Take(3), mempool.Reap(100, (3 * size) + size - 1));
        Assert.Equal(transactions.Take(3), mempool.Reap(100, 3 * size));
        Assert.Empty(mempool.Reap(100, size - 1));
        Assert.Empty(mempool.Reap(0, long.MaxValue));
        Assert.Equal(10, mempool.Count);
    }

    [Fact]
    public void Reap_UnderABlockLimit_TakesEachSendersLowestNonces()
    {
        // A client's concurrent submissions arrive as nonces 3, 1, 2 and the block has room for one: the block must
        // get nonce 1. Handing out nonce 3 first would make the ledger refuse 1 and 2 as NonceReused when the next
        // block is built, so the client's own earlier transactions would be dropped (checked with the real ledger).
        using var ledger = new TestLedger();
        var anchors = ledger.Anchors(3);
        var mempool = new Mempool();
        Add(mempool, anchors[2], anchors[0], anchors[1]);

        var first = mempool.Reap(1, long.MaxValue);
        var block = ledger.Propose(first);
        ledger.Machine.Commit(block.Header, block.Transactions, block.Prepared);
        mempool.Remove(block.Transactions.Select(Id));
        var second = ledger.Propose(mempool.Reap(100, long.MaxValue));

        Assert.Equal(1UL, Assert.Single(first).Nonce);
        Assert.Empty(second.Rejected);
        Assert.Equal([2UL, 3UL], second.Transactions.Select(t => t.Nonce));
    }

    [Fact]
    public void TryAdd_BeyondMaxMempoolTransactions_IsMempoolFull_UntilSomethingIsRemoved()
    {
        // Limits.MaxMempoolTransactions is enforced exactly: the next transaction is refused with MempoolFull, and
        // is admitted once a commit removed one. (The byte limit, 512 MiB, is too large to fill in a unit test.)
        // The mempool takes ids from its caller; distinct synthetic ids keep 200,000 admissions fast.
        var mempool = new Mempool();
        var payload = new byte[Hash.Size];
        var signature = new byte[64];
        var idBytes = new byte[Hash.Size];
        for (var nonce = 1UL; nonce <= Limits.MaxMempoolTransactions; nonce++)
        {
            var transaction = Transaction.FromParts("chain", TransactionType.CommitmentAnchor, Alice, nonce, 1_000, payload, signature);
            BitConverter.TryWriteBytes(idBytes, nonce);
            if (!mempool.TryAdd(transaction, new Hash(idBytes)).IsAccepted)
            {
                Assert.Fail($"transaction {nonce} was refused below the limit");
            }
        }

        var extra = Make(Bob, 1);
        var refused = mempool.TryAdd(extra, Id(extra));

        Assert.Equal(TransactionRejection.MempoolFull, refused.Rejection);
        Assert.Equal(Limits.MaxMempoolTransactions, mempool.Count);
        BitConverter.TryWriteBytes(idBytes, 1UL);
        mempool.Remove([new Hash(idBytes)]);
        Assert.True(mempool.TryAdd(extra, Id(extra)).IsAccepted);
    }

    [Fact]
    public async Task ConcurrentAddsAndRemoves_KeepCountAndContentsConsistent()
    {
        // Four threads add 2,000 transactions each while a fifth reaps and removes; afterwards every transaction
        // was either reaped and removed or is still waiting, exactly once.
        var mempool = new Mempool();
        var senders = Enumerable.Range(0, 4).Select(i => Suite.Hash(BitConverter.GetBytes(i))).ToArray();
        var removed = new HashSet<Hash>();
        using var done = new CancellationTokenSource();
        var remover = Task.Run(() =>
        {
            while (!done.IsCancellationRequested || mempool.Count > 0)
            {
                var reaped = mempool.Reap(50, long.MaxValue).Select(Id).ToList();
                mempool.Remove(reaped);
                foreach (var id in reaped)
                {
                    Assert.True(removed.Add(id), "a transaction was reaped after its removal");
                }
            }
        });
        var adders = senders.Select(sender => Task.Run(() =>
        {
            for (var nonce = 1UL; nonce <= 2_000; nonce++)
            {
                var transaction = Make(sender, nonce);
                Assert.True(mempool.TryAdd(transaction, Id(transaction)).IsAccepted);
            }
        })).ToArray();

        await Task.WhenAll(adders);
        await done.CancelAsync();
        await remover;

        Assert.Equal(0, mempool.Count);
        Assert.Equal(8_000, removed.Count);
    }

    [Fact]
    public void Reap_WithCommittedNonces_WaitsAtAYoungGap_ThenPassesItWhenTheNonceArrivesOrTheGraceEnds()
    {
        // Alice's last committed nonce is 1. Nonce 3 arrives first (its nonce 2 is still on its way, e.g. overtaken in
        // gossip): reaping holds Alice back — a block with 3 would turn the late 2 into a replay — but not Bob. When 2
        // arrives both go, in order. A gap that is older than the grace is a real one and is passed.
        var clock = new SteppedClock();
        var mempool = new Mempool(clock);
        var committed = new Dictionary<Hash, ulong> { [Alice] = 1, [Bob] = 0 };
        var three = Make(Alice, 3);
        var bob = Make(Bob, 1);
        mempool.TryAdd(three, Id(three));
        mempool.TryAdd(bob, Id(bob));

        Assert.Equal([bob], mempool.Reap(10, 1 << 20, s => committed[s]));
        Assert.Equal([three, bob], mempool.Reap(10, 1 << 20)); // without committed nonces: arrival order, no waiting

        var two = Make(Alice, 2);
        mempool.TryAdd(two, Id(two));
        Assert.Equal([two, bob, three], mempool.Reap(10, 1 << 20, s => committed[s]));

        mempool.Remove([Id(two), Id(three), Id(bob)]);
        committed[Alice] = 3;
        var five = Make(Alice, 5);
        mempool.TryAdd(five, Id(five));
        Assert.Empty(mempool.Reap(10, 1 << 20, s => committed[s]));
        clock.Advance(Mempool.GapGrace);
        Assert.Equal([five], mempool.Reap(10, 1 << 20, s => committed[s]));
    }

    private static Transaction Make(Hash sender, ulong nonce, byte payloadByte = 0) =>
        Transaction.FromParts("chain", TransactionType.CommitmentAnchor, sender, nonce, 1_000, Enumerable.Repeat(payloadByte, Hash.Size).ToArray(), new byte[64]);

    private static Hash Id(Transaction transaction) => transaction.ComputeId(Suite);

    private static void Add(Mempool mempool, params Transaction[] transactions)
    {
        foreach (var transaction in transactions)
        {
            Assert.True(mempool.TryAdd(transaction, Id(transaction)).IsAccepted);
        }
    }
}
