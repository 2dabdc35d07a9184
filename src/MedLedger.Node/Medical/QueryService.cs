using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Ledger;
using MedLedger.Storage;
using Microsoft.AspNetCore.Http;

namespace MedLedger.Node.Medical;

/// <summary>
/// Reads of membership, users, grants and the access log, each scoped by the caller's role (least privilege):
/// a patient sees their own grants and "who viewed my data"; an auditor sees everyone's log and grants but never
/// record content; other users see the log entries of their own actions; org admins those of their organisation.
/// </summary>
public sealed class QueryService
{
    private readonly LedgerStateMachine _ledger;
    private readonly IRecordStore _store;
    private readonly TimeProvider _clock;

    public QueryService(LedgerStateMachine ledger, IRecordStore store, TimeProvider clock)
    {
        _ledger = ledger;
        _store = store;
        _clock = clock;
    }

    public IReadOnlyList<OrganisationInfo> Organisations()
    {
        var ids = _ledger.Query(StateKeys.Organisations()) is { } list ? OrganisationList.Decode(list) : [];
        return ids.Select(id => _ledger.GetOrganisation(id)).OfType<Organisation>().Select(ToInfo).ToList();
    }

    public OrganisationInfo? Organisation(string id) =>
        Ledger.Organisation.IsValidId(id) && _ledger.GetOrganisation(id) is { } organisation ? ToInfo(organisation) : null;

    public UserInfo? User(Hash userId)
    {
        var keyId = _ledger.GetCurrentKey(userId);
        if (keyId.IsZero || _ledger.GetAccount(keyId) is not { } account)
        {
            return null;
        }

        return new UserInfo(userId.ToString(), keyId.ToString(), Convert.ToHexStringLower(account.PublicKey), Json.Name(account.Role), account.Organisation, account.Name, account.IsActive);
    }

    public ServiceResult<GrantListResponse> Grants(Caller caller, Hash patient)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var self = caller.Account.Role == AccountRole.Patient && caller.UserId == patient;
        if (!self && caller.Account.Role != AccountRole.Auditor)
        {
            return ServiceResult.Fail<GrantListResponse>(StatusCodes.Status403Forbidden, "RoleNotPermitted", "Grants are listed by the granting patient or an auditor.");
        }

        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        return ServiceResult.Ok(new GrantListResponse(AccessPolicy.GrantsOf(_ledger.CommittedState, patient).Select(g => ToInfo(g, now)).ToList()));
    }

    public ServiceResult<Grant> Grant(Caller caller, Hash grantId)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var grant = _ledger.GetGrant(grantId);
        if (grant is null)
        {
            return ServiceResult.Fail<Grant>(StatusCodes.Status404NotFound, "NotFound", "No such grant.");
        }

        var allowed = (caller.Account.Role == AccountRole.Patient && caller.UserId == grant.Terms.Patient)
            || caller.Account.Role == AccountRole.Auditor
            || grant.Terms.Actor.Matches(caller.Account, caller.UserId);
        return allowed ? ServiceResult.Ok(grant) : ServiceResult.Fail<Grant>(StatusCodes.Status403Forbidden, "RoleNotPermitted", "A grant is shown to its patient, its grantee and auditors.");
    }

    /// <summary>The access log as the caller may see it, as JSON entries with a paging cursor.</summary>
    public ServiceResult<AccessLogResponse> AccessLog(Caller caller, AccessQuery query)
    {
        var entries = AccessEntries(caller, query);
        if (!entries.IsSuccess)
        {
            return ServiceResult.Fail<AccessLogResponse>(entries.Status, entries.Code, entries.Detail);
        }

        var limit = Math.Clamp(query?.Limit ?? 100, 1, 1000);
        var list = entries.Value!;
        return ServiceResult.Ok(new AccessLogResponse(list.Select(ToInfo).ToList(), list.Count == limit ? list[^1].Sequence : null));
    }

    /// <summary>The access-log entries the caller may see; the query is narrowed to the caller's scope, never widened.</summary>
    public ServiceResult<IndexedAccessList> AccessEntries(Caller caller, AccessQuery query)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(query);
        switch (caller.Account.Role)
        {
            case AccountRole.Auditor:
                break;
            case AccountRole.Patient:
                if (query.Patients is { Count: > 0 } asked && asked.Any(p => p != caller.UserId))
                {
                    return ServiceResult.Fail<IndexedAccessList>(StatusCodes.Status403Forbidden, "RoleNotPermitted", "A patient sees the access log of their own records.");
                }

                query = query with { Patients = [caller.UserId] };
                break;
            case AccountRole.OrgAdmin:
                if (query.Organisation is { } organisation && organisation != caller.Account.Organisation)
                {
                    return ServiceResult.Fail<IndexedAccessList>(StatusCodes.Status403Forbidden, "RoleNotPermitted", "An org admin sees the access log of their own organisation.");
                }

                query = query with { Organisation = caller.Account.Organisation };
                break;
            default:
                if (query.Actor is { } actor && actor != caller.KeyId)
                {
                    return ServiceResult.Fail<IndexedAccessList>(StatusCodes.Status403Forbidden, "RoleNotPermitted", "You see the access log of your own actions.");
                }

                query = query with { Actor = caller.KeyId };
                break;
        }

        return ServiceResult.Ok(new IndexedAccessList(_store.QueryAccess(query with { Limit = Math.Clamp(query.Limit, 1, 1000) })));
    }

    public static OrganisationInfo ToInfo(Organisation organisation)
    {
        ArgumentNullException.ThrowIfNull(organisation);
        return new OrganisationInfo(organisation.Id, organisation.Name, Json.Name(organisation.Kind), organisation.Tier, Convert.ToHexStringLower(organisation.EncryptionKey), organisation.Endpoint, Json.Name(organisation.Status), organisation.AdmittedHeight);
    }

    public static GrantInfo ToInfo(Grant grant, long now)
    {
        ArgumentNullException.ThrowIfNull(grant);
        var terms = grant.Terms;
        var actor = terms.Actor.Kind switch
        {
            GrantActorKind.User => terms.Actor.User.ToString(),
            GrantActorKind.Organisation => terms.Actor.Organisation,
            _ => Json.Name(terms.Actor.Role),
        };
        var actions = new List<string>();
        if ((terms.Actions & GrantActions.Read) != 0)
        {
            actions.Add("read");
        }

        if ((terms.Actions & GrantActions.Append) != 0)
        {
            actions.Add("append");
        }

        var status = grant.IsRevoked ? "revoked" : now < terms.ValidFromUnixMilliseconds ? "notYetValid" : now > terms.ValidUntilUnixMilliseconds ? "expired" : "active";
        return new GrantInfo(grant.Id.ToString(), terms.Patient.ToString(), Json.Name(terms.Actor.Kind), actor, actions, Json.Name(terms.Purpose), terms.Categories.Select(Json.Name).ToList(), terms.Tiers.Select(Json.Name).ToList(), terms.Records.Select(r => r.ToString()).ToList(), DateTimeOffset.FromUnixTimeMilliseconds(terms.ValidFromUnixMilliseconds), DateTimeOffset.FromUnixTimeMilliseconds(terms.ValidUntilUnixMilliseconds), grant.CreatedHeight, status);
    }

    public static AccessLogEntryInfo ToInfo(IndexedAccess access)
    {
        ArgumentNullException.ThrowIfNull(access);
        var e = access.Entry;
        return new AccessLogEntryInfo(access.Sequence, access.Height, access.TransactionId.ToString(), access.Organisation, DateTimeOffset.FromUnixTimeMilliseconds(e.TimeUnixMilliseconds), e.Actor.ToString(), Hex(e.Patient), Hex(e.RecordId), Json.Name(e.Action), e.Purpose == AccessPurpose.None ? "none" : Json.Name(e.Purpose), Json.Name(e.Outcome), e.Reason == AccessDenialReason.None ? "none" : Json.Name(e.Reason), Hex(e.GrantId), Hex(e.RequestHash));
    }

    private static string? Hex(Hash hash) => hash.IsZero ? null : hash.ToString();
}

/// <summary>A page of indexed access-log entries, newest first.</summary>
public sealed class IndexedAccessList(IReadOnlyList<IndexedAccess> entries) : IReadOnlyList<IndexedAccess>
{
    public int Count => entries.Count;

    public IndexedAccess this[int index] => entries[index];

    public IEnumerator<IndexedAccess> GetEnumerator() => entries.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => entries.GetEnumerator();
}
