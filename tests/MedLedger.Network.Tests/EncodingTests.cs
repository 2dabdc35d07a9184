using MedLedger.Core;

namespace MedLedger.Network.Tests;

/// <summary>The wire formats are frozen: golden bytes for the frame header and the handshake, and strict decoding.</summary>
public sealed class EncodingTests
{
    private static readonly Hash Genesis = Hash.Parse(new string('a', 64));
    private static readonly Hash KeyId = Hash.Parse(new string('b', 64));

    // Proves the frame header layout: big-endian u32 of (1 + payload length), then the type byte, then the payload.
    [Fact]
    public void Frame_Encoding_IsFrozen()
    {
        Assert.Equal("0000000410010203", Convert.ToHexStringLower(FrameCodec.Encode(0x10, [1, 2, 3])));
        Assert.Equal("0000000102", Convert.ToHexStringLower(FrameCodec.Encode(TransportMessageTypes.Ping, [])));
        Assert.Equal(4u, FrameCodec.ReadBodyLength([0, 0, 0, 4, 0x10]));
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameCodec.WriteHeader(new byte[4], 0x10, 0));
    }

    // Proves the transport's codes and the protocol version never change silently.
    [Fact]
    public void TransportCodesAndVersion_AreFrozen()
    {
        Assert.Equal(1, TransportMessageTypes.Handshake);
        Assert.Equal(2, TransportMessageTypes.Ping);
        Assert.Equal(16, TransportMessageTypes.FirstApplicationType);
        Assert.Equal(2, NetworkLimits.ProtocolVersion); // 2: the node's message types 22-24 (docs/network.md)
        Assert.Equal(1, (int)MessageVerdict.Accept);
        Assert.Equal(2, (int)MessageVerdict.Ignore);
        Assert.Equal(3, (int)MessageVerdict.Reject);
    }

    // Proves the handshake layout field by field: version u16, chain id string, genesis, key id, listen address string.
    [Fact]
    public void Handshake_Encoding_IsFrozen()
    {
        var encoded = new HandshakeMessage(1, "med", Genesis, KeyId, "h:1").Encode();

        var expected = "0001" + "00000003" + "6d6564" + new string('a', 64) + new string('b', 64) + "00000003" + "683a31";
        Assert.Equal(expected, Convert.ToHexStringLower(encoded));
        Assert.Equal(new HandshakeMessage(1, "med", Genesis, KeyId, "h:1"), HandshakeMessage.Decode(encoded));
    }

    // Proves the largest possible handshake (64-byte chain id, 255-byte address) fits the handshake limit.
    [Fact]
    public void Handshake_LargestValid_FitsTheLimit()
    {
        var largest = new HandshakeMessage(1, new string('c', Limits.MaxChainIdBytes), Genesis, KeyId, new string('d', NetworkLimits.MaxAddressBytes)).Encode();

        Assert.Equal(393, largest.Length);
        Assert.True(largest.Length <= NetworkLimits.MaxHandshakeBytes);
    }

    // Proves decoding is strict: truncation, trailing bytes, an over-long chain id or address, and invalid UTF-8 are
    // rejected with DecodingException.
    [Fact]
    public void Handshake_Decode_RejectsMalformedInput()
    {
        var valid = new HandshakeMessage(1, "med", Genesis, KeyId, "h:1").Encode();

        Assert.Throws<DecodingException>(() => HandshakeMessage.Decode(valid.AsSpan(0, valid.Length - 1)));
        Assert.Throws<DecodingException>(() => HandshakeMessage.Decode([.. valid, 0]));
        Assert.Throws<DecodingException>(() => HandshakeMessage.Decode(new HandshakeMessage(1, new string('c', Limits.MaxChainIdBytes + 1), Genesis, KeyId, "h:1").EncodeUnchecked()));
        Assert.Throws<DecodingException>(() => HandshakeMessage.Decode(new HandshakeMessage(1, "med", Genesis, KeyId, new string('d', NetworkLimits.MaxAddressBytes + 1)).EncodeUnchecked()));
        var badUtf8 = (byte[])valid.Clone();
        badUtf8[6] = 0xFF;
        Assert.Throws<DecodingException>(() => HandshakeMessage.Decode(badUtf8));
        Assert.Throws<DecodingException>(() => HandshakeMessage.Decode(new byte[NetworkLimits.MaxHandshakeBytes + 1]));
        Assert.False(HandshakeMessage.TryReadVersion([1], out _));
        Assert.True(HandshakeMessage.TryReadVersion(valid, out var version));
        Assert.Equal(1, version);
    }

    // Proves the default frame limit leaves room for a full block plus its header and certificate, and that the default
    // byte burst admits the largest frame (otherwise an honest largest frame could never pass the rate limit).
    [Fact]
    public void Limits_FitTheirContents()
    {
        Assert.True(NetworkLimits.DefaultMaxFrameBytes > Limits.MaxBlockBytes + (Limits.MaxValidators * (Hash.Size + 4 + Limits.MaxSignatureBytes)));
        Assert.True(NetworkLimits.DefaultSendQueueBytes >= NetworkLimits.DefaultMaxFrameBytes);
        var defaults = TestChain.Options();
        Assert.True(defaults.InboundByteBurst >= defaults.MaxFrameBytes + FrameCodec.HeaderBytes);
        defaults.Validate();
    }
}

/// <summary>Encodes handshakes that <see cref="HandshakeMessage.Encode"/> refuses, to test the decoder's limits.</summary>
internal static class HandshakeMessageTestExtensions
{
    public static byte[] EncodeUnchecked(this HandshakeMessage message)
    {
        var writer = new CanonicalWriter();
        writer.WriteUInt16(message.ProtocolVersion);
        writer.WriteString(message.ChainId);
        writer.WriteHash(message.GenesisHash);
        writer.WriteHash(message.KeyId);
        writer.WriteString(message.ListenAddress);
        return writer.ToArray();
    }
}
