using System.Buffers.Binary;

namespace MedLedger.Network;

/// <summary>
/// The frame layout on the wire (docs/network.md): a big-endian u32 <c>length</c> counting the bytes that follow
/// it, then one message-type byte, then <c>length − 1</c> payload bytes. A frame body is never empty (the type byte
/// is always there), so a length of 0 is malformed.
/// </summary>
public static class FrameCodec
{
    /// <summary>Bytes before the payload: the 4-byte length and the type byte.</summary>
    public const int HeaderBytes = 5;

    /// <summary>Writes the header of a frame carrying <paramref name="payloadLength"/> bytes of type <paramref name="type"/>.</summary>
    public static void WriteHeader(Span<byte> destination, byte type, int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, HeaderBytes);
        BinaryPrimitives.WriteUInt32BigEndian(destination, checked((uint)payloadLength + 1));
        destination[4] = type;
    }

    /// <summary>Encodes a whole frame into a new array (for small frames and tests; the network writes header and payload separately).</summary>
    public static byte[] Encode(byte type, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderBytes + payload.Length];
        WriteHeader(frame, type, payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderBytes));
        return frame;
    }

    /// <summary>Reads the frame body length (type byte and payload) from the first four header bytes.</summary>
    public static uint ReadBodyLength(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadUInt32BigEndian(header);
}

/// <summary>
/// Message types the transport itself uses. Codes 0–15 are reserved for the transport; the node registers its own
/// types (transactions, consensus, block sync) with codes 16–255 in <see cref="NetworkOptions.MessageTypes"/>.
/// </summary>
public static class TransportMessageTypes
{
    /// <summary>The first frame each side sends after TLS: a <see cref="HandshakeMessage"/>. Never valid afterwards.</summary>
    public const byte Handshake = 1;

    /// <summary>Keep-alive with an empty payload, sent when a connection has been quiet for a ping interval.</summary>
    public const byte Ping = 2;

    /// <summary>The lowest code an application message type may use.</summary>
    public const byte FirstApplicationType = 16;
}
