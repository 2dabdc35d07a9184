using MedLedger.Core;

namespace MedLedger.Crypto.Tests;

/// <summary>ECDSA P-256 signing and the suite's promise that Verify returns false, never throws, on bad input.</summary>
public sealed class SignatureTests : IDisposable
{
    private static readonly byte[] Message = "MedLedger test message: anchor 42"u8.ToArray();

    private readonly ICryptoSuite _suite = CryptoSuites.Standard;
    private readonly ISigningKey _key;
    private readonly byte[] _signature;

    public SignatureTests()
    {
        _key = _suite.GenerateSigningKey();
        _signature = _key.Sign(Message);
    }

    public void Dispose() => _key.Dispose();

    // Proves a fresh key signs, its own public key verifies the signature, and sizes are the suite's documented ones
    // (65-byte uncompressed SEC1 public key starting 0x04, 64-byte P1363 signature).
    [Fact]
    public void Verify_OwnSignature_ReturnsTrue()
    {
        Assert.Equal(StandardCryptoSuite.SuiteName, _key.SuiteName);
        Assert.Equal(65, _key.PublicKey.Length);
        Assert.Equal(0x04, _key.PublicKey.Span[0]);
        Assert.Equal(64, _signature.Length);
        Assert.True(_suite.Verify(_key.PublicKey.Span, Message, _signature));
        Assert.True(_suite.IsValidPublicKey(_key.PublicKey.Span));
    }

    // Proves the suite's declared sizes match what it produces and fit the global limits.
    [Fact]
    public void SuiteSizes_MatchOutputsAndLimits()
    {
        Assert.Equal("standard", _suite.Name);
        Assert.Equal(65, _suite.PublicKeyBytes);
        Assert.Equal(64, _suite.SignatureBytes);
        Assert.Equal(32, _suite.AeadKeyBytes);
        Assert.Equal(12, _suite.AeadNonceBytes);
        Assert.Equal(16, _suite.AeadTagBytes);
        Assert.True(_suite.PublicKeyBytes <= Limits.MaxPublicKeyBytes);
        Assert.True(_suite.SignatureBytes <= Limits.MaxSignatureBytes);
    }

    // Proves ECDSA signatures are randomised (two signatures of one message differ) yet both verify.
    [Fact]
    public void Sign_SameMessageTwice_BothVerify()
    {
        var second = _key.Sign(Message);
        Assert.True(_suite.Verify(_key.PublicKey.Span, Message, second));
        Assert.True(_suite.Verify(_key.PublicKey.Span, Message, _signature));
    }

    // Proves flipping any single bit of the message makes verification fail.
    [Fact]
    public void Verify_FlippedMessageBit_ReturnsFalse()
    {
        for (var bit = 0; bit < Message.Length * 8; bit++)
        {
            var altered = (byte[])Message.Clone();
            altered[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(_suite.Verify(_key.PublicKey.Span, altered, _signature), $"message bit {bit}");
        }

        Assert.False(_suite.Verify(_key.PublicKey.Span, Message.AsSpan(..^1), _signature), "truncated message");
        Assert.False(_suite.Verify(_key.PublicKey.Span, [.. Message, 0], _signature), "extended message");
    }

    // Proves flipping any single bit of the signature (all 512) makes verification fail without throwing.
    [Fact]
    public void Verify_FlippedSignatureBit_ReturnsFalse()
    {
        for (var bit = 0; bit < _signature.Length * 8; bit++)
        {
            var altered = (byte[])_signature.Clone();
            altered[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(_suite.Verify(_key.PublicKey.Span, Message, altered), $"signature bit {bit}");
        }
    }

    // Proves a valid signature does not verify under another valid key.
    [Fact]
    public void Verify_WrongKey_ReturnsFalse()
    {
        using var other = _suite.GenerateSigningKey();
        Assert.False(_suite.Verify(other.PublicKey.Span, Message, _signature));
    }

    public static TheoryData<string> MalformedKeyNames =>
    [
        "empty", "64 bytes", "66 bytes", "compressed 0x02", "compressed 0x03", "prefix 0x02 on 65 bytes",
        "prefix 0x03 on 65 bytes", "prefix 0x00", "prefix 0x06 (hybrid)", "all zero", "0x04 then zeros (identity)",
        "not on curve (y + 1)", "x beyond field prime", "all 0xff",
    ];

    // Proves each malformed public key is reported invalid and makes Verify return false, without throwing:
    // wrong length, compressed or hybrid prefixes, the identity, points off the curve, coordinates out of range.
    [Theory]
    [MemberData(nameof(MalformedKeyNames))]
    public void Verify_MalformedPublicKey_ReturnsFalseWithoutThrowing(string name)
    {
        var key = MalformedKey(name, _key.PublicKey.ToArray());
        Assert.False(_suite.IsValidPublicKey(key), name);
        Assert.False(_suite.Verify(key, Message, _signature), name);

        // Asked twice: the second answer comes from the verifier cache, which must remember "invalid" too.
        Assert.False(_suite.IsValidPublicKey(key), name + " (cached)");
        Assert.False(_suite.Verify(key, Message, _signature), name + " (cached)");
    }

    public static TheoryData<string> MalformedSignatureNames =>
    [
        "empty", "63 bytes", "65 bytes", "128 bytes", "all zero (r = s = 0)", "r = 0", "s = 0", "all 0xff (r, s >= n)",
        "s = n", "DER instead of P1363",
    ];

    // Proves each malformed signature makes Verify return false, without throwing: wrong lengths, zero or
    // out-of-range scalars, and the DER form the suite does not use.
    [Theory]
    [MemberData(nameof(MalformedSignatureNames))]
    public void Verify_MalformedSignature_ReturnsFalseWithoutThrowing(string name)
    {
        var signature = MalformedSignature(name, _signature);
        Assert.False(_suite.Verify(_key.PublicKey.Span, Message, signature), name);
    }

    // Proves a private key exported and imported again signs for the same public key, and that malformed private
    // scalars (wrong length, zero, at or above the group order) are refused with CryptoException.
    [Fact]
    public void ImportSigningKey_ExportedScalar_RoundTripsAndBadScalarsAreRefused()
    {
        var scalar = _key.ExportPrivateKey();
        Assert.Equal(32, scalar.Length);
        using (var imported = _suite.ImportSigningKey(scalar))
        {
            Assert.Equal(_key.PublicKey.ToArray(), imported.PublicKey.ToArray());
            Assert.True(_suite.Verify(_key.PublicKey.Span, Message, imported.Sign(Message)));
        }

        Assert.Throws<CryptoException>(() => _suite.ImportSigningKey(scalar.AsSpan(..31).ToArray()));
        Assert.Throws<CryptoException>(() => _suite.ImportSigningKey([.. scalar, 0]));
        Assert.Throws<CryptoException>(() => _suite.ImportSigningKey(new byte[32]));
        Assert.Throws<CryptoException>(() => _suite.ImportSigningKey(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Throws<CryptoException>(() => _suite.ImportSigningKey(P256Order));
    }

    // Proves suites are found by their genesis name and an unknown name is a CryptoException naming the known ones.
    [Fact]
    public void CryptoSuitesGet_KnownAndUnknownNames()
    {
        Assert.Same(CryptoSuites.Standard, CryptoSuites.Get("standard"));
        Assert.Contains("standard", CryptoSuites.Names);
        var exception = Assert.Throws<CryptoException>(() => CryptoSuites.Get("Standard"));
        Assert.Contains("standard", exception.Message, StringComparison.Ordinal);
    }

    // The order n of the P-256 group, big-endian.
    private static readonly byte[] P256Order = Convert.FromHexString("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");

    // The field prime p of P-256, big-endian.
    private static readonly byte[] P256Prime = Convert.FromHexString("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");

    private static byte[] MalformedKey(string name, byte[] valid) => name switch
    {
        "empty" => [],
        "64 bytes" => valid[1..],
        "66 bytes" => [.. valid, 0],
        "compressed 0x02" => [0x02, .. valid[1..33]],
        "compressed 0x03" => [0x03, .. valid[1..33]],
        "prefix 0x02 on 65 bytes" => [0x02, .. valid[1..]],
        "prefix 0x03 on 65 bytes" => [0x03, .. valid[1..]],
        "prefix 0x00" => [0x00, .. valid[1..]],
        "prefix 0x06 (hybrid)" => [0x06, .. valid[1..]],
        "all zero" => new byte[65],
        "0x04 then zeros (identity)" => [0x04, .. new byte[64]],
        "not on curve (y + 1)" => AddOneToY(valid),
        "x beyond field prime" => [0x04, .. P256Prime, .. valid[33..]],
        "all 0xff" => Enumerable.Repeat((byte)0xFF, 65).ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private static byte[] AddOneToY(byte[] valid)
    {
        var key = (byte[])valid.Clone();
        for (var i = key.Length - 1; i >= 33; i--)
        {
            if (++key[i] != 0)
            {
                break;
            }
        }

        return key;
    }

    private static byte[] MalformedSignature(string name, byte[] valid) => name switch
    {
        "empty" => [],
        "63 bytes" => valid[..63],
        "65 bytes" => [.. valid, 0],
        "128 bytes" => [.. valid, .. valid],
        "all zero (r = s = 0)" => new byte[64],
        "r = 0" => [.. new byte[32], .. valid[32..]],
        "s = 0" => [.. valid[..32], .. new byte[32]],
        "all 0xff (r, s >= n)" => Enumerable.Repeat((byte)0xFF, 64).ToArray(),
        "s = n" => [.. valid[..32], .. P256Order],
        "DER instead of P1363" => ToDer(valid),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private static byte[] ToDer(byte[] p1363)
    {
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteIntegerUnsigned(p1363.AsSpan(0, 32));
            writer.WriteIntegerUnsigned(p1363.AsSpan(32, 32));
        }

        return writer.Encode();
    }
}
