using System.Net;
using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Client;

/// <summary>
/// The .NET SDK over a node's REST API (<c>/api/v1</c>). Methods throw <see cref="MedLedgerApiException"/>
/// carrying the node's problem+json when a request fails.
/// </summary>
public sealed class MedLedgerClient
{
    private readonly ApiTransport _api;

    /// <summary>Creates a client over an <see cref="HttpClient"/> whose base address is the node's URL.</summary>
    public MedLedgerClient(HttpClient http)
    {
        _api = new ApiTransport(http);
    }

    /// <summary>The node's status.</summary>
    public Task<NodeStatus> GetStatusAsync(CancellationToken cancellationToken = default) =>
        _api.GetAsync<NodeStatus>("api/v1/status", cancellationToken);

    /// <summary>The block at <paramref name="height"/>, or null if it does not exist yet.</summary>
    public Task<BlockInfo?> GetBlockAsync(ulong height, CancellationToken cancellationToken = default) =>
        _api.GetOrNullAsync<BlockInfo>($"api/v1/blocks/{height}", cancellationToken);

    /// <summary>A transaction by id (pending or committed), or null if the node does not know it.</summary>
    public Task<TransactionInfo?> GetTransactionAsync(Hash id, CancellationToken cancellationToken = default) =>
        _api.GetOrNullAsync<TransactionInfo>($"api/v1/transactions/{id}", cancellationToken);

    /// <summary>An account by key id, or null.</summary>
    public Task<AccountInfo?> GetAccountAsync(Hash keyId, CancellationToken cancellationToken = default) =>
        _api.GetOrNullAsync<AccountInfo>($"api/v1/accounts/{keyId}", cancellationToken);

    /// <summary>The member organisations (<c>GET /api/v1/organisations</c>), active and removed.</summary>
    public Task<IReadOnlyList<OrganisationInfo>> GetOrganisationsAsync(CancellationToken cancellationToken = default) =>
        _api.GetAsync<IReadOnlyList<OrganisationInfo>>("api/v1/organisations", cancellationToken);

    /// <summary>One organisation by id, or null when the chain has none by that id.</summary>
    public Task<OrganisationInfo?> GetOrganisationAsync(string organisationId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(organisationId);
        return _api.GetOrNullAsync<OrganisationInfo>($"api/v1/organisations/{Uri.EscapeDataString(organisationId)}", cancellationToken);
    }

    /// <summary>
    /// Seals a custodial user's vault at their home node under a new passphrase (<c>POST /api/v1/custody/passphrase</c>).
    /// Not a signed request: the current passphrase authenticates it. The keys, and so everything on chain, stay the same.
    /// </summary>
    public Task<PassphraseChangeResponse> ChangePassphraseAsync(PassphraseChangeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _api.PostAsync<PassphraseChangeRequest, PassphraseChangeResponse>("api/v1/custody/passphrase", request, cancellationToken);
    }

    /// <summary>
    /// Exports a custodial user's sealed key vault (<c>POST /api/v1/custody/export</c>, SPEC F4). Not a signed request:
    /// the passphrase authenticates it, and the vault stays sealed under that passphrase. Returns the vault's bytes
    /// (open them with <c>KeyVault.Open</c>).
    /// </summary>
    public async Task<byte[]> ExportVaultAsync(VaultExportRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = await _api.PostAsync<VaultExportRequest, VaultExportResponse>("api/v1/custody/export", request, cancellationToken).ConfigureAwait(false);
        try
        {
            return Convert.FromBase64String(response.Vault ?? string.Empty);
        }
        catch (FormatException exception)
        {
            throw new MedLedgerClientException("The exported vault is not base64.", exception);
        }
    }

    /// <summary>
    /// Submits one transaction. With <paramref name="waitForCommit"/> the call returns once it is in a committed
    /// block; otherwise once it is admitted to the mempool. A refused transaction throws.
    /// </summary>
    public async Task<SubmittedTransaction> SubmitAsync(Transaction transaction, bool waitForCommit = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var request = new SubmitTransactionsRequest(Transaction: Convert.ToBase64String(transaction.Encoded.Span));
        var response = await PostAsync(request, waitForCommit, cancellationToken).ConfigureAwait(false);
        return response.Results.Count == 1 ? response.Results[0] : throw new MedLedgerClientException($"The node answered one transaction with {response.Results.Count} results.");
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

    private Task<SubmitTransactionsResponse> PostAsync(SubmitTransactionsRequest request, bool waitForCommit, CancellationToken cancellationToken)
    {
        var uri = waitForCommit ? "api/v1/transactions?wait=commit" : "api/v1/transactions";
        return _api.PostAsync<SubmitTransactionsRequest, SubmitTransactionsResponse>(uri, request, cancellationToken);
    }
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

/// <summary>
/// The client refused to go on: the node's answer is malformed or inconsistent with itself (a user whose key id is not
/// the hash of its public key, a response for another record), or the chain's suite is not the key's.
/// </summary>
public sealed class MedLedgerClientException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MedLedgerClientException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public MedLedgerClientException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public MedLedgerClientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
