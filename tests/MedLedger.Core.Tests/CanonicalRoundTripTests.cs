namespace MedLedger.Core.Tests;

/// <summary>Property-style round trips: every primitive, written then read, gives back the value and nothing more.</summary>
public sealed class CanonicalRoundTripTests
{
    // Fixed seed: a failure names it, and rerunning reproduces it exactly.
    private const int Seed = 6_962_2025;
    private const int Iterations = 2_000;

    private delegate T ReadValue<T>(ref CanonicalReader reader);

    // Proves bytes round-trip: all 256 values, each encoded as exactly one byte.
    [Fact]
    public void Byte_AllValues_RoundTrip()
    {
        for (var value = 0; value <= byte.MaxValue; value++)
        {
            AssertRoundTrip((byte)value, (w, v) => w.WriteByte(v), (ref r) => r.ReadByte(), 1, $"byte {value}");
        }
    }

    // Proves booleans round-trip and take one byte each.
    [Fact]
    public void Boolean_BothValues_RoundTrip()
    {
        AssertRoundTrip(false, (w, v) => w.WriteBoolean(v), (ref r) => r.ReadBoolean(), 1, "false");
        AssertRoundTrip(true, (w, v) => w.WriteBoolean(v), (ref r) => r.ReadBoolean(), 1, "true");
    }

    // Proves 16-bit integers round-trip: edge values, then seeded random values, each exactly 2 bytes.
    [Fact]
    public void UInt16_EdgeAndRandomValues_RoundTrip()
    {
        var random = new Random(Seed);
        ushort[] edges = [0, 1, 0x00FF, 0x0100, 0x7FFF, 0x8000, ushort.MaxValue - 1, ushort.MaxValue];
        foreach (var value in edges)
        {
            AssertRoundTrip(value, (w, v) => w.WriteUInt16(v), (ref r) => r.ReadUInt16(), 2, $"edge {value}");
        }

        for (var i = 0; i < Iterations; i++)
        {
            var value = (ushort)random.Next(0, ushort.MaxValue + 1);
            AssertRoundTrip(value, (w, v) => w.WriteUInt16(v), (ref r) => r.ReadUInt16(), 2, $"seed {Seed}, iteration {i}");
        }
    }

    // Proves 32-bit integers round-trip: edge values, then seeded random values, each exactly 4 bytes.
    [Fact]
    public void UInt32_EdgeAndRandomValues_RoundTrip()
    {
        var random = new Random(Seed);
        uint[] edges = [0, 1, 0xFF, 0x100, 0xFFFF, 0x10000, int.MaxValue, 0x80000000, uint.MaxValue - 1, uint.MaxValue];
        foreach (var value in edges)
        {
            AssertRoundTrip(value, (w, v) => w.WriteUInt32(v), (ref r) => r.ReadUInt32(), 4, $"edge {value}");
        }

        for (var i = 0; i < Iterations; i++)
        {
            var value = RandomUInt32(random);
            AssertRoundTrip(value, (w, v) => w.WriteUInt32(v), (ref r) => r.ReadUInt32(), 4, $"seed {Seed}, iteration {i}");
        }
    }

    // Proves 64-bit unsigned integers round-trip: edge values, then seeded random values of every magnitude.
    [Fact]
    public void UInt64_EdgeAndRandomValues_RoundTrip()
    {
        var random = new Random(Seed);
        ulong[] edges = [0, 1, uint.MaxValue, (ulong)uint.MaxValue + 1, long.MaxValue, 0x8000000000000000, ulong.MaxValue - 1, ulong.MaxValue];
        foreach (var value in edges)
        {
            AssertRoundTrip(value, (w, v) => w.WriteUInt64(v), (ref r) => r.ReadUInt64(), 8, $"edge {value}");
        }

        for (var i = 0; i < Iterations; i++)
        {
            // Shift by a random amount so that small, medium and large values are all common.
            var value = RandomUInt64(random) >> random.Next(0, 64);
            AssertRoundTrip(value, (w, v) => w.WriteUInt64(v), (ref r) => r.ReadUInt64(), 8, $"seed {Seed}, iteration {i}");
        }
    }

    // Proves 64-bit signed integers round-trip, negative values included (two's complement, big-endian).
    [Fact]
    public void Int64_EdgeAndRandomValues_RoundTrip()
    {
        var random = new Random(Seed);
        long[] edges = [0, 1, -1, long.MinValue, long.MinValue + 1, long.MaxValue, int.MinValue, int.MaxValue];
        foreach (var value in edges)
        {
            AssertRoundTrip(value, (w, v) => w.WriteInt64(v), (ref r) => r.ReadInt64(), 8, $"edge {value}");
        }

        for (var i = 0; i < Iterations; i++)
        {
            var value = (long)(RandomUInt64(random) >> random.Next(0, 64)) * (random.Next(2) == 0 ? 1 : -1);
            AssertRoundTrip(value, (w, v) => w.WriteInt64(v), (ref r) => r.ReadInt64(), 8, $"seed {Seed}, iteration {i}");
        }
    }

    // Proves hashes round-trip as exactly 32 raw bytes: zero, all-ones and seeded random hashes.
    [Fact]
    public void Hash_EdgeAndRandomValues_RoundTrip()
    {
        var random = new Random(Seed);
        AssertRoundTrip(Hash.Zero, (w, v) => w.WriteHash(v), (ref r) => r.ReadHash(), 32, "zero");
        AssertRoundTrip(new Hash(Enumerable.Repeat((byte)0xFF, 32).ToArray()), (w, v) => w.WriteHash(v), (ref r) => r.ReadHash(), 32, "ones");
        for (var i = 0; i < Iterations; i++)
        {
            var value = RandomHash(random);
            AssertRoundTrip(value, (w, v) => w.WriteHash(v), (ref r) => r.ReadHash(), 32, $"seed {Seed}, iteration {i}");
        }
    }

    // Proves raw bytes are written as they are, without a prefix, and read back by count.
    [Fact]
    public void Raw_RandomValues_RoundTrip()
    {
        var random = new Random(Seed);
        for (var i = 0; i < Iterations; i++)
        {
            var value = RandomBytes(random, random.Next(0, 300));
            var length = value.Length;
            AssertRoundTrip(value, (w, v) => w.WriteRaw(v), (ref r) => r.ReadRaw(length).ToArray(), length, $"seed {Seed}, iteration {i}", BytesEqual);
        }
    }

    // Proves byte strings round-trip through both ReadBytes and ReadBytesSpan, as a 4-byte length plus the bytes.
    [Fact]
    public void Bytes_RandomValues_RoundTrip()
    {
        var random = new Random(Seed);
        for (var i = 0; i < Iterations; i++)
        {
            // Lengths near 0 are the interesting ones; a few are long enough to force the writer to grow.
            var value = RandomBytes(random, i % 50 == 0 ? random.Next(1_000, 70_000) : random.Next(0, 40));
            AssertRoundTrip(value, (w, v) => w.WriteBytes(v), (ref r) => r.ReadBytes(value.Length), 4 + value.Length, $"seed {Seed}, iteration {i}", BytesEqual);
            AssertRoundTrip(value, (w, v) => w.WriteBytes(v), (ref r) => r.ReadBytesSpan(int.MaxValue).ToArray(), 4 + value.Length, $"seed {Seed}, iteration {i} (span)", BytesEqual);
        }
    }

    // Proves strings round-trip for every plane of Unicode (ASCII, 2-, 3- and 4-byte UTF-8), length-prefixed in bytes.
    [Fact]
    public void String_RandomUnicode_RoundTrip()
    {
        var random = new Random(Seed);
        string[] edges = ["", "a", "\0", "é", "€", "\U0001F9EC", "medledger-main", "\uFEFFbom kept", new string('x', 1_000)];
        foreach (var value in edges)
        {
            var byteCount = System.Text.Encoding.UTF8.GetByteCount(value);
            AssertRoundTrip(value, (w, v) => w.WriteString(v), (ref r) => r.ReadString(byteCount), 4 + byteCount, $"edge '{value}'");
        }

        for (var i = 0; i < Iterations; i++)
        {
            var value = RandomString(random, random.Next(0, 30));
            var byteCount = System.Text.Encoding.UTF8.GetByteCount(value);
            AssertRoundTrip(value, (w, v) => w.WriteString(v), (ref r) => r.ReadString(byteCount), 4 + byteCount, $"seed {Seed}, iteration {i}");
        }
    }

    // Proves element counts round-trip as 4 bytes, up to int.MaxValue.
    [Fact]
    public void Count_EdgeAndRandomValues_RoundTrip()
    {
        var random = new Random(Seed);
        int[] edges = [0, 1, 127, 128, 10_000, int.MaxValue];
        foreach (var value in edges)
        {
            AssertRoundTrip(value, (w, v) => w.WriteCount(v), (ref r) => r.ReadCount(int.MaxValue), 4, $"edge {value}");
        }

        for (var i = 0; i < Iterations; i++)
        {
            var value = random.Next(0, int.MaxValue);
            AssertRoundTrip(value, (w, v) => w.WriteCount(v), (ref r) => r.ReadCount(value), 4, $"seed {Seed}, iteration {i}");
        }
    }

    // Proves primitives compose: a seeded random sequence of mixed fields written into one buffer reads back in
    // order, field by field, and the reader ends exactly at the end.
    [Fact]
    public void MixedSequence_RandomFields_RoundTrip()
    {
        for (var run = 0; run < 200; run++)
        {
            var seed = Seed + run;
            var random = new Random(seed);
            var fields = new List<(int Kind, object Value)>();
            var writer = new CanonicalWriter(16);
            for (var f = 0; f < random.Next(1, 40); f++)
            {
                var kind = random.Next(0, 9);
                object value = kind switch
                {
                    0 => (byte)random.Next(256),
                    1 => random.Next(2) == 1,
                    2 => (ushort)random.Next(ushort.MaxValue + 1),
                    3 => RandomUInt32(random),
                    4 => RandomUInt64(random),
                    5 => (long)RandomUInt64(random),
                    6 => RandomHash(random),
                    7 => RandomBytes(random, random.Next(0, 20)),
                    _ => RandomString(random, random.Next(0, 10)),
                };
                Write(writer, kind, value);
                fields.Add((kind, value));
            }

            var reader = new CanonicalReader(writer.WrittenSpan);
            for (var f = 0; f < fields.Count; f++)
            {
                var (kind, expected) = fields[f];
                var actual = Read(ref reader, kind);
                var equal = expected is byte[] bytes ? BytesEqual(bytes, (byte[])actual) : expected.Equals(actual);
                Assert.True(equal, $"seed {seed}, field {f} (kind {kind}): wrote {expected}, read {actual}");
            }

            Assert.True(reader.Remaining == 0, $"seed {seed}: {reader.Remaining} bytes left over");
            reader.EnsureEnd();
        }
    }

    // Proves Reset forgets what was written while the writer stays usable, and growth keeps earlier bytes intact.
    [Fact]
    public void Writer_ResetAndGrowth_KeepsBytesExact()
    {
        var writer = new CanonicalWriter(0);
        writer.WriteUInt32(0xDEADBEEF);
        writer.Reset();
        Assert.Equal(0, writer.Length);
        writer.WriteByte(0xAB);
        var big = Enumerable.Range(0, 5_000).Select(i => (byte)i).ToArray();
        writer.WriteRaw(big);
        Assert.Equal(5_001, writer.Length);
        Assert.Equal(0xAB, writer.ToArray()[0]);
        Assert.Equal(big, writer.ToArray()[1..]);
    }

    // Proves the writer refuses values it cannot encode instead of writing something undecodable.
    [Fact]
    public void Writer_NegativeCountOrNullString_Throws()
    {
        var writer = new CanonicalWriter();
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.WriteCount(-1));
        Assert.Throws<ArgumentNullException>(() => writer.WriteString(null!));
        Assert.Equal(0, writer.Length);
    }

    // Proves the string encoding is injective, which signatures over strings rely on: a string that is not valid
    // UTF-16 (a lone surrogate) is refused, not silently encoded as U+FFFD, which is the encoding of another string.
    [Fact]
    public void WriteString_LoneSurrogate_IsRefused()
    {
        var lone = new CanonicalWriter();
        var threw = false;
        try
        {
            lone.WriteString("id\uD800");
        }
        catch (ArgumentException)
        {
            // EncoderFallbackException, thrown by a strict UTF-8 encoder, is an ArgumentException.
            threw = true;
        }

        var replacement = new CanonicalWriter();
        replacement.WriteString("id\uFFFD");
        Assert.True(
            threw,
            $"\"id\\uD800\" encoded as {TestHex.Of(lone.WrittenSpan)}, the same bytes as \"id\\uFFFD\" ({TestHex.Of(replacement.WrittenSpan)}).");
    }

    private static void AssertRoundTrip<T>(T value, Action<CanonicalWriter, T> write, ReadValue<T> read, int expectedLength, string context, Func<T, T, bool>? equal = null)
    {
        // A tiny initial capacity makes every case exercise the writer's growth path too.
        var writer = new CanonicalWriter(1);
        write(writer, value);
        Assert.True(writer.Length == expectedLength, $"{context}: encoded {writer.Length} bytes, expected {expectedLength}");
        var reader = new CanonicalReader(writer.WrittenSpan);
        var decoded = read(ref reader);
        Assert.True(reader.Remaining == 0, $"{context}: {reader.Remaining} bytes left after reading");
        reader.EnsureEnd();
        var same = equal?.Invoke(value, decoded) ?? EqualityComparer<T>.Default.Equals(value, decoded);
        Assert.True(same, $"{context}: wrote {Show(value)}, read {Show(decoded)}");
    }

    private static void Write(CanonicalWriter writer, int kind, object value)
    {
        switch (kind)
        {
            case 0: writer.WriteByte((byte)value); break;
            case 1: writer.WriteBoolean((bool)value); break;
            case 2: writer.WriteUInt16((ushort)value); break;
            case 3: writer.WriteUInt32((uint)value); break;
            case 4: writer.WriteUInt64((ulong)value); break;
            case 5: writer.WriteInt64((long)value); break;
            case 6: writer.WriteHash((Hash)value); break;
            case 7: writer.WriteBytes((byte[])value); break;
            default: writer.WriteString((string)value); break;
        }
    }

    private static object Read(ref CanonicalReader reader, int kind) => kind switch
    {
        0 => reader.ReadByte(),
        1 => reader.ReadBoolean(),
        2 => reader.ReadUInt16(),
        3 => reader.ReadUInt32(),
        4 => reader.ReadUInt64(),
        5 => reader.ReadInt64(),
        6 => reader.ReadHash(),
        7 => reader.ReadBytes(1_000),
        _ => reader.ReadString(1_000),
    };

    private static bool BytesEqual(byte[] left, byte[] right) => left.AsSpan().SequenceEqual(right);

    private static string Show<T>(T value) => value is byte[] bytes ? TestHex.Of(bytes) : value?.ToString() ?? "null";

    private static uint RandomUInt32(Random random) => (uint)random.NextInt64(0, 1L << 32);

    private static ulong RandomUInt64(Random random)
    {
        Span<byte> bytes = stackalloc byte[8];
        random.NextBytes(bytes);
        return BitConverter.ToUInt64(bytes);
    }

    private static Hash RandomHash(Random random)
    {
        Span<byte> bytes = stackalloc byte[Hash.Size];
        random.NextBytes(bytes);
        return new Hash(bytes);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string RandomString(Random random, int codePoints)
    {
        var builder = new System.Text.StringBuilder();
        for (var i = 0; i < codePoints; i++)
        {
            // Pick a UTF-8 width first so that each width is common, then a scalar value of that width (no surrogates).
            var codePoint = random.Next(4) switch
            {
                0 => random.Next(0, 0x80),
                1 => random.Next(0x80, 0x800),
                2 => random.Next(2) == 0 ? random.Next(0x800, 0xD800) : random.Next(0xE000, 0x10000),
                _ => random.Next(0x10000, 0x110000),
            };
            builder.Append(char.ConvertFromUtf32(codePoint));
        }

        return builder.ToString();
    }
}
