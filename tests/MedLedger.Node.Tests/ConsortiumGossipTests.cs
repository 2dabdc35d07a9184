using System.Collections.Concurrent;
using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Node.Consortium;

namespace MedLedger.Node.Tests;

/// <summary>
/// Batched transaction gossip and compact proposals between real nodes and a peer played by the test (the fourth
/// validator's key): what a node sends, what it admits from a batch with a forged transaction, that a malformed batch
/// costs the connection, and how it handles compact proposals that are complete, incomplete or lying.
/// </summary>
public sealed class ConsortiumGossipTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task ABatchWithAForgedTransaction_AdmitsTheOthers_AndAMalformedBatchCostsTheConnection()
    {
        await using var consortium = TestConsortium.Create();
        for (var i = 0; i < 3; i++)
        {
            await consortium.StartAsync(i);
        }

        await using var peer = new FakePeer(consortium.NodeKeys[3], consortium.Genesis, consortium.Running.Select(i => NodeHost.PeerAddress(consortium.App(i))!));
        await peer.WaitForPeersAsync(3, Patience);
        var node = await PeerIdOfAsync(consortium, 0, peer);

        var first = consortium.NextAnchor();
        var second = consortium.NextAnchor();
        var genuine = consortium.NextAnchor();
        var signature = genuine.Signature.ToArray();
        signature[^1] ^= 0x5a;
        var forged = Transaction.FromParts(TestConsortium.ChainId, genuine.Type, genuine.Sender, genuine.Nonce, genuine.ExpiryHeight, genuine.Payload.ToArray(), signature);

        Assert.True(peer.Send(node, PeerProtocol.TransactionBatchType, PeerProtocol.EncodeTransactionBatch([first, second, forged])));

        // The two valid transactions reach a block (through the node's mempool and its relay to the others); the forged one
        // never does, and one forged transaction in a batch costs a penalty, not the connection.
        foreach (var transaction in new[] { first, second })
        {
            var committed = await WaitForStatusAsync(consortium, 0, transaction.ComputeId(TestConsortium.Suite), "committed");
            Assert.Equal("committed", committed);
        }

        Assert.Null(await consortium.Client(0).GetTransactionAsync(forged.ComputeId(TestConsortium.Suite)));
        Assert.DoesNotContain(node, peer.Disconnected);

        // A batch whose second entry does not decode is refused whole, and the node hangs up.
        var writer = new CanonicalWriter();
        writer.WriteByte(1);
        writer.WriteCount(2);
        writer.WriteBytes(consortium.NextAnchor().Encoded.Span);
        writer.WriteBytes([1, 2, 3]);
        Assert.True(peer.Send(node, PeerProtocol.TransactionBatchType, writer.ToArray()));
        await WaitUntilAsync(() => peer.Disconnected.Contains(node), "the node kept a peer that sent a malformed batch");
    }

    [Fact]
    public async Task CompactProposals_AreRebuiltFromTheMempool_FetchedWhenIncomplete_AndALyingOneCostsTheConnection()
    {
        // Only one node runs, so nothing commits and submitted transactions stay in its mempool; its propose timeout is
        // long, so it waits in round 0 for the proposal. The test peer holds the key of the proposer of height 1, round 0:
        // it receives the node's gossip batches, then proposes compact blocks to it.
        await using var consortium = TestConsortium.Create();
        var suite = TestConsortium.Suite;
        var schedule = new ProposerSchedule(consortium.Genesis.CreateValidatorSet(suite));
        var proposerIndex = Enumerable.Range(0, 4).Single(i => suite.Hash(consortium.NodeKeys[i].PublicKey.Span) == schedule.ProposerOf(1, 0));
        var nodeIndex = (proposerIndex + 1) % 4;
        await consortium.StartAsync(nodeIndex, TestConsortium.FastTimeouts with { TimeoutPropose = TimeSpan.FromMinutes(2) });
        var proposerKey = consortium.NodeKeys[proposerIndex];
        var proposerId = suite.Hash(proposerKey.PublicKey.Span);
        var batches = new ConcurrentQueue<IReadOnlyList<Transaction>>();
        var requests = new ConcurrentQueue<ProposalRequest>();
        var votes = new ConcurrentQueue<SignedVote>();
        await using var peer = new FakePeer(proposerKey, consortium.Genesis, [NodeHost.PeerAddress(consortium.App(nodeIndex))!]);
        peer.OnMessage = message =>
        {
            switch (message.Type)
            {
                case PeerProtocol.TransactionBatchType:
                    batches.Enqueue(PeerProtocol.DecodeTransactionBatch(message.Payload.Span));
                    break;
                case PeerProtocol.ProposalRequestType:
                    requests.Enqueue((ProposalRequest)ConsensusMessageCodec.Decode(message.Payload.Span));
                    break;
                case PeerProtocol.VoteType:
                    votes.Enqueue(((VoteMessage)ConsensusMessageCodec.Decode(message.Payload.Span)).Vote);
                    break;
                default:
                    break;
            }
        };
        await peer.WaitForPeersAsync(1, Patience);
        var node = peer.Peers[0];

        // 1. Transactions submitted to the node's API reach the peer in a batch frame.
        var submitted = new[] { consortium.NextAnchor(), consortium.NextAnchor() };
        foreach (var transaction in submitted)
        {
            Assert.Equal("pending", (await consortium.Client(nodeIndex).SubmitAsync(transaction, waitForCommit: false)).Status);
        }

        await WaitUntilAsync(() => batches.SelectMany(b => b).Count() >= 2, "the node did not gossip the submitted transactions in a batch");
        Assert.Equal(submitted.Select(t => t.ComputeId(suite)), batches.SelectMany(b => b).Select(t => t.ComputeId(suite)));

        // A valid block of those transactions, as the proposer would build it.
        using var ledger = LedgerStateMachine.FromGenesis(consortium.Genesis);
        var block = ledger.PrepareBlock(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), proposerId, submitted);
        Assert.Empty(block.Rejected);
        var hash = block.Header.ComputeHash(suite);
        var ids = block.Transactions.Select(t => t.ComputeId(suite)).ToList();

        // 2. A compact proposal naming a transaction the node lacks: the node asks for the full proposal.
        var unknown = consortium.NextAnchor();
        var incomplete = ledger.PrepareBlock(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), proposerId, [.. submitted, unknown]);
        var incompleteHash = incomplete.Header.ComputeHash(suite);
        Assert.True(peer.Send(node, PeerProtocol.CompactProposalType, Encode(proposerKey, proposerId, 1, 0, incomplete.Header, incomplete.Transactions.Select(t => t.ComputeId(suite)).ToList())));
        await WaitUntilAsync(() => requests.Any(r => r.BlockHash == incompleteHash && r.Height == 1 && r.Round == 0), "the node did not ask for the block of an incomplete compact proposal");

        // 3. A complete compact proposal: the node rebuilds the block from its mempool, executes it and prevotes it.
        Assert.True(peer.Send(node, PeerProtocol.CompactProposalType, Encode(proposerKey, proposerId, 1, 0, block.Header, ids)));
        await WaitUntilAsync(() => votes.Any(v => v.Type == VoteType.Prevote && v.Height == 1 && v.Round == 0 && v.BlockHash == hash), "the node did not prevote the block of a complete compact proposal");
        Assert.DoesNotContain(node, peer.Disconnected);

        // 4. A compact proposal whose ids are transactions the node holds but whose header commits to others: a lie.
        var other = ledger.PrepareBlock(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), proposerId, [submitted[0]]);
        var lyingHeader = other.Header with { TransactionCount = 2 };
        Assert.True(peer.Send(node, PeerProtocol.CompactProposalType, Encode(proposerKey, proposerId, 1, 7, lyingHeader, ids)));
        await WaitUntilAsync(() => peer.Disconnected.Contains(node), "the node kept a peer whose compact proposal does not match its header's root");
    }

    private static byte[] Encode(ISigningKey key, Hash proposer, ulong height, uint round, BlockHeader header, IReadOnlyList<Hash> ids)
    {
        var hash = header.ComputeHash(TestConsortium.Suite);
        var signature = key.Sign(Proposal.EncodeSigningBytes(TestConsortium.ChainId, height, round, hash, -1));
        return ConsensusMessageCodec.Encode(new CompactProposalMessage(new SignedProposal(proposer, height, round, hash, -1, signature), header, ids));
    }

    private static async Task<Hash> PeerIdOfAsync(TestConsortium consortium, int index, FakePeer peer)
    {
        var status = await consortium.Client(index).GetStatusAsync();
        var id = Hash.Parse(status.NodeId);
        Assert.Contains(id, peer.Peers);
        return id;
    }

    private static async Task<string?> WaitForStatusAsync(TestConsortium consortium, int index, Hash id, string status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var info = await consortium.Client(index).GetTransactionAsync(id);
            if (info?.Status == status || DateTime.UtcNow > deadline)
            {
                return info?.Status;
            }

            await Task.Delay(100);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(50);
        }
    }
}
