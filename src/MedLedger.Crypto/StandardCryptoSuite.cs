using System.Security.Cryptography;
using MedLedger.Core;

namespace MedLedger.Crypto;

/// <summary>
/// The <c>standard</c> suite: ECDSA over NIST P-256 with SHA-256 (signatures in IEEE P1363 form, 64 bytes),
/// SHA-256, ECDH over P-256 hashed with SHA-256, and AES-256-GCM with 96-bit nonces and 128-bit tags.
/// Public keys are uncompressed SEC1 points (65 bytes, 0x04 ‖ X ‖ Y). Backed by the platform's OpenSSL.
/// </summary>
public sealed class StandardCryptoSuite : ICryptoSuite
{
    /// <summary>The suite's name in genesis.</summary>
    public const string SuiteName = "standard";

    private const int CoordinateBytes = 32;

    /// <inheritdoc />
    public string Name => SuiteName;

    /// <inheritdoc />
    public int PublicKeyBytes => 1 + (2 * CoordinateBytes);

    /// <inheritdoc />
    public int SignatureBytes => 2 * CoordinateBytes;

    /// <inheritdoc />
    public int AeadKeyBytes => 32;

    /// <inheritdoc />
    public int AeadNonceBytes => 12;

    /// <inheritdoc />
    public int AeadTagBytes => 16;

    /// <inheritdoc />
    public Hash Hash(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[Core.Hash.Size];
        SHA256.HashData(data, digest);
        return new Hash(digest);
    }

    /// <inheritdoc />
    public IHasher CreateHasher() => new Sha256Hasher();

    /// <inheritdoc />
    public ISigningKey GenerateSigningKey() => new P256SigningKey(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <inheritdoc />
    public ISigningKey ImportSigningKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != CoordinateBytes)
        {
            throw new CryptoException($"A P-256 private key is {CoordinateBytes} bytes, not {privateKey.Length}.");
        }

        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportParameters(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = privateKey.ToArray() });
            return new P256SigningKey(ecdsa);
        }
        catch (CryptographicException exception)
        {
            ecdsa.Dispose();
            throw new CryptoException("The private key is not a valid P-256 scalar.", exception);
        }
    }

    /// <inheritdoc />
    public bool IsValidPublicKey(ReadOnlySpan<byte> publicKey) => VerifierCache.Get(publicKey) is not null;

    /// <inheritdoc />
    public bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureBytes)
        {
            return false;
        }

        var verifier = VerifierCache.Get(publicKey);
        if (verifier is null)
        {
            return false;
        }

        try
        {
            return verifier.VerifyData(message, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public byte[] DeriveSharedSecret(ISigningKey privateKey, ReadOnlySpan<byte> peerPublicKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        if (privateKey is not P256SigningKey ours)
        {
            throw new CryptoException("The key does not belong to the standard suite.");
        }

        var peer = AgreementPeerCache.Get(peerPublicKey) ?? throw new CryptoException("The peer's public key is not a valid P-256 point.");
        try
        {
            return ours.Agreement.DeriveKeyFromHash(peer, HashAlgorithmName.SHA256);
        }
        catch (CryptographicException exception)
        {
            throw new CryptoException("Key agreement failed.", exception);
        }
    }

    /// <inheritdoc />
    /// <remarks>One key generation and one agreement: the one-off key is made as an ECDH key, not imported into one.</remarks>
    public (byte[] PublicKey, byte[] Secret) DeriveEphemeralSecret(ReadOnlySpan<byte> peerPublicKey)
    {
        var peer = AgreementPeerCache.Get(peerPublicKey) ?? throw new CryptoException("The peer's public key is not a valid P-256 point.");
        try
        {
            using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            return (EncodePoint(ephemeral.ExportParameters(includePrivateParameters: false).Q), ephemeral.DeriveKeyFromHash(peer, HashAlgorithmName.SHA256));
        }
        catch (CryptographicException exception)
        {
            throw new CryptoException("Key agreement failed.", exception);
        }
    }

    /// <inheritdoc />
    public byte[] AeadEncrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        CheckAeadParameters(key, nonce);
        var output = new byte[plaintext.Length + AeadTagBytes];
        using var aes = new AesGcm(key, AeadTagBytes);
        aes.Encrypt(nonce, plaintext, output.AsSpan(0, plaintext.Length), output.AsSpan(plaintext.Length), associatedData);
        return output;
    }

    /// <inheritdoc />
    public byte[] AeadDecrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> associatedData)
    {
        CheckAeadParameters(key, nonce);
        if (ciphertextAndTag.Length < AeadTagBytes)
        {
            throw new CryptoException("The ciphertext is shorter than its authentication tag.");
        }

        var plaintextLength = ciphertextAndTag.Length - AeadTagBytes;
        var plaintext = new byte[plaintextLength];
        try
        {
            using var aes = new AesGcm(key, AeadTagBytes);
            aes.Decrypt(nonce, ciphertextAndTag[..plaintextLength], ciphertextAndTag[plaintextLength..], plaintext, associatedData);
            return plaintext;
        }
        catch (AuthenticationTagMismatchException exception)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            throw new CryptoException("The ciphertext or its associated data was altered, or the key is wrong.", exception);
        }
    }

    internal static bool TryDecodePoint(ReadOnlySpan<byte> publicKey, out ECPoint point)
    {
        point = default;
        if (publicKey.Length != 1 + (2 * CoordinateBytes) || publicKey[0] != 0x04)
        {
            return false;
        }

        point = new ECPoint { X = publicKey.Slice(1, CoordinateBytes).ToArray(), Y = publicKey.Slice(1 + CoordinateBytes, CoordinateBytes).ToArray() };
        return true;
    }

    internal static byte[] EncodePoint(ECPoint point)
    {
        var encoded = new byte[1 + (2 * CoordinateBytes)];
        encoded[0] = 0x04;
        point.X.CopyTo(encoded.AsSpan(1));
        point.Y.CopyTo(encoded.AsSpan(1 + CoordinateBytes));
        return encoded;
    }

    private void CheckAeadParameters(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce)
    {
        if (key.Length != AeadKeyBytes)
        {
            throw new CryptoException($"An AES-256-GCM key is {AeadKeyBytes} bytes, not {key.Length}.");
        }

        if (nonce.Length != AeadNonceBytes)
        {
            throw new CryptoException($"An AES-256-GCM nonce is {AeadNonceBytes} bytes, not {nonce.Length}.");
        }
    }

    private sealed class Sha256Hasher : IHasher
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public void Append(ReadOnlySpan<byte> data) => _hash.AppendData(data);

        public Hash Finish()
        {
            Span<byte> digest = stackalloc byte[Core.Hash.Size];
            _hash.GetHashAndReset(digest);
            return new Hash(digest);
        }

        public void Dispose() => _hash.Dispose();
    }

    private sealed class P256SigningKey : ISigningKey
    {
        private readonly ECDsa _ecdsa;
        private readonly byte[] _publicKey;

        // Key agreement needs the private key as an ECDiffieHellman object; importing it costs scalar multiplications
        // (the platform validates every import), so each thread that agrees with this key imports it once.
        private readonly ThreadLocal<ECDiffieHellman> _agreement;

        public P256SigningKey(ECDsa ecdsa)
        {
            _ecdsa = ecdsa;
            _publicKey = EncodePoint(ecdsa.ExportParameters(includePrivateParameters: false).Q);
            _agreement = new ThreadLocal<ECDiffieHellman>(() => ECDiffieHellman.Create(_ecdsa.ExportParameters(includePrivateParameters: true)), trackAllValues: true);
        }

        public string SuiteName => StandardCryptoSuite.SuiteName;

        public ReadOnlyMemory<byte> PublicKey => _publicKey;

        /// <summary>This key as an ECDH private key, imported once per thread.</summary>
        public ECDiffieHellman Agreement => _agreement.Value!;

        public byte[] Sign(ReadOnlySpan<byte> message) =>
            _ecdsa.SignData(message, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

        public byte[] ExportPrivateKey() => _ecdsa.ExportParameters(includePrivateParameters: true).D!;

        public void Dispose()
        {
            foreach (var agreement in _agreement.Values)
            {
                agreement.Dispose();
            }

            _agreement.Dispose();
            _ecdsa.Dispose();
        }
    }

    /// <summary>
    /// The peers of key agreements (organisations, patients, authors) recur like signers do, so each thread keeps their
    /// imported public keys, bounded like the verifiers.
    /// </summary>
    private static class AgreementPeerCache
    {
        private const int MaxEntriesPerThread = 4_096;

        public static ECDiffieHellmanPublicKey? Get(ReadOnlySpan<byte> publicKey) => PerThreadKeys<ECDiffieHellmanPublicKey>.Get(publicKey, MaxEntriesPerThread, Import);

        private static ECDiffieHellmanPublicKey? Import(ReadOnlySpan<byte> publicKey)
        {
            if (!TryDecodePoint(publicKey, out var point))
            {
                return null;
            }

            try
            {
                // Creating the key checks that the point lies on the curve and is not the identity.
                using var peer = ECDiffieHellman.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = point });
                return peer.PublicKey;
            }
            catch (CryptographicException)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Importing a public key costs about as much as verifying with it, and a chain sees the same few thousand
    /// senders again and again, so each thread keeps its imported keys. The cache is per thread because
    /// the platform does not promise that one <see cref="ECDsa"/> object may verify on two threads at once.
    /// </summary>
    private static class VerifierCache
    {
        private const int MaxEntriesPerThread = 8_192;

        public static ECDsa? Get(ReadOnlySpan<byte> publicKey) => PerThreadKeys<ECDsa>.Get(publicKey, MaxEntriesPerThread, Import);

        private static ECDsa? Import(ReadOnlySpan<byte> publicKey)
        {
            if (!TryDecodePoint(publicKey, out var point))
            {
                return null;
            }

            var ecdsa = ECDsa.Create();
            try
            {
                // ImportParameters checks that the point lies on the curve and is not the identity.
                ecdsa.ImportParameters(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = point });
                return ecdsa;
            }
            catch (CryptographicException)
            {
                ecdsa.Dispose();
                return null;
            }
        }
    }

    /// <summary>
    /// Imported public keys of one kind, per thread, by their encoding (null for an encoding that does not import).
    /// Bounded: when full, every entry is disposed and the cache starts again, which only costs re-imports.
    /// </summary>
    private static class PerThreadKeys<TKey>
        where TKey : class, IDisposable
    {
        [ThreadStatic]
        private static Dictionary<byte[], TKey?>? _cache;

        public delegate TKey? Importer(ReadOnlySpan<byte> publicKey);

        public static TKey? Get(ReadOnlySpan<byte> publicKey, int maxEntries, Importer import)
        {
            var cache = _cache ??= new Dictionary<byte[], TKey?>(ByteArrayComparer.Instance);
            if (cache.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(publicKey, out var cached))
            {
                return cached;
            }

            if (cache.Count >= maxEntries)
            {
                foreach (var entry in cache.Values)
                {
                    entry?.Dispose();
                }

                cache.Clear();
            }

            var imported = import(publicKey);
            cache[publicKey.ToArray()] = imported;
            return imported;
        }
    }
}
