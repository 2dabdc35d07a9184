using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MedLedger.Core;
using MedLedger.Crypto;
using Microsoft.Extensions.Logging;

namespace MedLedger.Network.Tests;

/// <summary>Message types, chain identity and options shared by the tests.</summary>
internal static class TestChain
{
    public const string ChainId = "medledger-test";
    public const byte DirectType = 16;
    public const byte GossipType = 17;
    public const byte BulkType = 18;
    public const int DirectMaxPayload = 64 * 1024;
    public const int GossipMaxPayload = 64 * 1024;

    /// <summary>Generous waits: these bound how long a broken test hangs, they assert nothing about speed.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static readonly Hash Genesis = CryptoSuites.Standard.Hash(Encoding.UTF8.GetBytes("test genesis"));

    public static readonly IReadOnlyList<MessageTypeDefinition> Types =
    [
        new(DirectType, "direct", MessageDelivery.Direct, DirectMaxPayload),
        new(GossipType, "gossip", MessageDelivery.Gossip, GossipMaxPayload),
        new(BulkType, "bulk", MessageDelivery.Direct, 4 * 1024 * 1024),
    ];

    public static NetworkOptions Options(IEnumerable<string>? seeds = null, string chainId = ChainId, Hash? genesis = null) => new()
    {
        ChainId = chainId,
        GenesisHash = genesis ?? Genesis,
        ListenEndpoint = new IPEndPoint(IPAddress.Loopback, 0),
        Seeds = [.. seeds ?? []],
        MessageTypes = Types,
        ReconnectInitialDelay = TimeSpan.FromMilliseconds(50),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
    };

    public static async Task Eventually(Func<bool> condition, string what, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? Patience);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            await Task.Delay(10);
        }
    }
}

/// <summary>A node's peer network with its key, handler and logger, for tests.</summary>
internal sealed class TestNode : IAsyncDisposable
{
    private TestNode(ISigningKey key, PeerNetwork network, RecordingHandler handler, CollectingLogger logger)
    {
        Key = key;
        Network = network;
        Handler = handler;
        Logger = logger;
    }

    public ISigningKey Key { get; }

    public PeerNetwork Network { get; }

    public RecordingHandler Handler { get; }

    public CollectingLogger Logger { get; }

    public Hash KeyId => Network.LocalKeyId;

    public string Address => Network.LocalEndpoint!.ToString();

    public static ISigningKey NewKey() => CryptoSuites.Standard.GenerateSigningKey();

    public static ConsortiumKeySet Consortium(params ISigningKey[] keys) => new(keys.Select(k => k.PublicKey));

    /// <summary>Creates and starts a node; <paramref name="key"/> defaults to a fresh key.</summary>
    public static TestNode Start(IPeerAuthorizer authorizer, NetworkOptions options, ISigningKey? key = null, TimeProvider? time = null, RecordingHandler? handler = null)
    {
        key ??= NewKey();
        handler ??= new RecordingHandler();
        var logger = new CollectingLogger();
        var network = new PeerNetwork(options, key, CryptoSuites.Standard, authorizer, handler, time ?? TimeProvider.System, logger);
        network.Start();
        return new TestNode(key, network, handler, logger);
    }

    public bool IsConnectedTo(TestNode other) => Network.IsConnected(other.KeyId);

    public async ValueTask DisposeAsync() => await Network.DisposeAsync();
}

/// <summary>Records every message and connection event; answers with <see cref="Verdict"/>.</summary>
internal sealed class RecordingHandler : IPeerMessageHandler
{
    private readonly ConcurrentQueue<PeerMessage> _messages = new();
    private readonly ConcurrentQueue<(Hash Peer, bool Connected)> _events = new();

    public Func<PeerMessage, MessageVerdict> Verdict { get; set; } = _ => MessageVerdict.Accept;

    public IReadOnlyList<PeerMessage> Messages => [.. _messages];

    public IReadOnlyList<(Hash Peer, bool Connected)> Events => [.. _events];

    public int Count(byte type) => _messages.Count(m => m.Type == type);

    public int Count(byte type, ReadOnlySpan<byte> payload)
    {
        var count = 0;
        foreach (var message in _messages)
        {
            if (message.Type == type && message.Payload.Span.SequenceEqual(payload))
            {
                count++;
            }
        }

        return count;
    }

    public ValueTask<MessageVerdict> HandleAsync(PeerMessage message, CancellationToken cancellationToken)
    {
        _messages.Enqueue(message);
        return ValueTask.FromResult(Verdict(message));
    }

    public void PeerConnected(Hash peer) => _events.Enqueue((peer, true));

    public void PeerDisconnected(Hash peer) => _events.Enqueue((peer, false));
}

/// <summary>An <see cref="ILogger"/> that keeps every formatted line, so tests can check the logged reasons.</summary>
internal sealed class CollectingLogger : ILogger
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public bool Contains(string text) => _lines.Any(l => l.Contains(text, StringComparison.Ordinal));

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        _lines.Enqueue($"{logLevel}: {formatter(state, exception)}{(exception is null ? string.Empty : " | " + exception.GetType().Name + ": " + exception.Message)}");
    }

    public override string ToString() => string.Join('\n', _lines);
}

/// <summary>
/// A hand-driven peer for protocol tests: a TLS client with a certificate derived from <see cref="Key"/>, speaking
/// whatever bytes the test chooses after TLS.
/// </summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly X509Certificate2 _certificate;

    private RawPeer(ISigningKey key, Socket socket, SslStream stream, X509Certificate2 certificate)
    {
        Key = key;
        _socket = socket;
        Stream = stream;
        _certificate = certificate;
    }

    public ISigningKey Key { get; }

    public SslStream Stream { get; }

    public Hash KeyId => CryptoSuites.Standard.Hash(Key.PublicKey.Span);

    /// <summary>Connects and completes TLS (throws if TLS fails).</summary>
    public static async Task<RawPeer> ConnectAsync(IPEndPoint endpoint, ISigningKey key, SslProtocols protocols = SslProtocols.Tls13)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var certificate = PeerCertificate.Create(key, DateTimeOffset.UtcNow, TimeSpan.FromHours(1));
        SslStream? stream = null;
        try
        {
            await socket.ConnectAsync(endpoint);
            stream = new SslStream(new NetworkStream(socket, ownsSocket: false));
            using var timeout = new CancellationTokenSource(TestChain.Patience);
            await stream.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = "medledger-peer",
                    ClientCertificateContext = SslStreamCertificateContext.Create(certificate, null, offline: true),
                    EnabledSslProtocols = protocols,
                    RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && PeerCertificate.TryGetPublicKey(certificate) is not null,
                },
                timeout.Token);
            return new RawPeer(key, socket, stream, certificate);
        }
        catch
        {
            stream?.Dispose();
            socket.Dispose();
            certificate.Dispose();
            throw;
        }
    }

    /// <summary>Connects, completes TLS and exchanges handshakes as a well-behaved peer would.</summary>
    public static async Task<RawPeer> ConnectAndGreetAsync(IPEndPoint endpoint, ISigningKey key)
    {
        var peer = await ConnectAsync(endpoint, key);
        await peer.SendHandshakeAsync(new HandshakeMessage(NetworkLimits.ProtocolVersion, TestChain.ChainId, TestChain.Genesis, peer.KeyId, "raw:1"));
        var (type, _) = await peer.ReadFrameAsync() ?? throw new InvalidOperationException("no handshake came back");
        Assert.Equal(TransportMessageTypes.Handshake, type);
        return peer;
    }

    public Task SendHandshakeAsync(HandshakeMessage message) => SendRawAsync(FrameCodec.Encode(TransportMessageTypes.Handshake, message.Encode()));

    /// <summary>Writes bytes; a write the other side cuts short (it may close as soon as it has seen a bad header) is not an error here.</summary>
    public async Task SendRawAsync(byte[] bytes)
    {
        try
        {
            await Stream.WriteAsync(bytes);
            await Stream.FlushAsync();
        }
        catch (IOException)
        {
            // The tests assert on the closed connection and the node's log instead.
        }
    }

    /// <summary>Reads one frame; null when the other side closed the connection.</summary>
    public async Task<(byte Type, byte[] Payload)?> ReadFrameAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TestChain.Patience);
            var header = new byte[FrameCodec.HeaderBytes];
            await Stream.ReadExactlyAsync(header, timeout.Token);
            var payload = new byte[FrameCodec.ReadBodyLength(header) - 1];
            await Stream.ReadExactlyAsync(payload, timeout.Token);
            return (header[4], payload);
        }
        catch (Exception exception) when (exception is EndOfStreamException or IOException or AuthenticationException)
        {
            return null;
        }
    }

    /// <summary>Reads (and discards) frames until the other side closes; returns true when it did within the patience.</summary>
    public async Task<bool> WaitForCloseAsync()
    {
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(TestChain.Patience);
        try
        {
            while (await Stream.ReadAsync(buffer, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception exception) when (exception is IOException or AuthenticationException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync();
        _socket.Dispose();
        _certificate.Dispose();
    }
}
