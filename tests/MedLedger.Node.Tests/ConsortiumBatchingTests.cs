using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Ledger;
using MedLedger.Node.Consortium;

namespace MedLedger.Node.Tests;

/// <summary>
/// Unit tests of the consortium's batching (docs/network.md, "Transaction batches" and "Compact proposals"): the batch
/// frame's strict decoding, the batcher's flush rules on a stepped clock, rebuilding a compact proposal from held
/// transactions (complete, missing, lying), and block pacing.
/// </summary>
public sealed class ConsortiumBatchingTests
{
    private static readonly Hash PeerA = TestConsortium.Suite.Hash([1]);
    private static readonly Hash PeerB = TestConsortium.Suite.Hash([2]);
    private static readonly Hash PeerC = TestConsortium.Suite.Hash([3]);

    [Fact]
    public void TransactionBatch_RoundTrips_InOrder()
    {
        using var ledger = new TestLedger();
        var transactions = ledger.Anchors(5);

        var decoded = PeerProtocol.DecodeTransactionBatch(PeerProtocol.EncodeTransactionBatch(transactions));

        Assert.Equal(transactions.Select(t => t.ComputeId(ledger.Suite)), decoded.Select(t => t.ComputeId(ledger.Suite)));
    }

    [Fact]
    public void TransactionBatch_Malformed_IsRefusedWhole()
    {
        using var ledger = new TestLedger();
        var good = PeerProtocol.EncodeTransactionBatch(ledger.Anchors(3));

        // Trailing byte, truncation, unknown version, an empty batch, a count above the limit, a transaction that does
        // not decode: each refuses the whole frame (the caller disconnects the sender).
        Assert.Throws<DecodingException>(() => PeerProtocol.DecodeTransactionBatch([.. good, 0]));
        Assert.Throws<DecodingException>(() => PeerProtocol.DecodeTransactionBatch(good.AsSpan(0, good.Length - 1)));
        var wrongVersion = good.ToArray();
        wrongVersion[0] = 2;
        Assert.Throws<DecodingException>(() => PeerProtocol.DecodeTransactionBatch(wrongVersion));
        Assert.Throws<DecodingException>(() => PeerProtocol.DecodeTransactionBatch(Batch(0, [])));
        Assert.Throws<DecodingException>(() => PeerProtocol.DecodeTransactionBatch(Batch(PeerProtocol.MaxTransactionsPerBatch + 1, [])));
        Assert.Throws<DecodingException>(() => PeerProtocol.DecodeTransactionBatch(Batch(1, [[1, 2, 3]])));
        Assert.Throws<DecodingException>(() => PeerProtocol.DecodeTransactionBatch(new byte[PeerProtocol.MaxTransactionBatchBytes + 1]));
    }

    [Fact]
    public void TransactionBatch_EncodeRefusesWhatPeersWouldPunish()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PeerProtocol.EncodeTransactionBatch([]));
        var node = PeerProtocol.MessageTypes.Single(t => t.Code == PeerProtocol.TransactionBatchType);
        Assert.Equal(PeerProtocol.MaxTransactionBatchBytes, node.MaxPayloadBytes);
        Assert.Equal(Network.MessageDelivery.Direct, node.Delivery);
    }

    [Fact]
    public void Gossip_WaitsForTheDelay_ThenSendsOneBatchPerPeer_NotBackToItsSource()
    {
        using var ledger = new TestLedger();
        var clock = new SteppedClock();
        var sent = new List<(Hash Peer, IReadOnlyList<Transaction> Batch)>();
        using var gossip = new TransactionGossip(() => [PeerA, PeerB, PeerC], (peer, payload) => Record(sent, peer, payload), clock, TimeSpan.FromMilliseconds(2));
        var own = ledger.Anchors(3);
        var fromA = ledger.Anchors(2, firstNonce: 10);

        gossip.Enqueue(own, null);
        gossip.Enqueue(fromA, PeerA);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Empty(sent);
        Assert.Equal(5, gossip.PendingCount);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(3, sent.Count);
        Assert.Equal(3, sent.Single(s => s.Peer == PeerA).Batch.Count);
        Assert.Equal(own.Concat(fromA).Select(t => t.Nonce), sent.Single(s => s.Peer == PeerB).Batch.Select(t => t.Nonce));
        Assert.Equal(5, sent.Single(s => s.Peer == PeerC).Batch.Count);
        Assert.Equal(0, gossip.PendingCount);

        // Nothing waits: the timer is idle, so time passing sends nothing more.
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(3, sent.Count);
        Assert.Equal(13, gossip.TransactionsSent);
    }

    [Fact]
    public void Gossip_FlushesAtOnce_WhenTheBatchIsFullOrFlushIsCalled()
    {
        using var ledger = new TestLedger();
        var clock = new SteppedClock();
        var sent = new List<(Hash Peer, IReadOnlyList<Transaction> Batch)>();
        var anchors = ledger.Anchors(3);
        var flushBytes = PeerProtocol.BatchOverheadBytes + 4 + Limits.MaxTransactionBytes;
        using var gossip = new TransactionGossip(() => [PeerA], (peer, payload) => Record(sent, peer, payload), clock, TimeSpan.FromSeconds(1), flushBytes);

        gossip.Enqueue(anchors.Take(1).ToList(), null);
        Assert.Empty(sent);
        gossip.Flush();
        Assert.Single(sent);

        // Enough bytes for the size rule: a batch leaves without any time passing.
        var big = Enumerable.Range(0, (flushBytes / PeerProtocol.BatchEntryBytes(anchors[0])) + 1).Select(i => ledger.Anchors(1, firstNonce: 100 + (ulong)i)[0]).ToList();
        gossip.Enqueue(big, null);
        Assert.Equal(2, sent.Count);
        Assert.Equal(big.Count, sent[1].Batch.Count);
    }

    [Fact]
    public void Gossip_SplitsMoreThanOneFrameHolds()
    {
        using var ledger = new TestLedger();
        var clock = new SteppedClock();
        var sent = new List<(Hash Peer, IReadOnlyList<Transaction> Batch)>();
        using var gossip = new TransactionGossip(() => [PeerA], (peer, payload) => Record(sent, peer, payload), clock, TimeSpan.FromSeconds(1), PeerProtocol.MaxTransactionBatchBytes);
        var one = ledger.Anchors(1)[0];
        var many = Enumerable.Repeat(one, PeerProtocol.MaxTransactionsPerBatch + 10).ToList();

        gossip.Enqueue(many, null);

        Assert.Equal([PeerProtocol.MaxTransactionsPerBatch, 10], sent.Select(s => s.Batch.Count));
    }

    [Fact]
    public void CompactProposal_RoundTripsThroughTheCodec_AndRefusesACountOtherThanTheHeaders()
    {
        using var ledger = new TestLedger();
        var (compact, _) = Compact(ledger, ledger.Anchors(4));

        var decoded = Assert.IsType<CompactProposalMessage>(ConsensusMessageCodec.Decode(ConsensusMessageCodec.Encode(compact)));
        Assert.Equal(compact.TransactionIds, decoded.TransactionIds);
        Assert.Equal(compact.Proposal.BlockHash, decoded.Header.ComputeHash(ledger.Suite));

        var short1 = compact with { TransactionIds = compact.TransactionIds.Take(3).ToList() };
        Assert.Throws<DecodingException>(() => ConsensusMessageCodec.Decode(ConsensusMessageCodec.Encode(short1)));

        var request = new ProposalRequest(7, 2, compact.Proposal.BlockHash);
        var encoded = ConsensusMessageCodec.Encode(request);
        Assert.Equal(ConsensusMessageCodec.ProposalRequestBytes, encoded.Length);
        Assert.Equal(request, ConsensusMessageCodec.Decode(encoded));
    }

    [Fact]
    public void CompactProposal_RebuildsFromHeldTransactions_OrCountsTheMissing()
    {
        using var ledger = new TestLedger();
        var transactions = ledger.Anchors(4);
        var (compact, _) = Compact(ledger, transactions);
        var held = transactions.ToDictionary(t => t.ComputeId(ledger.Suite));

        var rebuilt = PeerProtocol.RebuildProposal(compact, id => held.GetValueOrDefault(id), ledger.Suite);
        Assert.Null(rebuilt.Invalid);
        Assert.NotNull(rebuilt.Block);
        Assert.Equal(transactions, rebuilt.Block.Transactions);

        held.Remove(transactions[2].ComputeId(ledger.Suite));
        var partial = PeerProtocol.RebuildProposal(compact, id => held.GetValueOrDefault(id), ledger.Suite);
        Assert.Null(partial.Block);
        Assert.Null(partial.Invalid);
        Assert.Equal(1, partial.Missing);
    }

    [Fact]
    public void CompactProposal_ThatLiesAboutItsIdsOrHash_IsInvalid()
    {
        using var ledger = new TestLedger();
        var transactions = ledger.Anchors(4);
        var (compact, _) = Compact(ledger, transactions);
        var held = ledger.Anchors(6).Concat(transactions).ToDictionary(t => t.ComputeId(ledger.Suite));

        // Ids of other transactions the receiver holds (the same count): the rebuilt body misses the header's root.
        var other = ledger.Anchors(4, firstNonce: 50);
        foreach (var t in other)
        {
            held[t.ComputeId(ledger.Suite)] = t;
        }

        var lying = compact with { TransactionIds = other.Select(t => t.ComputeId(ledger.Suite)).ToList() };
        var result = PeerProtocol.RebuildProposal(lying, id => held.GetValueOrDefault(id), ledger.Suite);
        Assert.Null(result.Block);
        Assert.Contains("transactions root", result.Invalid, StringComparison.Ordinal);

        // The same ids in another order: also not the header's root.
        var reordered = compact with { TransactionIds = compact.TransactionIds.Reverse().ToList() };
        Assert.NotNull(PeerProtocol.RebuildProposal(reordered, id => held.GetValueOrDefault(id), ledger.Suite).Invalid);

        // A header that does not hash to the signed block hash.
        var otherHash = compact with { Proposal = compact.Proposal with { BlockHash = TestNode.RandomCommitment() } };
        Assert.Contains("hash", PeerProtocol.RebuildProposal(otherHash, id => held.GetValueOrDefault(id), ledger.Suite).Invalid, StringComparison.Ordinal);
    }

    [Fact]
    public void Pacer_WaitsAfterACommit_OnlyWhileTheMempoolIsSmall()
    {
        var clock = new SteppedClock();
        var pacer = new BlockPacer(clock, TimeSpan.FromMilliseconds(20), fullBlockTransactions: 100);

        Assert.Equal(TimeSpan.Zero, pacer.DelayBeforeBuild(1)); // no commit yet: nothing to pace against

        pacer.Committed();
        Assert.Equal(TimeSpan.FromMilliseconds(20), pacer.DelayBeforeBuild(1));
        clock.Advance(TimeSpan.FromMilliseconds(15));
        Assert.Equal(TimeSpan.FromMilliseconds(5), pacer.DelayBeforeBuild(99));
        Assert.Equal(TimeSpan.Zero, pacer.DelayBeforeBuild(100));
        clock.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(TimeSpan.Zero, pacer.DelayBeforeBuild(1));

        var off = new BlockPacer(clock, TimeSpan.Zero);
        off.Committed();
        Assert.Equal(TimeSpan.Zero, off.DelayBeforeBuild(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlockPacer(clock, TimeSpan.FromSeconds(2)));
    }

    private static (CompactProposalMessage Compact, ProposalMessage Full) Compact(TestLedger ledger, List<Transaction> transactions)
    {
        var proposal = ledger.Propose(transactions);
        Assert.Empty(proposal.Rejected);
        var hash = proposal.Header.ComputeHash(ledger.Suite);
        var signed = new SignedProposal(ledger.KeyId, proposal.Header.Height, 0, hash, -1, ledger.Key.Sign(Proposal.EncodeSigningBytes(TestLedger.ChainId, proposal.Header.Height, 0, hash, -1)));
        var ids = proposal.Transactions.Select(t => t.ComputeId(ledger.Suite)).ToList();
        return (new CompactProposalMessage(signed, proposal.Header, ids), new ProposalMessage(signed, proposal.Header, proposal.Transactions));
    }

    private static bool Record(List<(Hash Peer, IReadOnlyList<Transaction> Batch)> sent, Hash peer, byte[] payload)
    {
        lock (sent)
        {
            sent.Add((peer, PeerProtocol.DecodeTransactionBatch(payload)));
        }

        return true;
    }

    private static byte[] Batch(int count, byte[][] items)
    {
        var writer = new CanonicalWriter();
        writer.WriteByte(1);
        writer.WriteCount(count);
        foreach (var item in items)
        {
            writer.WriteBytes(item);
        }

        return writer.ToArray();
    }
}
