using MedLedger.Consensus;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Node.Tests;

/// <summary>
/// What a node finds in its folder when it starts again: the committed chain after a clean stop, and the
/// consensus files a crash leaves between journalling, signing and saving a block.
/// </summary>
public sealed class RecoveryTests
{
    [Fact]
    public async Task CleanRestart_ServesTheSameChain_AndKeepsAcceptingTransactions()
    {
        // 1. A node commits two blocks and stops cleanly. 2. A node started on the same folder reports the same
        //    height, head and state root, serves the old transactions with proofs, and refuses their replay.
        // 3. It commits a new transaction on top.
        var root = TestNode.CreateInitializedFolder();
        try
        {
            Client.NodeStatus before;
            Transaction first;
            await using (var node = await TestNode.OpenAsync(root, ownsRoot: false))
            {
                first = node.Anchor(node.AdminKey, 1);
                Assert.Equal("committed", (await node.Client.SubmitAsync(first, waitForCommit: true)).Status);
                Assert.Equal("committed", (await node.Client.SubmitAsync(node.Anchor(node.AdminKey, 2), waitForCommit: true)).Status);
                before = await node.Client.GetStatusAsync();
            }

            await using (var node = await TestNode.OpenAsync(root, ownsRoot: false))
            {
                var after = await node.Client.GetStatusAsync();
                Assert.Equal((before.Height, before.LatestBlockHash, before.StateRoot, before.StateEntries), (after.Height, after.LatestBlockHash, after.StateRoot, after.StateEntries));
                Assert.Equal("committed", (await node.Client.GetTransactionAsync(first.ComputeId(node.Suite)))?.Status);
                var replay = await Assert.ThrowsAsync<Client.MedLedgerApiException>(() => node.Client.SubmitAsync(first, waitForCommit: true));
                Assert.Equal("NonceReused", replay.Code);

                var next = await node.Client.SubmitAsync(node.Anchor(node.AdminKey, 3), waitForCommit: true);

                Assert.Equal(before.Height + 1, next.Height);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AJournalledProposal_IsDecidedAtStart_WhetherOrNotItWasSigned(bool signedBeforeTheCrash)
    {
        // A crash after the driver journalled the proposal for height 1 (and possibly after the guard recorded
        // its precommit) but before the block was saved leaves consensus/proposal (and consensus/last-signed).
        // The restarted node, with an empty mempool, decides exactly that block: same hash, same transactions.
        var root = TestNode.CreateInitializedFolder();
        var directory = new NodeDataDirectory(TestNode.DataPath(root));
        var suite = CryptoSuites.Standard;
        BlockHeader header;
        IReadOnlyList<Transaction> transactions;
        using (var key = directory.LoadNodeKey(suite, TestNode.Passphrase))
        using (var ledger = LedgerStateMachine.FromGenesis(directory.LoadGenesis()))
        {
            var keyId = suite.Hash(key.PublicKey.Span);
            var anchors = Enumerable.Range(1, 3).Select(n => Transaction.Create(suite, key, TestNode.ChainId, TransactionType.CommitmentAnchor, (ulong)n, 100, new CommitmentAnchorPayload(TestNode.RandomCommitment()).Encode())).ToList();
            var proposal = ledger.PrepareBlock(ledger.LastTimeUnixMilliseconds + 5_000, keyId, anchors);
            (header, transactions) = (proposal.Header, proposal.Transactions);
            new ProposalJournal(directory.ProposalPath, suite).Save(header, transactions);
            if (signedBeforeTheCrash)
            {
                Assert.NotNull(new FileVoteSigner(directory.LastSignedPath, suite, key, TestNode.ChainId).Sign(VoteType.Precommit, 1, 0, header.ComputeHash(suite)));
            }
        }

        await using var node = await TestNode.OpenAsync(root, ownsRoot: true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await node.Client.GetStatusAsync(timeout.Token)).Height == 0)
        {
            await Task.Delay(10, timeout.Token);
        }

        var block = await node.Client.GetBlockAsync(1);
        Assert.NotNull(block);
        Assert.Equal(header.ComputeHash(suite).ToString(), block.Hash);
        Assert.Equal(transactions.Select(t => t.ComputeId(suite).ToString()), block.TransactionIds);
        Assert.Equal(3UL, (await node.Client.GetAccountAsync(node.AdminId))!.Nonce);
        Assert.Equal(new SignedPosition(1, 0, ConsensusStep.Precommit, header.ComputeHash(suite)), new FileVoteSigner(directory.LastSignedPath, suite, node.AdminKey, TestNode.ChainId).LastPosition);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AChainDatabaseThatLostItsBlocks_RefusesToStart(bool deleted)
    {
        // 1. A node commits two blocks (its double-sign guard records height 2) and stops. 2. chain.db is deleted,
        //    or emptied to 0 bytes. 3. Starting must fail with NodeSetupException rather than serve height 0.
        var root = TestNode.CreateInitializedFolder();
        try
        {
            await using (var node = await TestNode.OpenAsync(root, ownsRoot: false))
            {
                Assert.Equal("committed", (await node.Client.SubmitAsync(node.Anchor(node.AdminKey, 1), waitForCommit: true)).Status);
                Assert.Equal("committed", (await node.Client.SubmitAsync(node.Anchor(node.AdminKey, 2), waitForCommit: true)).Status);
            }

            var database = new NodeDataDirectory(TestNode.DataPath(root)).ChainDatabasePath;
            foreach (var file in new[] { database, database + "-wal", database + "-shm" })
            {
                File.Delete(file);
            }

            if (!deleted)
            {
                File.WriteAllBytes(database, []);
            }

            var exception = Record.Exception(() =>
            {
                var app = NodeHost.Build(new NodeStartOptions(TestNode.DataPath(root), 0, TestNode.Passphrase), _ => { });
                ((IDisposable)app).Dispose();
            });

            Assert.IsType<NodeSetupException>(exception);
            Assert.DoesNotContain('\n', exception.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void AFolderThatIsNotAnInitialisedNode_RefusesToStart_WithAOneLineReason()
    {
        // NodeHost.Build refuses an empty folder with NodeSetupException whose message is one line naming the fix.
        var root = Directory.CreateTempSubdirectory("medledger-node-tests-").FullName;
        try
        {
            var exception = Assert.Throws<NodeSetupException>(() => NodeHost.Build(new NodeStartOptions(root, 0, TestNode.Passphrase), _ => { }));
            Assert.DoesNotContain('\n', exception.Message);
            Assert.Contains("node init", exception.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void AWrongPassphrase_RefusesToStart_WithNodeSetupException()
    {
        // The node key does not open with another passphrase; Build says so instead of starting.
        var root = TestNode.CreateInitializedFolder();
        try
        {
            var exception = Assert.Throws<NodeSetupException>(() => NodeHost.Build(new NodeStartOptions(TestNode.DataPath(root), 0, "wrong"), _ => { }));
            Assert.DoesNotContain('\n', exception.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
