using MedLedger.Core;

namespace MedLedger.Consensus;

/// <summary>How <see cref="VoteTally.Add"/> took a vote.</summary>
internal enum TallyResult
{
    /// <summary>The validator's first vote here.</summary>
    Counted,

    /// <summary>A vote for another block than the validator's earlier one(s): counted for that block, and evidence.</summary>
    Conflicting,

    /// <summary>The validator already voted for this block here.</summary>
    Duplicate,

    /// <summary>The validator sent too many conflicting votes here; this one was dropped.</summary>
    Dropped,
}

/// <summary>
/// The verified votes of one type in one round. As in the paper, a vote counts for the block it names: a validator that
/// votes for two blocks (a Byzantine one) counts for both, so that a quorum some honest node saw — and relays as a
/// proof of lock — is a quorum everywhere. For "more than two thirds for anything" each validator counts once. A
/// validator's conflicting votes are kept up to <see cref="MaxConflictingVotes"/> blocks, bounding what one can store.
/// </summary>
internal sealed class VoteTally
{
    /// <summary>Most distinct blocks one validator's votes are kept for, per round and type.</summary>
    public const int MaxConflictingVotes = 4;

    private readonly Dictionary<Hash, List<SignedVote>> _byValidator = [];
    private readonly Dictionary<Hash, ulong> _powerByBlock = [];

    /// <summary>Power of the validators that voted here, each counted once whatever they voted for.</summary>
    public ulong TotalPower { get; private set; }

    /// <summary>The first vote counted for <paramref name="validator"/>, or null.</summary>
    public SignedVote? Find(Hash validator) => _byValidator.TryGetValue(validator, out var votes) ? votes[0] : null;

    /// <summary>True when <paramref name="validator"/>'s vote for <paramref name="blockHash"/> is counted here.</summary>
    public bool Contains(Hash validator, Hash blockHash) =>
        _byValidator.TryGetValue(validator, out var votes) && votes.Exists(v => v.BlockHash == blockHash);

    /// <summary>Counts a verified vote.</summary>
    public TallyResult Add(SignedVote vote, ulong power)
    {
        if (!_byValidator.TryGetValue(vote.Validator, out var votes))
        {
            _byValidator.Add(vote.Validator, [vote]);
            _powerByBlock[vote.BlockHash] = _powerByBlock.GetValueOrDefault(vote.BlockHash) + power;
            TotalPower += power;
            return TallyResult.Counted;
        }

        if (votes.Exists(v => v.BlockHash == vote.BlockHash))
        {
            return TallyResult.Duplicate;
        }

        if (votes.Count >= MaxConflictingVotes)
        {
            return TallyResult.Dropped;
        }

        votes.Add(vote);
        _powerByBlock[vote.BlockHash] = _powerByBlock.GetValueOrDefault(vote.BlockHash) + power;
        return TallyResult.Conflicting;
    }

    /// <summary>Power of the votes for <paramref name="blockHash"/> (zero for nil).</summary>
    public ulong PowerFor(Hash blockHash) => _powerByBlock.GetValueOrDefault(blockHash);

    /// <summary>The block (not nil) that holds at least <paramref name="quorum"/> power here, if any.</summary>
    public Hash? BlockWithQuorum(ulong quorum)
    {
        foreach (var (block, power) in _powerByBlock)
        {
            if (!block.IsZero && power >= quorum)
            {
                return block;
            }
        }

        return null;
    }

    /// <summary>The votes for <paramref name="blockHash"/>, in validator key-id order.</summary>
    public List<SignedVote> VotesFor(Hash blockHash) =>
        [.. _byValidator.Values.SelectMany(votes => votes).Where(v => v.BlockHash == blockHash).OrderBy(v => v.Validator)];
}
