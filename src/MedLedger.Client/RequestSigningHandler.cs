using System.Globalization;
using System.Security.Cryptography;
using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Client;

/// <summary>How <see cref="RequestSigningHandler"/> signs.</summary>
public sealed class RequestSigningOptions
{
    /// <summary>The default validity window of a signed request.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromSeconds(60);

    /// <summary>The chain id to sign for; when null it is read once from <c>GET /api/v1/status</c>.</summary>
    public string? ChainId { get; init; }

    /// <summary>
    /// How long a request stays valid after it is created: more than zero and at most
    /// <see cref="RequestSignature.MaxWindowMilliseconds"/>.
    /// </summary>
    public TimeSpan Lifetime { get; init; } = DefaultLifetime;

    /// <summary>The clock that dates requests.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>
/// Signs every request that passes through it with the user's key (ARCHITECTURE §10, <see cref="RequestSignature"/>):
/// key id = the suite hash of the public key, created = now, expires = created + the lifetime, a fresh 16-byte
/// nonce, and the signature over the chain id, method, path and query exactly as sent, the times, the nonce and
/// the hash of the body. The key is borrowed, not owned. Only the asynchronous send path exists: the synchronous
/// one would have to block on the chain id and the body.
/// </summary>
public sealed class RequestSigningHandler : DelegatingHandler
{
    private const int NonceBytes = 16;

    private readonly ICryptoSuite _suite;
    private readonly ISigningKey _key;
    private readonly long _lifetimeMilliseconds;
    private readonly TimeProvider _time;
    private readonly Lock _chainIdLock = new();
    private Task<string>? _chainId;

    /// <summary>Creates the handler; set <see cref="DelegatingHandler.InnerHandler"/> before use.</summary>
    public RequestSigningHandler(ICryptoSuite suite, ISigningKey key, RequestSigningOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(key);
        options ??= new RequestSigningOptions();
        var lifetime = (long)options.Lifetime.TotalMilliseconds;
        if (lifetime <= 0 || lifetime > RequestSignature.MaxWindowMilliseconds)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"A signed request lives 1..{RequestSignature.MaxWindowMilliseconds} ms.");
        }

        if (!string.Equals(key.SuiteName, suite.Name, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The key belongs to suite '{key.SuiteName}', not '{suite.Name}'.", nameof(key));
        }

        _suite = suite;
        _key = key;
        _lifetimeMilliseconds = lifetime;
        _time = options.TimeProvider ?? TimeProvider.System;
        KeyId = suite.Hash(key.PublicKey.Span);
        if (options.ChainId is not null)
        {
            _chainId = Task.FromResult(options.ChainId);
        }
    }

    /// <summary>Creates the handler over <paramref name="innerHandler"/>.</summary>
    public RequestSigningHandler(ICryptoSuite suite, ISigningKey key, RequestSigningOptions? options, HttpMessageHandler innerHandler)
        : this(suite, key, options)
    {
        InnerHandler = innerHandler ?? throw new ArgumentNullException(nameof(innerHandler));
    }

    /// <summary>The key id every request names.</summary>
    public Hash KeyId { get; }

    /// <inheritdoc />
    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Signed requests are sent asynchronously (SendAsync).");

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = request.RequestUri;
        if (uri is null || !uri.IsAbsoluteUri)
        {
            throw new InvalidOperationException("A signed request needs an absolute URI (give the HttpClient a base address).");
        }

        var chainId = await GetChainIdAsync(uri, cancellationToken).ConfigureAwait(false);
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var created = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var expires = created + _lifetimeMilliseconds;
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(NonceBytes));
        var signed = RequestSignature.EncodeSigningBytes(chainId, request.Method.Method, uri.PathAndQuery, created, expires, nonce, _suite.Hash(body));
        var signature = _key.Sign(signed);

        var headers = request.Headers;
        Set(headers, RequestSignature.KeyHeader, KeyId.ToString());
        Set(headers, RequestSignature.CreatedHeader, created.ToString(CultureInfo.InvariantCulture));
        Set(headers, RequestSignature.ExpiresHeader, expires.ToString(CultureInfo.InvariantCulture));
        Set(headers, RequestSignature.NonceHeader, nonce);
        Set(headers, RequestSignature.SignatureHeader, Convert.ToBase64String(signature));
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private static void Set(System.Net.Http.Headers.HttpRequestHeaders headers, string name, string value)
    {
        headers.Remove(name);
        headers.TryAddWithoutValidation(name, value);
    }

    private Task<string> GetChainIdAsync(Uri requestUri, CancellationToken cancellationToken)
    {
        lock (_chainIdLock)
        {
            // A failed fetch is forgotten so that the next request tries again.
            if (_chainId is null || _chainId.IsFaulted || _chainId.IsCanceled)
            {
                _chainId = FetchChainIdAsync(StatusUri(requestUri), cancellationToken);
            }

            return _chainId;
        }
    }

    private async Task<string> FetchChainIdAsync(Uri statusUri, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, statusUri);
        using var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await ApiTransport.EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        NodeStatus? status;
        try
        {
            status = await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<NodeStatus>(response.Content, ApiTransport.JsonOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Text.Json.JsonException exception)
        {
            throw new MedLedgerClientException("The node's status is not the expected JSON.", exception);
        }

        if (status is null || string.IsNullOrEmpty(status.ChainId))
        {
            throw new MedLedgerClientException("The node's status names no chain id.");
        }

        if (!string.Equals(status.Suite, _suite.Name, StringComparison.Ordinal))
        {
            throw new MedLedgerClientException($"The node's chain uses suite '{status.Suite}', but the key is a '{_suite.Name}' key.");
        }

        return status.ChainId;
    }

    // The status route sits next to the request's own /api/v1/ segment, so a node published under a path prefix
    // (behind a reverse proxy) is asked at the same prefix.
    private static Uri StatusUri(Uri requestUri)
    {
        var path = requestUri.AbsolutePath;
        var index = path.IndexOf("/api/v1/", StringComparison.Ordinal);
        var prefix = index >= 0 ? path[..index] : string.Empty;
        return new Uri(requestUri.GetLeftPart(UriPartial.Authority) + prefix + "/api/v1/status");
    }
}
