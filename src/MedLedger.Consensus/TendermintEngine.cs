using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Consensus;

/// <summary>
/// The BFT consensus engine of a consortium: Algorithm 1 of Buchman, Kwon and Milosevic, "The latest gossip on BFT
/// consensus" (2018), as a pure state machine (docs/consensus.md). Heights run in rounds of propose, prevote and
/// precommit; a validator locks on the block it precommits and only prevotes another block proposed with a newer proof
/// of lock; a block commits with precommits of more than two thirds of the voting power, which form its certificate.
/// Timeouts grow linearly with the round; f+1 (more than a third of the power) messages of a later round make a lagging
/// validator skip to it; the proposer rotates by weighted round robin (<see cref="ProposerSchedule"/>).
/// <para>
/// The engine verifies every vote and proposal it is given (signature, signer, proposer of the round), reports the peer
/// that delivered a bad one, and turns conflicting signed votes or proposals into evidence. It reads no clock and does
/// no I/O: timeouts, blocks and messages are the driver's, through the inputs and outputs of <see cref="IConsensusEngine"/>.
/// A null signer makes a non-voting verifier that follows and commits the chain. Not thread-safe: one input at a time.
/// </para>
/// </summary>
public sealed class TendermintEngine : IConsensusEngine
{
    /// <summary>Most distinct proposals kept per round (more come only from an equivocating proposer).</summary>
    public const int MaxProposalsPerRound = 4;

    /// <summary>Most messages for the next height buffered while this one is being decided.</summary>
    public const int MaxBufferedMessages = 1024;

    private readonly IConsensusSigner? _signer;
    private readonly string _chainId;
    private readonly ICryptoSuite _suite;
    private readonly TendermintOptions _options;

    private readonly Dictionary<uint, RoundState> _rounds = [];
    private readonly Dictionary<Hash, bool> _validity = [];
    private readonly HashSet<Hash> _validationRequested = [];
    private readonly HashSet<Hash> _proposedBlocks = [];
    private readonly Dictionary<Hash, uint> _highestRound = [];
    private readonly HashSet<(Hash Validator, uint Round, int Kind)> _evidenceReported = [];
    private readonly List<ConsensusInput> _nextHeightMessages = [];

    private List<ConsensusOutput> _outputs = [];
    private bool _started;
    private bool _transactionsPending;
    private ulong _height;
    private ValidatorSet? _validators;
    private ProposerSchedule? _schedule;
    private bool _heightStarted;
    private bool _decided;
    private bool _buildPending;
    private uint _round;
    private ConsensusStep _step;
    private Hash? _lockedValue;
    private int _lockedRound = -1;
    private Hash? _validValue;
    private int _validRound = -1;
    private ulong _highestHeightSeen;
    private Hash _aheadPeer;
    private (ulong Height, uint Round) _rebroadcastArmed;

    /// <summary>Creates the engine.</summary>
    /// <param name="signer">The local validator's signer (the double-sign guard), or null for a non-voting verifier.</param>
    /// <param name="chainId">The chain id every signature covers.</param>
    /// <param name="suite">The chain's crypto suite, to verify votes, proposals and certificates.</param>
    /// <param name="options">Timeouts; the defaults when null.</param>
    public TendermintEngine(IConsensusSigner? signer, string chainId, ICryptoSuite suite, TendermintOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(chainId);
        ArgumentNullException.ThrowIfNull(suite);
        _signer = signer;
        _chainId = chainId;
        _suite = suite;
        _options = options ?? new TendermintOptions();
    }

    /// <summary>The height being decided (0 before start).</summary>
    public ulong Height => _height;

    /// <summary>The current round.</summary>
    public uint Round => _round;

    /// <summary>The current step.</summary>
    public ConsensusStep Step => _step;

    /// <summary>The round of the lock, or -1.</summary>
    public int LockedRound => _lockedRound;

    /// <summary>The locked block, if any.</summary>
    public Hash? LockedValue => _lockedValue;

    /// <summary>The round in which <see cref="ValidValue"/> got its prevote quorum, or -1.</summary>
    public int ValidRound => _validRound;

    /// <summary>The latest block seen with a prevote quorum and its proposal in the same round, if any.</summary>
    public Hash? ValidValue => _validValue;

    /// <inheritdoc />
    public IReadOnlyList<ConsensusOutput> Handle(ConsensusInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _outputs = [];
        Dispatch(input);
        return _outputs;
    }

    private void Dispatch(ConsensusInput input)
    {
        switch (input)
        {
            case EngineStarted started:
                Start(started);
                break;
            case TransactionsAvailable:
                _transactionsPending = true;
                if (_started && !_heightStarted && !_decided)
                {
                    StartRound(0);
                }

                break;
            case TimeoutElapsed timeout:
                OnTimeout(timeout);
                break;
            case ProposalBuilt built:
                OnProposalBuilt(built);
                break;
            case ProposalEmpty empty when empty.Height == _height && empty.Round == _round:
                // Nothing to propose: the round times out and the next proposer tries.
                _buildPending = false;
                break;
            case VoteReceived received:
                OnVote(received.Vote, received.From);
                break;
            case ProposalReceived received:
                OnProposal(received.Proposal, received.From);
                break;
            case ProposalValidated validated when _started && validated.Height == _height && !_decided:
                _validity[validated.BlockHash] = validated.Valid;
                Progress();
                break;
            case CommitReceived received:
                OnCommitReceived(received.Certificate, received.From);
                break;
            case BlockCommitted committed:
                OnBlockCommitted(committed);
                break;
            case RebroadcastElapsed tick:
                OnRebroadcast(tick);
                break;
            default:
                // Stale proposal results and validations of finished heights mean nothing any more.
                break;
        }
    }

    private void Start(EngineStarted started)
    {
        ArgumentNullException.ThrowIfNull(started.Validators);
        _started = true;
        EnterHeight(started.LastCommittedHeight + 1, started.Validators);
        if (started.Lock is { } recovered && recovered.Height == _height)
        {
            RestoreLock(recovered);
        }

        if (!ResumeFromGuard())
        {
            StartHeightIfDue();
        }
    }

    /// <summary>
    /// After a restart in the middle of a height, re-enters the last round the guard signed in, re-signs the identical
    /// votes it recorded for that round and the one before (peers may still wait for them: the originals may have been
    /// lost with the process), and takes up the step they imply. Returns false when the guard holds nothing of this height.
    /// </summary>
    private bool ResumeFromGuard()
    {
        if (!IsValidator)
        {
            return false;
        }

        var records = new[] { ConsensusStep.Propose, ConsensusStep.Prevote, ConsensusStep.Precommit }
            .Select(step => (Step: step, Record: _signer!.LastSigned(step)))
            .Where(entry => entry.Record is not null && entry.Record.Height == _height)
            .ToList();
        if (records.Count == 0)
        {
            return false;
        }

        var round = records.Max(entry => entry.Record!.Round);
        StartRound(round, resuming: true);
        foreach (var (step, record) in records)
        {
            if (step == ConsensusStep.Propose || record!.Round + 1 < round)
            {
                continue;
            }

            // A precommit for a block is re-sent only with its saved lock: without one, the process died between the
            // guard's record and saving the lock, so that precommit never left, and sending it unlocked would be unsafe.
            if (step == ConsensusStep.Precommit && !record.BlockHash.IsZero && (_lockedValue != record.BlockHash || _lockedRound != record.Round))
            {
                continue;
            }

            var saved = _round;
            _round = record.Round;
            CastVote(step == ConsensusStep.Prevote ? VoteType.Prevote : VoteType.Precommit, record.BlockHash);
            _round = saved;
            if (record.Round == round && step > _step)
            {
                _step = step;
            }
        }

        Progress();
        return true;
    }

    private void EnterHeight(ulong height, ValidatorSet validators)
    {
        _height = height;
        if (_validators != validators)
        {
            _validators = validators;
            _schedule = new ProposerSchedule(validators);
        }

        _rounds.Clear();
        _validity.Clear();
        _validationRequested.Clear();
        _proposedBlocks.Clear();
        _highestRound.Clear();
        _evidenceReported.Clear();
        _heightStarted = false;
        _decided = false;
        _buildPending = false;
        _round = 0;
        _step = ConsensusStep.Propose;
        _lockedValue = null;
        _lockedRound = -1;
        _validValue = null;
        _validRound = -1;
        ArmRebroadcast();
    }

    /// <summary>Keeps exactly one rebroadcast timer running, for the current (height, round).</summary>
    private void ArmRebroadcast()
    {
        if (_rebroadcastArmed != (_height, _round))
        {
            _rebroadcastArmed = (_height, _round);
            Emit(new ScheduleRebroadcast(_height, _round, _options.RebroadcastInterval));
        }
    }

    /// <summary>Reinstates the lock saved before a restart: its prevote quorum is verified like any received vote.</summary>
    private void RestoreLock(ConsensusLock saved)
    {
        var round = Rounds(saved.Round);
        foreach (var vote in saved.Prevotes)
        {
            var validator = Validators.Find(vote.Validator);
            if (vote.Type == VoteType.Prevote && vote.Height == _height && vote.Round == saved.Round && vote.BlockHash == saved.BlockHash
                && validator is not null && !round.Prevotes.Contains(vote.Validator, vote.BlockHash) && VerifyVote(vote, validator))
            {
                round.Prevotes.Add(vote, validator.Power);
            }
        }

        if (round.Prevotes.PowerFor(saved.BlockHash) < Validators.QuorumPower)
        {
            throw new InvalidOperationException($"The saved consensus lock for height {_height} lacks a verifiable prevote quorum; it is damaged.");
        }

        _lockedValue = _validValue = saved.BlockHash;
        _lockedRound = _validRound = checked((int)saved.Round);
        _validity[saved.BlockHash] = true;
        _proposedBlocks.Add(saved.BlockHash);
    }

    private void StartHeightIfDue()
    {
        if (!_heightStarted && !_decided && (!_options.WaitForTransactions || _transactionsPending || _lockedValue is not null))
        {
            StartRound(0);
        }
    }

    private ValidatorSet Validators => _validators ?? throw new InvariantViolationException("the engine has a validator set once started");

    private ProposerSchedule Schedule => _schedule ?? throw new InvariantViolationException("the engine has a proposer schedule once started");

    private bool IsValidator => _signer is not null && Validators.Find(_signer.ValidatorId) is not null;

    /// <summary>Power above which a set of validators must contain an honest one (f+1 in the paper).</summary>
    private ulong SkipPower => Validators.TotalPower - Validators.QuorumPower + 1;

    // StartRound(round) of the paper; the proposer re-proposes its valid block with its proof of lock, or asks for a new one.
    private void StartRound(uint round, bool resuming = false)
    {
        _heightStarted = true;
        _round = round;
        _step = ConsensusStep.Propose;
        _buildPending = false;
        ArmRebroadcast();
        Emit(new ScheduleTimeout(_height, round, ConsensusStep.Propose, _options.TimeoutFor(ConsensusStep.Propose, round)));
        if (IsValidator && Schedule.ProposerOf(_height, round) == _signer!.ValidatorId)
        {
            if (_validValue is { } valid && _validRound < (long)round)
            {
                SignAndBroadcastProposal(valid, _validRound);
            }
            else
            {
                _buildPending = true;
                Emit(new BuildProposal(_height, round, AllowEmpty: true));
            }
        }

        if (!resuming)
        {
            Progress();
        }
    }

    private void OnProposalBuilt(ProposalBuilt built)
    {
        if (!_started || built.Height != _height || built.Round != _round || _step != ConsensusStep.Propose || !_buildPending || _decided)
        {
            return;
        }

        _buildPending = false;
        _validity[built.BlockHash] = true;
        SignAndBroadcastProposal(built.BlockHash, -1);
        Progress();
    }

    private void SignAndBroadcastProposal(Hash blockHash, int proofOfLockRound)
    {
        var signature = _signer!.SignProposal(_height, _round, blockHash, proofOfLockRound);
        if (signature is null)
        {
            // The guard refused: this validator signed a later position before a restart. It sits this round out.
            return;
        }

        var proposal = new SignedProposal(_signer.ValidatorId, _height, _round, blockHash, proofOfLockRound, signature);
        var state = Rounds(_round);
        state.Proposals.Add(proposal);
        state.OwnProposal = proposal;
        _proposedBlocks.Add(blockHash);
        Emit(new BroadcastProposal(proposal, ProofOfLock(proposal)));
    }

    private List<SignedVote> ProofOfLock(SignedProposal proposal) =>
        proposal.ProofOfLockRound >= 0 && _rounds.TryGetValue((uint)proposal.ProofOfLockRound, out var polRound)
            ? polRound.Prevotes.VotesFor(proposal.BlockHash)
            : [];

    private void OnTimeout(TimeoutElapsed timeout)
    {
        if (!_started || timeout.Height != _height || _decided || !_heightStarted || timeout.Round != _round)
        {
            return;
        }

        switch (timeout.Step)
        {
            case ConsensusStep.Propose when _step == ConsensusStep.Propose:
                CastVote(VoteType.Prevote, Hash.Zero);
                _step = ConsensusStep.Prevote;
                break;
            case ConsensusStep.Prevote when _step == ConsensusStep.Prevote:
                CastVote(VoteType.Precommit, Hash.Zero);
                _step = ConsensusStep.Precommit;
                break;
            case ConsensusStep.Precommit:
                StartRound(_round + 1);
                return;
            default:
                return;
        }

        Progress();
    }

    private void OnVote(SignedVote vote, Hash from)
    {
        ArgumentNullException.ThrowIfNull(vote);
        if (!Admit(vote.Height, from, new VoteReceived(vote, from)))
        {
            return;
        }

        var validator = Validators.Find(vote.Validator);
        if (validator is null || !Enum.IsDefined(vote.Type))
        {
            Emit(new PeerMisbehaved(from, validator is null ? $"vote by {vote.Validator.ToShortString()}, who is not a validator" : "vote of an unknown type"));
            return;
        }

        if (vote.Round > _round + 1)
        {
            // A later round: remembered only as a sign of where the others are (for the round skip), not stored.
            if (!_highestRound.TryGetValue(vote.Validator, out var highest) || vote.Round > highest)
            {
                if (!VerifyVote(vote, validator))
                {
                    Emit(new PeerMisbehaved(from, $"bad signature on a vote by {vote.Validator.ToShortString()}"));
                    return;
                }

                NoteRound(vote.Validator, vote.Round);
                JoinHeight();
                Progress();
            }

            return;
        }

        var tally = vote.Type == VoteType.Prevote ? Rounds(vote.Round).Prevotes : Rounds(vote.Round).Precommits;
        if (tally.Contains(vote.Validator, vote.BlockHash))
        {
            // The same vote again (a rebroadcast, a relay, a duplicate): nothing to verify.
            return;
        }

        if (!VerifyVote(vote, validator))
        {
            Emit(new PeerMisbehaved(from, $"bad signature on a vote by {vote.Validator.ToShortString()}"));
            return;
        }

        var first = tally.Find(vote.Validator);
        if (tally.Add(vote, validator.Power) == TallyResult.Conflicting && _evidenceReported.Add((vote.Validator, vote.Round, (int)vote.Type)))
        {
            Emit(new EvidenceFound(new DoubleVoteEvidence(first!, vote)));
        }

        NoteRound(vote.Validator, vote.Round);
        JoinHeight();
        Progress();
    }

    private void OnProposal(SignedProposal proposal, Hash from)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        if (!Admit(proposal.Height, from, new ProposalReceived(proposal, from)))
        {
            return;
        }

        var proposer = Validators.Find(proposal.Proposer);
        string? fault = null;
        if (proposer is null || Schedule.ProposerOf(_height, proposal.Round) != proposal.Proposer)
        {
            fault = $"proposal for round {proposal.Round} by {proposal.Proposer.ToShortString()}, who is not its proposer";
        }
        else if (proposal.BlockHash.IsZero || proposal.ProofOfLockRound < -1 || proposal.ProofOfLockRound >= (long)proposal.Round)
        {
            fault = "malformed proposal (nil block or a proof-of-lock round not before the round)";
        }

        if (fault is not null)
        {
            Emit(new PeerMisbehaved(from, fault));
            return;
        }

        if (proposal.Round > _round + 1)
        {
            if (!_highestRound.TryGetValue(proposal.Proposer, out var highest) || proposal.Round > highest)
            {
                if (!VerifyProposal(proposal, proposer!))
                {
                    Emit(new PeerMisbehaved(from, "bad proposal signature"));
                    return;
                }

                NoteRound(proposal.Proposer, proposal.Round);
                JoinHeight();
                Progress();
            }

            return;
        }

        var state = Rounds(proposal.Round);
        if (state.Proposals.Any(p => p.BlockHash == proposal.BlockHash && p.ProofOfLockRound == proposal.ProofOfLockRound))
        {
            return;
        }

        if (!VerifyProposal(proposal, proposer!))
        {
            Emit(new PeerMisbehaved(from, "bad proposal signature"));
            return;
        }

        if (state.Proposals.Count > 0 && _evidenceReported.Add((proposal.Proposer, proposal.Round, 0)))
        {
            Emit(new EvidenceFound(new DoubleProposalEvidence(state.Proposals[0], proposal)));
        }

        if (state.Proposals.Count < MaxProposalsPerRound)
        {
            state.Proposals.Add(proposal);
            _proposedBlocks.Add(proposal.BlockHash);
        }

        NoteRound(proposal.Proposer, proposal.Round);
        JoinHeight();
        Progress();
    }

    /// <summary>
    /// Sorts a peer message by height: earlier heights are dropped, the next height is buffered until this one commits,
    /// later ones only tell the engine that it lags. Returns true when the message is for the height being decided.
    /// </summary>
    private bool Admit(ulong height, Hash from, ConsensusInput message)
    {
        if (!_started || height < _height)
        {
            return false;
        }

        if (height > _height)
        {
            if (height > _highestHeightSeen)
            {
                _highestHeightSeen = height;
                _aheadPeer = from;
            }

            if (height == _height + 1 && _nextHeightMessages.Count < MaxBufferedMessages)
            {
                _nextHeightMessages.Add(message);
            }

            return false;
        }

        return !_decided;
    }

    /// <summary>A verified message for this height shows a peer working on it: start it if it was waiting for work.</summary>
    private void JoinHeight()
    {
        if (!_heightStarted)
        {
            StartRound(0);
        }
    }

    private void OnCommitReceived(CommitCertificate certificate, Hash from)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!_started || _decided || certificate.Height != _height)
        {
            return;
        }

        var problem = Validators.VerifyCommit(_suite, _chainId, _height, certificate.BlockHash, certificate);
        if (problem is not null)
        {
            Emit(new PeerMisbehaved(from, $"invalid commit certificate: {problem}"));
            return;
        }

        _decided = true;
        Emit(new CommitBlock(_height, certificate.BlockHash, certificate));
    }

    private void OnBlockCommitted(BlockCommitted committed)
    {
        ArgumentNullException.ThrowIfNull(committed.Validators);
        Invariant.Check(_started && _decided && committed.Height == _height, "the driver commits the height the engine decided");
        _transactionsPending = false;
        EnterHeight(committed.Height + 1, committed.Validators);
        var buffered = _nextHeightMessages.ToList();
        _nextHeightMessages.Clear();
        foreach (var message in buffered)
        {
            Dispatch(message);
        }

        StartHeightIfDue();

        if (_highestHeightSeen > _height && !_decided)
        {
            Emit(new SyncNeeded(_height, _aheadPeer));
        }
    }

    private void OnRebroadcast(RebroadcastElapsed tick)
    {
        if (!_started || (tick.Height, tick.Round) != _rebroadcastArmed || tick.Height != _height || tick.Round != _round || _decided)
        {
            return;
        }

        Emit(new ScheduleRebroadcast(_height, _round, _options.RebroadcastInterval));
        if (_highestHeightSeen > _height)
        {
            Emit(new SyncNeeded(_height, _aheadPeer));
        }

        if (!_heightStarted || !_rounds.TryGetValue(_round, out var state))
        {
            return;
        }

        if (state.OwnProposal is { } proposal)
        {
            Emit(new BroadcastProposal(proposal, ProofOfLock(proposal)));
        }

        // The prevote quorum of the valid block lets others accept it when it is proposed again.
        if (_validValue is { } valid && _rounds.TryGetValue((uint)_validRound, out var validRound))
        {
            foreach (var vote in validRound.Prevotes.VotesFor(valid))
            {
                Emit(new BroadcastVote(vote));
            }
        }

        // Own votes of this round and the one before: a peer still in the previous round may wait for them.
        foreach (var round in _round > 0 && _rounds.TryGetValue(_round - 1, out var previous) ? new[] { previous, state } : [state])
        {
            if (round.OwnPrevote is { } prevote)
            {
                Emit(new BroadcastVote(prevote));
            }

            if (round.OwnPrecommit is { } precommit)
            {
                Emit(new BroadcastVote(precommit));
            }
        }
    }

    /// <summary>Applies the paper's upon-rules until none fires.</summary>
    private void Progress()
    {
        while (_heightStarted && !_decided && ApplyOneRule())
        {
        }
    }

    private bool ApplyOneRule()
    {
        var quorum = Validators.QuorumPower;

        // Line 49: a block with a proposal and a precommit quorum in any round commits.
        foreach (var (round, state) in _rounds)
        {
            if (state.Precommits.BlockWithQuorum(quorum) is { } decided && _proposedBlocks.Contains(decided))
            {
                if (IsValid(round, decided) == true)
                {
                    _decided = true;
                    var signatures = state.Precommits.VotesFor(decided).Select(v => new CommitSignature(v.Validator, v.Signature)).ToList();
                    Emit(new CommitBlock(_height, decided, new CommitCertificate(_height, round, decided, signatures)));
                    return false;
                }
            }
        }

        // Line 55: more than a third of the power is in later rounds.
        if (SkipTarget() is { } target)
        {
            StartRound(target);
            return false;
        }

        var current = Rounds(_round);

        if (_step == ConsensusStep.Propose)
        {
            foreach (var proposal in current.Proposals)
            {
                var vr = proposal.ProofOfLockRound;
                if (vr >= 0 && (!_rounds.TryGetValue((uint)vr, out var polRound) || polRound.Prevotes.PowerFor(proposal.BlockHash) < quorum))
                {
                    // Line 28 needs the proof of lock; it may still arrive before the propose timeout.
                    continue;
                }

                var valid = IsValid(_round, proposal.BlockHash);
                if (valid is null)
                {
                    return false;
                }

                // Lines 22 and 28: prevote the block unless locked on another one with no newer proof of lock.
                var acceptable = _lockedRound == -1 || _lockedValue == proposal.BlockHash || (vr >= 0 && _lockedRound <= vr);
                CastVote(VoteType.Prevote, valid == true && acceptable ? proposal.BlockHash : Hash.Zero);
                _step = ConsensusStep.Prevote;
                return true;
            }
        }

        // Line 34: prevotes of a quorum for anything start the prevote timeout.
        if (_step == ConsensusStep.Prevote && !current.PrevoteTimeoutScheduled && current.Prevotes.TotalPower >= quorum)
        {
            current.PrevoteTimeoutScheduled = true;
            Emit(new ScheduleTimeout(_height, _round, ConsensusStep.Prevote, _options.TimeoutFor(ConsensusStep.Prevote, _round)));
        }

        // Line 36: a proposal and a prevote quorum for it in this round: lock and precommit it, and remember it as valid.
        if (_step >= ConsensusStep.Prevote && !current.PolkaHandled && current.Prevotes.BlockWithQuorum(quorum) is { } polka
            && current.Proposals.Any(p => p.BlockHash == polka))
        {
            var valid = IsValid(_round, polka);
            if (valid == true)
            {
                current.PolkaHandled = true;
                if (_step == ConsensusStep.Prevote)
                {
                    _lockedValue = polka;
                    _lockedRound = checked((int)_round);
                    if (IsValidator)
                    {
                        // Saved before the precommit that it protects is sent (the driver carries outputs out in order).
                        Emit(new SaveLock(new ConsensusLock(_height, _round, polka, current.Prevotes.VotesFor(polka))));
                    }

                    CastVote(VoteType.Precommit, polka);
                    _step = ConsensusStep.Precommit;
                }

                _validValue = polka;
                _validRound = checked((int)_round);
                return true;
            }
        }

        // Line 44: a prevote quorum for nil.
        if (_step == ConsensusStep.Prevote && current.Prevotes.PowerFor(Hash.Zero) >= quorum)
        {
            CastVote(VoteType.Precommit, Hash.Zero);
            _step = ConsensusStep.Precommit;
            return true;
        }

        // Line 47: precommits of a quorum for anything start the precommit timeout.
        if (!current.PrecommitTimeoutScheduled && current.Precommits.TotalPower >= quorum)
        {
            current.PrecommitTimeoutScheduled = true;
            Emit(new ScheduleTimeout(_height, _round, ConsensusStep.Precommit, _options.TimeoutFor(ConsensusStep.Precommit, _round)));
        }

        return false;
    }

    /// <summary>The highest round above the current one that validators with more than a third of the power reached.</summary>
    private uint? SkipTarget()
    {
        var ahead = _highestRound.Where(entry => entry.Value > _round).OrderByDescending(entry => entry.Value).ToList();
        ulong power = 0;
        foreach (var (validator, round) in ahead)
        {
            power += Validators.Find(validator)!.Power;
            if (power >= SkipPower)
            {
                return round;
            }
        }

        return null;
    }

    /// <summary>The application's verdict on a block; asks for it (once) when unknown.</summary>
    private bool? IsValid(uint round, Hash blockHash)
    {
        if (_validity.TryGetValue(blockHash, out var valid))
        {
            return valid;
        }

        if (_validationRequested.Add(blockHash))
        {
            Emit(new ValidateProposal(_height, round, blockHash));
        }

        return null;
    }

    private void CastVote(VoteType type, Hash blockHash)
    {
        if (!IsValidator)
        {
            return;
        }

        var signature = _signer!.Sign(type, _height, _round, blockHash);
        if (signature is null)
        {
            // The guard refused (a later position was signed before a restart): this vote is skipped, not replaced.
            return;
        }

        var vote = new SignedVote(_signer.ValidatorId, type, _height, _round, blockHash, signature);
        var state = Rounds(_round);
        var tally = type == VoteType.Prevote ? state.Prevotes : state.Precommits;
        tally.Add(vote, Validators.Find(vote.Validator)!.Power);

        if (type == VoteType.Prevote)
        {
            state.OwnPrevote = vote;
        }
        else
        {
            state.OwnPrecommit = vote;
        }

        Emit(new BroadcastVote(vote));
    }

    private void NoteRound(Hash validator, uint round)
    {
        if (!_highestRound.TryGetValue(validator, out var highest) || round > highest)
        {
            _highestRound[validator] = round;
        }
    }

    private bool VerifyVote(SignedVote vote, Validator validator) =>
        _suite.Verify(validator.PublicKey, Vote.EncodeSigningBytes(_chainId, vote.Type, vote.Height, vote.Round, vote.BlockHash), vote.Signature);

    private bool VerifyProposal(SignedProposal proposal, Validator proposer) =>
        _suite.Verify(proposer.PublicKey, Proposal.EncodeSigningBytes(_chainId, proposal.Height, proposal.Round, proposal.BlockHash, proposal.ProofOfLockRound), proposal.Signature);

    private RoundState Rounds(uint round)
    {
        if (!_rounds.TryGetValue(round, out var state))
        {
            state = new RoundState();
            _rounds.Add(round, state);
        }

        return state;
    }

    private void Emit(ConsensusOutput output) => _outputs.Add(output);

    /// <summary>What the engine knows of one round of the current height.</summary>
    private sealed class RoundState
    {
        public List<SignedProposal> Proposals { get; } = [];

        public VoteTally Prevotes { get; } = new();

        public VoteTally Precommits { get; } = new();

        public SignedProposal? OwnProposal { get; set; }

        public SignedVote? OwnPrevote { get; set; }

        public SignedVote? OwnPrecommit { get; set; }

        public bool PrevoteTimeoutScheduled { get; set; }

        public bool PrecommitTimeoutScheduled { get; set; }

        public bool PolkaHandled { get; set; }
    }
}
