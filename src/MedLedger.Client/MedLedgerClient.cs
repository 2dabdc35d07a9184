using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Client;

/// <summary>
/// The .NET SDK over a node's REST API (<c>/api/v1</c>). Methods throw <see cref="MedLedgerApiException"/>
/// carrying the node's problem+json when a request fails.
/// </summary>
public sealed class MedLedgerClient
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;

    /// <summary>Creates a client over an <see cref="HttpClient"/> whose base address is the node's URL.</summary>
    public MedLedgerClient(HttpClient http)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
    }

    /// <summary>The node's status.</summary>
    public Task<NodeStatus> GetStatusAsync(CancellationToken cancellationToken = default) =>
        GetAsync<NodeStatus>("api/v1/status", cancellationToken)!;

    /// <summary>The block at <paramref name="height"/>, or null if it does not exist yet.</summary>
    public Task<BlockInfo?> GetBlockAsync(ulong height, CancellationToken cancellationToken = default) =>
        GetOrNullAsync<BlockInfo>($"api/v1/blocks/{height}", cancellationToken);

    /// <summary>A transaction by id (pending or committed), or null if the node does not know it.</summary>
    public Task<TransactionInfo?> GetTransactionAsync(Hash id, CancellationToken cancellationToken = default) =>
        GetOrNullAsync<TransactionInfo>($"api/v1/transactions/{id}", cancellationToken);

    /// <summary>An account by key id, or null.</summary>
    public Task<AccountInfo?> GetAccountAsync(Hash keyId, CancellationToken cancellationToken = default) =>
        GetOrNullAsync<AccountInfo>($"api/v1/accounts/{keyId}", cancellationToken);

    /// <summary>
    /// Submits one transaction. With <paramref name="waitForCommit"/> the call returns once it is in a committed
    /// block; otherwise once it is admitted to the mempool. A refused transaction throws.
    /// </summary>
    public async Task<SubmittedTransaction> SubmitAsync(Transaction transaction, bool waitForCommit = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var request = new SubmitTransactionsRequest(Transaction: Convert.ToBase64String(transaction.Encoded.Span));
        var response = await PostAsync(request, waitForCommit, cancellationToken).ConfigureAwait(false);
        return response.Results[0];
    }

    /// <summary>
    /// Submits a batch (at most 1,000). Each transaction gets its own result; a refused one does not refuse the rest.
    /// </summary>
    public Task<SubmitTransactionsResponse> SubmitBatchAsync(IReadOnlyList<Transaction> transactions, bool waitForCommit = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        var request = new SubmitTransactionsRequest(Transactions: [.. transactions.Select(t => Convert.ToBase64String(t.Encoded.Span))]);
        return PostAsync(request, waitForCommit, cancellationToken);
    }

    private async Task<SubmitTransactionsResponse> PostAsync(SubmitTransactionsRequest request, bool waitForCommit, CancellationToken cancellationToken)
    {
        var uri = waitForCommit ? "api/v1/transactions?wait=commit" : "api/v1/transactions";
        using var response = await _http.PostAsJsonAsync(uri, request, JsonOptions, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync<SubmitTransactionsResponse>(JsonOptions, cancellationToken).ConfigureAwait(false))!;
    }

    private async Task<T> GetAsync<T>(string uri, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(uri, UriKind.Relative), cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync<T>(JsonOptions, cancellationToken).ConfigureAwait(false))!;
    }

    private async Task<T?> GetOrNullAsync<T>(string uri, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await _http.GetAsync(new Uri(uri, UriKind.Relative), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<T>(JsonOptions, cancellationToken).ConfigureAwait(false);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
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

        throw new MedLedgerApiException(response.StatusCode, problem?.Title ?? response.ReasonPhrase ?? "request failed", problem?.Detail, problem?.Code);
    }

    private sealed record ProblemInfo(string? Title, string? Detail, string? Code);
}

/// <summary>A node refused a request; carries the HTTP status and the problem+json fields.</summary>
public sealed class MedLedgerApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MedLedgerApiException(HttpStatusCode statusCode, string title, string? detail, string? code)
        : base(detail is null ? $"{(int)statusCode} {title}" : $"{(int)statusCode} {title}: {detail}")
    {
        StatusCode = statusCode;
        Title = title;
        Detail = detail;
        Code = code;
    }

    /// <summary>Creates the exception.</summary>
    public MedLedgerApiException()
    {
        Title = string.Empty;
    }

    /// <summary>Creates the exception.</summary>
    public MedLedgerApiException(string message)
        : base(message)
    {
        Title = message;
    }

    /// <summary>Creates the exception.</summary>
    public MedLedgerApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Title = message;
    }

    /// <summary>The HTTP status.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The problem title.</summary>
    public string Title { get; }

    /// <summary>The problem detail.</summary>
    public string? Detail { get; }

    /// <summary>The machine-readable code (a TransactionRejection name for transaction refusals).</summary>
    public string? Code { get; }
}
