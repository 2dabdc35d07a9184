using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Node.Consortium;

/// <summary>
/// Batches the transactions a node gossips (docs/network.md, "Transaction batches"): transactions its API admitted and
/// those it newly admitted from a peer wait here and leave as <see cref="PeerProtocol.TransactionBatchType"/> frames,
/// one per peer, when <see cref="FlushBytes"/> or <see cref="PeerProtocol.MaxTransactionsPerBatch"/> is reached or
/// <see cref="FlushDelay"/> after the first one waited (timed by the given clock), or when <see cref="Flush"/> is
/// called (before a compact proposal, so that peers hold its transactions first). A transaction is not sent back to the
/// peer it came from. Batches leave in the order they were filled: one peer's queue sees a sender's transactions in
/// admission order.
/// </summary>
public sealed class TransactionGossip : IDisposable
{
    /// <summary>Default wait for more transactions before a batch leaves.</summary>
    public static readonly TimeSpan DefaultFlushDelay = TimeSpan.FromMilliseconds(2);

    /// <summary>Default payload size at which a batch leaves at once.</summary>
    public const int DefaultFlushBytes = 256 * 1024;

    private readonly Func<IReadOnlyList<Hash>> _peers;
    private readonly Func<Hash, byte[], bool> _send;
    private readonly ITimer _timer;
    private readonly Lock _pendingLock = new();
    private readonly Lock _sendLock = new();
    private List<Pending> _pending = [];
    private int _pendingBytes;
    private bool _timerArmed;
    private long _batchesSent;
    private long _transactionsSent;

    /// <summary>Creates a batcher that sends with <paramref name="send"/> (peer, payload) to each of <paramref name="peers"/>.</summary>
    public TransactionGossip(Func<IReadOnlyList<Hash>> peers, Func<Hash, byte[], bool> send, TimeProvider clock, TimeSpan? flushDelay = null, int flushBytes = DefaultFlushBytes)
    {
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(send);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentOutOfRangeException.ThrowIfLessThan(flushBytes, PeerProtocol.BatchOverheadBytes + 4 + Limits.MaxTransactionBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(flushBytes, PeerProtocol.MaxTransactionBatchBytes);
        _peers = peers;
        _send = send;
        FlushDelay = flushDelay ?? DefaultFlushDelay;
        ArgumentOutOfRangeException.ThrowIfLessThan(FlushDelay, TimeSpan.Zero);
        FlushBytes = flushBytes;
        _timer = clock.CreateTimer(_ => Flush(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>How long the first waiting transaction waits for others.</summary>
    public TimeSpan FlushDelay { get; }

    /// <summary>Payload size at which a batch leaves without waiting.</summary>
    public int FlushBytes { get; }

    /// <summary>Batch frames sent (one per peer and batch).</summary>
    public long BatchesSent => Interlocked.Read(ref _batchesSent);

    /// <summary>Transactions sent, counted once per peer.</summary>
    public long TransactionsSent => Interlocked.Read(ref _transactionsSent);

    /// <summary>Number of transactions waiting.</summary>
    public int PendingCount
    {
        get
        {
            lock (_pendingLock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Queues transactions for every peer except <paramref name="from"/> (the peer they came from, if any).</summary>
    public void Enqueue(IReadOnlyList<Transaction> transactions, Hash? from)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        if (transactions.Count == 0)
        {
            return;
        }

        var full = false;
        lock (_pendingLock)
        {
            foreach (var transaction in transactions)
            {
                _pending.Add(new Pending(transaction, from));
                _pendingBytes += PeerProtocol.BatchEntryBytes(transaction);
            }

            full = _pendingBytes >= FlushBytes || _pending.Count >= PeerProtocol.MaxTransactionsPerBatch;
            if (!full && !_timerArmed)
            {
                _timerArmed = true;
                _timer.Change(FlushDelay, Timeout.InfiniteTimeSpan);
            }
        }

        if (full)
        {
            Flush();
        }
    }

    /// <summary>Sends everything waiting now.</summary>
    public void Flush()
    {
        lock (_sendLock)
        {
            List<Pending> taken;
            lock (_pendingLock)
            {
                taken = _pending;
                _pending = [];
                _pendingBytes = 0;
                _timerArmed = false;
                _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }

            if (taken.Count == 0)
            {
                return;
            }

            var peers = _peers();
            foreach (var peer in peers)
            {
                SendTo(peer, taken);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _timer.Dispose();

    // Splits what a peer should get into batches within the frame limits.
    private void SendTo(Hash peer, List<Pending> taken)
    {
        var batch = new List<Transaction>();
        var bytes = PeerProtocol.BatchOverheadBytes;
        foreach (var item in taken)
        {
            if (item.From == peer)
            {
                continue;
            }

            var size = PeerProtocol.BatchEntryBytes(item.Transaction);
            if (batch.Count > 0 && (bytes + size > PeerProtocol.MaxTransactionBatchBytes || batch.Count == PeerProtocol.MaxTransactionsPerBatch))
            {
                Send(peer, batch);
                batch = [];
                bytes = PeerProtocol.BatchOverheadBytes;
            }

            batch.Add(item.Transaction);
            bytes += size;
        }

        if (batch.Count > 0)
        {
            Send(peer, batch);
        }
    }

    private void Send(Hash peer, List<Transaction> batch)
    {
        if (_send(peer, PeerProtocol.EncodeTransactionBatch(batch)))
        {
            Interlocked.Increment(ref _batchesSent);
            Interlocked.Add(ref _transactionsSent, batch.Count);
        }
    }

    private readonly record struct Pending(Transaction Transaction, Hash? From);
}
