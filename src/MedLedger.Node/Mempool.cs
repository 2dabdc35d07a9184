using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Node;

/// <summary>
/// Transactions admitted by <see cref="LedgerStateMachine.CheckTransaction"/> and waiting for a block, in
/// arrival order, bounded by <see cref="Limits.MaxMempoolTransactions"/> and <see cref="Limits.MaxMempoolBytes"/>.
/// One transaction per (sender, nonce). <see cref="Reap"/> keeps arrival order across senders but puts each
/// sender's transactions in nonce order, so concurrent submissions from one client do not refuse each other.
/// </summary>
public sealed class Mempool
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Hash, Entry> _byId = [];
    private readonly HashSet<(Hash Sender, ulong Nonce)> _senderNonces = [];
    private readonly SortedDictionary<long, Hash> _order = [];
    private long _sequence;
    private long _bytes;

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
            if (_byId.ContainsKey(transactionId) || _senderNonces.Contains((transaction.Sender, transaction.Nonce)))
            {
                return TransactionResult.Reject(TransactionRejection.Duplicate, "a transaction with this sender and nonce is already waiting");
            }

            if (_byId.Count >= Limits.MaxMempoolTransactions || _bytes + transaction.EncodedLength > Limits.MaxMempoolBytes)
            {
                return TransactionResult.Reject(TransactionRejection.MempoolFull, "the mempool is full; retry later");
            }

            var sequence = _sequence++;
            _byId[transactionId] = new Entry(transaction, sequence);
            _senderNonces.Add((transaction.Sender, transaction.Nonce));
            _order[sequence] = transactionId;
            _bytes += transaction.EncodedLength;
            return TransactionResult.Accepted;
        }
    }

    /// <summary>Up to <paramref name="maxCount"/> transactions and <paramref name="maxBytes"/> bytes, oldest first.</summary>
    public IReadOnlyList<Transaction> Reap(int maxCount, long maxBytes)
    {
        List<Transaction> selected;
        lock (_lock)
        {
            selected = new List<Transaction>(Math.Min(maxCount, _byId.Count));
            long bytes = 0;
            foreach (var id in _order.Values)
            {
                var transaction = _byId[id].Transaction;
                if (selected.Count >= maxCount || bytes + transaction.EncodedLength > maxBytes)
                {
                    break;
                }

                selected.Add(transaction);
                bytes += transaction.EncodedLength;
            }
        }

        // Each sender's transactions go into the slots that sender occupies, in nonce order.
        var slots = new Dictionary<Hash, List<int>>();
        for (var i = 0; i < selected.Count; i++)
        {
            if (!slots.TryGetValue(selected[i].Sender, out var list))
            {
                slots[selected[i].Sender] = list = [];
            }

            list.Add(i);
        }

        var ordered = new Transaction[selected.Count];
        foreach (var positions in slots.Values)
        {
            var bySender = positions.Select(p => selected[p]).OrderBy(t => t.Nonce).ToList();
            for (var i = 0; i < positions.Count; i++)
            {
                ordered[positions[i]] = bySender[i];
            }
        }

        return ordered;
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
                    _senderNonces.Remove((entry.Transaction.Sender, entry.Transaction.Nonce));
                    _order.Remove(entry.Sequence);
                    _bytes -= entry.Transaction.EncodedLength;
                }
            }
        }
    }

    private sealed record Entry(Transaction Transaction, long Sequence);
}
