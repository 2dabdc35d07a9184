using System.Globalization;
using System.Text.Json;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Ledger;
using MedLedger.Node.Medical;
using MedLedger.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;

namespace MedLedger.Node.Api;

/// <summary>
/// The medical endpoints under <c>/api/v1</c> (docs/api.md): organisations, users, patient enrolment and custody,
/// records, grants, the access log, the EMPI and the integrity audit. Every endpoint that touches personal data
/// takes a signed request; refused requests are answered with problem+json and logged on chain.
/// </summary>
public static partial class MedicalEndpoints
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public static void MapMedicalEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Medical");

        api.MapGet("/organisations", (QueryService queries) => TypedResults.Ok(queries.Organisations()))
            .WithName("ListOrganisations").WithSummary("The consortium's member organisations.");

        api.MapGet("/organisations/{id}", (string id, QueryService queries) => queries.Organisation(id) is { } organisation
                ? Results.Ok(organisation)
                : Problems.Create(StatusCodes.Status404NotFound, "No such organisation", "No member organisation has this id.", "NotFound"))
            .WithName("GetOrganisation").Produces<OrganisationInfo>().ProducesProblem(404).WithSummary("One member organisation.");

        api.MapGet("/users/{userId}", (HttpContext context, string userId, Gate gate, QueryService queries) => gate.RunAsync(context, AccessAction.Search, Hash.Zero, Hash.Zero, caller =>
            {
                if (!Hash.TryParse(userId, out var id))
                {
                    return Task.FromResult<IResult>(Malformed("A user id is 64 hexadecimal characters."));
                }

                return Task.FromResult(queries.User(id) is { } user ? Results.Ok(user) : Problems.Create(StatusCodes.Status404NotFound, "No such user", "No user has this id.", "NotFound"));
            }))
            .WithName("GetUser").Produces<UserInfo>().ProducesProblem(401).ProducesProblem(404).WithSummary("A user's current key, role and organisation (signed).");

        api.MapPost("/patients", (HttpContext context, Gate gate, CustodyService custody) => gate.RunAsync(context, AccessAction.Write, Hash.Zero, Hash.Zero, async caller =>
                Read<PatientEnrolmentRequest>(caller) is { } request
                    ? ToResult(await custody.EnrolPatientAsync(caller, request, context.RequestAborted).ConfigureAwait(false), created: true)
                    : Malformed("The body is not a patient enrolment.")))
            .WithName("EnrolPatient").Accepts<PatientEnrolmentRequest>("application/json").Produces<PatientEnrolmentResponse>(201).ProducesProblem(400).ProducesProblem(403)
            .WithSummary("A doctor or org admin enrols a patient in custody at this home node (signed).");

        api.MapPost("/staff", (HttpContext context, Gate gate, CustodyService custody) => gate.RunAsync(context, AccessAction.Write, Hash.Zero, Hash.Zero, async caller =>
                Read<StaffEnrolmentRequest>(caller) is { } request
                    ? ToResult(await custody.EnrolStaffAsync(caller, request, context.RequestAborted).ConfigureAwait(false), created: true)
                    : Malformed("The body is not a staff enrolment.")))
            .WithName("EnrolStaff").Accepts<StaffEnrolmentRequest>("application/json").Produces<StaffEnrolmentResponse>(201).ProducesProblem(400).ProducesProblem(403)
            .WithSummary("An org admin creates a custodial staff user at this node (signed).");

        api.MapPost("/custody/export", async (HttpContext context, CustodyService custody) =>
            {
                var request = await JsonSerializer.DeserializeAsync<VaultExportRequest>(context.Request.Body, JsonOptions, context.RequestAborted).ConfigureAwait(false);
                return request is null ? Malformed("The body is not a vault export request.") : ToResult(await custody.ExportAsync(request, PassphraseThrottle.SourceOf(context.Connection.RemoteIpAddress), context.RequestAborted).ConfigureAwait(false));
            })
            .WithName("ExportVault").Accepts<VaultExportRequest>("application/json").Produces<VaultExportResponse>().ProducesProblem(401).ProducesProblem(429)
            .WithSummary("A custodial user takes their sealed key vault (passphrase required).");

        api.MapPost("/custody/pseudonyms", async (HttpContext context, CustodyService custody) =>
            {
                var request = await JsonSerializer.DeserializeAsync<PseudonymRequest>(context.Request.Body, JsonOptions, context.RequestAborted).ConfigureAwait(false);
                return request is null ? Malformed("The body is not a pseudonym request.") : ToResult(await custody.AddPseudonymAsync(request, PassphraseThrottle.SourceOf(context.Connection.RemoteIpAddress), context.RequestAborted).ConfigureAwait(false), created: true);
            })
            .WithName("AddPseudonym").Accepts<PseudonymRequest>("application/json").Produces<PseudonymResponse>(201).ProducesProblem(401).ProducesProblem(403)
            .WithSummary("A custodial patient adds a pseudonym for a new institution relationship (passphrase required).");

        api.MapPost("/custody/passphrase", async (HttpContext context, CustodyService custody) =>
            {
                var request = await JsonSerializer.DeserializeAsync<PassphraseChangeRequest>(context.Request.Body, JsonOptions, context.RequestAborted).ConfigureAwait(false);
                return request is null ? Malformed("The body is not a passphrase change request.") : ToResult(await custody.ChangePassphraseAsync(request, PassphraseThrottle.SourceOf(context.Connection.RemoteIpAddress), context.RequestAborted).ConfigureAwait(false));
            })
            .WithName("ChangePassphrase").Accepts<PassphraseChangeRequest>("application/json").Produces<PassphraseChangeResponse>().ProducesProblem(400).ProducesProblem(401).ProducesProblem(429)
            .WithSummary("A custodial user seals their key vault under a new passphrase (current passphrase required).");

        api.MapPost("/records", (HttpContext context, string? wait, Gate gate, RecordService records) => gate.RunAsync(context, AccessAction.Write, Hash.Zero, Hash.Zero, async caller =>
            {
                if (wait is not null and not "commit")
                {
                    return Malformed("The only value of 'wait' is 'commit'.");
                }

                return Read<RecordUploadRequest>(caller) is { } request
                    ? ToResult(await records.UploadAsync(caller, request, wait is not null, context.RequestAborted).ConfigureAwait(false), created: true)
                    : Malformed("The body is not a record upload.");
            }))
            .WithName("UploadRecord").Accepts<RecordUploadRequest>("application/json").Produces<RecordUploadResponse>(201).ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(422)
            .WithSummary("An author uploads a sealed record with its signed anchor transaction (signed).");

        api.MapPost("/records/batch", (HttpContext context, string? wait, Gate gate, RecordService records) => gate.RunAsync(context, AccessAction.Write, Hash.Zero, Hash.Zero, async caller =>
            {
                if (wait is not null and not "commit")
                {
                    return Malformed("The only value of 'wait' is 'commit'.");
                }

                return Read<RecordBatchUploadRequest>(caller) is { } request
                    ? ToResult(await records.UploadBatchAsync(caller, request, wait is not null, context.RequestAborted).ConfigureAwait(false))
                    : Malformed("The body is not a batch of record uploads.");
            }))
            .WithName("UploadRecordBatch").Accepts<RecordBatchUploadRequest>("application/json").Produces<RecordBatchUploadResponse>().ProducesProblem(400).ProducesProblem(401).ProducesProblem(403)
            .WithSummary("An author uploads up to 64 sealed records, each with its own signed anchor transaction, in one signed request; results per record (signed).");

        api.MapGet("/records/{recordId}", (HttpContext context, string recordId, string? purpose, Gate gate, RecordService records, LedgerStateMachine ledger) =>
            {
                if (!Hash.TryParse(recordId, out var id))
                {
                    return Task.FromResult<IResult>(Malformed("A record id is 64 hexadecimal characters."));
                }

                var patient = ledger.GetRecord(id)?.Patient ?? Hash.Zero;
                return gate.RunAsync(context, AccessAction.Read, patient, id, async caller =>
                {
                    var parsedPurpose = AccessPurpose.None;
                    if (purpose is not null && !Json.TryParse(purpose, out parsedPurpose))
                    {
                        return Malformed("The purpose is treatment, insurance, research, emergency or audit.");
                    }

                    return ToResult(await records.ReadAsync(caller, id, parsedPurpose, context.RequestAborted).ConfigureAwait(false));
                });
            })
            .WithName("ReadRecord").Produces<RecordContentResponse>().ProducesProblem(401).ProducesProblem(403).ProducesProblem(404).ProducesProblem(410)
            .WithSummary("Reads a record: the allowed tiers' ciphertext and data keys wrapped for the reader, after logging the access (signed).");

        api.MapGet("/records", (HttpContext context, string? author, int? limit, Gate gate, RecordService records) => gate.RunAsync(context, AccessAction.Search, Hash.Zero, Hash.Zero, async caller =>
            {
                var patients = new List<Hash>();
                foreach (var text in context.Request.Query["patient"])
                {
                    if (!Hash.TryParse(text, out var patient))
                    {
                        return Malformed("A patient id is 64 hexadecimal characters.");
                    }

                    patients.Add(patient);
                }

                Hash? authorId = null;
                if (author is not null)
                {
                    if (!Hash.TryParse(author, out var parsed))
                    {
                        return Malformed("An author id is 64 hexadecimal characters.");
                    }

                    authorId = parsed;
                }

                return ToResult(await records.ListAsync(caller, patients, authorId, limit ?? 100, context.RequestAborted).ConfigureAwait(false));
            }))
            .WithName("ListRecords").Produces<RecordListResponse>().ProducesProblem(403)
            .WithSummary("Records of patients (the patient, or someone they granted) or by an author (themself) (signed).");

        api.MapGet("/grants", (HttpContext context, string? patient, Gate gate, QueryService queries, RecordService records) => gate.RunAsync(context, AccessAction.Search, Hash.Zero, Hash.Zero, async caller =>
            {
                if (!Hash.TryParse(patient, out var id))
                {
                    return Malformed("Name the patient: ?patient=<user id>.");
                }

                var result = queries.Grants(caller, id);
                if (!result.IsSuccess)
                {
                    // SPEC F20: a refused look at a patient's grants is a failed attempt the patient sees.
                    await records.LogAsync(caller, id, Hash.Zero, AccessAction.Search, AccessPurpose.None, AccessDenialReason.RoleNotPermitted, Hash.Zero, context.RequestAborted).ConfigureAwait(false);
                }

                return ToResult(result);
            }))
            .WithName("ListGrants").Produces<GrantListResponse>().ProducesProblem(403).WithSummary("A patient's grants (the patient or an auditor; signed).");

        api.MapGet("/grants/{grantId}/fhir", (HttpContext context, string grantId, Gate gate, QueryService queries, TimeProvider clock) => gate.RunAsync(context, AccessAction.Search, Hash.Zero, Hash.Zero, caller =>
            {
                if (!Hash.TryParse(grantId, out var id))
                {
                    return Task.FromResult<IResult>(Malformed("A grant id is 64 hexadecimal characters."));
                }

                var grant = queries.Grant(caller, id);
                return Task.FromResult(grant.IsSuccess
                    ? Results.Bytes(FhirExports.Consent(grant.Value!, clock.GetUtcNow().ToUnixTimeMilliseconds()), "application/fhir+json")
                    : ToResult(grant));
            }))
            .WithName("GetGrantAsFhirConsent").Produces(200, contentType: "application/fhir+json").ProducesProblem(403).ProducesProblem(404)
            .WithSummary("A grant as a FHIR R4 Consent (its patient, grantee or an auditor; signed).");

        api.MapGet("/access-log/fhir", (HttpContext context, Gate gate, QueryService queries, LedgerStateMachine ledger, NodeIdentity identity) => gate.RunAsync(context, AccessAction.Search, Hash.Zero, Hash.Zero, caller =>
            {
                if (!ParseQuery(context.Request.Query, out var query, out var problem))
                {
                    return Task.FromResult<IResult>(Malformed(problem));
                }

                var entries = queries.AccessEntries(caller, query);
                return Task.FromResult(entries.IsSuccess
                    ? Results.Bytes(FhirExports.AuditEvents(entries.Value!, ledger, identity.KeyId.ToString()), "application/fhir+json")
                    : ToResult(entries));
            }))
            .WithName("ExportAccessLogAsFhir").Produces(200, contentType: "application/fhir+json").ProducesProblem(403)
            .WithSummary("The access log, scoped and filtered as /access-log, as a FHIR R4 Bundle of AuditEvents (signed).");

        api.MapGet("/access-log", (HttpContext context, Gate gate, QueryService queries, RecordService records) => gate.RunAsync(context, AccessAction.Search, Hash.Zero, Hash.Zero, async caller =>
            {
                if (!ParseQuery(context.Request.Query, out var query, out var problem))
                {
                    return Malformed(problem);
                }

                var result = queries.AccessLog(caller, query);
                if (!result.IsSuccess)
                {
                    // SPEC F20: a refused look at someone's access log is a failed attempt, logged against the patient it names.
                    var patient = query.Patients?.FirstOrDefault(p => p != caller.UserId) ?? Hash.Zero;
                    await records.LogAsync(caller, patient, query.RecordId ?? Hash.Zero, AccessAction.Search, AccessPurpose.Audit, AccessDenialReason.RoleNotPermitted, Hash.Zero, context.RequestAborted).ConfigureAwait(false);
                }

                return ToResult(result);
            }))
            .WithName("QueryAccessLog").Produces<AccessLogResponse>().ProducesProblem(400).ProducesProblem(403)
            .WithSummary("The on-chain access log, scoped by role: a patient's own, an auditor's everyone's (signed).");

        api.MapPost("/empi/search", (HttpContext context, Gate gate, CustodyService custody) => gate.RunAsync(context, AccessAction.Search, Hash.Zero, Hash.Zero, async caller =>
                Read<EmpiSearchRequest>(caller) is { } request
                    ? ToResult(await custody.SearchAsync(caller, request, context.RequestAborted).ConfigureAwait(false))
                    : Malformed("The body is not an EMPI search.")))
            .WithName("SearchEmpi").Accepts<EmpiSearchRequest>("application/json").Produces<EmpiSearchResponse>().ProducesProblem(403)
            .WithSummary("A doctor finds a patient's pseudonyms at their home node; only patients who granted the doctor are found (signed).");

        api.MapPost("/research/deidentified", (HttpContext context, Gate gate, DeidentifiedService service) => gate.RunAsync(context, AccessAction.Deidentified, Hash.Zero, Hash.Zero, async caller =>
                Read<DeidentifiedRequest>(caller) is { } request
                    ? ToResult(await service.ReleaseAsync(caller, request, context.RequestAborted).ConfigureAwait(false))
                    : Malformed("The body is not a de-identified data request.")))
            .WithName("ReleaseDeidentified").Accepts<DeidentifiedRequest>("application/json").Produces<DeidentifiedResponse>().ProducesProblem(403)
            .WithSummary("Researchers and auditors receive de-identified, k-anonymous data under the consortium policy; each release is logged (signed).");

        api.MapPost("/audit/integrity", (HttpContext context, Gate gate, RecordService records) => gate.RunAsync(context, AccessAction.IntegrityCheck, Hash.Zero, Hash.Zero, async caller =>
                ToResult(await records.CheckIntegrityAsync(caller, context.RequestAborted).ConfigureAwait(false))))
            .WithName("AuditIntegrity").Produces<IntegrityReport>().ProducesProblem(403)
            .WithSummary("Checks every held ciphertext against its on-chain anchor; mismatches are logged (signed).");

        MapWriteRequestEndpoints(api);
    }

    internal static IResult ToResult<T>(ServiceResult<T> result, bool created = false)
        where T : class =>
        result.IsSuccess
            ? created ? Results.Json(result.Value, statusCode: StatusCodes.Status201Created) : Results.Ok(result.Value)
            : Problems.Create(result.Status, Title(result.Status), result.Detail, result.Code);

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Malformed(string detail) => Problems.Create(StatusCodes.Status400BadRequest, "Invalid request", detail, "Malformed");

    private static string Title(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "Invalid request",
        StatusCodes.Status401Unauthorized => "Not authenticated",
        StatusCodes.Status403Forbidden => "Access denied",
        StatusCodes.Status404NotFound => "Not found",
        StatusCodes.Status409Conflict => "Conflict",
        StatusCodes.Status410Gone => "Erased",
        StatusCodes.Status421MisdirectedRequest => "Held by another node",
        StatusCodes.Status422UnprocessableEntity => "Refused",
        StatusCodes.Status429TooManyRequests => "Too many attempts",
        _ => "Error",
    };

    private static T? Read<T>(Caller caller)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(caller.Body, JsonOptions);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool ParseQuery(IQueryCollection query, out AccessQuery result, out string problem)
    {
        result = new AccessQuery();
        problem = string.Empty;
        var patients = new List<Hash>();
        foreach (var text in query["patient"])
        {
            if (!Hash.TryParse(text, out var patient))
            {
                problem = "A patient id is 64 hexadecimal characters.";
                return false;
            }

            patients.Add(patient);
        }

        if (!TryHash(query["actor"], out var actor) || !TryHash(query["record"], out var record))
        {
            problem = "Actor and record ids are 64 hexadecimal characters.";
            return false;
        }

        if (!TryEnum<AccessOutcome>(query["outcome"], out var outcome) || !TryEnum<AccessPurpose>(query["purpose"], out var purpose) || !TryEnum<AccessAction>(query["action"], out var action))
        {
            problem = "Outcome, purpose or action is not one of the documented values.";
            return false;
        }

        if (!TryTime(query["from"], out var from) || !TryTime(query["to"], out var to) || !TryLong(query["before"], out var before) || !TryLong(query["limit"], out var limit))
        {
            problem = "from/to are ISO 8601 times; before and limit are integers.";
            return false;
        }

        string? organisation = query["organisation"];
        result = new AccessQuery(actor, patients.Count == 0 ? null : patients, record, outcome, purpose, action, organisation, from, to, before, (int)Math.Clamp(limit ?? 100, 1, 1000));
        return true;
    }

    private static bool TryHash(StringValues text, out Hash? value)
    {
        value = null;
        if (StringValues.IsNullOrEmpty(text))
        {
            return true;
        }

        var ok = Hash.TryParse(text, out var hash);
        value = hash;
        return ok;
    }

    private static bool TryEnum<TEnum>(StringValues text, out TEnum? value)
        where TEnum : struct, Enum
    {
        value = null;
        if (StringValues.IsNullOrEmpty(text))
        {
            return true;
        }

        var ok = Json.TryParse<TEnum>(text, out var parsed);
        value = parsed;
        return ok;
    }

    private static bool TryTime(StringValues text, out long? value)
    {
        value = null;
        if (StringValues.IsNullOrEmpty(text))
        {
            return true;
        }

        var ok = DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time);
        value = time.ToUnixTimeMilliseconds();
        return ok;
    }

    private static bool TryLong(StringValues text, out long? value)
    {
        value = null;
        if (StringValues.IsNullOrEmpty(text))
        {
            return true;
        }

        var ok = long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed);
        value = parsed;
        return ok;
    }
}

/// <summary>
/// The authentication gate of the medical endpoints: authenticates the signed request, logs a refused one on chain
/// (an unregistered key, a forged signature, a replay, a revoked key) and answers with problem+json; otherwise runs
/// the handler with the caller. When the access log cannot be written, the request is refused (503), never served.
/// </summary>
public sealed class Gate(RequestAuthenticator authenticator, AccessLogger accessLog, TimeProvider clock)
{
    public async Task<IResult> RunAsync(HttpContext context, AccessAction action, Hash patient, Hash recordId, Func<Caller, Task<IResult>> handler)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        try
        {
            var (caller, failure) = await authenticator.AuthenticateAsync(context.Request, Limits.MaxRequestBodyBytes, context.RequestAborted).ConfigureAwait(false);
            if (failure is not null)
            {
                if (!failure.ClaimedKey.IsZero)
                {
                    var entry = new AccessLogEntry(clock.GetUtcNow().ToUnixTimeMilliseconds(), failure.ClaimedKey, patient, recordId, action, AccessPurpose.None, AccessOutcome.Denied, failure.Reason, Hash.Zero, failure.RequestHash);
                    await accessLog.LogAsync(entry, context.RequestAborted).ConfigureAwait(false);
                }

                return Problems.Create(failure.Status, failure.Status == StatusCodes.Status403Forbidden ? "Access denied" : "Not authenticated", failure.Detail, failure.Code);
            }

            return await handler(caller!).ConfigureAwait(false);
        }
        catch (AccessLogUnavailableException exception)
        {
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "Access log unavailable", exception.Message, "AccessLogUnavailable");
        }
    }
}
