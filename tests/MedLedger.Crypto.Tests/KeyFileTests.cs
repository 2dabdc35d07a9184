using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MedLedger.Core;

namespace MedLedger.Crypto.Tests;

/// <summary>
/// One encrypted key file shared by every test in <see cref="KeyFileTests"/>: PBKDF2 at 600,000 iterations costs about
/// 0.3 s per encode or decode, so the tests derive the wrapping key only where the derivation itself is under test.
/// </summary>
public sealed class KeyFileFixture : IDisposable
{
    public const string Passphrase = "correct horse battery staple";

    public KeyFileFixture()
    {
        Key = CryptoSuites.Standard.GenerateSigningKey();
        Encoded = KeyFile.Encode(CryptoSuites.Standard, Key, Passphrase);
    }

    public ISigningKey Key { get; }

    public byte[] Encoded { get; }

    public void Dispose() => Key.Dispose();
}

/// <summary>Key files: the documented JSON format, round trips, and refusal of every alteration.</summary>
public sealed class KeyFileTests(KeyFileFixture fixture) : IClassFixture<KeyFileFixture>
{
    private readonly ICryptoSuite _suite = CryptoSuites.Standard;

    // Proves the right passphrase opens the file and gives back a key with the same public key that signs.
    [Fact]
    public void Decode_RightPassphrase_ReturnsTheSameKey()
    {
        using var key = KeyFile.Decode(_suite, fixture.Encoded, KeyFileFixture.Passphrase);
        Assert.Equal(fixture.Key.PublicKey.ToArray(), key.PublicKey.ToArray());
        var message = "sign me"u8;
        Assert.True(_suite.Verify(fixture.Key.PublicKey.Span, message, key.Sign(message)));
    }

    // Proves a wrong passphrase is a CryptoException with a one-line reason, not a garbage key.
    [Fact]
    public void Decode_WrongPassphrase_ThrowsCryptoException()
    {
        var exception = Assert.Throws<CryptoException>(() => KeyFile.Decode(_suite, fixture.Encoded, KeyFileFixture.Passphrase + "!"));
        Assert.Contains("passphrase", exception.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain('\n', exception.Message);
    }

    // Proves the file is exactly the documented JSON (docs/encoding.md, "Key files"): these fields, these values and
    // sizes, nothing else; and that it fits MaxKeyFileBytes.
    [Fact]
    public void Encode_WritesTheDocumentedJsonFields()
    {
        var json = JsonNode.Parse(fixture.Encoded)!.AsObject();
        Assert.Equal(["format", "suite", "publicKey", "kdf", "nonce", "ciphertext"], json.Select(p => p.Key));
        Assert.Equal("medledger-key/1", (string?)json["format"]);
        Assert.Equal(KeyFile.Format, (string?)json["format"]);
        Assert.Equal("standard", (string?)json["suite"]);
        Assert.Equal(Convert.ToHexStringLower(fixture.Key.PublicKey.Span), (string?)json["publicKey"]);

        var kdf = json["kdf"]!.AsObject();
        Assert.Equal(["name", "iterations", "salt"], kdf.Select(p => p.Key));
        Assert.Equal("pbkdf2-hmac-sha256", (string?)kdf["name"]);
        Assert.Equal(600_000, (int)kdf["iterations"]!);
        Assert.Equal(600_000, KeyFile.MinimumIterations);
        Assert.Equal(16, Convert.FromBase64String((string)kdf["salt"]!).Length);
        Assert.Equal(12, Convert.FromBase64String((string)json["nonce"]!).Length);
        Assert.Equal(32 + 16, Convert.FromBase64String((string)json["ciphertext"]!).Length);
        Assert.True(fixture.Encoded.Length <= Limits.MaxKeyFileBytes);
        Assert.Equal(fixture.Key.PublicKey.ToArray(), KeyFile.ReadPublicKey(fixture.Encoded));
    }

    // Proves the documented construction, implemented here independently: PBKDF2-HMAC-SHA256(passphrase, salt,
    // iterations, 32) is the AES-256-GCM key, and the associated data is format, suite, publicKey, kdf name,
    // iterations and salt (as written in the file) joined by '\n'.
    [Fact]
    public void Decode_IndependentImplementationOfTheFormat_RecoversThePrivateKey()
    {
        var json = JsonNode.Parse(fixture.Encoded)!.AsObject();
        var kdf = json["kdf"]!;
        var salt = Convert.FromBase64String((string)kdf["salt"]!);
        var wrappingKey = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(KeyFileFixture.Passphrase), salt, (int)kdf["iterations"]!, HashAlgorithmName.SHA256, 32);
        var associatedData = Encoding.UTF8.GetBytes(string.Join('\n', (string)json["format"]!, (string)json["suite"]!, (string)json["publicKey"]!, (string)kdf["name"]!, (int)kdf["iterations"]!, (string)kdf["salt"]!));
        var sealedBytes = Convert.FromBase64String((string)json["ciphertext"]!);
        var privateKey = new byte[sealedBytes.Length - 16];
        using (var aes = new AesGcm(wrappingKey, 16))
        {
            aes.Decrypt(Convert.FromBase64String((string)json["nonce"]!), sealedBytes[..^16], sealedBytes[^16..], privateKey, associatedData);
        }

        using var key = _suite.ImportSigningKey(privateKey);
        Assert.Equal(fixture.Key.PublicKey.ToArray(), key.PublicKey.ToArray());
    }

    public static TheoryData<string> AuthenticatedAlterations => ["publicKey", "iterations", "salt", "nonce", "ciphertext", "ciphertext tag"];

    // Proves every field that takes part in decryption is authenticated: altering the public key (to another valid
    // key), raising the iteration count, or flipping one bit of salt, nonce, ciphertext or tag makes the file fail to
    // open with CryptoException, even with the right passphrase.
    [Theory]
    [MemberData(nameof(AuthenticatedAlterations))]
    public void Decode_AuthenticatedFieldAltered_ThrowsCryptoException(string field)
    {
        var altered = Alter(fixture.Encoded, json =>
        {
            switch (field)
            {
                case "publicKey":
                    using (var other = _suite.GenerateSigningKey())
                    {
                        json["publicKey"] = Convert.ToHexStringLower(other.PublicKey.Span);
                    }

                    break;
                case "iterations":
                    json["kdf"]!["iterations"] = 600_001;
                    break;
                case "salt":
                    json["kdf"]!["salt"] = FlipFirstBit((string)json["kdf"]!["salt"]!);
                    break;
                case "ciphertext tag":
                    json["ciphertext"] = FlipLastBit((string)json["ciphertext"]!);
                    break;
                default:
                    json[field] = FlipFirstBit((string)json[field]!);
                    break;
            }
        });
        Assert.Throws<CryptoException>(() => KeyFile.Decode(_suite, altered, KeyFileFixture.Passphrase));
    }

    public static TheoryData<int> TooFewIterations => [599_999, 100_000, 1, 0, -1, int.MinValue];

    // Proves a file asking for fewer than 600,000 iterations is refused (before any derivation), so an attacker who
    // can write the file cannot weaken the passphrase protection of the next save.
    [Theory]
    [MemberData(nameof(TooFewIterations))]
    public void Decode_IterationsBelowMinimum_ThrowsCryptoException(int iterations)
    {
        var altered = Alter(fixture.Encoded, json => json["kdf"]!["iterations"] = iterations);
        var exception = Assert.Throws<CryptoException>(() => KeyFile.Decode(_suite, altered, KeyFileFixture.Passphrase));
        Assert.Contains("iterations", exception.Message, StringComparison.Ordinal);
        Assert.Throws<CryptoException>(() => KeyFile.ReadPublicKey(altered));
    }

    // Proves a file demanding an absurd iteration count is refused quickly instead of occupying a core for many minutes:
    // a key file is untrusted input (uploads, custodial keystores), and STYLE.md asks for explicit limits on everything.
    [Fact]
    public void Decode_AbsurdIterationCount_ThrowsCryptoException()
    {
        var altered = Alter(fixture.Encoded, json => json["kdf"]!["iterations"] = int.MaxValue);
        Assert.Throws<CryptoException>(() => KeyFile.Decode(_suite, altered, KeyFileFixture.Passphrase));
    }

    public static TheoryData<string> MalformedFiles =>
    [
        "empty", "not json", "json null", "json array", "other format", "no format", "no suite", "no publicKey", "no kdf",
        "no salt", "no nonce", "no ciphertext", "unknown kdf", "other suite", "salt not base64", "nonce not base64",
        "ciphertext not base64", "publicKey not hex", "salt too short", "nonce too long", "too large", "iterations not a number",
    ];

    // Proves each malformed file is a CryptoException with a reason, found before the costly key derivation.
    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public void Decode_MalformedFile_ThrowsCryptoException(string name)
    {
        var file = MalformedFile(name, fixture.Encoded);
        var exception = Record.Exception(() => KeyFile.Decode(_suite, file, KeyFileFixture.Passphrase));
        Assert.True(exception is CryptoException, $"{name}: {exception?.GetType().Name ?? "accepted"}: {exception?.Message}");
    }

    // Proves ReadPublicKey keeps the CryptoException contract of Decode: a file whose public key is not hex is a
    // malformed key file, not an unhandled FormatException that crashes the CLI.
    [Fact]
    public void ReadPublicKey_PublicKeyNotHex_ThrowsCryptoException()
    {
        var file = MalformedFile("publicKey not hex", fixture.Encoded);
        var exception = Record.Exception(() => KeyFile.ReadPublicKey(file));
        Assert.True(exception is CryptoException, $"{exception?.GetType().Name ?? "accepted"}: {exception?.Message}");
    }

    // Proves passphrases under 8 characters and iteration counts under the minimum are refused when writing, and that
    // two files of one key differ (fresh random salt and nonce each time).
    [Fact]
    public void Encode_ShortPassphraseOrFewIterations_ThrowsAndSaltIsFresh()
    {
        Assert.Throws<CryptoException>(() => KeyFile.Encode(_suite, fixture.Key, "1234567"));
        Assert.Throws<CryptoException>(() => KeyFile.Encode(_suite, fixture.Key, string.Empty));
        Assert.Throws<ArgumentNullException>(() => KeyFile.Encode(_suite, fixture.Key, null!));
        Assert.Throws<CryptoException>(() => KeyFile.Encode(_suite, fixture.Key, KeyFileFixture.Passphrase, KeyFile.MinimumIterations - 1));

        var second = JsonNode.Parse(KeyFile.Encode(_suite, fixture.Key, KeyFileFixture.Passphrase))!;
        var first = JsonNode.Parse(fixture.Encoded)!;
        Assert.NotEqual((string?)first["kdf"]!["salt"], (string?)second["kdf"]!["salt"]);
        Assert.NotEqual((string?)first["nonce"], (string?)second["nonce"]);
        Assert.NotEqual((string?)first["ciphertext"], (string?)second["ciphertext"]);
    }

    // Proves Save writes a file only the owner can read or write (mode 0600 on Unix) that Load opens again, and that
    // Load refuses a missing or oversized file with CryptoException.
    [Fact]
    public void SaveAndLoad_TemporaryDirectory_RoundTripsWithOwnerOnlyMode()
    {
        var directory = Directory.CreateTempSubdirectory("medledger-keyfile-");
        try
        {
            var path = Path.Combine(directory.FullName, "nested", "node.key");
            KeyFile.Save(path, _suite, fixture.Key, KeyFileFixture.Passphrase);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            using (var loaded = KeyFile.Load(path, _suite, KeyFileFixture.Passphrase))
            {
                Assert.Equal(fixture.Key.PublicKey.ToArray(), loaded.PublicKey.ToArray());
            }

            Assert.Throws<CryptoException>(() => KeyFile.Load(Path.Combine(directory.FullName, "missing.key"), _suite, KeyFileFixture.Passphrase));
            var large = Path.Combine(directory.FullName, "large.key");
            File.WriteAllBytes(large, new byte[Limits.MaxKeyFileBytes + 1]);
            Assert.Throws<CryptoException>(() => KeyFile.Load(large, _suite, KeyFileFixture.Passphrase));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static byte[] Alter(byte[] file, Action<JsonObject> change)
    {
        var json = JsonNode.Parse(file)!.AsObject();
        change(json);
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    private static string FlipFirstBit(string base64)
    {
        var bytes = Convert.FromBase64String(base64);
        bytes[0] ^= 1;
        return Convert.ToBase64String(bytes);
    }

    private static string FlipLastBit(string base64)
    {
        var bytes = Convert.FromBase64String(base64);
        bytes[^1] ^= 1;
        return Convert.ToBase64String(bytes);
    }

    private static byte[] MalformedFile(string name, byte[] valid) => name switch
    {
        "empty" => [],
        "not json" => "medledger"u8.ToArray(),
        "json null" => "null"u8.ToArray(),
        "json array" => "[]"u8.ToArray(),
        "other format" => Alter(valid, json => json["format"] = "medledger-key/2"),
        "no format" => Alter(valid, json => json.Remove("format")),
        "no suite" => Alter(valid, json => json.Remove("suite")),
        "no publicKey" => Alter(valid, json => json.Remove("publicKey")),
        "no kdf" => Alter(valid, json => json.Remove("kdf")),
        "no salt" => Alter(valid, json => json["kdf"]!.AsObject().Remove("salt")),
        "no nonce" => Alter(valid, json => json.Remove("nonce")),
        "no ciphertext" => Alter(valid, json => json.Remove("ciphertext")),
        "unknown kdf" => Alter(valid, json => json["kdf"]!["name"] = "argon2id"),
        "other suite" => Alter(valid, json => json["suite"] = "gm"),
        "salt not base64" => Alter(valid, json => json["kdf"]!["salt"] = "not base64!"),
        "nonce not base64" => Alter(valid, json => json["nonce"] = "***"),
        "ciphertext not base64" => Alter(valid, json => json["ciphertext"] = "@@@@"),
        "publicKey not hex" => Alter(valid, json => json["publicKey"] = "04zz"),
        "salt too short" => Alter(valid, json => json["kdf"]!["salt"] = Convert.ToBase64String(new byte[8])),
        "nonce too long" => Alter(valid, json => json["nonce"] = Convert.ToBase64String(new byte[16])),
        "too large" => [.. valid, .. Encoding.UTF8.GetBytes(new string(' ', Limits.MaxKeyFileBytes))],
        "iterations not a number" => Alter(valid, json => json["kdf"]!["iterations"] = "600000x"),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };
}
