using System.Net;
using System.Net.Sockets;

namespace MedLedger.Network.Tests;

/// <summary>Start, reconnect after a restart, and clean shutdown.</summary>
public sealed class LifecycleTests
{
    // Proves a seed is redialled after it restarts: B dials A; A stops (B hears of the disconnection) and starts again on
    // the same port with the same key; B reconnects by itself and messages flow again.
    [Fact]
    public async Task RemoteRestart_IsReconnected()
    {
        using var keyA = TestNode.NewKey();
        using var keyB = TestNode.NewKey();
        var consortium = TestNode.Consortium(keyA, keyB);
        var a = TestNode.Start(consortium, TestChain.Options(), keyA);
        var port = a.Network.LocalEndpoint!.Port;
        await using var b = TestNode.Start(consortium, TestChain.Options([a.Address]), keyB);
        try
        {
            // 1. Connected.
            await TestChain.Eventually(() => b.IsConnectedTo(a), "B connected to A");

            // 2. A stops: B sees the disconnection.
            await a.DisposeAsync();
            await TestChain.Eventually(() => b.Handler.Events.Contains((a.KeyId, false)), "B heard A disconnect");
            Assert.False(b.IsConnectedTo(a));

            // 3. A restarts on the same port; B redials it and the two exchange a message.
            var options = TestChain.Options();
            a = TestNode.Start(consortium, new NetworkOptions
            {
                ChainId = options.ChainId,
                GenesisHash = options.GenesisHash,
                ListenEndpoint = new IPEndPoint(IPAddress.Loopback, port),
                MessageTypes = options.MessageTypes,
            }, keyA);
            await TestChain.Eventually(() => b.IsConnectedTo(a) && a.IsConnectedTo(b), "B reconnected to the restarted A");
            Assert.True(b.Network.Send(a.KeyId, TestChain.DirectType, "again"u8.ToArray()));
            await TestChain.Eventually(() => a.Handler.Count(TestChain.DirectType, "again"u8) == 1, "the restarted A received B's message");
            Assert.Equal(2, b.Handler.Events.Count(e => e == (a.KeyId, true)));
        }
        finally
        {
            await a.DisposeAsync();
        }
    }

    // Proves DisposeAsync is clean: it returns, the peer hears of the disconnection, the handler of the disposed node
    // hears of it too, the listening port no longer accepts, and a second DisposeAsync is harmless.
    [Fact]
    public async Task DisposeAsync_ClosesEverything()
    {
        using var keyA = TestNode.NewKey();
        using var keyB = TestNode.NewKey();
        var consortium = TestNode.Consortium(keyA, keyB);
        var a = TestNode.Start(consortium, TestChain.Options(), keyA);
        await using var b = TestNode.Start(consortium, TestChain.Options([a.Address]), keyB);
        await TestChain.Eventually(() => b.IsConnectedTo(a) && a.IsConnectedTo(b), "A and B are connected");
        var endpoint = a.Network.LocalEndpoint!;

        await a.Network.DisposeAsync().AsTask().WaitAsync(TestChain.Patience);

        Assert.Contains((b.KeyId, false), a.Handler.Events);
        Assert.Empty(a.Network.ConnectedPeers);
        await TestChain.Eventually(() => b.Handler.Events.Contains((a.KeyId, false)), "B heard A disconnect");
        using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var refused = await Record.ExceptionAsync(() => probe.ConnectAsync(endpoint).WaitAsync(TestChain.Patience));
        Assert.IsType<SocketException>(refused);
        await a.Network.DisposeAsync();
        Assert.False(a.Network.Send(b.KeyId, TestChain.DirectType, new byte[1]));
    }

    // Proves the lifecycle is enforced: seeds cannot be added before Start, Start runs once, and a disposed network cannot start.
    [Fact]
    public async Task Lifecycle_IsEnforced()
    {
        using var key = TestNode.NewKey();
        var network = new PeerNetwork(TestChain.Options(), key, MedLedger.Crypto.CryptoSuites.Standard, TestNode.Consortium(key), new RecordingHandler(), TimeProvider.System, new CollectingLogger());

        Assert.Throws<InvalidOperationException>(() => network.AddSeed("127.0.0.1:1"));
        network.Start();
        Assert.Throws<InvalidOperationException>(() => network.Start());
        Assert.Throws<ArgumentException>(() => network.AddSeed("not an address"));
        await network.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => network.Start());
    }

    // Proves no task is left with an unobserved exception after connections are made, refused and torn down: the
    // runtime's UnobservedTaskException event does not fire for this assembly's tasks after a full garbage collection.
    [Fact]
    public async Task ChurnAndShutdown_LeaveNoUnobservedTaskExceptions()
    {
        var unobserved = new List<Exception>();
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            if (e.Exception.ToString().Contains("MedLedger.Network.PeerNetwork", StringComparison.Ordinal))
            {
                lock (unobserved)
                {
                    unobserved.Add(e.Exception);
                }
            }
        }

        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            using var keyA = TestNode.NewKey();
            using var keyB = TestNode.NewKey();
            using var keyOutsider = TestNode.NewKey();
            var consortium = TestNode.Consortium(keyA, keyB);
            var a = TestNode.Start(consortium, TestChain.Options(), keyA);
            var b = TestNode.Start(consortium, TestChain.Options([a.Address]), keyB);
            var outsider = TestNode.Start(TestNode.Consortium(keyA, keyOutsider), TestChain.Options([a.Address]), keyOutsider);
            await TestChain.Eventually(() => a.IsConnectedTo(b), "A and B are connected");
            await TestChain.Eventually(() => a.Logger.Contains("is not a consortium node key"), "A refused the outsider");
            b.Network.Broadcast(TestChain.GossipType, new byte[100]);
            await outsider.DisposeAsync();
            await a.DisposeAsync();
            await b.DisposeAsync();
        }
        finally
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }

        Assert.Empty(unobserved);
    }
}
