using System.Buffers.Binary;
using System.Security.Cryptography;

namespace MedLedger.Crypto.Tests;

/// <summary>
/// Key envelopes (SPEC F12): a record tier's data key wrapped for one recipient, in the ephemeral form (write path)
/// and the static form (read path, with a cached ECDH secret); every alteration, wrong key or wrong context fails
/// with <see cref="CryptoException"/>.
/// </summary>
public sealed class KeyWrapTests : IDisposable
{
    private const int EnvelopeBytes = 1 + 4 + 65 + 12 + 32 + 16; // form, u32 length, P-256 key, nonce, key + tag

    private static readonly byte[] AssociatedData = "record 42 / tier GeneralClinical / reader 7"u8.ToArray();

    private readonly ICryptoSuite _suite = CryptoSuites.Standard;
    private readonly ISigningKey _organisation = CryptoSuites.Standard.GenerateSigningKey();
    private readonly ISigningKey _reader = CryptoSuites.Standard.GenerateSigningKey();
    private readonly ISigningKey _stranger = CryptoSuites.Standard.GenerateSigningKey();
    private readonly byte[] _dataKey = RandomNumberGenerator.GetBytes(32);

    public void Dispose()
    {
        _organisation.Dispose();
        _reader.Dispose();
        _stranger.Dispose();
    }

    // Proves the ephemeral form round-trips with the recipient's private key, names a fresh valid ephemeral key,
    // has the documented size and layout, and differs on every call (fresh key and nonce).
    [Fact]
    public void Ephemeral_RoundTrips_WithAFreshSenderKeyEachTime()
    {
        var envelope = KeyWrap.WrapEphemeral(_suite, _reader.PublicKey.Span, _dataKey, AssociatedData);
        Assert.Equal(_dataKey, KeyWrap.Unwrap(_suite, _reader, envelope, AssociatedData));

        Assert.Equal(EnvelopeBytes, envelope.Length);
        Assert.Equal(1, envelope[0]);
        Assert.Equal(65u, BinaryPrimitives.ReadUInt32BigEndian(envelope.AsSpan(1)));
        var sender = KeyWrap.ReadSenderKey(_suite, envelope);
        Assert.Equal(envelope[5..70], sender);
        Assert.True(_suite.IsValidPublicKey(sender));
        Assert.NotEqual(_reader.PublicKey.ToArray(), sender);

        var again = KeyWrap.WrapEphemeral(_suite, _reader.PublicKey.Span, _dataKey, AssociatedData);
        Assert.NotEqual(sender, KeyWrap.ReadSenderKey(_suite, again));
        Assert.NotEqual(envelope[70..82], again[70..82]);
        Assert.Equal(_dataKey, KeyWrap.Unwrap(_suite, _reader, again, AssociatedData));
    }

    // Proves the static secret is the same from both sides of a pair and differs for another pair.
    [Fact]
    public void StaticSecret_IsTheSameFromBothSides()
    {
        var fromOrganisation = KeyWrap.DeriveStaticSecret(_suite, _organisation, _reader.PublicKey.Span);
        var fromReader = KeyWrap.DeriveStaticSecret(_suite, _reader, _organisation.PublicKey.Span);
        Assert.Equal(fromOrganisation, fromReader);
        Assert.Equal(32, fromOrganisation.Length);
        Assert.NotEqual(fromOrganisation, KeyWrap.DeriveStaticSecret(_suite, _organisation, _stranger.PublicKey.Span));
    }

    // Proves the static form: the organisation wraps with the cached secret; the reader opens it with its private key
    // (Unwrap) or with its own cached secret (UnwrapWithSecret); the envelope names the organisation's key; two
    // envelopes of the same key differ (fresh nonce).
    [Fact]
    public void Static_RoundTrips_ByPrivateKeyOrCachedSecret()
    {
        var secret = KeyWrap.DeriveStaticSecret(_suite, _organisation, _reader.PublicKey.Span);
        var envelope = KeyWrap.WrapStatic(_suite, secret, _organisation.PublicKey.Span, _reader.PublicKey.Span, _dataKey, AssociatedData);

        Assert.Equal(EnvelopeBytes, envelope.Length);
        Assert.Equal(2, envelope[0]);
        Assert.Equal(_organisation.PublicKey.ToArray(), KeyWrap.ReadSenderKey(_suite, envelope));
        Assert.Equal(_dataKey, KeyWrap.Unwrap(_suite, _reader, envelope, AssociatedData));
        var readerSecret = KeyWrap.DeriveStaticSecret(_suite, _reader, _organisation.PublicKey.Span);
        Assert.Equal(_dataKey, KeyWrap.UnwrapWithSecret(_suite, readerSecret, _reader.PublicKey.Span, envelope, AssociatedData));

        var again = KeyWrap.WrapStatic(_suite, secret, _organisation.PublicKey.Span, _reader.PublicKey.Span, _dataKey, AssociatedData);
        Assert.NotEqual(envelope, again);
    }

    // Proves the key-encryption key is SHA-256 of "MedLedger/key-wrap/v1\0", the form byte, then the secret, the
    // sender key and the recipient key (each u32-length-prefixed), by opening a static envelope with AES-GCM and a
    // key computed here independently.
    [Fact]
    public void Static_KeyEncryptionKey_IsTheDocumentedHash()
    {
        var secret = KeyWrap.DeriveStaticSecret(_suite, _organisation, _reader.PublicKey.Span);
        var envelope = KeyWrap.WrapStatic(_suite, secret, _organisation.PublicKey.Span, _reader.PublicKey.Span, _dataKey, AssociatedData);

        byte[] kekInput =
        [
            .. "MedLedger/key-wrap/v1\0"u8, 0x02,
            .. LengthPrefixed(secret), .. LengthPrefixed(_organisation.PublicKey.ToArray()), .. LengthPrefixed(_reader.PublicKey.ToArray()),
        ];
        var kek = SHA256.HashData(kekInput);
        var nonce = envelope[70..82];
        var ciphertext = envelope[82..^16];
        var tag = envelope[^16..];
        var plaintext = new byte[ciphertext.Length];
        using var aes = new AesGcm(kek, 16);
        aes.Decrypt(nonce, ciphertext, tag, plaintext, AssociatedData);
        Assert.Equal(_dataKey, plaintext);
    }

    // Proves an envelope opens only for its recipient: another private key, or the right key with another party's
    // cached secret, is a CryptoException, for both forms.
    [Fact]
    public void Unwrap_WrongRecipient_ThrowsCryptoException()
    {
        var ephemeral = KeyWrap.WrapEphemeral(_suite, _reader.PublicKey.Span, _dataKey, AssociatedData);
        var secret = KeyWrap.DeriveStaticSecret(_suite, _organisation, _reader.PublicKey.Span);
        var @static = KeyWrap.WrapStatic(_suite, secret, _organisation.PublicKey.Span, _reader.PublicKey.Span, _dataKey, AssociatedData);
        foreach (var envelope in new[] { ephemeral, @static })
        {
            Assert.Throws<CryptoException>(() => KeyWrap.Unwrap(_suite, _stranger, envelope, AssociatedData));
            Assert.Throws<CryptoException>(() => KeyWrap.Unwrap(_suite, _organisation, envelope, AssociatedData));
        }

        var strangerSecret = KeyWrap.DeriveStaticSecret(_suite, _stranger, _organisation.PublicKey.Span);
        Assert.Throws<CryptoException>(() => KeyWrap.UnwrapWithSecret(_suite, strangerSecret, _reader.PublicKey.Span, @static, AssociatedData));
        Assert.Throws<CryptoException>(() => KeyWrap.UnwrapWithSecret(_suite, secret, _stranger.PublicKey.Span, @static, AssociatedData));
    }

    // Proves the associated data binds the envelope: other, empty or longer associated data is a CryptoException.
    [Fact]
    public void Unwrap_WrongAssociatedData_ThrowsCryptoException()
    {
        var envelope = KeyWrap.WrapEphemeral(_suite, _reader.PublicKey.Span, _dataKey, AssociatedData);
        byte[][] others = [[], "record 43 / tier GeneralClinical / reader 7"u8.ToArray(), [.. AssociatedData, 0]];
        foreach (var other in others)
        {
            Assert.Throws<CryptoException>(() => KeyWrap.Unwrap(_suite, _reader, envelope, other));
        }
    }

    // Proves altering any byte of an envelope of either form (one bit, the top bit, or all bits of the byte) is a
    // CryptoException, never a wrong key or another exception type.
    [Fact]
    public void Unwrap_EveryByteAltered_ThrowsCryptoException()
    {
        var secret = KeyWrap.DeriveStaticSecret(_suite, _organisation, _reader.PublicKey.Span);
        byte[][] envelopes =
        [
            KeyWrap.WrapEphemeral(_suite, _reader.PublicKey.Span, _dataKey, AssociatedData),
            KeyWrap.WrapStatic(_suite, secret, _organisation.PublicKey.Span, _reader.PublicKey.Span, _dataKey, AssociatedData),
        ];
        foreach (var envelope in envelopes)
        {
            for (var i = 0; i < envelope.Length; i++)
            {
                foreach (var mask in new byte[] { 0x01, 0x80, 0xFF })
                {
                    var altered = (byte[])envelope.Clone();
                    altered[i] ^= mask;
                    var exception = Record.Exception(() => KeyWrap.Unwrap(_suite, _reader, altered, AssociatedData));
                    Assert.True(exception is CryptoException, $"form {envelope[0]}, byte {i} ^ {mask:x2}: {exception?.GetType().Name ?? "opened"}");
                }
            }
        }
    }

    // Proves the form is bound to the key-encryption key: an ephemeral envelope relabelled static (and back) does
    // not open; unknown forms are refused before any key agreement.
    [Fact]
    public void Unwrap_SwappedOrUnknownForm_ThrowsCryptoException()
    {
        var secret = KeyWrap.DeriveStaticSecret(_suite, _organisation, _reader.PublicKey.Span);
        var ephemeral = KeyWrap.WrapEphemeral(_suite, _reader.PublicKey.Span, _dataKey, AssociatedData);
        var @static = KeyWrap.WrapStatic(_suite, secret, _organisation.PublicKey.Span, _reader.PublicKey.Span, _dataKey, AssociatedData);
        byte[] relabelledEphemeral = [2, .. ephemeral[1..]];
        byte[] relabelledStatic = [1, .. @static[1..]];
        Assert.Throws<CryptoException>(() => KeyWrap.Unwrap(_suite, _reader, relabelledEphemeral, AssociatedData));
        Assert.Throws<CryptoException>(() => KeyWrap.Unwrap(_suite, _reader, relabelledStatic, AssociatedData));

        foreach (var form in new byte[] { 0, 3, 255 })
        {
            byte[] unknown = [form, .. ephemeral[1..]];
            Assert.Throws<CryptoException>(() => KeyWrap.Unwrap(_suite, _reader, unknown, AssociatedData));
            Assert.Throws<CryptoException>(() => KeyWrap.UnwrapWithSecret(_suite, secret, _reader.PublicKey.Span, unknown, AssociatedData));
            Assert.Throws<CryptoException>(() => KeyWrap.ReadSenderKey(_suite, unknown));
        }
    }

    // Proves a truncated envelope (every length from empty to one byte short) and one with trailing bytes are
    // CryptoExceptions.
    [Fact]
    public void Unwrap_TruncatedOrExtended_ThrowsCryptoException()
    {
        var envelope = KeyWrap.WrapEphemeral(_suite, _reader.PublicKey.Span, _dataKey, AssociatedData);
        for (var cut = 0; cut < envelope.Length; cut++)
        {
            var truncated = envelope[..cut];
            var exception = Record.Exception(() => KeyWrap.Unwrap(_suite, _reader, truncated, AssociatedData));
            Assert.True(exception is CryptoException, $"cut at {cut}: {exception?.GetType().Name ?? "opened"}");
        }

        Assert.Throws<CryptoException>(() => KeyWrap.Unwrap(_suite, _reader, [.. envelope, 0], AssociatedData));
        Assert.Throws<CryptoException>(() => KeyWrap.Unwrap(_suite, _reader, [.. envelope, .. envelope], AssociatedData));
    }

    // Proves the opening side's size bound: data keys up to 240 bytes (256 bytes of ciphertext and tag) round-trip,
    // and a larger envelope is refused with a CryptoException rather than decrypted.
    [Fact]
    public void Unwrap_CiphertextOverBound_ThrowsCryptoException()
    {
        var largest = RandomNumberGenerator.GetBytes(256 - 16);
        Assert.Equal(largest, KeyWrap.Unwrap(_suite, _reader, KeyWrap.WrapEphemeral(_suite, _reader.PublicKey.Span, largest, AssociatedData), AssociatedData));
        var tooLarge = KeyWrap.WrapEphemeral(_suite, _reader.PublicKey.Span, RandomNumberGenerator.GetBytes(256 - 16 + 1), AssociatedData);
        Assert.Throws<CryptoException>(() => KeyWrap.Unwrap(_suite, _reader, tooLarge, AssociatedData));
        Assert.Throws<CryptoException>(() => KeyWrap.Unwrap(_suite, _reader, KeyWrap.WrapEphemeral(_suite, _reader.PublicKey.Span, [], AssociatedData), AssociatedData));
    }

    // Proves wrapping for something that is not a public key of the suite is a CryptoException.
    [Fact]
    public void WrapEphemeral_InvalidRecipientKey_ThrowsCryptoException()
    {
        byte[][] invalid = [[], [0x04], Convert.FromHexString("04" + string.Concat(Enumerable.Repeat("c1", 64)))];
        foreach (var key in invalid)
        {
            Assert.Throws<CryptoException>(() => KeyWrap.WrapEphemeral(_suite, key, _dataKey, AssociatedData));
        }
    }

    private static byte[] LengthPrefixed(byte[] value)
    {
        var result = new byte[4 + value.Length];
        BinaryPrimitives.WriteUInt32BigEndian(result, (uint)value.Length);
        value.CopyTo(result, 4);
        return result;
    }
}
