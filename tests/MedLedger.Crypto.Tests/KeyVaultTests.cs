using System.Text;
using System.Text.Json.Nodes;

namespace MedLedger.Crypto.Tests;

/// <summary>
/// One vault of three keys shared by the tests in <see cref="KeyVaultTests"/>: every seal and every open that reaches
/// the key derivation costs a PBKDF2 run at 600,000 iterations (about 0.3 s), so the tests derive only where the
/// derivation itself is under test and refuse the rest before it.
/// </summary>
public sealed class KeyVaultFixture : IDisposable
{
    public const string Passphrase = "patient passphrase 1";

    public KeyVaultFixture()
    {
        Keys = [CryptoSuites.Standard.GenerateSigningKey(), CryptoSuites.Standard.GenerateSigningKey(), CryptoSuites.Standard.GenerateSigningKey()];
        Vault = KeyVault.Seal(CryptoSuites.Standard, Keys, Passphrase);
    }

    public IReadOnlyList<ISigningKey> Keys { get; }

    public byte[] Vault { get; }

    public void Dispose()
    {
        foreach (var key in Keys)
        {
            key.Dispose();
        }
    }
}

/// <summary>Custodial vaults (SPEC F4): several keys under one passphrase; every alteration is refused.</summary>
public sealed class KeyVaultTests(KeyVaultFixture fixture) : IClassFixture<KeyVaultFixture>
{
    private readonly ICryptoSuite _suite = CryptoSuites.Standard;

    // Proves the right passphrase opens every key, in order, and each opened key signs for its public key.
    [Fact]
    public void Open_RightPassphrase_ReturnsEveryKeyInOrder()
    {
        var keys = KeyVault.Open(_suite, fixture.Vault, KeyVaultFixture.Passphrase);
        try
        {
            Assert.Equal(fixture.Keys.Select(k => k.PublicKey.ToArray()), keys.Select(k => k.PublicKey.ToArray()));
            var message = "consent to append"u8;
            for (var i = 0; i < keys.Count; i++)
            {
                Assert.True(_suite.Verify(fixture.Keys[i].PublicKey.Span, message, keys[i].Sign(message)));
            }
        }
        finally
        {
            foreach (var key in keys)
            {
                key.Dispose();
            }
        }
    }

    // Proves the public keys are readable without the passphrase, in order, and that the vault is JSON with the
    // format tag, suite, iterations, a 16-byte salt, a 12-byte nonce, lowercase hex public keys and the ciphertext —
    // with no private scalar in clear.
    [Fact]
    public void ReadPublicKeys_WithoutPassphrase_ListsTheKeys()
    {
        Assert.Equal(fixture.Keys.Select(k => k.PublicKey.ToArray()), KeyVault.ReadPublicKeys(fixture.Vault));

        var json = JsonNode.Parse(fixture.Vault)!.AsObject();
        Assert.Equal(["Format", "Suite", "Iterations", "Salt", "Nonce", "PublicKeys", "Ciphertext"], json.Select(p => p.Key));
        Assert.Equal(KeyVault.Format, (string?)json["Format"]);
        Assert.Equal("standard", (string?)json["Suite"]);
        Assert.Equal(KeyFile.MinimumIterations, (int)json["Iterations"]!);
        Assert.Equal(16, Convert.FromBase64String((string)json["Salt"]!).Length);
        Assert.Equal(12, Convert.FromBase64String((string)json["Nonce"]!).Length);
        Assert.Equal(fixture.Keys.Select(k => Convert.ToHexStringLower(k.PublicKey.Span)), json["PublicKeys"]!.AsArray().Select(n => (string)n!));
        var text = Encoding.UTF8.GetString(fixture.Vault);
        foreach (var key in fixture.Keys)
        {
            var scalar = key.ExportPrivateKey();
            Assert.DoesNotContain(Convert.ToHexStringLower(scalar), text, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToBase64String(scalar), text, StringComparison.Ordinal);
        }
    }

    // Proves a wrong passphrase is a CryptoException whose message does not say whether the passphrase or the vault
    // was wrong.
    [Fact]
    public void Open_WrongPassphrase_ThrowsCryptoException()
    {
        var exception = Assert.Throws<CryptoException>(() => KeyVault.Open(_suite, fixture.Vault, KeyVaultFixture.Passphrase + "!"));
        Assert.Contains("passphrase", exception.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("altered", exception.Message, StringComparison.OrdinalIgnoreCase);
    }

    // Proves the public key list is bound to the ciphertext: swapping two keys or replacing one is refused with the
    // right passphrase (each case runs the key derivation).
    [Fact]
    public void Open_AlteredPublicKeyList_ThrowsCryptoException()
    {
        using var other = _suite.GenerateSigningKey();
        var swapped = Alter(json =>
        {
            var keys = json["PublicKeys"]!.AsArray();
            var first = (string)keys[0]!;
            keys[0] = (string)keys[1]!;
            keys[1] = first;
        });
        var replaced = Alter(json => json["PublicKeys"]!.AsArray()[2] = Convert.ToHexStringLower(other.PublicKey.Span));
        Assert.Throws<CryptoException>(() => KeyVault.Open(_suite, swapped, KeyVaultFixture.Passphrase));
        Assert.Throws<CryptoException>(() => KeyVault.Open(_suite, replaced, KeyVaultFixture.Passphrase));
    }

    // Proves the iterations, salt, nonce and ciphertext are bound: an in-range change of the iteration count, another
    // salt, another nonce and a flipped ciphertext byte are refused with the right passphrase.
    [Fact]
    public void Open_AlteredParametersOrCiphertext_ThrowsCryptoException()
    {
        byte[][] altered =
        [
            Alter(json => json["Iterations"] = KeyFile.MinimumIterations + 1),
            Alter(json => json["Salt"] = Convert.ToBase64String(new byte[16])),
            Alter(json => json["Nonce"] = Convert.ToBase64String(new byte[12])),
            Alter(json =>
            {
                var ciphertext = Convert.FromBase64String((string)json["Ciphertext"]!);
                ciphertext[ciphertext.Length / 2] ^= 0x01;
                json["Ciphertext"] = Convert.ToBase64String(ciphertext);
            }),
        ];
        foreach (var vault in altered)
        {
            Assert.Throws<CryptoException>(() => KeyVault.Open(_suite, vault, KeyVaultFixture.Passphrase));
        }
    }

    // Proves malformed vaults are refused before any key derivation: not JSON, another format, a missing field, no or
    // too many public keys, non-hex keys, too few or too many iterations, bad base64, wrong salt or nonce sizes,
    // another suite, and an oversized file. (A passphrase is given; none of these reaches PBKDF2.)
    [Fact]
    public void Open_MalformedVault_ThrowsCryptoException()
    {
        byte[][] malformed =
        [
            "not json"u8.ToArray(),
            "null"u8.ToArray(),
            Alter(json => json["Format"] = "medledger-vault/2"),
            Alter(json => json.Remove("Ciphertext")),
            Alter(json => json.Remove("Salt")),
            Alter(json => json["PublicKeys"] = new JsonArray()),
            Alter(json => json["PublicKeys"] = new JsonArray(Enumerable.Range(0, KeyVault.MaxKeys + 1).Select(_ => (JsonNode?)"04").ToArray())),
            Alter(json => json["PublicKeys"]!.AsArray()[0] = "zz"),
            Alter(json => json["PublicKeys"]!.AsArray()[0] = new string('a', 257)),
            Alter(json => json["Iterations"] = KeyFile.MinimumIterations - 1),
            Alter(json => json["Iterations"] = KeyFile.MaximumIterations + 1),
            Alter(json => json["Salt"] = "***"),
            Alter(json => json["Salt"] = Convert.ToBase64String(new byte[15])),
            Alter(json => json["Nonce"] = Convert.ToBase64String(new byte[16])),
            Alter(json => json["Ciphertext"] = "%%"),
            Alter(json => json["Suite"] = "gm"),
            new byte[(Core.Limits.MaxKeyFileBytes * 4) + 1],
        ];
        foreach (var vault in malformed)
        {
            Assert.Throws<CryptoException>(() => KeyVault.Open(_suite, vault, KeyVaultFixture.Passphrase));
        }
    }

    // Proves ReadPublicKeys refuses malformed vaults with CryptoException too.
    [Fact]
    public void ReadPublicKeys_MalformedVault_ThrowsCryptoException()
    {
        Assert.Throws<CryptoException>(() => KeyVault.ReadPublicKeys("{}"u8));
        Assert.Throws<CryptoException>(() => KeyVault.ReadPublicKeys(Alter(json => json["PublicKeys"]!.AsArray()[0] = "zz")));
    }

    // Proves a public key entry of odd hex length, or null, is refused as malformed (CryptoException) by
    // ReadPublicKeys and Open, rather than escaping as a FormatException or NullReferenceException.
    [Fact]
    public void ReadPublicKeysAndOpen_OddLengthOrNullKeyEntry_ThrowCryptoException()
    {
        byte[][] vaults =
        [
            Alter(json => json["PublicKeys"]!.AsArray()[0] = "abc"),
            Alter(json => json["PublicKeys"]!.AsArray()[0] = null),
        ];
        foreach (var vault in vaults)
        {
            Assert.IsType<CryptoException>(Record.Exception(() => KeyVault.ReadPublicKeys(vault)));
            Assert.IsType<CryptoException>(Record.Exception(() => KeyVault.Open(_suite, vault, KeyVaultFixture.Passphrase)));
        }
    }

    // Proves sealing refuses fewer than the minimum (or more than the maximum) iterations, a passphrase under 8
    // characters, and no or too many keys — all before deriving anything.
    [Fact]
    public void Seal_InvalidArguments_ThrowCryptoException()
    {
        var keys = fixture.Keys;
        Assert.Throws<CryptoException>(() => KeyVault.Seal(_suite, keys, KeyVaultFixture.Passphrase, KeyFile.MinimumIterations - 1));
        Assert.Throws<CryptoException>(() => KeyVault.Seal(_suite, keys, KeyVaultFixture.Passphrase, 1_000));
        Assert.Throws<CryptoException>(() => KeyVault.Seal(_suite, keys, KeyVaultFixture.Passphrase, KeyFile.MaximumIterations + 1));
        Assert.Throws<CryptoException>(() => KeyVault.Seal(_suite, keys, "short"));
        Assert.Throws<CryptoException>(() => KeyVault.Seal(_suite, [], KeyVaultFixture.Passphrase));
        Assert.Throws<CryptoException>(() => KeyVault.Seal(_suite, Enumerable.Repeat(keys[0], KeyVault.MaxKeys + 1).ToList(), KeyVaultFixture.Passphrase));
    }

    private byte[] Alter(Action<JsonObject> change)
    {
        var json = JsonNode.Parse(fixture.Vault)!.AsObject();
        change(json);
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }
}
