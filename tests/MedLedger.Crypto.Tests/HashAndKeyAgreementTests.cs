using System.Security.Cryptography;

namespace MedLedger.Crypto.Tests;

/// <summary>The suite's hash and key agreement, checked against published vectors and an independent computation.</summary>
public sealed class HashAndKeyAgreementTests
{
    private readonly ICryptoSuite _suite = CryptoSuites.Standard;

    // Proves the suite hash is SHA-256, by the FIPS 180-2 vectors for "" and "abc".
    [Fact]
    public void Hash_KnownInputs_MatchSha256Vectors()
    {
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", _suite.Hash([]).ToString());
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", _suite.Hash("abc"u8).ToString());
    }

    // Proves the incremental hasher equals the one-shot hash for seeded random inputs split at random points, and
    // that Finish resets it for the next input.
    [Fact]
    public void CreateHasher_SplitInputs_EqualsOneShotHash()
    {
        const int Seed = 256;
        var random = new Random(Seed);
        using var hasher = _suite.CreateHasher();
        for (var i = 0; i < 200; i++)
        {
            var data = new byte[random.Next(0, 500)];
            random.NextBytes(data);
            var split = random.Next(0, data.Length + 1);
            hasher.Append(data.AsSpan(0, split));
            hasher.Append(data.AsSpan(split));
            Assert.True(hasher.Finish() == _suite.Hash(data), $"seed {Seed}, iteration {i}");
        }
    }

    // Proves ECDH is symmetric (A with B's public key equals B with A's), gives 32 bytes, differs between pairs, and
    // equals SHA-256 of the raw shared x-coordinate computed independently by the platform.
    [Fact]
    public void DeriveSharedSecret_BothSides_Agree()
    {
        using var alice = _suite.GenerateSigningKey();
        using var bob = _suite.GenerateSigningKey();
        using var carol = _suite.GenerateSigningKey();
        var ab = _suite.DeriveSharedSecret(alice, bob.PublicKey.Span);
        var ba = _suite.DeriveSharedSecret(bob, alice.PublicKey.Span);
        Assert.Equal(32, ab.Length);
        Assert.Equal(ab, ba);
        Assert.NotEqual(ab, _suite.DeriveSharedSecret(alice, carol.PublicKey.Span));

        using var independentAlice = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = alice.ExportPrivateKey() });
        using var independentBob = ECDiffieHellman.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = bob.PublicKey.Span[1..33].ToArray(), Y = bob.PublicKey.Span[33..].ToArray() },
        });
        var raw = independentAlice.DeriveRawSecretAgreement(independentBob.PublicKey);
        Assert.Equal(SHA256.HashData(raw), ab);
    }

    // Proves key agreement with a malformed peer key is a CryptoException, not a platform exception or a secret.
    [Fact]
    public void DeriveSharedSecret_MalformedPeerKey_ThrowsCryptoException()
    {
        using var alice = _suite.GenerateSigningKey();
        var peer = alice.PublicKey.ToArray();
        Assert.Throws<CryptoException>(() => _suite.DeriveSharedSecret(alice, peer.AsSpan(..33).ToArray()));
        Assert.Throws<CryptoException>(() => _suite.DeriveSharedSecret(alice, new byte[65]));
        peer[64] ^= 1;
        Assert.Throws<CryptoException>(() => _suite.DeriveSharedSecret(alice, peer));
    }

    // Proves the per-thread agreement handles and peer-key caches give every thread the same secret, again and again,
    // including for a key imported from its private scalar, and that a disposed key no longer agrees.
    [Fact]
    public void DeriveSharedSecret_ManyThreadsRepeatedly_SameSecret()
    {
        using var alice = _suite.GenerateSigningKey();
        using var bob = _suite.GenerateSigningKey();
        using var aliceAgain = _suite.ImportSigningKey(alice.ExportPrivateKey());
        var expected = _suite.DeriveSharedSecret(bob, alice.PublicKey.Span);
        var secrets = new System.Collections.Concurrent.ConcurrentBag<byte[]>();
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            secrets.Add(_suite.DeriveSharedSecret(i % 2 == 0 ? alice : aliceAgain, bob.PublicKey.Span));
            secrets.Add(_suite.DeriveSharedSecret(bob, alice.PublicKey.Span));
        });
        Assert.Equal(128, secrets.Count);
        Assert.All(secrets, secret => Assert.Equal(expected, secret));

        var disposed = _suite.GenerateSigningKey();
        _ = _suite.DeriveSharedSecret(disposed, bob.PublicKey.Span);
        disposed.Dispose();
        Assert.ThrowsAny<ObjectDisposedException>(() => _suite.DeriveSharedSecret(disposed, bob.PublicKey.Span));
    }

    // Proves the sender's half of ECIES gives a fresh valid public key each time and the secret the recipient derives
    // with it, in both suites (the standard suite's own path and the interface's default), and refuses a bad peer key.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DeriveEphemeralSecret_RecipientDerivesTheSameSecret(bool interfaceDefault)
    {
        var suite = interfaceDefault ? new DelegatingSuite(_suite) : _suite;
        using var recipient = suite.GenerateSigningKey();
        var (first, secret) = suite.DeriveEphemeralSecret(recipient.PublicKey.Span);
        var (second, _) = suite.DeriveEphemeralSecret(recipient.PublicKey.Span);
        Assert.True(suite.IsValidPublicKey(first));
        Assert.NotEqual(first, second);
        Assert.Equal(suite.DeriveSharedSecret(recipient, first), secret);
        Assert.Throws<CryptoException>(() => suite.DeriveEphemeralSecret(new byte[suite.PublicKeyBytes]));
    }

    /// <summary>The standard suite behind an implementation that leaves the interface's default methods in place.</summary>
    private sealed class DelegatingSuite(ICryptoSuite inner) : ICryptoSuite
    {
        public string Name => inner.Name;

        public int PublicKeyBytes => inner.PublicKeyBytes;

        public int SignatureBytes => inner.SignatureBytes;

        public int AeadKeyBytes => inner.AeadKeyBytes;

        public int AeadNonceBytes => inner.AeadNonceBytes;

        public int AeadTagBytes => inner.AeadTagBytes;

        public Core.Hash Hash(ReadOnlySpan<byte> data) => inner.Hash(data);

        public IHasher CreateHasher() => inner.CreateHasher();

        public ISigningKey GenerateSigningKey() => inner.GenerateSigningKey();

        public ISigningKey ImportSigningKey(ReadOnlySpan<byte> privateKey) => inner.ImportSigningKey(privateKey);

        public bool IsValidPublicKey(ReadOnlySpan<byte> publicKey) => inner.IsValidPublicKey(publicKey);

        public bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) => inner.Verify(publicKey, message, signature);

        public byte[] DeriveSharedSecret(ISigningKey privateKey, ReadOnlySpan<byte> peerPublicKey) => inner.DeriveSharedSecret(privateKey, peerPublicKey);

        public byte[] AeadEncrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData) => inner.AeadEncrypt(key, nonce, plaintext, associatedData);

        public byte[] AeadDecrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> associatedData) => inner.AeadDecrypt(key, nonce, ciphertextAndTag, associatedData);
    }
}
