using System.Text;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Storage.Tests;

/// <summary>
/// Builds a real chain with the real ledger: one key that is both the only validator and an administrator, blocks
/// of commitment anchors prepared by <see cref="LedgerStateMachine"/>, and commit certificates signed with the
/// validator key exactly as <see cref="ValidatorSet.VerifyCommit"/> checks them.
/// </summary>
internal sealed class TestChain : IDisposable
{
    public const string ChainId = "medledger-storage-tests";
    private const long GenesisTimeUnixMilliseconds = 1_767_225_600_000;

    private ulong _nonce;

    public TestChain(string chainId = ChainId)
    {
        Suite = CryptoSuites.Standard;
        Key = Suite.GenerateSigningKey();
        KeyId = Suite.Hash(Key.PublicKey.Span);
        var publicKey = Convert.ToHexString(Key.PublicKey.Span);
        Genesis = new GenesisDocument(
            chainId,
            "standard",
            GenesisTimeUnixMilliseconds,
            [new GenesisValidator("validator-1", publicKey, 1)],
            [new GenesisAccount("hospital-admin", publicKey, AccountRole.Administrator)]);
        Machine = LedgerStateMachine.FromGenesis(Genesis);
    }

    public ICryptoSuite Suite { get; }

    public ISigningKey Key { get; }

    public Hash KeyId { get; }

    public GenesisDocument Genesis { get; }

    public LedgerStateMachine Machine { get; }

    /// <summary>Committed blocks; index 0 is block 1.</summary>
    public List<Block> Blocks { get; } = [];

    /// <summary>The commitments anchored so far, in nonce order (including those of uncommitted proposals).</summary>
    public List<Hash> Commitments { get; } = [];

    /// <summary>Signed commitment-anchor transactions with the next nonces.</summary>
    public List<Transaction> CreateTransactions(int count)
    {
        var transactions = new List<Transaction>(count);
        for (var i = 0; i < count; i++)
        {
            var nonce = ++_nonce;
            var commitment = Suite.Hash(Encoding.UTF8.GetBytes($"{Genesis.ChainId}/commitment/{nonce}"));
            Commitments.Add(commitment);
            transactions.Add(Transaction.Create(
                Suite,
                Key,
                Genesis.ChainId,
                TransactionType.CommitmentAnchor,
                nonce,
                Machine.Height + 100,
                new CommitmentAnchorPayload(commitment).Encode()));
        }

        return transactions;
    }

    /// <summary>The next block with <paramref name="transactionCount"/> fresh transactions, certified but not committed.</summary>
    public (Block Block, BlockProposal Proposal) NextBlock(int transactionCount)
    {
        var candidates = CreateTransactions(transactionCount);
        var proposal = Machine.PrepareBlock(Machine.LastTimeUnixMilliseconds + 1_000, KeyId, candidates);
        Assert.Empty(proposal.Rejected);
        Assert.Equal(transactionCount, proposal.Transactions.Count);
        return (new Block(proposal.Header, proposal.Transactions, Certify(proposal.Header)), proposal);
    }

    /// <summary>A round-0 commit certificate for <paramref name="header"/>, signed by the only validator.</summary>
    public CommitCertificate Certify(BlockHeader header)
    {
        var hash = header.ComputeHash(Suite);
        var signature = Key.Sign(Vote.EncodeSigningBytes(Genesis.ChainId, VoteType.Precommit, header.Height, 0, hash));
        var certificate = new CommitCertificate(header.Height, 0, hash, [new CommitSignature(KeyId, signature)]);
        Assert.Null(Machine.ValidatorSet.VerifyCommit(Suite, Genesis.ChainId, header.Height, hash, certificate));
        return certificate;
    }

    /// <summary>Installs a block in the state machine, as the node does once the store has saved it.</summary>
    public void Commit(Block block, BlockProposal proposal)
    {
        Machine.Commit(block.Header, block.Transactions, proposal.Prepared);
        Blocks.Add(block);
    }

    /// <summary>Builds, saves and commits one block.</summary>
    public Block Extend(IChainStore store, int transactionCount)
    {
        var (block, proposal) = NextBlock(transactionCount);
        store.SaveBlock(block, proposal.Prepared.Changes);
        Commit(block, proposal);
        return block;
    }

    /// <summary>Builds, saves and commits <paramref name="blockCount"/> blocks.</summary>
    public void Extend(IChainStore store, int blockCount, int transactionsPerBlock)
    {
        for (var i = 0; i < blockCount; i++)
        {
            Extend(store, transactionsPerBlock);
        }
    }

    public void Dispose()
    {
        Machine.Dispose();
        Key.Dispose();
    }
}

/// <summary>A fresh directory under the system temp directory, deleted with everything in it on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Path = Directory.CreateTempSubdirectory("medledger-storage-tests-").FullName;

    public string Path { get; }

    /// <summary>The path of a file in this directory.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
