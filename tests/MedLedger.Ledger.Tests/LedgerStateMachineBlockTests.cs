using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// Block execution across nodes: a verifier with a fresh state machine from the same genesis accepts exactly the
/// proposer's block and reaches the same state root (ARCHITECTURE §3), refuses every altered block without changing
/// anything, and a restored node continues the chain.
/// </summary>
public sealed class LedgerStateMachineBlockTests : IDisposable
{
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;
    private readonly TestChain _chain = new();

    public void Dispose() => _chain.Dispose();

    // Proves determinism over several blocks (anchors, a registration, a revocation): a verifier that receives each
    // block as bytes re-executes it to the proposer's state root, block hash and entries, byte for byte.
    [Fact]
    public void ExecuteBlock_ProposersBlocksOnFreshNode_SameStateRootEveryHeight()
    {
        using var proposer = _chain.NewNode();
        using var verifier = _chain.NewNode();
        using var newcomer = Suite.GenerateSigningKey();
        Transaction[][] blocks =
        [
            [TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1)), TestChain.Anchor(_chain.Admin, 1, TestChain.Commitment(2))],
            [TestChain.Register(_chain.Admin, 2, newcomer.PublicKey.Span, AccountRole.Member, "newcomer")],
            [TestChain.Anchor(newcomer, 1, TestChain.Commitment(3)), TestChain.Revoke(_chain.Admin, 3, _chain.MemberId)],
            [],
        ];

        foreach (var transactions in blocks)
        {
            var proposal = _chain.Propose(proposer, transactions);
            Assert.Equal(transactions.Length, proposal.Transactions.Count);
            var (header, received) = OverTheWire(proposal);

            var prepared = verifier.ExecuteBlock(header, received);
            Assert.Equal(proposal.Header.StateRoot, prepared.Root);

            TestChain.Commit(proposer, proposal);
            verifier.Commit(header, received, prepared);
            Assert.Equal(proposer.StateRoot, verifier.StateRoot);
            Assert.Equal(proposer.LastBlockHash, verifier.LastBlockHash);
            Assert.Equal(proposer.Height, verifier.Height);
        }

        Assert.Equal(
            proposer.StateEntries().Select(e => TestHex.Of(e.Key) + "=" + TestHex.Of(e.Value)),
            verifier.StateEntries().Select(e => TestHex.Of(e.Key) + "=" + TestHex.Of(e.Value)));
    }

    public static TheoryData<string> Alterations =>
    [
        "transaction order", "tampered transaction", "missing transaction", "state root", "previous hash",
        "time not advancing", "time going back", "height", "proposer not a validator", "chain id", "validator-set hash",
        "transaction count", "transactions root", "invalid transaction inside",
    ];

    // Proves each alteration of a valid block makes ExecuteBlock throw InvalidBlockException naming the fault, leaves
    // the verifier unchanged, and that the verifier then accepts the genuine block.
    [Theory]
    [MemberData(nameof(Alterations))]
    public void ExecuteBlock_AlteredBlock_ThrowsAndChangesNothing(string alteration)
    {
        using var proposer = _chain.NewNode();
        using var verifier = _chain.NewNode();
        var transactions = new[]
        {
            TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1)),
            TestChain.Anchor(_chain.Member, 2, TestChain.Commitment(2)),
            TestChain.Anchor(_chain.Admin, 1, TestChain.Commitment(3)),
        };
        var proposal = _chain.Propose(proposer, transactions);
        var (header, received) = Alter(alteration, proposal.Header, [.. proposal.Transactions]);
        var rootBefore = verifier.StateRoot;

        var exception = Assert.Throws<InvalidBlockException>(() => verifier.ExecuteBlock(header, received));
        Assert.Contains(ExpectedReason(alteration), exception.Reason, StringComparison.Ordinal);
        Assert.Equal(rootBefore, verifier.StateRoot);
        Assert.Equal(0UL, verifier.Height);
        Assert.Equal(verifier.GenesisHash, verifier.LastBlockHash);

        var prepared = verifier.ExecuteBlock(proposal.Header, proposal.Transactions);
        Assert.Equal(proposal.Header.StateRoot, prepared.Root);
    }

    // Proves Commit advances height, last block hash (the hash of the committed header) and last time, and refuses a
    // block out of height order or a header naming another root (invariants: only a bug can cause them).
    [Fact]
    public void Commit_Block_AdvancesHeightAndLastBlockHash()
    {
        using var node = _chain.NewNode();
        Assert.Equal((0UL, node.GenesisHash, TestChain.GenesisTime), (node.Height, node.LastBlockHash, node.LastTimeUnixMilliseconds));
        Assert.Equal(_chain.Genesis.ComputeHash(Suite), node.GenesisHash);

        var proposal = _chain.Propose(node, TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1)));
        Assert.Throws<InvariantViolationException>(() => node.Commit(proposal.Header with { Height = 2 }, proposal.Transactions, proposal.Prepared));
        Assert.Throws<InvariantViolationException>(() => node.Commit(proposal.Header with { StateRoot = TestHex.Filled(9) }, proposal.Transactions, proposal.Prepared));
        Assert.Equal(0UL, node.Height);

        TestChain.Commit(node, proposal);
        Assert.Equal(1UL, node.Height);
        Assert.Equal(proposal.Header.ComputeHash(Suite), node.LastBlockHash);
        Assert.Equal(proposal.Header.TimeUnixMilliseconds, node.LastTimeUnixMilliseconds);
        Assert.Equal(proposal.Header.StateRoot, node.StateRoot);

        var next = _chain.Propose(node, TestChain.Anchor(_chain.Member, 2, TestChain.Commitment(2)));
        Assert.Equal(2UL, next.Header.Height);
        Assert.Equal(proposal.Header.ComputeHash(Suite), next.Header.PreviousBlockHash);
    }

    // Proves a proposal that was never committed leaves no trace, and a proposal prepared before another block
    // committed cannot be committed afterwards (its base root is stale).
    [Fact]
    public void Commit_StaleProposal_ThrowsInvariantViolation()
    {
        using var node = _chain.NewNode();
        var abandoned = _chain.Propose(node, TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1)));
        var chosen = _chain.Propose(node, TestChain.Anchor(_chain.Admin, 1, TestChain.Commitment(2)));
        TestChain.Commit(node, chosen);
        Assert.Null(node.Query(StateKeys.Anchor(TestChain.Commitment(1))));

        var stale = abandoned.Header with { Height = 2 };
        Assert.Throws<InvariantViolationException>(() => node.Commit(stale, abandoned.Transactions, abandoned.Prepared));
        Assert.Equal(1UL, node.Height);
    }

    // Proves Restore from the stored entries and last header yields the same root, height and last hash, and the
    // restored node verifies the next block like the node that never stopped.
    [Fact]
    public void Restore_MatchingState_ContinuesTheChain()
    {
        using var node = _chain.NewNode();
        _chain.ProposeAndCommit(node, TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1)));
        var last = _chain.ProposeAndCommit(node, TestChain.Anchor(_chain.Admin, 1, TestChain.Commitment(2)));

        using var restored = LedgerStateMachine.Restore(_chain.Genesis, Copy(node.StateEntries()), last.Header);
        Assert.Equal((node.StateRoot, node.Height, node.LastBlockHash, node.LastTimeUnixMilliseconds), (restored.StateRoot, restored.Height, restored.LastBlockHash, restored.LastTimeUnixMilliseconds));
        Assert.Equal(node.StateEntryCount, restored.StateEntryCount);

        var next = _chain.Propose(node, TestChain.Anchor(_chain.Member, 2, TestChain.Commitment(3)));
        Assert.Equal(next.Header.StateRoot, restored.ExecuteBlock(next.Header, next.Transactions).Root);

        using var fromNothing = LedgerStateMachine.Restore(_chain.Genesis, [], null);
        Assert.Equal(_chain.NewNode().StateRoot, fromNothing.StateRoot);
    }

    // Proves Restore refuses stored state that does not hash to the header's root: an altered value, a missing entry,
    // an extra entry — each a StateMismatchException naming the height.
    [Fact]
    public void Restore_AlteredState_ThrowsStateMismatch()
    {
        using var node = _chain.NewNode();
        var last = _chain.ProposeAndCommit(node, TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1)));
        var entries = Copy(node.StateEntries());

        var altered = Copy(entries);
        altered[0].Value[^1] ^= 1;
        var missing = entries.Skip(1).ToList();
        var extra = Copy(entries);
        extra.Add(new KeyValuePair<byte[], byte[]>("anch/extra"u8.ToArray(), [1]));

        foreach (var (name, state) in new[] { ("altered value", altered), ("missing entry", missing), ("extra entry", extra) })
        {
            var exception = Record.Exception(() => LedgerStateMachine.Restore(_chain.Genesis, state, last.Header));
            Assert.True(exception is StateMismatchException { Height: 1 }, $"{name}: {exception?.GetType().Name ?? "accepted"}");
        }
    }

    private static (BlockHeader Header, List<Transaction> Transactions) OverTheWire(BlockProposal proposal) =>
        (BlockHeader.Decode(proposal.Header.Encode()), [.. proposal.Transactions.Select(t => Transaction.Decode(t.Encoded.Span))]);

    private (BlockHeader Header, List<Transaction> Transactions) Alter(string alteration, BlockHeader header, List<Transaction> transactions)
    {
        switch (alteration)
        {
            case "transaction order":
                (transactions[0], transactions[2]) = (transactions[2], transactions[0]);
                return (header, transactions);
            case "tampered transaction":
                transactions[1] = TestChain.Anchor(_chain.Member, 2, TestChain.Commitment(99));
                return (header, transactions);
            case "missing transaction":
                transactions.RemoveAt(2);
                return (header with { TransactionCount = 2 }, transactions);
            case "state root":
                return (header with { StateRoot = TestHex.Filled(0x99) }, transactions);
            case "previous hash":
                return (header with { PreviousBlockHash = TestHex.Filled(0x98) }, transactions);
            case "time not advancing":
                return (header with { TimeUnixMilliseconds = TestChain.GenesisTime }, transactions);
            case "time going back":
                return (header with { TimeUnixMilliseconds = TestChain.GenesisTime - 1 }, transactions);
            case "height":
                return (header with { Height = 2 }, transactions);
            case "proposer not a validator":
                return (header with { Proposer = _chain.MemberId }, transactions);
            case "chain id":
                return (header with { ChainId = "medledger-other" }, transactions);
            case "validator-set hash":
                return (header with { ValidatorSetHash = TestHex.Filled(0x97) }, transactions);
            case "transaction count":
                return (header with { TransactionCount = 4 }, transactions);
            case "transactions root":
                return (header with { TransactionsRoot = TestHex.Filled(0x96) }, transactions);
            case "invalid transaction inside":
                // A forged transaction with every header field made consistent with it except what execution finds.
                transactions[1] = LedgerStateMachineTransactionTests.Forge(_chain.AdminId, _chain.Outsider, 5, TestChain.Commitment(42));
                return (header with { TransactionsRoot = Block.ComputeTransactionsRoot(Suite, transactions) }, transactions);
            default:
                throw new ArgumentOutOfRangeException(nameof(alteration), alteration, null);
        }
    }

    private static string ExpectedReason(string alteration) => alteration switch
    {
        "transaction order" or "tampered transaction" or "missing transaction" or "transactions root" => "transactions root",
        "state root" => "state root",
        "previous hash" => "previous-block hash",
        "time not advancing" or "time going back" => "time does not advance",
        "height" => "expected height 1",
        "proposer not a validator" => "proposer is not a validator",
        "chain id" => "chain id",
        "validator-set hash" => "validator-set hash",
        "transaction count" => "transaction count",
        "invalid transaction inside" => "transaction 1 is invalid: InvalidSignature",
        _ => throw new ArgumentOutOfRangeException(nameof(alteration), alteration, null),
    };

    private static List<KeyValuePair<byte[], byte[]>> Copy(IEnumerable<KeyValuePair<byte[], byte[]>> entries) =>
        [.. entries.Select(e => new KeyValuePair<byte[], byte[]>((byte[])e.Key.Clone(), (byte[])e.Value.Clone()))];
}
