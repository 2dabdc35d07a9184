namespace MedLedger.Network;

/// <summary>
/// A token bucket over <see cref="TimeProvider"/> timestamps: holds at most <c>capacity</c> tokens and regains
/// <c>ratePerSecond</c> per second. Used from one peer's read loop only, so it takes no lock.
/// </summary>
internal sealed class TokenBucket
{
    private readonly double _ratePerSecond;
    private readonly double _capacity;
    private readonly TimeProvider _time;
    private double _tokens;
    private long _lastTimestamp;

    public TokenBucket(double ratePerSecond, double capacity, TimeProvider time)
    {
        _ratePerSecond = ratePerSecond;
        _capacity = capacity;
        _time = time;
        _tokens = capacity;
        _lastTimestamp = time.GetTimestamp();
    }

    /// <summary>Takes <paramref name="amount"/> tokens if that many are there; otherwise takes none.</summary>
    public bool TryTake(double amount)
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_lastTimestamp, now);
        _lastTimestamp = now;
        if (elapsed > TimeSpan.Zero)
        {
            _tokens = Math.Min(_capacity, _tokens + (elapsed.TotalSeconds * _ratePerSecond));
        }

        if (_tokens < amount)
        {
            return false;
        }

        _tokens -= amount;
        return true;
    }
}
