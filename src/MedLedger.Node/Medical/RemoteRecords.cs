using System.Net;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using Microsoft.AspNetCore.Http;

namespace MedLedger.Node.Medical;

/// <summary>
/// The forwarding half of the read path in a consortium (ARCHITECTURE §10): a record is held only by its organisation's
/// node, so when a user signed in at their home node opens one held elsewhere, the home node sends the user's own signed
/// request (signed with the key of the user's session, never the node's) to the holding node at the endpoint the chain
/// names for that organisation. The holding node authenticates the user against the on-chain identity registry,
/// decides, logs the read on chain and releases the data keys wrapped for the user, exactly as for a direct request;
/// the home node then opens the answer with the user's key like any client.
/// </summary>
/// <remarks>
/// Forwarded reads share one connection pool (one <see cref="SocketsHttpHandler"/> for the node's lifetime), so a busy
/// home node keeps a few warm connections per holding node instead of opening a connection per read. An endpoint must be
/// <c>https</c>, or <c>http</c> on a loopback address (a consortium on one machine, as <c>medledger up</c> makes): the
/// answer holds only ciphertext and keys wrapped for the reader, but who reads which record, and when, is not for the
/// network between members to see.
/// </remarks>
public sealed class RemoteRecords : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly LedgerStateMachine _ledger;
    private readonly HttpMessageInvoker _connections;

    public RemoteRecords(LedgerStateMachine ledger)
    {
        _ledger = ledger;
        _connections = new HttpMessageInvoker(
            new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
                MaxConnectionsPerServer = 16,
                ConnectTimeout = TimeSpan.FromSeconds(5),
                AllowAutoRedirect = false,
                UseCookies = false,
            },
            disposeHandler: true);
    }

    /// <summary>
    /// The address to forward a read to, from an organisation's on-chain <paramref name="endpoint"/>: an absolute
    /// <c>https</c> URL, or an <c>http</c> URL whose host is a loopback address; null for anything else.
    /// </summary>
    public static Uri? ForwardingAddress(string? endpoint)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var address) || address.UserInfo.Length > 0)
        {
            return null;
        }

        if (address.Scheme == Uri.UriSchemeHttps)
        {
            return address;
        }

        var loopback = address.IsLoopback || (IPAddress.TryParse(address.DnsSafeHost, out var ip) && IPAddress.IsLoopback(ip));
        return address.Scheme == Uri.UriSchemeHttp && loopback ? address : null;
    }

    /// <summary>The holding node's answer to the user's read of <paramref name="recordId"/>, or why there is none.</summary>
    public async Task<ServiceResult<RecordContentResponse>> FetchAsync(ISigningKey reader, Hash recordId, AccessPurpose purpose, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (_ledger.GetRecord(recordId) is not { } record)
        {
            return ServiceResult.Fail<RecordContentResponse>(StatusCodes.Status404NotFound, "NotFound", "No record with this id is anchored.");
        }

        return await FetchFromAsync(record.Organisation, reader, (client, token) => client.GetRecordContentAsync(recordId, purpose, token), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The holding node's answer to the patient's preview of the open write request of <paramref name="recordId"/>.</summary>
    public async Task<ServiceResult<RecordContentResponse>> FetchWriteRequestAsync(ISigningKey reader, Hash recordId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (_ledger.GetWriteRequest(recordId) is not { } pending)
        {
            return ServiceResult.Fail<RecordContentResponse>(StatusCodes.Status404NotFound, "NotFound", "No write request names this record id.");
        }

        return await FetchFromAsync(pending.Request.Record.Organisation, reader, (client, token) => client.GetWriteRequestContentAsync(recordId, token), cancellationToken).ConfigureAwait(false);
    }

    // Sends the user's signed request to the node the chain names for the holding organisation.
    private async Task<ServiceResult<RecordContentResponse>> FetchFromAsync(string organisation, ISigningKey reader, Func<MedLedgerUserClient, CancellationToken, Task<RecordContentResponse>> fetch, CancellationToken cancellationToken)
    {
        if (_ledger.GetOrganisation(organisation) is not { Status: OrganisationStatus.Active } holder || ForwardingAddress(holder.Endpoint) is not { } endpoint)
        {
            return ServiceResult.Fail<RecordContentResponse>(StatusCodes.Status502BadGateway, "HolderUnreachable", $"The chain names no usable endpoint (https, or http on loopback) for '{organisation}', which holds this record.");
        }

        using var client = MedLedgerUserClient.Create(endpoint, _ledger.Suite, reader, new RequestSigningOptions { ChainId = _ledger.ChainId }, new SharedConnections(_connections));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            return ServiceResult.Ok(await fetch(client, timeout.Token).ConfigureAwait(false));
        }
        catch (MedLedgerApiException exception)
        {
            return ServiceResult.Fail<RecordContentResponse>((int)exception.StatusCode, exception.Code ?? "Error", exception.Detail ?? exception.Title);
        }
        catch (Exception exception) when (exception is HttpRequestException or MedLedgerClientException || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return ServiceResult.Fail<RecordContentResponse>(StatusCodes.Status502BadGateway, "HolderUnreachable", $"The node of '{organisation}', which holds this record, did not answer.");
        }
    }

    /// <inheritdoc />
    public void Dispose() => _connections.Dispose();

    /// <summary>
    /// The innermost handler of one forwarded read's client: sends through the shared pool, and leaves the pool alone
    /// when the per-read client (and with it this handler) is disposed.
    /// </summary>
    private sealed class SharedConnections(HttpMessageInvoker pool) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            pool.SendAsync(request, cancellationToken);
    }
}
