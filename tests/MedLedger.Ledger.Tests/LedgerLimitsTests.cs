using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Ledger.Tests;

/// <summary>The limits in <see cref="Limits"/> hold for the real ledger encoders at their largest (see also Core's LimitsTests).</summary>
public sealed class LedgerLimitsTests
{
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;

    // Proves a transaction with every field at its limit encodes within MaxTransactionBytes and decodes back.
    [Fact]
    public void Transaction_EveryFieldAtItsLimit_FitsMaxTransactionBytes()
    {
        var transaction = Transaction.FromParts(
            new string('c', Limits.MaxChainIdBytes),
            TransactionType.AccountRegister,
            TestHex.Filled(0xFF),
            ulong.MaxValue,
            ulong.MaxValue,
            new byte[Limits.MaxTransactionPayloadBytes],
            new byte[Limits.MaxSignatureBytes]);
        Assert.True(transaction.EncodedLength <= Limits.MaxTransactionBytes, $"{transaction.EncodedLength} bytes");
        Assert.Equal(transaction.Encoded.ToArray(), Transaction.Decode(transaction.Encoded.Span).Encoded.ToArray());
    }

    // Proves the largest payload of every type fits MaxTransactionPayloadBytes.
    [Fact]
    public void Payloads_AtTheirLargest_FitMaxTransactionPayloadBytes()
    {
        var register = new AccountRegisterPayload(new byte[Limits.MaxPublicKeyBytes], AccountRole.Administrator, new string('n', Limits.MaxNameBytes)).Encode();
        Assert.True(register.Length <= Limits.MaxTransactionPayloadBytes);
        Assert.True(new CommitmentAnchorPayload(Hash.Zero).Encode().Length <= Limits.MaxTransactionPayloadBytes);
        Assert.True(new AccountRevokePayload(Hash.Zero).Encode().Length <= Limits.MaxTransactionPayloadBytes);
    }

    // Proves the state values the ledger writes fit MaxStateValueBytes at their largest (so WriteSet's invariant can
    // only fail through a bug): an account, an anchor, and a full validator set; and the keys fit MaxStateKeyBytes.
    [Fact]
    public void StateValuesAndKeys_AtTheirLargest_FitTheStateLimits()
    {
        var account = new Account(new byte[Limits.MaxPublicKeyBytes], AccountRole.Member, new string('n', Limits.MaxNameBytes), ulong.MaxValue, ulong.MaxValue, true);
        Assert.True(account.Encode().Length <= Limits.MaxStateValueBytes);
        Assert.True(new AnchorRecord(Hash.Zero, ulong.MaxValue).Encode().Length <= Limits.MaxStateValueBytes);

        var validators = new ValidatorSet(Enumerable.Range(0, Limits.MaxValidators).Select(i =>
            new Validator(new Hash([.. new byte[30], (byte)(i >> 8), (byte)i]), new byte[Limits.MaxPublicKeyBytes], ulong.MaxValue / (ulong)Limits.MaxValidators, new string('n', Limits.MaxNameBytes))));
        var encoded = validators.Encode();
        Assert.True(encoded.Length <= Limits.MaxStateValueBytes, $"validator set of {encoded.Length} bytes");
        Assert.Equal(Limits.MaxValidators, ValidatorSet.Decode(encoded).Validators.Count);

        foreach (var key in new[] { StateKeys.Account(Hash.Zero), StateKeys.Anchor(Hash.Zero), StateKeys.Validators(), StateKeys.GenesisHash() })
        {
            Assert.InRange(key.Length, 1, Limits.MaxStateKeyBytes);
        }
    }

    // Proves a genesis with MaxValidators validators (real keys, longest names) and as many accounts fits
    // MaxGenesisBytes as JSON and is valid.
    [Fact]
    public void Genesis_LargestValidatorSet_FitsMaxGenesisBytes()
    {
        var validators = new List<GenesisValidator>();
        var accounts = new List<GenesisAccount>();
        for (var i = 0; i < Limits.MaxValidators; i++)
        {
            using var key = Suite.GenerateSigningKey();
            var hex = Convert.ToHexStringLower(key.PublicKey.Span);
            var name = i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture) + new string('n', Limits.MaxNameBytes - 4);
            validators.Add(new GenesisValidator(name, hex, 1));
            accounts.Add(new GenesisAccount(name, hex, AccountRole.Administrator));
        }

        var genesis = new GenesisDocument(new string('c', Limits.MaxChainIdBytes), "standard", 0, validators, accounts);
        var json = genesis.ToJson();
        Assert.True(json.Length <= Limits.MaxGenesisBytes, $"{json.Length} bytes");
        Assert.Equal(Limits.MaxValidators, GenesisDocument.FromJson(json).CreateValidatorSet(Suite).Validators.Count);
    }
}
