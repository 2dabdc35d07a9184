using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// Transaction admission and execution rules of <see cref="LedgerStateMachine"/>: each rejection reason is produced by
/// exactly the fault it names, through CheckTransaction (the mempool's check) and PrepareBlock (the proposer's).
/// </summary>
public sealed class LedgerStateMachineTransactionTests : IDisposable
{
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;
    private readonly TestChain _chain = new();

    public void Dispose() => _chain.Dispose();

    // Proves a member's well-formed anchor is accepted by CheckTransaction and included by PrepareBlock, and that
    // committing it records the anchor (sender, height) and the sender's nonce.
    [Fact]
    public void CommitmentAnchor_Valid_IsAcceptedIncludedAndRecorded()
    {
        using var node = _chain.NewNode();
        var anchor = TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1));
        var rootBefore = node.StateRoot;

        Assert.Equal(TransactionResult.Accepted, TestChain.Check(node, anchor));
        Assert.Equal(rootBefore, node.StateRoot);

        var proposal = _chain.Propose(node, anchor);
        Assert.Equal([anchor], proposal.Transactions);
        Assert.Empty(proposal.Rejected);
        Assert.Equal(1UL, proposal.Header.TransactionCount);
        TestChain.Commit(node, proposal);

        Assert.Equal(new AnchorRecord(_chain.MemberId, 1), AnchorRecord.Decode(node.Query(StateKeys.Anchor(TestChain.Commitment(1)))));
        Assert.Equal(1UL, node.GetAccount(_chain.MemberId)!.Nonce);
    }

    // Proves a signature made by another key under the administrator's sender id is InvalidSignature.
    [Fact]
    public void Check_SignatureByAnotherKeyUnderAdminId_IsInvalidSignature()
    {
        using var node = _chain.NewNode();
        var forged = Forge(_chain.AdminId, _chain.Outsider, nonce: 1, TestChain.Commitment(1));
        AssertRejected(node, forged, TransactionRejection.InvalidSignature);
    }

    // Proves altering any part of a genuine signature (a bit flip, truncation, emptiness) is InvalidSignature.
    [Fact]
    public void Check_AlteredSignatureBytes_IsInvalidSignature()
    {
        using var node = _chain.NewNode();
        var genuine = TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1));
        var signature = genuine.Signature.ToArray();
        byte[][] altered = [FlipBit(signature, 0), FlipBit(signature, 300), signature[..63], [], [.. signature, 0]];
        foreach (var bad in altered)
        {
            AssertRejected(node, WithSignature(genuine, bad), TransactionRejection.InvalidSignature);
        }

        Assert.True(TestChain.Check(node, genuine).IsAccepted);
    }

    // Proves a transaction signed for another chain is WrongChain, even though its signature is genuine.
    [Fact]
    public void Check_SignedForAnotherChain_IsWrongChain()
    {
        using var node = _chain.NewNode();
        AssertRejected(node, TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1), chainId: "medledger-other"), TransactionRejection.WrongChain);
    }

    // Proves replay protection: the same transaction after it committed is NonceReused, and so are new transactions
    // with an equal or lower nonce; a higher nonce (gaps allowed) is accepted.
    [Fact]
    public void Check_ReplayedOrLowerNonce_IsNonceReused()
    {
        using var node = _chain.NewNode();
        var first = TestChain.Anchor(_chain.Member, 5, TestChain.Commitment(1));
        _chain.ProposeAndCommit(node, first);

        AssertRejected(node, first, TransactionRejection.NonceReused);
        AssertRejected(node, TestChain.Anchor(_chain.Member, 5, TestChain.Commitment(2)), TransactionRejection.NonceReused);
        AssertRejected(node, TestChain.Anchor(_chain.Member, 4, TestChain.Commitment(3)), TransactionRejection.NonceReused);
        AssertRejected(node, TestChain.Anchor(_chain.Member, 0, TestChain.Commitment(4)), TransactionRejection.NonceReused);
        Assert.True(TestChain.Check(node, TestChain.Anchor(_chain.Member, 9, TestChain.Commitment(5))).IsAccepted);
    }

    // Proves a transaction twice in one block is included once: the second copy is NonceReused against the first.
    [Fact]
    public void PrepareBlock_SameTransactionTwice_IncludesItOnce()
    {
        using var node = _chain.NewNode();
        var anchor = TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1));
        var proposal = _chain.Propose(node, anchor, anchor);
        Assert.Single(proposal.Transactions);
        Assert.Equal(TransactionRejection.NonceReused, Assert.Single(proposal.Rejected).Result.Rejection);
    }

    // Proves expiry: a transaction whose expiry height is below the next height is Expired; exactly the next height is
    // still accepted.
    [Fact]
    public void Check_ExpiryBelowNextHeight_IsExpired()
    {
        using var node = _chain.NewNode();
        _chain.ProposeAndCommit(node, TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1)));
        _chain.ProposeAndCommit(node, TestChain.Anchor(_chain.Member, 2, TestChain.Commitment(2)));
        Assert.Equal(2UL, node.Height);

        AssertRejected(node, TestChain.Anchor(_chain.Member, 3, TestChain.Commitment(3), expiry: 2), TransactionRejection.Expired);
        AssertRejected(node, TestChain.Anchor(_chain.Member, 3, TestChain.Commitment(3), expiry: 0), TransactionRejection.Expired);
        Assert.True(TestChain.Check(node, TestChain.Anchor(_chain.Member, 3, TestChain.Commitment(3), expiry: 3)).IsAccepted);
    }

    // Proves an expiry more than MaxExpiryWindowBlocks ahead of the next height is ExpiryTooFar, and exactly the
    // window is accepted.
    [Fact]
    public void Check_ExpiryBeyondWindow_IsExpiryTooFar()
    {
        using var node = _chain.NewNode();
        AssertRejected(node, TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1), expiry: 1 + Limits.MaxExpiryWindowBlocks + 1), TransactionRejection.ExpiryTooFar);
        AssertRejected(node, TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1), expiry: ulong.MaxValue), TransactionRejection.ExpiryTooFar);
        Assert.True(TestChain.Check(node, TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1), expiry: 1 + Limits.MaxExpiryWindowBlocks)).IsAccepted);
    }

    // Proves a valid signature by an unregistered key is UnknownSender.
    [Fact]
    public void Check_UnregisteredKey_IsUnknownSender()
    {
        using var node = _chain.NewNode();
        AssertRejected(node, TestChain.Anchor(_chain.Outsider, 1, TestChain.Commitment(1)), TransactionRejection.UnknownSender);
    }

    // Proves type None and unassigned type numbers are UnknownType.
    [Fact]
    public void Check_UnknownType_IsUnknownType()
    {
        using var node = _chain.NewNode();
        AssertRejected(node, TestChain.Signed(_chain.Member, TransactionType.None, 1, new byte[32]), TransactionRejection.UnknownType);
        AssertRejected(node, TestChain.Signed(_chain.Member, (TransactionType)999, 1, new byte[32]), TransactionRejection.UnknownType);
    }

    // Proves a member may neither register nor revoke accounts (NotAuthorized), while the administrator may register.
    [Fact]
    public void AccountRegisterAndRevoke_ByMember_AreNotAuthorized()
    {
        using var node = _chain.NewNode();
        using var newcomer = Suite.GenerateSigningKey();
        var byMember = TestChain.Register(_chain.Member, 1, newcomer.PublicKey.Span, AccountRole.Member, "newcomer");
        var revokeByMember = TestChain.Revoke(_chain.Member, 1, _chain.AdminId);
        var proposal = _chain.Propose(node, byMember, revokeByMember);
        Assert.Empty(proposal.Transactions);
        Assert.All(proposal.Rejected, r => Assert.Equal(TransactionRejection.NotAuthorized, r.Result.Rejection));

        var byAdmin = TestChain.Register(_chain.Admin, 1, newcomer.PublicKey.Span, AccountRole.Member, "newcomer");
        _chain.ProposeAndCommit(node, byAdmin);
        var account = node.GetAccount(Suite.Hash(newcomer.PublicKey.Span))!;
        Assert.Equal((AccountRole.Member, "newcomer", 0UL, 1UL, false), (account.Role, account.Name, account.Nonce, account.RegisteredHeight, account.Revoked));
        Assert.True(TestChain.Check(node, TestChain.Anchor(newcomer, 1, TestChain.Commitment(1))).IsAccepted);
    }

    // Proves registration payload rules: an invalid public key or role, an empty name, or an already registered key
    // are refused with InvalidPayload or AlreadyExists.
    [Fact]
    public void AccountRegister_InvalidPayloads_AreRefused()
    {
        using var node = _chain.NewNode();
        using var newcomer = Suite.GenerateSigningKey();
        var key = newcomer.PublicKey.ToArray();
        var proposal = _chain.Propose(
            node,
            TestChain.Register(_chain.Admin, 1, key.AsSpan(..33), AccountRole.Member, "compressed"),
            TestChain.Register(_chain.Admin, 2, key, AccountRole.None, "no role"),
            TestChain.Register(_chain.Admin, 3, key, (AccountRole)7, "unknown role"),
            TestChain.Register(_chain.Admin, 4, key, AccountRole.Member, string.Empty),
            TestChain.Register(_chain.Admin, 5, _chain.Member.PublicKey.Span, AccountRole.Member, "again"));
        Assert.Empty(proposal.Transactions);
        Assert.Equal(
            [TransactionRejection.InvalidPayload, TransactionRejection.InvalidPayload, TransactionRejection.InvalidPayload, TransactionRejection.InvalidPayload, TransactionRejection.AlreadyExists],
            proposal.Rejected.Select(r => r.Result.Rejection));
    }

    // Proves revocation in four numbered steps: after an administrator's AccountRevoke commits, the member's new
    // transactions are SenderRevoked, while the member's earlier transactions stay in their committed block and still
    // verify against the key kept in state.
    [Fact]
    public void Revoke_CommittedRevocation_RefusesLaterTransactionsButKeepsHistory()
    {
        using var node = _chain.NewNode();

        // 1. The member anchors a commitment in block 1.
        var earlier = TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1));
        var block1 = _chain.ProposeAndCommit(node, earlier);

        // 2. The administrator revokes the member in block 2.
        _chain.ProposeAndCommit(node, TestChain.Revoke(_chain.Admin, 1, _chain.MemberId));
        var account = node.GetAccount(_chain.MemberId)!;
        Assert.True(account.Revoked);

        // 3. The member's later transactions are refused, at admission and by the proposer.
        var later = TestChain.Anchor(_chain.Member, 2, TestChain.Commitment(2));
        AssertRejected(node, later, TransactionRejection.SenderRevoked);

        // 4. Block 1 still holds the earlier transaction, its root still matches, its signature still verifies with the
        //    key kept in state, and its anchor is still recorded.
        Assert.Equal(block1.Header.TransactionsRoot, Block.ComputeTransactionsRoot(Suite, block1.Transactions));
        Assert.Contains(earlier, block1.Transactions);
        Assert.True(Suite.Verify(account.PublicKey, earlier.EncodeSigningBytes(), earlier.Signature.Span));
        Assert.Equal(new AnchorRecord(_chain.MemberId, 1), AnchorRecord.Decode(node.Query(StateKeys.Anchor(TestChain.Commitment(1)))));
    }

    // Proves a revocation takes effect within its own block: a member transaction after it in the same block is
    // SenderRevoked, one before it is included.
    [Fact]
    public void Revoke_InSameBlock_AppliesToLaterTransactionsOnly()
    {
        using var node = _chain.NewNode();
        var before = TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1));
        var revoke = TestChain.Revoke(_chain.Admin, 1, _chain.MemberId);
        var after = TestChain.Anchor(_chain.Member, 2, TestChain.Commitment(2));
        var proposal = _chain.Propose(node, before, revoke, after);
        Assert.Equal([before, revoke], proposal.Transactions);
        Assert.Equal(TransactionRejection.SenderRevoked, Assert.Single(proposal.Rejected).Result.Rejection);
    }

    // Proves revocation rules: revoking oneself is InvalidPayload, an unknown account NotFound, a revoked one again
    // AlreadyExists.
    [Fact]
    public void Revoke_SelfUnknownOrTwice_AreRefused()
    {
        using var node = _chain.NewNode();
        var proposal = _chain.Propose(
            node,
            TestChain.Revoke(_chain.Admin, 1, _chain.AdminId),
            TestChain.Revoke(_chain.Admin, 2, _chain.OutsiderId),
            TestChain.Revoke(_chain.Admin, 3, _chain.MemberId),
            TestChain.Revoke(_chain.Admin, 4, _chain.MemberId));
        Assert.Single(proposal.Transactions);
        Assert.Equal([TransactionRejection.InvalidPayload, TransactionRejection.NotFound, TransactionRejection.AlreadyExists], proposal.Rejected.Select(r => r.Result.Rejection));
    }

    // Proves a commitment can be anchored once: again in a later block or within the same block it is AlreadyExists.
    [Fact]
    public void Anchor_Duplicate_IsAlreadyExists()
    {
        using var node = _chain.NewNode();
        var proposal = _chain.Propose(node, TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1)), TestChain.Anchor(_chain.Admin, 1, TestChain.Commitment(1)));
        Assert.Single(proposal.Transactions);
        Assert.Equal(TransactionRejection.AlreadyExists, Assert.Single(proposal.Rejected).Result.Rejection);
        TestChain.Commit(node, proposal);

        var proposal2 = _chain.Propose(node, TestChain.Anchor(_chain.Admin, 2, TestChain.Commitment(1)));
        Assert.Equal(TransactionRejection.AlreadyExists, Assert.Single(proposal2.Rejected).Result.Rejection);
    }

    // Proves payloads that do not decode (too short, too long, empty) are InvalidPayload, for every type.
    [Fact]
    public void Payload_Malformed_IsInvalidPayload()
    {
        using var node = _chain.NewNode();
        var proposal = _chain.Propose(
            node,
            TestChain.Signed(_chain.Admin, TransactionType.CommitmentAnchor, 1, new byte[31]),
            TestChain.Signed(_chain.Admin, TransactionType.CommitmentAnchor, 2, new byte[33]),
            TestChain.Signed(_chain.Admin, TransactionType.AccountRevoke, 3, []),
            TestChain.Signed(_chain.Admin, TransactionType.AccountRegister, 4, [0, 0, 0, 65]));
        Assert.Empty(proposal.Transactions);
        Assert.All(proposal.Rejected, r => Assert.Equal(TransactionRejection.InvalidPayload, r.Result.Rejection));
        Assert.All(proposal.Rejected, r => Assert.False(string.IsNullOrWhiteSpace(r.Result.Reason)));
    }

    // Proves PrepareBlock includes the valid candidates in order and returns each refused one with its reason, and
    // that a refused transaction leaves no trace in the block's state.
    [Fact]
    public void PrepareBlock_MixedCandidates_IncludesValidAndReportsRejected()
    {
        using var node = _chain.NewNode();
        var valid1 = TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1));
        var forged = Forge(_chain.AdminId, _chain.Outsider, 1, TestChain.Commitment(2));
        var wrongChain = TestChain.Anchor(_chain.Member, 2, TestChain.Commitment(3), chainId: "medledger-other");
        var valid2 = TestChain.Anchor(_chain.Admin, 1, TestChain.Commitment(4));
        var unknown = TestChain.Anchor(_chain.Outsider, 1, TestChain.Commitment(5));

        var proposal = _chain.Propose(node, valid1, forged, wrongChain, valid2, unknown);

        Assert.Equal([valid1, valid2], proposal.Transactions);
        Assert.Equal([forged, wrongChain, unknown], proposal.Rejected.Select(r => r.Transaction));
        Assert.Equal([TransactionRejection.InvalidSignature, TransactionRejection.WrongChain, TransactionRejection.UnknownSender], proposal.Rejected.Select(r => r.Result.Rejection));
        Assert.Equal(Block.ComputeTransactionsRoot(Suite, [valid1, valid2]), proposal.Header.TransactionsRoot);

        TestChain.Commit(node, proposal);
        Assert.Null(node.Query(StateKeys.Anchor(TestChain.Commitment(2))));
        Assert.Null(node.Query(StateKeys.Anchor(TestChain.Commitment(5))));
        Assert.Equal(1UL, node.GetAccount(_chain.AdminId)!.Nonce);
    }

    // Proves PrepareBlock stops at its transaction-count and byte limits, leaving the rest for the next block.
    [Fact]
    public void PrepareBlock_Limits_StopIncluding()
    {
        using var node = _chain.NewNode();
        var candidates = Enumerable.Range(1, 5).Select(i => TestChain.Anchor(_chain.Member, (ulong)i, TestChain.Commitment(i))).ToList();
        Assert.Equal(2, node.PrepareBlock(TestChain.GenesisTime + 1, _chain.AdminId, candidates, maxTransactions: 2).Transactions.Count);
        var size = candidates[0].EncodedLength;
        Assert.Equal(3, node.PrepareBlock(TestChain.GenesisTime + 1, _chain.AdminId, candidates, maxBytes: (3 * size) + size - 1).Transactions.Count);
    }

    // Proves the proposer's header: next height, previous hash, validator-set hash, and a time that always advances
    // even if the proposer's clock is behind.
    [Fact]
    public void PrepareBlock_Header_LinksToTheChain()
    {
        using var node = _chain.NewNode();
        var header = node.PrepareBlock(0, _chain.AdminId, []).Header;
        Assert.Equal((TestChain.ChainId, 1UL, node.GenesisHash, TestChain.GenesisTime + 1, 0U), (header.ChainId, header.Height, header.PreviousBlockHash, header.TimeUnixMilliseconds, header.TransactionCount));
        Assert.Equal(node.ValidatorSet.ComputeHash(Suite), header.ValidatorSetHash);
        Assert.Equal(TestChain.GenesisTime + 5_000, node.PrepareBlock(TestChain.GenesisTime + 5_000, _chain.AdminId, []).Header.TimeUnixMilliseconds);
    }

    // Proves the verified-signature cache cannot be made to vouch for a forged transaction by passing CheckTransaction a
    // genuine transaction together with the forged one's id: the forged transaction is still refused in a block.
    [Fact]
    public void CheckTransaction_IdOfAnotherTransaction_DoesNotVouchForIt()
    {
        using var node = _chain.NewNode();
        var genuine = TestChain.Anchor(_chain.Admin, 1, TestChain.Commitment(1));
        var forged = Forge(_chain.AdminId, _chain.Outsider, 1, TestChain.Commitment(2));
        _ = Record.Exception(() => node.CheckTransaction(genuine, forged.ComputeId(Suite)));

        var proposal = _chain.Propose(node, forged);
        Assert.True(proposal.Transactions.Count == 0, "a forged transaction was included because the cache held its id");
        Assert.Equal(TransactionRejection.InvalidSignature, Assert.Single(proposal.Rejected).Result.Rejection);
    }

    // Proves signatures are verified once per node: CheckTransaction caches the id, and Commit forgets it.
    [Fact]
    public void VerifiedSignatures_CheckedThenCommitted_IsCachedThenForgotten()
    {
        using var node = _chain.NewNode();
        var anchor = TestChain.Anchor(_chain.Member, 1, TestChain.Commitment(1));
        var id = anchor.ComputeId(Suite);
        Assert.False(node.VerifiedSignatures.Contains(id));
        TestChain.Check(node, anchor);
        Assert.True(node.VerifiedSignatures.Contains(id));
        _chain.ProposeAndCommit(node, anchor);
        Assert.False(node.VerifiedSignatures.Contains(id));
    }

    private static void AssertRejected(LedgerStateMachine node, Transaction transaction, TransactionRejection expected)
    {
        var check = TestChain.Check(node, transaction);
        Assert.True(check.Rejection == expected, $"CheckTransaction: expected {expected}, got {check.Rejection} ({check.Reason})");
        Assert.False(string.IsNullOrWhiteSpace(check.Reason));

        var proposal = node.PrepareBlock(node.LastTimeUnixMilliseconds + 1, node.ValidatorSet.Validators[0].KeyId, [transaction]);
        Assert.Empty(proposal.Transactions);
        var (refused, result) = Assert.Single(proposal.Rejected);
        Assert.Same(transaction, refused);
        Assert.True(result.Rejection == expected, $"PrepareBlock: expected {expected}, got {result.Rejection} ({result.Reason})");
    }

    /// <summary>An anchor that claims <paramref name="sender"/> but is signed by <paramref name="signer"/>.</summary>
    internal static Transaction Forge(Hash sender, ISigningKey signer, ulong nonce, Hash commitment)
    {
        var payload = new CommitmentAnchorPayload(commitment).Encode();
        var unsigned = Transaction.FromParts(TestChain.ChainId, TransactionType.CommitmentAnchor, sender, nonce, TestChain.DefaultExpiry, payload, []);
        return Transaction.FromParts(TestChain.ChainId, TransactionType.CommitmentAnchor, sender, nonce, TestChain.DefaultExpiry, payload, signer.Sign(unsigned.EncodeSigningBytes()));
    }

    private static Transaction WithSignature(Transaction transaction, byte[] signature) =>
        Transaction.FromParts(transaction.ChainId, transaction.Type, transaction.Sender, transaction.Nonce, transaction.ExpiryHeight, transaction.Payload.ToArray(), signature);

    private static byte[] FlipBit(byte[] bytes, int bit)
    {
        var copy = (byte[])bytes.Clone();
        copy[bit / 8] ^= (byte)(1 << (bit % 8));
        return copy;
    }
}
