using MedLedger.Core;

namespace MedLedger.Consensus;

/// <summary>
/// The verified votes of one type in one round: at most one per validator (the first that arrived; a conflicting
/// second one is evidence, not a vote), and the voting power behind each block hash (zero = nil).
/// </summary>
internal sealed class VoteTally
{
    private readonly Dictionary<Hash, SignedVote> _byValidator = [];
    private readonly Dictionary<Hash, ulong> _powerByBlock = [];

    /// <summary>Power of all the votes counted, whatever they are for.</summary>
    public ulong TotalPower { get; private set; }

    /// <summary>The vote counted for <paramref name="validator"/>, or null.</summary>
    public SignedVote? Find(Hash validator) => _byValidator.GetValueOrDefault(validator);

    /// <summary>Counts a verified vote; the caller has checked that the validator has none here yet.</summary>
    public void Add(SignedVote vote, ulong power)
    {
        Invariant.Check(_byValidator.TryAdd(vote.Validator, vote), "a validator's vote is counted once per round and type");
        _powerByBlock[vote.BlockHash] = _powerByBlock.GetValueOrDefault(vote.BlockHash) + power;
        TotalPower += power;
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
        [.. _byValidator.Values.Where(v => v.BlockHash == blockHash).OrderBy(v => v.Validator)];
}
