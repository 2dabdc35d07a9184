using System.Text.Json;
using System.Text.Json.Serialization;
using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Ledger;

/// <summary>A founding validator in genesis.</summary>
public sealed record GenesisValidator(string Name, string PublicKey, ulong Power);

/// <summary>A founding account in genesis.</summary>
public sealed record GenesisAccount(string Name, string PublicKey, AccountRole Role);

/// <summary>
/// The genesis document (SPEC F1): chain id, crypto suite, genesis time, founding validators and accounts.
/// It is stored as JSON for people; its hash, which every node must agree on, is the suite hash of its canonical
/// binary encoding, and is the previous-block hash of block 1.
/// </summary>
public sealed record GenesisDocument(string ChainId, string Suite, long GenesisTimeUnixMilliseconds, IReadOnlyList<GenesisValidator> Validators, IReadOnlyList<GenesisAccount> Accounts)
{
    private const byte Version = 1;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
    };

    /// <summary>JSON for the genesis file.</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, JsonOptions);

    /// <summary>Parses and validates a genesis file; throws <see cref="DecodingException"/> with the reason.</summary>
    public static GenesisDocument FromJson(ReadOnlySpan<byte> json)
    {
        if (json.Length > Limits.MaxGenesisBytes)
        {
            throw new DecodingException("The genesis file is too large.");
        }

        GenesisDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<GenesisDocument>(json, JsonOptions);
        }
        catch (JsonException exception)
        {
            throw new DecodingException($"The genesis file is not valid: {exception.Message}", exception);
        }

        if (document is null)
        {
            throw new DecodingException("The genesis file is empty.");
        }

        document.Validate();
        return document;
    }

    /// <summary>Checks every field; throws <see cref="DecodingException"/>.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ChainId) || System.Text.Encoding.UTF8.GetByteCount(ChainId) > Limits.MaxChainIdBytes)
        {
            throw new DecodingException($"The chain id must be 1..{Limits.MaxChainIdBytes} bytes.");
        }

        ICryptoSuite suite;
        try
        {
            suite = CryptoSuites.Get(Suite);
        }
        catch (CryptoException exception)
        {
            throw new DecodingException(exception.Message, exception);
        }

        if (Validators is null || Validators.Count == 0 || Validators.Count > Limits.MaxValidators)
        {
            throw new DecodingException($"Genesis names 1..{Limits.MaxValidators} validators.");
        }

        foreach (var validator in Validators)
        {
            CheckKey(suite, validator.PublicKey, validator.Name);
        }

        var accountKeys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var account in Accounts ?? [])
        {
            CheckKey(suite, account.PublicKey, account.Name);
            if (!accountKeys.Add(account.PublicKey))
            {
                throw new DecodingException($"Account '{account.Name}' repeats the public key of another account.");
            }

            if (!Enum.IsDefined(account.Role) || account.Role == AccountRole.None)
            {
                throw new DecodingException($"Account '{account.Name}' has no valid role.");
            }
        }

        _ = CreateValidatorSet(suite);
    }

    /// <summary>The genesis validator set.</summary>
    public ValidatorSet CreateValidatorSet(ICryptoSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        try
        {
            return new ValidatorSet(Validators.Select(v =>
            {
                var key = Convert.FromHexString(v.PublicKey);
                return new Validator(suite.Hash(key), key, v.Power, v.Name);
            }));
        }
        catch (ArgumentException exception)
        {
            throw new DecodingException($"The genesis validators are invalid: {exception.Message}", exception);
        }
    }

    /// <summary>Canonical encoding, the input of the genesis hash.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(512);
        writer.WriteByte(Version);
        writer.WriteString(ChainId);
        writer.WriteString(Suite);
        writer.WriteInt64(GenesisTimeUnixMilliseconds);
        writer.WriteCount(Validators.Count);
        foreach (var validator in Validators)
        {
            writer.WriteString(validator.Name);
            writer.WriteBytes(Convert.FromHexString(validator.PublicKey));
            writer.WriteUInt64(validator.Power);
        }

        var accounts = Accounts ?? [];
        writer.WriteCount(accounts.Count);
        foreach (var account in accounts)
        {
            writer.WriteString(account.Name);
            writer.WriteBytes(Convert.FromHexString(account.PublicKey));
            writer.WriteByte((byte)account.Role);
        }

        return writer.ToArray();
    }

    /// <summary>The genesis hash.</summary>
    public Hash ComputeHash(ICryptoSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        return suite.Hash(Encode());
    }

    /// <summary>The state entries genesis creates: accounts, the validator set and the genesis hash.</summary>
    public WriteSet CreateInitialState(ICryptoSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var writes = new WriteSet();
        foreach (var account in Accounts ?? [])
        {
            var key = Convert.FromHexString(account.PublicKey);
            writes.Set(StateKeys.Account(suite.Hash(key)), new Account(key, account.Role, account.Name, 0, 0, false).Encode());
        }

        writes.Set(StateKeys.Validators(), CreateValidatorSet(suite).Encode());
        writes.Set(StateKeys.GenesisHash(), ComputeHash(suite).ToArray());
        return writes;
    }

    private static void CheckKey(ICryptoSuite suite, string? publicKeyHex, string? name)
    {
        if (string.IsNullOrWhiteSpace(name) || System.Text.Encoding.UTF8.GetByteCount(name) > Limits.MaxNameBytes)
        {
            throw new DecodingException($"Every genesis validator and account has a name of 1..{Limits.MaxNameBytes} bytes.");
        }

        byte[] key;
        try
        {
            key = Convert.FromHexString(publicKeyHex ?? string.Empty);
        }
        catch (FormatException exception)
        {
            throw new DecodingException($"The public key of '{name}' is not hexadecimal.", exception);
        }

        if (!suite.IsValidPublicKey(key))
        {
            throw new DecodingException($"The public key of '{name}' is not a valid {suite.Name} key.");
        }
    }
}
