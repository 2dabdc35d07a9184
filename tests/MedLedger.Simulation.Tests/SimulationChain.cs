using System.Text;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Simulation.Tests;

/// <summary>
/// The fixed material of every simulated chain: validator keys imported from fixed private scalars (so key ids, and
/// therefore proposer order, are the same in every run), an administrator account, genesis documents for n validators,
/// and a pool of transactions signed once per test process (ECDSA signatures are randomised, so their bytes — and the
/// hashes of blocks holding them — differ between processes, but nothing in the engine or the simulator branches on
/// them).
/// </summary>
internal static class SimulationChain
{
    public const string ChainId = "medledger-sim";
    public const long GenesisTime = 1_700_000_000_000;
    public const int MaxValidators = 7;
    public const int TransactionPoolSize = 400;

    private static readonly Lazy<ISigningKey[]> LazyValidatorKeys = new(() => [.. Enumerable.Range(0, MaxValidators).Select(i => KeyFrom($"validator-{i}"))]);
    private static readonly Lazy<ISigningKey> LazyAdmin = new(() => KeyFrom("administrator"));
    private static readonly Lazy<Transaction[]> LazyTransactions = new(CreateTransactions);

    public static ICryptoSuite Suite => CryptoSuites.Standard;

    public static IReadOnlyList<ISigningKey> ValidatorKeys => LazyValidatorKeys.Value;

    public static ISigningKey Admin => LazyAdmin.Value;

    /// <summary>
    /// Transactions in the order they are submitted: mostly commitment anchors, every fifth an account registration, all
    /// from the administrator with nonces 1, 2, 3….
    /// </summary>
    public static IReadOnlyList<Transaction> Transactions => LazyTransactions.Value;

    /// <summary>Genesis of <paramref name="validatorCount"/> validators, each with <paramref name="powers"/> or power 1.</summary>
    public static GenesisDocument Genesis(int validatorCount, IReadOnlyList<ulong>? powers = null)
    {
        var genesis = new GenesisDocument(
            ChainId,
            StandardCryptoSuite.SuiteName,
            GenesisTime,
            [.. Enumerable.Range(0, validatorCount).Select(i => new GenesisValidator($"validator-{i}", Hex(ValidatorKeys[i]), powers?[i] ?? 1))],
            [new GenesisAccount("administrator", Hex(Admin), AccountRole.Administrator)]);
        genesis.Validate();
        return genesis;
    }

    /// <summary>
    /// A credit chain (docs/credit.md): <paramref name="validatorCount"/> genesis validators and <paramref name="standby"/>
    /// further nodes, each the node account of its own hospital, with epochs of <paramref name="epochLength"/> blocks and
    /// at most <paramref name="validatorCount"/> seats, so a standby node is elected only in place of a validator.
    /// </summary>
    public static GenesisDocument CreditGenesis(int validatorCount, int standby, ulong epochLength)
    {
        var nodes = Enumerable.Range(0, validatorCount + standby).ToList();
        var genesis = new GenesisDocument(
            ChainId,
            StandardCryptoSuite.SuiteName,
            GenesisTime,
            [.. nodes.Take(validatorCount).Select(i => new GenesisValidator($"validator-{i}", Hex(ValidatorKeys[i]), 1))],
            [new GenesisAccount("administrator", Hex(Admin), AccountRole.Administrator), .. nodes.Select(i => new GenesisAccount($"validator-{i}", Hex(ValidatorKeys[i]), AccountRole.Node, $"hospital-{i}"))],
            [.. nodes.Select(i => new GenesisOrganisation($"hospital-{i}", $"Hospital {i}", OrganisationKind.Hospital, "tertiary", Hex(ValidatorKeys[i]), $"https://hospital-{i}.example"))],
            Credit: new CreditParameters(EpochLength: epochLength, MaxValidators: validatorCount));
        genesis.Validate();
        return genesis;
    }

    public static Hash KeyId(ISigningKey key) => Suite.Hash(key.PublicKey.Span);

    public static string Hex(ISigningKey key) => Convert.ToHexStringLower(key.PublicKey.Span);

    /// <summary>A P-256 key from a fixed private scalar (the SHA-256 of a label; below the group order in practice).</summary>
    public static ISigningKey KeyFrom(string label) =>
        Suite.ImportSigningKey(Suite.Hash(Encoding.UTF8.GetBytes("medledger-simulation/" + label)).ToArray());

    private static Transaction[] CreateTransactions()
    {
        var transactions = new Transaction[TransactionPoolSize];
        for (var i = 0; i < transactions.Length; i++)
        {
            var nonce = (ulong)i + 1;
            if (i % 5 == 4)
            {
                // A fresh key per registration; only its public part is used.
                using var member = KeyFrom($"member-{i}");
                transactions[i] = Transaction.Create(Suite, Admin, ChainId, TransactionType.AccountRegister, nonce, 100_000, new AccountRegisterPayload(member.PublicKey.ToArray(), AccountRole.Member, $"member-{i}").Encode());
            }
            else
            {
                var commitment = Suite.Hash(Encoding.UTF8.GetBytes($"salted commitment {i}"));
                transactions[i] = Transaction.Create(Suite, Admin, ChainId, TransactionType.CommitmentAnchor, nonce, 100_000, new CommitmentAnchorPayload(commitment).Encode());
            }
        }

        return transactions;
    }
}
