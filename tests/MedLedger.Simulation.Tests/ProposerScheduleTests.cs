using MedLedger.Consensus;
using MedLedger.Ledger;

namespace MedLedger.Simulation.Tests;

/// <summary>Weighted round-robin proposer selection: a pure function of (validator set, height, round).</summary>
public sealed class ProposerScheduleTests
{
    private static ValidatorSet SetOf(params ulong[] powers) =>
        new(powers.Select((power, i) => new Validator(Hex.Filled((byte)(0x10 + i)), [4], power, $"v{i}")));

    // Proves equal powers rotate in key-id order, one slot per (height + round).
    [Fact]
    public void EqualPowers_RotateInKeyIdOrder()
    {
        var schedule = new ProposerSchedule(SetOf(1, 1, 1, 1));

        Assert.Equal(4, schedule.CycleLength);
        Assert.Equal(
            [Hex.Filled(0x11), Hex.Filled(0x12), Hex.Filled(0x13), Hex.Filled(0x10), Hex.Filled(0x11)],
            Enumerable.Range(0, 5).Select(r => schedule.ProposerOf(1, (uint)r)));
        Assert.Equal(schedule.ProposerOf(7, 2), schedule.ProposerOf(8, 1));
    }

    // Proves weights: powers 1, 2, 3 give a cycle of 6 in which each validator proposes as often as its power, in the
    // smooth order frozen here (every node must compute the same order), and cycles repeat.
    [Fact]
    public void Powers_DecideHowOftenEachProposes_InASmoothFrozenOrder()
    {
        var schedule = new ProposerSchedule(SetOf(1, 2, 3));
        var cycle = Enumerable.Range(0, 6).Select(slot => schedule.ProposerOf(0, (uint)slot)).ToList();

        Assert.Equal([Hex.Filled(0x12), Hex.Filled(0x11), Hex.Filled(0x10), Hex.Filled(0x12), Hex.Filled(0x11), Hex.Filled(0x12)], cycle);
        Assert.Equal(cycle, Enumerable.Range(0, 6).Select(slot => schedule.ProposerOf(600, (uint)slot)));
        Assert.Equal(schedule.ProposerOf(0, 0), schedule.ProposerOf(ulong.MaxValue - 3, 3 + 3)); // (2^64 + 2) mod 6 = 0
    }

    // Proves the schedule is the same for equal sets built independently, whatever order validators were given in.
    [Fact]
    public void IndependentlyBuiltSets_HaveTheSameSchedule()
    {
        var first = new ProposerSchedule(SetOf(5, 1, 3, 2));
        var second = new ProposerSchedule(new ValidatorSet(SetOf(5, 1, 3, 2).Validators.Reverse()));

        Assert.Equal(
            Enumerable.Range(0, 50).Select(r => first.ProposerOf(3, (uint)r)),
            Enumerable.Range(0, 50).Select(r => second.ProposerOf(3, (uint)r)));
    }

    // Proves huge powers are scaled to a bounded cycle that keeps their proportions (within one slot) and gives even
    // the smallest validator a turn.
    [Fact]
    public void HugePowers_AreScaledToABoundedCycle()
    {
        var schedule = new ProposerSchedule(SetOf(1UL << 50, 1UL << 51, 3UL << 50, 1));
        var counts = Enumerable.Range(0, schedule.CycleLength).GroupBy(slot => schedule.ProposerOf(0, (uint)slot)).ToDictionary(g => g.Key, g => g.Count());

        Assert.InRange(schedule.CycleLength, 4000, ProposerSchedule.MaxCycleLength + 4);
        Assert.Equal(1, counts[Hex.Filled(0x13)]);
        Assert.InRange(counts[Hex.Filled(0x11)] / (double)counts[Hex.Filled(0x10)], 1.99, 2.01);
        Assert.InRange(counts[Hex.Filled(0x12)] / (double)counts[Hex.Filled(0x10)], 2.99, 3.01);
    }
}
