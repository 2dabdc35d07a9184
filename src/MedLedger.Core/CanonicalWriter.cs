using System.Buffers.Binary;
using System.Text;

namespace MedLedger.Core;

/// <summary>
/// Writes MedLedger's canonical binary encoding (docs/encoding.md): fixed-width big-endian integers,
/// 32-byte hashes as raw bytes, and byte strings, UTF-8 strings and lists prefixed by a 32-bit length or count.
/// The same value always encodes to the same bytes, so encodings can be hashed and signed.
/// </summary>
public sealed class CanonicalWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private byte[] _buffer;
    private int _length;

    /// <summary>Creates a writer with an initial capacity.</summary>
    public CanonicalWriter(int initialCapacity = 256)
    {
        _buffer = new byte[Math.Max(16, initialCapacity)];
    }

    /// <summary>Number of bytes written so far.</summary>
    public int Length => _length;

    /// <summary>The bytes written so far; valid until the next write.</summary>
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    /// <summary>A copy of the bytes written.</summary>
    public byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>Forgets what was written, keeping the buffer.</summary>
    public void Reset() => _length = 0;

    /// <summary>Writes one byte.</summary>
    public void WriteByte(byte value) => Reserve(1)[0] = value;

    /// <summary>Writes a boolean as one byte, 0 or 1.</summary>
    public void WriteBoolean(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    /// <summary>Writes two bytes, big-endian.</summary>
    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Reserve(2), value);

    /// <summary>Writes four bytes, big-endian.</summary>
    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Reserve(4), value);

    /// <summary>Writes eight bytes, big-endian.</summary>
    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Reserve(8), value);

    /// <summary>Writes eight bytes, big-endian two's complement.</summary>
    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64BigEndian(Reserve(8), value);

    /// <summary>Writes the 32 bytes of a hash, without a length prefix.</summary>
    public void WriteHash(Hash value) => value.CopyTo(Reserve(Hash.Size));

    /// <summary>Writes bytes as they are, without a length prefix (for fixed-size fields and domain tags).</summary>
    public void WriteRaw(ReadOnlySpan<byte> value) => value.CopyTo(Reserve(value.Length));

    /// <summary>Writes a 32-bit length followed by the bytes.</summary>
    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteUInt32(checked((uint)value.Length));
        WriteRaw(value);
    }

    /// <summary>Writes a 32-bit byte length followed by the UTF-8 bytes of the string.</summary>
    public void WriteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var byteCount = StrictUtf8.GetByteCount(value);
        WriteUInt32(checked((uint)byteCount));
        StrictUtf8.GetBytes(value, Reserve(byteCount));
    }

    /// <summary>Writes a 32-bit element count; the caller then writes the elements.</summary>
    public void WriteCount(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        WriteUInt32((uint)count);
    }

    private Span<byte> Reserve(int count)
    {
        if (_length + count > _buffer.Length)
        {
            var newSize = Math.Max(_buffer.Length * 2, _length + count);
            Array.Resize(ref _buffer, newSize);
        }

        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}
