using System.Buffers.Binary;
using System.Text;

namespace MedLedger.Core;

/// <summary>
/// Reads MedLedger's canonical binary encoding strictly: every length and count is checked against a limit
/// the caller names before anything is allocated, booleans must be 0 or 1, strings must be valid UTF-8, and
/// <see cref="EnsureEnd"/> rejects trailing bytes. Any violation throws <see cref="DecodingException"/>.
/// </summary>
public ref struct CanonicalReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    /// <summary>Creates a reader over <paramref name="data"/>.</summary>
    public CanonicalReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>Bytes not yet read.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>Bytes read so far.</summary>
    public readonly int Position => _position;

    /// <summary>Reads one byte.</summary>
    public byte ReadByte() => Take(1)[0];

    /// <summary>Reads a boolean; only 0 and 1 are accepted.</summary>
    public bool ReadBoolean()
    {
        var value = ReadByte();
        return value switch
        {
            0 => false,
            1 => true,
            _ => throw new DecodingException($"A boolean is 0 or 1, not {value}."),
        };
    }

    /// <summary>Reads a big-endian 16-bit integer.</summary>
    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    /// <summary>Reads a big-endian 32-bit integer.</summary>
    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    /// <summary>Reads a big-endian 64-bit integer.</summary>
    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    /// <summary>Reads a big-endian 64-bit two's complement integer.</summary>
    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    /// <summary>Reads the 32 bytes of a hash.</summary>
    public Hash ReadHash() => new(Take(Hash.Size));

    /// <summary>Reads <paramref name="count"/> bytes without a length prefix.</summary>
    public ReadOnlySpan<byte> ReadRaw(int count) => Take(count);

    /// <summary>Reads a length-prefixed byte string of at most <paramref name="maxLength"/> bytes.</summary>
    public byte[] ReadBytes(int maxLength) => ReadBytesSpan(maxLength).ToArray();

    /// <summary>Reads a length-prefixed byte string of at most <paramref name="maxLength"/> bytes, without copying.</summary>
    public ReadOnlySpan<byte> ReadBytesSpan(int maxLength)
    {
        var length = ReadLength(maxLength, "byte string");
        return Take(length);
    }

    /// <summary>Reads a length-prefixed UTF-8 string of at most <paramref name="maxBytes"/> bytes.</summary>
    public string ReadString(int maxBytes)
    {
        var bytes = ReadBytesSpan(maxBytes);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException exception)
        {
            throw new DecodingException("A string is not valid UTF-8.", exception);
        }
    }

    /// <summary>Reads a 32-bit element count of at most <paramref name="maxCount"/>.</summary>
    public int ReadCount(int maxCount) => ReadLength(maxCount, "list");

    /// <summary>Throws unless every byte has been read.</summary>
    public readonly void EnsureEnd()
    {
        if (Remaining != 0)
        {
            throw new DecodingException($"{Remaining} trailing byte(s) after the encoded value.");
        }
    }

    private int ReadLength(int max, string what)
    {
        var length = ReadUInt32();
        if (length > (uint)max)
        {
            throw new DecodingException($"A {what} of {length} exceeds the limit of {max}.");
        }

        if (what == "byte string" && length > (uint)Remaining)
        {
            throw new DecodingException($"A {what} of {length} bytes runs past the end of the input ({Remaining} left).");
        }

        return (int)length;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw new DecodingException($"Truncated input: needed {count} byte(s) at offset {_position}, {Remaining} left.");
        }

        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}
