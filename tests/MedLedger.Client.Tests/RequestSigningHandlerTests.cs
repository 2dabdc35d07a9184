using System.Globalization;
using MedLedger.Crypto;

namespace MedLedger.Client.Tests;

public sealed class RequestSigningHandlerTests : IDisposable
{
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 9, 30, 0, TimeSpan.Zero);

    private readonly ISigningKey _key = Suite.GenerateSigningKey();
    private readonly FakeNode _node = new();
    private readonly ManualTime _time = new(Now);

    public void Dispose()
    {
        _key.Dispose();
        _node.Dispose();
    }

    [Fact]
    public async Task Post_CarriesTheFiveHeaders_AndASignatureThatVerifies()
    {
        // A POST with a body gets the key id, created = the clock, expires = created + 60 s, a 32-hex nonce and a
        // signature that verifies, with the real suite, over the chain id, method, path and query, times, nonce and
        // the hash of the exact body bytes sent.
        using var http = CreateHttp();
        var body = "{\"x\":1}"u8.ToArray();

        using var response = await http.PostAsync(new Uri("api/v1/records?wait=commit", UriKind.Relative), new ByteArrayContent(body));

        var sent = Assert.Single(_node.RequestsBeyondStatus);
        Assert.Equal(Suite.Hash(_key.PublicKey.Span).ToString(), sent.Headers[RequestSignature.KeyHeader]);
        var created = long.Parse(sent.Headers[RequestSignature.CreatedHeader], CultureInfo.InvariantCulture);
        var expires = long.Parse(sent.Headers[RequestSignature.ExpiresHeader], CultureInfo.InvariantCulture);
        Assert.Equal(Now.ToUnixTimeMilliseconds(), created);
        Assert.Equal(created + 60_000, expires);
        Assert.True(RequestSignature.IsWellFormedNonce(sent.Headers[RequestSignature.NonceHeader]));
        Assert.Equal(body, sent.Body);
        Assert.True(Verifies(sent, FakeNode.ChainId, "POST", "/api/v1/records?wait=commit", created, expires, sent.Headers[RequestSignature.NonceHeader], sent.Body));
    }

    [Theory]
    [InlineData("chain")]
    [InlineData("method")]
    [InlineData("path")]
    [InlineData("query")]
    [InlineData("created")]
    [InlineData("expires")]
    [InlineData("nonce")]
    [InlineData("body")]
    public async Task Signature_FailsWhenAnySignedPartChanges(string part)
    {
        // The same signature checked against the request with one signed part changed must not verify.
        using var http = CreateHttp();
        using var response = await http.PostAsync(new Uri("api/v1/records?patient=ab", UriKind.Relative), new ByteArrayContent("{\"a\":2}"u8.ToArray()));
        var sent = Assert.Single(_node.RequestsBeyondStatus);
        var created = long.Parse(sent.Headers[RequestSignature.CreatedHeader], CultureInfo.InvariantCulture);
        var expires = long.Parse(sent.Headers[RequestSignature.ExpiresHeader], CultureInfo.InvariantCulture);
        var nonce = sent.Headers[RequestSignature.NonceHeader];
        Assert.True(Verifies(sent, FakeNode.ChainId, "POST", "/api/v1/records?patient=ab", created, expires, nonce, sent.Body));

        var verifies = part switch
        {
            "chain" => Verifies(sent, "other-chain", "POST", "/api/v1/records?patient=ab", created, expires, nonce, sent.Body),
            "method" => Verifies(sent, FakeNode.ChainId, "PUT", "/api/v1/records?patient=ab", created, expires, nonce, sent.Body),
            "path" => Verifies(sent, FakeNode.ChainId, "POST", "/api/v1/grants?patient=ab", created, expires, nonce, sent.Body),
            "query" => Verifies(sent, FakeNode.ChainId, "POST", "/api/v1/records?patient=ac", created, expires, nonce, sent.Body),
            "created" => Verifies(sent, FakeNode.ChainId, "POST", "/api/v1/records?patient=ab", created - 1, expires, nonce, sent.Body),
            "expires" => Verifies(sent, FakeNode.ChainId, "POST", "/api/v1/records?patient=ab", created, expires + 1, nonce, sent.Body),
            "nonce" => Verifies(sent, FakeNode.ChainId, "POST", "/api/v1/records?patient=ab", created, expires, new string('0', 32), sent.Body),
            _ => Verifies(sent, FakeNode.ChainId, "POST", "/api/v1/records?patient=ab", created, expires, nonce, "{\"a\":3}"u8.ToArray()),
        };
        Assert.False(verifies, part);
    }

    [Fact]
    public async Task Get_SignsTheHashOfTheEmptyBody_AndEachRequestGetsAFreshNonce()
    {
        // Two GETs: both sign the hash of the empty body; their nonces differ.
        using var http = CreateHttp();
        using (await http.GetAsync(new Uri("api/v1/users/" + new string('a', 64), UriKind.Relative)))
        using (await http.GetAsync(new Uri("api/v1/users/" + new string('a', 64), UriKind.Relative)))
        {
        }

        var sent = _node.RequestsBeyondStatus;
        Assert.Equal(2, sent.Count);
        foreach (var request in sent)
        {
            var created = long.Parse(request.Headers[RequestSignature.CreatedHeader], CultureInfo.InvariantCulture);
            var expires = long.Parse(request.Headers[RequestSignature.ExpiresHeader], CultureInfo.InvariantCulture);
            Assert.Empty(request.Body);
            Assert.True(Verifies(request, FakeNode.ChainId, "GET", request.PathAndQuery, created, expires, request.Headers[RequestSignature.NonceHeader], []));
        }

        Assert.NotEqual(sent[0].Headers[RequestSignature.NonceHeader], sent[1].Headers[RequestSignature.NonceHeader]);
    }

    [Fact]
    public async Task ChainId_IsReadOnceFromStatus_WithAnUnsignedRequest()
    {
        // Three signed requests cost one status read, which itself carries no signature.
        using var http = CreateHttp();
        for (var i = 0; i < 3; i++)
        {
            using var response = await http.GetAsync(new Uri("api/v1/organisations", UriKind.Relative));
        }

        var status = Assert.Single(_node.Requests, r => r.Uri.AbsolutePath == "/api/v1/status");
        Assert.False(status.IsSigned);
        Assert.Equal(3, _node.RequestsBeyondStatus.Count);
        Assert.All(_node.RequestsBeyondStatus, r => Assert.True(r.IsSigned));
    }

    [Fact]
    public async Task GivenChainId_IsUsedWithoutAskingTheNode()
    {
        // With the chain id in the options no status is read and the signature is over that chain id.
        using var http = CreateHttp(new RequestSigningOptions { ChainId = "given-chain", TimeProvider = _time });
        using var response = await http.GetAsync(new Uri("api/v1/organisations", UriKind.Relative));

        var sent = Assert.Single(_node.Requests);
        var created = long.Parse(sent.Headers[RequestSignature.CreatedHeader], CultureInfo.InvariantCulture);
        var expires = long.Parse(sent.Headers[RequestSignature.ExpiresHeader], CultureInfo.InvariantCulture);
        Assert.True(Verifies(sent, "given-chain", "GET", "/api/v1/organisations", created, expires, sent.Headers[RequestSignature.NonceHeader], []));
    }

    [Fact]
    public async Task NodeBehindAPathPrefix_IsAskedForStatusAtThePrefix_AndThePrefixIsSigned()
    {
        // A node published at http://proxy.test/medledger/: status is read at /medledger/api/v1/status and the
        // signed path is the full path as sent.
        _node.OnGet("/medledger/api/v1/status", _ => new NodeStatus("prefixed-chain", "standard", "", "", "", 1, "", DateTimeOffset.UnixEpoch, "", 0, 0, true, 1, ""));
        using var http = CreateHttp(baseAddress: new Uri("http://proxy.test/medledger/"));
        using var response = await http.GetAsync(new Uri("api/v1/organisations", UriKind.Relative));

        var sent = _node.Requests.Single(r => r.Uri.AbsolutePath == "/medledger/api/v1/organisations");
        var created = long.Parse(sent.Headers[RequestSignature.CreatedHeader], CultureInfo.InvariantCulture);
        var expires = long.Parse(sent.Headers[RequestSignature.ExpiresHeader], CultureInfo.InvariantCulture);
        Assert.True(Verifies(sent, "prefixed-chain", "GET", "/medledger/api/v1/organisations", created, expires, sent.Headers[RequestSignature.NonceHeader], []));
    }

    [Fact]
    public async Task Lifetime_IsConfigurable_WithinTheProtocolsWindow()
    {
        // A 5-minute lifetime is the most allowed and is used as given; longer, zero or negative ones are refused.
        using var http = CreateHttp(new RequestSigningOptions { Lifetime = TimeSpan.FromMilliseconds(RequestSignature.MaxWindowMilliseconds), TimeProvider = _time });
        using var response = await http.GetAsync(new Uri("api/v1/organisations", UriKind.Relative));
        var sent = Assert.Single(_node.RequestsBeyondStatus);
        Assert.Equal(
            RequestSignature.MaxWindowMilliseconds,
            long.Parse(sent.Headers[RequestSignature.ExpiresHeader], CultureInfo.InvariantCulture) - long.Parse(sent.Headers[RequestSignature.CreatedHeader], CultureInfo.InvariantCulture));

        foreach (var lifetime in new[] { TimeSpan.FromMilliseconds(RequestSignature.MaxWindowMilliseconds + 1), TimeSpan.Zero, TimeSpan.FromSeconds(-1) })
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new RequestSigningHandler(Suite, _key, new RequestSigningOptions { Lifetime = lifetime }));
        }
    }

    [Fact]
    public async Task NodeOfAnotherSuite_IsRefused_BeforeAnythingIsSigned()
    {
        // A node whose chain uses another suite gets no signed request.
        using var gmNode = new FakeNode("gm");
        using var http = new HttpClient(new RequestSigningHandler(Suite, _key, new RequestSigningOptions { TimeProvider = _time }, gmNode)) { BaseAddress = new Uri("http://node.test/") };

        await Assert.ThrowsAsync<MedLedgerClientException>(() => http.GetAsync(new Uri("api/v1/organisations", UriKind.Relative)));

        Assert.DoesNotContain(gmNode.Requests, r => r.IsSigned);
    }

    [Fact]
    public async Task ResentHeaders_AreReplaced_NotDuplicated()
    {
        // A request that already carries signature headers (a retry) is signed afresh with one value per header.
        using var http = CreateHttp();
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/organisations");
        request.Headers.TryAddWithoutValidation(RequestSignature.NonceHeader, new string('f', 32));
        request.Headers.TryAddWithoutValidation(RequestSignature.SignatureHeader, "old");

        using var response = await http.SendAsync(request);

        var sent = Assert.Single(_node.RequestsBeyondStatus);
        Assert.DoesNotContain(",", sent.Headers[RequestSignature.NonceHeader], StringComparison.Ordinal);
        Assert.NotEqual(new string('f', 32), sent.Headers[RequestSignature.NonceHeader]);
        Assert.NotEqual("old", sent.Headers[RequestSignature.SignatureHeader]);
    }

    private HttpClient CreateHttp(RequestSigningOptions? options = null, Uri? baseAddress = null) =>
        new(new RequestSigningHandler(Suite, _key, options ?? new RequestSigningOptions { TimeProvider = _time }, _node), disposeHandler: false)
        {
            BaseAddress = baseAddress ?? new Uri("http://node.test/"),
        };

    private bool Verifies(SentRequest sent, string chainId, string method, string pathAndQuery, long created, long expires, string nonce, byte[] body)
    {
        var bytes = RequestSignature.EncodeSigningBytes(chainId, method, pathAndQuery, created, expires, nonce, Suite.Hash(body));
        return Suite.Verify(_key.PublicKey.Span, bytes, Convert.FromBase64String(sent.Headers[RequestSignature.SignatureHeader]));
    }
}
