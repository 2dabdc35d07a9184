using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Consensus;

/// <summary>The steps of a consensus round. Values are persisted by the double-sign guard; frozen.</summary>
public enum ConsensusStep : byte
{
    /// <summary>Waiting for or making the round's proposal.</summary>
    Propose = 1,

    /// <summary>Voting on the proposal.</summary>
    Prevote = 2,

    /// <summary>Committing to the proposal.</summary>
    Precommit = 3,
}

/// <summary>A vote with its validator and signature, as it travels between validators.</summary>
public sealed record SignedVote(Hash Validator, VoteType Type, ulong Height, uint Round, Hash BlockHash, byte[] Signature);

/// <summary>What drives the engine: everything it reacts to arrives as one of these.</summary>
public abstract record ConsensusInput;

/// <summary>
/// The driver starts (or restarts) the engine after the last committed block. <paramref name="Lock"/> is the last
/// lock the engine asked to save with <see cref="SaveLock"/>, if it is for the next height (null otherwise); the
/// driver also reloads the locked block so that the engine can propose it again.
/// </summary>
public sealed record EngineStarted(ulong LastCommittedHeight, ValidatorSet Validators, ConsensusLock? Lock = null) : ConsensusInput;

/// <summary>The mempool holds transactions waiting for a block.</summary>
public sealed record TransactionsAvailable : ConsensusInput;

/// <summary>A timeout the engine scheduled has elapsed.</summary>
public sealed record TimeoutElapsed(ulong Height, uint Round, ConsensusStep Step) : ConsensusInput;

/// <summary>The application built the proposal the engine asked for; its hash identifies it.</summary>
public sealed record ProposalBuilt(ulong Height, uint Round, Hash BlockHash) : ConsensusInput;

/// <summary>The application could not build a proposal with any transaction (e.g. all were refused).</summary>
public sealed record ProposalEmpty(ulong Height, uint Round) : ConsensusInput;

/// <summary>
/// A vote arrived from a peer. <paramref name="From"/> is the key id of the peer that delivered it (not necessarily
/// the vote's signer, since votes are relayed), or zero when unknown; the engine names it in <see cref="PeerMisbehaved"/>.
/// </summary>
public sealed record VoteReceived(SignedVote Vote, Hash From = default) : ConsensusInput;

/// <summary>
/// A signed proposal arrived from a peer. The driver received the proposed block with it and keeps the block, by
/// hash, until the height is committed: the engine may ask for it to be validated, broadcast or committed.
/// </summary>
public sealed record ProposalReceived(SignedProposal Proposal, Hash From = default) : ConsensusInput;

/// <summary>The application's verdict on the block the engine asked about with <see cref="ValidateProposal"/>.</summary>
public sealed record ProposalValidated(ulong Height, Hash BlockHash, bool Valid) : ConsensusInput;

/// <summary>
/// A commit certificate for a block arrived from block sync (the driver holds the block itself). The engine
/// verifies it against the current validator set and, for the current height, decides that block.
/// </summary>
public sealed record CommitReceived(CommitCertificate Certificate, Hash From = default) : ConsensusInput;

/// <summary>A rebroadcast timer the engine scheduled with <see cref="ScheduleRebroadcast"/> has elapsed.</summary>
public sealed record RebroadcastElapsed(ulong Height, uint Round) : ConsensusInput;

/// <summary>The driver saved and applied a decided block; <paramref name="Validators"/> sign the next height.</summary>
public sealed record BlockCommitted(ulong Height, ValidatorSet Validators) : ConsensusInput;

/// <summary>What the engine asks the driver to do.</summary>
public abstract record ConsensusOutput;

/// <summary>
/// Build a block proposal for (height, round) from the mempool, then report <see cref="ProposalBuilt"/> (or
/// <see cref="ProposalEmpty"/>). With <paramref name="AllowEmpty"/> the driver builds a block even when no
/// transaction waits: a started BFT height must end with some block to stay live.
/// </summary>
public sealed record BuildProposal(ulong Height, uint Round, bool AllowEmpty = false) : ConsensusOutput;

/// <summary>Deliver <see cref="TimeoutElapsed"/> after <paramref name="Delay"/>.</summary>
public sealed record ScheduleTimeout(ulong Height, uint Round, ConsensusStep Step, TimeSpan Delay) : ConsensusOutput;

/// <summary>Send a vote to every peer.</summary>
public sealed record BroadcastVote(SignedVote Vote) : ConsensusOutput;

/// <summary>The block with this hash is decided at this height; save it with its certificate and apply it.</summary>
public sealed record CommitBlock(ulong Height, Hash BlockHash, CommitCertificate Certificate) : ConsensusOutput;

/// <summary>
/// Send this signed proposal to every peer together with the block whose hash it names (the driver built it or
/// received it with an earlier proposal). <paramref name="ProofOfLock"/> holds, for a re-proposed block, the
/// prevotes of its proof-of-lock round; the driver sends them as votes right after the proposal.
/// </summary>
public sealed record BroadcastProposal(SignedProposal Proposal, IReadOnlyList<SignedVote> ProofOfLock) : ConsensusOutput;

/// <summary>
/// Execute the block with this hash (received with a proposal) against the committed state and report the
/// verdict with <see cref="ProposalValidated"/>. The driver may keep the executed state for the commit.
/// </summary>
public sealed record ValidateProposal(ulong Height, uint Round, Hash BlockHash) : ConsensusOutput;

/// <summary>Deliver <see cref="RebroadcastElapsed"/> after <paramref name="Delay"/>.</summary>
public sealed record ScheduleRebroadcast(ulong Height, uint Round, TimeSpan Delay) : ConsensusOutput;

/// <summary>
/// Save <paramref name="Lock"/> durably, with the block it names, before carrying out any later output of the same
/// batch (it precedes the precommit it protects); hand it back in <see cref="EngineStarted"/> after a restart.
/// </summary>
public sealed record SaveLock(ConsensusLock Lock) : ConsensusOutput;

/// <summary>
/// Peers are at a later height than this node: fetch the block and commit certificate of <paramref name="Height"/>
/// from <paramref name="Peer"/> (block sync), then hand the certificate in as <see cref="CommitReceived"/>.
/// </summary>
public sealed record SyncNeeded(ulong Height, Hash Peer) : ConsensusOutput;

/// <summary>Proof that a validator signed conflicting messages; for an evidence transaction and the peer's score.</summary>
public sealed record EvidenceFound(ConsensusEvidence Evidence) : ConsensusOutput;

/// <summary>
/// <paramref name="Peer"/> delivered a message that no honest node sends (a bad signature, an unknown signer, a
/// proposal from a validator that is not the round's proposer, a forged certificate); penalise it.
/// </summary>
public sealed record PeerMisbehaved(Hash Peer, string Reason) : ConsensusOutput;

/// <summary>A proposal as it travels between validators: the proposer's signature over (height, round, block, POL round).</summary>
/// <param name="Proposer">The proposer's key id.</param>
/// <param name="Height">The height proposed for.</param>
/// <param name="Round">The round proposed in.</param>
/// <param name="BlockHash">The proposed block.</param>
/// <param name="ProofOfLockRound">The round of the prevote quorum that made the block valid, or -1 for a new block.</param>
/// <param name="Signature">The proposer's signature over <see cref="Proposal.EncodeSigningBytes"/>.</param>
public sealed record SignedProposal(Hash Proposer, ulong Height, uint Round, Hash BlockHash, int ProofOfLockRound, byte[] Signature);

/// <summary>
/// The lock of a validator that precommitted a block: the round, the block, and the prevote quorum for it in that
/// round. It is the only consensus state besides the double-sign guard that must survive a restart: a restarted
/// validator that forgot its lock could prevote another block and help fork the chain.
/// </summary>
public sealed record ConsensusLock(ulong Height, uint Round, Hash BlockHash, IReadOnlyList<SignedVote> Prevotes);

/// <summary>Evidence of a validator's misbehaviour, carrying the conflicting signed messages.</summary>
public abstract record ConsensusEvidence(Hash Validator, ulong Height, uint Round);

/// <summary>Two different votes of one validator for the same height, round and type, both signed.</summary>
public sealed record DoubleVoteEvidence(SignedVote First, SignedVote Second)
    : ConsensusEvidence(First.Validator, First.Height, First.Round);

/// <summary>Two different proposals of one proposer for the same height and round, both signed.</summary>
public sealed record DoubleProposalEvidence(SignedProposal First, SignedProposal Second)
    : ConsensusEvidence(First.Proposer, First.Height, First.Round);

/// <summary>
/// A consensus engine (ARCHITECTURE §3, §4): a pure state machine. The driver feeds it inputs, one at a time,
/// and carries out the outputs it returns; it never reads a clock, draws randomness, or touches a disk or socket
/// itself. The only outside help it takes is an <see cref="IVoteSigner"/>, whose implementation makes the
/// last-signed position durable before signing.
/// </summary>
public interface IConsensusEngine
{
    /// <summary>Handles one input and returns what the driver must do, in order.</summary>
    IReadOnlyList<ConsensusOutput> Handle(ConsensusInput input);
}

/// <summary>
/// Signs votes for the local validator. An implementation must persist the (height, round, step) it signs
/// before returning the signature, and refuse (return null) to sign anything at or below a position it signed
/// before with a different value, so that a restarted validator can never double-sign.
/// </summary>
public interface IVoteSigner
{
    /// <summary>The local validator's key id.</summary>
    Hash ValidatorId { get; }

    /// <summary>Signs a vote, or returns null if signing it could equivocate.</summary>
    byte[]? Sign(VoteType type, ulong height, uint round, Hash blockHash);
}

/// <summary>
/// Signs votes and proposals for a BFT validator. A proposal is guarded like a vote, at the position (height, round,
/// <see cref="ConsensusStep.Propose"/>): persisted before it is signed, and refused when the validator signed a later
/// position, or another block at the same one. The guard also keeps the last message it allowed for each step, and
/// signs that identical message again on request even after later positions (the same content cannot equivocate): a
/// restarted validator uses <see cref="LastSigned"/> to resume its round and re-send the votes that peers may still wait
/// for, which it could not rebuild otherwise.
/// </summary>
public interface IConsensusSigner : IVoteSigner
{
    /// <summary>Signs <see cref="Proposal.EncodeSigningBytes"/>, or returns null if signing could equivocate.</summary>
    byte[]? SignProposal(ulong height, uint round, Hash blockHash, int proofOfLockRound);

    /// <summary>The last message of step <paramref name="kind"/> the guard allowed, or null if none.</summary>
    GuardRecord? LastSigned(ConsensusStep kind);
}

/// <summary>What the double-sign guard recorded for one step: the position and the block signed (zero for nil).</summary>
public sealed record GuardRecord(ulong Height, uint Round, Hash BlockHash);
