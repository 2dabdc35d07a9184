using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MedLedger.Core;

namespace MedLedger.Crypto;

/// <summary>
/// Several private keys of one person sealed under their passphrase (SPEC F4: the custodial keystore a home
/// organisation keeps for its patients and web users). One PBKDF2 derivation (the parameters of <see cref="KeyFile"/>)
/// opens every key — a patient has one pseudonym key per institution relationship. The public keys are readable
/// without the passphrase and, with the format and KDF parameters, are the AEAD's associated data, so none of them
/// can be swapped. The node never holds the passphrase: without it a custodial key cannot be used.
/// </summary>
public static class KeyVault
{
    /// <summary>The format tag written into every vault.</summary>
    public const string Format = "medledger-vault/1";

    /// <summary>Most keys in one vault.</summary>
    public const int MaxKeys = 64;

    private const int SaltBytes = 16;

    /// <summary>Seals <paramref name="keys"/> under <paramref name="passphrase"/>.</summary>
    public static byte[] Seal(ICryptoSuite suite, IReadOnlyList<ISigningKey> keys, string passphrase, int iterations = KeyFile.MinimumIterations)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(passphrase);
        if (passphrase.Length < 8)
        {
            throw new CryptoException("A passphrase has at least 8 characters.");
        }

        if (iterations is < KeyFile.MinimumIterations or > KeyFile.MaximumIterations)
        {
            throw new CryptoException($"Vaults use {KeyFile.MinimumIterations:N0}..{KeyFile.MaximumIterations:N0} PBKDF2 iterations.");
        }

        if (keys.Count is 0 or > MaxKeys)
        {
            throw new CryptoException($"A vault holds 1..{MaxKeys} keys.");
        }

        var document = new VaultDocument
        {
            Format = Format,
            Suite = suite.Name,
            Iterations = iterations,
            Salt = Convert.ToBase64String(RandomNumberGenerator.GetBytes(SaltBytes)),
            Nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(suite.AeadNonceBytes)),
            PublicKeys = keys.Select(k => Convert.ToHexStringLower(k.PublicKey.Span)).ToList(),
        };
        var plaintext = new CanonicalWriter(64 * keys.Count);
        plaintext.WriteCount(keys.Count);
        foreach (var key in keys)
        {
            var scalar = key.ExportPrivateKey();
            plaintext.WriteBytes(scalar);
            CryptographicOperations.ZeroMemory(scalar);
        }

        var wrappingKey = DeriveKey(passphrase, Convert.FromBase64String(document.Salt), iterations, suite.AeadKeyBytes);
        var bytes = plaintext.ToArray();
        try
        {
            document.Ciphertext = Convert.ToBase64String(suite.AeadEncrypt(wrappingKey, Convert.FromBase64String(document.Nonce), bytes, AssociatedData(document)));
            return JsonSerializer.SerializeToUtf8Bytes(document);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
            CryptographicOperations.ZeroMemory(wrappingKey);
        }
    }

    /// <summary>The public keys a vault holds, without the passphrase.</summary>
    public static IReadOnlyList<byte[]> ReadPublicKeys(ReadOnlySpan<byte> vault) =>
        Parse(vault).PublicKeys!.Select(Convert.FromHexString).ToList();

    /// <summary>
    /// Opens a vault. Throws <see cref="CryptoException"/> for a malformed or altered vault, another suite, or a wrong
    /// passphrase (one message for both of the last two, so the error does not tell which).
    /// </summary>
    public static IReadOnlyList<ISigningKey> Open(ICryptoSuite suite, ReadOnlySpan<byte> vault, string passphrase)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(passphrase);
        var document = Parse(vault);
        if (document.Suite != suite.Name)
        {
            throw new CryptoException($"The vault is for suite '{document.Suite}', not '{suite.Name}'.");
        }

        byte[] salt, nonce, ciphertext;
        try
        {
            salt = Convert.FromBase64String(document.Salt!);
            nonce = Convert.FromBase64String(document.Nonce!);
            ciphertext = Convert.FromBase64String(document.Ciphertext!);
        }
        catch (FormatException exception)
        {
            throw new CryptoException("The vault is malformed (bad base64).", exception);
        }

        if (salt.Length != SaltBytes || nonce.Length != suite.AeadNonceBytes)
        {
            throw new CryptoException("The vault is malformed (salt or nonce size).");
        }

        var wrappingKey = DeriveKey(passphrase, salt, document.Iterations, suite.AeadKeyBytes);
        byte[] plaintext;
        try
        {
            plaintext = suite.AeadDecrypt(wrappingKey, nonce, ciphertext, AssociatedData(document));
        }
        catch (CryptoException exception)
        {
            throw new CryptoException("Wrong passphrase, or the vault was altered.", exception);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wrappingKey);
        }

        var keys = new List<ISigningKey>();
        try
        {
            var reader = new CanonicalReader(plaintext);
            var count = reader.ReadCount(MaxKeys);
            if (count != document.PublicKeys!.Count)
            {
                throw new CryptoException("The vault's key count does not match its public keys.");
            }

            for (var i = 0; i < count; i++)
            {
                var key = suite.ImportSigningKey(reader.ReadBytesSpan(Limits.MaxPublicKeyBytes));
                keys.Add(key);
                if (!string.Equals(Convert.ToHexStringLower(key.PublicKey.Span), document.PublicKeys[i], StringComparison.Ordinal))
                {
                    throw new CryptoException("A vault key does not match its public key.");
                }
            }

            reader.EnsureEnd();
            return keys;
        }
        catch (Exception exception) when (exception is DecodingException or CryptoException)
        {
            foreach (var key in keys)
            {
                key.Dispose();
            }

            throw exception as CryptoException ?? new CryptoException("The vault's contents are malformed.", exception);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static VaultDocument Parse(ReadOnlySpan<byte> vault)
    {
        if (vault.Length > Limits.MaxKeyFileBytes * 4)
        {
            throw new CryptoException("The vault is too large.");
        }

        VaultDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<VaultDocument>(vault);
        }
        catch (JsonException exception)
        {
            throw new CryptoException("The vault is not valid JSON.", exception);
        }

        if (document is null || document.Format != Format || document.Suite is null || document.Salt is null || document.Nonce is null
            || document.Ciphertext is null || document.PublicKeys is null || document.PublicKeys.Count is 0 or > MaxKeys)
        {
            throw new CryptoException($"Not a MedLedger vault (format '{Format}') or a field is missing.");
        }

        if (document.Iterations is < KeyFile.MinimumIterations or > KeyFile.MaximumIterations)
        {
            throw new CryptoException($"The vault's PBKDF2 iterations must lie in {KeyFile.MinimumIterations:N0}..{KeyFile.MaximumIterations:N0}.");
        }

        if (document.PublicKeys.Any(k => k is null || k.Length % 2 != 0 || k.Length > 2 * Limits.MaxPublicKeyBytes || !k.All(Uri.IsHexDigit)))
        {
            throw new CryptoException("The vault's public keys are malformed.");
        }

        return document;
    }

    private static byte[] AssociatedData(VaultDocument document) =>
        Encoding.UTF8.GetBytes($"{document.Format}\n{document.Suite}\npbkdf2-hmac-sha256\n{document.Iterations}\n{document.Salt}\n{string.Join(',', document.PublicKeys!)}");

    private static byte[] DeriveKey(string passphrase, byte[] salt, int iterations, int length) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), salt, iterations, HashAlgorithmName.SHA256, length);

    private sealed class VaultDocument
    {
        public string? Format { get; set; }

        public string? Suite { get; set; }

        public int Iterations { get; set; }

        public string? Salt { get; set; }

        public string? Nonce { get; set; }

        public List<string>? PublicKeys { get; set; }

        public string? Ciphertext { get; set; }
    }
}
