using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Node.Medical;
using MedLedger.Web.Services;
using MedLedger.Web.Sessions;

namespace MedLedger.Node.Web;

// Record write requests (issue 5): the doctor writes a record that waits for the patient's approval in their portal; the
// patient approves (the pseudonym's session key signs the consent statement, as grants are signed today) or declines.
// Both go through RecordService, as the REST API's pending upload and answer do.
public sealed partial class NodeWebDesks
{
    /// <summary>How many blocks a write request stays open before it lapses (as an access request).</summary>
    internal const ulong WriteRequestLifetimeBlocks = AccessRequestLifetimeBlocks;

    public Task<WebResult<IReadOnlyList<WriteRequestRow>>> WriteRequestsAsync(WebSession session, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (_, _, denied) = await AuthoriseAsync<IReadOnlyList<WriteRequestRow>>(session, AccessAction.Search, cancellationToken, AccountRole.Patient).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        // Each pseudonym lists its own requests with its own caller, as the REST API would for that key.
        var rows = new List<WriteRequestRow>();
        foreach (var (pseudonym, _) in _callers.All(session))
        {
            var list = await _records.ListWriteRequestsAsync(pseudonym, cancellationToken).ConfigureAwait(false);
            if (!list.IsSuccess)
            {
                return Map<IReadOnlyList<WriteRequestRow>>(list.Status, list.Detail);
            }

            rows.AddRange(list.Value!.Requests.Select(r => new WriteRequestRow(r.RecordId, r.Patient, r.AuthorName.Length > 0 ? r.AuthorName : Short(r.AuthorUser), r.OrganisationName, r.Category, r.Tiers, r.Created, r.ExpiresAtHeight, r.Status)));
        }

        return WebResult.Ok<IReadOnlyList<WriteRequestRow>>(rows.OrderBy(r => r.Created).ToList());
    });

    public Task<WebResult<string>> AnswerWriteRequestAsync(WebSession session, string recordId, bool approve, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (caller, _, denied) = await AuthoriseAsync<string>(session, AccessAction.Write, cancellationToken, AccountRole.Patient).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        if (!Hash.TryParse(recordId, out var id) || _ledger.GetWriteRequest(id) is not { } request)
        {
            return WebResult.Fail<string>(WebOutcome.NotFound, "There is no such write request.");
        }

        // Answer with the pseudonym the request was sent to; another patient's request is refused and logged.
        var owner = _callers.All(session).FirstOrDefault(c => c.Caller.UserId == request.Patient);
        if (owner.Caller is null)
        {
            await _records.LogAsync(caller!, request.Patient, id, AccessAction.Write, AccessPurpose.Treatment, AccessDenialReason.RoleNotPermitted, Hash.Zero, cancellationToken).ConfigureAwait(false);
            return WebResult.Fail<string>(WebOutcome.Denied, "Only the patient asked answers a write request; the attempt is logged.");
        }

        if (!request.IsOpenAt(_ledger.Height + 1))
        {
            return WebResult.Fail<string>(WebOutcome.Invalid, "This write request is no longer open.");
        }

        // The consent statement is computed here from the anchor the chain holds, never taken from the browser.
        var record = request.Request.Record;
        var signature = approve ? owner.Key.Sign(record.EncodeConsentStatement(_ledger.ChainId)) : [];
        var transaction = Factory(owner.Caller, owner.Key).RespondToWriteRequest(id, signature);
        var answered = await _records.AnswerWriteRequestAsync(owner.Caller, id, new WriteRequestAnswerRequest(Convert.ToBase64String(transaction.Encoded.Span)), cancellationToken).ConfigureAwait(false);
        if (!answered.IsSuccess)
        {
            return Map<string>(answered.Status, answered.Detail);
        }

        var author = UserLabel(request.AuthorUserId.ToString());
        return approve
            ? WebResult.Ok(id.ToString(), $"You approved the {Json.Name(record.Category)} record by {author}: it is in your records now (block {answered.Value!.Height}).")
            : WebResult.Ok(string.Empty, $"You declined the {Json.Name(record.Category)} record by {author}: it will never be part of your records.");
    });

    // The doctor's "ask the patient to approve in their portal": the record is sealed and stored at this node exactly as
    // a consented write, but the chain gets a RecordWriteRequest; nobody can read it until the patient approves.
    private async Task<WebResult<string>> RequestPatientApprovalAsync(Caller caller, ISigningKey key, Hash patient, Account patientAccount, RecordCategory category, IReadOnlyDictionary<SensitivityTier, byte[]> parts, CancellationToken cancellationToken)
    {
        var organisation = _ledger.GetOrganisation(caller.Account.Organisation);
        if (organisation is null)
        {
            return WebResult.Fail<string>(WebOutcome.Invalid, "Your organisation is not a member.");
        }

        RecordDraft draft;
        try
        {
            draft = RecordWriter.Prepare(Suite, key, _ledger.ChainId, patient, patientAccount.PublicKey, organisation.Id, organisation.EncryptionKey, category, parts, _clock.GetUtcNow().ToUnixTimeMilliseconds());
        }
        catch (ArgumentException exception)
        {
            return WebResult.Fail<string>(WebOutcome.Invalid, exception.Message);
        }

        var transaction = Factory(caller, key).RequestRecordWrite(draft.Anchor, _ledger.Height + WriteRequestLifetimeBlocks);
        var upload = await _records.UploadAsync(caller, new RecordUploadRequest(Convert.ToBase64String(transaction.Encoded.Span), draft.Tiers), waitForCommit: true, cancellationToken).ConfigureAwait(false);
        return upload.IsSuccess
            ? WebResult.Ok(upload.Value!.RecordId, $"The record waits for the patient's approval in their portal (request in block {upload.Value.Height}); it becomes part of their records only when they approve.")
            : Map<string>(upload.Status, upload.Detail);
    }
}
