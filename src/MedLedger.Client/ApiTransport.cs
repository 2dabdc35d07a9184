using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace MedLedger.Client;

/// <summary>
/// The JSON plumbing both clients share: relative URIs against the node's base address, web-style JSON, and
/// problem+json turned into <see cref="MedLedgerApiException"/>.
/// </summary>
internal sealed class ApiTransport
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public ApiTransport(HttpClient http)
    {
        Http = http ?? throw new ArgumentNullException(nameof(http));
    }

    public HttpClient Http { get; }

    public async Task<T> GetAsync<T>(string uri, CancellationToken cancellationToken)
    {
        using var response = await Http.GetAsync(new Uri(uri, UriKind.Relative), cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<T>(response, cancellationToken).ConfigureAwait(false);
    }

    public async Task<T?> GetOrNullAsync<T>(string uri, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await Http.GetAsync(new Uri(uri, UriKind.Relative), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<T>(response, cancellationToken).ConfigureAwait(false);
    }

    public async Task<TResponse> PostAsync<TRequest, TResponse>(string uri, TRequest? body, CancellationToken cancellationToken)
    {
        // The body is serialised once, here, so that the bytes a signing handler hashes are the bytes sent.
        using var content = body is null ? null : CreateJsonContent(body);
        using var response = await Http.PostAsync(new Uri(uri, UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<TResponse>(response, cancellationToken).ConfigureAwait(false);
    }

    public static ByteArrayContent CreateJsonContent<T>(T body)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, JsonOptions));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    public static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        ProblemInfo? problem = null;
        try
        {
            problem = await response.Content.ReadFromJsonAsync<ProblemInfo>(JsonOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            // Not problem+json (e.g. a proxy's error page); the status code still tells what happened.
        }
        catch (NotSupportedException)
        {
            // No JSON content type at all (a plain-text error page).
        }

        throw new MedLedgerApiException(response.StatusCode, problem?.Title ?? response.ReasonPhrase ?? "request failed", problem?.Detail, problem?.Code);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        T? value;
        try
        {
            value = await response.Content.ReadFromJsonAsync<T>(JsonOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException)
        {
            throw new MedLedgerClientException($"The node's answer to {response.RequestMessage?.RequestUri?.AbsolutePath} is not the expected JSON.", exception);
        }

        return value ?? throw new MedLedgerClientException($"The node answered {response.RequestMessage?.RequestUri?.AbsolutePath} with null.");
    }

    private sealed record ProblemInfo(string? Title, string? Detail, string? Code);
}
