using System.Text;
using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Ledger.Tests;

/// <summary>The genesis file: its JSON format, its validation, and the state it creates.</summary>
public sealed class GenesisTests : IDisposable
{
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;
    private readonly TestChain _chain = new();

    public void Dispose() => _chain.Dispose();

    // Proves the genesis JSON format (field names, camelCase role names, numbers) is frozen, using fixed keys.
    [Fact]
    public void ToJson_FixedDocument_IsGolden()
    {
        var key = "04" + TestHex.Repeat("c1", 64);
        var genesis = new GenesisDocument("medledger-golden", "standard", 1_700_000_000_000, [new GenesisValidator("node-a", key, 10)], [new GenesisAccount("admin-a", key, AccountRole.Administrator), new GenesisAccount("member-b", key, AccountRole.Member)]);
        var expected = $$"""
            {
              "chainId": "medledger-golden",
              "suite": "standard",
              "genesisTimeUnixMilliseconds": 1700000000000,
              "validators": [
                {
                  "name": "node-a",
                  "publicKey": "{{key}}",
                  "power": 10
                }
              ],
              "accounts": [
                {
                  "name": "admin-a",
                  "publicKey": "{{key}}",
                  "role": "administrator"
                },
                {
                  "name": "member-b",
                  "publicKey": "{{key}}",
                  "role": "member"
                }
              ]
            }
            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), Encoding.UTF8.GetString(genesis.ToJson()).ReplaceLineEndings("\n"));
    }

    // Proves a valid genesis survives JSON and keeps its hash (the hash is over the binary encoding, not the JSON).
    [Fact]
    public void FromJson_ValidDocument_RoundTripsWithSameHash()
    {
        var parsed = GenesisDocument.FromJson(_chain.Genesis.ToJson());
        Assert.Equal(_chain.Genesis.ComputeHash(Suite), parsed.ComputeHash(Suite));
        Assert.Equal(TestHex.Of(_chain.Genesis.Encode()), TestHex.Of(parsed.Encode()));
    }

    // Proves the initial state holds each account (nonce 0, height 0, not revoked), the validator set and the
    // genesis hash, and nothing else.
    [Fact]
    public void CreateInitialState_ValidDocument_HoldsAccountsValidatorsAndGenesisHash()
    {
        var writes = _chain.Genesis.CreateInitialState(Suite);
        Assert.Equal(4, writes.Count);
        Assert.True(writes.TryGet(StateKeys.Account(_chain.MemberId), out var member));
        Assert.Equal(TestHex.Of(new Account(_chain.Member.PublicKey.ToArray(), AccountRole.Member, "member-b", 0, 0, false).Encode()), TestHex.Of(member));
        Assert.True(writes.TryGet(StateKeys.Validators(), out var validators));
        Assert.Equal(TestHex.Of(_chain.Genesis.CreateValidatorSet(Suite).Encode()), TestHex.Of(validators));
        Assert.True(writes.TryGet(StateKeys.GenesisHash(), out var genesisHash));
        Assert.Equal(_chain.Genesis.ComputeHash(Suite).ToArray(), genesisHash);
    }

    public static TheoryData<string> InvalidDocuments =>
    [
        "empty chain id", "blank chain id", "chain id too long", "unknown suite", "no validators", "too many validators",
        "validator key not hex", "validator key not a point", "validator without name", "validator name too long",
        "validator power zero", "duplicate validator", "account role none", "account key compressed",
    ];

    // Proves Validate refuses each invalid document with DecodingException and a reason.
    [Theory]
    [MemberData(nameof(InvalidDocuments))]
    public void Validate_InvalidDocument_ThrowsDecodingException(string name)
    {
        var genesis = Invalid(name);
        var exception = Record.Exception(genesis.Validate);
        Assert.True(exception is DecodingException, $"{name}: {exception?.GetType().Name ?? "accepted"}");
        Assert.Throws<DecodingException>(() => GenesisDocument.FromJson(genesis.ToJson()));
    }

    // Proves FromJson refuses files that are too large, not JSON, empty, or use numbers for roles.
    [Fact]
    public void FromJson_MalformedFiles_ThrowDecodingException()
    {
        Assert.Throws<DecodingException>(() => GenesisDocument.FromJson(new byte[Limits.MaxGenesisBytes + 1]));
        Assert.Throws<DecodingException>(() => GenesisDocument.FromJson("not json"u8));
        Assert.Throws<DecodingException>(() => GenesisDocument.FromJson("null"u8));
        Assert.Throws<DecodingException>(() => GenesisDocument.FromJson([]));
        var numericRole = Encoding.UTF8.GetString(_chain.Genesis.ToJson()).Replace("\"administrator\"", "1", StringComparison.Ordinal);
        Assert.Throws<DecodingException>(() => GenesisDocument.FromJson(Encoding.UTF8.GetBytes(numericRole)));
    }

    // Proves validator powers whose sum overflows 64 bits are refused as an invalid genesis (DecodingException), not
    // an OverflowException escaping FromJson.
    [Fact]
    public void Validate_TotalPowerOverflows_ThrowsDecodingException()
    {
        using var second = Suite.GenerateSigningKey();
        var genesis = _chain.Genesis with
        {
            Validators = [new GenesisValidator("a", TestChain.Hex(_chain.Admin), ulong.MaxValue), new GenesisValidator("b", TestChain.Hex(second), 1)],
        };
        var exception = Record.Exception(genesis.Validate);
        Assert.True(exception is DecodingException, $"{exception?.GetType().Name ?? "accepted"}: {exception?.Message}");
    }

    // Proves an account key listed twice is refused: otherwise the genesis hash commits to both entries while the state
    // silently keeps only the last (a member where an administrator was meant, or the reverse).
    [Fact]
    public void Validate_DuplicateAccountKey_ThrowsDecodingException()
    {
        var genesis = _chain.Genesis with
        {
            Accounts = [new GenesisAccount("admin", TestChain.Hex(_chain.Admin), AccountRole.Administrator), new GenesisAccount("same key", TestChain.Hex(_chain.Admin), AccountRole.Member)],
        };
        var exception = Record.Exception(genesis.Validate);
        Assert.True(exception is DecodingException, $"{exception?.GetType().Name ?? "accepted"}: two accounts with one key were accepted");
    }

    private GenesisDocument Invalid(string name)
    {
        var valid = _chain.Genesis;
        var key = TestChain.Hex(_chain.Admin);
        return name switch
        {
            "empty chain id" => valid with { ChainId = string.Empty },
            "blank chain id" => valid with { ChainId = "  " },
            "chain id too long" => valid with { ChainId = new string('c', Limits.MaxChainIdBytes + 1) },
            "unknown suite" => valid with { Suite = "gm2" },
            "no validators" => valid with { Validators = [] },
            "too many validators" => valid with { Validators = [.. Enumerable.Range(0, Limits.MaxValidators + 1).Select(_ => CreateValidator())] },
            "validator key not hex" => valid with { Validators = [new GenesisValidator("v", "zz", 1)] },
            "validator key not a point" => valid with { Validators = [new GenesisValidator("v", "04" + TestHex.Repeat("c1", 64), 1)] },
            "validator without name" => valid with { Validators = [new GenesisValidator(string.Empty, key, 1)] },
            "validator name too long" => valid with { Validators = [new GenesisValidator(new string('n', Limits.MaxNameBytes + 1), key, 1)] },
            "validator power zero" => valid with { Validators = [new GenesisValidator("v", key, 0)] },
            "duplicate validator" => valid with { Validators = [new GenesisValidator("v", key, 1), new GenesisValidator("w", key, 1)] },
            "account role none" => valid with { Accounts = [new GenesisAccount("a", key, AccountRole.None)] },
            "account key compressed" => valid with { Accounts = [new GenesisAccount("a", "02" + key[2..66], AccountRole.Member)] },
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
        };
    }

    private static GenesisValidator CreateValidator()
    {
        using var key = Suite.GenerateSigningKey();
        return new GenesisValidator("v", TestChain.Hex(key), 1);
    }
}
