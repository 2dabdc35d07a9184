using MedLedger.Core;

namespace MedLedger.Network;

/// <summary>
/// The peer protocol's fixed numbers and the defaults of its configurable limits (docs/network.md). The
/// configurable ones are set per node in <see cref="NetworkOptions"/>; these constants are what the options start
/// from and what the encodings are frozen against.
/// </summary>
public static class NetworkLimits
{
    /// <summary>
    /// The peer protocol version this build speaks; peers must speak exactly the same one. 2 since the node's message
    /// types 22-24 (transaction batches, compact proposals, proposal requests): a version-1 node would count them as
    /// unregistered frames and disconnect, so mixed versions are refused at the handshake instead, without penalty.
    /// </summary>
    public const ushort ProtocolVersion = 2;

    /// <summary>
    /// Default largest frame body (type byte and payload, after the 4-byte length): a full block body of
    /// <see cref="Limits.MaxBlockBytes"/> plus 64 KiB for its header, commit certificate and framing.
    /// </summary>
    public const int DefaultMaxFrameBytes = Limits.MaxBlockBytes + (64 * 1024);

    /// <summary>Largest handshake payload; a valid one is at most 2 + 4 + 64 + 32 + 32 + 4 + 255 = 393 bytes.</summary>
    public const int MaxHandshakeBytes = 512;

    /// <summary>Longest advertised listening address (<c>host:port</c>) in a handshake, in UTF-8 bytes.</summary>
    public const int MaxAddressBytes = 255;

    /// <summary>Default most connected peers (one connection each); a consortium is bounded by its validator set and a few observers.</summary>
    public const int DefaultMaxPeers = Limits.MaxValidators;

    /// <summary>Default most messages waiting in one peer's send queue.</summary>
    public const int DefaultSendQueueMessages = 4_096;

    /// <summary>Default most bytes waiting in one peer's send queue: room for a few full-size block frames.</summary>
    public const long DefaultSendQueueBytes = 4L * DefaultMaxFrameBytes;

    /// <summary>Default number of gossip payload hashes remembered for de-duplication.</summary>
    public const int DefaultGossipCacheEntries = 262_144;
}
