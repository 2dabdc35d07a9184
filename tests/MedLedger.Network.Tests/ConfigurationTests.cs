using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MedLedger.Crypto;

namespace MedLedger.Network.Tests;

/// <summary>Options validation, the consortium key set, and certificates derived from node keys.</summary>
public sealed class ConfigurationTests
{
    public static TheoryData<string, Func<NetworkOptions, NetworkOptions>> BadOptions => new()
    {
        { "reserved type code", o => With(o, types: [new MessageTypeDefinition(TransportMessageTypes.Ping, "ping", MessageDelivery.Direct, 0)]) },
        { "duplicate type code", o => With(o, types: [new MessageTypeDefinition(20, "a", MessageDelivery.Direct, 1), new MessageTypeDefinition(20, "b", MessageDelivery.Gossip, 1)]) },
        { "payload over frame", o => With(o, types: [new MessageTypeDefinition(20, "a", MessageDelivery.Direct, NetworkLimits.DefaultMaxFrameBytes)]) },
        { "undefined delivery", o => With(o, types: [new MessageTypeDefinition(20, "a", (MessageDelivery)9, 1)]) },
        { "long chain id", o => With(o, chainId: new string('x', MedLedger.Core.Limits.MaxChainIdBytes + 1)) },
        { "empty chain id", o => With(o, chainId: string.Empty) },
        { "bad seed", o => With(o, seeds: ["localhost"]) },
        { "seed with bad port", o => With(o, seeds: ["localhost:70000"]) },
        { "byte burst below a frame", o => With(o, byteBurst: 1024) },
        { "idle timeout below ping", o => With(o, idle: TimeSpan.FromSeconds(5)) },
    };

    // Proves each inconsistent setting is refused by the constructor with ArgumentException.
    [Theory]
    [MemberData(nameof(BadOptions))]
    public void PeerNetwork_RefusesInconsistentOptions(string what, Func<NetworkOptions, NetworkOptions> spoil)
    {
        using var key = TestNode.NewKey();
        var options = spoil(TestChain.Options());

        var failure = Record.Exception(() => new PeerNetwork(options, key, CryptoSuites.Standard, TestNode.Consortium(key), new RecordingHandler(), TimeProvider.System, new CollectingLogger()));

        Assert.True(failure is ArgumentException, $"{what}: {failure?.GetType().Name ?? "accepted"}");
    }

    // Proves the seed formats accepted: IPv4, bracketed IPv6 and DNS names with a port.
    [Fact]
    public void Seeds_AcceptIPv4IPv6AndNames()
    {
        With(TestChain.Options(), seeds: ["127.0.0.1:7000", "[::1]:7000", "node-2.hospital.example:7000"]).Validate();
    }

    // Proves the certificate carries exactly the node's on-chain key, is self-signed with the requested validity, and
    // has a private key that SslStream can use.
    [Fact]
    public void PeerCertificate_CarriesTheNodeKey()
    {
        using var key = TestNode.NewKey();
        var now = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

        using var certificate = PeerCertificate.Create(key, now, TimeSpan.FromDays(1));

        Assert.Equal(key.PublicKey.ToArray(), PeerCertificate.TryGetPublicKey(certificate));
        Assert.True(certificate.HasPrivateKey);
        Assert.Equal(certificate.Subject, certificate.Issuer);
        Assert.Equal(now.AddHours(-1).UtcDateTime, certificate.NotBefore.ToUniversalTime());
        Assert.Equal(now.AddDays(1).UtcDateTime, certificate.NotAfter.ToUniversalTime());
        using var ecdsa = certificate.GetECDsaPrivateKey()!;
        var signature = ecdsa.SignData("probe"u8, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        Assert.True(CryptoSuites.Standard.Verify(key.PublicKey.Span, "probe"u8, signature));
    }

    // Proves only P-256 ECDSA certificates yield a key: RSA and P-384 certificates give null.
    [Fact]
    public void PeerCertificate_TryGetPublicKey_RejectsOtherKeyTypes()
    {
        using var rsa = RSA.Create(2048);
        using var rsaCertificate = new CertificateRequest("CN=rsa", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1));
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var p384Certificate = new CertificateRequest("CN=p384", p384, HashAlgorithmName.SHA384)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1));

        Assert.Null(PeerCertificate.TryGetPublicKey(rsaCertificate));
        Assert.Null(PeerCertificate.TryGetPublicKey(p384Certificate));
    }

    // Proves the consortium set answers by key bytes and that Replace swaps the whole membership.
    [Fact]
    public void ConsortiumKeySet_ReplacesMembership()
    {
        using var first = TestNode.NewKey();
        using var second = TestNode.NewKey();
        var set = TestNode.Consortium(first);

        Assert.True(set.IsAuthorized(first.PublicKey.ToArray()));
        Assert.False(set.IsAuthorized(second.PublicKey.Span));
        set.Replace([second.PublicKey]);
        Assert.False(set.IsAuthorized(first.PublicKey.Span));
        Assert.True(set.IsAuthorized(second.PublicKey.Span));
        Assert.Equal(1, set.Count);
    }

    private static NetworkOptions With(
        NetworkOptions o,
        IReadOnlyList<MessageTypeDefinition>? types = null,
        string? chainId = null,
        IReadOnlyList<string>? seeds = null,
        double? byteBurst = null,
        TimeSpan? idle = null) => new()
        {
            ChainId = chainId ?? o.ChainId,
            GenesisHash = o.GenesisHash,
            ListenEndpoint = o.ListenEndpoint,
            Seeds = seeds ?? o.Seeds,
            MessageTypes = types ?? o.MessageTypes,
            InboundByteBurst = byteBurst ?? o.InboundByteBurst,
            IdleTimeout = idle ?? o.IdleTimeout,
        };
}
