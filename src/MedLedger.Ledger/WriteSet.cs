using MedLedger.Core;

namespace MedLedger.Ledger;

/// <summary>
/// The state changes of a block, in key order with one change per key (the last write wins). A null value
/// deletes. This is what the store persists next to the block, in the same database transaction.
/// </summary>
public sealed class WriteSet
{
    // Hashed for reads (by span, without copying the key); sorted once when the changes are enumerated.
    private readonly Dictionary<byte[], byte[]?> _changes;
    private readonly Dictionary<byte[], byte[]?>.AlternateLookup<ReadOnlySpan<byte>> _bySpan;
    private StateChange[]? _sorted;

    /// <summary>Creates an empty write set.</summary>
    public WriteSet()
    {
        _changes = new Dictionary<byte[], byte[]?>(ByteArrayComparer.Instance);
        _bySpan = _changes.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>The changes, in key order.</summary>
    public IEnumerable<StateChange> Changes => _sorted ??= Sort();

    /// <summary>Number of keys changed.</summary>
    public int Count => _changes.Count;

    /// <summary>Records that <paramref name="key"/> now holds <paramref name="value"/> (null deletes).</summary>
    public void Set(byte[] key, byte[]? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        Invariant.Check(key.Length is > 0 and <= Limits.MaxStateKeyBytes, "state keys are 1..MaxStateKeyBytes long");
        Invariant.Check(value is null || value.Length <= Limits.MaxStateValueBytes, "state values fit MaxStateValueBytes");
        _changes[key] = value;
        _sorted = null;
    }

    /// <summary>True when the set changes <paramref name="key"/>; <paramref name="value"/> is the new value or null if deleted.</summary>
    public bool TryGet(byte[] key, out byte[]? value) => _changes.TryGetValue(key, out value);

    /// <summary>True when the set changes <paramref name="key"/>; <paramref name="value"/> is the new value or null if deleted.</summary>
    public bool TryGet(ReadOnlySpan<byte> key, out byte[]? value) => _bySpan.TryGetValue(key, out value);

    /// <summary>Copies every change into <paramref name="target"/> (in no particular order; the last write wins there).</summary>
    internal void CopyTo(WriteSet target)
    {
        foreach (var (key, value) in _changes)
        {
            target.Set(key, value);
        }
    }

    private StateChange[] Sort()
    {
        var sorted = new StateChange[_changes.Count];
        var i = 0;
        foreach (var (key, value) in _changes)
        {
            sorted[i++] = new StateChange(key, value);
        }

        Array.Sort(sorted, static (x, y) => ByteArrayComparer.Instance.Compare(x.Key, y.Key));
        return sorted;
    }
}

/// <summary>One key's new value, or null for a deletion.</summary>
public readonly record struct StateChange(byte[] Key, byte[]? Value);
