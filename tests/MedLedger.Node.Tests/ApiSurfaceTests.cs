using System.Net;
using System.Text.Json;
using MedLedger.Core;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace MedLedger.Node.Tests;

public sealed class ApiSurfaceTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private readonly TestNode _node = fixture.Node;

    [Fact]
    public async Task Status_OfAFreshNode_DescribesGenesisAndThisValidator()
    {
        // A freshly initialised node reports height 0 with the genesis hash as its head, its own key id, and that
        // it is the one validator; the SDK reads the same JSON the endpoint serves.
        var status = await _node.Client.GetStatusAsync();
        var genesis = _node.DataDirectory.LoadGenesis();
        var genesisHash = genesis.ComputeHash(_node.Suite).ToString();

        Assert.Equal(TestNode.ChainId, status.ChainId);
        Assert.Equal("standard", status.Suite);
        Assert.Equal(genesisHash, status.GenesisHash);
        Assert.Equal("test-node", status.NodeName);
        Assert.Equal(_node.AdminId.ToString(), status.NodeId);
        Assert.True(status.IsValidator);
        Assert.Equal(1, status.Validators);
        Assert.Equal(0, status.MempoolSize);
        if (status.Height == 0)
        {
            Assert.Equal(genesisHash, status.LatestBlockHash);
            Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(genesis.GenesisTimeUnixMilliseconds), status.LatestBlockTime);
        }
    }

    [Fact]
    public async Task HealthEndpoints_AnswerHealthy_WhileConsensusRuns()
    {
        // Liveness answers without checks; readiness runs the consensus check, which passes once the node started.
        foreach (var path in new[] { "health/live", "health/ready" })
        {
            using var response = await _node.Http.GetAsync(new Uri(path, UriKind.Relative));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
            Assert.Equal("Healthy", body);
        }
    }

    [Fact]
    public async Task OpenApiDocument_ListsEveryApiRouteWithItsMethods()
    {
        // Every endpoint the app maps under /api/v1 (read from its own route table, so a new endpoint is covered
        // without editing this test) appears in /openapi/v1.json under the same path and HTTP method.
        using var response = await _node.Http.GetAsync(new Uri("openapi/v1.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith("3.", document.RootElement.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.Equal("MedLedger node API", document.RootElement.GetProperty("info").GetProperty("title").GetString());
        var paths = document.RootElement.GetProperty("paths");

        var routes = _node.App.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/v1/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Path: e.RoutePattern.RawText!, Method: m)))
            .ToList();
        Assert.Equal(27, routes.Count);
        foreach (var (path, method) in routes)
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is missing from the OpenAPI document");
            Assert.True(item.TryGetProperty(method.ToLowerInvariant(), out _), $"{method} {path} is missing from the OpenAPI document");
        }

        // The contract of SPEC §3 by name, in case the route table itself lost one.
        foreach (var path in new[] { "/api/v1/status", "/api/v1/blocks/{height}", "/api/v1/transactions", "/api/v1/transactions/{id}", "/api/v1/accounts/{keyId}", "/api/v1/records", "/api/v1/records/{recordId}", "/api/v1/grants", "/api/v1/access-log", "/api/v1/organisations", "/api/v1/audit/integrity" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document");
        }
    }

    [Fact]
    public async Task GetAccount_OfTheNodeKey_IsTheGenesisAdministrator()
    {
        // The genesis account of the node key is served with its public key, role and registration at height 0.
        var account = await _node.Client.GetAccountAsync(_node.AdminId);

        Assert.NotNull(account);
        Assert.Equal(_node.AdminId.ToString(), account.KeyId);
        Assert.Equal(Convert.ToHexStringLower(_node.AdminKey.PublicKey.Span), account.PublicKey);
        Assert.Equal("Administrator", account.Role);
        Assert.Equal(0UL, account.RegisteredHeight);
        Assert.False(account.Revoked);
    }

    [Theory]
    [InlineData("api/v1/transactions/not-a-hash", "Malformed")]
    [InlineData("api/v1/transactions/0123", "Malformed")]
    [InlineData("api/v1/transactions/zz23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "Malformed")]
    [InlineData("api/v1/accounts/not-a-key-id", "Malformed")]
    [InlineData("api/v1/accounts/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef00", "Malformed")]
    public async Task GetWithAnInvalidId_Is400Malformed(string path, string code)
    {
        // An id that is not 64 hex characters is refused before any lookup, as problem+json with code Malformed.
        using var response = await _node.Http.GetAsync(new Uri(path, UriKind.Relative));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, code);
    }

    [Theory]
    [InlineData("api/v1/blocks/abc")]
    [InlineData("api/v1/blocks/-1")]
    [InlineData("api/v1/blocks/1.5")]
    [InlineData("api/v1/blocks/18446744073709551616")]
    public async Task GetBlockWithAnInvalidHeight_Is400Problem(string path)
    {
        // A height that is not an unsigned 64-bit integer is refused by the route's binding as a 400 problem+json
        // with the same Malformed code as the other bad ids.
        using var response = await _node.Http.GetAsync(new Uri(path, UriKind.Relative));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "Malformed");
    }

    [Theory]
    [InlineData("api/v1/blocks/0")]
    [InlineData("api/v1/blocks/999999")]
    [InlineData("api/v1/blocks/18446744073709551615")]
    public async Task GetBlockAtAnUnknownHeight_Is404NotFound(string path)
    {
        // Genesis (0) is not a block, and heights above the head do not exist yet, up to ulong.MaxValue.
        using var response = await _node.Http.GetAsync(new Uri(path, UriKind.Relative));
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task GetUnknownTransactionOrAccount_Is404NotFound_AndTheSdkReturnsNull()
    {
        // Well-formed ids that the node does not know answer 404 problem+json; the SDK maps that to null.
        var unknown = _node.Suite.Hash("no such thing"u8).ToString();
        foreach (var path in new[] { $"api/v1/transactions/{unknown}", $"api/v1/accounts/{unknown}" })
        {
            using var response = await _node.Http.GetAsync(new Uri(path, UriKind.Relative));
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "NotFound");
        }

        Assert.Null(await _node.Client.GetTransactionAsync(Hash.Parse(unknown)));
        Assert.Null(await _node.Client.GetAccountAsync(Hash.Parse(unknown)));
        Assert.Null(await _node.Client.GetBlockAsync(999_999));
    }

    [Fact]
    public async Task UnknownApiPath_Is404()
    {
        // Paths outside the route table are 404, answered by the status-code pages as problem+json.
        using var response = await _node.Http.GetAsync(new Uri("api/v1/nothing-here", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AnUnsupportedMethod_Is405MethodNotAllowed()
    {
        // A method the route does not map is refused as problem+json with the MethodNotAllowed code.
        using var response = await _node.Http.DeleteAsync(new Uri("api/v1/status", UriKind.Relative));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.MethodNotAllowed, "MethodNotAllowed");
    }
}
