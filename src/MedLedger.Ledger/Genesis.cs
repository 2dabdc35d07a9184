using System.Text.Json;
using System.Text.Json.Serialization;
using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Ledger;

/// <summary>A founding validator in genesis.</summary>
public sealed record GenesisValidator(string Name, string PublicKey, ulong Power);

/// <summary>A founding account in genesis; <paramref name="Organisation"/> names its member organisation, if any.</summary>
public sealed record GenesisAccount(string Name, string PublicKey, AccountRole Role, string? Organisation = null);

/// <summary>A founding member organisation in genesis (SPEC F1).</summary>
public sealed record GenesisOrganisation(string Id, string Name, OrganisationKind Kind, string Tier, string EncryptionPublicKey, string Endpoint);

/// <summary>
/// The genesis document (SPEC F1): chain id, crypto suite, genesis time, founding validators and accounts.
/// It is stored as JSON for people; its hash, which every node must agree on, is the suite hash of its canonical
/// binary encoding, and is the previous-block hash of block 1. <paramref name="Credit"/> switches on credit and epoch
/// elections (SPEC F8, docs/credit.md); a genesis with it is encoded as version 3, so earlier documents keep their hash.
/// </summary>
public sealed record GenesisDocument(
    string ChainId,
    string Suite,
    long GenesisTimeUnixMilliseconds,
    IReadOnlyList<GenesisValidator> Validators,
    IReadOnlyList<GenesisAccount> Accounts,
    IReadOnlyList<GenesisOrganisation>? Organisations = null,
    IReadOnlyList<PolicyRule>? Policies = null,
    CreditParameters? Credit = null)
{
    // Version 1 is written for a genesis without organisations and policies, so earlier chains keep their hash;
    // version 2 adds them; version 3 is version 2 followed by the credit parameters.
    private const byte Version1 = 1;
    private const byte Version2 = 2;
    private const byte Version3 = 3;

    private bool IsExtended => Credit is not null || (Organisations?.Count ?? 0) != 0 || (Policies?.Count ?? 0) != 0 || (Accounts ?? []).Any(a => !string.IsNullOrEmpty(a.Organisation));

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
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

        var organisations = new Dictionary<string, GenesisOrganisation>(StringComparer.Ordinal);
        foreach (var organisation in Organisations ?? [])
        {
            if (organisation is null || !Ledger.Organisation.IsValidId(organisation.Id) || !organisations.TryAdd(organisation.Id, organisation))
            {
                throw new DecodingException("Every genesis organisation has a distinct id of 1..64 lowercase letters, digits and inner hyphens.");
            }

            CheckKey(suite, organisation.EncryptionPublicKey, organisation.Name);
            if (!Enum.IsDefined(organisation.Kind) || organisation.Kind == OrganisationKind.None)
            {
                throw new DecodingException($"Organisation '{organisation.Id}' has no valid kind.");
            }

            if (System.Text.Encoding.UTF8.GetByteCount(organisation.Tier ?? string.Empty) > Limits.MaxLabelBytes || System.Text.Encoding.UTF8.GetByteCount(organisation.Endpoint ?? string.Empty) > Limits.MaxLabelBytes)
            {
                throw new DecodingException($"Organisation '{organisation.Id}' has a tier or endpoint over {Limits.MaxLabelBytes} bytes.");
            }
        }

        if (organisations.Count > Limits.MaxOrganisations || (Policies?.Count ?? 0) > Limits.MaxPolicyRules)
        {
            throw new DecodingException($"Genesis names at most {Limits.MaxOrganisations} organisations and {Limits.MaxPolicyRules} policy rules.");
        }

        foreach (var rule in Policies ?? [])
        {
            if (rule is null || !Enum.IsDefined(rule.Role) || !Enum.IsDefined(rule.Purpose) || rule.Purpose == AccessPurpose.None
                || rule.Role is not (AccountRole.Auditor or AccountRole.Researcher)
                || (rule.Categories ?? []).Any(c => !Enum.IsDefined(c) || c == RecordCategory.None)
                || rule.Tiers is null || rule.Tiers.Count == 0 || rule.Tiers.Any(t => !Enum.IsDefined(t) || t == SensitivityTier.None))
            {
                throw new DecodingException("A policy rule names an auditor or researcher role, a purpose, valid categories and at least one valid tier.");
            }
        }

        var accountKeys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var account in Accounts ?? [])
        {
            if (!string.IsNullOrEmpty(account.Organisation) && !organisations.ContainsKey(account.Organisation))
            {
                throw new DecodingException($"Account '{account.Name}' names organisation '{account.Organisation}', which genesis does not found.");
            }

            if (account.Role == AccountRole.Patient)
            {
                throw new DecodingException($"Account '{account.Name}': patients are registered on chain, not in genesis.");
            }

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

        if (Credit is not null)
        {
            Credit.Validate();
            if ((Accounts ?? []).Count(a => a.Role == AccountRole.Node) > CreditParameters.MaxNodes)
            {
                throw new DecodingException($"A credit chain has at most {CreditParameters.MaxNodes} node accounts.");
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
        var extended = IsExtended;
        var writer = new CanonicalWriter(512);
        writer.WriteByte(Credit is not null ? Version3 : extended ? Version2 : Version1);
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
            if (extended)
            {
                writer.WriteString(account.Organisation ?? string.Empty);
            }
        }

        if (extended)
        {
            var organisations = Organisations ?? [];
            writer.WriteCount(organisations.Count);
            foreach (var organisation in organisations)
            {
                Organisation.WriteSpec(writer, organisation.Id, organisation.Name, organisation.Kind, organisation.Tier ?? string.Empty, Convert.FromHexString(organisation.EncryptionPublicKey), organisation.Endpoint ?? string.Empty);
            }

            writer.WriteBytes(PolicyRule.EncodeList(Policies ?? []));
        }

        Credit?.WriteTo(writer);
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
            var keyId = suite.Hash(key);
            writes.Set(StateKeys.Account(keyId), new Account(key, account.Role, account.Name, 0, 0, false, account.Organisation ?? string.Empty).Encode());
            if (!string.IsNullOrEmpty(account.Organisation))
            {
                writes.Set(StateKeys.UserKey(keyId), keyId.ToArray());
            }
        }

        if (IsExtended)
        {
            var organisations = Organisations ?? [];
            foreach (var organisation in organisations)
            {
                var entry = new Organisation(organisation.Id, organisation.Name, organisation.Kind, organisation.Tier ?? string.Empty, Convert.FromHexString(organisation.EncryptionPublicKey), organisation.Endpoint ?? string.Empty, OrganisationStatus.Active, 0);
                writes.Set(StateKeys.Organisation(organisation.Id), entry.Encode());
            }

            writes.Set(StateKeys.Organisations(), OrganisationList.Encode(organisations.Select(o => o.Id).Order(StringComparer.Ordinal).ToList()));
            writes.Set(StateKeys.Policy(), PolicyRule.EncodeList(Policies ?? []));
        }

        var validators = CreateValidatorSet(suite);
        writes.Set(StateKeys.Validators(), validators.Encode());
        writes.Set(StateKeys.GenesisHash(), ComputeHash(suite).ToArray());
        if (Credit is not null)
        {
            // Credit state (docs/credit.md): a record per node account, their sorted index, epoch 0, and the set history.
            var nodes = new List<Hash>();
            foreach (var account in (Accounts ?? []).Where(a => a.Role == AccountRole.Node))
            {
                var keyId = suite.Hash(Convert.FromHexString(account.PublicKey));
                nodes.Add(keyId);
                writes.Set(StateKeys.Credit(keyId), new CreditRecord(Credit.InitialCredit, account.Organisation ?? string.Empty, 0, 0, 0, 0, 0, 0).Encode());
            }

            writes.Set(StateKeys.CreditNodes(), HashList.Encode(nodes.Order().ToList()));
            writes.Set(StateKeys.Epoch(), new EpochState(0, 1, Credit.EpochLength).Encode());
            writes.Set(StateKeys.ValidatorHistory(), HeightList.Encode([1]));
            writes.Set(StateKeys.ValidatorSetSince(1), validators.Encode());
        }

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
