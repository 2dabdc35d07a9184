namespace MedLedger.Ledger;

/// <summary>
/// Staged writes over a base state. Reads see the writes; nothing reaches the base until the block commits.
/// A transaction executes in its own nested overlay, so a refused transaction leaves no trace in the block.
/// </summary>
public sealed class StateOverlay : IStateReader
{
    private readonly IStateReader _base;

    /// <summary>Creates an overlay over <paramref name="baseState"/>.</summary>
    public StateOverlay(IStateReader baseState)
    {
        _base = baseState ?? throw new ArgumentNullException(nameof(baseState));
    }

    /// <summary>The staged writes.</summary>
    public WriteSet Writes { get; } = new();

    /// <inheritdoc />
    public byte[]? GetValue(ReadOnlySpan<byte> key) => Writes.TryGet(key, out var value) ? value : _base.GetValue(key);

    /// <summary>Stages <paramref name="value"/> under <paramref name="key"/>.</summary>
    public void Set(byte[] key, byte[] value) => Writes.Set(key, value);

    /// <summary>Stages the deletion of <paramref name="key"/>.</summary>
    public void Delete(byte[] key) => Writes.Set(key, null);

    /// <summary>Copies this overlay's writes into <paramref name="target"/>.</summary>
    public void MergeInto(StateOverlay target)
    {
        ArgumentNullException.ThrowIfNull(target);
        Writes.CopyTo(target.Writes);
    }
}
