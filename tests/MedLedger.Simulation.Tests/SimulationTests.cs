using Xunit.Abstractions;

namespace MedLedger.Simulation.Tests;

// Each class is its own xunit collection, so the scenario groups run in parallel on the machine's cores.
// Seed ranges are disjoint across scenarios; together they run 1,000 seeds.

/// <summary>
/// Honest validators on a faulty network: each seed draws loss (up to 30 %), duplication, delays up to 420 ms (which
/// reorder messages), up to two partitions, crashes with restarts, and skewed clocks; after the heal every node must
/// commit K more heights. Safety (one block and one state root per height, verifying certificates) is checked throughout.
/// </summary>
public sealed class HonestFaultySimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void FourValidators_LossDelayDuplicationPartitionsCrashes_SafeAndLiveAfterHeal() =>
        SimulationRunner.Run(output, new Scenario("n=4 honest, network faults and crashes", 4, [], NetworkFaults: true, Crashes: true), 1, 150);

    [Fact]
    public void SevenValidators_LossDelayDuplicationPartitionsCrashes_SafeAndLiveAfterHeal() =>
        SimulationRunner.Run(output, new Scenario("n=7 honest, network faults and crashes", 7, [], NetworkFaults: true, Crashes: true), 10_001, 50);
}

/// <summary>One Byzantine voter of four (f = 1), silent or double-voting, on a faulty network with crashes of honest nodes.</summary>
public sealed class ByzantineSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void SilentValidator_OneOfFour_SafeAndLive() =>
        SimulationRunner.Run(output, new Scenario("n=4, silent validator", 4, [Behaviour.Silent], NetworkFaults: true, Crashes: true), 20_001, 150);

    [Fact]
    public void DoubleVotingValidator_OneOfFour_SafeLiveAndReported() =>
        SimulationRunner.Run(output, new Scenario("n=4, double-voting validator", 4, [Behaviour.DoubleVoter], NetworkFaults: true, Crashes: true), 30_001, 150, expectEvidence: true);
}

/// <summary>One Byzantine proposer of four (f = 1) lying about blocks, on a faulty network with crashes of honest nodes.</summary>
public sealed class ByzantineProposerSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void EquivocatingProposer_OneOfFour_SafeLiveAndReported() =>
        SimulationRunner.Run(output, new Scenario("n=4, equivocating proposer", 4, [Behaviour.EquivocatingProposer], NetworkFaults: true, Crashes: true), 40_001, 150, expectEvidence: true);

    [Fact]
    public void InvalidBlockProposer_OneOfFour_SafeAndLive() =>
        SimulationRunner.Run(output, new Scenario("n=4, invalid-block proposer", 4, [Behaviour.InvalidBlockProposer], NetworkFaults: true, Crashes: true), 50_001, 150);
}

/// <summary>Two Byzantine validators of seven (f = 2), of different kinds, with network faults and crashes.</summary>
public sealed class SevenValidatorByzantineSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void DoubleVoterAndEquivocatingProposer_TwoOfSeven_SafeLiveAndReported() =>
        SimulationRunner.Run(output, new Scenario("n=7, double voter + equivocating proposer", 7, [Behaviour.DoubleVoter, Behaviour.EquivocatingProposer], NetworkFaults: true, Crashes: true), 60_001, 50, expectEvidence: true);

    [Fact]
    public void SilentAndInvalidBlockProposer_TwoOfSeven_SafeAndLive() =>
        SimulationRunner.Run(output, new Scenario("n=7, silent + invalid-block proposer", 7, [Behaviour.Silent, Behaviour.InvalidBlockProposer], NetworkFaults: true, Crashes: true), 70_001, 50);
}

/// <summary>
/// Credit chains (docs/credit.md): every proposal carries the commit report of the previous block and the set is re-elected
/// every few blocks, so the validator set changes between heights while the network misbehaves and nodes crash. Four
/// validators and one standby node; with a silent validator, its missed votes drop its credit below the standby's, which
/// takes its seat at a boundary. Safety and liveness are checked as in every scenario.
/// </summary>
public sealed class CreditSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void EpochsOfTwoBlocks_HonestWithStandby_SafeAndLiveAcrossSetChanges() =>
        SimulationRunner.Run(output, new Scenario("n=4+1 standby, epochs of 2, network faults and crashes", 4, [], NetworkFaults: true, Crashes: true, HeightsAfterHeal: 4, Standby: 1, EpochLength: 2), 80_001, 50);

    [Fact]
    public void EpochsOfThreeBlocks_SilentValidatorReplacedByStandby_SafeLiveAndSetChanges() =>
        SimulationRunner.Run(output, new Scenario("n=4+1 standby, silent validator, epochs of 3", 4, [Behaviour.Silent], NetworkFaults: true, Crashes: true, HeightsAfterHeal: 4, Standby: 1, EpochLength: 3), 90_001, 50, expectMembershipChange: true);
}
