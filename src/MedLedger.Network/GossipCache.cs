using MedLedger.Core;

namespace MedLedger.Network;

/// <summary>
/// The hashes of gossip payloads seen lately, bounded: when full, the oldest is forgotten. A payload forgotten and
/// seen again is delivered and relayed again, which is harmless for idempotent messages (transactions, votes).
/// </summary>
internal sealed class GossipCache
{
    private readonly int _capacity;
    private readonly HashSet<Hash> _seen;
    private readonly Queue<Hash> _order;
    private readonly Lock _lock = new();

    public GossipCache(int capacity)
    {
        _capacity = capacity;
        _seen = new HashSet<Hash>(Math.Min(capacity, 4_096));
        _order = new Queue<Hash>(Math.Min(capacity, 4_096));
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _seen.Count;
            }
        }
    }

    /// <summary>Records <paramref name="hash"/>; false when it was already there.</summary>
    public bool TryAdd(Hash hash)
    {
        lock (_lock)
        {
            if (!_seen.Add(hash))
            {
                return false;
            }

            _order.Enqueue(hash);
            if (_order.Count > _capacity)
            {
                _seen.Remove(_order.Dequeue());
            }

            return true;
        }
    }
}
