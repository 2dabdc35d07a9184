using MedLedger.Core;
using MedLedger.Ledger;
using MedLedger.Node.Medical;
using MedLedger.Web.Services;
using MedLedger.Web.Sessions;

namespace MedLedger.Node.Web;

// Access requests (issue 5): a doctor asks a patient pseudonym for read access; the patient approves (a grant of exactly
// what was asked, then the answer naming it, both signed with the patient's session key) or declines.
public sealed partial class NodeWebDesks
{
    /// <summary>How many blocks an access request stays open before it lapses.</summary>
    internal const ulong AccessRequestLifetimeBlocks = 100_000;

    public Task<WebResult<string>> RequestAccessAsync(WebSession session, AccessRequestSubmission request, CancellationToken cancellationToken) => Guard(async () =>
    {
        ArgumentNullException.ThrowIfNull(request);
        var (caller, key, denied) = await AuthoriseAsync<string>(session, AccessAction.Grant, cancellationToken, AccountRole.Doctor).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        if (!Hash.TryParse(request.Patient, out var patient) || _ledger.GetAccount(_ledger.GetCurrentKey(patient)) is not { Role: AccountRole.Patient, IsActive: true })
        {
            return WebResult.Fail<string>(WebOutcome.NotFound, "There is no active patient with this pseudonym.");
        }

        if (!Json.TryParse<AccessPurpose>(request.Purpose, out var purpose) || purpose is AccessPurpose.None or AccessPurpose.Audit)
        {
            return WebResult.Fail<string>(WebOutcome.Invalid, "The purpose is treatment, insurance, research or emergency.");
        }

        var tiers = new List<SensitivityTier>();
        foreach (var text in request.Tiers)
        {
            if (!Json.TryParse<SensitivityTier>(text, out var tier) || tier == SensitivityTier.None)
            {
                return WebResult.Fail<string>(WebOutcome.Invalid, "Unknown sensitivity tier.");
            }

            tiers.Add(tier);
        }

        var categories = new List<RecordCategory>();
        foreach (var text in request.Categories)
        {
            if (!Json.TryParse<RecordCategory>(text, out var category) || category == RecordCategory.None)
            {
                return WebResult.Fail<string>(WebOutcome.Invalid, "Unknown record category.");
            }

            categories.Add(category);
        }

        if (tiers.Count == 0)
        {
            return WebResult.Fail<string>(WebOutcome.Invalid, "Choose at least one sensitivity tier.");
        }

        if (request.Days < 1 || request.Days > AccessRequestPayload.MaxValidityDays)
        {
            return WebResult.Fail<string>(WebOutcome.Invalid, $"Ask for 1 to {AccessRequestPayload.MaxValidityDays} days.");
        }

        var expires = _ledger.Height + AccessRequestLifetimeBlocks;
        var transaction = Factory(caller!, key!).RequestAccess(patient, GrantActions.Read, purpose, categories.Distinct().Order().ToList(), tiers.Distinct().Order().ToList(), (ushort)request.Days, expires);
        var submitted = await SubmitAsync(transaction, cancellationToken).ConfigureAwait(false);
        return submitted ?? WebResult.Ok(transaction.ComputeId(Suite).ToString(), $"Access requested from patient {patient.ToShortString()} for {request.Days} days; the patient decides.");
    });

    public Task<WebResult<IReadOnlyList<AccessRequestRow>>> MyAccessRequestsAsync(WebSession session, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (caller, _, denied) = await AuthoriseAsync<IReadOnlyList<AccessRequestRow>>(session, AccessAction.Search, cancellationToken, AccountRole.Doctor).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        var height = _ledger.Height + 1;
        return WebResult.Ok<IReadOnlyList<AccessRequestRow>>(_ledger.GetRequesterAccessRequests(caller!.UserId).Reverse().Select(r => RequestRow(r, height)).ToList());
    });

    public Task<WebResult<AccessRequestsView>> AccessRequestsAsync(WebSession session, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (_, _, denied) = await AuthoriseAsync<AccessRequestsView>(session, AccessAction.Search, cancellationToken, AccountRole.Patient).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        var height = _ledger.Height + 1;
        var pseudonyms = _callers.All(session).Select(c => c.Caller.UserId).ToList();
        var open = pseudonyms.SelectMany(_ledger.GetOpenAccessRequests).Where(r => r.IsOpenAt(height)).OrderBy(r => r.CreatedHeight).Select(r => RequestRow(r, height)).ToList();
        return WebResult.Ok(new AccessRequestsView(pseudonyms.Select(p => p.ToString()).ToList(), open));
    });

    public Task<WebResult<string>> AnswerAccessRequestAsync(WebSession session, string requestId, bool approve, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (caller, _, denied) = await AuthoriseAsync<string>(session, approve ? AccessAction.Grant : AccessAction.Revoke, cancellationToken, AccountRole.Patient).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        if (!Hash.TryParse(requestId, out var id) || _ledger.GetAccessRequest(id) is not { } request)
        {
            return WebResult.Fail<string>(WebOutcome.NotFound, "There is no such access request.");
        }

        // Answer with the pseudonym the request was sent to; another patient's request is refused and logged.
        var owner = _callers.All(session).FirstOrDefault(c => c.Caller.UserId == request.Terms.Patient);
        if (owner.Caller is null)
        {
            await _records.LogAsync(caller!, request.Terms.Patient, Hash.Zero, AccessAction.Grant, AccessPurpose.None, AccessDenialReason.RoleNotPermitted, Hash.Zero, cancellationToken).ConfigureAwait(false);
            return WebResult.Fail<string>(WebOutcome.Denied, "Only the patient asked answers an access request; the attempt is logged.");
        }

        if (!request.IsOpenAt(_ledger.Height + 1))
        {
            return WebResult.Fail<string>(WebOutcome.Invalid, "This request is no longer open.");
        }

        // One factory for both transactions, so the grant and the answer get consecutive nonces.
        var factory = Factory(owner.Caller, owner.Key);
        var requester = RequestRow(request, _ledger.Height + 1).RequesterLabel;
        if (!approve)
        {
            var declined = await SubmitAsync(factory.RespondToAccessRequest(id, Hash.Zero), cancellationToken).ConfigureAwait(false);
            return declined ?? WebResult.Ok(string.Empty, $"You declined the request of {requester}.");
        }

        var now = _clock.GetUtcNow();
        var asked = request.Terms;
        var terms = new ConsentGrantPayload(asked.Patient, GrantActor.ForUser(request.Requester), GrantActions.Read, asked.Purpose, asked.Categories, asked.Tiers, [], now.ToUnixTimeMilliseconds(), now.AddDays(asked.ValidityDays).ToUnixTimeMilliseconds());
        var grant = factory.GrantConsent(terms);
        var granted = await SubmitAsync(grant, cancellationToken).ConfigureAwait(false);
        if (granted is not null)
        {
            return granted;
        }

        var answered = await SubmitAsync(factory.RespondToAccessRequest(id, grant.ComputeId(Suite)), cancellationToken).ConfigureAwait(false);
        return answered ?? WebResult.Ok(string.Empty, $"You granted {requester} {Json.Name(asked.Purpose)} access for {asked.ValidityDays} days.");
    });

    private AccessRequestRow RequestRow(AccessRequest request, ulong height)
    {
        var account = _ledger.GetAccount(_ledger.GetCurrentKey(request.Requester));
        var organisation = account is null ? string.Empty : _ledger.GetOrganisation(account.Organisation)?.Name ?? account.Organisation;
        var status = request.IsExpiredAt(height) ? "expired" : Json.Name(request.Status);
        var terms = request.Terms;
        return new AccessRequestRow(
            request.Id.ToString(),
            terms.Patient.ToString(),
            request.Requester.ToString(),
            UserLabel(request.Requester.ToString()),
            organisation,
            Json.Name(terms.Purpose),
            terms.Categories.Select(c => Json.Name(c)).ToList(),
            terms.Tiers.Select(t => Json.Name(t)).ToList(),
            terms.ValidityDays,
            request.CreatedHeight,
            terms.ExpiresAtHeight,
            status,
            request.GrantId.IsZero ? null : request.GrantId.ToString());
    }
}
