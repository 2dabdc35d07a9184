using System.Net;
using System.Text.Json;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Client.Tests;

public sealed class UserClientRouteTests : IDisposable
{
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;
    private static readonly Hash PatientA = Hash.Parse(new string('a', 64));
    private static readonly Hash PatientB = Hash.Parse(new string('b', 64));

    private readonly ISigningKey _key = Suite.GenerateSigningKey();
    private readonly FakeNode _node = new();
    private readonly MedLedgerUserClient _client;

    public UserClientRouteTests()
    {
        _client = MedLedgerUserClient.Create(new Uri("http://node.test"), Suite, _key, innerHandler: _node);
    }

    public void Dispose()
    {
        _client.Dispose();
        _key.Dispose();
    }

    [Fact]
    public async Task ListAndQueryRoutes_SendTheDocumentedPathsAndQueries_Signed()
    {
        // Each typed method sends the documented method, path and query (repeatable patient, camelCase enums, ISO
        // times in UTC) and every one of them is signed.
        _node.OnGet("/api/v1/records", _ => new RecordListResponse([]))
            .OnGet("/api/v1/grants", _ => new GrantListResponse([]))
            .OnGet("/api/v1/access-log", _ => new AccessLogResponse([], null))
            .OnGet("/api/v1/access-log/fhir", _ => "{\"resourceType\":\"Bundle\"}")
            .OnGet($"/api/v1/grants/{PatientB}/fhir", _ => "{\"resourceType\":\"Consent\"}")
            .OnPost("/api/v1/empi/search", _ => new EmpiSearchResponse([new EmpiMatch(PatientA.ToString(), "st-marys")]))
            .OnPost("/api/v1/audit/integrity", _ => new IntegrityReport(3, 3, [], DateTimeOffset.UnixEpoch));

        await _client.ListPatientRecordsAsync([PatientA, PatientB], limit: 20);
        await _client.ListAuthoredRecordsAsync(PatientA);
        await _client.ListGrantsAsync(PatientA);
        var query = new AccessLogQuery(Patients: [PatientA], Outcome: AccessOutcome.Denied, Purpose: AccessPurpose.Emergency, Action: AccessAction.IntegrityCheck, From: new DateTimeOffset(2026, 1, 2, 4, 5, 6, TimeSpan.FromHours(1)), Before: 77, Limit: 10);
        await _client.GetAccessLogAsync(query);
        var bundle = await _client.GetAccessLogFhirAsync(new AccessLogQuery(Actor: PatientB));
        var consent = await _client.GetGrantFhirAsync(PatientB);
        var matches = await _client.SearchPatientsAsync(new EmpiSearchRequest("123", null, null, null));
        var report = await _client.CheckIntegrityAsync();

        Assert.Equal("Bundle", bundle.GetProperty("resourceType").GetString());
        Assert.Equal("Consent", consent.GetProperty("resourceType").GetString());
        Assert.Equal("st-marys", Assert.Single(matches.Matches).Organisation);
        Assert.Equal(3, report.Checked);
        var sent = _node.RequestsBeyondStatus;
        Assert.Equal(
            [
                $"GET /api/v1/records?patient={PatientA}&patient={PatientB}&limit=20",
                $"GET /api/v1/records?author={PatientA}",
                $"GET /api/v1/grants?patient={PatientA}",
                $"GET /api/v1/access-log?patient={PatientA}&outcome=denied&purpose=emergency&action=integrityCheck&from=2026-01-02T03%3A05%3A06.000Z&before=77&limit=10",
                $"GET /api/v1/access-log/fhir?actor={PatientB}",
                $"GET /api/v1/grants/{PatientB}/fhir",
                "POST /api/v1/empi/search",
                "POST /api/v1/audit/integrity",
            ],
            sent.Select(r => $"{r.Method} {r.PathAndQuery}"));
        Assert.All(sent, r => Assert.True(r.IsSigned, r.PathAndQuery));
        Assert.Equal("123", JsonDocument.Parse(sent[6].Body).RootElement.GetProperty("nationalId").GetString());
        Assert.Empty(sent[7].Body);
    }

    [Fact]
    public async Task RecordContent_SendsThePurpose_ButNoneForAPatientsOwnRead()
    {
        // A read names its purpose (camelCase); a patient's own read (purpose None) sends no purpose at all, which the API
        // takes as "none" — "purpose=none" would be refused as malformed by the holding node.
        var record = new Hash(Enumerable.Repeat((byte)0x5a, 32).ToArray());
        _node.OnProblem(HttpMethod.Get, $"/api/v1/records/{record}", HttpStatusCode.NotFound, "NotFound");
        await Assert.ThrowsAsync<MedLedgerApiException>(() => _client.GetRecordContentAsync(record, AccessPurpose.Emergency));
        await Assert.ThrowsAsync<MedLedgerApiException>(() => _client.GetRecordContentAsync(record, AccessPurpose.None));
        var sent = _node.Requests.Where(r => r.Uri.AbsolutePath == $"/api/v1/records/{record}").Select(r => r.PathAndQuery).ToList();
        Assert.Equal([$"/api/v1/records/{record}?purpose=emergency", $"/api/v1/records/{record}"], sent);
    }

    [Fact]
    public async Task Refusals_BecomeMedLedgerApiException_WithTheProblemsCode()
    {
        // A 403 problem+json from a signed route surfaces with its status and code; a missing user is null, not an error.
        _node.OnProblem(HttpMethod.Get, "/api/v1/grants", HttpStatusCode.Forbidden, "NotAuthorized");

        var refused = await Assert.ThrowsAsync<MedLedgerApiException>(() => _client.ListGrantsAsync(PatientA));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("NotAuthorized", refused.Code);
        Assert.Null(await _client.GetUserAsync(PatientB));
    }

    [Fact]
    public async Task EnrolPatientAndRegister_PostsTheEnrolment_ThenSubmitsAPatientRegistrationForTheReturnedKey()
    {
        // 1. POST /api/v1/patients with the enrolment (signed). 2. A UserRegister for the returned public key (patient
        //    role, empty name, the caller's organisation) is submitted, waiting for commit.
        using var pseudonym = Suite.GenerateSigningKey();
        var pseudonymId = Suite.Hash(pseudonym.PublicKey.Span);
        _node.OnPost("/api/v1/patients", _ => new PatientEnrolmentResponse("ada", Convert.ToHexStringLower(pseudonym.PublicKey.Span), pseudonymId.ToString()))
            .OnPost("/api/v1/transactions", r => new SubmitTransactionsResponse([new SubmittedTransaction(new string('6', 64), "committed", 41)]));

        var (enrolment, registration) = await _client.EnrolPatientAndRegisterAsync(new PatientEnrolmentRequest("ada", "correct horse", "Ada", "Lovelace", "N1", "1815-12-10", "female", "W1"), "st-marys");

        Assert.Equal("ada", enrolment.Username);
        Assert.Equal("committed", registration.Status);
        var submit = _node.Requests.Single(r => r.Uri.AbsolutePath == "/api/v1/transactions");
        Assert.Equal("/api/v1/transactions?wait=commit", submit.PathAndQuery);
        var transaction = Transaction.Decode(Convert.FromBase64String(submit.Json<SubmitTransactionsRequest>().Transaction!));
        var payload = UserRegisterPayload.Decode(transaction.Payload.Span);
        Assert.Equal((TransactionType.UserRegister, AccountRole.Patient, string.Empty, "st-marys"), (transaction.Type, payload.Role, payload.Name, payload.Organisation));
        Assert.Equal(pseudonym.PublicKey.ToArray(), payload.PublicKey);
        Assert.True(_node.Requests.Single(r => r.Uri.AbsolutePath == "/api/v1/patients").IsSigned);
    }

    [Fact]
    public async Task EnrolPatient_WithAKeyIdThatIsNotTheKeysHash_SubmitsNothing()
    {
        // The node's answer must be self-consistent before the caller signs a registration for it.
        using var pseudonym = Suite.GenerateSigningKey();
        _node.OnPost("/api/v1/patients", _ => new PatientEnrolmentResponse("ada", Convert.ToHexStringLower(pseudonym.PublicKey.Span), new string('c', 64)));

        await Assert.ThrowsAsync<MedLedgerClientException>(() => _client.EnrolPatientAndRegisterAsync(new PatientEnrolmentRequest("ada", "correct horse", "A", "L", "N", "2000-01-01", "female", "W1"), "st-marys"));

        Assert.DoesNotContain(_node.Requests, r => r.Uri.AbsolutePath == "/api/v1/transactions");
    }

    [Fact]
    public async Task ExportVault_IsUnsigned_AndReturnsTheVaultBytes()
    {
        // The custody export authenticates by passphrase; the plain client sends it without signature headers.
        _node.OnPost("/api/v1/custody/export", _ => new VaultExportResponse(Convert.ToBase64String([1, 2, 3])));
        using var http = new HttpClient(_node, disposeHandler: false) { BaseAddress = new Uri("http://node.test/") };

        var vault = await new MedLedgerClient(http).ExportVaultAsync(new VaultExportRequest("ada", "correct horse"));

        Assert.Equal([1, 2, 3], vault);
        var sent = Assert.Single(_node.Requests);
        Assert.False(sent.IsSigned);
        Assert.Equal("ada", sent.Json<VaultExportRequest>().Username);
    }

    [Fact]
    public async Task Organisations_AreListedAndLookedUp()
    {
        // GET /api/v1/organisations and /api/v1/organisations/{id}; an unknown id is null.
        var info = new OrganisationInfo("st-marys", "St Mary's", "hospital", "tertiary", "04", "http://x", "active", 0);
        _node.OnGet("/api/v1/organisations", _ => new[] { info }).OnGet("/api/v1/organisations/st-marys", _ => info);

        Assert.Equal(info, Assert.Single(await _client.Node.GetOrganisationsAsync()));
        Assert.Equal(info, await _client.Node.GetOrganisationAsync("st-marys"));
        Assert.Null(await _client.Node.GetOrganisationAsync("nowhere"));
    }

    [Fact]
    public async Task OwnOrganisation_ComesFromTheUser_ElseFromTheAccount()
    {
        // 1. A key that is its own user id finds its organisation through GET /users/{keyId}. 2. A rotated key (no user
        //    under its key id) falls back to the account's organisation. 3. When neither says, the client refuses.
        var keyId = Suite.Hash(_key.PublicKey.Span);
        _node.OnGet($"/api/v1/accounts/{keyId}", _ => new AccountInfo(keyId.ToString(), "", "doctor", "Dr", 1, 1, false, "north-clinic", new string('9', 64)));
        Assert.Equal("north-clinic", await _client.GetOwnOrganisationAsync());

        _node.OnGet($"/api/v1/users/{keyId}", _ => new UserInfo(keyId.ToString(), keyId.ToString(), "", "doctor", "st-marys", "Dr", true));
        Assert.Equal("st-marys", await _client.GetOwnOrganisationAsync());

        using var other = Suite.GenerateSigningKey();
        using var stranger = MedLedgerUserClient.Create(new Uri("http://node.test"), Suite, other, innerHandler: _node);
        await Assert.ThrowsAsync<MedLedgerClientException>(() => stranger.GetOwnOrganisationAsync());
    }

    [Fact]
    public void ApiNames_AreCamelCase_AndParsingIsForgivingButStrict()
    {
        // Names are camelCase; parsing accepts case, hyphen and underscore variants but not numbers, None or unknowns.
        Assert.Equal("generalClinical", ApiNames.Of(SensitivityTier.GeneralClinical));
        Assert.Equal("orgAdmin", ApiNames.Of(AccountRole.OrgAdmin));
        Assert.Equal(SensitivityTier.GeneralClinical, ApiNames.Parse<SensitivityTier>("general-clinical"));
        Assert.Equal(AccountRole.InsurerAgent, ApiNames.Parse<AccountRole>("insurer_agent"));
        Assert.False(ApiNames.TryParse<SensitivityTier>("2", out _));
        Assert.False(ApiNames.TryParse<SensitivityTier>("none", out _));
        Assert.False(ApiNames.TryParse<AccessPurpose>("marketing", out _));
        Assert.Throws<FormatException>(() => ApiNames.Parse<RecordCategory>("x"));
    }
}
