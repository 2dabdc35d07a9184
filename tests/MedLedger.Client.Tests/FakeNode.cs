using System.Net;
using System.Text;
using System.Text.Json;

namespace MedLedger.Client.Tests;

/// <summary>One request as it reached the network: method, absolute URI, headers and the body bytes.</summary>
internal sealed record SentRequest(HttpMethod Method, Uri Uri, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string PathAndQuery => Uri.PathAndQuery;

    public bool IsSigned => Headers.ContainsKey(RequestSignature.SignatureHeader);

    public T Json<T>() => JsonSerializer.Deserialize<T>(Body, FakeNode.JsonOptions)!;
}

/// <summary>
/// A fake node behind an <see cref="HttpMessageHandler"/>: it records every request exactly as sent and answers from
/// routes registered by (method, path); anything else gets a 404 problem+json. <c>GET /api/v1/status</c> answers by
/// default with chain <see cref="ChainId"/>, suite standard, height <see cref="Height"/>.
/// </summary>
internal sealed class FakeNode : HttpMessageHandler
{
    public const string ChainId = "test-chain";
    public const ulong Height = 40;

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private readonly Lock _lock = new();
    private readonly List<SentRequest> _requests = [];
    private readonly Dictionary<(string Method, string Path), Func<SentRequest, HttpResponseMessage>> _routes = [];

    public FakeNode(string suite = "standard")
    {
        OnGet("/api/v1/status", _ => new NodeStatus(ChainId, suite, new string('0', 64), "fake", new string('1', 64), Height, new string('2', 64), DateTimeOffset.UnixEpoch, new string('3', 64), 0, 0, true, 1, "test"));
    }

    public IReadOnlyList<SentRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Requests other than the status reads that clients make to learn the chain id.</summary>
    public IReadOnlyList<SentRequest> RequestsBeyondStatus => [.. Requests.Where(r => r.Uri.AbsolutePath != "/api/v1/status")];

    public FakeNode OnGet(string path, Func<SentRequest, object> answer) => On(HttpMethod.Get, path, answer);

    public FakeNode OnPost(string path, Func<SentRequest, object> answer, HttpStatusCode status = HttpStatusCode.OK) => On(HttpMethod.Post, path, answer, status);

    public FakeNode On(HttpMethod method, string path, Func<SentRequest, object> answer, HttpStatusCode status = HttpStatusCode.OK)
    {
        _routes[(method.Method, path)] = request => Answer(status, answer(request));
        return this;
    }

    public FakeNode OnProblem(HttpMethod method, string path, HttpStatusCode status, string code)
    {
        _routes[(method.Method, path)] = _ => Problem(status, code);
        return this;
    }

    public static HttpResponseMessage Answer(HttpStatusCode status, object body) => new(status)
    {
        Content = new StringContent(body as string ?? JsonSerializer.Serialize(body, body.GetType(), JsonOptions), Encoding.UTF8, "application/json"),
    };

    public static HttpResponseMessage Problem(HttpStatusCode status, string code) => new(status)
    {
        Content = new StringContent(JsonSerializer.Serialize(new { type = "about:blank", title = "Refused", status = (int)status, detail = $"because {code}", code }), Encoding.UTF8, "application/problem+json"),
    };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        var sent = new SentRequest(request.Method, request.RequestUri!, headers, body);
        lock (_lock)
        {
            _requests.Add(sent);
        }

        return _routes.TryGetValue((request.Method.Method, request.RequestUri!.AbsolutePath), out var route)
            ? route(sent)
            : Problem(HttpStatusCode.NotFound, "NotFound");
    }
}

/// <summary>A clock that stands still unless moved.</summary>
internal sealed class ManualTime(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
