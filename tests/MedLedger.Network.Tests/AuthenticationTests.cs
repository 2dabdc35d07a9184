using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace MedLedger.Network.Tests;

/// <summary>Only consortium keys on the same chain, speaking TLS 1.3 and this protocol version, get a connection.</summary>
public sealed class AuthenticationTests
{
    // Proves the listener refuses a dialler whose key is not in its consortium set: the listener logs the key as not a
    // consortium node key, counts the refusal, and neither side ends up connected.
    [Fact]
    public async Task DiallerNotInConsortium_IsRefusedByListener()
    {
        using var keyA = TestNode.NewKey();
        using var keyOutsider = TestNode.NewKey();
        await using var a = TestNode.Start(TestNode.Consortium(keyA), TestChain.Options(), keyA);
        await using var outsider = TestNode.Start(TestNode.Consortium(keyA, keyOutsider), TestChain.Options([a.Address]), keyOutsider);

        await TestChain.Eventually(() => a.Logger.Contains($"its key {outsider.KeyId.ToShortString()} is not a consortium node key"), "A refused the outsider");
        await TestChain.Eventually(() => outsider.Logger.Contains("Refused connection with"), "the outsider saw its connection fail");
        Assert.Empty(a.Network.ConnectedPeers);
        Assert.Empty(outsider.Network.ConnectedPeers);
        Assert.True(a.Network.GetStatus().Counters.ConnectionsRefused >= 1);
        Assert.Empty(a.Handler.Events);
    }

    // Proves the dialler refuses a listener whose key is not in its consortium set, even though the listener would accept it.
    [Fact]
    public async Task ListenerNotInConsortium_IsRefusedByDialler()
    {
        using var keyA = TestNode.NewKey();
        using var keyOutsider = TestNode.NewKey();
        await using var outsider = TestNode.Start(TestNode.Consortium(keyA, keyOutsider), TestChain.Options(), keyOutsider);
        await using var a = TestNode.Start(TestNode.Consortium(keyA), TestChain.Options([outsider.Address]), keyA);

        await TestChain.Eventually(() => a.Logger.Contains($"its key {outsider.KeyId.ToShortString()} is not a consortium node key"), "A refused the outsider's certificate");
        Assert.Empty(a.Network.ConnectedPeers);
        Assert.Empty(outsider.Network.ConnectedPeers);
        Assert.Empty(outsider.Handler.Events);
    }

    // Proves a peer on another chain id is refused with the reason logged on both sides, without a penalty (a
    // misconfiguration is not misbehaviour).
    [Fact]
    public async Task DifferentChainId_IsRefusedWithReason()
    {
        using var keyA = TestNode.NewKey();
        using var keyB = TestNode.NewKey();
        var consortium = TestNode.Consortium(keyA, keyB);
        await using var a = TestNode.Start(consortium, TestChain.Options(), keyA);
        await using var b = TestNode.Start(consortium, TestChain.Options([a.Address], chainId: "another-chain"), keyB);

        await TestChain.Eventually(() => a.Logger.Contains($"its chain id 'another-chain' differs from '{TestChain.ChainId}'"), "A logged the chain id mismatch");
        await TestChain.Eventually(() => b.Logger.Contains($"its chain id '{TestChain.ChainId}' differs from 'another-chain'"), "B logged the chain id mismatch");
        Assert.Empty(a.Network.ConnectedPeers);
        Assert.Empty(b.Network.ConnectedPeers);
        Assert.Equal(0, a.Network.GetStatus().Counters.ProtocolViolations);
        Assert.Empty(a.Network.GetStatus().Bans);
    }

    // Proves a peer with the same chain id but another genesis hash is refused with the reason logged.
    [Fact]
    public async Task DifferentGenesisHash_IsRefusedWithReason()
    {
        using var keyA = TestNode.NewKey();
        using var keyB = TestNode.NewKey();
        var consortium = TestNode.Consortium(keyA, keyB);
        var otherGenesis = MedLedger.Crypto.CryptoSuites.Standard.Hash("another genesis"u8);
        await using var a = TestNode.Start(consortium, TestChain.Options(), keyA);
        await using var b = TestNode.Start(consortium, TestChain.Options([a.Address], genesis: otherGenesis), keyB);

        await TestChain.Eventually(() => a.Logger.Contains($"its genesis hash {otherGenesis.ToShortString()} differs from {TestChain.Genesis.ToShortString()}"), "A logged the genesis mismatch");
        await TestChain.Eventually(() => b.Logger.Contains($"its genesis hash {TestChain.Genesis.ToShortString()} differs"), "B logged the genesis mismatch");
        Assert.Empty(a.Network.ConnectedPeers);
        Assert.Empty(b.Network.ConnectedPeers);
    }

    // Proves the listener speaks only TLS 1.3: an authorised client offering only TLS 1.2 fails the TLS handshake, while
    // the same client offering TLS 1.3 succeeds (so the failure is the version, not the harness).
    [Fact]
    public async Task ClientOfferingOnlyTls12_IsRefused()
    {
        using var keyA = TestNode.NewKey();
        using var keyClient = TestNode.NewKey();
        await using var a = TestNode.Start(TestNode.Consortium(keyA, keyClient), TestChain.Options(), keyA);

        var failure = await Record.ExceptionAsync(() => RawPeer.ConnectAsync(a.Network.LocalEndpoint!, keyClient, SslProtocols.Tls12));
        Assert.True(failure is AuthenticationException or IOException, $"unexpected {failure?.GetType().Name ?? "success"}");
        await TestChain.Eventually(() => a.Logger.Contains("the TLS handshake failed"), "A logged the failed TLS handshake");

        await using var control = await RawPeer.ConnectAsync(a.Network.LocalEndpoint!, keyClient, SslProtocols.Tls13);
        Assert.Equal(SslProtocols.Tls13, control.Stream.SslProtocol);
    }

    // Proves the dialler speaks only TLS 1.3: a seed that accepts only TLS 1.2 (with an authorised key) fails its
    // server-side handshake, and the dialler logs the failure and never connects.
    [Fact]
    public async Task ListenerOfferingOnlyTls12_IsRefusedByDialler()
    {
        using var keyA = TestNode.NewKey();
        using var keyServer = TestNode.NewKey();
        using var certificate = PeerCertificate.Create(keyServer, DateTimeOffset.UtcNow, TimeSpan.FromHours(1));
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var endpoint = (IPEndPoint)listener.LocalEndpoint;
            await using var a = TestNode.Start(TestNode.Consortium(keyA, keyServer), TestChain.Options([endpoint.ToString()]), keyA);

            using var socket = await listener.AcceptSocketAsync().WaitAsync(TestChain.Patience);
            await using var server = new SslStream(new NetworkStream(socket, ownsSocket: false));
            var failure = await Record.ExceptionAsync(() => server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = SslStreamCertificateContext.Create(certificate, null, offline: true),
                ClientCertificateRequired = true,
                EnabledSslProtocols = SslProtocols.Tls12,
                RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null,
            }).WaitAsync(TestChain.Patience));
            Assert.True(failure is AuthenticationException or IOException, $"unexpected {failure?.GetType().Name ?? "success"}");
            await TestChain.Eventually(() => a.Logger.Contains("the TLS handshake failed"), "A logged the failed TLS handshake");
            Assert.Empty(a.Network.ConnectedPeers);
        }
        finally
        {
            listener.Stop();
        }
    }

    // Proves a node that finds its own address among its seeds recognises itself by key, stops dialling it, and has no peer.
    [Fact]
    public async Task OwnAddressAsSeed_IsRecognised_AndNotDialledAgain()
    {
        using var keyA = TestNode.NewKey();
        await using var a = TestNode.Start(TestNode.Consortium(keyA), TestChain.Options(), keyA);
        a.Network.AddSeed(a.Address);

        await TestChain.Eventually(() => a.Logger.Contains($"Seed {a.Address} is this node itself"), "A recognised itself");
        Assert.Empty(a.Network.ConnectedPeers);
        Assert.Empty(a.Handler.Events);
    }

    // Proves the handshake is bound to the TLS key: a peer whose handshake names another key id than its certificate
    // carries is refused as a protocol violation and penalised.
    [Fact]
    public async Task HandshakeNamingAnotherKeyId_IsAViolation()
    {
        using var keyA = TestNode.NewKey();
        using var keyRaw = TestNode.NewKey();
        using var keyOther = TestNode.NewKey();
        await using var a = TestNode.Start(TestNode.Consortium(keyA, keyRaw, keyOther), TestChain.Options(), keyA);
        await using var raw = await RawPeer.ConnectAsync(a.Network.LocalEndpoint!, keyRaw);
        var otherKeyId = MedLedger.Crypto.CryptoSuites.Standard.Hash(keyOther.PublicKey.Span);

        await raw.SendHandshakeAsync(new HandshakeMessage(NetworkLimits.ProtocolVersion, TestChain.ChainId, TestChain.Genesis, otherKeyId, "raw:1"));

        Assert.True(await raw.WaitForCloseAsync());
        await TestChain.Eventually(() => a.Logger.Contains($"names key id {otherKeyId.ToShortString()} but its certificate carries {raw.KeyId.ToShortString()}"), "A logged the mismatch");
        Assert.Equal(1, a.Network.GetStatus().Counters.ProtocolViolations);
        Assert.Empty(a.Network.ConnectedPeers);
    }

    // Proves a peer speaking another protocol version is refused as such (with both versions in the log), not
    // penalised as malformed.
    [Fact]
    public async Task OtherProtocolVersion_IsRefusedWithoutPenalty()
    {
        using var keyA = TestNode.NewKey();
        using var keyRaw = TestNode.NewKey();
        await using var a = TestNode.Start(TestNode.Consortium(keyA, keyRaw), TestChain.Options(), keyA);
        await using var raw = await RawPeer.ConnectAsync(a.Network.LocalEndpoint!, keyRaw);

        await raw.SendHandshakeAsync(new HandshakeMessage(NetworkLimits.ProtocolVersion + 1, TestChain.ChainId, TestChain.Genesis, raw.KeyId, "raw:1"));

        Assert.True(await raw.WaitForCloseAsync());
        await TestChain.Eventually(() => a.Logger.Contains($"it speaks protocol version {NetworkLimits.ProtocolVersion + 1}, this node {NetworkLimits.ProtocolVersion}"), "A logged the version mismatch");
        Assert.Equal(0, a.Network.GetStatus().Counters.ProtocolViolations);
    }

    // Proves membership is re-checked: after B's key leaves A's consortium set, RevalidatePeers disconnects B with the
    // reason logged, and B's redials are then refused at TLS.
    [Fact]
    public async Task RevalidatePeers_DisconnectsAPeerThatLeftTheConsortium()
    {
        using var keyA = TestNode.NewKey();
        using var keyB = TestNode.NewKey();
        var consortiumOfA = TestNode.Consortium(keyA, keyB);
        await using var a = TestNode.Start(consortiumOfA, TestChain.Options(), keyA);
        await using var b = TestNode.Start(TestNode.Consortium(keyA, keyB), TestChain.Options([a.Address]), keyB);
        await TestChain.Eventually(() => a.IsConnectedTo(b) && b.IsConnectedTo(a), "A and B are connected");

        // 1. B leaves A's consortium; nothing happens until A revalidates.
        consortiumOfA.Replace([keyA.PublicKey]);
        a.Network.RevalidatePeers();

        // 2. A drops B with the reason, and refuses B's redials.
        await TestChain.Eventually(() => a.Logger.Contains($"Disconnected from peer {b.KeyId}: no longer a consortium node"), "A dropped B");
        await TestChain.Eventually(() => a.Logger.Contains($"its key {b.KeyId.ToShortString()} is not a consortium node key"), "A refused B's redial");
        Assert.False(a.IsConnectedTo(b));
        Assert.Contains((b.KeyId, false), a.Handler.Events);
    }
}
