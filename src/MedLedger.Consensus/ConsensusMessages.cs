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

/// <summary>The driver starts (or restarts) the engine after the last committed block.</summary>
public sealed record EngineStarted(ulong LastCommittedHeight, ValidatorSet Validators) : ConsensusInput;

/// <summary>The mempool holds transactions waiting for a block.</summary>
public sealed record TransactionsAvailable : ConsensusInput;

/// <summary>A timeout the engine scheduled has elapsed.</summary>
public sealed record TimeoutElapsed(ulong Height, uint Round, ConsensusStep Step) : ConsensusInput;

/// <summary>The application built the proposal the engine asked for; its hash identifies it.</summary>
public sealed record ProposalBuilt(ulong Height, uint Round, Hash BlockHash) : ConsensusInput;

/// <summary>The application could not build a proposal with any transaction (e.g. all were refused).</summary>
public sealed record ProposalEmpty(ulong Height, uint Round) : ConsensusInput;

/// <summary>A vote arrived from a peer.</summary>
public sealed record VoteReceived(SignedVote Vote) : ConsensusInput;

/// <summary>The driver saved and applied a decided block; <paramref name="Validators"/> sign the next height.</summary>
public sealed record BlockCommitted(ulong Height, ValidatorSet Validators) : ConsensusInput;

/// <summary>What the engine asks the driver to do.</summary>
public abstract record ConsensusOutput;

/// <summary>Build a block proposal for (height, round) from the mempool, then report <see cref="ProposalBuilt"/>.</summary>
public sealed record BuildProposal(ulong Height, uint Round) : ConsensusOutput;

/// <summary>Deliver <see cref="TimeoutElapsed"/> after <paramref name="Delay"/>.</summary>
public sealed record ScheduleTimeout(ulong Height, uint Round, ConsensusStep Step, TimeSpan Delay) : ConsensusOutput;

/// <summary>Send a vote to every peer.</summary>
public sealed record BroadcastVote(SignedVote Vote) : ConsensusOutput;

/// <summary>The block with this hash is decided at this height; save it with its certificate and apply it.</summary>
public sealed record CommitBlock(ulong Height, Hash BlockHash, CommitCertificate Certificate) : ConsensusOutput;

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
