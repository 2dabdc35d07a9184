using System.Net;
using System.Text;
using MedLedger.Core;

namespace MedLedger.Network;

/// <summary>
/// Everything a <see cref="PeerNetwork"/> is configured with. The defaults suit a consortium of a few dozen nodes
/// on a LAN or WAN; docs/network.md explains each limit and penalty. <see cref="Validate"/> runs in the
/// <see cref="PeerNetwork"/> constructor.
/// </summary>
public sealed class NetworkOptions
{
    /// <summary>The chain id from genesis; peers with another one are refused.</summary>
    public required string ChainId { get; init; }

    /// <summary>The genesis hash; peers with another one are refused.</summary>
    public required Hash GenesisHash { get; init; }

    /// <summary>Where to listen (port 0 picks a free port); null for a node that only dials.</summary>
    public IPEndPoint? ListenEndpoint { get; init; }

    /// <summary>The <c>host:port</c> told to peers in the handshake; defaults to the bound listening endpoint.</summary>
    public string? AdvertisedAddress { get; init; }

    /// <summary>Addresses (<c>host:port</c>) to dial and keep dialling; this node's own address may be among them.</summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];

    /// <summary>The application message types this node accepts and sends (codes 16–255).</summary>
    public IReadOnlyList<MessageTypeDefinition> MessageTypes { get; init; } = [];

    /// <summary>Largest frame body (type byte and payload); a longer frame disconnects the sender.</summary>
    public int MaxFrameBytes { get; init; } = NetworkLimits.DefaultMaxFrameBytes;

    /// <summary>Most connected peers.</summary>
    public int MaxPeers { get; init; } = NetworkLimits.DefaultMaxPeers;

    /// <summary>Most inbound connections still in TLS or the handshake; more are closed at once (unauthenticated load).</summary>
    public int MaxPendingHandshakes { get; init; } = 32;

    /// <summary>Time allowed for TLS and the handshake exchange together.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time allowed for a TCP connect.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A connection quiet (in the sending direction) for this long sends a ping.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A connection from which nothing arrived for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>First wait before redialling a seed; doubles after each failure up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectInitialDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between dials of one seed.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Most messages queued for one peer; one more disconnects it (see docs/network.md, "Send queues").</summary>
    public int SendQueueMessages { get; init; } = NetworkLimits.DefaultSendQueueMessages;

    /// <summary>Most payload bytes queued for one peer; more disconnects it.</summary>
    public long SendQueueBytes { get; init; } = NetworkLimits.DefaultSendQueueBytes;

    /// <summary>Sustained inbound messages per second allowed from one peer.</summary>
    public double InboundMessagesPerSecond { get; init; } = 20_000;

    /// <summary>Inbound messages one peer may send in a burst above the sustained rate.</summary>
    public double InboundMessageBurst { get; init; } = 40_000;

    /// <summary>Sustained inbound bytes per second allowed from one peer (frames with headers).</summary>
    public double InboundBytesPerSecond { get; init; } = 256.0 * 1024 * 1024;

    /// <summary>Inbound bytes one peer may send in a burst; at least one largest frame.</summary>
    public double InboundByteBurst { get; init; } = 2.0 * (NetworkLimits.DefaultMaxFrameBytes + FrameCodec.HeaderBytes);

    /// <summary>Penalty for a malformed handshake, an oversized or empty frame, or an unknown type (each also disconnects).</summary>
    public double ProtocolViolationPenalty { get; init; } = 50;

    /// <summary>Penalty for each message dropped by the inbound rate limit.</summary>
    public double RateLimitPenalty { get; init; } = 10;

    /// <summary>Penalty when the handler answers <see cref="MessageVerdict.Reject"/>.</summary>
    public double InvalidMessagePenalty { get; init; } = 20;

    /// <summary>A peer whose score reaches this is disconnected and banned for <see cref="BanDuration"/>.</summary>
    public double BanThreshold { get; init; } = 100;

    /// <summary>How long a banned key is refused.</summary>
    public TimeSpan BanDuration { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Points a score loses per minute, so that rare faults of a long-lived peer do not add up to a ban.</summary>
    public double PenaltyDecayPerMinute { get; init; } = 10;

    /// <summary>Gossip payload hashes remembered for de-duplication (oldest forgotten first).</summary>
    public int GossipCacheEntries { get; init; } = NetworkLimits.DefaultGossipCacheEntries;

    /// <summary>Validity of the derived TLS certificate; it is re-derived after half of it. Peers do not check dates.</summary>
    public TimeSpan CertificateValidity { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent setting.</summary>
    public void Validate()
    {
        Require(!string.IsNullOrEmpty(ChainId) && Encoding.UTF8.GetByteCount(ChainId) <= Limits.MaxChainIdBytes, nameof(ChainId), $"must be 1..{Limits.MaxChainIdBytes} UTF-8 bytes");
        Require(AdvertisedAddress is null || Encoding.UTF8.GetByteCount(AdvertisedAddress) <= NetworkLimits.MaxAddressBytes, nameof(AdvertisedAddress), $"must be at most {NetworkLimits.MaxAddressBytes} UTF-8 bytes");
        Require(Seeds is not null && Seeds.All(s => PeerAddress.TryParse(s, out _)), nameof(Seeds), "must all be host:port");
        Require(MaxFrameBytes >= NetworkLimits.MaxHandshakeBytes + 1, nameof(MaxFrameBytes), $"must be at least {NetworkLimits.MaxHandshakeBytes + 1}");
        Require(MaxPeers > 0 && MaxPendingHandshakes > 0, nameof(MaxPeers), "and MaxPendingHandshakes must be positive");
        Require(HandshakeTimeout > TimeSpan.Zero && ConnectTimeout > TimeSpan.Zero, nameof(HandshakeTimeout), "and ConnectTimeout must be positive");
        Require(PingInterval > TimeSpan.Zero && IdleTimeout > PingInterval, nameof(IdleTimeout), "must be longer than a positive PingInterval");
        Require(ReconnectInitialDelay > TimeSpan.Zero && ReconnectMaxDelay >= ReconnectInitialDelay, nameof(ReconnectMaxDelay), "must be at least a positive ReconnectInitialDelay");
        Require(SendQueueMessages > 0, nameof(SendQueueMessages), "must be positive");
        Require(SendQueueBytes >= MaxFrameBytes, nameof(SendQueueBytes), "must hold at least one largest frame");
        Require(InboundMessagesPerSecond > 0 && InboundMessageBurst >= 1, nameof(InboundMessageBurst), "must be at least 1 with a positive rate");
        Require(InboundBytesPerSecond > 0 && InboundByteBurst >= (double)MaxFrameBytes + 4, nameof(InboundByteBurst), "must hold at least one largest frame with a positive rate");
        Require(ProtocolViolationPenalty >= 0 && RateLimitPenalty >= 0 && InvalidMessagePenalty >= 0, nameof(ProtocolViolationPenalty), "and the other penalties must not be negative");
        Require(BanThreshold > 0 && BanDuration > TimeSpan.Zero && PenaltyDecayPerMinute >= 0, nameof(BanThreshold), "and BanDuration must be positive, PenaltyDecayPerMinute not negative");
        Require(GossipCacheEntries > 0, nameof(GossipCacheEntries), "must be positive");
        Require(CertificateValidity >= TimeSpan.FromMinutes(10), nameof(CertificateValidity), "must be at least 10 minutes");
        Require(MessageTypes is not null, nameof(MessageTypes), "must be set");

        var codes = new HashSet<byte>();
        foreach (var type in MessageTypes!)
        {
            Require(type is not null && type.Code >= TransportMessageTypes.FirstApplicationType, nameof(MessageTypes), $"codes must be {TransportMessageTypes.FirstApplicationType}..255 (lower codes are the transport's)");
            Require(codes.Add(type!.Code), nameof(MessageTypes), $"code {type.Code} is defined twice");
            Require(type.MaxPayloadBytes >= 0 && type.MaxPayloadBytes <= MaxFrameBytes - 1, nameof(MessageTypes), $"'{type.Name}' payload limit must be 0..MaxFrameBytes - 1");
            Require(type.Delivery is MessageDelivery.Direct or MessageDelivery.Gossip, nameof(MessageTypes), $"'{type.Name}' has no valid delivery");
        }
    }

    private static void Require(bool condition, string name, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"Network option {name} {rule}.", name);
        }
    }
}
