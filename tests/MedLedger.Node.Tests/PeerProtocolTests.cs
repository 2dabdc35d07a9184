using MedLedger.Core;
using MedLedger.Ledger;
using MedLedger.Node.Consortium;

namespace MedLedger.Node.Tests;

/// <summary>
/// The block-sync answer binds each block's body to its header: a commit certificate covers the header only, so a peer
/// that pairs a real header and certificate with other transactions is refused at decoding (and so disconnected),
/// before any of it reaches the driver.
/// </summary>
public sealed class PeerProtocolTests
{
    [Fact]
    public void BlocksResponse_WithTheHeadersTransactions_Decodes_AndWithOthers_IsRefused()
    {
        var suite = TestConsortium.Suite;
        using var key = suite.GenerateSigningKey();
        var keyId = suite.Hash(key.PublicKey.Span);
        var transactions = Enumerable.Range(1, 3).Select(n => Transaction.Create(suite, key, TestConsortium.ChainId, TransactionType.CommitmentAnchor, (ulong)n, 100, new CommitmentAnchorPayload(TestNode.RandomCommitment()).Encode())).ToList();
        var header = new BlockHeader(TestConsortium.ChainId, 1, 1_767_225_600_000, TestNode.RandomCommitment(), Block.ComputeTransactionsRoot(suite, transactions), TestNode.RandomCommitment(), keyId, TestNode.RandomCommitment(), (uint)transactions.Count);
        var hash = header.ComputeHash(suite);
        var certificate = new CommitCertificate(1, 0, hash, [new CommitSignature(keyId, key.Sign(Vote.EncodeSigningBytes(TestConsortium.ChainId, VoteType.Precommit, 1, 0, hash)))]);

        var (decoded, more) = PeerProtocol.DecodeBlocksResponse(PeerProtocol.EncodeBlocksResponse([new Block(header, transactions, certificate)], more: true), suite);
        Assert.True(more);
        Assert.Equal(hash, decoded.Single().Header.ComputeHash(suite));

        var swapped = transactions.ToList();
        swapped[1] = Transaction.Create(suite, key, TestConsortium.ChainId, TransactionType.CommitmentAnchor, 2, 100, new CommitmentAnchorPayload(TestNode.RandomCommitment()).Encode());
        var exception = Assert.Throws<DecodingException>(() => PeerProtocol.DecodeBlocksResponse(PeerProtocol.EncodeBlocksResponse([new Block(header, swapped, certificate)], more: false), suite));
        Assert.Contains("transactions root", exception.Message, StringComparison.Ordinal);

        // A body with a transaction left out is refused too (by the count its header names).
        Assert.Throws<DecodingException>(() => PeerProtocol.DecodeBlocksResponse(PeerProtocol.EncodeBlocksResponse([new Block(header, transactions.Take(2).ToList(), certificate)], more: false), suite));
    }
}
