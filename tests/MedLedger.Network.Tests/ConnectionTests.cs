using System.Text;

namespace MedLedger.Network.Tests;

/// <summary>Nodes on real loopback sockets find each other, authenticate, and exchange messages.</summary>
public sealed class ConnectionTests
{
    // Proves the basic path: B dials A (its seed), both end up connected to each other's key id, and a direct message
    // sent each way arrives once with the sender's key id, type and payload intact.
    [Fact]
    public async Task TwoNodes_Connect_AndExchangeDirectMessages()
    {
        using var keyA = TestNode.NewKey();
        using var keyB = TestNode.NewKey();
        var consortium = TestNode.Consortium(keyA, keyB);
        await using var a = TestNode.Start(consortium, TestChain.Options(), keyA);
        await using var b = TestNode.Start(consortium, TestChain.Options([a.Address]), keyB);

        // 1. Both sides see the connection, with the other's key id.
        await TestChain.Eventually(() => a.IsConnectedTo(b) && b.IsConnectedTo(a), "A and B are connected");
        Assert.Equal([b.KeyId], a.Network.ConnectedPeers);
        Assert.Equal([a.KeyId], b.Network.ConnectedPeers);

        // 2. A message each way arrives with sender, type and payload.
        Assert.True(a.Network.Send(b.KeyId, TestChain.DirectType, Encoding.UTF8.GetBytes("from A")));
        Assert.True(b.Network.Send(a.KeyId, TestChain.DirectType, Encoding.UTF8.GetBytes("from B")));
        await TestChain.Eventually(() => a.Handler.Count(TestChain.DirectType) == 1 && b.Handler.Count(TestChain.DirectType) == 1, "both messages arrived");
        var atB = Assert.Single(b.Handler.Messages);
        Assert.Equal(a.KeyId, atB.Peer);
        Assert.Equal("from A", Encoding.UTF8.GetString(atB.Payload.Span));
        var atA = Assert.Single(a.Handler.Messages);
        Assert.Equal(b.KeyId, atA.Peer);
        Assert.Equal("from B", Encoding.UTF8.GetString(atA.Payload.Span));

        // 3. The handler heard of the connection once on each side.
        Assert.Equal([(b.KeyId, true)], a.Handler.Events);
        Assert.Equal([(a.KeyId, true)], b.Handler.Events);
    }

    // Proves a four-node consortium where every node lists every address (its own included) settles into exactly one
    // connection per pair (self-dials and duplicate connections are dropped), and a broadcast reaches all three others.
    [Fact]
    public async Task FourNodes_AllSeedingEachOther_FormOneConnectionPerPair_AndBroadcastReachesAll()
    {
        var keys = Enumerable.Range(0, 4).Select(_ => TestNode.NewKey()).ToArray();
        var consortium = TestNode.Consortium(keys);
        var nodes = keys.Select(k => TestNode.Start(consortium, TestChain.Options(), k)).ToArray();
        try
        {
            var addresses = nodes.Select(n => n.Address).ToArray();
            foreach (var node in nodes)
            {
                foreach (var address in addresses)
                {
                    node.Network.AddSeed(address);
                }
            }

            // 1. Every node connects to the three others, and each pair settles on one connection: dialled by one side,
            //    accepted by the other. (Until then a duplicate may still be replaced, dropping what was queued on it.)
            await TestChain.Eventually(() => OneConnectionPerPair(nodes), "every pair of nodes shares exactly one connection");

            // 2. Each node gave up dialling itself.
            foreach (var node in nodes)
            {
                await TestChain.Eventually(() => node.Logger.Contains("is this node itself; not dialling it again"), "each node recognised its own address");
            }

            // 3. Each node broadcasts once; every other node receives each broadcast exactly once.
            for (var i = 0; i < nodes.Length; i++)
            {
                Assert.Equal(3, nodes[i].Network.Broadcast(TestChain.DirectType, new[] { (byte)i }));
            }

            await TestChain.Eventually(() => nodes.All(n => n.Handler.Count(TestChain.DirectType) == 3), "every node received three broadcasts");
            for (var i = 0; i < nodes.Length; i++)
            {
                var senders = nodes[i].Handler.Messages.Select(m => m.Peer).OrderBy(p => p).ToArray();
                Assert.Equal(nodes.Where((_, j) => j != i).Select(n => n.KeyId).OrderBy(p => p).ToArray(), senders);
                Assert.Equal(Enumerable.Range(0, 4).Where(j => j != i).Select(j => (byte)j), nodes[i].Handler.Messages.Select(m => m.Payload.Span[0]).Order());
            }

            // 4. Still one connection per pair (no duplicate survived), and the status reports traffic for each peer.
            foreach (var node in nodes)
            {
                var status = node.Network.GetStatus();
                Assert.Equal(3, status.Peers.Count);
                Assert.Equal(3, status.Peers.Select(p => p.KeyId).Distinct().Count());
                Assert.All(status.Peers, p => Assert.True(p.MessagesSent >= 1 && p.MessagesReceived >= 1));
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            foreach (var key in keys)
            {
                key.Dispose();
            }
        }
    }

    // Proves the duplicate rule: when two nodes dial each other, both keep the same single connection — the one dialled
    // by the smaller key id — and it carries messages both ways.
    [Fact]
    public async Task TwoNodesDiallingEachOther_KeepTheConnectionDialledByTheSmallerKeyId()
    {
        using var keyA = TestNode.NewKey();
        using var keyB = TestNode.NewKey();
        var consortium = TestNode.Consortium(keyA, keyB);
        await using var a = TestNode.Start(consortium, TestChain.Options(), keyA);
        await using var b = TestNode.Start(consortium, TestChain.Options([a.Address]), keyB);
        a.Network.AddSeed(b.Address);

        await TestChain.Eventually(() => OneConnectionPerPair([a, b]), "A and B settled on one connection");
        var (smaller, larger) = a.KeyId < b.KeyId ? (a, b) : (b, a);
        Assert.Equal(PeerDirection.Outbound, Assert.Single(smaller.Network.GetStatus().Peers).Direction);
        Assert.Equal(PeerDirection.Inbound, Assert.Single(larger.Network.GetStatus().Peers).Direction);
        Assert.True(a.Network.Send(b.KeyId, TestChain.DirectType, new byte[] { 1 }));
        Assert.True(b.Network.Send(a.KeyId, TestChain.DirectType, new byte[] { 2 }));
        await TestChain.Eventually(() => a.Handler.Count(TestChain.DirectType) == 1 && b.Handler.Count(TestChain.DirectType) == 1, "both messages arrived");

        // However connections came and went while the two settled, each handler heard alternating connected and
        // disconnected events about the other, starting and ending with "connected" (never "connected" twice in a row).
        foreach (var (node, other) in new[] { (a, b), (b, a) })
        {
            var events = node.Handler.Events;
            Assert.All(events, e => Assert.Equal(other.KeyId, e.Peer));
            Assert.True(events[0].Connected && events[^1].Connected);
            Assert.All(events.Zip(events.Skip(1)), pair => Assert.NotEqual(pair.First.Connected, pair.Second.Connected));
        }
    }

    // Proves the node's own controls: Disconnect closes a peer with the given reason (and a seed is redialled), and
    // Penalize with enough points bans the peer, which is then refused.
    [Fact]
    public async Task DisconnectAndPenalize_AreAppliedByTheNode()
    {
        using var keyA = TestNode.NewKey();
        using var keyB = TestNode.NewKey();
        var consortium = TestNode.Consortium(keyA, keyB);
        await using var a = TestNode.Start(consortium, TestChain.Options(), keyA);
        await using var b = TestNode.Start(consortium, TestChain.Options([a.Address]), keyB);
        await TestChain.Eventually(() => a.IsConnectedTo(b) && b.IsConnectedTo(a), "A and B are connected");

        // 1. Disconnect: A drops B with the reason; B, which has A as a seed, comes back.
        a.Network.Disconnect(b.KeyId, "maintenance");
        await TestChain.Eventually(() => a.Logger.Contains($"Disconnected from peer {b.KeyId}: maintenance"), "A logged the reason");
        await TestChain.Eventually(() => a.Handler.Events.Count(e => e == (b.KeyId, true)) == 2 && a.IsConnectedTo(b), "B reconnected");

        // 2. Penalize: 60 points leave B connected; 40 more reach the threshold and ban it.
        a.Network.Penalize(b.KeyId, 60, "sent an invalid block");
        Assert.True(a.IsConnectedTo(b));
        Assert.Equal(60, Assert.Single(a.Network.GetStatus().Peers).PenaltyScore);
        a.Network.Penalize(b.KeyId, 40, "sent another invalid block");
        await TestChain.Eventually(() => !a.IsConnectedTo(b), "A dropped the banned B");
        Assert.Equal(b.KeyId, Assert.Single(a.Network.GetStatus().Bans).KeyId);
        Assert.True(a.Logger.Contains($"Banned peer {b.KeyId}"));
        await TestChain.Eventually(() => a.Logger.Contains($"its key {b.KeyId.ToShortString()} is banned until"), "A refused B's redial");
    }

    // Proves MaxPeers: a node limited to one peer keeps the first that connects and turns the second away with the reason logged.
    [Fact]
    public async Task NodeAtMaxPeers_TurnsFurtherPeersAway()
    {
        using var keyA = TestNode.NewKey();
        using var keyB = TestNode.NewKey();
        using var keyC = TestNode.NewKey();
        var consortium = TestNode.Consortium(keyA, keyB, keyC);
        var defaults = TestChain.Options();
        await using var a = TestNode.Start(consortium, new NetworkOptions
        {
            ChainId = defaults.ChainId,
            GenesisHash = defaults.GenesisHash,
            ListenEndpoint = defaults.ListenEndpoint,
            MessageTypes = defaults.MessageTypes,
            MaxPeers = 1,
        }, keyA);
        await using var b = TestNode.Start(consortium, TestChain.Options([a.Address]), keyB);
        await TestChain.Eventually(() => a.IsConnectedTo(b), "B connected to A");
        await using var c = TestNode.Start(consortium, TestChain.Options([a.Address]), keyC);

        await TestChain.Eventually(() => a.Logger.Contains($"(peer {c.KeyId}): the node already has 1 peers"), "A turned C away");
        Assert.Equal([b.KeyId], a.Network.ConnectedPeers);
    }

    /// <summary>
    /// True when no connection is being opened anywhere, every node has a peer in each other node and, for each pair,
    /// one side's connection is outbound and the other's inbound. From then on nothing changes until a connection fails.
    /// </summary>
    internal static bool OneConnectionPerPair(IReadOnlyList<TestNode> nodes)
    {
        var full = nodes.Select(n => n.Network.GetStatus()).ToArray();
        if (full.Any(s => s.ConnectionsOpening != 0))
        {
            return false;
        }

        var statuses = full.Select(s => s.Peers.ToDictionary(p => p.KeyId)).ToArray();
        for (var i = 0; i < nodes.Count; i++)
        {
            if (statuses[i].Count != nodes.Count - 1)
            {
                return false;
            }

            for (var j = 0; j < nodes.Count; j++)
            {
                if (i != j && (!statuses[i].TryGetValue(nodes[j].KeyId, out var mine) || !statuses[j].TryGetValue(nodes[i].KeyId, out var theirs) || mine.Direction == theirs.Direction))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
