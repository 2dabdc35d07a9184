using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Simulation.Tests;

/// <summary>
/// The real suite with signature verification memoised for one simulation run: every simulated node verifies the same
/// vote, so each distinct (key, message, signature) is verified once — for real, forged ones included — and its verdict
/// reused. A node does the same with its own cache; here the cache is shared because all nodes live in one process.
/// Not thread-safe: one run, one thread.
/// </summary>
internal sealed class CachingCryptoSuite(ICryptoSuite inner) : ICryptoSuite
{
    private readonly Dictionary<Hash, bool> _verdicts = [];

    public int VerifyCalls { get; private set; }

    public int RealVerifications { get; private set; }

    public string Name => inner.Name;

    public int PublicKeyBytes => inner.PublicKeyBytes;

    public int SignatureBytes => inner.SignatureBytes;

    public int AeadKeyBytes => inner.AeadKeyBytes;

    public int AeadNonceBytes => inner.AeadNonceBytes;

    public int AeadTagBytes => inner.AeadTagBytes;

    public Hash Hash(ReadOnlySpan<byte> data) => inner.Hash(data);

    public IHasher CreateHasher() => inner.CreateHasher();

    public ISigningKey GenerateSigningKey() => inner.GenerateSigningKey();

    public ISigningKey ImportSigningKey(ReadOnlySpan<byte> privateKey) => inner.ImportSigningKey(privateKey);

    public bool IsValidPublicKey(ReadOnlySpan<byte> publicKey) => inner.IsValidPublicKey(publicKey);

    public bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        VerifyCalls++;
        using var hasher = inner.CreateHasher();
        Span<byte> lengths = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(lengths, publicKey.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(lengths[4..], message.Length);
        hasher.Append(lengths);
        hasher.Append(publicKey);
        hasher.Append(message);
        hasher.Append(signature);
        var key = hasher.Finish();
        if (!_verdicts.TryGetValue(key, out var verdict))
        {
            RealVerifications++;
            verdict = inner.Verify(publicKey, message, signature);
            _verdicts.Add(key, verdict);
        }

        return verdict;
    }

    public byte[] DeriveSharedSecret(ISigningKey privateKey, ReadOnlySpan<byte> peerPublicKey) => inner.DeriveSharedSecret(privateKey, peerPublicKey);

    public byte[] AeadEncrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData) =>
        inner.AeadEncrypt(key, nonce, plaintext, associatedData);

    public byte[] AeadDecrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> associatedData) =>
        inner.AeadDecrypt(key, nonce, ciphertextAndTag, associatedData);
}
