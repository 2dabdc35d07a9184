using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Node.Medical;
using MedLedger.Sharing.Records;
using MedLedger.Web.Services;
using MedLedger.Web.Sessions;
using Microsoft.AspNetCore.Http;

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

            rows.AddRange(list.Value!.Requests.Select(WriteRow));
        }

        return WebResult.Ok<IReadOnlyList<WriteRequestRow>>(rows.OrderBy(r => r.Created).ToList());
    });

    public Task<WebResult<IReadOnlyList<WriteRequestRow>>> MyWriteRequestsAsync(WebSession session, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (caller, _, denied) = await AuthoriseAsync<IReadOnlyList<WriteRequestRow>>(session, AccessAction.Search, cancellationToken, AccountRole.Doctor).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        // The REST listing for a doctor's key: the doctor's latest requests with their status.
        var list = await _records.ListWriteRequestsAsync(caller!, cancellationToken).ConfigureAwait(false);
        return list.IsSuccess
            ? WebResult.Ok<IReadOnlyList<WriteRequestRow>>(list.Value!.Requests.Select(WriteRow).OrderByDescending(r => r.Created).ToList())
            : Map<IReadOnlyList<WriteRequestRow>>(list.Status, list.Detail);
    });

    public Task<WebResult<WriteRequestView>> WriteRequestAsync(WebSession session, string recordId, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (caller, _, denied) = await AuthoriseAsync<WriteRequestView>(session, AccessAction.Read, cancellationToken, AccountRole.Patient).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        if (!Hash.TryParse(recordId, out var id) || _ledger.GetWriteRequest(id) is not { } request)
        {
            return WebResult.Fail<WriteRequestView>(WebOutcome.NotFound, "There is no such write request.");
        }

        var owner = _callers.All(session).FirstOrDefault(c => c.Caller.UserId == request.Patient);
        if (owner.Caller is null)
        {
            await _records.LogAsync(caller!, request.Patient, id, AccessAction.Read, AccessPurpose.None, AccessDenialReason.RoleNotPermitted, Hash.Zero, cancellationToken).ConfigureAwait(false);
            return WebResult.Fail<WriteRequestView>(WebOutcome.Denied, "Only the patient asked sees a pending write; the attempt is logged.");
        }

        var height = _ledger.Height + 1;
        if (!request.IsOpenAt(height))
        {
            return WebResult.Fail<WriteRequestView>(WebOutcome.NotFound, "This write request is no longer open.");
        }

        // The holding node releases the tiers to the patient's own key (forwarded there when it is another node); the
        // answer is bound to the anchor on chain before it is opened, as a forwarded read is.
        var row = WriteRow(_records.WriteRequestSummary(request, height));
        var content = await _records.ReadWriteRequestAsync(owner.Caller, id, cancellationToken).ConfigureAwait(false);
        if (content.Status == StatusCodes.Status421MisdirectedRequest)
        {
            content = await _remote.FetchWriteRequestAsync(owner.Key, id, cancellationToken).ConfigureAwait(false);
        }

        if (!content.IsSuccess)
        {
            return WebResult.Ok(new WriteRequestView(row, [], "The content cannot be shown right now: " + content.Detail));
        }

        var anchored = request.Request.Record;
        var tiers = content.Value!.Tiers ?? [];
        var bound = tiers.Count > 0 && tiers.Select(t => t.Tier).Distinct(StringComparer.Ordinal).Count() == tiers.Count && tiers.All(t =>
            Json.TryParse<SensitivityTier>(t.Tier, out var tier)
            && anchored.Tiers.FirstOrDefault(a => a.Tier == tier) is { } anchor
            && Hash.TryParse(t.ContentAddress, out var address) && address == anchor.ContentAddress
            && Hash.TryParse(t.Commitment, out var commitment) && commitment == anchor.Commitment);
        if (!bound)
        {
            return WebResult.Ok(new WriteRequestView(row, [], "The holding node's answer does not match the write request on chain; it was not shown."));
        }

        try
        {
            var plaintext = RecordReader.Open(Suite, owner.Key, id, content.Value);
            return WebResult.Ok(new WriteRequestView(row, plaintext.Parts.Select(p => new RecordTierView(Json.Name(p.Key), Pretty(p.Value), Summarise(p.Value))).ToList(), null));
        }
        catch (Exception exception) when (exception is CryptoException or RecordIntegrityException)
        {
            return WebResult.Ok(new WriteRequestView(row, [], "The content failed its integrity check and was not shown: " + exception.Message));
        }
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

    private static WriteRequestRow WriteRow(WriteRequestSummary summary) =>
        new(summary.RecordId, summary.Patient, summary.AuthorName.Length > 0 ? summary.AuthorName : Short(summary.AuthorUser), summary.OrganisationName, summary.Category, summary.Tiers, summary.Created, summary.ExpiresAtHeight, summary.Status);

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
