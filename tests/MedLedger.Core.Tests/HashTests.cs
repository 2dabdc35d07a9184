namespace MedLedger.Core.Tests;

/// <summary>Hash parsing, formatting, equality and ordering.</summary>
public sealed class HashTests
{
    private const int Seed = 32;
    private const string Sequential = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    // Proves ToString is 64 lower-case hex digits of the bytes in order, and Parse/ToArray invert it.
    [Fact]
    public void ToString_KnownBytes_IsLowerCaseHexInByteOrder()
    {
        var hash = new Hash(TestHex.Bytes(Sequential));
        Assert.Equal(Sequential, hash.ToString());
        Assert.Equal("00010203", hash.ToShortString());
        Assert.Equal(TestHex.Bytes(Sequential), hash.ToArray());
        Assert.Equal(hash, Hash.Parse(Sequential));

        var destination = new byte[32];
        hash.CopyTo(destination);
        Assert.Equal(TestHex.Bytes(Sequential), destination);
    }

    // Proves format→parse and bytes→hash→bytes round-trip for many seeded random hashes.
    [Fact]
    public void ParseAndFormat_RandomHashes_RoundTrip()
    {
        var random = new Random(Seed);
        var bytes = new byte[32];
        for (var i = 0; i < 1_000; i++)
        {
            random.NextBytes(bytes);
            var hash = new Hash(bytes);
            var text = hash.ToString();
            Assert.True(text == TestHex.Of(bytes), $"seed {Seed}, iteration {i}: {text}");
            Assert.True(Hash.TryParse(text, out var parsed) && parsed == hash, $"seed {Seed}, iteration {i}: {text} did not parse back");
            Assert.True(Hash.Parse(text.ToUpperInvariant()) == hash, $"seed {Seed}, iteration {i}: upper case did not parse");
        }
    }

    public static TheoryData<string?> NotHashes =>
    [
        null,
        string.Empty,
        Sequential[..62],
        Sequential[..63],
        Sequential + "0",
        Sequential + "00",
        "0x" + Sequential[2..],
        Sequential[..63] + "g",
        " " + Sequential[1..],
        Sequential[..31] + "-" + Sequential[32..],
    ];

    // Proves anything but exactly 64 hex digits is refused: TryParse returns false, Parse throws FormatException.
    [Theory]
    [MemberData(nameof(NotHashes))]
    public void TryParse_NotSixtyFourHexDigits_ReturnsFalse(string? text)
    {
        Assert.False(Hash.TryParse(text, out var hash));
        Assert.Equal(Hash.Zero, hash);
        if (text is not null)
        {
            Assert.Throws<FormatException>(() => Hash.Parse(text));
        }
    }

    // Proves a hash is made from exactly 32 bytes.
    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    public void Constructor_WrongLength_ThrowsArgumentException(int length)
    {
        Assert.Throws<ArgumentException>(() => new Hash(new byte[length]));
    }

    // Proves ordering is the unsigned lexicographic order of the bytes (the order state keys and validator ids use),
    // checked against SequenceCompareTo for seeded random pairs, many sharing long prefixes.
    [Fact]
    public void CompareTo_RandomPairs_MatchesByteOrder()
    {
        var random = new Random(Seed);
        var left = new byte[32];
        var right = new byte[32];
        for (var i = 0; i < 5_000; i++)
        {
            random.NextBytes(left);
            left.CopyTo(right, 0);

            // Differ first at a random position (or not at all), so that every 8-byte word decides some comparisons.
            var position = random.Next(0, 33);
            if (position < 32)
            {
                right[position] = (byte)random.Next(256);
                random.NextBytes(right.AsSpan(position + 1));
            }

            var expected = Math.Sign(left.AsSpan().SequenceCompareTo(right));
            var a = new Hash(left);
            var b = new Hash(right);
            Assert.True(Math.Sign(a.CompareTo(b)) == expected, $"seed {Seed}, iteration {i}: {a} vs {b}");
            Assert.True(Math.Sign(b.CompareTo(a)) == -expected, $"seed {Seed}, iteration {i}: antisymmetry");
            Assert.True((a < b) == (expected < 0) && (a > b) == (expected > 0), $"seed {Seed}, iteration {i}: operators");
            Assert.True((a <= b) == (expected <= 0) && (a >= b) == (expected >= 0), $"seed {Seed}, iteration {i}: operators");
            Assert.True((a == b) == (expected == 0) && (a != b) == (expected != 0), $"seed {Seed}, iteration {i}: equality");
            Assert.True(a.Equals(b) == (expected == 0), $"seed {Seed}, iteration {i}: Equals");
        }
    }

    // Proves the high byte dominates: 0x80 00.. sorts after 0x7f ff.., i.e. comparison is unsigned, not signed.
    [Fact]
    public void CompareTo_HighBitSet_SortsAfterLowerBytes()
    {
        var high = Hash.Parse("80" + TestHex.Repeat("00", 31));
        var low = Hash.Parse("7f" + TestHex.Repeat("ff", 31));
        Assert.True(high > low);
        Assert.True(Hash.Parse(TestHex.Repeat("ff", 32)) > high);
        Assert.True(Hash.Zero < low);
    }

    // Proves equal hashes have equal hash codes and work as dictionary keys, and that object equality is by value.
    [Fact]
    public void EqualsAndHashCode_EqualValues_AgreeAsDictionaryKeys()
    {
        var a = Hash.Parse(Sequential);
        var b = new Hash(TestHex.Bytes(Sequential));
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.True(a.Equals((object)b));
        Assert.False(a.Equals((object)Sequential));
        var set = new HashSet<Hash> { a };
        Assert.Contains(b, set);
    }

    // Proves Zero is the all-zero hash and the only one with IsZero.
    [Fact]
    public void Zero_IsAllZeroBytes()
    {
        Assert.True(Hash.Zero.IsZero);
        Assert.Equal(TestHex.Repeat("00", 32), Hash.Zero.ToString());
        Assert.Equal(Hash.Zero, default);
        for (var i = 0; i < 32; i++)
        {
            var bytes = new byte[32];
            bytes[i] = 1;
            Assert.False(new Hash(bytes).IsZero, $"byte {i} set");
        }
    }
}
