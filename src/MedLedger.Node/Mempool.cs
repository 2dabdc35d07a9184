using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Node;

/// <summary>
/// Transactions admitted by <see cref="LedgerStateMachine.CheckTransaction"/> and waiting for a block, in
/// arrival order, bounded by <see cref="Limits.MaxMempoolTransactions"/> and <see cref="Limits.MaxMempoolBytes"/>.
/// One transaction per (sender, nonce). <see cref="Reap"/> keeps arrival order across senders but puts each
/// sender's transactions in nonce order, so concurrent submissions from one client do not refuse each other.
/// <para>
/// Nonces need only increase, so a sender may leave gaps; but in a consortium a sender's transactions can also reach
/// the proposer out of order (two submissions in flight at one node, gossiped in the order they were admitted). A block
/// holding nonce n+1 turns a late n into a replay. So when the committed nonce is known, <see cref="Reap"/> stops at a
/// gap in a sender's series while the transaction after the gap is younger than <see cref="GapGrace"/>: the missing
/// nonce gets that long to arrive; an older gap is a real one and is passed.
/// </para>
/// </summary>
public sealed class Mempool
{
    /// <summary>How long a transaction after a gap in its sender's nonces waits for the missing ones.</summary>
    public static readonly TimeSpan GapGrace = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _clock;
    private readonly Lock _lock = new();
    private readonly Dictionary<Hash, Entry> _byId = [];
    private readonly Dictionary<Hash, SortedDictionary<ulong, Hash>> _bySender = [];
    private readonly SortedDictionary<long, Hash> _order = [];
    private long _sequence;
    private long _bytes;

    public Mempool()
        : this(TimeProvider.System)
    {
    }

    public Mempool(TimeProvider clock) => _clock = clock;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byId.Count;
            }
        }
    }

    public bool Contains(Hash transactionId)
    {
        lock (_lock)
        {
            return _byId.ContainsKey(transactionId);
        }
    }

    public Transaction? Find(Hash transactionId)
    {
        lock (_lock)
        {
            return _byId.TryGetValue(transactionId, out var entry) ? entry.Transaction : null;
        }
    }

    public TransactionResult TryAdd(Transaction transaction, Hash transactionId)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        lock (_lock)
        {
            if (_byId.ContainsKey(transactionId) || (_bySender.TryGetValue(transaction.Sender, out var waiting) && waiting.ContainsKey(transaction.Nonce)))
            {
                return TransactionResult.Reject(TransactionRejection.Duplicate, "a transaction with this sender and nonce is already waiting");
            }

            if (_byId.Count >= Limits.MaxMempoolTransactions || _bytes + transaction.EncodedLength > Limits.MaxMempoolBytes)
            {
                return TransactionResult.Reject(TransactionRejection.MempoolFull, "the mempool is full; retry later");
            }

            var sequence = _sequence++;
            _byId[transactionId] = new Entry(transaction, sequence, _clock.GetTimestamp());
            if (!_bySender.TryGetValue(transaction.Sender, out var nonces))
            {
                _bySender[transaction.Sender] = nonces = [];
            }

            nonces[transaction.Nonce] = transactionId;
            _order[sequence] = transactionId;
            _bytes += transaction.EncodedLength;
            return TransactionResult.Accepted;
        }
    }

    /// <summary>
    /// Up to <paramref name="maxCount"/> transactions and <paramref name="maxBytes"/> bytes. Senders take turns in
    /// arrival order: each arrival is a slot of its sender, and the slot is filled with that sender's lowest waiting
    /// nonce not yet taken, so a block limit never cuts a sender's series above a gap it leaves behind. With
    /// <paramref name="committedNonce"/> (a sender's last committed nonce), a sender's series also stops at a gap whose
    /// next transaction arrived less than <see cref="GapGrace"/> ago.
    /// </summary>
    public IReadOnlyList<Transaction> Reap(int maxCount, long maxBytes, Func<Hash, ulong>? committedNonce = null)
    {
        lock (_lock)
        {
            var selected = new List<Transaction>(Math.Min(maxCount, _byId.Count));
            var cursors = new Dictionary<Hash, IEnumerator<Hash>>();
            var nextNonce = new Dictionary<Hash, ulong>();
            var held = new HashSet<Hash>();
            long bytes = 0;
            try
            {
                foreach (var arrival in _order.Values)
                {
                    var sender = _byId[arrival].Transaction.Sender;
                    if (held.Contains(sender))
                    {
                        continue;
                    }

                    if (!cursors.TryGetValue(sender, out var cursor))
                    {
                        cursors[sender] = cursor = _bySender[sender].Values.GetEnumerator();
                    }

                    Invariant.Check(cursor.MoveNext(), "a sender has as many waiting nonces as arrivals");
                    var entry = _byId[cursor.Current];
                    var transaction = entry.Transaction;
                    if (committedNonce is not null)
                    {
                        var expected = nextNonce.TryGetValue(sender, out var next) ? next : committedNonce(sender) + 1;
                        if (transaction.Nonce > expected && _clock.GetElapsedTime(entry.Arrived) < GapGrace)
                        {
                            held.Add(sender);
                            continue;
                        }

                        nextNonce[sender] = transaction.Nonce + 1;
                    }

                    if (selected.Count >= maxCount || bytes + transaction.EncodedLength > maxBytes)
                    {
                        break;
                    }

                    selected.Add(transaction);
                    bytes += transaction.EncodedLength;
                }
            }
            finally
            {
                foreach (var cursor in cursors.Values)
                {
                    cursor.Dispose();
                }
            }

            return selected;
        }
    }

    public void Remove(IEnumerable<Hash> transactionIds)
    {
        ArgumentNullException.ThrowIfNull(transactionIds);
        lock (_lock)
        {
            foreach (var id in transactionIds)
            {
                if (_byId.Remove(id, out var entry))
                {
                    var nonces = _bySender[entry.Transaction.Sender];
                    nonces.Remove(entry.Transaction.Nonce);
                    if (nonces.Count == 0)
                    {
                        _bySender.Remove(entry.Transaction.Sender);
                    }

                    _order.Remove(entry.Sequence);
                    _bytes -= entry.Transaction.EncodedLength;
                }
            }
        }
    }

    private sealed record Entry(Transaction Transaction, long Sequence, long Arrived);
}
