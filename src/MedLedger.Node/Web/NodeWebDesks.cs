using System.Text.Json;
using System.Text.Json.Nodes;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Node.Medical;
using MedLedger.Sharing.Records;
using MedLedger.Storage;
using MedLedger.Web.Services;
using MedLedger.Web.Sessions;
using Microsoft.AspNetCore.Http;

namespace MedLedger.Node.Web;

/// <summary>
/// The node's implementation of the web UI's application services (docs/web.md). Every method first resolves the
/// session to an on-chain caller and checks the role the action needs; a refused attempt is logged on chain like the
/// REST API logs it (<see cref="RecordService.LogAsync"/>). Reads, writes, grants and searches then go through the
/// same application services as the API (<see cref="RecordService"/>, <see cref="QueryService"/>,
/// <see cref="CustodyService"/>, <see cref="LedgerService"/>), so the web UI cannot do anything the API would refuse.
/// </summary>
public sealed partial class NodeWebDesks : ISignIn, IPatientPortal, IRecordViewer, IDoctorDesk, IAuditDesk, IAdminDesk, IExplorer
{
    private static readonly TimeSpan CommitWait = TimeSpan.FromSeconds(20);

    private readonly LedgerStateMachine _ledger;
    private readonly LedgerService _ledgerService;
    private readonly RecordService _records;
    private readonly QueryService _queries;
    private readonly CustodyService _custody;
    private readonly IHttpContextAccessor _http;
    private readonly IRecordStore _store;
    private readonly WebCallers _callers;
    private readonly NodeIdentity _identity;
    private readonly TimeProvider _clock;
    private readonly RemoteRecords _remote;

    public NodeWebDesks(LedgerStateMachine ledger, LedgerService ledgerService, RecordService records, QueryService queries, CustodyService custody, IRecordStore store, WebCallers callers, NodeIdentity identity, TimeProvider clock, RemoteRecords remote, IHttpContextAccessor http)
    {
        _http = http;
        _remote = remote;
        _ledger = ledger;
        _ledgerService = ledgerService;
        _records = records;
        _queries = queries;
        _custody = custody;
        _store = store;
        _callers = callers;
        _identity = identity;
        _clock = clock;
    }

    private ICryptoSuite Suite => _ledger.Suite;

    // Where the browser's request came from, for the passphrase throttle (a web request always has a context).
    private string Source => PassphraseThrottle.SourceOf(_http.HttpContext?.Connection.RemoteIpAddress);

    public Task<WebResult<string>> ChangePassphraseAsync(WebSession session, string current, string replacement, CancellationToken cancellationToken) => Guard(async () =>
    {
        ArgumentNullException.ThrowIfNull(session);

        // The same service, throttle and rules as POST /api/v1/custody/passphrase; the session's keys are not used, so a
        // stolen session alone cannot change the passphrase.
        var changed = await _custody.ChangePassphraseAsync(new PassphraseChangeRequest(session.User.Username, current, replacement), Source, cancellationToken).ConfigureAwait(false);
        return changed.IsSuccess
            ? WebResult.Ok(changed.Value!.Username, "Your passphrase was changed; use the new one next time you sign in.")
            : WebResult.Fail<string>(changed.Status == StatusCodes.Status429TooManyRequests ? WebOutcome.Unavailable : WebOutcome.Invalid, changed.Detail);
    });

    public async Task<SignInOutcome> SignInAsync(string username, string passphrase, CancellationToken cancellationToken)
    {
        var unlocked = await _custody.UnlockAsync(username, passphrase, Source, cancellationToken).ConfigureAwait(false);
        if (!unlocked.IsSuccess)
        {
            return new SignInOutcome(null, null, unlocked.Detail);
        }

        var keys = new SessionKeys(unlocked.Value!.Account, unlocked.Value.Keys);
        var keyId = Suite.Hash(keys.Keys[0].PublicKey.Span);
        var account = _ledger.GetAccount(keyId);
        if (account is null || !account.IsActive)
        {
            keys.Dispose();
            return new SignInOutcome(null, null, account is null ? "Your account is not registered on the chain yet." : "Your account was revoked.");
        }

        var user = new WebUser(unlocked.Value.Account.Username, account.EffectiveUserId(keyId).ToString(), WebCallers.RoleOf(account.Role), Json.Name(account.Role), account.Organisation, account.Role == AccountRole.Patient || account.Name.Length == 0 ? unlocked.Value.Account.Username : account.Name);
        return new SignInOutcome(user, keys, null);
    }

    // ---- Patient -------------------------------------------------------------------------------------------------

    public Task<WebResult<IReadOnlyList<RecordRow>>> TimelineAsync(WebSession session, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (caller, _, denied) = await AuthoriseAsync<IReadOnlyList<RecordRow>>(session, AccessAction.Search, cancellationToken, AccountRole.Patient).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        // A patient has one pseudonym per institution relationship, each its own key: list each with its own caller.
        var rows = new List<RecordRow>();
        foreach (var (pseudonym, _) in _callers.All(session))
        {
            var list = await _records.ListAsync(pseudonym, [pseudonym.UserId], null, 500, cancellationToken).ConfigureAwait(false);
            if (!list.IsSuccess)
            {
                return Map<IReadOnlyList<RecordRow>>(list);
            }

            rows.AddRange(list.Value!.Records.Select(Row));
        }

        return WebResult.Ok<IReadOnlyList<RecordRow>>(rows.OrderByDescending(r => r.Created).ToList());
    });

    public Task<WebResult<RecordView>> ReadAsync(WebSession session, string recordId, CancellationToken cancellationToken) => Guard(async () =>
    {
        if (!Hash.TryParse(recordId, out var id))
        {
            return WebResult.Fail<RecordView>(WebOutcome.NotFound, "There is no such record.");
        }

        var patient = _ledger.GetRecord(id)?.Patient;
        var (caller, key, problem) = _callers.Resolve(session, patient);
        if (caller is null || key is null)
        {
            return WebResult.Fail<RecordView>(WebOutcome.Denied, problem ?? "Access denied.");
        }

        // The policy, the logging and the key release are the REST read path's (SPEC F19); the UI opens the answer
        // with the reader's key like any client, which also checks the commitment (SPEC F21).
        var purpose = caller.Account.Role == AccountRole.Patient ? AccessPurpose.None : AccessPurpose.Treatment;
        var content = await FetchAsync(caller, key, id, purpose, cancellationToken).ConfigureAwait(false);
        if (!content.IsSuccess)
        {
            return Map<RecordView>(content);
        }

        RecordPlaintext plaintext;
        try
        {
            plaintext = RecordReader.Open(Suite, key, id, content.Value!);
        }
        catch (Exception exception) when (exception is CryptoException or RecordIntegrityException)
        {
            return WebResult.Fail<RecordView>(WebOutcome.Unavailable, "The record failed its integrity check and was not shown: " + exception.Message);
        }

        var tiers = plaintext.Parts.Select(p => new RecordTierView(Json.Name(p.Key), Pretty(p.Value), Summarise(p.Value))).ToList();
        return WebResult.Ok(new RecordView(Row(plaintext.Record), tiers, plaintext.Purpose, plaintext.GrantId, IntegrityVerified: true));
    });

    public Task<WebResult<IReadOnlyList<GrantRow>>> GrantsAsync(WebSession session, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (_, _, denied) = await AuthoriseAsync<IReadOnlyList<GrantRow>>(session, AccessAction.Search, cancellationToken, AccountRole.Patient).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        var rows = new List<GrantRow>();
        foreach (var (pseudonym, _) in _callers.All(session))
        {
            var grants = _queries.Grants(pseudonym, pseudonym.UserId);
            if (!grants.IsSuccess)
            {
                return Map<IReadOnlyList<GrantRow>>(grants);
            }

            rows.AddRange(grants.Value!.Grants.Select(g => new GrantRow(g.GrantId, g.ActorKind, g.Actor, ActorLabel(g.ActorKind, g.Actor), g.Actions, g.Purpose, g.Categories, g.Tiers, g.ValidFrom, g.ValidUntil, g.Status)));
        }

        return WebResult.Ok<IReadOnlyList<GrantRow>>(rows.OrderBy(r => r.Status == "active" ? 0 : 1).ThenByDescending(r => r.ValidFrom).ToList());
    });

    public Task<WebResult<string>> CreateGrantAsync(WebSession session, GrantRequest request, CancellationToken cancellationToken) => Guard(async () =>
    {
        ArgumentNullException.ThrowIfNull(request);
        var (caller, key, denied) = await AuthoriseAsync<string>(session, AccessAction.Grant, cancellationToken, AccountRole.Patient).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        GrantActor actor;
        string label;
        switch (request.ActorKind)
        {
            case "user":
                var userId = Hash.TryParse(request.Actor, out var id) ? id : _store.GetCustodialAccount(request.Actor)?.UserId;
                if (userId is null || _ledger.GetAccount(_ledger.GetCurrentKey(userId.Value)) is not { IsActive: true } grantee)
                {
                    return WebResult.Fail<string>(WebOutcome.Invalid, "No active user has this username at this node (or this user id).");
                }

                actor = GrantActor.ForUser(userId.Value);
                label = grantee.Name.Length > 0 ? grantee.Name : request.Actor;
                break;
            case "organisation":
                if (_ledger.GetOrganisation(request.Actor) is not { Status: OrganisationStatus.Active } organisation)
                {
                    return WebResult.Fail<string>(WebOutcome.Invalid, "No active member organisation has this id.");
                }

                actor = GrantActor.ForOrganisation(organisation.Id);
                label = organisation.Name;
                break;
            case "role":
                if (!Json.TryParse<AccountRole>(request.Actor, out var role) || role is not (AccountRole.Doctor or AccountRole.InsurerAgent or AccountRole.Researcher))
                {
                    return WebResult.Fail<string>(WebOutcome.Invalid, "A role grant names doctor, insurerAgent or researcher.");
                }

                actor = GrantActor.ForRole(role);
                label = "every " + Json.Name(role);
                break;
            default:
                return WebResult.Fail<string>(WebOutcome.Invalid, "Grant to a user, an organisation or a role.");
        }

        if (!Json.TryParse<AccessPurpose>(request.Purpose, out var purpose) || purpose == AccessPurpose.Audit)
        {
            return WebResult.Fail<string>(WebOutcome.Invalid, "The purpose is treatment, insurance, research or emergency.");
        }

        var tiers = new List<SensitivityTier>();
        foreach (var text in request.Tiers)
        {
            if (!Json.TryParse<SensitivityTier>(text, out var tier))
            {
                return WebResult.Fail<string>(WebOutcome.Invalid, "Unknown sensitivity tier.");
            }

            tiers.Add(tier);
        }

        var categories = new List<RecordCategory>();
        foreach (var text in request.Categories)
        {
            if (!Json.TryParse<RecordCategory>(text, out var category))
            {
                return WebResult.Fail<string>(WebOutcome.Invalid, "Unknown record category.");
            }

            categories.Add(category);
        }

        if (tiers.Count == 0)
        {
            return WebResult.Fail<string>(WebOutcome.Invalid, "Choose at least one sensitivity tier.");
        }

        if (request.Days is < 1 or > 3650)
        {
            return WebResult.Fail<string>(WebOutcome.Invalid, "A grant lasts 1 to 3650 days.");
        }

        var now = _clock.GetUtcNow();
        var terms = new ConsentGrantPayload(caller!.UserId, actor, request.AllowAppend ? GrantActions.Read | GrantActions.Append : GrantActions.Read, purpose, categories.Distinct().Order().ToList(), tiers.Distinct().Order().ToList(), [], now.ToUnixTimeMilliseconds(), now.AddDays(request.Days).ToUnixTimeMilliseconds());
        if (TransactionFactory.DescribeInvalidGrant(terms) is { } invalid)
        {
            return WebResult.Fail<string>(WebOutcome.Invalid, invalid);
        }

        var submitted = await SubmitAsync(Factory(caller, key!).GrantConsent(terms), cancellationToken).ConfigureAwait(false);
        return submitted ?? WebResult.Ok(string.Empty, $"Granted {Json.Name(purpose)} access to {label} for {request.Days} days.");
    });

    public Task<WebResult<string>> RevokeGrantAsync(WebSession session, string grantId, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (caller, key, denied) = await AuthoriseAsync<string>(session, AccessAction.Revoke, cancellationToken, AccountRole.Patient).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        if (!Hash.TryParse(grantId, out var id) || _ledger.GetGrant(id) is not { } grant)
        {
            return WebResult.Fail<string>(WebOutcome.NotFound, "There is no such grant.");
        }

        // Revoke with the pseudonym that granted it.
        var owner = _callers.All(session).FirstOrDefault(c => c.Caller.UserId == grant.Terms.Patient);
        if (owner.Caller is null)
        {
            await _records.LogAsync(caller!, grant.Terms.Patient, Hash.Zero, AccessAction.Revoke, AccessPurpose.None, AccessDenialReason.RoleNotPermitted, id, cancellationToken).ConfigureAwait(false);
            return WebResult.Fail<string>(WebOutcome.Denied, "Only the patient who granted it revokes a grant; the attempt is logged.");
        }

        var submitted = await SubmitAsync(Factory(owner.Caller, owner.Key).RevokeConsent(id), cancellationToken).ConfigureAwait(false);
        return submitted ?? WebResult.Ok(string.Empty, "The grant is revoked: every later read under it is refused.");
    });

    public Task<WebResult<IReadOnlyList<AccessRow>>> WhoViewedAsync(WebSession session, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (_, _, denied) = await AuthoriseAsync<IReadOnlyList<AccessRow>>(session, AccessAction.Search, cancellationToken, AccountRole.Patient).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        var rows = new List<AccessRow>();
        foreach (var (pseudonym, _) in _callers.All(session))
        {
            var entries = _queries.AccessEntries(pseudonym, new AccessQuery(Limit: 500));
            if (!entries.IsSuccess)
            {
                return Map<IReadOnlyList<AccessRow>>(entries);
            }

            rows.AddRange(entries.Value!.Select(AccessRowOf));
        }

        return WebResult.Ok<IReadOnlyList<AccessRow>>(rows.OrderByDescending(r => r.Time).ToList());
    });

    public Task<WebResult<WebFile>> ExportRecordsAsync(WebSession session, CancellationToken cancellationToken) => Guard(async () =>
    {
        var timeline = await TimelineAsync(session, cancellationToken).ConfigureAwait(false);
        if (!timeline.IsOk)
        {
            return WebResult.Fail<WebFile>(timeline.Outcome, timeline.Message);
        }

        // Exporting is reading: each record goes through the read path (forwarded to its holding node when another
        // member's node holds it) and is logged like any other read. A record that cannot be exported (its holder does
        // not answer, or it fails its integrity check) does not stop the export: it is named in an OperationOutcome
        // entry, so the patient sees what is missing instead of a silently shorter bundle.
        var entries = new JsonArray();
        var issues = new JsonArray();
        foreach (var row in timeline.Value!.Where(r => r.Status == "active"))
        {
            var id = Hash.Parse(row.RecordId);
            var (caller, key, problem) = _callers.Resolve(session, Hash.Parse(row.Patient));
            if (caller is null || key is null)
            {
                return WebResult.Fail<WebFile>(WebOutcome.Denied, problem ?? "Access denied.");
            }

            var content = await FetchAsync(caller, key, id, AccessPurpose.None, cancellationToken).ConfigureAwait(false);
            if (!content.IsSuccess)
            {
                // FHIR R4 IssueType codes: a refusal, a record gone, an integrity failure at its holder (not worth
                // retrying), anything else (the holder unreachable or busy) worth trying again later.
                var code = content.Status switch
                {
                    StatusCodes.Status403Forbidden => "forbidden",
                    StatusCodes.Status404NotFound => "not-found",
                    StatusCodes.Status410Gone => "deleted",
                    _ when content.Code == "IntegrityFailure" => "processing",
                    _ => "transient",
                };
                issues.Add(ExportIssue(row.RecordId, code, string.IsNullOrEmpty(content.Detail) ? "The record could not be read." : content.Detail));
                continue;
            }

            try
            {
                var plaintext = RecordReader.Open(Suite, key, id, content.Value!, RecordTiers.Merge);
                entries.Add(new JsonObject
                {
                    ["fullUrl"] = $"urn:medledger:record:{row.RecordId}",
                    ["resource"] = JsonNode.Parse(plaintext.Merged!),
                });
            }
            catch (Exception exception) when (exception is CryptoException or RecordIntegrityException or JsonException)
            {
                issues.Add(ExportIssue(row.RecordId, "processing", "The record failed its integrity check and was not exported."));
            }
        }

        if (issues.Count > 0)
        {
            entries.Add(new JsonObject
            {
                ["fullUrl"] = "urn:medledger:export-issues",
                ["resource"] = new JsonObject { ["resourceType"] = "OperationOutcome", ["issue"] = issues },
            });
        }

        var bundle = new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "collection",
            ["timestamp"] = _clock.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["entry"] = entries,
        };
        return WebResult.Ok(new WebFile("my-records.fhir.json", "application/fhir+json", JsonSerializer.SerializeToUtf8Bytes(bundle)));
    });

    public Task<WebResult<WebFile>> ExportAccessLogAsync(WebSession session, CancellationToken cancellationToken) => Guard(async () =>
    {
        var (_, _, denied) = await AuthoriseAsync<WebFile>(session, AccessAction.Search, cancellationToken, AccountRole.Patient).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        var all = new List<IndexedAccess>();
        foreach (var (pseudonym, _) in _callers.All(session))
        {
            var entries = _queries.AccessEntries(pseudonym, new AccessQuery(Limit: 1000));
            if (!entries.IsSuccess)
            {
                return Map<WebFile>(entries);
            }

            all.AddRange(entries.Value!);
        }

        return WebResult.Ok(new WebFile("my-access-log.fhir.json", "application/fhir+json", FhirExports.AuditEvents(all, _ledger, _identity.KeyId.ToString())));
    });

    // ---- Shared helpers ------------------------------------------------------------------------------------------

    /// <summary>Resolves the session and checks its on-chain role; a wrong role is logged on chain and refused.</summary>
    private async Task<(Caller? Caller, ISigningKey? Key, WebResult<T>? Denied)> AuthoriseAsync<T>(WebSession session, AccessAction action, CancellationToken cancellationToken, params AccountRole[] roles)
    {
        var (caller, key, problem) = _callers.Resolve(session);
        if (caller is null || key is null)
        {
            return (null, null, WebResult.Fail<T>(WebOutcome.Denied, problem ?? "Access denied."));
        }

        if (!roles.Contains(caller.Account.Role))
        {
            await _records.LogAsync(caller, Hash.Zero, Hash.Zero, action, AccessPurpose.None, AccessDenialReason.RoleNotPermitted, Hash.Zero, cancellationToken).ConfigureAwait(false);
            return (null, null, WebResult.Fail<T>(WebOutcome.Denied, $"Access denied: this is for {string.Join(" or ", roles.Select(Json.Name))} users; the attempt is logged."));
        }

        return (caller, key, null);
    }

    private static JsonObject ExportIssue(string recordId, string code, string detail) => new()
    {
        ["severity"] = "error",
        ["code"] = code,
        ["diagnostics"] = detail,
        ["expression"] = new JsonArray($"urn:medledger:record:{recordId}"),
    };

    /// <summary>
    /// The read path for a web user: this node's own read, or — when another member's node holds the record — the
    /// user's own signed read forwarded there (ARCHITECTURE §10). A forwarded answer is bound to this node's copy of the
    /// chain before it is opened: each tier's content address and salted commitment must be the anchored ones and the
    /// record facts are taken from the anchor, so a holder (or anything between) cannot pass off other content as this
    /// record.
    /// </summary>
    private async Task<ServiceResult<RecordContentResponse>> FetchAsync(Caller caller, ISigningKey key, Hash id, AccessPurpose purpose, CancellationToken cancellationToken)
    {
        var content = await _records.ReadAsync(caller, id, purpose, cancellationToken).ConfigureAwait(false);
        return content.Status == StatusCodes.Status421MisdirectedRequest
            ? BindToAnchor(id, await _remote.FetchAsync(key, id, purpose, cancellationToken).ConfigureAwait(false))
            : content;
    }

    private static async Task<WebResult<T>> Guard<T>(Func<Task<WebResult<T>>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (AccessLogUnavailableException)
        {
            return WebResult.Fail<T>(WebOutcome.Unavailable, "The access log cannot be written right now, so nothing was shown or changed. Try again shortly.");
        }
        catch (ObjectDisposedException)
        {
            // The session's keys were wiped while this request used them (sign-out in another tab, or the idle timeout
            // ending the session mid-request): the action stopped at the first signature it could not make, so the user is
            // told to sign in again instead of seeing a server error.
            return WebResult.Fail<T>(WebOutcome.Unavailable, "Your session has ended; sign in again.");
        }
    }

    private ServiceResult<RecordContentResponse> BindToAnchor(Hash recordId, ServiceResult<RecordContentResponse> fetched)
    {
        if (!fetched.IsSuccess)
        {
            return fetched;
        }

        var anchor = _ledger.GetRecord(recordId);
        var answer = fetched.Value!;
        var tiers = answer.Tiers ?? [];
        var matches = anchor is not null && tiers.Count > 0 && tiers.Select(t => t.Tier).Distinct(StringComparer.Ordinal).Count() == tiers.Count && tiers.All(t =>
            Json.TryParse<SensitivityTier>(t.Tier, out var tier)
            && anchor.FindTier(tier) is { } anchored
            && Hash.TryParse(t.ContentAddress, out var address) && address == anchored.ContentAddress
            && Hash.TryParse(t.Commitment, out var commitment) && commitment == anchored.Commitment);
        return matches
            ? ServiceResult.Ok(answer with { Record = RecordService.Summary(anchor!) })
            : ServiceResult.Fail<RecordContentResponse>(StatusCodes.Status502BadGateway, "IntegrityFailure", "The holding node's answer does not match the record anchored on chain; it was not shown.");
    }

    private static WebResult<T> Map<T>(int status, string detail) => WebResult.Fail<T>(
        status switch
        {
            StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden => WebOutcome.Denied,
            StatusCodes.Status404NotFound or StatusCodes.Status410Gone => WebOutcome.NotFound,
            StatusCodes.Status400BadRequest or StatusCodes.Status409Conflict or StatusCodes.Status422UnprocessableEntity => WebOutcome.Invalid,
            _ => WebOutcome.Unavailable,
        },
        detail);

    private static WebResult<T> Map<T>(ServiceResult<RecordListResponse> result) => Map<T>(result.Status, result.Detail);

    private static WebResult<T> Map<T>(ServiceResult<RecordContentResponse> result) => Map<T>(result.Status, result.Detail);

    private static WebResult<T> Map<T>(ServiceResult<GrantListResponse> result) => Map<T>(result.Status, result.Detail);

    private static WebResult<T> Map<T>(ServiceResult<IndexedAccessList> result) => Map<T>(result.Status, result.Detail);

    private TransactionFactory Factory(Caller caller, ISigningKey key) => new(Suite, key, _ledger.ChainId, caller.Account.Nonce, _ledger.Height);

    /// <summary>Submits and waits for the commit; null when accepted, else the failure.</summary>
    private async Task<WebResult<string>?> SubmitAsync(Transaction transaction, CancellationToken cancellationToken)
    {
        var result = (await _ledgerService.SubmitAsync([transaction.Encoded.ToArray()], CommitWait, cancellationToken).ConfigureAwait(false))[0];
        return result.Status == "rejected"
            ? WebResult.Fail<string>(result.Code is "NotAuthorized" ? WebOutcome.Denied : WebOutcome.Invalid, $"The chain refused it: {result.Reason ?? result.Code}.")
            : null;
    }

    private RecordRow Row(RecordSummary summary) =>
        new(summary.RecordId, summary.Patient, summary.AuthorUser, UserLabel(summary.AuthorUser), summary.Organisation, summary.Category, summary.Created, summary.Height, summary.Status);

    private string UserLabel(string userId)
    {
        if (!Hash.TryParse(userId, out var id))
        {
            return userId;
        }

        var key = _ledger.GetCurrentKey(id);
        return _ledger.GetAccount(key.IsZero ? id : key) is { Name.Length: > 0 } account ? account.Name : Short(userId);
    }

    private string ActorLabel(string kind, string actor) => kind switch
    {
        "user" => UserLabel(actor),
        "organisation" => _ledger.GetOrganisation(actor)?.Name ?? actor,
        _ => "every " + actor,
    };

    private AccessRow AccessRowOf(IndexedAccess access)
    {
        var entry = access.Entry;
        var actor = _ledger.GetAccount(entry.Actor);
        var label = actor is null ? "unregistered key " + entry.Actor.ToShortString() : actor.Role == AccountRole.Patient ? "the patient" : actor.Role == AccountRole.Node ? "node " + actor.Name : actor.Name;
        return new AccessRow(
            DateTimeOffset.FromUnixTimeMilliseconds(entry.TimeUnixMilliseconds),
            entry.Actor.ToString(),
            label,
            actor is null ? "unregistered" : Json.Name(actor.Role),
            access.Organisation.Length > 0 ? access.Organisation : actor?.Organisation ?? string.Empty,
            entry.Patient.IsZero ? string.Empty : entry.Patient.ToString(),
            entry.RecordId.IsZero ? null : entry.RecordId.ToString(),
            Json.Name(entry.Action),
            entry.Purpose == AccessPurpose.None ? "none" : Json.Name(entry.Purpose),
            Json.Name(entry.Outcome),
            entry.Reason == AccessDenialReason.None ? "none" : Json.Name(entry.Reason),
            access.Height);
    }

    private static string Short(string id) => id.Length > 12 ? id[..12] + "…" : id;

    private static string Pretty(byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(document.RootElement, PrettyJson);
        }
        catch (JsonException)
        {
            return System.Text.Encoding.UTF8.GetString(json);
        }
    }

    private static readonly JsonSerializerOptions PrettyJson = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One line per FHIR resource: its type and its code's text or first display.</summary>
    private static List<string> Summarise(byte[] json)
    {
        var lines = new List<string>();
        try
        {
            using var document = JsonDocument.Parse(json);
            void Add(JsonElement resource)
            {
                if (lines.Count >= 30 || resource.ValueKind != JsonValueKind.Object || !resource.TryGetProperty("resourceType", out var type))
                {
                    return;
                }

                if (type.GetString() == "Bundle" && resource.TryGetProperty("entry", out var entries) && entries.ValueKind == JsonValueKind.Array)
                {
                    foreach (var entry in entries.EnumerateArray())
                    {
                        if (entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("resource", out var inner))
                        {
                            Add(inner);
                        }
                    }

                    return;
                }

                var text = Text(resource, "code") ?? Text(resource, "type") ?? Text(resource, "medicationCodeableConcept") ?? Text(resource, "class");
                lines.Add(text is null ? type.GetString() ?? "?" : $"{type.GetString()}: {text}");
            }

            Add(document.RootElement);
        }
        catch (JsonException)
        {
        }

        return lines;
    }

    private static string? Text(JsonElement resource, string property)
    {
        if (!resource.TryGetProperty(property, out var concept))
        {
            return null;
        }

        if (concept.ValueKind == JsonValueKind.Array)
        {
            concept = concept.EnumerateArray().FirstOrDefault();
        }

        if (concept.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (concept.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
        {
            return text.GetString();
        }

        if (concept.TryGetProperty("display", out var display) && display.ValueKind == JsonValueKind.String)
        {
            return display.GetString();
        }

        if (concept.TryGetProperty("coding", out var coding) && coding.ValueKind == JsonValueKind.Array)
        {
            foreach (var code in coding.EnumerateArray())
            {
                if (code.ValueKind == JsonValueKind.Object && code.TryGetProperty("display", out var shown) && shown.ValueKind == JsonValueKind.String)
                {
                    return shown.GetString();
                }
            }
        }

        return null;
    }
}
