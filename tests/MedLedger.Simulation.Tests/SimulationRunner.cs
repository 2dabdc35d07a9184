using System.Globalization;
using Xunit.Abstractions;

namespace MedLedger.Simulation.Tests;

/// <summary>
/// Runs a scenario over a range of seeds and reports every failing seed, not just the first. The environment variable
/// <c>MEDLEDGER_SIM_SEED</c> replaces the range by that one seed, to replay a failure. With <c>expectEvidence</c>, the
/// honest nodes must also have reported evidence in some seed of the range (not in every one: the network may lose
/// either conflicting message); every report is checked in the run to accuse only Byzantine validators.
/// </summary>
internal static class SimulationRunner
{
    public const string SeedVariable = "MEDLEDGER_SIM_SEED";

    public static void Run(ITestOutputHelper output, Scenario scenario, int firstSeed, int count, bool expectEvidence = false, bool expectMembershipChange = false)
    {
        var replay = Environment.GetEnvironmentVariable(SeedVariable);
        var seeds = string.IsNullOrWhiteSpace(replay)
            ? Enumerable.Range(firstSeed, count).ToList()
            : [int.Parse(replay, CultureInfo.InvariantCulture)];
        output.WriteLine($"{scenario.Name}: seeds {seeds[0]}..{seeds[^1]} ({seeds.Count} run(s); replay one with {SeedVariable}=<seed>)");

        var failures = new List<(int Seed, string Message)>();
        ulong heights = 0;
        uint highestRound = 0;
        long messages = 0;
        var evidence = 0;
        var restarts = 0;
        var setChanges = 0;
        var membershipChanges = 0;
        foreach (var seed in seeds)
        {
            try
            {
                var statistics = new Simulation(seed, scenario).Run();
                heights += statistics.Heights;
                highestRound = Math.Max(highestRound, statistics.HighestRound);
                messages += statistics.Messages;
                evidence += statistics.Evidence;
                restarts += statistics.Restarts;
                setChanges += statistics.SetChanges;
                membershipChanges += statistics.MembershipChanges;
            }
            catch (SimulationFailure failure)
            {
                failures.Add((seed, failure.Message));
                output.WriteLine(failure.Message);
            }
        }

        output.WriteLine($"{scenario.Name}: {seeds.Count - failures.Count} passed, {failures.Count} failed; {heights} heights committed by every honest node, highest round {highestRound}, {messages} messages, {evidence} evidence reports, {restarts} restarts, {setChanges} validator-set changes ({membershipChanges} of membership)");
        Assert.True(
            failures.Count == 0,
            $"{scenario.Name}: {failures.Count} of {seeds.Count} seeds failed: {string.Join(", ", failures.Select(f => f.Seed))}\nfirst failure: {failures.FirstOrDefault().Message}");
        if (expectMembershipChange && string.IsNullOrWhiteSpace(replay))
        {
            Assert.True(membershipChanges > 0, $"{scenario.Name}: no election changed the set's members in seeds {seeds[0]}..{seeds[^1]}");
        }

        if (expectEvidence && string.IsNullOrWhiteSpace(replay))
        {
            Assert.True(evidence > 0, $"{scenario.Name}: no honest node reported the Byzantine validator's conflicting messages in seeds {seeds[0]}..{seeds[^1]}");
        }
    }
}
