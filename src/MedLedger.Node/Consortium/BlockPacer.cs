namespace MedLedger.Node.Consortium;

/// <summary>
/// Block pacing (Tendermint's <c>timeout_commit</c> idea): when the mempool holds fewer than
/// <see cref="FullBlockTransactions"/> transactions, the driver waits until <see cref="MinBlockInterval"/> has passed
/// since the last commit before it builds a proposal, so that light load makes fewer, fuller blocks instead of one
/// block per few transactions (each block costs a header, signatures, fsyncs and a round of votes). A full enough
/// mempool is built at once. The wait is timed by the driver's clock; the engine sees only a later answer to its
/// <c>BuildProposal</c>, well inside its propose timeout. <see cref="MinBlockInterval"/> = 0 turns pacing off.
/// </summary>
public sealed class BlockPacer
{
    /// <summary>The default wait: short next to a consensus round, long next to the per-block work it amortises.</summary>
    public static readonly TimeSpan DefaultMinBlockInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>The default mempool size that is built without waiting.</summary>
    public const int DefaultFullBlockTransactions = 1000;

    private readonly TimeProvider _clock;
    private long? _lastCommit;

    /// <summary>Creates a pacer; <paramref name="minBlockInterval"/> zero disables it.</summary>
    public BlockPacer(TimeProvider clock, TimeSpan? minBlockInterval = null, int fullBlockTransactions = DefaultFullBlockTransactions)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        MinBlockInterval = minBlockInterval ?? DefaultMinBlockInterval;
        ArgumentOutOfRangeException.ThrowIfLessThan(MinBlockInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MinBlockInterval, TimeSpan.FromSeconds(1));
        ArgumentOutOfRangeException.ThrowIfLessThan(fullBlockTransactions, 1);
        FullBlockTransactions = fullBlockTransactions;
    }

    /// <summary>Least time from one commit to building the next proposal, unless the mempool is full enough.</summary>
    public TimeSpan MinBlockInterval { get; }

    /// <summary>Mempool size at which a proposal is built without waiting.</summary>
    public int FullBlockTransactions { get; }

    /// <summary>Records a commit (the interval counts from here).</summary>
    public void Committed() => _lastCommit = _clock.GetTimestamp();

    /// <summary>How much longer to wait before building with <paramref name="waiting"/> transactions in the mempool (zero: build now).</summary>
    public TimeSpan DelayBeforeBuild(int waiting)
    {
        if (MinBlockInterval == TimeSpan.Zero || waiting >= FullBlockTransactions || _lastCommit is not { } last)
        {
            return TimeSpan.Zero;
        }

        var remaining = MinBlockInterval - _clock.GetElapsedTime(last);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }
}
