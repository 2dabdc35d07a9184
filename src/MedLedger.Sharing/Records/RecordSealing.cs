using System.Security.Cryptography;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Sharing.Records;

/// <summary>A tier sealed for storage: the ciphertext, its content address, the salted commitment and the data key.</summary>
/// <param name="Tier">The tier.</param>
/// <param name="Ciphertext">What the holding node stores.</param>
/// <param name="ContentAddress">Hash of <paramref name="Ciphertext"/>: the on-chain pointer.</param>
/// <param name="Commitment">Salted commitment to the plaintext: on chain.</param>
/// <param name="DataKey">The fresh random data key; wrap it for the recipients, then wipe it.</param>
public sealed record SealedTier(SensitivityTier Tier, byte[] Ciphertext, Hash ContentAddress, Hash Commitment, byte[] DataKey);

/// <summary>The stored tier does not match what the chain says (SPEC F21), or cannot be opened.</summary>
public sealed class RecordIntegrityException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RecordIntegrityException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public RecordIntegrityException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public RecordIntegrityException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Sealing and opening one tier of a record (SPEC F11–F13, docs/encoding.md "Sealed tiers"). Each tier gets a fresh
/// random data key and a fresh random 32-byte salt. The stored ciphertext is <c>version ‖ nonce ‖ AEAD(data key,
/// salt ‖ content)</c> with the record id and tier as associated data; its hash is the content address. The
/// commitment is the suite hash of a domain tag, record id, tier, salt and content: it binds the content without
/// revealing anything, even about guessable content, because the salt is secret (it travels only inside the
/// ciphertext).
/// </summary>
public static class RecordSealing
{
    private const byte Version = 1;
    private const int SaltBytes = 32;
    private static readonly byte[] TierDomain = "MedLedger/record-tier/v1\0"u8.ToArray();
    private static readonly byte[] CommitmentDomain = "MedLedger/record-commitment/v1\0"u8.ToArray();
    private static readonly byte[] EnvelopeDomain = "MedLedger/record-key/v1\0"u8.ToArray();

    /// <summary>Seals <paramref name="content"/> as tier <paramref name="tier"/> of record <paramref name="recordId"/>.</summary>
    public static SealedTier SealTier(ICryptoSuite suite, Hash recordId, SensitivityTier tier, ReadOnlySpan<byte> content)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var dataKey = RandomNumberGenerator.GetBytes(suite.AeadKeyBytes);
        var nonce = RandomNumberGenerator.GetBytes(suite.AeadNonceBytes);
        var plaintext = new byte[SaltBytes + content.Length];
        RandomNumberGenerator.Fill(plaintext.AsSpan(0, SaltBytes));
        content.CopyTo(plaintext.AsSpan(SaltBytes));
        try
        {
            var commitment = Commit(suite, recordId, tier, plaintext.AsSpan(0, SaltBytes), content);
            var sealedBytes = suite.AeadEncrypt(dataKey, nonce, plaintext, TierAssociatedData(recordId, tier));
            var ciphertext = new byte[1 + nonce.Length + sealedBytes.Length];
            ciphertext[0] = Version;
            nonce.CopyTo(ciphertext, 1);
            sealedBytes.CopyTo(ciphertext, 1 + nonce.Length);
            return new SealedTier(tier, ciphertext, suite.Hash(ciphertext), commitment, dataKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>
    /// Opens a stored tier with its data key and checks it against the chain: the ciphertext must hash to
    /// <paramref name="contentAddress"/> and the plaintext must open to <paramref name="commitment"/>. Throws
    /// <see cref="RecordIntegrityException"/> naming the check that failed.
    /// </summary>
    public static byte[] OpenTier(ICryptoSuite suite, Hash recordId, SensitivityTier tier, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> dataKey, Hash contentAddress, Hash commitment)
    {
        ArgumentNullException.ThrowIfNull(suite);
        if (suite.Hash(ciphertext) != contentAddress)
        {
            throw new RecordIntegrityException($"The stored ciphertext of tier {tier} does not hash to its on-chain content address.");
        }

        if (ciphertext.Length < 1 + suite.AeadNonceBytes + SaltBytes + suite.AeadTagBytes || ciphertext[0] != Version)
        {
            throw new RecordIntegrityException($"The stored ciphertext of tier {tier} is malformed.");
        }

        byte[] plaintext;
        try
        {
            plaintext = suite.AeadDecrypt(dataKey, ciphertext.Slice(1, suite.AeadNonceBytes), ciphertext[(1 + suite.AeadNonceBytes)..], TierAssociatedData(recordId, tier));
        }
        catch (CryptoException exception)
        {
            throw new RecordIntegrityException($"Tier {tier} does not decrypt under its data key.", exception);
        }

        try
        {
            var content = plaintext.AsSpan(SaltBytes);
            if (Commit(suite, recordId, tier, plaintext.AsSpan(0, SaltBytes), content) != commitment)
            {
                throw new RecordIntegrityException($"The content of tier {tier} does not match its on-chain commitment.");
            }

            return content.ToArray();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>Associated data of a key envelope: binds it to one record tier and one recipient key.</summary>
    public static byte[] EnvelopeAssociatedData(Hash recordId, SensitivityTier tier, Hash recipientKeyId)
    {
        var writer = new CanonicalWriter(EnvelopeDomain.Length + (2 * Hash.Size) + 1);
        writer.WriteRaw(EnvelopeDomain);
        writer.WriteHash(recordId);
        writer.WriteByte((byte)tier);
        writer.WriteHash(recipientKeyId);
        return writer.ToArray();
    }

    private static Hash Commit(ICryptoSuite suite, Hash recordId, SensitivityTier tier, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> content)
    {
        using var hasher = suite.CreateHasher();
        hasher.Append(CommitmentDomain);
        Span<byte> id = stackalloc byte[Hash.Size];
        recordId.CopyTo(id);
        hasher.Append(id);
        hasher.Append([(byte)tier]);
        hasher.Append(salt);
        hasher.Append(content);
        return hasher.Finish();
    }

    private static byte[] TierAssociatedData(Hash recordId, SensitivityTier tier)
    {
        var writer = new CanonicalWriter(TierDomain.Length + Hash.Size + 1);
        writer.WriteRaw(TierDomain);
        writer.WriteHash(recordId);
        writer.WriteByte((byte)tier);
        return writer.ToArray();
    }
}
