using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Ledger.Tests;

/// <summary>Hex helpers that keep golden expectations readable, field by field.</summary>
internal static class TestHex
{
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public static byte[] Bytes(string hex) => Convert.FromHexString(hex);

    /// <summary><paramref name="byteHex"/> (one byte, two hex digits) repeated <paramref name="count"/> times.</summary>
    public static string Repeat(string byteHex, int count) => string.Concat(Enumerable.Repeat(byteHex, count));

    /// <summary>The hash whose 32 bytes all equal <paramref name="value"/>.</summary>
    public static Hash Filled(byte value) => new(Enumerable.Repeat(value, Hash.Size).ToArray());

    /// <summary><paramref name="count"/> bytes all equal to <paramref name="value"/>.</summary>
    public static byte[] FilledBytes(byte value, int count) => Enumerable.Repeat(value, count).ToArray();
}

/// <summary>
/// A one-validator chain for state-machine tests: the validator's key is also the administrator account, and a second
/// key is a registered member. Keys are fresh per instance (ECDSA keys cannot be fixed portably), so these tests assert
/// behaviour and equality between nodes, never literal roots.
/// </summary>
internal sealed class TestChain : IDisposable
{
    public const string ChainId = "medledger-test";
    public const long GenesisTime = 1_700_000_000_000;
    public const ulong DefaultExpiry = 100;

    public TestChain()
    {
        Admin = Suite.GenerateSigningKey();
        Member = Suite.GenerateSigningKey();
        Outsider = Suite.GenerateSigningKey();
        AdminId = Suite.Hash(Admin.PublicKey.Span);
        MemberId = Suite.Hash(Member.PublicKey.Span);
        OutsiderId = Suite.Hash(Outsider.PublicKey.Span);
        Genesis = new GenesisDocument(
            ChainId,
            StandardCryptoSuite.SuiteName,
            GenesisTime,
            [new GenesisValidator("validator-a", Hex(Admin), 10)],
            [new GenesisAccount("admin-a", Hex(Admin), AccountRole.Administrator), new GenesisAccount("member-b", Hex(Member), AccountRole.Member)]);
        Genesis.Validate();
    }

    public static ICryptoSuite Suite => CryptoSuites.Standard;

    /// <summary>The validator and administrator.</summary>
    public ISigningKey Admin { get; }

    /// <summary>A registered member.</summary>
    public ISigningKey Member { get; }

    /// <summary>A valid key that is not registered.</summary>
    public ISigningKey Outsider { get; }

    public Hash AdminId { get; }

    public Hash MemberId { get; }

    public Hash OutsiderId { get; }

    public GenesisDocument Genesis { get; }

    public static string Hex(ISigningKey key) => Convert.ToHexStringLower(key.PublicKey.Span);

    /// <summary>A distinct commitment per number.</summary>
    public static Hash Commitment(int number) => Suite.Hash(System.Text.Encoding.UTF8.GetBytes($"salted commitment {number}"));

    public LedgerStateMachine NewNode() => LedgerStateMachine.FromGenesis(Genesis);

    public static Transaction Anchor(ISigningKey key, ulong nonce, Hash commitment, ulong expiry = DefaultExpiry, string chainId = ChainId) =>
        Transaction.Create(Suite, key, chainId, TransactionType.CommitmentAnchor, nonce, expiry, new CommitmentAnchorPayload(commitment).Encode());

    public static Transaction Register(ISigningKey sender, ulong nonce, ReadOnlySpan<byte> publicKey, AccountRole role, string name) =>
        Transaction.Create(Suite, sender, ChainId, TransactionType.AccountRegister, nonce, DefaultExpiry, new AccountRegisterPayload(publicKey.ToArray(), role, name).Encode());

    public static Transaction Revoke(ISigningKey sender, ulong nonce, Hash account) =>
        Transaction.Create(Suite, sender, ChainId, TransactionType.AccountRevoke, nonce, DefaultExpiry, new AccountRevokePayload(account).Encode());

    /// <summary>A transaction of any type and payload, signed by <paramref name="key"/>.</summary>
    public static Transaction Signed(ISigningKey key, TransactionType type, ulong nonce, byte[] payload, ulong expiry = DefaultExpiry) =>
        Transaction.Create(Suite, key, ChainId, type, nonce, expiry, payload);

    public static TransactionResult Check(LedgerStateMachine node, Transaction transaction) =>
        node.CheckTransaction(transaction, transaction.ComputeId(Suite));

    /// <summary>The admin (the only validator) proposes a block one second after the last one.</summary>
    public BlockProposal Propose(LedgerStateMachine node, params Transaction[] transactions) =>
        node.PrepareBlock(node.LastTimeUnixMilliseconds + 1_000, AdminId, transactions);

    public static void Commit(LedgerStateMachine node, BlockProposal proposal) =>
        node.Commit(proposal.Header, proposal.Transactions, proposal.Prepared);

    public BlockProposal ProposeAndCommit(LedgerStateMachine node, params Transaction[] transactions)
    {
        var proposal = Propose(node, transactions);
        Commit(node, proposal);
        return proposal;
    }

    public void Dispose()
    {
        Admin.Dispose();
        Member.Dispose();
        Outsider.Dispose();
    }
}
