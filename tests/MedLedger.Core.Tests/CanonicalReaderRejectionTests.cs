namespace MedLedger.Core.Tests;

/// <summary>The reader is strict: every malformed input is a <see cref="DecodingException"/>, never a crash or a guess.</summary>
public sealed class CanonicalReaderRejectionTests
{
    // One field of every kind, so that cutting it anywhere lands inside every kind of field.
    private static readonly byte[] Composite = BuildComposite();

    // Proves truncation is detected at every cut point of a buffer holding every kind of field, and that the uncut
    // buffer reads cleanly (so the failures come from the cuts alone).
    [Fact]
    public void ReadComposite_TruncatedAtEveryCutPoint_ThrowsDecodingException()
    {
        ReadComposite(Composite);
        for (var cut = 0; cut < Composite.Length; cut++)
        {
            var truncated = Composite[..cut];
            var exception = Record.Exception(() => ReadComposite(truncated));
            Assert.True(exception is DecodingException, $"cut at {cut} of {Composite.Length}: {exception?.GetType().Name ?? "no exception"}");
        }
    }

    // Proves each fixed-width read refuses input one byte short of its width.
    [Fact]
    public void FixedWidthReads_OneByteShort_ThrowDecodingException()
    {
        Assert.Throws<DecodingException>(() => new CanonicalReader([]).ReadByte());
        Assert.Throws<DecodingException>(() => new CanonicalReader([]).ReadBoolean());
        Assert.Throws<DecodingException>(() => new CanonicalReader(new byte[1]).ReadUInt16());
        Assert.Throws<DecodingException>(() => new CanonicalReader(new byte[3]).ReadUInt32());
        Assert.Throws<DecodingException>(() => new CanonicalReader(new byte[7]).ReadUInt64());
        Assert.Throws<DecodingException>(() => new CanonicalReader(new byte[7]).ReadInt64());
        Assert.Throws<DecodingException>(() => new CanonicalReader(new byte[31]).ReadHash());
        Assert.Throws<DecodingException>(() => new CanonicalReader(new byte[2]).ReadRaw(3));
        Assert.Throws<DecodingException>(() => new CanonicalReader(new byte[3]).ReadCount(10));
    }

    // Proves a byte string or string longer than the caller's limit is refused even when the bytes are all there,
    // and that exactly the limit is accepted.
    [Fact]
    public void ReadBytesAndString_LengthAboveLimit_ThrowDecodingException()
    {
        var five = Prefixed(5, "abcde"u8);
        Assert.Throws<DecodingException>(() => new CanonicalReader(five).ReadBytes(4));
        Assert.Throws<DecodingException>(() => new CanonicalReader(five).ReadBytesSpan(4));
        Assert.Throws<DecodingException>(() => new CanonicalReader(five).ReadString(4));
        Assert.Equal(5, new CanonicalReader(five).ReadBytes(5).Length);
        Assert.Equal("abcde", new CanonicalReader(five).ReadString(5));
    }

    // Proves a count above the caller's limit is refused, and exactly the limit is accepted.
    [Fact]
    public void ReadCount_CountAboveLimit_ThrowsDecodingException()
    {
        Assert.Throws<DecodingException>(() => new CanonicalReader(Prefixed(129, [])).ReadCount(128));
        Assert.Equal(128, new CanonicalReader(Prefixed(128, [])).ReadCount(128));
        Assert.Throws<DecodingException>(() => new CanonicalReader(Prefixed(uint.MaxValue, [])).ReadCount(int.MaxValue));
        Assert.Throws<DecodingException>(() => new CanonicalReader(Prefixed(0x80000000, [])).ReadCount(int.MaxValue));
    }

    // Proves a huge declared length over a tiny buffer is refused before anything is allocated: the reader compares
    // the length with the remaining input first. Measured with the thread's allocation counter (a 2 GiB buffer
    // would show; the exception itself costs a few KiB).
    [Fact]
    public void ReadBytes_HugeLengthPrefixOverTinyBuffer_ThrowsWithoutAllocating()
    {
        byte[][] inputs = [Prefixed(uint.MaxValue, "xy"u8), Prefixed(int.MaxValue, "xy"u8), Prefixed(0x10000000, [])];
        foreach (var input in inputs)
        {
            Assert.Throws<DecodingException>(() => new CanonicalReader(input).ReadBytes(int.MaxValue));
            var before = GC.GetAllocatedBytesForCurrentThread();
            Assert.Throws<DecodingException>(() => new CanonicalReader(input).ReadBytes(int.MaxValue));
            Assert.Throws<DecodingException>(() => new CanonicalReader(input).ReadString(int.MaxValue));
            Assert.Throws<DecodingException>(() => new CanonicalReader(input).ReadBytesSpan(int.MaxValue));
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 256 * 1024, $"prefix {TestHex.Of(input.AsSpan(0, 4))}: {allocated} bytes allocated while rejecting");
        }
    }

    // Proves EnsureEnd refuses any trailing byte after a complete value, and accepts the exact end.
    [Fact]
    public void EnsureEnd_TrailingBytes_ThrowsDecodingException()
    {
        var withGarbage = Composite.Concat((byte[])[0x00]).ToArray();
        var exception = Assert.Throws<DecodingException>(() => ReadComposite(withGarbage));
        Assert.Contains("trailing", exception.Message, StringComparison.Ordinal);

        Assert.Throws<DecodingException>(() =>
        {
            var reader = new CanonicalReader([0x01, 0x02]);
            reader.ReadByte();
            reader.EnsureEnd();
        });

        var exact = new CanonicalReader([0x01]);
        exact.ReadByte();
        exact.EnsureEnd();
        new CanonicalReader([]).EnsureEnd();
    }

    // Proves a boolean byte other than 0 or 1 is refused, for all 254 such bytes, so a boolean has one encoding.
    [Fact]
    public void ReadBoolean_ByteOtherThanZeroOrOne_ThrowsDecodingException()
    {
        for (var value = 2; value <= byte.MaxValue; value++)
        {
            var input = new[] { (byte)value };
            var exception = Record.Exception(() => new CanonicalReader(input).ReadBoolean());
            Assert.True(exception is DecodingException, $"boolean byte {value}: {exception?.GetType().Name ?? "accepted"}");
        }
    }

    public static TheoryData<string> InvalidUtf8 =>
    [
        "80",          // a continuation byte with no lead byte
        "c3",          // a 2-byte sequence cut short
        "e282",        // a 3-byte sequence cut short
        "c080",        // overlong encoding of U+0000
        "e080af",      // overlong encoding of '/'
        "eda080",      // a UTF-16 surrogate (U+D800) encoded in UTF-8
        "f4908080",    // above U+10FFFF
        "ff",          // a byte that never occurs in UTF-8
        "41fe42",      // an invalid byte between valid ones
    ];

    // Proves strings must be valid UTF-8: truncated, overlong, surrogate and out-of-range sequences are refused,
    // so that a string has exactly one encoding.
    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public void ReadString_InvalidUtf8_ThrowsDecodingException(string hex)
    {
        var body = TestHex.Bytes(hex);
        var input = Prefixed((uint)body.Length, body);
        var exception = Assert.Throws<DecodingException>(() => new CanonicalReader(input).ReadString(100));
        Assert.Contains("UTF-8", exception.Message, StringComparison.Ordinal);
    }

    // Proves Position and Remaining track the reader exactly.
    [Fact]
    public void PositionAndRemaining_AfterReads_AreExact()
    {
        var reader = new CanonicalReader(Composite);
        Assert.Equal(0, reader.Position);
        Assert.Equal(Composite.Length, reader.Remaining);
        reader.ReadByte();
        reader.ReadBoolean();
        Assert.Equal(2, reader.Position);
        Assert.Equal(Composite.Length - 2, reader.Remaining);
    }

    private static byte[] BuildComposite()
    {
        var writer = new CanonicalWriter();
        writer.WriteByte(7);
        writer.WriteBoolean(true);
        writer.WriteUInt16(0xBEEF);
        writer.WriteUInt32(0xCAFEBABE);
        writer.WriteUInt64(0x0123456789ABCDEF);
        writer.WriteInt64(-5);
        writer.WriteHash(new Hash(Enumerable.Repeat((byte)0x42, 32).ToArray()));
        writer.WriteRaw([1, 2, 3]);
        writer.WriteBytes([9, 8, 7, 6]);
        writer.WriteString("é€\U0001F9EC");
        writer.WriteCount(2);
        writer.WriteUInt16(1);
        writer.WriteUInt16(2);
        return writer.ToArray();
    }

    private static void ReadComposite(byte[] input)
    {
        var reader = new CanonicalReader(input);
        Assert.Equal(7, reader.ReadByte());
        Assert.True(reader.ReadBoolean());
        Assert.Equal(0xBEEF, reader.ReadUInt16());
        Assert.Equal(0xCAFEBABE, reader.ReadUInt32());
        Assert.Equal(0x0123456789ABCDEFUL, reader.ReadUInt64());
        Assert.Equal(-5, reader.ReadInt64());
        reader.ReadHash();
        reader.ReadRaw(3);
        Assert.Equal(4, reader.ReadBytes(4).Length);
        Assert.Equal("é€\U0001F9EC", reader.ReadString(9));
        var count = reader.ReadCount(2);
        for (var i = 0; i < count; i++)
        {
            reader.ReadUInt16();
        }

        reader.EnsureEnd();
    }

    private static byte[] Prefixed(uint length, ReadOnlySpan<byte> body)
    {
        var writer = new CanonicalWriter();
        writer.WriteUInt32(length);
        writer.WriteRaw(body);
        return writer.ToArray();
    }
}
