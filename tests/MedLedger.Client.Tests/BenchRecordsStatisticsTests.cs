using MedLedger.Cli;

namespace MedLedger.Client.Tests;

/// <summary>
/// The latency figures of <c>medledger bench records</c>: nearest-rank percentiles, unmeasured samples left out, and the
/// settings it refuses before starting a node.
/// </summary>
public sealed class BenchRecordsStatisticsTests
{
    [Fact]
    public void Percentiles_AreNearestRank_AndIgnoreUnmeasuredSamples()
    {
        // 1..100 ms shuffled, plus NaN for reads that failed: p50 is the 50th smallest, p99 the 99th, max the largest.
        var samples = Enumerable.Range(1, 100).Select(i => (double)i).Reverse().Concat([double.NaN, double.NaN]).ToArray();

        var summary = LatencySummary.Of(samples);

        Assert.Equal(100, summary.Count);
        Assert.Equal(50, summary.P50Milliseconds);
        Assert.Equal(99, summary.P99Milliseconds);
        Assert.Equal(100, summary.MaxMilliseconds);
        Assert.Equal(50.5, summary.MeanMilliseconds);
        Assert.True(double.IsNaN(samples[^1]), "the input is left as it was");
    }

    [Fact]
    public void Percentiles_OfFewSamples_TakeTheLargestForP99()
    {
        // With 10 samples, 99 % of them is 9.9, so the nearest rank is the 10th: the largest, not an interpolation.
        var summary = LatencySummary.Of([5, 1, 9, 3, 7, 2, 8, 4, 6, 10]);

        Assert.Equal(5, summary.P50Milliseconds);
        Assert.Equal(10, summary.P99Milliseconds);
        Assert.Equal(LatencySummary.Empty, LatencySummary.Of([double.NaN]));
        Assert.Throws<ArgumentOutOfRangeException>(() => LatencySummary.Percentile([1, 2], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LatencySummary.Percentile([1, 2], 1.5));
    }

    [Fact]
    public void StageClock_AveragesEachStageOverItsOwnOccurrences()
    {
        // Two occurrences of stage 0 and none of stage 1: stage 1 reports 0, not a division by zero.
        var clock = new StageClock("first", "second");
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        clock.Add(0, started);
        clock.Add(0, started);

        var means = clock.MeanMicroseconds();

        Assert.Equal(["first", "second"], means.Select(m => m.Stage));
        Assert.True(means[0].MeanMicroseconds >= 0);
        Assert.Equal(0, means[1].MeanMicroseconds);
    }

    [Fact]
    public void Settings_ThatCannotRun_AreRefusedBeforeANodeStarts()
    {
        // Each case breaks one rule of an otherwise valid (the default) configuration.
        var valid = new BenchRecordsSettings(16, 10_000, 2_000, 256, 32, 20_000, 5_000, 50, 1, null, false, false);
        (string Name, BenchRecordsSettings Settings)[] cases =
        [
            ("no writers", valid with { Writers = 0 }),
            ("one reader (half patients, half doctors needs two)", valid with { Readers = 1 }),
            ("fewer patients than readers", valid with { Patients = 31 }),
            ("fewer records than patients (someone would have nothing to read)", valid with { Records = 255 }),
            ("negative warm-up", valid with { WarmupRecords = -1 }),
            ("fewer reads than readers", valid with { Reads = 31 }),
        ];

        foreach (var (name, settings) in cases)
        {
            var exception = Record.Exception(settings.Validate);
            Assert.True(exception is CliUsageException { Message.Length: > 0 }, $"{name}: {exception?.GetType().Name ?? "accepted"}");
        }
    }

    [Fact]
    public void DefaultSettings_AreValid()
    {
        new BenchRecordsSettings(16, 10_000, 2_000, 256, 32, 20_000, 5_000, 50, 1, null, false, false).Validate();
    }
}
