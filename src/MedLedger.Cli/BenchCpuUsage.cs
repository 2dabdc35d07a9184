using System.Diagnostics;
using System.Globalization;

namespace MedLedger.Cli;

/// <summary>
/// Where the machine's CPU went during the timed phase: the node, this client, and everything else. Other work on
/// the machine (a build, another benchmark) takes cores from the node, so the report shows it instead of letting
/// it pass for the node's own cost. The node's CPU time per transaction is the figure that survives such noise.
/// </summary>
internal sealed record BenchCpuSample(TimeSpan Node, TimeSpan Client, TimeSpan? MachineBusy, long Timestamp)
{
    /// <summary>Clock ticks per second of /proc/stat (USER_HZ, 100 on every Linux architecture .NET runs on).</summary>
    private const double ProcStatTicksPerSecond = 100;

    public static BenchCpuSample Take(NodeChildProcess node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return Take(node.CpuTime);
    }

    /// <summary>A sample where the node side used <paramref name="nodeCpuTime"/> so far (all node processes together).</summary>
    public static BenchCpuSample Take(TimeSpan nodeCpuTime)
    {
        using var self = Process.GetCurrentProcess();
        return new BenchCpuSample(nodeCpuTime, self.TotalProcessorTime, ReadMachineBusy(), Stopwatch.GetTimestamp());
    }

    /// <summary>The CPU used between <paramref name="before"/> and this sample.</summary>
    public BenchCpuUsage Since(BenchCpuSample before)
    {
        ArgumentNullException.ThrowIfNull(before);
        var wall = Stopwatch.GetElapsedTime(before.Timestamp, Timestamp);
        var node = Node - before.Node;
        var client = Client - before.Client;
        double? other = MachineBusy is { } busy && before.MachineBusy is { } busyBefore
            ? Math.Max(0, (busy - busyBefore - node - client).TotalSeconds)
            : null;
        return new BenchCpuUsage(wall.TotalSeconds * Environment.ProcessorCount, node.TotalSeconds, client.TotalSeconds, other);
    }

    /// <summary>Busy time of all cores since boot from the first line of /proc/stat; null where there is none.</summary>
    private static TimeSpan? ReadMachineBusy()
    {
        const string ProcStat = "/proc/stat";
        if (!File.Exists(ProcStat))
        {
            return null;
        }

        var line = File.ReadLines(ProcStat).FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        if (line is null)
        {
            return null;
        }

        // cpu user nice system idle iowait irq softirq steal ...; busy is everything but idle and iowait.
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        if (fields.Length < 5)
        {
            return null;
        }

        var busyTicks = fields.Sum() - fields[3] - fields[4];
        return TimeSpan.FromSeconds(busyTicks / ProcStatTicksPerSecond);
    }
}

/// <summary>CPU seconds over the timed phase; <see cref="Available"/> is wall time times cores.</summary>
internal sealed record BenchCpuUsage(double Available, double Node, double Client, double? Other);
