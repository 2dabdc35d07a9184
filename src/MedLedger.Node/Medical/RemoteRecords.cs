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
public sealed class RemoteRecords
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly LedgerStateMachine _ledger;

    public RemoteRecords(LedgerStateMachine ledger) => _ledger = ledger;

    /// <summary>The holding node's answer to the user's read of <paramref name="recordId"/>, or why there is none.</summary>
    public async Task<ServiceResult<RecordContentResponse>> FetchAsync(ISigningKey reader, Hash recordId, AccessPurpose purpose, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (_ledger.GetRecord(recordId) is not { } record)
        {
            return ServiceResult.Fail<RecordContentResponse>(StatusCodes.Status404NotFound, "NotFound", "No record with this id is anchored.");
        }

        if (_ledger.GetOrganisation(record.Organisation) is not { Status: OrganisationStatus.Active } holder
            || !Uri.TryCreate(holder.Endpoint, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            return ServiceResult.Fail<RecordContentResponse>(StatusCodes.Status502BadGateway, "HolderUnreachable", $"The chain names no usable endpoint for '{record.Organisation}', which holds this record.");
        }

        return await FetchFromAsync(endpoint, record.Organisation, reader, (client, token) => client.GetRecordContentAsync(recordId, purpose, token), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The holding node's answer to the patient's preview of the open write request of <paramref name="recordId"/>.</summary>
    public async Task<ServiceResult<RecordContentResponse>> FetchWriteRequestAsync(ISigningKey reader, Hash recordId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (_ledger.GetWriteRequest(recordId) is not { } pending)
        {
            return ServiceResult.Fail<RecordContentResponse>(StatusCodes.Status404NotFound, "NotFound", "No write request names this record id.");
        }

        var organisation = pending.Request.Record.Organisation;
        if (_ledger.GetOrganisation(organisation) is not { Status: OrganisationStatus.Active } holder
            || !Uri.TryCreate(holder.Endpoint, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            return ServiceResult.Fail<RecordContentResponse>(StatusCodes.Status502BadGateway, "HolderUnreachable", $"The chain names no usable endpoint for '{organisation}', which holds this write.");
        }

        return await FetchFromAsync(endpoint, organisation, reader, (client, token) => client.GetWriteRequestContentAsync(recordId, token), cancellationToken).ConfigureAwait(false);
    }

    private async Task<ServiceResult<RecordContentResponse>> FetchFromAsync(Uri endpoint, string organisation, ISigningKey reader, Func<MedLedgerUserClient, CancellationToken, Task<RecordContentResponse>> fetch, CancellationToken cancellationToken)
    {
        using var client = MedLedgerUserClient.Create(endpoint, _ledger.Suite, reader, new RequestSigningOptions { ChainId = _ledger.ChainId });
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
}
