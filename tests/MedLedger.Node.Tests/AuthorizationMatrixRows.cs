using System.Net.Http.Json;
using System.Text.Json;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Node.Tests;

/// <summary>
/// What one caller is expected to get from one route: a 2xx status, or a refusal's status and problem <c>code</c>.
/// <paramref name="KnownIssueCode"/> is the code the node answers today where that is believed wrong (see
/// docs/authorization.md); the matrix accepts either until the fix lands, and a skipped test asserts the right one.
/// </summary>
internal sealed record MatrixCell(int Status, string? Code = null, string? KnownIssueCode = null)
{
    public bool IsAllowed => Status is >= 200 and < 300;

    public static MatrixCell Allow(int status = 200) => new(status);

    public static MatrixCell Deny(int status, string code, string? knownIssueCode = null) => new(status, code, knownIssueCode);
}

/// <summary>
/// One row of the matrix: a route (method and pattern, as the app maps it), the representative request every caller
/// sends to it, the expected answer per caller, and an optional check of an allowed answer's body (null when it is right).
/// </summary>
internal sealed record MatrixRow(
    string Method,
    string Route,
    string Example,
    Func<AuthorizationMatrixWorld, MatrixCaller, Task<HttpRequestMessage>> Request,
    Func<MatrixActor, MatrixCell> Expect,
    Func<AuthorizationMatrixWorld, MatrixCaller, JsonElement, string?>? Check = null)
{
    public string Name => $"{Method} {Route.Replace("/api/v1", string.Empty, StringComparison.Ordinal)} {Example}".TrimEnd();
}

/// <summary>
/// The authorisation matrix of the node API: every route under <c>/api/v1</c> (some with more than one
/// representative request), and for each what every caller of <see cref="AuthorizationMatrixWorld"/> gets.
/// The rules and where each is enforced are explained in docs/authorization.md.
/// </summary>
internal static class AuthorizationMatrixRows
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private static readonly MatrixCell Ok = MatrixCell.Allow();
    private static readonly MatrixCell Created = MatrixCell.Allow(201);
    private static readonly MatrixCell RoleNotPermitted = MatrixCell.Deny(403, "RoleNotPermitted");
    private static readonly MatrixCell NoGrant = MatrixCell.Deny(403, "NoGrant");
    private static readonly MatrixCell LedgerNotAuthorized = MatrixCell.Deny(403, "NotAuthorized");
    private static readonly MatrixCell InvalidCredentials = MatrixCell.Deny(401, "InvalidCredentials");
    private static readonly Func<MatrixActor, MatrixCell> Public = _ => Ok;

    /// <summary>Every row, in the order of docs/api.md.</summary>
    public static IReadOnlyList<MatrixRow> All { get; } =
    [
        // Public ledger and membership routes: open to anyone, signed or not.
        new("GET", "/api/v1/status", string.Empty, (_, _) => Get("api/v1/status"), Public,
            (w, _, body) => body.GetProperty("chainId").GetString() == w.ChainId ? null : "another chain id"),
        new("GET", "/api/v1/blocks/{height}", "(R's block)", (w, _) => Get($"api/v1/blocks/{w.RecordHeight}"), Public,
            (w, _, body) => body.GetProperty("transactionIds").EnumerateArray().Any(t => t.GetString() == w.RecordTransaction.ToString()) ? null : "R's anchor is not in the block"),
        new("POST", "/api/v1/transactions", "(a ConsentGrant for P)", GrantTransactionAsync,
            actor => actor switch
            {
                MatrixActor.Patient => Ok,
                MatrixActor.UnregisteredKey => MatrixCell.Deny(401, "UnknownSender"),
                MatrixActor.Unsigned => MatrixCell.Deny(401, "InvalidSignature"),
                _ => LedgerNotAuthorized,
            },
            Committed),
        new("POST", "/api/v1/transactions", "(a UserRegister of a st-mary patient)", RegisterTransactionAsync,
            actor => actor switch
            {
                MatrixActor.StMaryAdmin or MatrixActor.AuthorDoctor => Ok,
                MatrixActor.UnregisteredKey => MatrixCell.Deny(401, "UnknownSender"),
                MatrixActor.Unsigned => MatrixCell.Deny(401, "InvalidSignature"),
                _ => LedgerNotAuthorized,
            },
            Committed),
        new("GET", "/api/v1/transactions/{id}", "(R's anchor)", (w, _) => Get($"api/v1/transactions/{w.RecordTransaction}"), Public,
            (w, _, body) => body.GetProperty("status").GetString() == "committed" ? null : "not committed"),
        new("GET", "/api/v1/accounts/{keyId}", "(D1's key)", (w, _) => Get($"api/v1/accounts/{w[MatrixActor.AuthorDoctor].KeyId}"), Public,
            (w, _, body) => body.GetProperty("keyId").GetString() == w[MatrixActor.AuthorDoctor].KeyId.ToString() ? null : "another account"),
        new("GET", "/api/v1/organisations", string.Empty, (_, _) => Get("api/v1/organisations"), Public,
            (_, _, body) => body.EnumerateArray().Count() == 5 ? null : "not the five members"),
        new("GET", "/api/v1/organisations/{id}", "(st-mary)", (_, _) => Get($"api/v1/organisations/{MedicalTestNode.StMary}"), Public,
            (_, _, body) => body.GetProperty("id").GetString() == MedicalTestNode.StMary ? null : "another organisation"),

        // Users, enrolment and custody.
        new("GET", "/api/v1/users/{userId}", "(P)", (w, _) => Get($"api/v1/users/{w.Patient}"), Signed(_ => Ok),
            (w, _, body) => body.GetProperty("userId").GetString() == w.Patient.ToString() && body.GetProperty("role").GetString() == "patient" && body.GetProperty("name").GetString() == string.Empty ? null : "not P's pseudonym, or a name is shown"),
        new("POST", "/api/v1/staff", "(a doctor)", (_, c) => Post("api/v1/staff", new StaffEnrolmentRequest($"matrix.staff.{c.Label.ToLowerInvariant()}", "matrix staff passphrase", "doctor", $"Dr Staff {c.Label}")),
            Signed(actor => actor is MatrixActor.StMaryAdmin or MatrixActor.HarborAdmin ? Created : RoleNotPermitted),
            (_, _, body) => Hash.TryParse(body.GetProperty("keyId").GetString(), out _) ? null : "no key id"),
        new("POST", "/api/v1/patients", string.Empty, (_, c) => Post("api/v1/patients", new PatientEnrolmentRequest($"matrix.enrol.{c.Label.ToLowerInvariant()}", "matrix enrolment passphrase", "Grace", "Hopper", $"NID-MATRIX-ENROL-{c.Label}", "1906-12-09", "female", "10001")),
            Signed(actor => actor is MatrixActor.AuthorDoctor or MatrixActor.GrantedDoctor or MatrixActor.UngrantedDoctor or MatrixActor.StMaryAdmin or MatrixActor.HarborAdmin ? Created : RoleNotPermitted),
            (_, _, body) => Hash.TryParse(body.GetProperty("keyId").GetString(), out _) ? null : "no key id"),
        new("POST", "/api/v1/custody/export", "(P's vault)", (_, c) => Post("api/v1/custody/export", new VaultExportRequest(AuthorizationMatrixWorld.PatientUsername, PassphraseOf(c.Actor))),
            actor => actor == MatrixActor.Patient ? Ok : InvalidCredentials,
            (_, _, body) => body.GetProperty("vault").GetString() is { Length: > 0 } ? null : "no vault"),

        // Records.
        new("POST", "/api/v1/records", "(a new record of P at st-mary)", UploadAsync,
            Signed(actor => actor is MatrixActor.AuthorDoctor or MatrixActor.Patient ? Created : LedgerNotAuthorized),
            (_, _, body) => Hash.TryParse(body.GetProperty("recordId").GetString(), out _) ? null : "no record id"),
        // A batch answers 200 with a result per record; who may write is decided per record, as for a single upload.
        new("POST", "/api/v1/records/batch", "(one new record of P at st-mary)", UploadBatchAsync, Signed(_ => Ok),
            (_, c, body) =>
            {
                var item = body.GetProperty("results")[0];
                var status = item.GetProperty("status").GetString();
                return c.Actor is MatrixActor.AuthorDoctor or MatrixActor.Patient
                    ? status == "committed" ? null : $"the record was not committed: {item}"
                    : status == "rejected" && item.GetProperty("code").GetString() == "NotAuthorized" ? null : $"the record was not refused as NotAuthorized: {item}";
            }),
        new("GET", "/api/v1/records/{recordId}", "(R, treatment)", (w, _) => Get($"api/v1/records/{w.Record}?purpose=treatment"),
            Signed(actor => actor switch
            {
                MatrixActor.Patient or MatrixActor.AuthorDoctor or MatrixActor.GrantedDoctor => Ok,
                MatrixActor.UngrantedDoctor or MatrixActor.Insurer => NoGrant,
                _ => RoleNotPermitted,
            }),
            CheckRead),
        new("GET", "/api/v1/records", "(?patient=P)", (w, _) => Get($"api/v1/records?patient={w.Patient}"),
            Signed(actor => actor switch
            {
                MatrixActor.Patient or MatrixActor.GrantedDoctor => Ok,
                MatrixActor.AuthorDoctor or MatrixActor.UngrantedDoctor or MatrixActor.Insurer => NoGrant,

                // Roles that never list another patient's records are told so (not "NoGrant").
                _ => RoleNotPermitted,
            }),
            (w, _, body) => body.GetProperty("records").EnumerateArray().Any(r => r.GetProperty("recordId").GetString() == w.Record.ToString()) ? null : "R is not listed"),
        new("GET", "/api/v1/records", "(?author=D1)", (w, _) => Get($"api/v1/records?author={w[MatrixActor.AuthorDoctor].KeyId}"),
            Signed(actor => actor == MatrixActor.AuthorDoctor ? Ok : RoleNotPermitted),
            (w, _, body) => body.GetProperty("records").EnumerateArray().Any(r => r.GetProperty("recordId").GetString() == w.Record.ToString()) ? null : "R is not listed"),

        // Record write requests: the patient asked answers; patients and doctors list their own.
        new("GET", "/api/v1/write-requests", string.Empty, (_, _) => Get("api/v1/write-requests"),
            Signed(actor => actor is MatrixActor.Patient or MatrixActor.OtherPatient or MatrixActor.AuthorDoctor or MatrixActor.GrantedDoctor or MatrixActor.UngrantedDoctor ? Ok : RoleNotPermitted),
            (_, c, body) => body.GetProperty("requests").EnumerateArray().All(r => r.GetProperty(c.Actor is MatrixActor.Patient or MatrixActor.OtherPatient ? "patient" : "authorUser").GetString() == c.KeyId.ToString()) ? null : "a request of someone else is listed"),
        new("GET", "/api/v1/write-requests/{recordId}/content", "(D1's new request to P)", async (w, _) => await Get($"api/v1/write-requests/{await PendingWriteAsync(w)}/content"),
            Signed(actor => actor == MatrixActor.Patient ? Ok : RoleNotPermitted),
            (_, _, body) => body.GetProperty("record").GetProperty("status").GetString() == "pending" && body.GetProperty("tiers").GetArrayLength() > 0 ? null : "not the pending record's tiers"),
        new("POST", "/api/v1/write-requests/{recordId}/answer", "(decline D1's new request to P)", AnswerWriteRequestAsync,
            Signed(actor => actor == MatrixActor.Patient ? Ok : LedgerNotAuthorized),
            (_, _, body) => body.GetProperty("status").GetString() == "declined" ? null : "not declined"),

        // Grants, the access log, the EMPI and the integrity audit.
        new("GET", "/api/v1/grants", "(?patient=P)", (w, _) => Get($"api/v1/grants?patient={w.Patient}"),
            Signed(actor => actor is MatrixActor.Patient or MatrixActor.Auditor ? Ok : RoleNotPermitted),
            (w, _, body) => body.GetProperty("grants").EnumerateArray().Any(g => g.GetProperty("grantId").GetString() == w.Grant.ToString()) ? null : "D2's grant is not listed"),
        new("GET", "/api/v1/access-log", string.Empty, (_, _) => Get("api/v1/access-log"), Signed(_ => Ok),
            (w, c, body) => AccessLogInScope(w, c, body, requireEntries: c.Actor is MatrixActor.Patient or MatrixActor.OtherPatient or MatrixActor.AuthorDoctor or MatrixActor.GrantedDoctor or MatrixActor.StMaryAdmin or MatrixActor.HarborAdmin or MatrixActor.Auditor)),
        new("GET", "/api/v1/access-log", "(?patient=P)", (w, _) => Get($"api/v1/access-log?patient={w.Patient}"),
            Signed(actor => actor == MatrixActor.OtherPatient ? RoleNotPermitted : Ok),
            (w, c, body) => AccessLogInScope(w, c, body, requireEntries: c.Actor is MatrixActor.Patient or MatrixActor.AuthorDoctor or MatrixActor.StMaryAdmin or MatrixActor.Auditor, entry => entry.GetProperty("patient").GetString() == w.Patient.ToString())),
        new("GET", "/api/v1/access-log", "(?actor=D1)", (w, _) => Get($"api/v1/access-log?actor={w[MatrixActor.AuthorDoctor].KeyId}"),
            Signed(actor => actor is MatrixActor.GrantedDoctor or MatrixActor.UngrantedDoctor or MatrixActor.Researcher or MatrixActor.Insurer or MatrixActor.NodeKey ? RoleNotPermitted : Ok),
            (w, c, body) => AccessLogInScope(w, c, body, requireEntries: c.Actor is MatrixActor.Patient or MatrixActor.AuthorDoctor or MatrixActor.StMaryAdmin or MatrixActor.Auditor, entry => entry.GetProperty("actor").GetString() == w[MatrixActor.AuthorDoctor].KeyId.ToString())),
        new("GET", "/api/v1/access-log", "(?organisation=harbor)", (_, _) => Get($"api/v1/access-log?organisation={MedicalTestNode.Harbor}"),
            Signed(actor => actor == MatrixActor.StMaryAdmin ? RoleNotPermitted : Ok),
            (w, c, body) => AccessLogInScope(w, c, body, requireEntries: c.Actor is MatrixActor.HarborAdmin or MatrixActor.Auditor or MatrixActor.OtherPatient or MatrixActor.GrantedDoctor, entry => entry.GetProperty("organisation").GetString() == MedicalTestNode.Harbor)),
        new("POST", "/api/v1/empi/search", "(P's national id)", (_, _) => Post("api/v1/empi/search", new EmpiSearchRequest(AuthorizationMatrixWorld.PatientNationalId, null, null, null)),
            Signed(actor => actor is MatrixActor.AuthorDoctor or MatrixActor.GrantedDoctor or MatrixActor.UngrantedDoctor ? Ok : RoleNotPermitted),
            CheckEmpi),
        new("GET", "/api/v1/grants/{grantId}/fhir", "(D2's grant from P)", (w, _) => Get($"api/v1/grants/{w.Grant}/fhir"),
            Signed(actor => actor is MatrixActor.Patient or MatrixActor.GrantedDoctor or MatrixActor.Auditor ? Ok : RoleNotPermitted),
            (_, _, body) => body.GetProperty("resourceType").GetString() == "Consent" ? null : "not a FHIR Consent"),
        new("GET", "/api/v1/access-log/fhir", string.Empty, (_, _) => Get("api/v1/access-log/fhir"), Signed(_ => Ok),
            (_, _, body) => body.GetProperty("resourceType").GetString() == "Bundle" ? null : "not a FHIR Bundle"),
        new("POST", "/api/v1/research/deidentified", "(all categories, k = 2)", (_, _) => Post("api/v1/research/deidentified", new DeidentifiedRequest(null, 2, 100)),
            Signed(actor => actor is MatrixActor.Researcher ? Ok : RoleNotPermitted),
            (_, _, body) => body.GetProperty("tiers").EnumerateArray().All(t => t.GetString() == "generalClinical") ? null : "a tier other than general clinical was released"),
        // The passphrase is the credential: only its holder (P, for this vault) changes it; no signature or role helps.
        new("POST", "/api/v1/custody/passphrase", "(a vault whose passphrase P holds)", (_, c) => Post("api/v1/custody/passphrase", new PassphraseChangeRequest(AuthorizationMatrixWorld.KeyholderUsername, c.Actor == MatrixActor.Patient ? AuthorizationMatrixWorld.KeyholderPassphrase : PassphraseOf(c.Actor), $"a new passphrase from {c.Label}")),
            actor => actor == MatrixActor.Patient ? Ok : InvalidCredentials,
            (_, _, body) => body.GetProperty("username").GetString() == AuthorizationMatrixWorld.KeyholderUsername && body.GetProperty("keys").GetInt32() == 1 ? null : "not the keyholder's vault, or keys lost"),
        new("POST", "/api/v1/custody/pseudonyms", "(P2's vault, for harbor)", (_, c) => Post("api/v1/custody/pseudonyms", new PseudonymRequest(AuthorizationMatrixWorld.OtherPatientUsername, PassphraseOf(c.Actor), MedicalTestNode.Harbor)),
            actor => actor == MatrixActor.OtherPatient ? Created : InvalidCredentials,
            (_, _, body) => body.GetProperty("organisation").GetString() == MedicalTestNode.Harbor ? null : "the pseudonym is not for harbor"),
        new("POST", "/api/v1/audit/integrity", string.Empty, (_, _) => Task.FromResult(new HttpRequestMessage(HttpMethod.Post, "api/v1/audit/integrity")),
            Signed(actor => actor is MatrixActor.Auditor or MatrixActor.StMaryAdmin or MatrixActor.HarborAdmin or MatrixActor.NodeKey ? Ok : RoleNotPermitted),
            (_, _, body) => body.GetProperty("checked").GetInt32() >= 2 && body.GetProperty("failures").GetArrayLength() == 0 ? null : "fewer than two blobs checked, or failures"),
    ];

    /// <summary>A signed route: the unregistered key and the unsigned request are refused before any role is looked at.</summary>
    private static Func<MatrixActor, MatrixCell> Signed(Func<MatrixActor, MatrixCell> registered) => actor => actor switch
    {
        MatrixActor.UnregisteredKey => MatrixCell.Deny(401, "UnknownKey"),
        MatrixActor.Unsigned => MatrixCell.Deny(401, "Unauthenticated"),
        _ => registered(actor),
    };

    private static Task<HttpRequestMessage> Get(string path) => Task.FromResult(new HttpRequestMessage(HttpMethod.Get, path));

    private static Task<HttpRequestMessage> Post<T>(string path, T body) =>
        Task.FromResult(new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: JsonOptions) });

    /// <summary>The only passphrase each caller could offer for P's vault: P its own, P2 its own, the anonymous caller a guess.</summary>
    private static string PassphraseOf(MatrixActor actor) => actor switch
    {
        MatrixActor.Patient => AuthorizationMatrixWorld.PatientPassphrase,
        MatrixActor.OtherPatient => AuthorizationMatrixWorld.OtherPatientPassphrase,
        MatrixActor.Unsigned => "an anonymous guess",
        _ => string.Empty,
    };

    /// <summary>The caller grants the genome institute research access to P's records: harmless to every other row.</summary>
    private static async Task<HttpRequestMessage> GrantTransactionAsync(AuthorizationMatrixWorld world, MatrixCaller caller)
    {
        var now = DateTimeOffset.UtcNow;
        var terms = new ConsentGrantPayload(world.Patient, GrantActor.ForOrganisation(MedicalTestNode.Research), GrantActions.Read, AccessPurpose.Research, [], [SensitivityTier.GeneralClinical], [], now.AddMinutes(-1).ToUnixTimeMilliseconds(), now.AddHours(1).ToUnixTimeMilliseconds());
        var transaction = caller.Factory is { } factory
            ? factory.GrantConsent(terms)
            : await UnsignedAsync(world, world.Patient, TransactionType.ConsentGrant, terms.Encode());
        return await Submit(transaction);
    }

    /// <summary>The caller registers a fresh patient pseudonym at st-mary (F3: its org admins and doctors may).</summary>
    private static async Task<HttpRequestMessage> RegisterTransactionAsync(AuthorizationMatrixWorld world, MatrixCaller caller)
    {
        using var pseudonym = world.Suite.GenerateSigningKey();
        var transaction = caller.Factory is { } factory
            ? factory.RegisterUser(pseudonym.PublicKey.Span, AccountRole.Patient, MedicalTestNode.StMary, string.Empty)
            : await UnsignedAsync(world, world[MatrixActor.StMaryAdmin].KeyId, TransactionType.UserRegister, new UserRegisterPayload(pseudonym.PublicKey.ToArray(), AccountRole.Patient, MedicalTestNode.StMary, string.Empty).Encode());
        return await Submit(transaction);
    }

    /// <summary>A transaction that claims to come from <paramref name="sender"/> (the one who may send it) with an empty signature.</summary>
    private static async Task<Transaction> UnsignedAsync(AuthorizationMatrixWorld world, Hash sender, TransactionType type, byte[] payload)
    {
        var status = await world.Public.GetStatusAsync();
        return Transaction.FromParts(world.ChainId, type, sender, await world.LastNonceAsync(sender) + 1, status.Height + 100, payload, []);
    }

    private static Task<HttpRequestMessage> Submit(Transaction transaction) =>
        Post("api/v1/transactions?wait=commit", new SubmitTransactionsRequest(Convert.ToBase64String(transaction.Encoded.Span)));

    /// <summary>
    /// The caller, as author, uploads a new laboratory record of P held by st-mary, with P's consent signature (P
    /// itself writes as the patient). The unsigned request carries D1's would-be upload without the signature headers.
    /// </summary>
    private static Task<HttpRequestMessage> UploadAsync(AuthorizationMatrixWorld world, MatrixCaller caller)
    {
        var author = caller.Key is null ? world[MatrixActor.AuthorDoctor] : caller;
        var draft = RecordWriter.Prepare(world.Suite, author.Key!, world.ChainId, world.Patient, world.PatientKey.PublicKey.Span, MedicalTestNode.StMary, world.StMaryEncryptionKey, RecordCategory.Laboratory, MedicalTestNode.Split(world.Document), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        if (draft.Anchor.Authorisation != WriteAuthorisation.PatientAuthor)
        {
            draft = draft.SignConsent(world.Suite, world.PatientKey);
        }

        var transaction = author.Factory!.AnchorRecord(draft.Anchor);
        return Post("api/v1/records?wait=commit", draft.ToUploadRequest(transaction));
    }

    /// <summary>As <see cref="UploadAsync"/>, as a batch of one record.</summary>
    private static async Task<HttpRequestMessage> UploadBatchAsync(AuthorizationMatrixWorld world, MatrixCaller caller)
    {
        using var single = await UploadAsync(world, caller);
        var upload = await single.Content!.ReadFromJsonAsync<RecordUploadRequest>(JsonOptions);
        return await Post("api/v1/records/batch?wait=commit", new RecordBatchUploadRequest([upload!]));
    }

    /// <summary>
    /// D1 asks P to approve a new laboratory record (<see cref="PendingWriteAsync"/>); the caller then declines it with its
    /// own RecordWriteRespond. The unsigned request carries P's would-be answer without the signature headers.
    /// </summary>
    private static async Task<HttpRequestMessage> AnswerWriteRequestAsync(AuthorizationMatrixWorld world, MatrixCaller caller)
    {
        var recordId = await PendingWriteAsync(world);
        var answer = caller.Factory is { } factory
            ? factory.RespondToWriteRequest(recordId, [])
            : await UnsignedAsync(world, world.Patient, TransactionType.RecordWriteRespond, new RecordWriteRespondPayload(recordId, []).Encode());
        return await Post($"api/v1/write-requests/{recordId}/answer", new WriteRequestAnswerRequest(Convert.ToBase64String(answer.Encoded.Span)));
    }

    /// <summary>D1 uploads a new laboratory record of P in pending mode (a committed RecordWriteRequest); returns its record id.</summary>
    private static async Task<Hash> PendingWriteAsync(AuthorizationMatrixWorld world)
    {
        var author = world[MatrixActor.AuthorDoctor];
        var draft = RecordWriter.Prepare(world.Suite, author.Key!, world.ChainId, world.Patient, world.PatientKey.PublicKey.Span, MedicalTestNode.StMary, world.StMaryEncryptionKey, RecordCategory.Laboratory, MedicalTestNode.Split(world.Document), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var status = await world.Public.GetStatusAsync();
        var request = author.Factory!.RequestRecordWrite(draft.Anchor, status.Height + 1_000);
        using (var upload = await author.Http.SendAsync(await Post("api/v1/records?wait=commit", new RecordUploadRequest(Convert.ToBase64String(request.Encoded.Span), draft.Tiers))))
        {
            upload.EnsureSuccessStatusCode();
        }

        return draft.RecordId;
    }

    private static string? Committed(AuthorizationMatrixWorld world, MatrixCaller caller, JsonElement body) =>
        body.GetProperty("results")[0].GetProperty("status").GetString() == "committed" ? null : "not committed";

    /// <summary>An allowed read returns R with tiers; D2's is under its grant, the patient's and the author's under none.</summary>
    private static string? CheckRead(AuthorizationMatrixWorld world, MatrixCaller caller, JsonElement body)
    {
        if (body.GetProperty("record").GetProperty("recordId").GetString() != world.Record.ToString() || body.GetProperty("tiers").GetArrayLength() == 0)
        {
            return "not R, or no tiers";
        }

        var grant = body.TryGetProperty("grantId", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var expected = caller.Actor == MatrixActor.GrantedDoctor ? world.Grant.ToString() : null;
        return grant == expected ? null : $"read under grant {grant ?? "none"}, expected {expected ?? "none"}";
    }

    /// <summary>Only D2 (granted) finds P; D1 and D3 get an empty answer that reveals nothing.</summary>
    private static string? CheckEmpi(AuthorizationMatrixWorld world, MatrixCaller caller, JsonElement body)
    {
        var found = body.GetProperty("matches").EnumerateArray().Any(m => m.GetProperty("pseudonym").GetString() == world.Patient.ToString());
        var expected = caller.Actor == MatrixActor.GrantedDoctor;
        return found == expected ? null : expected ? "D2 does not find P" : "P is found without a grant";
    }

    /// <summary>
    /// Every access-log entry the caller gets lies in its scope: a patient's own records; an org admin's own
    /// organisation; an auditor's everything (it must see more than one actor); anyone else's own actions; and
    /// within the row's own filter.
    /// </summary>
    private static string? AccessLogInScope(AuthorizationMatrixWorld world, MatrixCaller caller, JsonElement body, bool requireEntries, Func<JsonElement, bool>? filter = null)
    {
        var entries = body.GetProperty("entries").EnumerateArray().ToList();
        if (requireEntries && entries.Count == 0)
        {
            return "no entries, though the caller's scope holds some";
        }

        foreach (var entry in entries)
        {
            var inScope = caller.Actor switch
            {
                MatrixActor.Patient => entry.GetProperty("patient").GetString() == world.Patient.ToString(),
                MatrixActor.OtherPatient => entry.GetProperty("patient").GetString() == world.OtherPatient.ToString(),
                MatrixActor.StMaryAdmin or MatrixActor.HarborAdmin => entry.GetProperty("organisation").GetString() == caller.Organisation,
                MatrixActor.Auditor => true,
                _ => entry.GetProperty("actor").GetString() == caller.KeyId.ToString(),
            };
            if (!inScope)
            {
                return $"entry {entry.GetProperty("sequence").GetInt64()} ({entry.GetProperty("action").GetString()} by {entry.GetProperty("actor").GetString()![..8]}) is outside the caller's scope";
            }

            if (filter is not null && !filter(entry))
            {
                return $"entry {entry.GetProperty("sequence").GetInt64()} does not match the row's filter";
            }
        }

        if (caller.Actor == MatrixActor.Auditor && filter is null && entries.Select(e => e.GetProperty("actor").GetString()).Distinct().Count() < 2)
        {
            return "the auditor sees the actions of fewer than two actors";
        }

        return null;
    }
}
