using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Simulation.Tests;

/// <summary>
/// How the engine treats what peers and the driver hand it: forged and misplaced messages, conflicting signed messages,
/// block sync, restarts (saved lock, double-sign guard), non-voting verifiers and an idle chain.
/// </summary>
public sealed class EngineInputTests
{
    private static readonly Hash BlockA = EngineFixture.Block("block A");
    private static readonly Hash BlockB = EngineFixture.Block("block B");
    private static readonly Hash Peer = EngineFixture.Block("peer");
    private static readonly int[] OtherValidators = [1, 2, 3];

    // Proves a vote with a bad signature, a vote by a non-validator and a proposal by the wrong proposer are dropped and
    // the delivering peer reported, without counting: three such "prevotes" make no quorum.
    [Fact]
    public void ForgedOrMisplacedMessages_AreDroppedAndTheirPeerReported()
    {
        var fixture = new EngineFixture(local: 0);
        fixture.Start();
        fixture.Handle(new TimeoutElapsed(1, 0, ConsensusStep.Propose));

        var forged = fixture.Vote(1, VoteType.Prevote, 1, 0, BlockA) with { BlockHash = BlockB };
        var outsider = fixture.Vote(2, VoteType.Prevote, 1, 0, BlockA) with { Validator = EngineFixture.Block("outsider") };
        var wrongProposer = fixture.Proposal(3, 1, 0, BlockA);
        var outputs = new List<ConsensusOutput>();
        outputs.AddRange(fixture.Handle(new VoteReceived(forged, Peer)));
        outputs.AddRange(fixture.Handle(new VoteReceived(outsider, Peer)));
        outputs.AddRange(fixture.Handle(new ProposalReceived(wrongProposer, Peer)));

        Assert.Equal(3, outputs.OfType<PeerMisbehaved>().Count(p => p.Peer == Peer));
        Assert.DoesNotContain(outputs, o => o is ScheduleTimeout or BroadcastVote or ValidateProposal);
    }

    // Proves votes of other heights are not counted: earlier ones are dropped silently (a lagging peer is not a
    // misbehaving one), and next-height ones wait until the height is committed.
    [Fact]
    public void VotesOfOtherHeights_AreNotCounted_AndNextHeightOnesReplayedAfterCommit()
    {
        var fixture = new EngineFixture(local: 1);
        fixture.Start();
        fixture.Handle(new ProposalBuilt(1, 0, BlockA));
        fixture.Votes(VoteType.Prevote, 0, BlockA, 0, 2);

        var early = fixture.Handle(new VoteReceived(fixture.Vote(3, VoteType.Prevote, 2, 0, Hash.Zero), Peer));
        Assert.Empty(early);
        var commit = Assert.Single(fixture.Votes(VoteType.Precommit, 0, BlockA, 0, 2).OfType<CommitBlock>());
        Assert.Empty(fixture.Handle(new VoteReceived(fixture.Vote(3, VoteType.Precommit, 1, 0, BlockA), Peer)));

        // After the commit the buffered height-2 nil prevote counts: with the engine's own and one more it is a quorum.
        fixture.Handle(new BlockCommitted(commit.Height, fixture.Validators));
        fixture.Handle(new TimeoutElapsed(2, 0, ConsensusStep.Propose));
        var outputs = fixture.Handle(new VoteReceived(fixture.Vote(0, VoteType.Prevote, 2, 0, Hash.Zero), Peer));

        Assert.True(fixture.OwnVote(outputs, VoteType.Precommit).BlockHash.IsZero);
    }

    // Proves equivocation becomes evidence carrying both signed votes — reported once — and that the validator's vote
    // counts for each block it signed, as in the paper.
    [Fact]
    public void DoubleVote_ProducesEvidenceWithBothVotes_Once()
    {
        var fixture = new EngineFixture(local: 0);
        fixture.Start();
        var first = fixture.Vote(2, VoteType.Prevote, 1, 0, BlockA);
        var second = fixture.Vote(2, VoteType.Prevote, 1, 0, BlockB);
        var third = fixture.Vote(2, VoteType.Prevote, 1, 0, Hash.Zero);

        fixture.Handle(new VoteReceived(first, Peer));
        var evidence = Assert.Single(fixture.Handle(new VoteReceived(second, Peer)).OfType<EvidenceFound>()).Evidence;
        Assert.DoesNotContain(fixture.Handle(new VoteReceived(third, Peer)), o => o is EvidenceFound);
        Assert.Empty(fixture.Handle(new VoteReceived(second, Peer)));

        var doubleVote = Assert.IsType<DoubleVoteEvidence>(evidence);
        Assert.Equal((first, second), (doubleVote.First, doubleVote.Second));
        Assert.Equal((fixture.Ids[2], 1UL, 0U), (evidence.Validator, evidence.Height, evidence.Round));
    }

    // Proves an equivocating proposer is caught: a second signed proposal for the same round is evidence.
    [Fact]
    public void DoubleProposal_ProducesEvidence()
    {
        var fixture = new EngineFixture(local: 0);
        fixture.Start();
        var first = fixture.Proposal(1, 1, 0, BlockA);
        var second = fixture.Proposal(1, 1, 0, BlockB);

        fixture.Handle(new ProposalReceived(first, Peer));
        var evidence = Assert.IsType<DoubleProposalEvidence>(Assert.Single(fixture.Handle(new ProposalReceived(second, Peer)).OfType<EvidenceFound>()).Evidence);

        Assert.Equal((first, second), (evidence.First, evidence.Second));
    }

    // Proves block sync: a verifying certificate for the current height decides its block; a forged one is refused and
    // its peer reported; one for another height is ignored.
    [Fact]
    public void CommitReceived_VerifyingCertificateDecides_ForgedOneIsReported()
    {
        var fixture = new EngineFixture(local: 0);
        fixture.Start();
        var signatures = OtherValidators.Select(v => new CommitSignature(fixture.Ids[v], fixture.Vote(v, VoteType.Precommit, 1, 4, BlockA).Signature)).ToList();
        var certificate = new CommitCertificate(1, 4, BlockA, signatures);
        var forged = certificate with { BlockHash = BlockB };

        Assert.Contains(fixture.Handle(new CommitReceived(forged, Peer)), o => o is PeerMisbehaved { Peer: var p } && p == Peer);
        Assert.Empty(fixture.Handle(new CommitReceived(certificate with { Height = 2 }, Peer)));
        var commit = Assert.Single(fixture.Handle(new CommitReceived(certificate, Peer)).OfType<CommitBlock>());

        Assert.Equal((1UL, BlockA), (commit.Height, commit.BlockHash));
    }

    // Proves the engine keeps asking for block sync when peers are at a later height: at the next rebroadcast tick it
    // names the height it needs and the peer that is ahead.
    [Fact]
    public void PeersAhead_RebroadcastTickAsksForSync()
    {
        var fixture = new EngineFixture(local: 0);
        fixture.Start();
        fixture.Handle(new VoteReceived(fixture.Vote(2, VoteType.Precommit, 3, 0, BlockA), fixture.Ids[2]));

        var outputs = fixture.Handle(new RebroadcastElapsed(1, 0));

        Assert.Contains(new SyncNeeded(1, fixture.Ids[2]), outputs);
        Assert.Contains(outputs, o => o is ScheduleRebroadcast { Height: 1, Round: 0 });
    }

    // Proves a restarted validator keeps its lock: with the saved lock (and its prevote quorum) it prevotes nil on a new
    // block; a saved lock without a verifiable quorum is refused as damaged.
    [Fact]
    public void Restart_WithSavedLock_StaysLocked_DamagedLockRefused()
    {
        var first = new EngineFixture(local: 0);
        var prevotes = OtherValidators.Select(v => first.Vote(v, VoteType.Prevote, 1, 0, BlockA)).ToList();

        var restarted = new EngineFixture(local: 0);
        restarted.Start(new ConsensusLock(1, 0, BlockA, prevotes));
        Assert.Equal((0, (Hash?)BlockA), (restarted.Engine.LockedRound, restarted.Engine.LockedValue));
        Assert.True(restarted.OwnVote(restarted.Propose(0, BlockB), VoteType.Prevote).BlockHash.IsZero);

        var damaged = new EngineFixture(local: 0);
        Assert.Throws<InvalidOperationException>(() => damaged.Start(new ConsensusLock(1, 0, BlockA, prevotes.Take(2).ToList())));
    }

    // Proves a restarted validator resumes from its double-sign guard: it re-enters the round it last signed in,
    // re-sends the identical votes peers may wait for, and never signs a conflicting one.
    [Fact]
    public void Restart_ResumesFromTheGuard_AndResendsItsLastVotes()
    {
        // 1. Before the crash: prevoted A in round 0, timed out to round 1, prevoted nil there, then precommitted nil on
        //    a nil prevote quorum.
        var before = new EngineFixture(local: 0);
        before.Start();
        before.Propose(0, BlockA);
        before.Votes(VoteType.Precommit, 0, Hash.Zero, 1, 2, 3);
        before.Handle(new TimeoutElapsed(1, 0, ConsensusStep.Precommit));
        before.Handle(new TimeoutElapsed(1, 1, ConsensusStep.Propose));
        before.Votes(VoteType.Prevote, 1, Hash.Zero, 1, 2);

        // 2. A new engine on the same guard resumes in round 1 at the precommit step and re-sends its round-1 votes.
        var after = new EngineFixture(local: 0, signer: before.Signer);
        var outputs = after.Start();
        Assert.Equal((1U, ConsensusStep.Precommit), (after.Engine.Round, after.Engine.Step));
        var resent = outputs.OfType<BroadcastVote>().Select(b => (b.Vote.Type, b.Vote.Round, b.Vote.BlockHash)).ToList();
        Assert.Equal([(VoteType.Prevote, 1U, Hash.Zero), (VoteType.Precommit, 1U, Hash.Zero)], resent);

        // 3. Round 1's proposal of B comes too late for a prevote (already signed nil), and nothing conflicting is signed.
        var refusals = before.Signer!.Refusals;
        Assert.DoesNotContain(after.Propose(1, BlockB), o => o is BroadcastVote);
        Assert.Equal(refusals, before.Signer.Refusals);
    }

    // Proves a precommit for a block that the guard recorded but whose lock was never saved (the process died between
    // the two) is not re-sent after a restart, while the same precommit with its saved lock is.
    [Fact]
    public void Restart_PrecommitWithoutSavedLock_IsNotResent()
    {
        var before = new EngineFixture(local: 0);
        before.Start();
        before.Propose(0, BlockA);
        var saved = Assert.Single(before.Votes(VoteType.Prevote, 0, BlockA, 1, 2).OfType<SaveLock>()).Lock;

        var withoutLock = new EngineFixture(local: 0, signer: before.Signer);
        var resent = withoutLock.Start().OfType<BroadcastVote>().Select(b => b.Vote.Type).ToList();
        Assert.Equal([VoteType.Prevote], resent);
        Assert.Equal(-1, withoutLock.Engine.LockedRound);

        var withLock = new EngineFixture(local: 0, signer: before.Signer);
        var both = withLock.Start(saved).OfType<BroadcastVote>().Select(b => (b.Vote.Type, b.Vote.BlockHash)).ToList();
        Assert.Equal([(VoteType.Prevote, BlockA), (VoteType.Precommit, BlockA)], both);
    }

    // Proves the engine also runs a one-validator chain: its own votes are a quorum, so a proposal commits in round 0.
    [Fact]
    public void OneValidator_CommitsItsProposalInRoundZero()
    {
        var key = SimulationChain.ValidatorKeys[0];
        var validators = new ValidatorSet([new Validator(SimulationChain.KeyId(key), key.PublicKey.ToArray(), 10, "solo")]);
        var engine = new TendermintEngine(new MemorySigner(key, EngineFixture.ChainId), EngineFixture.ChainId, EngineFixture.Suite);
        Assert.DoesNotContain(engine.Handle(new EngineStarted(0, validators)), o => o is BuildProposal);
        Assert.Contains(new BuildProposal(1, 0, AllowEmpty: true), engine.Handle(new TransactionsAvailable()));

        var commit = Assert.Single(engine.Handle(new ProposalBuilt(1, 0, BlockA)).OfType<CommitBlock>());

        Assert.Null(validators.VerifyCommit(EngineFixture.Suite, EngineFixture.ChainId, 1, BlockA, commit.Certificate));
    }

    // Proves a non-voting verifier (no signer) signs nothing but follows the votes and commits the decided block.
    [Fact]
    public void Verifier_SignsNothing_ButCommits()
    {
        var fixture = new EngineFixture(local: 0, verifier: true);
        var outputs = fixture.Start();
        outputs.AddRange(fixture.Propose(0, BlockA));
        outputs.AddRange(fixture.Votes(VoteType.Prevote, 0, BlockA, 1, 2, 3));
        outputs.AddRange(fixture.Votes(VoteType.Precommit, 0, BlockA, 1, 2, 3));

        Assert.DoesNotContain(outputs, o => o is BroadcastVote or BroadcastProposal or SaveLock or BuildProposal);
        Assert.Equal(BlockA, Assert.Single(outputs.OfType<CommitBlock>()).BlockHash);
    }

    // Proves an idle chain makes no empty blocks by default: the height starts when transactions wait, or when a peer's
    // message shows another validator working on it.
    [Fact]
    public void WaitForTransactions_HeightStartsOnWorkOrPeerActivity()
    {
        var idle = new EngineFixture(local: 1, options: EngineFixture.Options with { WaitForTransactions = true });
        Assert.DoesNotContain(idle.Start(), o => o is BuildProposal or ScheduleTimeout);
        Assert.Contains(new BuildProposal(1, 0, AllowEmpty: true), idle.Handle(new TransactionsAvailable()));

        var joining = new EngineFixture(local: 0, options: EngineFixture.Options with { WaitForTransactions = true });
        joining.Start();
        var outputs = joining.Propose(0, BlockA);
        Assert.Contains(new ScheduleTimeout(1, 0, ConsensusStep.Propose, TimeSpan.FromMilliseconds(500)), outputs);
        Assert.Equal(BlockA, joining.OwnVote(outputs, VoteType.Prevote).BlockHash);
    }

    // Proves the guard's refusal is respected: a guard that signed at a later height makes the engine skip its votes (not
    // replace them), while the rounds still advance.
    [Fact]
    public void GuardRefusal_SkipsTheVote()
    {
        var signer = new MemorySigner(SimulationChain.ValidatorKeys.Take(4).OrderBy(SimulationChain.KeyId).First(), EngineFixture.ChainId);
        Assert.NotNull(signer.Sign(VoteType.Prevote, 2, 0, Hash.Zero));
        var fixture = new EngineFixture(local: 0, signer: signer);
        fixture.Start();

        var outputs = fixture.Handle(new TimeoutElapsed(1, 0, ConsensusStep.Propose));
        outputs.AddRange(fixture.Votes(VoteType.Prevote, 0, Hash.Zero, 1, 2, 3));

        Assert.DoesNotContain(outputs, o => o is BroadcastVote);
        Assert.Equal(2, signer.Refusals);
        Assert.Equal(ConsensusStep.Precommit, fixture.Engine.Step);
    }
}
