using System.Collections.Concurrent;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Network;
using MedLedger.Node.Consortium;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedLedger.Node.Tests;

/// <summary>
/// A peer the test controls: a real <see cref="PeerNetwork"/> (TLS 1.3 on loopback) with a key of the test's choice,
/// speaking the node's message types, recording connections and handing every message to <see cref="OnMessage"/>.
/// </summary>
internal sealed class FakePeer : IPeerMessageHandler, IAsyncDisposable
{
    private readonly PeerNetwork _network;

    public FakePeer(ISigningKey key, GenesisDocument genesis, IEnumerable<string> seeds)
    {
        var suite = CryptoSuites.Get(genesis.Suite);
        var keys = new ConsortiumKeySet([.. genesis.Validators.Select(v => (ReadOnlyMemory<byte>)Convert.FromHexString(v.PublicKey))]);
        _network = new PeerNetwork(
            new NetworkOptions
            {
                ChainId = genesis.ChainId,
                GenesisHash = genesis.ComputeHash(suite),
                Seeds = [.. seeds],
                MessageTypes = PeerProtocol.MessageTypes,
                MaxFrameBytes = PeerProtocol.MaxFrameBytes,
                SendQueueBytes = 4L * PeerProtocol.MaxFrameBytes,
                InboundByteBurst = 2.0 * (PeerProtocol.MaxFrameBytes + 4),
                ReconnectInitialDelay = TimeSpan.FromMilliseconds(200),
                ReconnectMaxDelay = TimeSpan.FromSeconds(1),
            },
            key,
            suite,
            keys,
            this,
            TimeProvider.System,
            NullLogger.Instance);
        _network.Start();
    }

    public ConcurrentQueue<Hash> Connected { get; } = new();

    public ConcurrentQueue<Hash> Disconnected { get; } = new();

    public Action<PeerMessage>? OnMessage { get; set; }

    public IReadOnlyList<Hash> Peers => _network.ConnectedPeers;

    public int Broadcast(byte type, byte[] payload) => _network.Broadcast(type, payload);

    public bool Send(Hash peer, byte type, byte[] payload) => _network.Send(peer, type, payload);

    public ValueTask<MessageVerdict> HandleAsync(PeerMessage message, CancellationToken cancellationToken)
    {
        OnMessage?.Invoke(message);
        return ValueTask.FromResult(MessageVerdict.Ignore);
    }

    public void PeerConnected(Hash peer) => Connected.Enqueue(peer);

    public void PeerDisconnected(Hash peer) => Disconnected.Enqueue(peer);

    public async Task WaitForPeersAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_network.ConnectedPeers.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {_network.ConnectedPeers.Count} of {count} peer(s) connected");
            await Task.Delay(50);
        }
    }

    public ValueTask DisposeAsync() => _network.DisposeAsync();
}
