using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Consensus;

/// <summary>
/// The consensus engine of a chain with exactly one validator: the degenerate case of Tendermint in which
/// the proposer's own precommit is already more than two thirds of the power, so every proposal commits in
/// round 0. It speaks the same <see cref="IConsensusEngine"/> protocol as the multi-validator BFT engine, so the
/// driver, the double-sign guard and the commit path are the ones a consortium uses.
/// Blocks are made only when transactions wait (no empty blocks).
/// </summary>
public sealed class SingleValidatorEngine : IConsensusEngine
{
    private readonly IVoteSigner _signer;
    private ulong _height;
    private bool _proposing;
    private bool _pending;
    private bool _started;

    /// <summary>Creates the engine for the validator <paramref name="signer"/> signs for.</summary>
    public SingleValidatorEngine(IVoteSigner signer)
    {
        _signer = signer ?? throw new ArgumentNullException(nameof(signer));
    }

    /// <inheritdoc />
    public IReadOnlyList<ConsensusOutput> Handle(ConsensusInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        switch (input)
        {
            case EngineStarted started:
                CheckValidatorSet(started.Validators);
                _height = started.LastCommittedHeight + 1;
                _started = true;
                _proposing = false;
                return _pending ? Propose() : [];

            case TransactionsAvailable:
                _pending = true;
                return _started && !_proposing ? Propose() : [];

            case ProposalBuilt built when _proposing && built.Height == _height && built.Round == 0:
                return Decide(built.BlockHash);

            case ProposalEmpty empty when _proposing && empty.Height == _height:
                _proposing = false;
                _pending = false;
                return [];

            case BlockCommitted committed:
                Invariant.Check(committed.Height == _height, "the driver commits the height the engine decided");
                CheckValidatorSet(committed.Validators);
                _height = committed.Height + 1;
                _proposing = false;
                return _pending ? Propose() : [];

            default:
                // Stale proposals, timeouts and peer votes mean nothing to a single validator.
                return [];
        }
    }

    private List<ConsensusOutput> Propose()
    {
        _proposing = true;
        _pending = false;
        return [new BuildProposal(_height, 0)];
    }

    private List<ConsensusOutput> Decide(Hash blockHash)
    {
        var signature = _signer.Sign(VoteType.Precommit, _height, 0, blockHash)
            ?? throw new InvariantViolationException($"the double-sign guard refused to precommit height {_height}: this validator already signed another block at this height");
        var certificate = new CommitCertificate(_height, 0, blockHash, [new CommitSignature(_signer.ValidatorId, signature)]);
        return [new CommitBlock(_height, blockHash, certificate)];
    }

    private void CheckValidatorSet(ValidatorSet validators)
    {
        if (validators.Validators.Count != 1 || validators.Validators[0].KeyId != _signer.ValidatorId)
        {
            throw new InvalidOperationException("The single-validator engine runs only a chain whose one validator is this node.");
        }
    }
}
