namespace MedLedger.Core.Tests;

/// <summary>
/// Golden bytes of every primitive (docs/encoding.md, "Primitives"). These only ever grow: changing an expectation
/// here means changing the wire format of every structure, which needs a new format version instead.
/// </summary>
public sealed class CanonicalGoldenTests
{
    public static TheoryData<string> Cases => [.. GoldenCases().Select(c => c.Name)];

    // Proves each primitive writes exactly the documented bytes, and that the reader turns those bytes back into the
    // value; the expectations were checked by hand against docs/encoding.md, not copied from the code's output.
    [Theory]
    [MemberData(nameof(Cases))]
    public void Primitive_KnownValue_HasGoldenBytes(string name)
    {
        var golden = GoldenCases().Single(c => c.Name == name);
        var writer = new CanonicalWriter();
        golden.Write(writer);
        Assert.Equal(golden.Hex, TestHex.Of(writer.WrittenSpan));

        var reader = new CanonicalReader(TestHex.Bytes(golden.Hex));
        Assert.True(golden.ReadBackMatches(ref reader), $"{name}: the golden bytes do not read back as the value");
        reader.EnsureEnd();
    }

    private delegate bool ReadCheck(ref CanonicalReader reader);

    private static IEnumerable<(string Name, Action<CanonicalWriter> Write, string Hex, ReadCheck ReadBackMatches)> GoldenCases()
    {
        // Integers are fixed-width, big-endian (most significant byte first).
        yield return ("byte", w => w.WriteByte(0xAB), "ab", (ref r) => r.ReadByte() == 0xAB);
        yield return ("boolean false", w => w.WriteBoolean(false), "00", (ref r) => !r.ReadBoolean());
        yield return ("boolean true", w => w.WriteBoolean(true), "01", (ref r) => r.ReadBoolean());
        yield return ("uint16", w => w.WriteUInt16(0x1234), "1234", (ref r) => r.ReadUInt16() == 0x1234);
        yield return ("uint16 max", w => w.WriteUInt16(ushort.MaxValue), "ffff", (ref r) => r.ReadUInt16() == ushort.MaxValue);
        yield return ("uint32", w => w.WriteUInt32(0x01020304), "01020304", (ref r) => r.ReadUInt32() == 0x01020304);
        yield return ("uint32 1000", w => w.WriteUInt32(1000), "000003e8", (ref r) => r.ReadUInt32() == 1000);
        yield return ("uint64", w => w.WriteUInt64(0x0102030405060708), "0102030405060708", (ref r) => r.ReadUInt64() == 0x0102030405060708);
        yield return ("uint64 max", w => w.WriteUInt64(ulong.MaxValue), "ffffffffffffffff", (ref r) => r.ReadUInt64() == ulong.MaxValue);

        // Signed 64-bit integers are two's complement.
        yield return ("int64 1", w => w.WriteInt64(1), "0000000000000001", (ref r) => r.ReadInt64() == 1);
        yield return ("int64 -2", w => w.WriteInt64(-2), "fffffffffffffffe", (ref r) => r.ReadInt64() == -2);
        yield return ("int64 min", w => w.WriteInt64(long.MinValue), "8000000000000000", (ref r) => r.ReadInt64() == long.MinValue);
        yield return ("int64 time", w => w.WriteInt64(1_700_000_000_000), "0000018bcfe56800", (ref r) => r.ReadInt64() == 1_700_000_000_000);

        // A hash is its 32 bytes, no prefix.
        var sequential = new Hash(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        yield return ("hash", w => w.WriteHash(sequential), "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", (ref r) => r.ReadHash() == sequential);
        yield return ("hash zero", w => w.WriteHash(Hash.Zero), TestHex.Repeat("00", 32), (ref r) => r.ReadHash() == Hash.Zero);

        // Raw bytes have no prefix (domain tags, fixed-size fields).
        yield return ("raw", w => w.WriteRaw([0xCA, 0xFE]), "cafe", (ref r) => r.ReadRaw(2).SequenceEqual((byte[])[0xCA, 0xFE]));

        // Byte strings and strings: 4-byte big-endian length, then the bytes (UTF-8 for strings, no terminator).
        yield return ("bytes", w => w.WriteBytes([0xDE, 0xAD]), "00000002" + "dead", (ref r) => r.ReadBytes(2).SequenceEqual((byte[])[0xDE, 0xAD]));
        yield return ("bytes empty", w => w.WriteBytes([]), "00000000", (ref r) => r.ReadBytes(0).Length == 0);
        yield return ("string ascii", w => w.WriteString("MedLedger"), "00000009" + "4d65644c6564676572", (ref r) => r.ReadString(9) == "MedLedger");
        yield return ("string empty", w => w.WriteString(string.Empty), "00000000", (ref r) => r.ReadString(0).Length == 0);
        yield return ("string 2-byte utf8", w => w.WriteString("é"), "00000002" + "c3a9", (ref r) => r.ReadString(2) == "é");
        yield return ("string 3-byte utf8", w => w.WriteString("€"), "00000003" + "e282ac", (ref r) => r.ReadString(3) == "€");
        yield return ("string 4-byte utf8", w => w.WriteString("\U0001F9EC"), "00000004" + "f09fa7ac", (ref r) => r.ReadString(4) == "\U0001F9EC");

        // A list is a 4-byte count, then its elements.
        yield return ("count", w => w.WriteCount(3), "00000003", (ref r) => r.ReadCount(3) == 3);
    }
}
