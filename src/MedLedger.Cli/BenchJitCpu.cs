using System.Globalization;

namespace MedLedger.Cli;

/// <summary>
/// CPU time the node processes spend in .NET's tiered-compilation thread (<c>.NET Tiered Com…</c>) during the timed
/// phase, sampled from <c>/proc/PID/task/TID/stat</c> every 200 ms and summed per thread (a thread that exits between
/// samples loses at most its last 200 ms). On a loaded machine the JIT's background tier-up of a fresh node stretches
/// into the timed phase and inflates the CPU per transaction with a start-up cost; this separates it. Zero where
/// <c>/proc</c> is missing.
/// </summary>
internal sealed class BenchJitCpu : IAsyncDisposable
{
    private const string ThreadPrefix = ".NET Tiered";
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private readonly IReadOnlyList<int> _processIds;
    private readonly Dictionary<(int Process, int Thread), long> _last = [];
    private readonly Dictionary<(int Process, int Thread), long> _first = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _ticks;

    private BenchJitCpu(IReadOnlyList<int> processIds)
    {
        _processIds = processIds;
        Sample(initial: true);
        _loop = RunAsync();
    }

    /// <summary>Starts sampling the given processes.</summary>
    public static BenchJitCpu Start(IReadOnlyList<int> processIds) => new(processIds);

    /// <summary>Stops sampling and returns the CPU seconds of the tiered-compilation threads since the start.</summary>
    public async Task<double> StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        Sample(initial: false);
        return _ticks / (double)ClockTicksPerSecond;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    // USER_HZ: 100 on Linux for every architecture .NET runs on.
    private static int ClockTicksPerSecond => 100;

    private async Task RunAsync()
    {
        try
        {
            while (true)
            {
                await Task.Delay(Interval, _stop.Token).ConfigureAwait(false);
                Sample(initial: false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private void Sample(bool initial)
    {
        foreach (var pid in _processIds)
        {
            string[] tasks;
            try
            {
                tasks = Directory.GetDirectories($"/proc/{pid}/task");
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var task in tasks)
            {
                if (!int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out var tid) || ReadJitTicks(task) is not { } ticks)
                {
                    continue;
                }

                var key = (pid, tid);
                if (initial)
                {
                    _first[key] = ticks;
                }
                else if (!_last.ContainsKey(key) && !_first.ContainsKey(key))
                {
                    // A thread born during the phase: all of its time is in the phase.
                    _ticks += ticks;
                }
                else
                {
                    _ticks += ticks - (_last.TryGetValue(key, out var last) ? last : _first[key]);
                }

                _last[key] = ticks;
            }
        }
    }

    // utime + stime of a thread whose name starts with the tiered-compilation prefix, else null.
    private static long? ReadJitTicks(string task)
    {
        try
        {
            if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith(ThreadPrefix, StringComparison.Ordinal))
            {
                return null;
            }

            var stat = File.ReadAllText(Path.Combine(task, "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
