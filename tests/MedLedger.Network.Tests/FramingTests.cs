using System.Buffers.Binary;

namespace MedLedger.Network.Tests;

/// <summary>
/// Frames that break the rules disconnect the sender and cost it a penalty; repeated violations ban its key. Each test
/// drives a <see cref="RawPeer"/> (an authorised key speaking raw bytes) against a real node.
/// </summary>
public sealed class FramingTests
{
    // Proves the harness: a well-formed frame from the raw peer is delivered with its payload, and the peer stays connected.
    [Fact]
    public async Task WellFormedFrame_IsDelivered()
    {
        await using var setup = await Setup.StartAsync();
        await setup.Raw.SendRawAsync(FrameCodec.Encode(TestChain.DirectType, [1, 2, 3]));

        await TestChain.Eventually(() => setup.Node.Handler.Count(TestChain.DirectType) == 1, "the frame was delivered");
        Assert.Equal([1, 2, 3], setup.Node.Handler.Messages[0].Payload.ToArray());
        Assert.True(setup.Node.Network.IsConnected(setup.Raw.KeyId));
    }

    // Proves a frame longer than MaxFrameBytes disconnects the sender as soon as its header is read (the payload is
    // never sent nor allocated), with a logged violation and a penalty.
    [Fact]
    public async Task OversizedFrame_DisconnectsSender_WithPenalty()
    {
        await using var setup = await Setup.StartAsync();
        var header = new byte[FrameCodec.HeaderBytes];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)NetworkLimits.DefaultMaxFrameBytes + 1);
        header[4] = TestChain.BulkType;

        await setup.Raw.SendRawAsync(header);

        await setup.AssertViolationAsync($"a frame of {NetworkLimits.DefaultMaxFrameBytes + 1} bytes over the limit of {NetworkLimits.DefaultMaxFrameBytes}");
    }

    // Proves a frame within MaxFrameBytes but over its own type's payload limit also disconnects the sender.
    [Fact]
    public async Task PayloadOverItsTypeLimit_DisconnectsSender()
    {
        await using var setup = await Setup.StartAsync();

        await setup.Raw.SendRawAsync(FrameCodec.Encode(TestChain.DirectType, new byte[TestChain.DirectMaxPayload + 1]));

        await setup.AssertViolationAsync($"a direct payload of {TestChain.DirectMaxPayload + 1} bytes over its limit of {TestChain.DirectMaxPayload}");
    }

    // Proves a frame of an unregistered type disconnects the sender.
    [Fact]
    public async Task UnknownType_DisconnectsSender()
    {
        await using var setup = await Setup.StartAsync();

        await setup.Raw.SendRawAsync(FrameCodec.Encode(0xEE, [1, 2, 3]));

        await setup.AssertViolationAsync("a frame of unknown type 238");
    }

    // Proves a handshake frame after the handshake counts as an unknown type: the handshake happens once.
    [Fact]
    public async Task SecondHandshake_DisconnectsSender()
    {
        await using var setup = await Setup.StartAsync();

        await setup.Raw.SendHandshakeAsync(new HandshakeMessage(NetworkLimits.ProtocolVersion, TestChain.ChainId, TestChain.Genesis, setup.Raw.KeyId, "raw:1"));

        await setup.AssertViolationAsync($"a frame of unknown type {TransportMessageTypes.Handshake}");
    }

    // Proves a zero length (a frame without even a type byte) disconnects the sender.
    [Fact]
    public async Task EmptyFrame_DisconnectsSender()
    {
        await using var setup = await Setup.StartAsync();

        await setup.Raw.SendRawAsync([0, 0, 0, 0, 0]);

        await setup.AssertViolationAsync("an empty frame (length 0)");
    }

    // Proves random bytes in place of the handshake are refused as a violation (seeded: the seed is in the message).
    [Fact]
    public async Task GarbageInsteadOfHandshake_IsAViolation()
    {
        const int seed = 20_260_611;
        var garbage = new byte[64];
        new Random(seed).NextBytes(garbage);
        garbage[4] = 0x99; // never the handshake type, whatever the seed gives
        await using var setup = await Setup.StartAsync(greet: false);

        await setup.Raw.SendRawAsync(garbage);

        Assert.True(await setup.Raw.WaitForCloseAsync(), $"seed {seed}");
        await TestChain.Eventually(() => setup.Node.Logger.Contains("is not a handshake"), $"the node logged the bad first frame (seed {seed})");
        Assert.Equal(1, setup.Node.Network.GetStatus().Counters.ProtocolViolations);
        Assert.Empty(setup.Node.Network.ConnectedPeers);
    }

    // Proves a frame of the handshake type whose payload does not decode is refused as a malformed handshake.
    [Fact]
    public async Task MalformedHandshakePayload_IsAViolation()
    {
        await using var setup = await Setup.StartAsync(greet: false);
        var payload = new HandshakeMessage(NetworkLimits.ProtocolVersion, TestChain.ChainId, TestChain.Genesis, setup.Raw.KeyId, "raw:1").Encode();

        await setup.Raw.SendRawAsync(FrameCodec.Encode(TransportMessageTypes.Handshake, payload.AsSpan(0, payload.Length - 3).ToArray()));

        Assert.True(await setup.Raw.WaitForCloseAsync());
        await TestChain.Eventually(() => setup.Node.Logger.Contains("malformed handshake"), "the node logged the malformed handshake");
        Assert.Equal(1, setup.Node.Network.GetStatus().Counters.ProtocolViolations);
    }

    // Proves repeated violations ban the key: two violations reach the ban threshold (2 × 50 = 100), the ban is in the
    // status, and the next connection from that key is refused at TLS with the ban in the log.
    [Fact]
    public async Task RepeatedViolations_BanTheKey()
    {
        await using var setup = await Setup.StartAsync();

        // 1. First violation: disconnected, not yet banned.
        await setup.Raw.SendRawAsync(FrameCodec.Encode(0xEE, []));
        Assert.True(await setup.Raw.WaitForCloseAsync());
        await TestChain.Eventually(() => !setup.Node.Network.IsConnected(setup.Raw.KeyId), "the node dropped the raw peer");
        Assert.Empty(setup.Node.Network.GetStatus().Bans);

        // 2. Second violation from a new connection with the same key: banned.
        await using (var again = await RawPeer.ConnectAndGreetAsync(setup.Node.Network.LocalEndpoint!, setup.Raw.Key))
        {
            await again.SendRawAsync([0, 0, 0, 0, 0]);
            Assert.True(await again.WaitForCloseAsync());
        }

        await TestChain.Eventually(() => setup.Node.Network.GetStatus().Bans.Any(b => b.KeyId == setup.Raw.KeyId), "the key is banned");
        Assert.True(setup.Node.Logger.Contains($"Banned peer {setup.Raw.KeyId}"));

        // 3. A third connection is refused during TLS.
        var third = await Record.ExceptionAsync(async () =>
        {
            await using var refused = await RawPeer.ConnectAndGreetAsync(setup.Node.Network.LocalEndpoint!, setup.Raw.Key);
        });
        Assert.NotNull(third);
        await TestChain.Eventually(() => setup.Node.Logger.Contains($"its key {setup.Raw.KeyId.ToShortString()} is banned until"), "the node refused the banned key");
    }

    /// <summary>A node and a raw peer with an authorised key, connected (and greeted unless asked not to).</summary>
    private sealed class Setup : IAsyncDisposable
    {
        private readonly MedLedger.Crypto.ISigningKey _nodeKey;
        private readonly MedLedger.Crypto.ISigningKey _rawKey;

        private Setup(MedLedger.Crypto.ISigningKey nodeKey, MedLedger.Crypto.ISigningKey rawKey, TestNode node, RawPeer raw)
        {
            _nodeKey = nodeKey;
            _rawKey = rawKey;
            Node = node;
            Raw = raw;
        }

        public TestNode Node { get; }

        public RawPeer Raw { get; }

        public static async Task<Setup> StartAsync(bool greet = true)
        {
            var nodeKey = TestNode.NewKey();
            var rawKey = TestNode.NewKey();
            var node = TestNode.Start(TestNode.Consortium(nodeKey, rawKey), TestChain.Options(), nodeKey);
            var raw = greet
                ? await RawPeer.ConnectAndGreetAsync(node.Network.LocalEndpoint!, rawKey)
                : await RawPeer.ConnectAsync(node.Network.LocalEndpoint!, rawKey);
            if (greet)
            {
                await TestChain.Eventually(() => node.Network.IsConnected(raw.KeyId), "the raw peer is connected");
            }

            return new Setup(nodeKey, rawKey, node, raw);
        }

        /// <summary>The raw peer gets disconnected, and the node logs the violation and counts it, with a penalty on the key.</summary>
        public async Task AssertViolationAsync(string what)
        {
            Assert.True(await Raw.WaitForCloseAsync(), "the node did not close the connection");
            await TestChain.Eventually(() => Node.Logger.Contains($"Protocol violation by peer {Raw.KeyId}: it sent {what}; penalty 50"), $"the node logged '{what}'");
            await TestChain.Eventually(() => !Node.Network.IsConnected(Raw.KeyId), "the node dropped the raw peer");
            Assert.Equal(1, Node.Network.GetStatus().Counters.ProtocolViolations);
            Assert.Contains((Raw.KeyId, false), Node.Handler.Events);
            Assert.Empty(Node.Handler.Messages);
        }

        public async ValueTask DisposeAsync()
        {
            await Raw.DisposeAsync();
            await Node.DisposeAsync();
            _nodeKey.Dispose();
            _rawKey.Dispose();
        }
    }
}
