using System.Security.Cryptography;
using MedLedger.Core;

namespace MedLedger.Crypto;

/// <summary>
/// Wraps a record's data key for one recipient (SPEC F12, ECIES over the suite's curve, docs/encoding.md "Key
/// envelopes"). Two forms share one layout, <c>form ‖ u32 len ‖ sender public key ‖ nonce ‖ ciphertext+tag</c>:
/// <list type="bullet">
/// <item><description><b>Ephemeral</b> (form 1): a fresh key pair per envelope; the recipient needs only its private key.
/// Used when a record is written.</description></item>
/// <item><description><b>Static</b> (form 2): the holding organisation's key and the reader's key agree on a secret
/// that both sides may cache, so a read costs no key agreement. Used on the read path (SPEC F19); every envelope
/// still has a fresh random nonce, and the associated data binds it to one record tier and reader.</description></item>
/// </list>
/// The key-encryption key is the suite hash of a domain tag, the ECDH secret and both public keys.
/// </summary>
public static class KeyWrap
{
    private const byte EphemeralForm = 1;
    private const byte StaticForm = 2;
    private static readonly byte[] Domain = "MedLedger/key-wrap/v1\0"u8.ToArray();

    /// <summary>Wraps <paramref name="dataKey"/> for <paramref name="recipientPublicKey"/> with a fresh ephemeral key.</summary>
    public static byte[] WrapEphemeral(ICryptoSuite suite, ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> associatedData)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var (ephemeralPublicKey, secret) = suite.DeriveEphemeralSecret(recipientPublicKey);
        try
        {
            return Seal(suite, EphemeralForm, secret, ephemeralPublicKey, recipientPublicKey, dataKey, associatedData);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>
    /// Wraps <paramref name="dataKey"/> from <paramref name="senderPublicKey"/> to <paramref name="recipientPublicKey"/>
    /// under a secret from <see cref="DeriveStaticSecret"/> (which the caller may cache per pair of keys).
    /// </summary>
    public static byte[] WrapStatic(ICryptoSuite suite, ReadOnlySpan<byte> staticSecret, ReadOnlySpan<byte> senderPublicKey, ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> associatedData)
    {
        ArgumentNullException.ThrowIfNull(suite);
        return Seal(suite, StaticForm, staticSecret, senderPublicKey, recipientPublicKey, dataKey, associatedData);
    }

    /// <summary>The ECDH secret between a private key and a peer's public key (either side computes the same).</summary>
    public static byte[] DeriveStaticSecret(ICryptoSuite suite, ISigningKey privateKey, ReadOnlySpan<byte> peerPublicKey)
    {
        ArgumentNullException.ThrowIfNull(suite);
        return suite.DeriveSharedSecret(privateKey, peerPublicKey);
    }

    /// <summary>
    /// Opens an envelope of either form with the recipient's private key. Throws <see cref="CryptoException"/> when
    /// the envelope is malformed, altered, bound to other associated data or meant for another key.
    /// </summary>
    public static byte[] Unwrap(ICryptoSuite suite, ISigningKey recipient, ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> associatedData)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(recipient);
        var (form, senderKey, _, _) = Parse(suite, envelope);
        _ = form;
        var secret = suite.DeriveSharedSecret(recipient, senderKey);
        try
        {
            return UnwrapWithSecret(suite, secret, recipient.PublicKey.Span, envelope, associatedData);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>Opens an envelope with an already derived secret (a cached static secret).</summary>
    public static byte[] UnwrapWithSecret(ICryptoSuite suite, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> associatedData)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var (form, senderKey, nonce, ciphertext) = Parse(suite, envelope);
        var kek = DeriveKek(suite, form, secret, senderKey, recipientPublicKey);
        try
        {
            return suite.AeadDecrypt(kek, nonce, ciphertext, associatedData);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    /// <summary>The sender public key an envelope names (the ephemeral key, or the holding organisation's key).</summary>
    public static byte[] ReadSenderKey(ICryptoSuite suite, ReadOnlySpan<byte> envelope) => Parse(suite, envelope).SenderKey;

    /// <summary>The key-encryption key of an ephemeral-form envelope from its agreed secret (for a sender that reuses it).</summary>
    internal static byte[] DeriveEphemeralKek(ICryptoSuite suite, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> senderPublicKey, ReadOnlySpan<byte> recipientPublicKey) =>
        DeriveKek(suite, EphemeralForm, secret, senderPublicKey, recipientPublicKey);

    /// <summary>Seals an ephemeral-form envelope under an already derived key-encryption key, with a fresh random nonce.</summary>
    internal static byte[] SealEphemeralWithKek(ICryptoSuite suite, ReadOnlySpan<byte> kek, ReadOnlySpan<byte> senderPublicKey, ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> associatedData) =>
        SealWithKek(suite, EphemeralForm, kek, senderPublicKey, dataKey, associatedData);

    /// <summary>The form and sender key an envelope names (throws <see cref="CryptoException"/> when malformed).</summary>
    internal static (byte Form, byte[] SenderKey) ReadHeader(ICryptoSuite suite, ReadOnlySpan<byte> envelope)
    {
        var (form, sender, _, _) = Parse(suite, envelope);
        return (form, sender);
    }

    private static byte[] Seal(ICryptoSuite suite, byte form, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> senderPublicKey, ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> associatedData)
    {
        var kek = DeriveKek(suite, form, secret, senderPublicKey, recipientPublicKey);
        try
        {
            return SealWithKek(suite, form, kek, senderPublicKey, dataKey, associatedData);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    private static byte[] SealWithKek(ICryptoSuite suite, byte form, ReadOnlySpan<byte> kek, ReadOnlySpan<byte> senderPublicKey, ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> associatedData)
    {
        var nonce = RandomNumberGenerator.GetBytes(suite.AeadNonceBytes);
        var ciphertext = suite.AeadEncrypt(kek, nonce, dataKey, associatedData);
        var writer = new CanonicalWriter(1 + 4 + senderPublicKey.Length + nonce.Length + ciphertext.Length);
        writer.WriteByte(form);
        writer.WriteBytes(senderPublicKey);
        writer.WriteRaw(nonce);
        writer.WriteRaw(ciphertext);
        return writer.ToArray();
    }

    private static byte[] DeriveKek(ICryptoSuite suite, byte form, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> senderPublicKey, ReadOnlySpan<byte> recipientPublicKey)
    {
        var writer = new CanonicalWriter(Domain.Length + 1 + secret.Length + senderPublicKey.Length + recipientPublicKey.Length + 16);
        writer.WriteRaw(Domain);
        writer.WriteByte(form);
        writer.WriteBytes(secret);
        writer.WriteBytes(senderPublicKey);
        writer.WriteBytes(recipientPublicKey);
        var hash = suite.Hash(writer.WrittenSpan).ToArray();
        return hash.AsSpan(0, suite.AeadKeyBytes).ToArray();
    }

    private static (byte Form, byte[] SenderKey, byte[] Nonce, byte[] Ciphertext) Parse(ICryptoSuite suite, ReadOnlySpan<byte> envelope)
    {
        try
        {
            var reader = new CanonicalReader(envelope);
            var form = reader.ReadByte();
            if (form is not EphemeralForm and not StaticForm)
            {
                throw new CryptoException("Unknown key envelope form.");
            }

            var sender = reader.ReadBytes(Limits.MaxPublicKeyBytes);
            var nonce = reader.ReadRaw(suite.AeadNonceBytes).ToArray();
            if (reader.Remaining < suite.AeadTagBytes + 1 || reader.Remaining > 256)
            {
                throw new CryptoException("The key envelope has no room for a key and tag.");
            }

            var ciphertext = reader.ReadRaw(reader.Remaining).ToArray();
            return (form, sender, nonce, ciphertext);
        }
        catch (DecodingException exception)
        {
            throw new CryptoException("The key envelope is malformed.", exception);
        }
    }
}
