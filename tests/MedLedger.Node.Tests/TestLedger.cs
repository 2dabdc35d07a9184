using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Node.Tests;

/// <summary>
/// A genesis whose one key is the only validator and an administrator, with a ledger state machine at genesis,
/// for unit tests that need real headers, transactions and validator sets without a node.
/// </summary>
internal sealed class TestLedger : IDisposable
{
    public const string ChainId = "medledger-node-unit-tests";

    public TestLedger()
    {
        Key = Suite.GenerateSigningKey();
        KeyId = Suite.Hash(Key.PublicKey.Span);
        var publicKey = Convert.ToHexStringLower(Key.PublicKey.Span);
        Genesis = new GenesisDocument(ChainId, Suite.Name, 1_767_225_600_000, [new GenesisValidator("validator", publicKey, 1)], [new GenesisAccount("admin", publicKey, AccountRole.Administrator)]);
        Machine = LedgerStateMachine.FromGenesis(Genesis);
    }

    public ICryptoSuite Suite { get; } = CryptoSuites.Standard;

    public ISigningKey Key { get; }

    public Hash KeyId { get; }

    public GenesisDocument Genesis { get; }

    public LedgerStateMachine Machine { get; }

    public ValidatorSet Validators => Machine.ValidatorSet;

    /// <summary>Signed anchors of fresh commitments with nonces <paramref name="firstNonce"/>, +1, ….</summary>
    public List<Transaction> Anchors(int count, ulong firstNonce = 1) =>
        [.. Enumerable.Range(0, count).Select(i => Transaction.Create(Suite, Key, ChainId, TransactionType.CommitmentAnchor, firstNonce + (ulong)i, 1_000, new CommitmentAnchorPayload(Suite.Hash(BitConverter.GetBytes(firstNonce + (ulong)i))).Encode()))];

    /// <summary>The next block's proposal over <paramref name="transactions"/>.</summary>
    public BlockProposal Propose(IReadOnlyList<Transaction> transactions) =>
        Machine.PrepareBlock(Machine.LastTimeUnixMilliseconds + 1_000, KeyId, transactions);

    public void Dispose()
    {
        Machine.Dispose();
        Key.Dispose();
    }
}

/// <summary>A fresh folder under the system temp folder, deleted with its contents on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("medledger-node-tests-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
