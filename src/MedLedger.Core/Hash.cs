using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace MedLedger.Core;

/// <summary>
/// A 32-byte digest produced by the chain's crypto suite (SHA-256 in <c>standard</c>, SM3 in <c>gm</c>).
/// Immutable and cheap to copy; compares by value.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct Hash : IEquatable<Hash>, IComparable<Hash>
{
    /// <summary>The size of every hash in bytes.</summary>
    public const int Size = 32;

    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    /// <summary>Creates a hash from exactly 32 bytes.</summary>
    /// <exception cref="ArgumentException">The span is not 32 bytes long.</exception>
    public Hash(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"A hash is {Size} bytes, not {bytes.Length}.", nameof(bytes));
        }

        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>The all-zero hash, used where "no previous value" must be explicit (e.g. the parent of block 1).</summary>
    public static Hash Zero => default;

    /// <summary>True for the all-zero hash.</summary>
    public bool IsZero => (_a | _b | _c | _d) == 0;

    /// <summary>Writes the 32 bytes into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    /// <summary>The 32 bytes as a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        CopyTo(bytes);
        return bytes;
    }

    /// <summary>Lower-case hexadecimal, 64 characters.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>The first eight hex digits, for log lines.</summary>
    public string ToShortString() => ToString()[..8];

    /// <summary>Parses 64 hexadecimal characters.</summary>
    public static bool TryParse(string? text, out Hash hash)
    {
        hash = default;
        if (text is null || text.Length != Size * 2)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        if (Convert.FromHexString(text, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }

        hash = new Hash(bytes);
        return true;
    }

    /// <summary>Parses 64 hexadecimal characters or throws <see cref="FormatException"/>.</summary>
    public static Hash Parse(string text) =>
        TryParse(text, out var hash) ? hash : throw new FormatException("A hash is 64 hexadecimal characters.");

    /// <inheritdoc />
    public bool Equals(Hash other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Hash other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

    /// <summary>Orders hashes as unsigned big-endian numbers, i.e. by their bytes.</summary>
    public int CompareTo(Hash other)
    {
        var c = _a.CompareTo(other._a);
        if (c != 0)
        {
            return c;
        }

        c = _b.CompareTo(other._b);
        if (c != 0)
        {
            return c;
        }

        c = _c.CompareTo(other._c);
        return c != 0 ? c : _d.CompareTo(other._d);
    }

    /// <summary>Value equality.</summary>
    public static bool operator ==(Hash left, Hash right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(Hash left, Hash right) => !left.Equals(right);

    /// <summary>Byte order.</summary>
    public static bool operator <(Hash left, Hash right) => left.CompareTo(right) < 0;

    /// <summary>Byte order.</summary>
    public static bool operator >(Hash left, Hash right) => left.CompareTo(right) > 0;

    /// <summary>Byte order.</summary>
    public static bool operator <=(Hash left, Hash right) => left.CompareTo(right) <= 0;

    /// <summary>Byte order.</summary>
    public static bool operator >=(Hash left, Hash right) => left.CompareTo(right) >= 0;
}
