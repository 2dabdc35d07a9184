using MedLedger.Core;

namespace MedLedger.Ledger;

/// <summary>
/// The state changes of a block, in key order with one change per key (the last write wins). A null value
/// deletes. This is what the store persists next to the block, in the same database transaction.
/// </summary>
public sealed class WriteSet
{
    private readonly SortedDictionary<byte[], byte[]?> _changes = new(KeyComparer.Instance);

    /// <summary>The changes, in key order.</summary>
    public IEnumerable<StateChange> Changes => _changes.Select(pair => new StateChange(pair.Key, pair.Value));

    /// <summary>Number of keys changed.</summary>
    public int Count => _changes.Count;

    /// <summary>Records that <paramref name="key"/> now holds <paramref name="value"/> (null deletes).</summary>
    public void Set(byte[] key, byte[]? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        Invariant.Check(key.Length is > 0 and <= Limits.MaxStateKeyBytes, "state keys are 1..MaxStateKeyBytes long");
        Invariant.Check(value is null || value.Length <= Limits.MaxStateValueBytes, "state values fit MaxStateValueBytes");
        _changes[key] = value;
    }

    /// <summary>True when the set changes <paramref name="key"/>; <paramref name="value"/> is the new value or null if deleted.</summary>
    public bool TryGet(byte[] key, out byte[]? value) => _changes.TryGetValue(key, out value);
}

/// <summary>One key's new value, or null for a deletion.</summary>
public readonly record struct StateChange(byte[] Key, byte[]? Value);
