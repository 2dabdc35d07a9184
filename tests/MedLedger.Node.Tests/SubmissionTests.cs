using System.Net;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Node.Tests;

/// <summary>
/// The write path end to end inside one process: signed transactions go in through the REST API, come out in
/// committed blocks, and what the API serves about them (block header, certificate, inclusion proof) verifies with
/// the ledger's own primitives, without trusting the node.
/// </summary>
public sealed class SubmissionTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly TestNode _node = fixture.Node;

    [Fact]
    public async Task AnchorWithWaitCommit_IsCommitted_AndItsBlockAndProofVerify()
    {
        // 1. An administrator's anchor is submitted with ?wait=commit and answered as committed at a height.
        // 2. GET /blocks/{height} lists it; the served header hashes to the served block hash and its certificate
        //    verifies under the genesis validator set.
        // 3. GET /transactions/{id} returns its encoding, whose hash is the id, and a Merkle proof that verifies
        //    against the header's transactions root with a leaf recomputed from that encoding.
        var before = await _node.Client.GetStatusAsync();
        var transaction = _node.Anchor(_node.AdminKey, await _node.NextNonceAsync(_node.AdminId));
        var id = transaction.ComputeId(_node.Suite);

        var result = await _node.Client.SubmitAsync(transaction, waitForCommit: true);

        Assert.Equal(id.ToString(), result.Id);
        Assert.Equal("committed", result.Status);
        Assert.Equal(before.Height + 1, result.Height);
        Assert.Equal(0, result.Index);

        var block = await VerifiedBlockAsync(result.Height!.Value);
        Assert.Equal([id.ToString()], block.TransactionIds);
        Assert.Equal(before.LatestBlockHash, block.Header.PreviousBlockHash);
        Assert.Equal(_node.AdminId.ToString(), block.Header.Proposer);

        await AssertProvenAsync(id, block);

        var status = await _node.Client.GetStatusAsync();
        Assert.Equal(block.Header.Height, status.Height);
        Assert.Equal(block.Hash, status.LatestBlockHash);
        Assert.Equal(block.Header.StateRoot, status.StateRoot);
        Assert.Equal(before.StateEntries + 1, status.StateEntries);
        Assert.Equal(transaction.Nonce, (await _node.Client.GetAccountAsync(_node.AdminId))!.Nonce);
    }

    [Fact]
    public async Task BatchWithWaitCommit_CommitsEveryTransactionInOneBlock_WithAProofForEach()
    {
        // A batch of 7 anchors (an odd count, so the Merkle tree promotes a node) is admitted at once, committed
        // in one block in nonce order, and every transaction's proof verifies against that block's root.
        var nonce = await _node.NextNonceAsync(_node.AdminId);
        var transactions = Enumerable.Range(0, 7).Select(i => _node.Anchor(_node.AdminKey, nonce + (ulong)i)).ToList();

        var response = await _node.Client.SubmitBatchAsync(transactions, waitForCommit: true);

        Assert.Equal(transactions.Count, response.Results.Count);
        Assert.All(response.Results, r => Assert.Equal("committed", r.Status));
        var height = response.Results[0].Height!.Value;
        Assert.All(response.Results, r => Assert.Equal(height, r.Height));
        Assert.Equal(Enumerable.Range(0, 7), response.Results.Select(r => r.Index!.Value));

        var block = await VerifiedBlockAsync(height);
        Assert.Equal(transactions.Select(t => t.ComputeId(_node.Suite).ToString()), block.TransactionIds);
        foreach (var transaction in transactions)
        {
            var proof = await AssertProvenAsync(transaction.ComputeId(_node.Suite), block);
            Assert.Equal(7, proof.LeafCount);
            Assert.NotEmpty(proof.Path);
        }
    }

    [Fact]
    public async Task BatchWithAMix_AnswersPerTransaction_AndCommitsTheGoodOnes()
    {
        // In a batch each transaction gets its own result: the good one commits, the one from an unknown sender is
        // refused with its code, and the response is 202 because not all of them committed.
        using var stranger = _node.Suite.GenerateSigningKey();
        var good = _node.Anchor(_node.AdminKey, await _node.NextNonceAsync(_node.AdminId));
        var bad = _node.Anchor(stranger, 1);

        using var response = await _node.PostTransactionsAsync(System.Text.Json.JsonSerializer.Serialize(new { transactions = new[] { Convert.ToBase64String(bad.Encoded.Span), Convert.ToBase64String(good.Encoded.Span) } }));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var results = (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<SubmitTransactionsResponse>(response.Content))!.Results;
        Assert.Equal("rejected", results[0].Status);
        Assert.Equal("UnknownSender", results[0].Code);
        Assert.Equal(bad.ComputeId(_node.Suite).ToString(), results[0].Id);
        Assert.Equal("committed", results[1].Status);
        Assert.Equal("committed", (await _node.Client.GetTransactionAsync(good.ComputeId(_node.Suite)))!.Status);
        Assert.Null(await _node.Client.GetTransactionAsync(bad.ComputeId(_node.Suite)));
    }

    [Fact]
    public async Task SubmitWithoutWaiting_IsPendingThenCommitted()
    {
        // Without ?wait=commit the node answers 202 at admission; polling GET /transactions/{id} then shows the
        // transaction committed with a proof (it may already be committed at the first poll).
        var transaction = _node.Anchor(_node.AdminKey, await _node.NextNonceAsync(_node.AdminId));
        var id = transaction.ComputeId(_node.Suite);

        var result = await _node.Client.SubmitAsync(transaction);

        Assert.Equal("pending", result.Status);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        TransactionInfo? info;
        while ((info = await _node.Client.GetTransactionAsync(id, timeout.Token)) is not { Status: "committed" })
        {
            Assert.NotNull(info);
            Assert.Equal("pending", info.Status);
            Assert.Null(info.Proof);
            await Task.Delay(10, timeout.Token);
        }

        await AssertProvenAsync(id, await VerifiedBlockAsync(info.Height!.Value));
    }

    [Fact]
    public async Task RegisteredMember_CanAnchor_AndIsServedAsAnAccount()
    {
        // An account registered by the administrator is served with its role and registration height, and its
        // own transactions commit and advance its nonce.
        using var member = await _node.RegisterAsync(AccountRole.Member, "clinic member");
        var memberId = _node.Suite.Hash(member.PublicKey.Span);
        var account = await _node.Client.GetAccountAsync(memberId);
        Assert.NotNull(account);
        Assert.Equal("Member", account.Role);
        Assert.Equal("clinic member", account.Name);
        Assert.Equal(0UL, account.Nonce);
        Assert.True(account.RegisteredHeight > 0);

        var result = await _node.Client.SubmitAsync(_node.Anchor(member, 1), waitForCommit: true);

        Assert.Equal("committed", result.Status);
        Assert.Equal(1UL, (await _node.Client.GetAccountAsync(memberId))!.Nonce);
    }

    [Fact]
    public async Task SdkSubmit_OfARefusedTransaction_ThrowsWithTheProblemCode()
    {
        // The SDK turns a problem+json answer into MedLedgerApiException carrying status, title and code.
        using var stranger = _node.Suite.GenerateSigningKey();

        var exception = await Assert.ThrowsAsync<MedLedgerApiException>(() => _node.Client.SubmitAsync(_node.Anchor(stranger, 1), waitForCommit: true));

        Assert.Equal(HttpStatusCode.Unauthorized, exception.StatusCode);
        Assert.Equal("UnknownSender", exception.Code);
        Assert.False(string.IsNullOrEmpty(exception.Detail));
    }

    /// <summary>Fetches a block and checks it as a light client would: header hash and commit certificate.</summary>
    private async Task<BlockInfo> VerifiedBlockAsync(ulong height)
    {
        var block = await _node.Client.GetBlockAsync(height);
        Assert.NotNull(block);
        var info = block.Header;
        Assert.Equal(height, info.Height);
        Assert.Equal(TestNode.ChainId, info.ChainId);
        Assert.Equal((uint)block.TransactionIds.Count, info.TransactionCount);
        var header = new BlockHeader(
            info.ChainId,
            info.Height,
            info.TimeUnixMilliseconds,
            Hash.Parse(info.PreviousBlockHash),
            Hash.Parse(info.TransactionsRoot),
            Hash.Parse(info.StateRoot),
            Hash.Parse(info.Proposer),
            Hash.Parse(info.ValidatorSetHash),
            info.TransactionCount);
        var hash = header.ComputeHash(_node.Suite);
        Assert.Equal(block.Hash, hash.ToString());

        var certificate = new CommitCertificate(
            height,
            block.Certificate.Round,
            hash,
            [.. block.Certificate.Signatures.Select(s => new CommitSignature(Hash.Parse(s.Validator), Convert.FromBase64String(s.Signature)))]);
        var validators = _node.DataDirectory.LoadGenesis().CreateValidatorSet(_node.Suite);
        Assert.Equal(validators.ComputeHash(_node.Suite), header.ValidatorSetHash);
        Assert.Null(validators.VerifyCommit(_node.Suite, TestNode.ChainId, height, hash, certificate));
        return block;
    }

    /// <summary>
    /// Fetches a committed transaction and verifies its inclusion proof against the block's transactions root
    /// with a leaf hash recomputed from the served encoding; also checks that a wrong leaf or index fails.
    /// </summary>
    private async Task<InclusionProofInfo> AssertProvenAsync(Hash id, BlockInfo block)
    {
        var info = await _node.Client.GetTransactionAsync(id);
        Assert.NotNull(info);
        Assert.Equal("committed", info.Status);
        Assert.Equal(block.Header.Height, info.Height);
        Assert.Equal(block.TransactionIds[info.Index!.Value], id.ToString());

        var encoded = Convert.FromBase64String(info.Encoded);
        Assert.Equal(id, _node.Suite.Hash(encoded));
        var decoded = Transaction.Decode(encoded);
        Assert.Equal(info.Nonce, decoded.Nonce);
        Assert.Equal(info.Sender, decoded.Sender.ToString());
        Assert.Equal(info.Type, decoded.Type.ToString());

        var proofInfo = info.Proof;
        Assert.NotNull(proofInfo);
        var leaf = MerkleTree.HashLeaf(_node.Suite, encoded);
        Assert.Equal(leaf.ToString(), proofInfo.LeafHash);
        Assert.Equal(block.Header.TransactionsRoot, proofInfo.TransactionsRoot);
        Assert.Equal(info.Index.Value, proofInfo.LeafIndex);
        Assert.Equal(block.TransactionIds.Count, proofInfo.LeafCount);

        var root = Hash.Parse(block.Header.TransactionsRoot);
        var proof = new MerkleProof(proofInfo.LeafIndex, proofInfo.LeafCount, [.. proofInfo.Path.Select(Hash.Parse)]);
        Assert.True(MerkleTree.VerifyProof(_node.Suite, root, leaf, proof), $"the proof of {id} does not verify");
        Assert.False(MerkleTree.VerifyProof(_node.Suite, root, MerkleTree.HashLeaf(_node.Suite, [.. encoded, 0]), proof));
        if (proof.LeafCount > 1)
        {
            Assert.False(MerkleTree.VerifyProof(_node.Suite, root, leaf, proof with { Index = (proof.Index + 1) % proof.LeafCount }));
        }

        return proofInfo;
    }
}
