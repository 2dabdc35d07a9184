using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MedLedger.Core;

namespace MedLedger.Crypto;

/// <summary>
/// A private key encrypted under a passphrase (docs/encoding.md, "Key files"): PBKDF2-HMAC-SHA256 with at least
/// 600,000 iterations and a random 16-byte salt derives a key for the suite's AEAD, which encrypts the private
/// scalar. The format, suite, public key and KDF parameters are the associated data, so none of them can be
/// changed without the file failing to open. Files with fewer iterations are refused.
/// </summary>
public static class KeyFile
{
    /// <summary>The format tag written into every key file.</summary>
    public const string Format = "medledger-key/1";

    /// <summary>The fewest PBKDF2 iterations accepted (OWASP 2023 guidance for PBKDF2-HMAC-SHA256).</summary>
    public const int MinimumIterations = 600_000;

    /// <summary>The most PBKDF2 iterations accepted, so that a crafted file cannot occupy a core for minutes.</summary>
    public const int MaximumIterations = 10_000_000;

    private const int SaltBytes = 16;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Encrypts <paramref name="key"/> under <paramref name="passphrase"/> and returns the file's bytes.</summary>
    public static byte[] Encode(ICryptoSuite suite, ISigningKey key, string passphrase, int iterations = MinimumIterations)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(key);
        CheckPassphrase(passphrase);
        if (iterations < MinimumIterations)
        {
            throw new CryptoException($"Key files use at least {MinimumIterations:N0} PBKDF2 iterations.");
        }

        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var nonce = RandomNumberGenerator.GetBytes(suite.AeadNonceBytes);
        var publicKey = key.PublicKey.ToArray();
        var document = new KeyFileDocument
        {
            Format = Format,
            Suite = suite.Name,
            PublicKey = Convert.ToHexStringLower(publicKey),
            Kdf = new KdfSection { Name = "pbkdf2-hmac-sha256", Iterations = iterations, Salt = Convert.ToBase64String(salt) },
            Nonce = Convert.ToBase64String(nonce),
        };

        var wrappingKey = DeriveKey(passphrase, salt, iterations, suite.AeadKeyBytes);
        var privateKey = key.ExportPrivateKey();
        try
        {
            var ciphertext = suite.AeadEncrypt(wrappingKey, nonce, privateKey, AssociatedData(document));
            document.Ciphertext = Convert.ToBase64String(ciphertext);
            return JsonSerializer.SerializeToUtf8Bytes(document, JsonOptions);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
            CryptographicOperations.ZeroMemory(wrappingKey);
        }
    }

    /// <summary>Reads the public key of a key file without the passphrase.</summary>
    public static byte[] ReadPublicKey(ReadOnlySpan<byte> file)
    {
        var document = Parse(file);
        try
        {
            return Convert.FromHexString(document.PublicKey!);
        }
        catch (FormatException exception)
        {
            throw new CryptoException("The key file is malformed (bad hex).", exception);
        }
    }

    /// <summary>
    /// Opens a key file. Throws <see cref="CryptoException"/> with a one-line reason for a malformed file,
    /// a suite mismatch, too few iterations, or a wrong passphrase.
    /// </summary>
    public static ISigningKey Decode(ICryptoSuite suite, ReadOnlySpan<byte> file, string passphrase)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(passphrase);
        var document = Parse(file);
        if (document.Suite != suite.Name)
        {
            throw new CryptoException($"The key file is for suite '{document.Suite}', not '{suite.Name}'.");
        }

        byte[] salt, nonce, ciphertext, publicKey;
        try
        {
            salt = Convert.FromBase64String(document.Kdf!.Salt!);
            nonce = Convert.FromBase64String(document.Nonce!);
            ciphertext = Convert.FromBase64String(document.Ciphertext!);
            publicKey = Convert.FromHexString(document.PublicKey!);
        }
        catch (FormatException exception)
        {
            throw new CryptoException("The key file is malformed (bad base64 or hex).", exception);
        }

        if (salt.Length != SaltBytes || nonce.Length != suite.AeadNonceBytes)
        {
            throw new CryptoException("The key file is malformed (salt or nonce size).");
        }

        var wrappingKey = DeriveKey(passphrase, salt, document.Kdf.Iterations, suite.AeadKeyBytes);
        byte[] privateKey;
        try
        {
            privateKey = suite.AeadDecrypt(wrappingKey, nonce, ciphertext, AssociatedData(document));
        }
        catch (CryptoException exception)
        {
            throw new CryptoException("Wrong passphrase, or the key file was altered.", exception);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wrappingKey);
        }

        try
        {
            var key = suite.ImportSigningKey(privateKey);
            if (!CryptographicOperations.FixedTimeEquals(key.PublicKey.Span, publicKey))
            {
                key.Dispose();
                throw new CryptoException("The key file's public key does not match its private key.");
            }

            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    /// <summary>Writes an encrypted key file readable only by the current user.</summary>
    public static void Save(string path, ICryptoSuite suite, ISigningKey key, string passphrase)
    {
        var bytes = Encode(suite, key, passphrase);
        SecureFile.WriteAllBytes(path, bytes);
    }

    /// <summary>Opens an encrypted key file from disk.</summary>
    public static ISigningKey Load(string path, ICryptoSuite suite, string passphrase)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new CryptoException($"No key file at '{path}'.");
        }

        if (info.Length > Limits.MaxKeyFileBytes)
        {
            throw new CryptoException($"'{path}' is too large to be a key file.");
        }

        return Decode(suite, File.ReadAllBytes(path), passphrase);
    }

    private static KeyFileDocument Parse(ReadOnlySpan<byte> file)
    {
        if (file.Length > Limits.MaxKeyFileBytes)
        {
            throw new CryptoException("The key file is too large.");
        }

        KeyFileDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<KeyFileDocument>(file, JsonOptions);
        }
        catch (JsonException exception)
        {
            throw new CryptoException("The key file is not valid JSON.", exception);
        }

        if (document is null || document.Format != Format)
        {
            throw new CryptoException($"Not a MedLedger key file (expected format '{Format}').");
        }

        if (document.Suite is null || document.PublicKey is null || document.Nonce is null || document.Ciphertext is null
            || document.Kdf?.Salt is null || document.Kdf.Name != "pbkdf2-hmac-sha256")
        {
            throw new CryptoException("The key file is missing a field or names an unknown KDF.");
        }

        if (document.Kdf.Iterations > MaximumIterations)
        {
            throw new CryptoException($"The key file asks for {document.Kdf.Iterations} PBKDF2 iterations; at most {MaximumIterations:N0} are accepted.");
        }

        if (document.Kdf.Iterations < MinimumIterations)
        {
            throw new CryptoException($"The key file uses {document.Kdf.Iterations} PBKDF2 iterations; at least {MinimumIterations:N0} are required.");
        }

        return document;
    }

    private static byte[] AssociatedData(KeyFileDocument document) =>
        Encoding.UTF8.GetBytes($"{document.Format}\n{document.Suite}\n{document.PublicKey}\n{document.Kdf!.Name}\n{document.Kdf.Iterations}\n{document.Kdf.Salt}");

    private static byte[] DeriveKey(string passphrase, byte[] salt, int iterations, int length) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), salt, iterations, HashAlgorithmName.SHA256, length);

    private static void CheckPassphrase(string passphrase)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        if (passphrase.Length < 8)
        {
            throw new CryptoException("A passphrase has at least 8 characters.");
        }
    }

    private sealed class KeyFileDocument
    {
        public string? Format { get; set; }

        public string? Suite { get; set; }

        public string? PublicKey { get; set; }

        public KdfSection? Kdf { get; set; }

        public string? Nonce { get; set; }

        public string? Ciphertext { get; set; }
    }

    private sealed class KdfSection
    {
        public string? Name { get; set; }

        public int Iterations { get; set; }

        public string? Salt { get; set; }
    }
}
