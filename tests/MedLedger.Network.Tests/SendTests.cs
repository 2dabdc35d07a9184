namespace MedLedger.Network.Tests;

/// <summary>Sending: the bounded per-peer send queue, and what Send and Broadcast refuse.</summary>
public sealed class SendTests
{
    // Proves the overflow policy (docs/network.md, "Send queues"): a peer that stops reading fills its TCP buffers and
    // then its send queue; the Send that finds the queue full returns false, the peer is disconnected (not penalised),
    // the overflow is counted and logged, and the handler hears of the disconnection.
    [Fact]
    public async Task PeerThatStopsReading_OverflowsItsQueue_AndIsDisconnected()
    {
        using var keyA = TestNode.NewKey();
        using var keyRaw = TestNode.NewKey();
        var options = TestChain.Options();
        options = new NetworkOptions
        {
            ChainId = options.ChainId,
            GenesisHash = options.GenesisHash,
            ListenEndpoint = options.ListenEndpoint,
            MessageTypes = options.MessageTypes,
            SendQueueMessages = 8,
        };
        await using var a = TestNode.Start(TestNode.Consortium(keyA, keyRaw), options, keyA);
        await using var raw = await RawPeer.ConnectAndGreetAsync(a.Network.LocalEndpoint!, keyRaw);
        await TestChain.Eventually(() => a.Network.IsConnected(raw.KeyId), "the raw peer is connected");

        // 1. Send 1 MiB messages to a peer that reads nothing, until a Send fails (bounded, so a broken policy fails the test).
        var payload = new byte[1024 * 1024];
        var sent = 0;
        while (a.Network.Send(raw.KeyId, TestChain.BulkType, payload))
        {
            sent++;
            Assert.True(sent < 2_000, "the send queue never overflowed");
        }

        // 2. The peer is dropped for the overflow, without a penalty.
        await TestChain.Eventually(() => !a.Network.IsConnected(raw.KeyId), "the raw peer was disconnected");
        var status = a.Network.GetStatus();
        Assert.Equal(1, status.Counters.SendQueueOverflows);
        Assert.Equal(0, status.Counters.ProtocolViolations);
        Assert.Empty(status.Bans);
        Assert.True(a.Logger.Contains($"Send queue of peer {raw.KeyId} overflowed"));
        await TestChain.Eventually(() => a.Logger.Contains($"Disconnected from peer {raw.KeyId}: its send queue overflowed"), "the disconnection was logged with its reason");
        Assert.Contains((raw.KeyId, false), a.Handler.Events);
        Assert.False(a.Network.Send(raw.KeyId, TestChain.DirectType, new byte[1]));
    }

    // Proves Send and Broadcast refuse what the peer would treat as a violation: unregistered types, transport types,
    // and payloads over the type's limit (ArgumentException, nothing sent); Send to an unknown peer returns false.
    [Fact]
    public async Task SendAndBroadcast_RefuseUnregisteredTypesAndOversizedPayloads()
    {
        using var keyA = TestNode.NewKey();
        await using var a = TestNode.Start(TestNode.Consortium(keyA), TestChain.Options(), keyA);
        var stranger = MedLedger.Crypto.CryptoSuites.Standard.Hash("nobody"u8);

        Assert.Throws<ArgumentException>(() => a.Network.Send(stranger, 0xEE, new byte[1]));
        Assert.Throws<ArgumentException>(() => a.Network.Broadcast(TransportMessageTypes.Ping, ReadOnlyMemory<byte>.Empty));
        Assert.Throws<ArgumentException>(() => a.Network.Broadcast(TransportMessageTypes.Handshake, new byte[1]));
        Assert.Throws<ArgumentException>(() => a.Network.Broadcast(TestChain.DirectType, new byte[TestChain.DirectMaxPayload + 1]));
        Assert.False(a.Network.Send(stranger, TestChain.DirectType, new byte[1]));
        Assert.Equal(0, a.Network.Broadcast(TestChain.DirectType, new byte[1]));
    }
}
