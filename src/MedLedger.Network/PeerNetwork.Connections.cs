using System.ComponentModel;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using MedLedger.Core;

namespace MedLedger.Network;

/// <summary>Connection handling: accepting, dialling, TLS, the handshake, registration, and the read loop.</summary>
public sealed partial class PeerNetwork
{
    private const string TlsTargetHost = "medledger-peer";

    private enum ConnectionOutcome
    {
        Failed = 1,
        Self = 2,
        NotRegistered = 3,
        Established = 4,
    }

    private async Task AcceptLoopAsync(TcpListener listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception exception) when (_stopping.IsCancellationRequested && exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException exception)
            {
                // E.g. out of file descriptors: keep accepting after a pause rather than stop listening for good.
                LogAcceptFailed(exception.Message);
                await Task.Delay(_options.ReconnectInitialDelay, _time, _stopping.Token).ConfigureAwait(false);
                continue;
            }

            var remote = socket.RemoteEndPoint?.ToString() ?? "?";
            if (Interlocked.Increment(ref _pendingHandshakes) > _options.MaxPendingHandshakes)
            {
                Interlocked.Decrement(ref _pendingHandshakes);
                Interlocked.Increment(ref _connectionsRefused);
                LogRefused(remote, "too many connections are in their handshake");
                socket.Dispose();
                continue;
            }

            socket.NoDelay = true;
            Interlocked.Increment(ref _connectionsOpening);
            Track(() => RunConnectionAsync(socket, PeerDirection.Inbound, remote, seedAddress: null));
        }
    }

    private async Task DialLoopAsync(string address, EndPoint endPoint)
    {
        var delay = _options.ReconnectInitialDelay;
        while (!_stopping.IsCancellationRequested)
        {
            if (_seedKeys.TryGetValue(address, out var knownKey))
            {
                if (Find(knownKey) is { } existing)
                {
                    // Connected to this seed already (perhaps it dialled us): dial again only once that connection ends.
                    await existing.Closed.WaitAsync(_stopping.Token).ConfigureAwait(false);
                    delay = _options.ReconnectInitialDelay;
                    await Task.Delay(Jittered(delay), _time, _stopping.Token).ConfigureAwait(false);
                    continue;
                }

                if (_scores.IsBanned(knownKey, _time.GetUtcNow(), out var until))
                {
                    await Task.Delay(until - _time.GetUtcNow() + TimeSpan.FromSeconds(1), _time, _stopping.Token).ConfigureAwait(false);
                    continue;
                }
            }

            var outcome = await DialOnceAsync(address, endPoint).ConfigureAwait(false);
            if (outcome == ConnectionOutcome.Self)
            {
                LogSeedIsSelf(address);
                return;
            }

            if (outcome == ConnectionOutcome.Established)
            {
                delay = _options.ReconnectInitialDelay;
            }

            LogRedialling(address, delay);
            await Task.Delay(Jittered(delay), _time, _stopping.Token).ConfigureAwait(false);
            if (outcome != ConnectionOutcome.Established)
            {
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
            }
        }
    }

    /// <summary>Up to 20 % less than <paramref name="delay"/>, so that nodes restarted together do not redial in step.</summary>
    private static TimeSpan Jittered(TimeSpan delay) =>
        delay - (delay * (Random.Shared.NextDouble() * 0.2));

    private async Task<ConnectionOutcome> DialOnceAsync(string address, EndPoint endPoint)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Interlocked.Increment(ref _connectionsOpening);
        try
        {
            using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, timeout.Token);
            await socket.ConnectAsync(endPoint, linked.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            Interlocked.Decrement(ref _connectionsOpening);
            _stopping.Token.ThrowIfCancellationRequested();
            LogDialFailed(address, exception is OperationCanceledException ? "connect timed out" : exception.Message);
            return ConnectionOutcome.Failed;
        }

        return await RunConnectionAsync(socket, PeerDirection.Outbound, address, address).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs one connection from TLS to close. Owns the socket: it is closed on every path. The caller has counted the
    /// connection in <see cref="_connectionsOpening"/>; this method uncounts it once the connection is registered or refused.
    /// </summary>
    private async Task<ConnectionOutcome> RunConnectionAsync(Socket socket, PeerDirection direction, string remote, string? seedAddress)
    {
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        var pending = direction == PeerDirection.Inbound;
        var opening = true;
        PeerConnection? connection = null;
        try
        {
            HandshakeResult handshake;
            using (var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, timeout.Token))
            {
                handshake = await HandshakeAsync(ssl, direction, seedAddress, linked.Token).ConfigureAwait(false);
            }

            if (pending)
            {
                Interlocked.Decrement(ref _pendingHandshakes);
                pending = false;
            }

            if (handshake.Failure is { } failure)
            {
                Interlocked.Decrement(ref _connectionsOpening);
                opening = false;
                Interlocked.Increment(ref _connectionsRefused);
                LogRefused(remote, failure);
                return handshake.IsSelf ? ConnectionOutcome.Self : ConnectionOutcome.Failed;
            }

            connection = new PeerConnection(ssl, handshake.PublicKey!, handshake.KeyId, direction, remote, handshake.Hello!.ListenAddress, _options, _time, _stopping.Token);
            var refusal = Register(connection);
            Interlocked.Decrement(ref _connectionsOpening);
            opening = false;
            if (refusal is not null)
            {
                LogNotRegistered(remote, handshake.KeyId, refusal);
                await connection.DisposeAsync().ConfigureAwait(false);
                return ConnectionOutcome.NotRegistered;
            }

            await RunRegisteredAsync(connection).ConfigureAwait(false);
            return ConnectionOutcome.Established;
        }
        finally
        {
            if (pending)
            {
                Interlocked.Decrement(ref _pendingHandshakes);
            }

            if (opening)
            {
                Interlocked.Decrement(ref _connectionsOpening);
            }

            if (connection is null)
            {
                await DisposeQuietlyAsync(ssl).ConfigureAwait(false);
            }
        }
    }

    private static async ValueTask DisposeQuietlyAsync(SslStream ssl)
    {
        try
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // Closing a broken connection; nothing to do.
        }
    }

    /// <summary>
    /// TLS 1.3 with both certificates checked by <see cref="TlsPeerCheck"/>, then the handshake frames both ways.
    /// Returns the peer's key and handshake, or why the connection is refused (after any penalty is recorded).
    /// </summary>
    private async Task<HandshakeResult> HandshakeAsync(SslStream ssl, PeerDirection direction, string? seedAddress, CancellationToken cancellationToken)
    {
        var check = new TlsPeerCheck(this);
        try
        {
            if (direction == PeerDirection.Inbound)
            {
                await ssl.AuthenticateAsServerAsync(
                    new SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = CurrentCertificate(),
                        ClientCertificateRequired = true,
                        EnabledSslProtocols = SslProtocols.Tls13,
                        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                        RemoteCertificateValidationCallback = check.Validate,
                        AllowTlsResume = false,
                    },
                    cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await ssl.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions
                    {
                        TargetHost = TlsTargetHost,
                        ClientCertificateContext = CurrentCertificate(),
                        EnabledSslProtocols = SslProtocols.Tls13,
                        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                        RemoteCertificateValidationCallback = check.Validate,
                        AllowTlsResume = false,
                    },
                    cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (IsConnectionFailure(exception) && !_stopping.IsCancellationRequested)
        {
            var reason = check.Refusal ?? (exception is OperationCanceledException ? "the TLS handshake timed out" : $"the TLS handshake failed: {Describe(exception)}");
            return HandshakeResult.Refused(reason, check.IsSelf);
        }

        if (ssl.SslProtocol != SslProtocols.Tls13 || check.PeerKey is null)
        {
            return HandshakeResult.Refused($"TLS negotiated {ssl.SslProtocol} without an accepted peer key", isSelf: false);
        }

        var publicKey = check.PeerKey;
        var keyId = _suite.Hash(publicKey);
        if (seedAddress is not null)
        {
            _seedKeys[seedAddress] = keyId;
        }

        byte[] payload;
        try
        {
            await ssl.WriteAsync(FrameCodec.Encode(TransportMessageTypes.Handshake, _hello), cancellationToken).ConfigureAwait(false);
            await ssl.FlushAsync(cancellationToken).ConfigureAwait(false);

            var header = new byte[FrameCodec.HeaderBytes];
            await ssl.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
            var length = FrameCodec.ReadBodyLength(header);
            if (header[4] != TransportMessageTypes.Handshake || length < 1 || length - 1 > NetworkLimits.MaxHandshakeBytes)
            {
                return Violation(keyId, publicKey, $"its first frame (type {header[4]}, {length} bytes) is not a handshake");
            }

            payload = new byte[length - 1];
            await ssl.ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsConnectionFailure(exception) && !_stopping.IsCancellationRequested)
        {
            var reason = exception is OperationCanceledException ? "the handshake timed out" : $"the connection closed during the handshake: {Describe(exception)}";
            return HandshakeResult.Refused(reason, isSelf: false);
        }

        if (!HandshakeMessage.TryReadVersion(payload, out var version))
        {
            return Violation(keyId, publicKey, "malformed handshake: no protocol version");
        }

        if (version != NetworkLimits.ProtocolVersion)
        {
            return HandshakeResult.Refused($"it speaks protocol version {version}, this node {NetworkLimits.ProtocolVersion}", isSelf: false);
        }

        HandshakeMessage hello;
        try
        {
            hello = HandshakeMessage.Decode(payload);
        }
        catch (DecodingException exception)
        {
            return Violation(keyId, publicKey, $"malformed handshake: {exception.Message}");
        }

        if (hello.ChainId != _options.ChainId)
        {
            return HandshakeResult.Refused($"its chain id '{hello.ChainId}' differs from '{_options.ChainId}'", isSelf: false);
        }

        if (hello.GenesisHash != _options.GenesisHash)
        {
            return HandshakeResult.Refused($"its genesis hash {hello.GenesisHash.ToShortString()} differs from {_options.GenesisHash.ToShortString()}", isSelf: false);
        }

        if (hello.KeyId != keyId)
        {
            return Violation(keyId, publicKey, $"its handshake names key id {hello.KeyId.ToShortString()} but its certificate carries {keyId.ToShortString()}");
        }

        return new HandshakeResult(publicKey, keyId, hello, Failure: null, IsSelf: false);
    }

    private HandshakeResult Violation(Hash keyId, byte[] publicKey, string reason)
    {
        Interlocked.Increment(ref _protocolViolations);
        LogViolation(keyId, reason, _options.ProtocolViolationPenalty);
        AddPenalty(keyId, _options.ProtocolViolationPenalty, reason);
        return new HandshakeResult(publicKey, keyId, Hello: null, reason, IsSelf: false);
    }

    private static bool IsConnectionFailure(Exception exception) =>
        exception is IOException or AuthenticationException or SocketException or OperationCanceledException or ObjectDisposedException or Win32Exception;

    private static string Describe(Exception exception) =>
        exception.InnerException is { } inner ? $"{exception.Message} ({inner.Message})" : exception.Message;

    /// <summary>
    /// Adds a connection that completed the handshake, or says why not. When a connection to the same key exists,
    /// one is kept by a rule both ends compute alike: of two connections opened in opposite directions, the one dialled
    /// by the smaller key id; of two in the same direction, the newer (the older is most likely half-open).
    /// </summary>
    private string? Register(PeerConnection connection)
    {
        PeerConnection? displaced = null;
        lock (_lock)
        {
            if (_stopRequested)
            {
                return "the network is shutting down";
            }

            if (_scores.IsBanned(connection.KeyId, _time.GetUtcNow(), out var until))
            {
                return $"it is banned until {until:O}";
            }

            if (_peers.TryGetValue(connection.KeyId, out var existing))
            {
                var keepNew = existing.Direction == connection.Direction || DialerOf(connection) < DialerOf(existing);
                if (!keepNew)
                {
                    return "a connection to this peer already exists and is kept";
                }

                displaced = existing;
            }
            else if (_peers.Count >= _options.MaxPeers)
            {
                return $"the node already has {_options.MaxPeers} peers";
            }

            _peers[connection.KeyId] = connection;
            _peerSnapshot = [.. _peers.Values];
        }

        if (displaced is not null)
        {
            LogReplaced(connection.KeyId);
            displaced.RequestClose("replaced by a newer connection to the same peer");
        }
        else
        {
            NotifyConnection(connection.KeyId);
        }

        LogConnected(connection.KeyId, connection.Direction, connection.RemoteEndPoint);
        return null;
    }

    private Hash DialerOf(PeerConnection connection) => connection.Direction == PeerDirection.Outbound ? LocalKeyId : connection.KeyId;

    private void Unregister(PeerConnection connection)
    {
        bool removed;
        lock (_lock)
        {
            removed = _peers.TryGetValue(connection.KeyId, out var current) && ReferenceEquals(current, connection);
            if (removed)
            {
                _peers.Remove(connection.KeyId);
                _peerSnapshot = [.. _peers.Values];
            }
        }

        if (removed)
        {
            NotifyConnection(connection.KeyId);
        }
    }

    /// <summary>
    /// Tells the handler whether <paramref name="peer"/> is connected, reconciling with the registry rather than replaying
    /// events: callers on different threads may race (an old connection unregistering while a new one registers), but
    /// whichever reports last reports the truth, and the handler never hears "connected" twice in a row. Runs before a
    /// new connection's read loop starts, so PeerConnected precedes that peer's messages.
    /// </summary>
    private void NotifyConnection(Hash peer)
    {
        lock (_notifyLock)
        {
            var connected = Find(peer) is not null;
            var told = _toldConnected.Contains(peer);
            if (connected == told)
            {
                return;
            }

            if (connected)
            {
                _toldConnected.Add(peer);
            }
            else
            {
                _toldConnected.Remove(peer);
            }

            try
            {
                if (connected)
                {
                    _handler.PeerConnected(peer);
                }
                else
                {
                    _handler.PeerDisconnected(peer);
                }
            }
            catch (Exception exception)
            {
                // A failing handler must not break the connection bookkeeping; the failure is logged.
                LogHandlerFailed(exception, peer, connected ? "PeerConnected" : "PeerDisconnected");
            }
        }
    }

    private async Task RunRegisteredAsync(PeerConnection connection)
    {
        var writer = connection.RunWriterAsync();
        var keepalive = KeepaliveAsync(connection);
        string reason;
        try
        {
            reason = await ReadLoopAsync(connection).ConfigureAwait(false);
        }
        catch (EndOfStreamException)
        {
            reason = "the peer closed the connection";
        }
        catch (Exception exception) when (IsConnectionFailure(exception))
        {
            reason = connection.CloseReason ?? (exception is OperationCanceledException ? "the network is shutting down" : $"receive failed: {Describe(exception)}");
        }
        catch (Exception exception)
        {
            // A bug, not the peer's doing; the connection is still torn down properly below.
            LogUnexpected(exception);
            reason = $"internal error: {exception.Message}";
        }

        connection.RequestClose(reason);
        await writer.ConfigureAwait(false);
        await keepalive.ConfigureAwait(false);
        Unregister(connection);
        LogDisconnected(connection.KeyId, connection.CloseReason ?? reason);
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Reads frames until the connection fails or a violation ends it; returns why it ended.</summary>
    private async Task<string> ReadLoopAsync(PeerConnection connection)
    {
        var header = new byte[FrameCodec.HeaderBytes];
        var stream = connection.Stream;
        var token = connection.Closing;
        while (true)
        {
            await stream.ReadExactlyAsync(header, token).ConfigureAwait(false);
            var length = FrameCodec.ReadBodyLength(header);
            var type = header[4];
            if (length == 0)
            {
                return FrameViolation(connection, "an empty frame (length 0)");
            }

            if (length > (uint)_options.MaxFrameBytes)
            {
                return FrameViolation(connection, $"a frame of {length} bytes over the limit of {_options.MaxFrameBytes}");
            }

            var definition = _types[type];
            if (definition is null)
            {
                return FrameViolation(connection, $"a frame of unknown type {type}");
            }

            var payloadLength = (int)length - 1;
            if (payloadLength > definition.MaxPayloadBytes)
            {
                return FrameViolation(connection, $"a {definition.Name} payload of {payloadLength} bytes over its limit of {definition.MaxPayloadBytes}");
            }

            var payload = payloadLength == 0 ? [] : new byte[payloadLength];
            await stream.ReadExactlyAsync(payload, token).ConfigureAwait(false);
            var frameBytes = 4L + length;
            connection.RecordReceived(frameBytes);

            if (!connection.MessageBucket.TryTake(1) || !connection.ByteBucket.TryTake(frameBytes))
            {
                connection.RecordRateLimited();
                Interlocked.Increment(ref _rateLimited);
                if (AddPenalty(connection.KeyId, _options.RateLimitPenalty, "inbound rate limit exceeded repeatedly"))
                {
                    return connection.CloseReason ?? "banned for exceeding the inbound rate limit";
                }

                continue;
            }

            if (type != TransportMessageTypes.Ping)
            {
                await DispatchAsync(connection, definition, payload).ConfigureAwait(false);
            }
        }
    }

    private string FrameViolation(PeerConnection connection, string what)
    {
        var reason = $"it sent {what}";
        Interlocked.Increment(ref _protocolViolations);
        LogViolation(connection.KeyId, reason, _options.ProtocolViolationPenalty);
        connection.RequestClose(reason);
        AddPenalty(connection.KeyId, _options.ProtocolViolationPenalty, reason);
        return reason;
    }

    private async Task DispatchAsync(PeerConnection connection, MessageTypeDefinition definition, byte[] payload)
    {
        var gossip = definition.Delivery == MessageDelivery.Gossip;
        if (gossip)
        {
            if (!_gossip.TryAdd(GossipHash(definition.Code, payload)))
            {
                Interlocked.Increment(ref _gossipDuplicates);
                return;
            }

            Interlocked.Increment(ref _gossipDelivered);
        }

        MessageVerdict verdict;
        try
        {
            verdict = await _handler.HandleAsync(new PeerMessage(connection.KeyId, definition.Code, payload), connection.Closing).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (connection.Closing.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            // A handler bug is not the peer's fault: log it and go on reading.
            LogHandlerFailed(exception, connection.KeyId, definition.Name);
            return;
        }

        if (verdict == MessageVerdict.Reject)
        {
            LogInvalidMessage(connection.KeyId, definition.Name, _options.InvalidMessagePenalty);
            AddPenalty(connection.KeyId, _options.InvalidMessagePenalty, $"invalid {definition.Name} message");
        }
        else if (verdict == MessageVerdict.Accept && gossip)
        {
            foreach (var peer in Volatile.Read(ref _peerSnapshot))
            {
                if (!ReferenceEquals(peer, connection) && Enqueue(peer, definition.Code, payload))
                {
                    Interlocked.Increment(ref _gossipRelayed);
                }
            }
        }
    }

    /// <summary>Sends a ping when the connection has been quiet, and closes it when the peer has been silent too long.</summary>
    private async Task KeepaliveAsync(PeerConnection connection)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_options.PingInterval, _time, connection.Closing).ConfigureAwait(false);
                if (connection.SinceLastReceived >= _options.IdleTimeout)
                {
                    connection.RequestClose($"nothing received for {_options.IdleTimeout}");
                    return;
                }

                if (connection.SinceLastSent >= _options.PingInterval / 2)
                {
                    Enqueue(connection, TransportMessageTypes.Ping, ReadOnlyMemory<byte>.Empty);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The connection is closing.
        }
    }

    private sealed record HandshakeResult(byte[]? PublicKey, Hash KeyId, HandshakeMessage? Hello, string? Failure, bool IsSelf)
    {
        public static HandshakeResult Refused(string reason, bool isSelf) => new(null, default, null, reason, isSelf);
    }

    /// <summary>
    /// The certificate check for one TLS handshake, either side. Chain, names, dates and revocation are ignored on
    /// purpose: the peer's identity is its key, proven by the handshake signature, and admitted only if the authorizer
    /// knows it (ADR 0006). Records the accepted key, or why the peer was refused.
    /// </summary>
    private sealed class TlsPeerCheck(PeerNetwork network)
    {
        public byte[]? PeerKey { get; private set; }

        public string? Refusal { get; private set; }

        public bool IsSelf { get; private set; }

        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (certificate is null)
            {
                Refusal = "it presented no certificate";
                return false;
            }

            var key = PeerCertificate.TryGetPublicKey(certificate);
            if (key is null)
            {
                Refusal = "its certificate does not carry an ECDSA P-256 key";
                return false;
            }

            if (key.AsSpan().SequenceEqual(network._publicKey))
            {
                IsSelf = true;
                Refusal = "it is this node itself";
                return false;
            }

            var keyId = network._suite.Hash(key);
            if (!network.IsAuthorized(key))
            {
                Refusal = $"its key {keyId.ToShortString()} is not a consortium node key";
                return false;
            }

            if (network._scores.IsBanned(keyId, network._time.GetUtcNow(), out var until))
            {
                Refusal = $"its key {keyId.ToShortString()} is banned until {until:O}";
                return false;
            }

            PeerKey = key;
            return true;
        }
    }
}
