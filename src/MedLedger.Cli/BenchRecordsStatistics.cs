using System.Diagnostics;

namespace MedLedger.Cli;

/// <summary>A latency distribution in milliseconds: count, mean and nearest-rank percentiles.</summary>
/// <param name="Count">Samples.</param>
/// <param name="MeanMilliseconds">Arithmetic mean.</param>
/// <param name="P50Milliseconds">Median (nearest rank).</param>
/// <param name="P99Milliseconds">99th percentile (nearest rank).</param>
/// <param name="MaxMilliseconds">Largest sample.</param>
internal sealed record LatencySummary(int Count, double MeanMilliseconds, double P50Milliseconds, double P99Milliseconds, double MaxMilliseconds)
{
    public static LatencySummary Empty { get; } = new(0, 0, 0, 0, 0);

    /// <summary>Summarises the samples (NaN samples, i.e. never measured, are left out); the input is not changed.</summary>
    public static LatencySummary Of(IEnumerable<double> milliseconds)
    {
        ArgumentNullException.ThrowIfNull(milliseconds);
        var sorted = milliseconds.Where(m => !double.IsNaN(m)).ToArray();
        if (sorted.Length == 0)
        {
            return Empty;
        }

        Array.Sort(sorted);
        return new LatencySummary(
            sorted.Length,
            Math.Round(sorted.Average(), 2),
            Math.Round(Percentile(sorted, 0.50), 2),
            Math.Round(Percentile(sorted, 0.99), 2),
            Math.Round(sorted[^1], 2));
    }

    /// <summary>
    /// The nearest-rank percentile of an ascending array: the smallest sample with at least <paramref name="quantile"/>
    /// of the samples at or below it (so p99 of 100 samples is the 99th smallest, of 1,000 the 990th).
    /// </summary>
    public static double Percentile(double[] sorted, double quantile)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (quantile is <= 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(quantile), "A quantile is in (0, 1].");
        }

        return sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>
/// Wall time spent in named stages, summed over threads (each thread adds its own stopwatch intervals, so the sum of a
/// stage over concurrent clients can exceed the phase's wall time). Thread-safe.
/// </summary>
internal sealed class StageClock
{
    private readonly string[] _names;
    private readonly long[] _ticks;
    private readonly long[] _counts;

    public StageClock(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        _names = names;
        _ticks = new long[names.Length];
        _counts = new long[names.Length];
    }

    /// <summary>Adds the time since <paramref name="startedTimestamp"/> to stage <paramref name="stage"/> and returns now.</summary>
    public long Add(int stage, long startedTimestamp)
    {
        var now = Stopwatch.GetTimestamp();
        Interlocked.Add(ref _ticks[stage], now - startedTimestamp);
        Interlocked.Increment(ref _counts[stage]);
        return now;
    }

    /// <summary>Mean microseconds per occurrence of each stage, in the order the stages were named.</summary>
    public IReadOnlyList<StageTime> MeanMicroseconds()
    {
        var result = new List<StageTime>(_names.Length);
        for (var i = 0; i < _names.Length; i++)
        {
            var count = Interlocked.Read(ref _counts[i]);
            result.Add(new StageTime(_names[i], count == 0 ? 0 : Math.Round(Interlocked.Read(ref _ticks[i]) * 1e6 / Stopwatch.Frequency / count, 1)));
        }

        return result;
    }
}

/// <summary>Mean time of one stage.</summary>
/// <param name="Stage">What the stage does.</param>
/// <param name="MeanMicroseconds">Mean wall time per occurrence.</param>
internal sealed record StageTime(string Stage, double MeanMicroseconds);
