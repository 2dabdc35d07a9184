using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Node.Tests;

/// <summary>
/// The single-validator engine driven input by input, as the driver does, with the real double-sign guard
/// (<see cref="FileVoteSigner"/> over a temp file) signing its precommits.
/// </summary>
public sealed class SingleValidatorEngineTests : IDisposable
{
    private const string ChainId = "medledger-engine-tests";
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;

    private readonly TempDirectory _directory = new();
    private readonly ISigningKey _key = Suite.GenerateSigningKey();
    private readonly FileVoteSigner _signer;
    private readonly ValidatorSet _validators;
    private readonly SingleValidatorEngine _engine;

    public SingleValidatorEngineTests()
    {
        _signer = new FileVoteSigner(_directory.File("last-signed"), Suite, _key, ChainId);
        _validators = SetOf(_key);
        _engine = new SingleValidatorEngine(_signer);
    }

    public void Dispose()
    {
        _key.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void TransactionsAvailable_AfterStart_AsksForAProposalAtTheNextHeight()
    {
        // A started engine with nothing to do stays quiet; work in the mempool makes it ask for a round-0
        // proposal one above the last committed height.
        Assert.Empty(_engine.Handle(new EngineStarted(4, _validators)));

        var outputs = _engine.Handle(new TransactionsAvailable());

        Assert.Equal([new BuildProposal(5, 0)], outputs);
    }

    [Fact]
    public void TransactionsAvailable_BeforeStart_IsRemembered_AndProposedAtStart()
    {
        // The driver may signal work before the engine started (e.g. a journalled proposal after a crash): the
        // engine remembers it and asks for the proposal as soon as it starts.
        Assert.Empty(_engine.Handle(new TransactionsAvailable()));

        Assert.Equal([new BuildProposal(1, 0)], _engine.Handle(new EngineStarted(0, _validators)));
    }

    [Fact]
    public void ProposalBuilt_CommitsWithACertificateTheValidatorSetAccepts()
    {
        // The engine precommits the built proposal through the double-sign guard and commits it at once: the
        // certificate is one precommit signature that ValidatorSet.VerifyCommit accepts for that height and hash.
        var blockHash = Suite.Hash("block 1"u8);
        _engine.Handle(new EngineStarted(0, _validators));
        _engine.Handle(new TransactionsAvailable());

        var outputs = _engine.Handle(new ProposalBuilt(1, 0, blockHash));

        var commit = Assert.IsType<CommitBlock>(Assert.Single(outputs));
        Assert.Equal(1UL, commit.Height);
        Assert.Equal(blockHash, commit.BlockHash);
        Assert.Equal(0U, commit.Certificate.Round);
        Assert.Equal(_signer.ValidatorId, Assert.Single(commit.Certificate.Signatures).Validator);
        Assert.Null(_validators.VerifyCommit(Suite, ChainId, 1, blockHash, commit.Certificate));
        Assert.NotNull(_validators.VerifyCommit(Suite, ChainId, 1, Suite.Hash("another block"u8), commit.Certificate));
        Assert.NotNull(_validators.VerifyCommit(Suite, "another-chain", 1, blockHash, commit.Certificate));
        Assert.Equal(new SignedPosition(1, 0, ConsensusStep.Precommit, blockHash), _signer.LastPosition);
    }

    [Fact]
    public void AFullCycle_ProposesTheNextHeightAfterACommit_WhenWorkArrivedMeanwhile()
    {
        // 1. Work arrives and height 1 is proposed. 2. More work arrives while proposing: no second proposal.
        // 3. Height 1 commits. 4. The engine proposes height 2 for the work that arrived meanwhile.
        // 5. After height 2 commits with nothing pending, it stays quiet.
        _engine.Handle(new EngineStarted(0, _validators));
        Assert.Equal([new BuildProposal(1, 0)], _engine.Handle(new TransactionsAvailable()));
        Assert.Empty(_engine.Handle(new TransactionsAvailable()));
        Assert.IsType<CommitBlock>(Assert.Single(_engine.Handle(new ProposalBuilt(1, 0, Suite.Hash("1"u8)))));

        Assert.Equal([new BuildProposal(2, 0)], _engine.Handle(new BlockCommitted(1, _validators)));

        Assert.IsType<CommitBlock>(Assert.Single(_engine.Handle(new ProposalBuilt(2, 0, Suite.Hash("2"u8)))));
        Assert.Empty(_engine.Handle(new BlockCommitted(2, _validators)));
        Assert.Equal([new BuildProposal(3, 0)], _engine.Handle(new TransactionsAvailable()));
    }

    [Fact]
    public void ProposalEmpty_EndsTheAttempt_AndTheNextWorkProposesTheSameHeightAgain()
    {
        // When every candidate was refused there is no block; the height stays, and the next signal retries it.
        _engine.Handle(new EngineStarted(3, _validators));
        _engine.Handle(new TransactionsAvailable());

        Assert.Empty(_engine.Handle(new ProposalEmpty(4, 0)));

        Assert.Equal([new BuildProposal(4, 0)], _engine.Handle(new TransactionsAvailable()));
    }

    [Fact]
    public void StaleOrForeignInputs_AreIgnored()
    {
        // Proposals for another height or round, a proposal nobody asked for, timeouts and peer votes mean nothing
        // to a single validator: no output, and nothing is signed.
        _engine.Handle(new EngineStarted(0, _validators));
        var hash = Suite.Hash("x"u8);
        Assert.Empty(_engine.Handle(new ProposalBuilt(1, 0, hash)));

        _engine.Handle(new TransactionsAvailable());
        Assert.Empty(_engine.Handle(new ProposalBuilt(2, 0, hash)));
        Assert.Empty(_engine.Handle(new ProposalBuilt(1, 1, hash)));
        Assert.Empty(_engine.Handle(new ProposalEmpty(2, 0)));
        Assert.Empty(_engine.Handle(new TimeoutElapsed(1, 0, ConsensusStep.Propose)));
        Assert.Empty(_engine.Handle(new VoteReceived(new SignedVote(_signer.ValidatorId, VoteType.Precommit, 1, 0, hash, new byte[64]))));

        Assert.Null(_signer.LastPosition);
        Assert.IsType<CommitBlock>(Assert.Single(_engine.Handle(new ProposalBuilt(1, 0, hash))));
    }

    [Fact]
    public void AValidatorSetThatIsNotExactlyThisValidator_IsRefused()
    {
        // The engine runs only a chain whose one validator is its own key: another key, or a set of two that
        // includes it, is refused at start and when a committed block changes the set.
        using var other = Suite.GenerateSigningKey();

        Assert.Throws<InvalidOperationException>(() => new SingleValidatorEngine(_signer).Handle(new EngineStarted(0, SetOf(other))));
        Assert.Throws<InvalidOperationException>(() => new SingleValidatorEngine(_signer).Handle(new EngineStarted(0, SetOf(_key, other))));

        _engine.Handle(new EngineStarted(0, _validators));
        _engine.Handle(new TransactionsAvailable());
        _engine.Handle(new ProposalBuilt(1, 0, Suite.Hash("1"u8)));
        Assert.Throws<InvalidOperationException>(() => _engine.Handle(new BlockCommitted(1, SetOf(_key, other))));
    }

    [Fact]
    public void BlockCommitted_ForAHeightTheEngineDidNotDecide_IsAnInvariantViolation()
    {
        // The driver commits exactly the height the engine decided; anything else is a bug that stops the node.
        _engine.Handle(new EngineStarted(0, _validators));

        Assert.Throws<InvariantViolationException>(() => _engine.Handle(new BlockCommitted(5, _validators)));
    }

    [Fact]
    public void AfterARestart_TheGuardAllowsTheSameBlock_AndRefusesAnotherOne()
    {
        // 1. Before a crash the validator precommitted block A at height 1 (the guard recorded it).
        // 2. A restarted engine re-deciding A (the journalled proposal) commits it again.
        // 3. A restarted engine offered block B at height 1 stops with an invariant violation instead of
        //    signing a second block at the same height.
        var blockA = Suite.Hash("A"u8);
        Assert.NotNull(_signer.Sign(VoteType.Precommit, 1, 0, blockA));

        var replay = new SingleValidatorEngine(new FileVoteSigner(_directory.File("last-signed"), Suite, _key, ChainId));
        replay.Handle(new EngineStarted(0, _validators));
        replay.Handle(new TransactionsAvailable());
        Assert.IsType<CommitBlock>(Assert.Single(replay.Handle(new ProposalBuilt(1, 0, blockA))));

        var diverging = new SingleValidatorEngine(new FileVoteSigner(_directory.File("last-signed"), Suite, _key, ChainId));
        diverging.Handle(new EngineStarted(0, _validators));
        diverging.Handle(new TransactionsAvailable());
        Assert.Throws<InvariantViolationException>(() => diverging.Handle(new ProposalBuilt(1, 0, Suite.Hash("B"u8))));
    }

    private static ValidatorSet SetOf(params ISigningKey[] keys) =>
        new(keys.Select((key, i) => new Validator(Suite.Hash(key.PublicKey.Span), key.PublicKey.ToArray(), 1, $"validator {i}")));
}
