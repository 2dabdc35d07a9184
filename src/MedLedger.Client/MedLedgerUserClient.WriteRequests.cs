using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Client;

// Record write requests (issue 5): the doctor uploads a sealed record whose anchor waits for the patient's approval;
// the patient lists what waits for them and approves (their key signs the consent statement) or declines.
public sealed partial class MedLedgerUserClient
{
    /// <summary>How many blocks a write request stays open by default (as the web UI's access requests).</summary>
    public const ulong DefaultWriteRequestLifetimeBlocks = 100_000;

    /// <summary>
    /// Uploads a prepared record in pending mode (<c>POST /api/v1/records</c> with a RecordWriteRequest): the holding node
    /// checks and stores the sealed tiers exactly as for a normal upload, and the chain holds the request until the
    /// patient approves or declines it in their portal (<see cref="ApproveWriteRequestAsync"/>). No record exists
    /// before the approval. Any authorisation already on the draft is replaced by the request's.
    /// </summary>
    public async Task<RecordUploadResponse> RequestRecordWriteAsync(RecordDraft draft, ulong lifetimeBlocks = DefaultWriteRequestLifetimeBlocks, bool waitForCommit = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (lifetimeBlocks is 0 or > RecordWriteRequestPayload.MaxLifetimeBlocks)
        {
            throw new ArgumentOutOfRangeException(nameof(lifetimeBlocks), $"A write request stays open 1..{RecordWriteRequestPayload.MaxLifetimeBlocks} blocks.");
        }

        var factory = await GetTransactionFactoryAsync(cancellationToken).ConfigureAwait(false);
        if (draft.Anchor.Author != factory.Sender || !string.Equals(draft.ChainId, factory.ChainId, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The draft was prepared by another key or for another chain.");
        }

        var status = await Node.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        var transaction = factory.RequestRecordWrite(draft.Anchor, status.Height + lifetimeBlocks);
        var response = await UploadRecordAsync(new RecordUploadRequest(Convert.ToBase64String(transaction.Encoded.Span), draft.Tiers), waitForCommit, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(response.RecordId, draft.RecordId.ToString(), StringComparison.OrdinalIgnoreCase))
        {
            throw new MedLedgerClientException($"The node acknowledged record {response.RecordId}, not {draft.RecordId}.");
        }

        return response;
    }

    /// <summary>
    /// The caller's write requests (<c>GET /api/v1/write-requests</c>): for a patient, the open ones to this key's
    /// pseudonym; for a doctor, their latest requests with their status.
    /// </summary>
    public Task<WriteRequestListResponse> ListWriteRequestsAsync(CancellationToken cancellationToken = default) =>
        _api.GetAsync<WriteRequestListResponse>("api/v1/write-requests", cancellationToken);

    /// <summary>
    /// Approves a write request to this key's pseudonym: reads the request, signs its consent statement (the anchor's
    /// <see cref="RecordAnchorPayload.EncodeConsentStatement"/>, computed here from the anchor the chain holds) with this
    /// key and sends the answer (<c>POST /api/v1/write-requests/{recordId}/answer</c>). Once committed the record exists.
    /// </summary>
    public async Task<WriteRequestAnswerResponse> ApproveWriteRequestAsync(Hash recordId, CancellationToken cancellationToken = default)
    {
        var list = await ListWriteRequestsAsync(cancellationToken).ConfigureAwait(false);
        var summary = list.Requests.FirstOrDefault(r => string.Equals(r.RecordId, recordId.ToString(), StringComparison.OrdinalIgnoreCase))
            ?? throw new MedLedgerClientException($"No open write request names record {recordId}.");
        RecordAnchorPayload anchor;
        try
        {
            anchor = RecordAnchorPayload.Decode(Convert.FromBase64String(summary.Anchor));
        }
        catch (Exception exception) when (exception is FormatException or DecodingException)
        {
            throw new MedLedgerClientException("The node's copy of the write request does not decode.", exception);
        }

        if (anchor.RecordId != recordId)
        {
            throw new MedLedgerClientException($"The node answered with the write request of record {anchor.RecordId}, not {recordId}.");
        }

        var chainId = await GetChainIdAsync(cancellationToken).ConfigureAwait(false);
        return await AnswerWriteRequestAsync(recordId, Key.Sign(anchor.EncodeConsentStatement(chainId)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The content of an open write request to this key's pseudonym, before answering it
    /// (<c>GET /api/v1/write-requests/{recordId}/content</c>, at the holding node; logged as this key's read).
    /// </summary>
    public Task<RecordContentResponse> GetWriteRequestContentAsync(Hash recordId, CancellationToken cancellationToken = default) =>
        _api.GetAsync<RecordContentResponse>($"api/v1/write-requests/{recordId}/content", cancellationToken);

    /// <summary>
    /// Reads an open write request's content as <see cref="ReadRecordAsync"/> reads a record: each tier's ciphertext is
    /// checked against its content address and its plaintext against its commitment (those of the request's anchor as
    /// the node reports them; compare with <see cref="ListWriteRequestsAsync"/>'s anchor when the node is not trusted).
    /// </summary>
    public async Task<RecordPlaintext> ReadWriteRequestAsync(Hash recordId, Func<IReadOnlyDictionary<SensitivityTier, byte[]>, byte[]>? merge = null, CancellationToken cancellationToken = default)
    {
        var response = await GetWriteRequestContentAsync(recordId, cancellationToken).ConfigureAwait(false);
        return RecordReader.Open(Suite, Key, recordId, response, merge);
    }

    /// <summary>Declines a write request to this key's pseudonym; no record will ever exist under its id.</summary>
    public Task<WriteRequestAnswerResponse> DeclineWriteRequestAsync(Hash recordId, CancellationToken cancellationToken = default) =>
        AnswerWriteRequestAsync(recordId, [], cancellationToken);

    private async Task<WriteRequestAnswerResponse> AnswerWriteRequestAsync(Hash recordId, byte[] consentSignature, CancellationToken cancellationToken)
    {
        var factory = await GetTransactionFactoryAsync(cancellationToken).ConfigureAwait(false);
        var transaction = factory.RespondToWriteRequest(recordId, consentSignature);
        var body = new WriteRequestAnswerRequest(Convert.ToBase64String(transaction.Encoded.Span));
        return await _api.PostAsync<WriteRequestAnswerRequest, WriteRequestAnswerResponse>($"api/v1/write-requests/{recordId}/answer", body, cancellationToken).ConfigureAwait(false);
    }
}
