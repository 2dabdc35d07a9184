namespace MedLedger.Network.Tests;

/// <summary>
/// Behaviour that depends on time, driven by a <see cref="ManualTimeProvider"/> so that token buckets do not refill and
/// bans and idle timeouts expire only when the test moves the clock.
/// </summary>
public sealed class TimeDrivenTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    // Proves the inbound rate limit: with a burst of 5 messages and the clock stopped, B delivers exactly A's first 5
    // messages; each further one is dropped with a 25-point penalty, the fourth reaches the threshold of 100 and bans A,
    // which is disconnected and then refused; once the clock passes the ban, A reconnects by itself.
    [Fact]
    public async Task InboundRateLimit_DropsPenalisesAndBans_UntilTheBanExpires()
    {
        using var keyA = TestNode.NewKey();
        using var keyB = TestNode.NewKey();
        var consortium = TestNode.Consortium(keyA, keyB);
        var clock = new ManualTimeProvider(Start);
        var defaults = TestChain.Options();
        var limited = new NetworkOptions
        {
            ChainId = defaults.ChainId,
            GenesisHash = defaults.GenesisHash,
            ListenEndpoint = defaults.ListenEndpoint,
            MessageTypes = defaults.MessageTypes,
            InboundMessageBurst = 5,
            InboundMessagesPerSecond = 1,
            RateLimitPenalty = 25,
            BanDuration = TimeSpan.FromMinutes(5),
            HandshakeTimeout = TimeSpan.FromHours(1),
        };
        await using var b = TestNode.Start(consortium, limited, keyB, clock);
        await using var a = TestNode.Start(consortium, TestChain.Options([b.Address]), keyA);
        await TestChain.Eventually(() => a.IsConnectedTo(b) && b.IsConnectedTo(a), "A and B are connected");

        // 1. A sends ten messages at once.
        for (var i = 0; i < 10; i++)
        {
            a.Network.Send(b.KeyId, TestChain.DirectType, new[] { (byte)i });
        }

        // 2. B delivers the first five, drops four with penalties, bans A on the fourth and disconnects it.
        await TestChain.Eventually(() => b.Network.GetStatus().Bans.Any(ban => ban.KeyId == a.KeyId), "B banned A");
        await TestChain.Eventually(() => !b.IsConnectedTo(a), "B dropped A");
        Assert.Equal([0, 1, 2, 3, 4], b.Handler.Messages.Select(m => m.Payload.Span[0]));
        Assert.Equal(4, b.Network.GetStatus().Counters.RateLimitedMessages);
        Assert.Equal(Start + TimeSpan.FromMinutes(5), Assert.Single(b.Network.GetStatus().Bans).Until);

        // 3. While banned, A's redials are refused at TLS.
        await TestChain.Eventually(() => b.Logger.Contains($"its key {a.KeyId.ToShortString()} is banned until"), "B refused A's redial");
        Assert.False(b.IsConnectedTo(a));

        // 4. After the ban, A gets back in and is heard again.
        clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        Assert.Empty(b.Network.GetStatus().Bans);
        await TestChain.Eventually(() => b.IsConnectedTo(a) && a.IsConnectedTo(b), "A reconnected after the ban");
        Assert.True(a.Network.Send(b.KeyId, TestChain.DirectType, new byte[] { 99 }));
        await TestChain.Eventually(() => b.Handler.Count(TestChain.DirectType, [99]) == 1, "B delivered A's message after the ban");
    }

    // Proves the keep-alive: a quiet connection gets a ping after the ping interval, and a peer that sends nothing for
    // the idle timeout is disconnected with the reason logged (and without a penalty).
    [Fact]
    public async Task QuietConnection_IsPinged_AndSilentPeerIsDroppedAfterTheIdleTimeout()
    {
        using var keyA = TestNode.NewKey();
        using var keyRaw = TestNode.NewKey();
        var clock = new ManualTimeProvider(Start);
        var defaults = TestChain.Options();
        var options = new NetworkOptions
        {
            ChainId = defaults.ChainId,
            GenesisHash = defaults.GenesisHash,
            ListenEndpoint = defaults.ListenEndpoint,
            MessageTypes = defaults.MessageTypes,
            PingInterval = TimeSpan.FromSeconds(15),
            IdleTimeout = TimeSpan.FromSeconds(60),
            HandshakeTimeout = TimeSpan.FromHours(1),
        };
        await using var a = TestNode.Start(TestNode.Consortium(keyA, keyRaw), options, keyA, clock);
        await using var raw = await RawPeer.ConnectAndGreetAsync(a.Network.LocalEndpoint!, keyRaw);
        await TestChain.Eventually(() => a.Network.IsConnected(raw.KeyId), "the raw peer is connected");

        // 1. After one ping interval of quiet, A pings.
        var ping = Task.Run(raw.ReadFrameAsync);
        await AdvanceUntil(clock, TimeSpan.FromSeconds(15), () => ping.IsCompleted);
        Assert.Equal(TransportMessageTypes.Ping, (await ping)?.Type);
        Assert.True(a.Network.IsConnected(raw.KeyId));

        // 2. The raw peer never says anything: after the idle timeout A drops it.
        await AdvanceUntil(clock, TimeSpan.FromSeconds(15), () => !a.Network.IsConnected(raw.KeyId));
        Assert.True(await raw.WaitForCloseAsync());
        await TestChain.Eventually(() => a.Logger.Contains($"Disconnected from peer {raw.KeyId}: nothing received for 00:01:00"), "A logged the idle timeout");
        Assert.Equal(0, a.Network.GetStatus().Counters.ProtocolViolations);
        Assert.True(clock.GetUtcNow() - Start >= TimeSpan.FromSeconds(60));
    }

    /// <summary>Moves the clock by <paramref name="step"/> at a time, giving the network a moment between steps, until the condition holds.</summary>
    private static async Task AdvanceUntil(ManualTimeProvider clock, TimeSpan step, Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TestChain.Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out advancing the clock");
            clock.Advance(step);
            await Task.Delay(20);
        }
    }
}
