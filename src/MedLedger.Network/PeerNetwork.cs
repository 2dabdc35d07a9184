using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using MedLedger.Core;
using MedLedger.Crypto;
using Microsoft.Extensions.Logging;

namespace MedLedger.Network;

/// <summary>
/// MedLedger's peer network (ARCHITECTURE §9, docs/network.md): TCP with TLS 1.3, both sides authenticated by
/// certificates derived from their on-chain keys and admitted by an <see cref="IPeerAuthorizer"/>; a handshake on
/// chain id and genesis; length-prefixed frames of registered types; per-peer bounded send queues, inbound rate
/// limits, penalties and bans; gossip de-duplicated by payload hash; seeds redialled with capped exponential
/// backoff. Payloads are opaque: the node's handler decodes and validates them.
/// </summary>
/// <remarks>
/// Lifecycle: construct, <see cref="Start"/>, then <see cref="DisposeAsync"/> once. Every background task is tracked and
/// awaited on disposal, and every socket is closed. All public members are thread-safe.
/// </remarks>
public sealed partial class PeerNetwork : IAsyncDisposable
{
    private static readonly MessageTypeDefinition PingType = new(TransportMessageTypes.Ping, "ping", MessageDelivery.Direct, 0);

    private readonly NetworkOptions _options;
    private readonly ISigningKey _key;
    private readonly ICryptoSuite _suite;
    private readonly IPeerAuthorizer _authorizer;
    private readonly IPeerMessageHandler _handler;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly byte[] _publicKey;
    private readonly MessageTypeDefinition?[] _types = new MessageTypeDefinition?[256];
    private readonly PeerScores _scores;
    private readonly GossipCache _gossip;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<Hash, PeerConnection> _peers = [];
    private readonly HashSet<string> _seeds = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Hash> _seedKeys = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<Task, bool> _tasks = new();
    private readonly Lock _certificateLock = new();
    private readonly Lock _notifyLock = new();
    private readonly HashSet<Hash> _toldConnected = [];
    private PeerConnection[] _peerSnapshot = [];
    private TcpListener? _listener;
    private X509Certificate2? _certificate;
    private X509Certificate2? _retiredCertificate;
    private SslStreamCertificateContext? _certificateContext;
    private DateTimeOffset _certificateCreatedAt;
    private byte[] _hello = [];
    private int _state;
    private bool _stopRequested;
    private int _pendingHandshakes;
    private int _connectionsOpening;
    private long _connectionsRefused;
    private long _protocolViolations;
    private long _rateLimited;
    private long _sendQueueOverflows;
    private long _gossipDelivered;
    private long _gossipDuplicates;
    private long _gossipRelayed;

    /// <summary>Creates the network; nothing listens or dials until <see cref="Start"/>.</summary>
    /// <param name="options">Configuration; validated here.</param>
    /// <param name="nodeKey">The node's on-chain ECDSA P-256 key; its certificate is derived from it.</param>
    /// <param name="suite">The chain's crypto suite: key ids are <c>suite.Hash(public key)</c>, gossip hashes too.</param>
    /// <param name="authorizer">Which keys may connect (the consortium's node keys).</param>
    /// <param name="handler">Receives inbound messages and connection events.</param>
    /// <param name="time">The clock for timeouts, backoff, rate limits, bans and certificate dates.</param>
    /// <param name="logger">Where connection events and refusals are logged, with reasons.</param>
    public PeerNetwork(NetworkOptions options, ISigningKey nodeKey, ICryptoSuite suite, IPeerAuthorizer authorizer, IPeerMessageHandler handler, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(nodeKey);
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(authorizer);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        if (nodeKey.SuiteName != StandardCryptoSuite.SuiteName)
        {
            throw new NotSupportedException($"The peer network needs an ECDSA P-256 node key (suite '{StandardCryptoSuite.SuiteName}').");
        }

        _options = options;
        _key = nodeKey;
        _suite = suite;
        _authorizer = authorizer;
        _handler = handler;
        _time = time;
        _logger = logger;
        _publicKey = nodeKey.PublicKey.ToArray();
        LocalKeyId = suite.Hash(_publicKey);
        foreach (var type in options.MessageTypes)
        {
            _types[type.Code] = type;
        }

        _types[TransportMessageTypes.Ping] = PingType;
        _scores = new PeerScores(options.BanThreshold, options.BanDuration, options.PenaltyDecayPerMinute);
        _gossip = new GossipCache(options.GossipCacheEntries);
    }

    /// <summary>This node's key id: the hash of its public key, as on chain.</summary>
    public Hash LocalKeyId { get; }

    /// <summary>The bound listening endpoint (with the real port when 0 was asked), or null when not listening.</summary>
    public IPEndPoint? LocalEndpoint { get; private set; }

    /// <summary>Key ids of the connected peers.</summary>
    public IReadOnlyList<Hash> ConnectedPeers => [.. Volatile.Read(ref _peerSnapshot).Select(p => p.KeyId)];

    /// <summary>Derives the certificate, starts listening (if configured) and starts dialling the seeds.</summary>
    /// <exception cref="SocketException">The listening endpoint cannot be bound.</exception>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) == 2, this);
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The network is already started.");
        }

        _ = CurrentCertificate();
        if (_options.ListenEndpoint is { } endpoint)
        {
            var listener = new TcpListener(endpoint);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start(backlog: 128);
            _listener = listener;
            LocalEndpoint = (IPEndPoint)listener.LocalEndpoint;
            LogListening(LocalEndpoint, LocalKeyId);
        }

        // The handshake names the bound address, so it is built after binding and before the first connection.
        var advertised = _options.AdvertisedAddress ?? LocalEndpoint?.ToString() ?? string.Empty;
        _hello = new HandshakeMessage(NetworkLimits.ProtocolVersion, _options.ChainId, _options.GenesisHash, LocalKeyId, advertised).Encode();
        if (_listener is { } started)
        {
            Track(() => AcceptLoopAsync(started));
        }

        foreach (var seed in _options.Seeds)
        {
            AddSeed(seed);
        }
    }

    /// <summary>Starts dialling <paramref name="address"/> (<c>host:port</c>) and redialling it whenever not connected.</summary>
    public void AddSeed(string address)
    {
        if (!PeerAddress.TryParse(address, out var endPoint))
        {
            throw new ArgumentException($"'{address}' is not host:port.", nameof(address));
        }

        if (Volatile.Read(ref _state) != 1)
        {
            throw new InvalidOperationException("Seeds are dialled only while the network runs; call Start first.");
        }

        lock (_lock)
        {
            if (!_seeds.Add(address))
            {
                return;
            }
        }

        Track(() => DialLoopAsync(address, endPoint));
    }

    /// <summary>
    /// Queues a message for one peer. Returns false when the peer is not connected or its send queue overflowed
    /// (which disconnects it). The payload must not be changed afterwards.
    /// </summary>
    /// <exception cref="ArgumentException">The type is not registered or the payload exceeds its limit.</exception>
    public bool Send(Hash peer, byte type, ReadOnlyMemory<byte> payload)
    {
        var definition = OutboundType(type, payload);
        if (definition.Delivery == MessageDelivery.Gossip)
        {
            _gossip.TryAdd(GossipHash(type, payload.Span));
        }

        var connection = Find(peer);
        return connection is not null && Enqueue(connection, type, payload);
    }

    /// <summary>
    /// Queues a message for every connected peer and returns to how many it was queued. For a gossip type the
    /// payload is first recorded as seen, so that echoes are not delivered back; a payload already seen (sent or
    /// received) is not sent again and 0 is returned. The payload must not be changed afterwards.
    /// </summary>
    /// <exception cref="ArgumentException">The type is not registered or the payload exceeds its limit.</exception>
    public int Broadcast(byte type, ReadOnlyMemory<byte> payload)
    {
        var definition = OutboundType(type, payload);
        if (definition.Delivery == MessageDelivery.Gossip && !_gossip.TryAdd(GossipHash(type, payload.Span)))
        {
            return 0;
        }

        var queued = 0;
        foreach (var connection in Volatile.Read(ref _peerSnapshot))
        {
            if (Enqueue(connection, type, payload))
            {
                queued++;
            }
        }

        return queued;
    }

    /// <summary>True when a connection to <paramref name="peer"/> is established.</summary>
    public bool IsConnected(Hash peer) => Find(peer) is not null;

    /// <summary>Adds penalty points to a peer for misbehaviour found above the transport (e.g. an invalid block); may ban it.</summary>
    public void Penalize(Hash peer, double points, string reason)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(points);
        ArgumentNullException.ThrowIfNull(reason);
        AddPenalty(peer, points, reason);
    }

    /// <summary>Closes the connection to <paramref name="peer"/>, if any; a seed is redialled after the backoff.</summary>
    public void Disconnect(Hash peer, string reason) => Find(peer)?.RequestClose(reason);

    /// <summary>
    /// Asks the authorizer again about every connected peer and disconnects those no longer authorised. The node calls
    /// it after a block that changes the consortium.
    /// </summary>
    public void RevalidatePeers()
    {
        foreach (var connection in Volatile.Read(ref _peerSnapshot))
        {
            if (!IsAuthorized(connection.PublicKey))
            {
                connection.RequestClose("no longer a consortium node");
            }
        }
    }

    /// <summary>The connected peers with their traffic, the bans in force and the counters since start.</summary>
    public NetworkStatus GetStatus()
    {
        var now = _time.GetUtcNow();
        var peers = Volatile.Read(ref _peerSnapshot).Select(p => p.ToStatus(_scores.Score(p.KeyId, now))).OrderBy(p => p.KeyId).ToList();
        var counters = new NetworkCounters(
            Interlocked.Read(ref _connectionsRefused),
            Interlocked.Read(ref _protocolViolations),
            Interlocked.Read(ref _rateLimited),
            Interlocked.Read(ref _sendQueueOverflows),
            Interlocked.Read(ref _gossipDelivered),
            Interlocked.Read(ref _gossipDuplicates),
            Interlocked.Read(ref _gossipRelayed));
        return new NetworkStatus(LocalKeyId, LocalEndpoint?.ToString(), peers, Volatile.Read(ref _connectionsOpening), _scores.Bans(now), counters);
    }

    /// <summary>Stops listening and dialling, closes every connection and waits for every background task.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _state, 2) == 2)
        {
            return;
        }

        lock (_lock)
        {
            // Under the lock so that Track starts no task after this point that the loop below would miss.
            _stopRequested = true;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Stop();
        foreach (var connection in Volatile.Read(ref _peerSnapshot))
        {
            connection.RequestClose("the network is shutting down");
        }

        while (!_tasks.IsEmpty)
        {
            var running = _tasks.Keys.ToArray();
            await Task.WhenAll(running).ConfigureAwait(false);
            foreach (var task in running)
            {
                _tasks.TryRemove(task, out _);
            }
        }

        lock (_certificateLock)
        {
            _certificate?.Dispose();
            _retiredCertificate?.Dispose();
            _certificate = _retiredCertificate = null;
        }

        _stopping.Dispose();
    }

    private MessageTypeDefinition OutboundType(byte type, ReadOnlyMemory<byte> payload)
    {
        var definition = type >= TransportMessageTypes.FirstApplicationType ? _types[type] : null;
        if (definition is null)
        {
            throw new ArgumentException($"Message type {type} is not registered in NetworkOptions.MessageTypes.", nameof(type));
        }

        if (payload.Length > definition.MaxPayloadBytes)
        {
            throw new ArgumentException($"A {definition.Name} payload of {payload.Length} bytes exceeds its limit of {definition.MaxPayloadBytes}.", nameof(payload));
        }

        return definition;
    }

    private bool Enqueue(PeerConnection connection, byte type, ReadOnlyMemory<byte> payload)
    {
        switch (connection.TryEnqueue(type, payload))
        {
            case EnqueueResult.Queued:
                return true;
            case EnqueueResult.Overflow:
                Interlocked.Increment(ref _sendQueueOverflows);
                LogSendQueueOverflow(connection.KeyId);
                connection.RequestClose("its send queue overflowed");
                return false;
            default:
                return false;
        }
    }

    private Hash GossipHash(byte type, ReadOnlySpan<byte> payload)
    {
        using var hasher = _suite.CreateHasher();
        hasher.Append([type]);
        hasher.Append(payload);
        return hasher.Finish();
    }

    private PeerConnection? Find(Hash peer)
    {
        lock (_lock)
        {
            return _peers.GetValueOrDefault(peer);
        }
    }

    private bool IsAuthorized(byte[] publicKey)
    {
        try
        {
            return _authorizer.IsAuthorized(publicKey);
        }
        catch (Exception exception)
        {
            // The authorizer is the node's code; if it fails, the safe answer is "not authorised".
            LogAuthorizerFailed(exception);
            return false;
        }
    }

    /// <summary>Adds a penalty; when it bans the key, closes its connection. Returns true when the key is now banned.</summary>
    private bool AddPenalty(Hash peer, double points, string reason)
    {
        var until = _scores.Add(peer, points, _time.GetUtcNow());
        if (until is null)
        {
            return false;
        }

        LogBanned(peer, until.Value, reason);
        Find(peer)?.RequestClose($"banned until {until.Value:O} ({reason})");
        return true;
    }

    /// <summary>The current certificate context, re-deriving the certificate once half its validity has passed.</summary>
    private SslStreamCertificateContext CurrentCertificate()
    {
        lock (_certificateLock)
        {
            var now = _time.GetUtcNow();
            if (_certificateContext is null || now - _certificateCreatedAt >= _options.CertificateValidity / 2)
            {
                var certificate = PeerCertificate.Create(_key, now, _options.CertificateValidity);
                _retiredCertificate?.Dispose();
                _retiredCertificate = _certificate;
                _certificate = certificate;
                _certificateContext = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
                _certificateCreatedAt = now;
            }

            return _certificateContext;
        }
    }

    /// <summary>Runs <paramref name="work"/> as a tracked background task that DisposeAsync waits for; it never faults.</summary>
    private void Track(Func<Task> work)
    {
        lock (_lock)
        {
            if (_stopRequested)
            {
                return;
            }

            var task = Task.Run(async () =>
            {
                try
                {
                    await work().ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
                {
                    // Shutting down.
                }
                catch (Exception exception)
                {
                    // The last line of defence for a background task: log the bug rather than leave the exception unobserved.
                    LogUnexpected(exception);
                }
            });
            _tasks.TryAdd(task, true);
            _ = task.ContinueWith(t => _tasks.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
