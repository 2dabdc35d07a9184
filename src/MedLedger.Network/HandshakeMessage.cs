using System.Buffers.Binary;
using MedLedger.Core;

namespace MedLedger.Network;

/// <summary>
/// What each side says first, inside TLS: the protocol version, the chain it belongs to (chain id and genesis hash),
/// its key id (which must be the hash of the key its certificate carries) and the address it listens on.
/// Encoding (frozen by golden tests): version <c>u16</c> ‖ chain id <c>string</c> (≤ <see cref="Limits.MaxChainIdBytes"/>)
/// ‖ genesis <c>hash</c> ‖ key id <c>hash</c> ‖ listen address <c>string</c> (≤ <see cref="NetworkLimits.MaxAddressBytes"/>,
/// may be empty). The version comes first so that a peer speaking another version can be told apart from a
/// malformed message.
/// </summary>
public sealed record HandshakeMessage(ushort ProtocolVersion, string ChainId, Hash GenesisHash, Hash KeyId, string ListenAddress)
{
    /// <summary>Encodes the message as a handshake frame payload.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(128);
        writer.WriteUInt16(ProtocolVersion);
        writer.WriteString(ChainId);
        writer.WriteHash(GenesisHash);
        writer.WriteHash(KeyId);
        writer.WriteString(ListenAddress);
        var encoded = writer.ToArray();
        if (encoded.Length > NetworkLimits.MaxHandshakeBytes)
        {
            throw new ArgumentException("The chain id or listen address is too long for a handshake.");
        }

        return encoded;
    }

    /// <summary>Reads only the leading protocol version, so that any other version is refused as such and not as malformed.</summary>
    public static bool TryReadVersion(ReadOnlySpan<byte> payload, out ushort version)
    {
        version = 0;
        if (payload.Length < sizeof(ushort))
        {
            return false;
        }

        version = BinaryPrimitives.ReadUInt16BigEndian(payload);
        return true;
    }

    /// <summary>Decodes a handshake payload strictly; throws <see cref="DecodingException"/> for anything malformed.</summary>
    public static HandshakeMessage Decode(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > NetworkLimits.MaxHandshakeBytes)
        {
            throw new DecodingException($"A handshake of {payload.Length} bytes exceeds the limit of {NetworkLimits.MaxHandshakeBytes}.");
        }

        var reader = new CanonicalReader(payload);
        var version = reader.ReadUInt16();
        var chainId = reader.ReadString(Limits.MaxChainIdBytes);
        var genesis = reader.ReadHash();
        var keyId = reader.ReadHash();
        var address = reader.ReadString(NetworkLimits.MaxAddressBytes);
        reader.EnsureEnd();
        return new HandshakeMessage(version, chainId, genesis, keyId, address);
    }
}
