using MedLedger.Core;

namespace MedLedger.Crypto;

/// <summary>
/// The algorithms a chain uses everywhere, fixed at genesis (SPEC F38): a hash, a signature scheme, a
/// key agreement and an AEAD cipher. <c>Ledger</c> and <c>Consensus</c> never name a concrete algorithm; they take
/// a suite. Implementations are thread-safe.
/// </summary>
public interface ICryptoSuite
{
    /// <summary>The suite's name as written in genesis: <c>standard</c> or <c>gm</c>.</summary>
    string Name { get; }

    /// <summary>Size of an encoded public key in bytes.</summary>
    int PublicKeyBytes { get; }

    /// <summary>Size of a signature in bytes.</summary>
    int SignatureBytes { get; }

    /// <summary>Size of an AEAD key in bytes.</summary>
    int AeadKeyBytes { get; }

    /// <summary>Size of an AEAD nonce in bytes.</summary>
    int AeadNonceBytes { get; }

    /// <summary>Size of an AEAD authentication tag in bytes.</summary>
    int AeadTagBytes { get; }

    /// <summary>Hashes <paramref name="data"/>.</summary>
    Hash Hash(ReadOnlySpan<byte> data);

    /// <summary>Creates an incremental hasher, for inputs written in parts.</summary>
    IHasher CreateHasher();

    /// <summary>Generates a fresh signing key from the operating system's random source.</summary>
    ISigningKey GenerateSigningKey();

    /// <summary>Loads a signing key from its private scalar; throws <see cref="CryptoException"/> if invalid.</summary>
    ISigningKey ImportSigningKey(ReadOnlySpan<byte> privateKey);

    /// <summary>True when <paramref name="publicKey"/> is a well-formed point on the suite's curve.</summary>
    bool IsValidPublicKey(ReadOnlySpan<byte> publicKey);

    /// <summary>
    /// Verifies <paramref name="signature"/> over <paramref name="message"/> by <paramref name="publicKey"/>.
    /// Returns false for any malformed key or signature; never throws on bad input.
    /// </summary>
    bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature);

    /// <summary>Derives the shared secret between a private key and a peer's public key (ECDH), hashed.</summary>
    byte[] DeriveSharedSecret(ISigningKey privateKey, ReadOnlySpan<byte> peerPublicKey);

    /// <summary>
    /// Makes a one-off key pair and agrees a secret with <paramref name="peerPublicKey"/> (the sender's half of
    /// ECIES): returns the one-off public key and the same hashed secret that <see cref="DeriveSharedSecret"/> gives
    /// the peer with it. The one-off private key never leaves the call. Suites may do it in fewer steps.
    /// </summary>
    (byte[] PublicKey, byte[] Secret) DeriveEphemeralSecret(ReadOnlySpan<byte> peerPublicKey)
    {
        using var ephemeral = GenerateSigningKey();
        return (ephemeral.PublicKey.ToArray(), DeriveSharedSecret(ephemeral, peerPublicKey));
    }

    /// <summary>Encrypts and authenticates; returns ciphertext followed by the tag.</summary>
    byte[] AeadEncrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData);

    /// <summary>Checks the tag and decrypts; throws <see cref="CryptoException"/> if anything was altered.</summary>
    byte[] AeadDecrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> associatedData);
}

/// <summary>An incremental hash of the suite's algorithm.</summary>
public interface IHasher : IDisposable
{
    /// <summary>Appends bytes to the input.</summary>
    void Append(ReadOnlySpan<byte> data);

    /// <summary>Returns the hash of everything appended and resets the hasher.</summary>
    Hash Finish();
}

/// <summary>A private key that can sign; the private scalar stays inside unless exported on purpose.</summary>
public interface ISigningKey : IDisposable
{
    /// <summary>The suite this key belongs to.</summary>
    string SuiteName { get; }

    /// <summary>The encoded public key.</summary>
    ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>Signs <paramref name="message"/> (the suite hashes it as part of signing).</summary>
    byte[] Sign(ReadOnlySpan<byte> message);

    /// <summary>The private scalar, for writing an encrypted key file. The caller must wipe it after use.</summary>
    byte[] ExportPrivateKey();
}

/// <summary>A cryptographic operation failed on bad input (an invalid key, an altered ciphertext, a wrong passphrase).</summary>
public sealed class CryptoException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CryptoException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public CryptoException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public CryptoException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
