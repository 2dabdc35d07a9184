using System.Collections.Concurrent;
using MedLedger.Core;

namespace MedLedger.Ledger;

/// <summary>
/// Ids of transactions whose signatures have been verified, so that a node verifies each signature once, at
/// admission, and not again at execution (signature verification bounds throughput; DEPENDENCIES.md).
/// Sound because a transaction id hashes the whole envelope, signature and sender key id included, and a key id
/// is the hash of the one public key it names. Bounded: when full it is cleared, which only costs re-verification.
/// </summary>
public sealed class VerifiedSignatures
{
    private readonly ConcurrentDictionary<Hash, byte> _ids = new();
    private readonly int _capacity;

    // ConcurrentDictionary.Count takes every lock of the dictionary; an approximate count is enough for a bound.
    private int _count;

    /// <summary>Creates a cache holding at most <paramref name="capacity"/> ids.</summary>
    public VerifiedSignatures(int capacity = 2 * Limits.MaxMempoolTransactions)
    {
        _capacity = capacity;
    }

    /// <summary>Records that the transaction's signature verified.</summary>
    public void Add(Hash transactionId)
    {
        if (Volatile.Read(ref _count) >= _capacity)
        {
            _ids.Clear();
            Volatile.Write(ref _count, 0);
        }

        if (_ids.TryAdd(transactionId, 0))
        {
            Interlocked.Increment(ref _count);
        }
    }

    /// <summary>True when the transaction's signature was verified before.</summary>
    public bool Contains(Hash transactionId) => _ids.ContainsKey(transactionId);

    /// <summary>Forgets a transaction once it is committed.</summary>
    public void Remove(Hash transactionId)
    {
        if (_ids.TryRemove(transactionId, out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }
}
