using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Consensus;

/// <summary>
/// Weighted round-robin proposer selection as a pure function of (validator set, height, round), the same on every
/// node. The set's powers define a cycle in which each validator appears as often as its power (scaled down to at most
/// <see cref="MaxCycleLength"/> slots when the total is larger, each validator keeping at least one), ordered by smooth
/// weighted round robin: at every slot each validator's credit grows by its power, the validator with the most credit
/// (ties to the lower key id) proposes and pays the cycle length. The proposer of (h, r) is slot (h + r) mod length,
/// so a failed round hands over to the next slot, and a new height continues the rotation.
/// </summary>
public sealed class ProposerSchedule
{
    /// <summary>Longest cycle computed; larger total powers are scaled to it.</summary>
    public const int MaxCycleLength = 4096;

    private readonly Hash[] _slots;

    /// <summary>Computes the cycle of <paramref name="validators"/>.</summary>
    public ProposerSchedule(ValidatorSet validators)
    {
        ArgumentNullException.ThrowIfNull(validators);
        Validators = validators;
        var members = validators.Validators;
        var weights = new long[members.Count];
        long total = 0;
        for (var i = 0; i < members.Count; i++)
        {
            weights[i] = validators.TotalPower <= MaxCycleLength
                ? (long)members[i].Power
                : Math.Max(1, (long)((UInt128)members[i].Power * MaxCycleLength / validators.TotalPower));
            total += weights[i];
        }

        _slots = new Hash[total];
        var credit = new long[members.Count];
        for (var slot = 0; slot < total; slot++)
        {
            var best = 0;
            for (var i = 0; i < members.Count; i++)
            {
                credit[i] += weights[i];
                if (credit[i] > credit[best])
                {
                    best = i;
                }
            }

            credit[best] -= total;
            _slots[slot] = members[best].KeyId;
        }
    }

    /// <summary>The set this schedule was computed for.</summary>
    public ValidatorSet Validators { get; }

    /// <summary>Number of slots in one cycle.</summary>
    public int CycleLength => _slots.Length;

    /// <summary>The key id of the proposer of (<paramref name="height"/>, <paramref name="round"/>).</summary>
    public Hash ProposerOf(ulong height, uint round) => _slots[(int)(((UInt128)height + round) % (uint)_slots.Length)];
}
