namespace MedLedger.Node.Tests;

/// <summary>
/// A clock for unit tests that moves only in <see cref="Advance"/>; its timers fire there, on the test's thread, when
/// their due time is reached (periodic timers are not needed by the code under test and are refused).
/// </summary>
internal sealed class SteppedClock : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<StepTimer> _timers = [];
    private long _ticks = TimeSpan.FromDays(1).Ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp()
    {
        lock (_lock)
        {
            return _ticks;
        }
    }

    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(GetTimestamp());

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new StepTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves the time forward, firing each timer that comes due.</summary>
    public void Advance(TimeSpan by)
    {
        long target;
        lock (_lock)
        {
            target = _ticks + by.Ticks;
        }

        while (true)
        {
            StepTimer? due;
            lock (_lock)
            {
                due = _timers.Where(t => t.Due <= target).OrderBy(t => t.Due).FirstOrDefault();
                if (due is null)
                {
                    _ticks = target;
                    return;
                }

                _ticks = Math.Max(_ticks, due.Due!.Value);
                _timers.Remove(due);
                due.Due = null;
            }

            due.Fire();
        }
    }

    private sealed class StepTimer(SteppedClock owner, TimerCallback callback, object? state) : ITimer
    {
        public long? Due { get; set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (period != Timeout.InfiniteTimeSpan && period != TimeSpan.Zero)
            {
                throw new NotSupportedException("periodic timers");
            }

            lock (owner._lock)
            {
                owner._timers.Remove(this);
                Due = dueTime == Timeout.InfiniteTimeSpan ? null : owner._ticks + dueTime.Ticks;
                if (Due is not null)
                {
                    owner._timers.Add(this);
                }
            }

            return true;
        }

        public void Dispose()
        {
            lock (owner._lock)
            {
                owner._timers.Remove(this);
                Due = null;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
