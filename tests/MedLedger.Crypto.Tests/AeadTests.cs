using MedLedger.Core;

namespace MedLedger.Crypto.Tests;

/// <summary>AES-256-GCM through the suite: known vectors, round trips, and rejection of every alteration.</summary>
public sealed class AeadTests
{
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
    private static readonly byte[] Nonce = Enumerable.Range(0, 12).Select(i => (byte)(0xA0 + i)).ToArray();
    private static readonly byte[] Plaintext = "{\"resourceType\":\"Observation\",\"status\":\"final\"}"u8.ToArray();
    private static readonly byte[] AssociatedData = "record/42/tier/general"u8.ToArray();

    private readonly ICryptoSuite _suite = CryptoSuites.Standard;

    // Proves the AEAD is AES-256-GCM with a 16-byte tag appended, by test cases 13 and 14 of McGrew and Viega's GCM
    // specification (zero key, zero 96-bit IV).
    [Fact]
    public void AeadEncrypt_GcmSpecVectors_MatchExactly()
    {
        var key = new byte[32];
        var nonce = new byte[12];
        Assert.Equal("530f8afbc74536b9a963b4f1c4cb738b", Convert.ToHexStringLower(_suite.AeadEncrypt(key, nonce, [], [])));
        Assert.Equal(
            "cea7403d4d606b6e074ec5d3baf39d18" + "d0d1c8a799996bf0265b98b5d48ab919",
            Convert.ToHexStringLower(_suite.AeadEncrypt(key, nonce, new byte[16], [])));
    }

    // Proves encrypt→decrypt returns the plaintext, for empty and non-empty plaintext and associated data, and that
    // the output is the plaintext length plus the tag.
    [Fact]
    public void AeadDecrypt_UnalteredCiphertext_ReturnsPlaintext()
    {
        foreach (var (plaintext, associatedData) in new[] { (Plaintext, AssociatedData), ([], AssociatedData), (Plaintext, []), ((byte[])[], (byte[])[]) })
        {
            var sealedBytes = _suite.AeadEncrypt(Key, Nonce, plaintext, associatedData);
            Assert.Equal(plaintext.Length + _suite.AeadTagBytes, sealedBytes.Length);
            Assert.Equal(plaintext, _suite.AeadDecrypt(Key, Nonce, sealedBytes, associatedData));
        }
    }

    // Proves flipping any bit of the ciphertext or the tag is detected (CryptoException), for every byte position.
    [Fact]
    public void AeadDecrypt_AlteredCiphertextOrTag_ThrowsCryptoException()
    {
        var sealedBytes = _suite.AeadEncrypt(Key, Nonce, Plaintext, AssociatedData);
        for (var i = 0; i < sealedBytes.Length; i++)
        {
            var altered = (byte[])sealedBytes.Clone();
            altered[i] ^= (byte)(1 << (i % 8));
            var part = i < Plaintext.Length ? "ciphertext" : "tag";
            var exception = Record.Exception(() => _suite.AeadDecrypt(Key, Nonce, altered, AssociatedData));
            Assert.True(exception is CryptoException, $"{part} byte {i}: {exception?.GetType().Name ?? "accepted"}");
        }

        Assert.Throws<CryptoException>(() => _suite.AeadDecrypt(Key, Nonce, sealedBytes.AsSpan(..^1), AssociatedData));
        Assert.Throws<CryptoException>(() => _suite.AeadDecrypt(Key, Nonce, [.. sealedBytes, 0], AssociatedData));
        Assert.Throws<CryptoException>(() => _suite.AeadDecrypt(Key, Nonce, sealedBytes.AsSpan(..15), AssociatedData));
        Assert.Throws<CryptoException>(() => _suite.AeadDecrypt(Key, Nonce, [], AssociatedData));
    }

    // Proves the associated data is authenticated: any change to it (one bit, one byte more or less, none) fails.
    [Fact]
    public void AeadDecrypt_AlteredAssociatedData_ThrowsCryptoException()
    {
        var sealedBytes = _suite.AeadEncrypt(Key, Nonce, Plaintext, AssociatedData);
        var flipped = (byte[])AssociatedData.Clone();
        flipped[0] ^= 1;
        Assert.Throws<CryptoException>(() => _suite.AeadDecrypt(Key, Nonce, sealedBytes, flipped));
        Assert.Throws<CryptoException>(() => _suite.AeadDecrypt(Key, Nonce, sealedBytes, AssociatedData.AsSpan(..^1)));
        Assert.Throws<CryptoException>(() => _suite.AeadDecrypt(Key, Nonce, sealedBytes, [.. AssociatedData, 0]));
        Assert.Throws<CryptoException>(() => _suite.AeadDecrypt(Key, Nonce, sealedBytes, []));
    }

    // Proves a wrong key or a different nonce of the right size fails authentication.
    [Fact]
    public void AeadDecrypt_WrongKeyOrNonce_ThrowsCryptoException()
    {
        var sealedBytes = _suite.AeadEncrypt(Key, Nonce, Plaintext, AssociatedData);
        var wrongKey = (byte[])Key.Clone();
        wrongKey[31] ^= 0x80;
        var wrongNonce = (byte[])Nonce.Clone();
        wrongNonce[0] ^= 1;
        Assert.Throws<CryptoException>(() => _suite.AeadDecrypt(wrongKey, Nonce, sealedBytes, AssociatedData));
        Assert.Throws<CryptoException>(() => _suite.AeadDecrypt(Key, wrongNonce, sealedBytes, AssociatedData));
    }

    // Proves keys and nonces of the wrong size are refused with CryptoException on both sides (no silent padding, no
    // platform exception leaking out).
    [Theory]
    [InlineData(32, 11)]
    [InlineData(32, 13)]
    [InlineData(32, 0)]
    [InlineData(16, 12)]
    [InlineData(31, 12)]
    [InlineData(33, 12)]
    public void Aead_WrongKeyOrNonceSize_ThrowsCryptoException(int keyBytes, int nonceBytes)
    {
        var key = new byte[keyBytes];
        var nonce = new byte[nonceBytes];
        var sealedBytes = _suite.AeadEncrypt(Key, Nonce, Plaintext, AssociatedData);
        Assert.Throws<CryptoException>(() => _suite.AeadEncrypt(key, nonce, Plaintext, AssociatedData));
        Assert.Throws<CryptoException>(() => _suite.AeadDecrypt(key, nonce, sealedBytes, AssociatedData));
    }

    // Proves encryption is deterministic for a fixed key and nonce (the caller must never reuse a nonce), and that a
    // different nonce changes every output.
    [Fact]
    public void AeadEncrypt_SameInputs_SameOutput()
    {
        Assert.Equal(_suite.AeadEncrypt(Key, Nonce, Plaintext, AssociatedData), _suite.AeadEncrypt(Key, Nonce, Plaintext, AssociatedData));
        var otherNonce = (byte[])Nonce.Clone();
        otherNonce[11] ^= 1;
        Assert.NotEqual(_suite.AeadEncrypt(Key, Nonce, Plaintext, AssociatedData), _suite.AeadEncrypt(Key, otherNonce, Plaintext, AssociatedData));
        Assert.True(Hash.Size == _suite.AeadKeyBytes, "the AEAD key is as long as a hash, so hashed ECDH secrets can be AEAD keys");
    }
}
