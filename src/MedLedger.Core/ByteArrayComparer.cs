namespace MedLedger.Core;

/// <summary>
/// Compares byte arrays by content: equality and hashing for dictionaries (also by <see cref="ReadOnlySpan{T}"/>,
/// without allocating, through an alternate lookup), and ordering as unsigned bytes, shorter first on a common
/// prefix — the key order of the ledger state.
/// </summary>
public sealed class ByteArrayComparer : IComparer<byte[]>, IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    /// <summary>The single instance.</summary>
    public static readonly ByteArrayComparer Instance = new();

    private ByteArrayComparer()
    {
    }

    /// <inheritdoc />
    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);

    /// <inheritdoc />
    public bool Equals(byte[]? x, byte[]? y) => x is null ? y is null : y is not null && x.AsSpan().SequenceEqual(y);

    /// <inheritdoc />
    public int GetHashCode(byte[] obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return GetHashCode(obj.AsSpan());
    }

    /// <inheritdoc />
    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    /// <inheritdoc />
    public int GetHashCode(ReadOnlySpan<byte> alternate)
    {
        var hash = new HashCode();
        hash.AddBytes(alternate);
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
}
