using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Simulation.Tests;

/// <summary>
/// The rules of Algorithm 1 of "The latest gossip on BFT consensus", one at a time, on a single engine fed by hand
/// (<see cref="EngineFixture"/>: four validators of power 1, proposer of (1, r) = validator (1 + r) mod 4).
/// </summary>
public sealed class EngineRuleTests
{
    private static readonly Hash BlockA = EngineFixture.Block("block A");
    private static readonly Hash BlockB = EngineFixture.Block("block B");

    // Proves the proposer's path (lines 14-21, 22, 36, 49): it asks for a block, signs and broadcasts the proposal and
    // its prevote, saves its lock before precommitting on a prevote quorum, and commits on a precommit quorum with a
    // certificate the validator set accepts.
    [Fact]
    public void Proposer_BuildsProposesLocksAndCommits_WithAVerifyingCertificate()
    {
        var fixture = new EngineFixture(local: 1);

        // 1. Round 0 of height 1 is validator 1's: it asks for a block (empty allowed) and schedules the propose timeout.
        var started = fixture.Start();
        Assert.Contains(new BuildProposal(1, 0, AllowEmpty: true), started);
        Assert.Contains(new ScheduleTimeout(1, 0, ConsensusStep.Propose, TimeSpan.FromMilliseconds(500)), started);

        // 2. The block is built: the engine signs a fresh proposal (no proof of lock) and prevotes it.
        var proposed = fixture.Handle(new ProposalBuilt(1, 0, BlockA));
        var broadcast = Assert.Single(proposed.OfType<BroadcastProposal>());
        Assert.Equal((1UL, 0U, BlockA, -1), (broadcast.Proposal.Height, broadcast.Proposal.Round, broadcast.Proposal.BlockHash, broadcast.Proposal.ProofOfLockRound));
        Assert.True(EngineFixture.Suite.Verify(fixture.Validators.Validators[1].PublicKey, Proposal.EncodeSigningBytes(EngineFixture.ChainId, 1, 0, BlockA, -1), broadcast.Proposal.Signature));
        Assert.Equal(BlockA, fixture.OwnVote(proposed, VoteType.Prevote).BlockHash);

        // 3. Two more prevotes make a quorum: the lock is saved first, then the precommit goes out.
        var polka = fixture.Votes(VoteType.Prevote, 0, BlockA, 0, 2);
        var saveIndex = polka.FindIndex(o => o is SaveLock);
        var precommitIndex = polka.FindIndex(o => o is BroadcastVote { Vote.Type: VoteType.Precommit });
        Assert.True(saveIndex >= 0 && saveIndex < precommitIndex, string.Join(", ", polka));
        var saved = ((SaveLock)polka[saveIndex]).Lock;
        Assert.Equal((1UL, 0U, BlockA, 3), (saved.Height, saved.Round, saved.BlockHash, saved.Prevotes.Count));
        Assert.Equal((0, (Hash?)BlockA), (fixture.Engine.LockedRound, fixture.Engine.LockedValue));

        // 4. Two more precommits commit the block; the certificate verifies against the set.
        Assert.DoesNotContain(fixture.Votes(VoteType.Precommit, 0, BlockA, 0), o => o is CommitBlock);
        var commit = Assert.Single(fixture.Votes(VoteType.Precommit, 0, BlockA, 2).OfType<CommitBlock>());
        Assert.Equal(BlockA, commit.BlockHash);
        Assert.Equal(3, commit.Certificate.Signatures.Count);
        Assert.Null(fixture.Validators.VerifyCommit(EngineFixture.Suite, EngineFixture.ChainId, 1, BlockA, commit.Certificate));

        // 5. After the driver commits, height 2 starts at round 0, whose proposer is validator 2.
        var next = fixture.Handle(new BlockCommitted(1, fixture.Validators));
        Assert.Contains(new ScheduleTimeout(2, 0, ConsensusStep.Propose, TimeSpan.FromMilliseconds(500)), next);
        Assert.DoesNotContain(next, o => o is BuildProposal);
    }

    // Proves line 57: without a proposal, the propose timeout makes the validator prevote nil; a late proposal is then
    // ignored for this round.
    [Fact]
    public void TimeoutPropose_WithoutProposal_PrevotesNil()
    {
        var fixture = new EngineFixture(local: 0);
        fixture.Start();

        var outputs = fixture.Handle(new TimeoutElapsed(1, 0, ConsensusStep.Propose));

        Assert.True(fixture.OwnVote(outputs, VoteType.Prevote).BlockHash.IsZero);
        Assert.DoesNotContain(fixture.Propose(0, BlockA), o => o is BroadcastVote);
    }

    // Proves lines 34 and 61: prevotes of a quorum split between blocks schedule the prevote timeout (not before), and
    // when it fires the validator precommits nil.
    [Fact]
    public void TimeoutPrevote_AfterSplitPrevoteQuorum_PrecommitsNil()
    {
        var fixture = new EngineFixture(local: 0);
        fixture.Start();
        fixture.Handle(new TimeoutElapsed(1, 0, ConsensusStep.Propose));

        Assert.DoesNotContain(fixture.Votes(VoteType.Prevote, 0, BlockA, 2), o => o is ScheduleTimeout);
        var quorum = fixture.Votes(VoteType.Prevote, 0, BlockB, 3);
        Assert.Contains(new ScheduleTimeout(1, 0, ConsensusStep.Prevote, TimeSpan.FromMilliseconds(200)), quorum);
        Assert.DoesNotContain(quorum, o => o is BroadcastVote);

        var outputs = fixture.Handle(new TimeoutElapsed(1, 0, ConsensusStep.Prevote));

        Assert.True(fixture.OwnVote(outputs, VoteType.Precommit).BlockHash.IsZero);
        Assert.Equal(ConsensusStep.Precommit, fixture.Engine.Step);
    }

    // Proves line 44: a prevote quorum for nil makes the validator precommit nil at once.
    [Fact]
    public void NilPrevoteQuorum_PrecommitsNil()
    {
        var fixture = new EngineFixture(local: 0);
        fixture.Start();
        fixture.Handle(new TimeoutElapsed(1, 0, ConsensusStep.Propose));

        var outputs = fixture.Votes(VoteType.Prevote, 0, Hash.Zero, 2, 3);

        Assert.True(fixture.OwnVote(outputs, VoteType.Precommit).BlockHash.IsZero);
    }

    // Proves lines 22-27: an invalid proposed block is prevoted nil, a valid one is prevoted.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Proposal_IsPrevotedOnlyWhenValid(bool valid)
    {
        var fixture = new EngineFixture(local: 0);
        fixture.Start();

        var outputs = fixture.Propose(0, BlockA, valid: valid);

        Assert.Contains(new ValidateProposal(1, 0, BlockA), outputs);
        Assert.Equal(valid ? BlockA : Hash.Zero, fixture.OwnVote(outputs, VoteType.Prevote).BlockHash);
    }

    // Proves the lock (lines 22, 36): after locking on A in round 0, a new block B proposed without a proof of lock in
    // round 1 is prevoted nil, and A proposed again is prevoted.
    [Fact]
    public void Locked_NewBlockWithoutProofOfLock_PrevotesNil_ButTheLockedBlockAgain()
    {
        var fixture = LockedOnAInRoundZero();
        AdvanceByPrecommitTimeout(fixture, 0);

        var outputs = fixture.Propose(1, BlockB);

        Assert.True(fixture.OwnVote(outputs, VoteType.Prevote).BlockHash.IsZero);
        Assert.Equal((0, (Hash?)BlockA), (fixture.Engine.LockedRound, fixture.Engine.LockedValue));

        var locked = LockedOnAInRoundZero();
        AdvanceByPrecommitTimeout(locked, 0);
        Assert.Equal(BlockA, locked.OwnVote(locked.Propose(1, BlockA), VoteType.Prevote).BlockHash);
    }

    // Proves unlocking (line 28-33): a validator locked on A in round 0 prevotes B proposed in round 2 with a proof of
    // lock from round 1 once it holds the round-1 prevote quorum for B; without that quorum it waits, then prevotes nil.
    [Fact]
    public void Locked_BlockWithNewerProofOfLock_IsPrevoted()
    {
        var fixture = LockedOnAInRoundZero();

        // 1. Three validators prevote B in round 1: more than a third is ahead, so the engine skips to round 1.
        fixture.Votes(VoteType.Prevote, 1, BlockB, 1, 2, 3);
        Assert.Equal(1U, fixture.Engine.Round);

        // 2. Round 1 ends without a proposal: precommit quorum, precommit timeout, round 2.
        fixture.Votes(VoteType.Precommit, 1, Hash.Zero, 1, 2, 3);
        fixture.Handle(new TimeoutElapsed(1, 1, ConsensusStep.Precommit));
        Assert.Equal(2U, fixture.Engine.Round);

        // 3. B is proposed in round 2 with proof-of-lock round 1: newer than the lock, so it is prevoted.
        var outputs = fixture.Propose(2, BlockB, proofOfLockRound: 1);
        Assert.Equal(BlockB, fixture.OwnVote(outputs, VoteType.Prevote).BlockHash);
    }

    // Proves line 28's precondition: a proof-of-lock round the engine holds no quorum for does not unlock it.
    [Fact]
    public void Locked_ProofOfLockWithoutQuorum_WaitsThenPrevotesNil()
    {
        var fixture = LockedOnAInRoundZero();
        AdvanceByPrecommitTimeout(fixture, 0);
        fixture.Votes(VoteType.Prevote, 0, BlockB, 3);

        Assert.DoesNotContain(fixture.Propose(1, BlockB, proofOfLockRound: 0), o => o is BroadcastVote);
        var outputs = fixture.Handle(new TimeoutElapsed(1, 1, ConsensusStep.Propose));
        Assert.True(fixture.OwnVote(outputs, VoteType.Prevote).BlockHash.IsZero);
    }

    // Proves the valid value (line 36 with step = precommit, and line 16): a prevote quorum for A seen after the validator
    // precommitted nil makes A its valid value without locking it, and when the validator next proposes it re-proposes A
    // with proof-of-lock round 0 and the prevotes that prove it.
    [Fact]
    public void ValidValue_PolkaSeenAfterPrecommittingNil_IsReproposedWithItsProofOfLock()
    {
        var fixture = new EngineFixture(local: 0);
        fixture.Start();

        // 1. No proposal in time: prevote nil; a split quorum and the prevote timeout: precommit nil.
        fixture.Handle(new TimeoutElapsed(1, 0, ConsensusStep.Propose));
        fixture.Votes(VoteType.Prevote, 0, BlockA, 1, 2);
        fixture.Handle(new TimeoutElapsed(1, 0, ConsensusStep.Prevote));
        Assert.Equal(ConsensusStep.Precommit, fixture.Engine.Step);

        // 2. The proposal of A and a third prevote for it arrive late: A is valid in round 0, but not locked.
        fixture.Propose(0, BlockA);
        var outputs = fixture.Votes(VoteType.Prevote, 0, BlockA, 3);
        Assert.Contains(new ValidateProposal(1, 0, BlockA), outputs);
        outputs.AddRange(fixture.Handle(new ProposalValidated(1, BlockA, true)));
        Assert.DoesNotContain(outputs, o => o is BroadcastVote or SaveLock);
        Assert.Equal((0, (Hash?)BlockA, -1), (fixture.Engine.ValidRound, fixture.Engine.ValidValue, fixture.Engine.LockedRound));

        // 3. Two validators reach round 3, validator 0's: it skips there and proposes A with its proof of lock.
        var proposed = fixture.Votes(VoteType.Prevote, 3, Hash.Zero, 1, 2);
        var broadcast = Assert.Single(proposed.OfType<BroadcastProposal>());
        Assert.Equal((3U, BlockA, 0), (broadcast.Proposal.Round, broadcast.Proposal.BlockHash, broadcast.Proposal.ProofOfLockRound));
        Assert.Equal(3, broadcast.ProofOfLock.Count);
        Assert.All(broadcast.ProofOfLock, v => Assert.Equal((VoteType.Prevote, 0U, BlockA), (v.Type, v.Round, v.BlockHash)));
        Assert.DoesNotContain(proposed, o => o is BuildProposal);
    }

    // Proves line 55: messages of a later round from validators with more than a third of the power (2 of 4) make the
    // validator jump to that round; one validator alone does not.
    [Fact]
    public void RoundSkip_MoreThanAThirdInALaterRound_JumpsToIt()
    {
        var fixture = new EngineFixture(local: 0);
        fixture.Start();

        Assert.DoesNotContain(fixture.Votes(VoteType.Prevote, 5, Hash.Zero, 1), o => o is ScheduleTimeout);
        Assert.Equal(0U, fixture.Engine.Round);

        var outputs = fixture.Votes(VoteType.Precommit, 5, Hash.Zero, 2);

        Assert.Equal(5U, fixture.Engine.Round);
        Assert.Contains(new ScheduleTimeout(1, 5, ConsensusStep.Propose, TimeSpan.FromMilliseconds(500 + (5 * 100))), outputs);
    }

    // Proves line 65 and the linear timeouts: the precommit timeout starts the next round, whose timeouts are longer.
    [Fact]
    public void TimeoutPrecommit_StartsNextRound_WithLongerTimeouts()
    {
        var fixture = new EngineFixture(local: 0);
        fixture.Start();
        fixture.Handle(new TimeoutElapsed(1, 0, ConsensusStep.Propose));
        var quorum = fixture.Votes(VoteType.Precommit, 0, Hash.Zero, 1, 2, 3);
        Assert.Contains(new ScheduleTimeout(1, 0, ConsensusStep.Precommit, TimeSpan.FromMilliseconds(300)), quorum);

        var outputs = fixture.Handle(new TimeoutElapsed(1, 0, ConsensusStep.Precommit));

        Assert.Equal(1U, fixture.Engine.Round);
        Assert.Contains(new ScheduleTimeout(1, 1, ConsensusStep.Propose, TimeSpan.FromMilliseconds(600)), outputs);
        Assert.Equal(TimeSpan.FromMilliseconds(200 + (7 * 50)), EngineFixture.Options.TimeoutFor(ConsensusStep.Prevote, 7));
        Assert.Equal(EngineFixture.Options.MaxTimeout, EngineFixture.Options.TimeoutFor(ConsensusStep.Precommit, uint.MaxValue));
    }

    // Proves a stale timeout (another round or height) changes nothing.
    [Fact]
    public void StaleTimeout_IsIgnored()
    {
        var fixture = new EngineFixture(local: 0);
        fixture.Start();

        Assert.Empty(fixture.Handle(new TimeoutElapsed(1, 3, ConsensusStep.Propose)));
        Assert.Empty(fixture.Handle(new TimeoutElapsed(9, 0, ConsensusStep.Propose)));
        Assert.Equal(ConsensusStep.Propose, fixture.Engine.Step);
    }

    private static EngineFixture LockedOnAInRoundZero()
    {
        var fixture = new EngineFixture(local: 0);
        fixture.Start();
        fixture.Propose(0, BlockA);
        var outputs = fixture.Votes(VoteType.Prevote, 0, BlockA, 1, 2);
        Assert.Equal(BlockA, fixture.OwnVote(outputs, VoteType.Precommit).BlockHash);
        Assert.Equal((0, (Hash?)BlockA), (fixture.Engine.LockedRound, fixture.Engine.LockedValue));
        return fixture;
    }

    private static void AdvanceByPrecommitTimeout(EngineFixture fixture, uint round)
    {
        fixture.Votes(VoteType.Precommit, round, Hash.Zero, 1, 2);
        fixture.Handle(new TimeoutElapsed(1, round, ConsensusStep.Precommit));
        Assert.Equal(round + 1, fixture.Engine.Round);
    }
}
