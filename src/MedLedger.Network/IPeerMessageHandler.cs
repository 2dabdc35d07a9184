using MedLedger.Core;

namespace MedLedger.Network;

/// <summary>
/// Receives what peers send. <see cref="HandleAsync"/> is awaited inside the sending peer's read loop, so one peer's
/// messages arrive in the order it sent them and a slow handler slows only that peer (TCP pushes back); calls for
/// different peers run concurrently, so implementations must be thread-safe. Hand heavy work to a queue and return.
/// </summary>
public interface IPeerMessageHandler
{
    /// <summary>
    /// Handles one message. For a gossip type the verdict decides relaying: only <see cref="MessageVerdict.Accept"/>
    /// relays it to the other peers. <see cref="MessageVerdict.Reject"/> also penalises the sender.
    /// </summary>
    ValueTask<MessageVerdict> HandleAsync(PeerMessage message, CancellationToken cancellationToken);

    /// <summary>A peer completed the handshake and is now connected (once per key until it disconnects). Must not block.</summary>
    void PeerConnected(Hash peer);

    /// <summary>The peer's connection closed and no other connection to it remains. Must not block.</summary>
    void PeerDisconnected(Hash peer);
}

/// <summary>One inbound message: the sender's key id, the application message type and the payload (owned by the receiver).</summary>
public readonly record struct PeerMessage(Hash Peer, byte Type, ReadOnlyMemory<byte> Payload);

/// <summary>What the handler concluded about a message.</summary>
public enum MessageVerdict
{
    /// <summary>Valid and new: a gossip message is relayed to the other peers.</summary>
    Accept = 1,

    /// <summary>Not worth relaying (e.g. already known, stale), but not the sender's fault.</summary>
    Ignore = 2,

    /// <summary>Invalid (bad encoding, bad signature): not relayed, and the sender is penalised.</summary>
    Reject = 3,
}

/// <summary>How a message type travels.</summary>
public enum MessageDelivery
{
    /// <summary>Point to point: delivered to the handler, never relayed by the network.</summary>
    Direct = 1,

    /// <summary>Flooded: de-duplicated by payload hash, delivered once, relayed once to every other peer if accepted.</summary>
    Gossip = 2,
}

/// <summary>
/// An application message type the node registers: its code (16–255), a name for logs, how it travels and its
/// largest payload. A frame of an unregistered type, or larger than its type allows, disconnects the sender.
/// </summary>
public sealed record MessageTypeDefinition(byte Code, string Name, MessageDelivery Delivery, int MaxPayloadBytes);

/// <summary>Which side opened a connection.</summary>
public enum PeerDirection
{
    /// <summary>The peer dialled this node.</summary>
    Inbound = 1,

    /// <summary>This node dialled the peer.</summary>
    Outbound = 2,
}

/// <summary>A connected peer and its traffic, for the node's status endpoint.</summary>
public sealed record PeerStatus(
    Hash KeyId,
    PeerDirection Direction,
    string RemoteEndPoint,
    string AdvertisedAddress,
    DateTimeOffset ConnectedAt,
    long MessagesReceived,
    long BytesReceived,
    long MessagesSent,
    long BytesSent,
    int SendQueueMessages,
    long SendQueueBytes,
    long RateLimitedMessages,
    double PenaltyScore);

/// <summary>A key refused until <paramref name="Until"/> after repeated violations.</summary>
public sealed record BannedPeer(Hash KeyId, DateTimeOffset Until);

/// <summary>Counters since start, across all peers.</summary>
public sealed record NetworkCounters(
    long ConnectionsRefused,
    long ProtocolViolations,
    long RateLimitedMessages,
    long SendQueueOverflows,
    long GossipDelivered,
    long GossipDuplicates,
    long GossipRelayed);

/// <summary>
/// The network as a status endpoint shows it. <paramref name="ConnectionsOpening"/> counts connections being dialled or
/// in TLS and the handshake (both directions), not yet connected peers.
/// </summary>
public sealed record NetworkStatus(Hash LocalKeyId, string? ListenEndpoint, IReadOnlyList<PeerStatus> Peers, int ConnectionsOpening, IReadOnlyList<BannedPeer> Bans, NetworkCounters Counters);
