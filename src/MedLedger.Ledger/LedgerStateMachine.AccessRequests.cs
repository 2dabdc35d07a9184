using MedLedger.Core;

namespace MedLedger.Ledger;

// Access requests (issue 5): a doctor asks a patient pseudonym for read access in coded terms; the patient answers with
// a grant of theirs that covers the request, or declines. The request itself gives no access: only the grant does.
public sealed partial class LedgerStateMachine
{
    /// <summary>The committed access request, or null.</summary>
    public AccessRequest? GetAccessRequest(Hash requestId) =>
        Query(StateKeys.AccessRequest(requestId)) is { } value ? AccessRequest.Decode(value) : null;

    /// <summary>The committed requests still listed as open for a patient pseudonym (some may have expired since; see <see cref="AccessRequest.IsOpenAt"/>).</summary>
    public IReadOnlyList<AccessRequest> GetOpenAccessRequests(Hash patientUserId) => ListAccessRequests(StateKeys.PatientAccessRequests(patientUserId), AccessRequest.MaxOpenPerPatient);

    /// <summary>The committed latest requests of a requester, oldest first (answered, open and expired).</summary>
    public IReadOnlyList<AccessRequest> GetRequesterAccessRequests(Hash requesterUserId) => ListAccessRequests(StateKeys.RequesterAccessRequests(requesterUserId), AccessRequest.MaxPerRequester);

    private List<AccessRequest> ListAccessRequests(byte[] listKey, int maxCount)
    {
        var list = Query(listKey) is { } encoded ? HashList.Decode(encoded, maxCount) : [];
        return [.. list.Select(GetAccessRequest).OfType<AccessRequest>()];
    }

    private static AccessRequest? ReadAccessRequest(StateOverlay state, Hash requestId) =>
        state.GetValue(StateKeys.AccessRequest(requestId)) is { } value ? AccessRequest.Decode(value) : null;

    private static TransactionResult ExecuteAccessRequest(StateOverlay state, Account sender, Hash senderId, Hash requestId, AccessRequestPayload payload, ulong height)
    {
        if (sender.Role != AccountRole.Doctor)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "only a doctor requests access to a patient's records");
        }

        var valid = payload.Actions == GrantActions.Read
            && Enum.IsDefined(payload.Purpose) && payload.Purpose != AccessPurpose.None
            && payload.Categories.All(c => Enum.IsDefined(c) && c != RecordCategory.None) && payload.Categories.Distinct().Count() == payload.Categories.Count
            && payload.Tiers.Count > 0 && payload.Tiers.All(t => Enum.IsDefined(t) && t != SensitivityTier.None) && payload.Tiers.Distinct().Count() == payload.Tiers.Count
            && payload.ValidityDays is >= 1 and <= AccessRequestPayload.MaxValidityDays;
        if (!valid)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, $"the request's action (read only), purpose, categories, tiers or validity (1..{AccessRequestPayload.MaxValidityDays} days) are invalid");
        }

        if (payload.ExpiresAtHeight < height || payload.ExpiresAtHeight - height > AccessRequestPayload.MaxLifetimeBlocks)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, $"the request must expire at or after this block and at most {AccessRequestPayload.MaxLifetimeBlocks} blocks later");
        }

        if (ReadUser(state, payload.Patient) is not { } patient || patient.Account.Role != AccountRole.Patient || !patient.Account.IsActive)
        {
            return TransactionResult.Reject(TransactionRejection.NotFound, $"{payload.Patient.ToShortString()} is not a registered patient pseudonym");
        }

        var requester = sender.EffectiveUserId(senderId);
        var openKey = StateKeys.PatientAccessRequests(payload.Patient);
        var open = state.GetValue(openKey) is { } encodedOpen ? HashList.Decode(encodedOpen, AccessRequest.MaxOpenPerPatient) : [];
        var openRequests = open.Select(id => ReadAccessRequest(state, id)).OfType<AccessRequest>().Where(r => r.IsOpenAt(height)).ToList();
        if (openRequests.Any(r => r.Requester == requester))
        {
            return TransactionResult.Reject(TransactionRejection.AlreadyExists, "this requester already has an open request to this patient");
        }

        if (openRequests.Count >= AccessRequest.MaxOpenPerPatient)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, $"the patient already has {AccessRequest.MaxOpenPerPatient} open requests");
        }

        // The requester's list keeps the latest requests; the oldest answered or expired ones make room.
        var mineKey = StateKeys.RequesterAccessRequests(requester);
        var mine = state.GetValue(mineKey) is { } encodedMine ? HashList.Decode(encodedMine, AccessRequest.MaxPerRequester) : [];
        while (mine.Count >= AccessRequest.MaxPerRequester)
        {
            var index = mine.FindIndex(id => ReadAccessRequest(state, id) is not { } r || !r.IsOpenAt(height));
            if (index < 0)
            {
                return TransactionResult.Reject(TransactionRejection.InvalidPayload, $"the requester already has {AccessRequest.MaxPerRequester} open requests");
            }

            mine.RemoveAt(index);
        }

        mine.Add(requestId);
        state.Set(mineKey, HashList.Encode(mine));
        state.Set(openKey, HashList.Encode([.. openRequests.Select(r => r.Id), requestId]));
        state.Set(StateKeys.AccessRequest(requestId), new AccessRequest(requestId, requester, payload, height, AccessRequestStatus.Open, 0, Hash.Zero).Encode());
        return TransactionResult.Accepted;
    }

    private static TransactionResult ExecuteAccessRequestRespond(StateOverlay state, Account sender, Hash senderId, AccessRequestRespondPayload payload, ulong height, long time)
    {
        if (ReadAccessRequest(state, payload.RequestId) is not { } request)
        {
            return TransactionResult.Reject(TransactionRejection.NotFound, "no such access request");
        }

        if (sender.Role != AccountRole.Patient || sender.EffectiveUserId(senderId) != request.Terms.Patient)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "only the patient asked answers an access request");
        }

        if (!request.IsOpenAt(height))
        {
            return TransactionResult.Reject(TransactionRejection.RequestNotOpen, request.Status == AccessRequestStatus.Open ? "the request has expired" : $"the request was already answered ({request.Status})");
        }

        if (!payload.Declines)
        {
            if (state.GetValue(StateKeys.Grant(payload.GrantId)) is not { } encodedGrant)
            {
                return TransactionResult.Reject(TransactionRejection.NotFound, "no such grant");
            }

            var grant = Grant.Decode(encodedGrant);
            if (!Covers(grant, request, time))
            {
                return TransactionResult.Reject(TransactionRejection.GrantMismatch, "the grant is not this patient's, does not name the requester, is not in force, or does not cover the requested action, purpose, categories and tiers");
            }
        }

        var openKey = StateKeys.PatientAccessRequests(request.Terms.Patient);
        var open = state.GetValue(openKey) is { } encodedOpen ? HashList.Decode(encodedOpen, AccessRequest.MaxOpenPerPatient) : [];
        open.Remove(request.Id);
        if (open.Count == 0)
        {
            state.Delete(openKey);
        }
        else
        {
            state.Set(openKey, HashList.Encode(open));
        }

        var status = payload.Declines ? AccessRequestStatus.Declined : AccessRequestStatus.Granted;
        state.Set(StateKeys.AccessRequest(request.Id), (request with { Status = status, AnsweredHeight = height, GrantId = payload.GrantId }).Encode());
        return TransactionResult.Accepted;
    }

    private static bool Covers(Grant grant, AccessRequest request, long time)
    {
        var terms = grant.Terms;
        var asked = request.Terms;
        return terms.Patient == asked.Patient
            && terms.Actor.Kind == GrantActorKind.User && terms.Actor.User == request.Requester
            && (terms.Actions & asked.Actions) == asked.Actions
            && terms.Purpose == asked.Purpose
            && terms.Records.Count == 0
            && (terms.Categories.Count == 0 || (asked.Categories.Count > 0 && asked.Categories.All(terms.Categories.Contains)))
            && asked.Tiers.All(terms.Tiers.Contains)
            && !grant.IsRevoked && terms.ValidUntilUnixMilliseconds > time;
    }
}
