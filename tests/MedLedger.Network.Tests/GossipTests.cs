using System.Text;

namespace MedLedger.Network.Tests;

/// <summary>Gossip types are de-duplicated by payload hash: each node delivers a payload once and relays it once.</summary>
public sealed class GossipTests
{
    // Proves gossip crosses a line A — B — C: A's message reaches B and C once each (B relays it to C, C has nobody to
    // relay to), and A, the origin, never gets it back.
    [Fact]
    public async Task LineOfThree_DeliversOncePerNode()
    {
        await using var line = await Line.StartAsync();
        var payload = Encoding.UTF8.GetBytes("transaction 1");

        Assert.Equal(1, line.A.Network.Broadcast(TestChain.GossipType, payload));

        await TestChain.Eventually(() => line.C.Handler.Count(TestChain.GossipType, payload) == 1, "C received the message");
        // A marker sent the same way after it: the line keeps order, so once C has the marker any echo would have arrived.
        line.A.Network.Broadcast(TestChain.GossipType, "marker"u8.ToArray());
        await TestChain.Eventually(() => line.C.Handler.Count(TestChain.GossipType, "marker"u8) == 1, "C received the marker");
        Assert.Equal(1, line.B.Handler.Count(TestChain.GossipType, payload));
        Assert.Equal(1, line.C.Handler.Count(TestChain.GossipType, payload));
        Assert.Equal(0, line.A.Handler.Count(TestChain.GossipType));
        Assert.Equal(line.B.KeyId, line.C.Handler.Messages[0].Peer);
        Assert.Equal(2, line.B.Network.GetStatus().Counters.GossipRelayed);
    }

    // Proves a payload reaching a node from two peers is delivered and relayed once: A and C both originate the same
    // payload; B delivers it once, relays it once (to whichever end it did not come from), and that end drops it as a duplicate.
    [Fact]
    public async Task SamePayloadFromTwoPeers_IsDeliveredOnce_AndRelayedOnce()
    {
        await using var line = await Line.StartAsync();
        var payload = Encoding.UTF8.GetBytes("vote 7");

        line.A.Network.Broadcast(TestChain.GossipType, payload);
        line.C.Network.Broadcast(TestChain.GossipType, payload);

        // Three frames travel: A→B, C→B and B's one relay; two of them arrive somewhere as duplicates.
        await TestChain.Eventually(() => line.Nodes.Sum(n => n.Network.GetStatus().Counters.GossipDuplicates) == 2, "both duplicates were dropped");
        Assert.Equal(1, line.B.Handler.Count(TestChain.GossipType, payload));
        Assert.Equal(0, line.A.Handler.Count(TestChain.GossipType) + line.C.Handler.Count(TestChain.GossipType));
        Assert.Equal(1, line.B.Network.GetStatus().Counters.GossipRelayed);
        Assert.Equal(0, line.A.Network.Broadcast(TestChain.GossipType, payload));
    }

    // Proves de-duplication in a full mesh of four: one broadcast makes 3 + 3 × 2 = 9 frames (the origin's and one
    // relay per receiver to its two other peers); every other node delivers it exactly once and 6 copies are dropped.
    [Fact]
    public async Task FullMeshOfFour_DeliversOncePerNode()
    {
        var keys = Enumerable.Range(0, 4).Select(_ => TestNode.NewKey()).ToArray();
        var consortium = TestNode.Consortium(keys);
        var nodes = new List<TestNode>();
        try
        {
            foreach (var key in keys)
            {
                nodes.Add(TestNode.Start(consortium, TestChain.Options(nodes.Select(n => n.Address)), key));
            }

            await TestChain.Eventually(() => ConnectionTests.OneConnectionPerPair(nodes), "the mesh is complete");
            var payload = Encoding.UTF8.GetBytes("block 42");

            Assert.Equal(3, nodes[0].Network.Broadcast(TestChain.GossipType, payload));

            await TestChain.Eventually(() => nodes.Sum(n => n.Network.GetStatus().Counters.GossipDuplicates) == 6, "all six duplicates were dropped");
            Assert.Equal(0, nodes[0].Handler.Count(TestChain.GossipType));
            Assert.All(nodes.Skip(1), n => Assert.Equal(1, n.Handler.Count(TestChain.GossipType, payload)));
            Assert.Equal(6, nodes.Sum(n => n.Network.GetStatus().Counters.GossipRelayed));
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

    // Proves the handler's verdict governs relaying: a message B ignores is not relayed to C (a later accepted message
    // is, and the line keeps order, so the ignored one would have arrived first), and a rejected one costs A a penalty.
    [Fact]
    public async Task IgnoredOrRejectedMessages_AreNotRelayed_AndRejectionPenalises()
    {
        await using var line = await Line.StartAsync();
        line.B.Handler.Verdict = m => m.Payload.Span[0] switch
        {
            (byte)'i' => MessageVerdict.Ignore,
            (byte)'r' => MessageVerdict.Reject,
            _ => MessageVerdict.Accept,
        };

        line.A.Network.Broadcast(TestChain.GossipType, "ignored"u8.ToArray());
        line.A.Network.Broadcast(TestChain.GossipType, "rejected"u8.ToArray());
        line.A.Network.Broadcast(TestChain.GossipType, "accepted"u8.ToArray());

        await TestChain.Eventually(() => line.C.Handler.Count(TestChain.GossipType, "accepted"u8) == 1, "C received the accepted message");
        Assert.Equal(1, line.C.Handler.Count(TestChain.GossipType));
        Assert.Equal(3, line.B.Handler.Count(TestChain.GossipType));
        var aAtB = Assert.Single(line.B.Network.GetStatus().Peers, p => p.KeyId == line.A.KeyId);
        Assert.Equal(20, aAtB.PenaltyScore);
        Assert.True(line.B.Logger.Contains($"Peer {line.A.KeyId} sent an invalid gossip message; penalty 20"));
    }

    /// <summary>Three nodes in a line: B listens, A and C dial B; A and C do not know each other.</summary>
    private sealed class Line : IAsyncDisposable
    {
        private readonly MedLedger.Crypto.ISigningKey[] _keys;

        private Line(MedLedger.Crypto.ISigningKey[] keys, TestNode a, TestNode b, TestNode c)
        {
            _keys = keys;
            A = a;
            B = b;
            C = c;
        }

        public TestNode A { get; }

        public TestNode B { get; }

        public TestNode C { get; }

        public IReadOnlyList<TestNode> Nodes => [A, B, C];

        public static async Task<Line> StartAsync()
        {
            var keys = new[] { TestNode.NewKey(), TestNode.NewKey(), TestNode.NewKey() };
            var consortium = TestNode.Consortium(keys);
            var b = TestNode.Start(consortium, TestChain.Options(), keys[1]);
            var a = TestNode.Start(consortium, TestChain.Options([b.Address]), keys[0]);
            var c = TestNode.Start(consortium, TestChain.Options([b.Address]), keys[2]);
            await TestChain.Eventually(() => a.IsConnectedTo(b) && b.IsConnectedTo(a) && c.IsConnectedTo(b) && b.IsConnectedTo(c), "the line is connected");
            return new Line(keys, a, b, c);
        }

        public async ValueTask DisposeAsync()
        {
            await A.DisposeAsync();
            await B.DisposeAsync();
            await C.DisposeAsync();
            foreach (var key in _keys)
            {
                key.Dispose();
            }
        }
    }
}
