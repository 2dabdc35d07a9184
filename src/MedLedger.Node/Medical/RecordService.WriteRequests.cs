using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Sharing.Records;
using MedLedger.Storage;
using Microsoft.AspNetCore.Http;

namespace MedLedger.Node.Medical;

// Record write requests (issue 5): the upload path's pending mode and the patient's answer. A pending upload is checked
// and stored exactly as a normal one (UploadAsync), only its transaction is a RecordWriteRequest; the record exists once
// the patient's RecordWriteRespond approves it. Until then the stored ciphertext has no record entry, so no read finds it.
public sealed partial class RecordService
{
    /// <summary>
    /// The caller's write requests: a patient's open ones (to the caller's pseudonym, not expired), a doctor's latest
    /// (any status). Any other role is refused and the attempt logged.
    /// </summary>
    public async Task<ServiceResult<WriteRequestListResponse>> ListWriteRequestsAsync(Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var height = _ledger.Height + 1;
        switch (caller.Account.Role)
        {
            case AccountRole.Patient:
                return ServiceResult.Ok(new WriteRequestListResponse(_ledger.GetOpenWriteRequests(caller.UserId).Where(r => r.IsOpenAt(height)).Select(r => WriteRequestSummary(r, height)).ToList()));
            case AccountRole.Doctor:
                return ServiceResult.Ok(new WriteRequestListResponse(_ledger.GetAuthorWriteRequests(caller.UserId).Select(r => WriteRequestSummary(r, height)).ToList()));
            default:
                await LogAsync(caller, Hash.Zero, Hash.Zero, AccessAction.Search, AccessPurpose.None, AccessDenialReason.RoleNotPermitted, Hash.Zero, cancellationToken).ConfigureAwait(false);
                return ServiceResult.Fail<WriteRequestListResponse>(StatusCodes.Status403Forbidden, "RoleNotPermitted", "Write requests are listed by the patient asked and by their authors.");
        }
    }

    /// <summary>
    /// Submits the patient's answer to a write request (their signed RecordWriteRespond) and waits for its commit. The
    /// transaction must be sent by the caller's key and name <paramref name="recordId"/>; an answer by anyone but the
    /// patient asked is refused and logged against the patient.
    /// </summary>
    public async Task<ServiceResult<WriteRequestAnswerResponse>> AnswerWriteRequestAsync(Caller caller, Hash recordId, WriteRequestAnswerRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        Transaction transaction;
        RecordWriteRespondPayload answer;
        try
        {
            transaction = Transaction.Decode(Convert.FromBase64String(request.Transaction ?? string.Empty));
            if (transaction.Type != TransactionType.RecordWriteRespond)
            {
                return ServiceResult.Fail<WriteRequestAnswerResponse>(StatusCodes.Status400BadRequest, "Malformed", "The transaction is not a RecordWriteRespond.");
            }

            answer = RecordWriteRespondPayload.Decode(transaction.Payload.Span);
        }
        catch (Exception exception) when (exception is FormatException or DecodingException)
        {
            return ServiceResult.Fail<WriteRequestAnswerResponse>(StatusCodes.Status400BadRequest, "Malformed", "The transaction is not a valid base64 RecordWriteRespond encoding.");
        }

        if (answer.RecordId != recordId)
        {
            return ServiceResult.Fail<WriteRequestAnswerResponse>(StatusCodes.Status400BadRequest, "Malformed", "The answer names another record than the address.");
        }

        if (_ledger.GetWriteRequest(recordId) is not { } pending)
        {
            return ServiceResult.Fail<WriteRequestAnswerResponse>(StatusCodes.Status404NotFound, "NotFound", "No write request names this record id.");
        }

        if (transaction.Sender != caller.KeyId || caller.Account.Role != AccountRole.Patient || caller.UserId != pending.Patient)
        {
            await LogAsync(caller, pending.Patient, recordId, AccessAction.Write, AccessPurpose.Treatment, AccessDenialReason.RoleNotPermitted, Hash.Zero, cancellationToken).ConfigureAwait(false);
            return ServiceResult.Fail<WriteRequestAnswerResponse>(StatusCodes.Status403Forbidden, "NotAuthorized", "Only the patient asked answers a write request, with their own key; the attempt is logged.");
        }

        var result = (await _ledgerService.SubmitAsync([transaction.Encoded.ToArray()], Api.LedgerEndpoints.MaxCommitWait, cancellationToken).ConfigureAwait(false))[0];
        if (result.Status == "rejected")
        {
            var rejection = Enum.Parse<TransactionRejection>(result.Code!);
            return ServiceResult.Fail<WriteRequestAnswerResponse>(Api.Problems.StatusFor(rejection), rejection.ToString(), result.Reason ?? rejection.ToString());
        }

        return ServiceResult.Ok(new WriteRequestAnswerResponse(recordId.ToString(), answer.Declines ? "declined" : "approved", result.Id, result.Height));
    }

    /// <summary>
    /// The content of an open write request for the patient asked, so they see what they consent to: every tier's
    /// ciphertext with its data key re-wrapped from the holding organisation's key to the caller's, as a read releases it.
    /// Only the patient asked (refused and logged otherwise), only while the request is open, only at the holding node
    /// (<c>421 NotHeldHere</c> elsewhere). The preview is logged as the patient's read of the record id.
    /// </summary>
    public async Task<ServiceResult<RecordContentResponse>> ReadWriteRequestAsync(Caller caller, Hash recordId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (_ledger.GetWriteRequest(recordId) is not { } pending)
        {
            return ServiceResult.Fail<RecordContentResponse>(StatusCodes.Status404NotFound, "NotFound", "No write request names this record id.");
        }

        if (caller.Account.Role != AccountRole.Patient || caller.UserId != pending.Patient)
        {
            await LogAsync(caller, pending.Patient, recordId, AccessAction.Read, AccessPurpose.None, AccessDenialReason.RoleNotPermitted, Hash.Zero, cancellationToken).ConfigureAwait(false);
            return ServiceResult.Fail<RecordContentResponse>(StatusCodes.Status403Forbidden, "RoleNotPermitted", "Only the patient asked sees a pending write; the attempt is logged.");
        }

        if (PendingRecord(recordId) is not { } record)
        {
            return ServiceResult.Fail<RecordContentResponse>(StatusCodes.Status409Conflict, "RequestNotOpen", "The write request was answered or has expired.");
        }

        if (!_organisations.Holds(record.Organisation))
        {
            return ServiceResult.Fail<RecordContentResponse>(StatusCodes.Status421MisdirectedRequest, "NotHeldHere", $"Records of '{record.Organisation}' are held by that organisation's node.");
        }

        var held = _store.GetRecord(recordId);
        var orgKey = _organisations.Key(record.Organisation);
        var orgKeyId = Suite.Hash(orgKey.PublicKey.Span);
        var secret = _organisations.StaticSecret(record.Organisation, caller.KeyId, caller.Account.PublicKey);
        var tiers = new List<RecordTierContent>();
        foreach (var anchor in record.Tiers)
        {
            var stored = held.FirstOrDefault(h => h.Tier == anchor.Tier);
            byte[] dataKey;
            try
            {
                if (stored is null || Suite.Hash(stored.Ciphertext) != anchor.ContentAddress)
                {
                    throw new CryptoException("the stored ciphertext is missing or does not match the requested pointer");
                }

                var associated = RecordSealing.EnvelopeAssociatedData(recordId, anchor.Tier, orgKeyId);
                dataKey = stored.OrganisationEnvelope is [2, ..]
                    ? KeyWrap.UnwrapWithSecret(Suite, _organisations.StaticSecret(record.Organisation, orgKeyId, orgKey.PublicKey.Span), orgKey.PublicKey.Span, stored.OrganisationEnvelope, associated)
                    : KeyWrap.Unwrap(Suite, orgKey, stored.OrganisationEnvelope, associated);
            }
            catch (CryptoException exception)
            {
                await LogAsync(caller, record.Patient, recordId, AccessAction.Read, AccessPurpose.None, AccessDenialReason.IntegrityFailure, Hash.Zero, cancellationToken).ConfigureAwait(false);
                return ServiceResult.Fail<RecordContentResponse>(StatusCodes.Status500InternalServerError, "IntegrityFailure", $"Tier {anchor.Tier} of the pending write cannot be released: {exception.Message}; the failure is logged.");
            }

            var envelope = KeyWrap.WrapStatic(Suite, secret, orgKey.PublicKey.Span, caller.Account.PublicKey, dataKey, RecordSealing.EnvelopeAssociatedData(recordId, anchor.Tier, caller.KeyId));
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(dataKey);
            tiers.Add(new RecordTierContent(Json.Name(anchor.Tier), anchor.ContentAddress.ToString(), anchor.Commitment.ToString(), Convert.ToBase64String(stored!.Ciphertext), Convert.ToBase64String(envelope)));
        }

        await LogAsync(caller, record.Patient, recordId, AccessAction.Read, AccessPurpose.None, AccessDenialReason.None, Hash.Zero, cancellationToken).ConfigureAwait(false);
        return ServiceResult.Ok(new RecordContentResponse(Summary(record) with { Status = "pending" }, Convert.ToHexStringLower(orgKey.PublicKey.Span), tiers, null, Json.Name(AccessPurpose.None), caller.RequestHash.ToString()));
    }

    /// <summary>The JSON summary of a write request at <paramref name="height"/> (expired when open past its expiry).</summary>
    public WriteRequestSummary WriteRequestSummary(WriteRequest request, ulong height)
    {
        ArgumentNullException.ThrowIfNull(request);
        var record = request.Request.Record;
        var author = _ledger.GetAccount(_ledger.GetCurrentKey(request.AuthorUserId));
        var organisation = _ledger.GetOrganisation(record.Organisation);
        var status = request.IsExpiredAt(height) ? "expired" : Json.Name(request.Status);
        return new WriteRequestSummary(
            record.RecordId.ToString(),
            record.Patient.ToString(),
            record.Author.ToString(),
            request.AuthorUserId.ToString(),
            author?.Name ?? string.Empty,
            record.Organisation,
            organisation?.Name ?? record.Organisation,
            Json.Name(record.Category),
            record.Tiers.Select(t => Json.Name(t.Tier)).ToList(),
            DateTimeOffset.FromUnixTimeMilliseconds(record.CreatedUnixMilliseconds),
            request.CreatedHeight,
            request.Request.ExpiresAtHeight,
            status,
            request.Status == WriteRequestStatus.Open ? null : request.AnsweredHeight,
            Convert.ToBase64String(record.Encode()));
    }

    /// <summary>
    /// Stores a checked upload's sealed tiers (<see cref="UploadAsync"/>): a pending upload with its write request's
    /// expiry height registered in the same store transaction, so that the chain indexer shreds the ciphertext should
    /// the request lapse unanswered or never commit. Throws what <see cref="IRecordStore.PutRecord"/> throws.
    /// </summary>
    private void StoreUpload(CheckedUpload upload)
    {
        if (StoreUploads([upload])[0] is { } error)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }
    }

    /// <summary>
    /// Stores checked uploads together (<see cref="UploadBatchAsync"/>), the pending ones registered as
    /// <see cref="StoreUpload"/> does: one slot per upload, as <see cref="IRecordStore.PutRecords(IReadOnlyList{StoredRecord})"/>.
    /// </summary>
    private IReadOnlyList<Exception?> StoreUploads(IReadOnlyList<CheckedUpload> uploads)
    {
        // Two uploads of one record id (the second is refused or a no-op) register its later expiry.
        var pending = uploads
            .Where(u => u.Transaction!.Type == TransactionType.RecordWriteRequest)
            .Select(u => RecordWriteRequestPayload.Decode(u.Transaction!.Payload.Span))
            .GroupBy(r => r.Record.RecordId)
            .Select(g => new PendingWrite(g.Key, g.Max(r => r.ExpiresAtHeight)))
            .ToList();
        return _store.PutRecords(uploads.Select(u => u.Record!).ToList(), pending);
    }

    // The anchor an upload carries: a RecordAnchor's payload, or the record a RecordWriteRequest asks to anchor (the
    // pending mode); null for any other type.
    private static RecordAnchorPayload? UploadedAnchor(Transaction transaction) => transaction.Type switch
    {
        TransactionType.RecordAnchor => RecordAnchorPayload.Decode(transaction.Payload.Span),
        TransactionType.RecordWriteRequest => RecordWriteRequestPayload.Decode(transaction.Payload.Span).Record,
        _ => null,
    };

    // Ciphertext held for a write request that is still open is expected, not an orphan: the integrity audit checks it
    // against the requested anchor, which is what the record will be if the patient approves.
    private RecordEntry? PendingRecord(Hash recordId)
    {
        if (_ledger.GetWriteRequest(recordId) is not { } pending || !pending.IsOpenAt(_ledger.Height + 1))
        {
            return null;
        }

        var record = pending.Request.Record;
        return new RecordEntry(record.RecordId, record.Patient, record.Author, pending.AuthorUserId, record.Organisation, record.Category, record.CreatedUnixMilliseconds, record.Tiers, WriteAuthorisation.PatientSignature, Hash.Zero, 0, RecordStatus.Active, 0);
    }
}
