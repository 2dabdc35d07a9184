using System.Net;
using System.Text.Json;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Sharing.Records;

namespace MedLedger.Client.Tests;

/// <summary>The medical verbs against a fake node: what they send, what they print and the exit codes they return.</summary>
public sealed class CliVerbTests(CliKeys keys) : IClassFixture<CliKeys>, IDisposable
{
    private const string NodeUrl = "http://node.test";
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;

    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Grant_SubmitsTheAskedTerms_SignedByThePatient_AndPrintsTheGrantId()
    {
        // The patient grants an organisation read access to two tiers of laboratory records for treatment until a
        // date. The one submitted transaction is a ConsentGrant with the next nonce (after 2) whose payload holds
        // exactly those terms, starting now; --json prints its id as the grant id.
        AcceptTransactions(keys.Patient.KeyId, lastNonce: 2);

        var run = await _cli.RunAsync("grant", "--node", NodeUrl, "--key", keys.Patient.File, "--passphrase-file", keys.PassphraseFile,
            "--to-org", "st-marys", "--tiers", "generalClinical,sensitive", "--categories", "laboratory", "--purpose", "treatment", "--until", "2026-12-31T23:59:59Z", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var transaction = SubmittedTransactions().Single();
        Assert.Equal((TransactionType.ConsentGrant, keys.Patient.KeyId, 3UL), (transaction.Type, transaction.Sender, transaction.Nonce));
        Assert.True(Suite.Verify(keys.Patient.PublicKey, transaction.EncodeSigningBytes(), transaction.Signature.Span));
        var terms = ConsentGrantPayload.Decode(transaction.Payload.Span);
        Assert.Equal(keys.Patient.KeyId, terms.Patient);
        Assert.Equal(GrantActor.ForOrganisation("st-marys"), terms.Actor);
        Assert.Equal(GrantActions.Read, terms.Actions);
        Assert.Equal(AccessPurpose.Treatment, terms.Purpose);
        Assert.Equal([RecordCategory.Laboratory], terms.Categories);
        Assert.Equal([SensitivityTier.GeneralClinical, SensitivityTier.Sensitive], terms.Tiers);
        Assert.Equal(CliHarness.Now.ToUnixTimeMilliseconds(), terms.ValidFromUnixMilliseconds);
        Assert.Equal(new DateTimeOffset(2026, 12, 31, 23, 59, 59, TimeSpan.Zero).ToUnixTimeMilliseconds(), terms.ValidUntilUnixMilliseconds);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal(transaction.ComputeId(Suite).ToString(), json.RootElement.GetProperty("grantId").GetString());
    }

    [Fact]
    public async Task RefusedTransaction_FailsWithTheNodesReason()
    {
        // A transaction the node refuses (problem+json) ends the command with exit code 1 and the node's reason.
        _cli.Node.OnProblem(HttpMethod.Post, "/api/v1/transactions", HttpStatusCode.Forbidden, "NotAuthorized");

        var run = await _cli.RunAsync("revoke", "--node", NodeUrl, "--key", keys.Patient.File, "--passphrase-file", keys.PassphraseFile, "--grant", new string('c', 64));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("NotAuthorized", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordPut_WithConsentKey_UploadsACoSignedAnchor()
    {
        // The doctor writes a record for the patient, who co-signs with --consent-key: the upload's anchor is authorised
        // by the patient's signature over the consent statement, sent by the doctor.
        var organisationKey = RegisterWorld();
        var document = keys.Combine("put-observation.json");
        await File.WriteAllTextAsync(document, "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"HbA1c\"}}");
        _cli.Node.OnPost("/api/v1/records", r =>
        {
            var anchor = RecordAnchorPayload.Decode(Transaction.Decode(Convert.FromBase64String(r.Json<RecordUploadRequest>().Transaction)).Payload.Span);
            return new RecordUploadResponse(anchor.RecordId.ToString(), new string('7', 64), 12);
        });

        var run = await _cli.RunAsync("record", "put", "--node", NodeUrl, "--key", keys.Doctor.File, "--passphrase-file", keys.PassphraseFile,
            "--patient", keys.Patient.KeyId.ToString(), "--category", "laboratory", "--file", document, "--consent-key", keys.Patient.File, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var upload = _cli.Node.Requests.Single(r => r.Uri.AbsolutePath == "/api/v1/records").Json<RecordUploadRequest>();
        var transaction = Transaction.Decode(Convert.FromBase64String(upload.Transaction));
        var anchor = RecordAnchorPayload.Decode(transaction.Payload.Span);
        Assert.Equal((keys.Doctor.KeyId, keys.Doctor.KeyId, keys.Patient.KeyId, WriteAuthorisation.PatientSignature, keys.Patient.KeyId), (transaction.Sender, anchor.Author, anchor.Patient, anchor.Authorisation, anchor.ConsentSigner));
        Assert.True(Suite.Verify(keys.Patient.PublicKey, anchor.EncodeConsentStatement(FakeNode.ChainId), anchor.ConsentSignature));
        var tier = Assert.Single(upload.Tiers);
        var dataKey = KeyWrap.Unwrap(Suite, organisationKey, Convert.FromBase64String(tier.OrganisationEnvelope), RecordSealing.EnvelopeAssociatedData(anchor.RecordId, SensitivityTier.GeneralClinical, Suite.Hash(organisationKey.PublicKey.Span)));
        var content = RecordSealing.OpenTier(Suite, anchor.RecordId, SensitivityTier.GeneralClinical, Convert.FromBase64String(tier.Ciphertext), dataKey, anchor.Tiers[0].ContentAddress, anchor.Tiers[0].Commitment);
        Assert.Equal(await File.ReadAllBytesAsync(document), content);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal(anchor.RecordId.ToString(), json.RootElement.GetProperty("recordId").GetString());
        organisationKey.Dispose();
    }

    [Fact]
    public async Task RecordGet_WritesTheVerifiedContent_AndATamperedRecordExitsWith3()
    {
        // 1. A record served for the doctor is verified, decrypted and written to --out.
        // 2. The same record with one ciphertext byte changed fails the integrity check: exit code 3, one line.
        using var world = new RecordTestWorld();
        using var doctor = CliKeys.Open(keys.Doctor.File);
        var parts = new Dictionary<SensitivityTier, byte[]> { [SensitivityTier.GeneralClinical] = "{\"resourceType\":\"Observation\"}"u8.ToArray() };
        var draft = world.Prepare(parts);
        var response = world.ServeRead(draft, doctor);
        _cli.Node.OnGet($"/api/v1/records/{draft.RecordId}", _ => response);
        var target = keys.Combine($"read-{draft.RecordId.ToShortString()}.json");

        var run = await _cli.RunAsync("record", "get", "--node", NodeUrl, "--key", keys.Doctor.File, "--passphrase-file", keys.PassphraseFile, "--id", draft.RecordId.ToString(), "--out", target);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(parts[SensitivityTier.GeneralClinical], await File.ReadAllBytesAsync(target));
        Assert.Equal($"/api/v1/records/{draft.RecordId}?purpose=treatment", _cli.Node.RequestsBeyondStatus.Single().PathAndQuery);

        var ciphertext = Convert.FromBase64String(response.Tiers[0].Ciphertext);
        ciphertext[^1] ^= 1;
        _cli.Node.OnGet($"/api/v1/records/{draft.RecordId}", _ => response with { Tiers = [response.Tiers[0] with { Ciphertext = Convert.ToBase64String(ciphertext) }] });

        var tampered = await _cli.RunAsync("record", "get", "--node", NodeUrl, "--key", keys.Doctor.File, "--passphrase-file", keys.PassphraseFile, "--id", draft.RecordId.ToString());

        Assert.Equal(3, tampered.ExitCode);
        Assert.Contains("integrity", Assert.Single(tampered.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(tampered.Output);
    }

    [Fact]
    public async Task AuditIntegrity_ExitsWith3WhenTheNodeFindsMismatches()
    {
        // 1. A clean report exits 0. 2. A report with a failure prints it and exits 3 with one line on stderr.
        _cli.Node.OnPost("/api/v1/audit/integrity", _ => new IntegrityReport(4, 4, [], CliHarness.Now));
        var clean = await _cli.RunAsync("audit", "integrity", "--node", NodeUrl, "--key", keys.Doctor.File, "--passphrase-file", keys.PassphraseFile);
        Assert.True(clean.ExitCode == 0, clean.ToString());

        _cli.Node.OnPost("/api/v1/audit/integrity", _ => new IntegrityReport(4, 3, [new IntegrityFailure(new string('d', 64), "sensitive", "content address mismatch")], CliHarness.Now));
        var failing = await _cli.RunAsync("audit", "integrity", "--node", NodeUrl, "--key", keys.Doctor.File, "--passphrase-file", keys.PassphraseFile, "--json");

        Assert.Equal(3, failing.ExitCode);
        Assert.Single(failing.ErrorLines);
        Assert.Equal(3, JsonDocument.Parse(failing.Output).RootElement.GetProperty("passed").GetInt32());
    }

    [Fact]
    public async Task AccessLog_SendsTheFilters_AndFhirPrintsTheBundle()
    {
        // The filters become the query string; --fhir asks the FHIR route and prints its JSON.
        var patient = new string('a', 64);
        _cli.Node.OnGet("/api/v1/access-log", _ => new AccessLogResponse([new AccessLogEntryInfo(9, 3, new string('e', 64), "st-marys", CliHarness.Now, new string('b', 64), patient, null, "read", "treatment", "denied", "noGrant", null, null)], 9))
            .OnGet("/api/v1/access-log/fhir", _ => "{\"resourceType\":\"Bundle\",\"type\":\"collection\"}");

        var page = await _cli.RunAsync("access-log", "--node", NodeUrl, "--key", keys.Patient.File, "--passphrase-file", keys.PassphraseFile, "--patient", patient, "--outcome", "denied", "--limit", "5");
        var fhir = await _cli.RunAsync("access-log", "--node", NodeUrl, "--key", keys.Patient.File, "--passphrase-file", keys.PassphraseFile, "--patient", patient, "--fhir");

        Assert.True(page.ExitCode == 0, page.ToString());
        Assert.Contains("noGrant", page.Output, StringComparison.Ordinal);
        Assert.Contains("--before 9", page.Output, StringComparison.Ordinal);
        Assert.Equal("Bundle", JsonDocument.Parse(fhir.Output).RootElement.GetProperty("resourceType").GetString());
        Assert.Equal(
            [$"/api/v1/access-log?patient={patient}&outcome=denied&limit=5", $"/api/v1/access-log/fhir?patient={patient}"],
            _cli.Node.RequestsBeyondStatus.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task KeyRotate_CarriesTheNewKeysProof()
    {
        // key rotate submits a KeyRotate from the old key whose proof verifies under the new key.
        AcceptTransactions(keys.Doctor.KeyId, lastNonce: 0);

        var run = await _cli.RunAsync("key", "rotate", "--node", NodeUrl, "--key", keys.Doctor.File, "--passphrase-file", keys.PassphraseFile, "--new-key", keys.Spare.File);

        Assert.True(run.ExitCode == 0, run.ToString());
        var transaction = SubmittedTransactions().Single();
        var payload = KeyRotatePayload.Decode(transaction.Payload.Span);
        Assert.Equal(keys.Spare.PublicKey, payload.NewPublicKey);
        Assert.True(Suite.Verify(keys.Spare.PublicKey, KeyRotatePayload.EncodeProofBytes(FakeNode.ChainId, keys.Doctor.KeyId), payload.ProofSignature));
    }

    [Fact]
    public async Task UserRegister_FromAKeyFile_RegistersItsPublicKey()
    {
        // user register --key-file reads only the public key of the new user's file and registers it with the role.
        AcceptTransactions(keys.Doctor.KeyId, lastNonce: 5);

        var run = await _cli.RunAsync("user", "register", "--node", NodeUrl, "--key", keys.Doctor.File, "--passphrase-file", keys.PassphraseFile, "--key-file", keys.Spare.File, "--role", "patient", "--org", "st-marys");

        Assert.True(run.ExitCode == 0, run.ToString());
        var payload = UserRegisterPayload.Decode(SubmittedTransactions().Single().Payload.Span);
        Assert.Equal((AccountRole.Patient, "st-marys", string.Empty), (payload.Role, payload.Organisation, payload.Name));
        Assert.Equal(keys.Spare.PublicKey, payload.PublicKey);
    }

    [Fact]
    public async Task CustodyExportThenOpen_GivesKeyFilesThatOpenToTheVaultsKeys()
    {
        // 1. custody export writes the vault the node returns (unsigned request with the passphrase).
        // 2. custody open turns it into one key file per key, named by key id, each opening to the same key.
        using var first = Suite.GenerateSigningKey();
        using var second = Suite.GenerateSigningKey();
        var vault = KeyVault.Seal(Suite, [first, second], CliKeys.Passphrase);
        _cli.Node.OnPost("/api/v1/custody/export", _ => new VaultExportResponse(Convert.ToBase64String(vault)));
        var vaultFile = keys.Combine("ada.vault");
        var folder = keys.Combine("ada-keys");

        var export = await _cli.RunAsync("custody", "export", "--node", NodeUrl, "--username", "ada", "--out", vaultFile, "--passphrase-file", keys.PassphraseFile);
        var open = await _cli.RunAsync("custody", "open", "--vault", vaultFile, "--out-dir", folder, "--passphrase-file", keys.PassphraseFile);

        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.True(open.ExitCode == 0, open.ToString());
        var request = Assert.Single(_cli.Node.Requests);
        Assert.False(request.IsSigned);
        Assert.Equal(new VaultExportRequest("ada", CliKeys.Passphrase), request.Json<VaultExportRequest>());
        foreach (var key in new[] { first, second })
        {
            using var reopened = CliKeys.Open(Path.Combine(folder, $"{Suite.Hash(key.PublicKey.Span)}.key"));
            Assert.Equal(key.PublicKey.ToArray(), reopened.PublicKey.ToArray());
        }

        var again = await _cli.RunAsync("custody", "open", "--vault", vaultFile, "--out-dir", folder, "--passphrase-file", keys.PassphraseFile);
        Assert.Equal(1, again.ExitCode);
    }

    private void AcceptTransactions(Hash sender, ulong lastNonce)
    {
        _cli.Node.OnGet($"/api/v1/accounts/{sender}", _ => new AccountInfo(sender.ToString(), string.Empty, "patient", string.Empty, lastNonce, 1, false))
            .OnPost("/api/v1/transactions", r =>
            {
                var transaction = Transaction.Decode(Convert.FromBase64String(r.Json<SubmitTransactionsRequest>().Transaction!));
                return new SubmitTransactionsResponse([new SubmittedTransaction(transaction.ComputeId(Suite).ToString(), "committed", FakeNode.Height + 1, 0)]);
            });
    }

    private IEnumerable<Transaction> SubmittedTransactions() =>
        _cli.Node.Requests.Where(r => r.Uri.AbsolutePath == "/api/v1/transactions")
            .Select(r => Transaction.Decode(Convert.FromBase64String(r.Json<SubmitTransactionsRequest>().Transaction!)));

    // The chain as the record writer sees it: the patient and doctor at st-marys, whose encryption key is returned.
    [Fact]
    public async Task RecordPutPending_UploadsAWriteRequest_WithoutConsent()
    {
        // `record put --pending`: the upload's transaction is a RecordWriteRequest sent by the doctor, whose anchor asks
        // for the patient's co-signature but carries none yet, and which lapses 100,000 blocks after the node's height.
        using var organisationKey = RegisterWorld();
        var document = keys.Combine("pending-observation.json");
        await File.WriteAllTextAsync(document, "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"HbA1c\"}}");
        _cli.Node.OnPost("/api/v1/records", r =>
        {
            var request = RecordWriteRequestPayload.Decode(Transaction.Decode(Convert.FromBase64String(r.Json<RecordUploadRequest>().Transaction)).Payload.Span);
            return new RecordUploadResponse(request.Record.RecordId.ToString(), new string('7', 64), 12);
        });

        var run = await _cli.RunAsync("record", "put", "--node", NodeUrl, "--key", keys.Doctor.File, "--passphrase-file", keys.PassphraseFile,
            "--patient", keys.Patient.KeyId.ToString(), "--category", "laboratory", "--file", document, "--pending");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("waits for the patient's approval", run.Output, StringComparison.Ordinal);
        var upload = _cli.Node.Requests.Single(r => r.Uri.AbsolutePath == "/api/v1/records").Json<RecordUploadRequest>();
        var transaction = Transaction.Decode(Convert.FromBase64String(upload.Transaction));
        Assert.Equal(TransactionType.RecordWriteRequest, transaction.Type);
        var payload = RecordWriteRequestPayload.Decode(transaction.Payload.Span);
        Assert.True(payload.IsWellFormed);
        Assert.Equal(FakeNode.Height + MedLedgerUserClient.DefaultWriteRequestLifetimeBlocks, payload.ExpiresAtHeight);
        Assert.Equal((keys.Doctor.KeyId, keys.Doctor.KeyId, keys.Patient.KeyId), (transaction.Sender, payload.Record.Author, payload.Record.Patient));
        Assert.True(Suite.Verify(keys.Doctor.PublicKey, payload.Record.EncodeAuthorStatement(FakeNode.ChainId), payload.Record.AuthorSignature));
        Assert.Single(upload.Tiers);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RecordApproveOrDecline_AnswersWithTheConsentOfTheListedAnchor(bool approve)
    {
        // `record approve` signs the consent statement of the anchor the node lists with the patient's key and posts a
        // RecordWriteRespond sent by the patient; `record decline` posts one with an empty signature.
        using var author = Suite.GenerateSigningKey();
        var anchor = new RecordAnchorPayload(Suite.Hash("pending record"u8), keys.Patient.KeyId, Suite.Hash(author.PublicKey.Span), "st-marys", RecordCategory.Laboratory, 1, [new RecordTierAnchor(SensitivityTier.GeneralClinical, Suite.Hash("c"u8), Suite.Hash("m"u8), 9)], [1], WriteAuthorisation.PatientSignature, Hash.Zero, [], Hash.Zero);
        var recordId = anchor.RecordId.ToString();
        _cli.Node.OnGet("/api/v1/write-requests", _ => new WriteRequestListResponse([new WriteRequestSummary(recordId, keys.Patient.KeyId.ToString(), anchor.Author.ToString(), anchor.Author.ToString(), "Dr Ada", "st-marys", "St Mary's", "laboratory", ["generalClinical"], DateTimeOffset.UnixEpoch, 5, 100_005, "open", null, Convert.ToBase64String(anchor.Encode()))]));
        _cli.Node.OnPost($"/api/v1/write-requests/{recordId}/answer", _ => new WriteRequestAnswerResponse(recordId, approve ? "approved" : "declined", new string('8', 64), 13));

        var run = await _cli.RunAsync("record", approve ? "approve" : "decline", "--node", NodeUrl, "--key", keys.Patient.File, "--passphrase-file", keys.PassphraseFile, "--id", recordId);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains(approve ? "Approved" : "Declined", run.Output, StringComparison.Ordinal);
        var sent = _cli.Node.Requests.Single(r => r.Uri.AbsolutePath == $"/api/v1/write-requests/{recordId}/answer");
        Assert.True(sent.IsSigned);
        var transaction = Transaction.Decode(Convert.FromBase64String(sent.Json<WriteRequestAnswerRequest>().Transaction));
        Assert.Equal((TransactionType.RecordWriteRespond, keys.Patient.KeyId), (transaction.Type, transaction.Sender));
        var answer = RecordWriteRespondPayload.Decode(transaction.Payload.Span);
        Assert.Equal(anchor.RecordId, answer.RecordId);
        Assert.Equal(!approve, answer.Declines);
        Assert.Equal(approve, Suite.Verify(keys.Patient.PublicKey, anchor.EncodeConsentStatement(FakeNode.ChainId), answer.ConsentSignature));
    }

    private ISigningKey RegisterWorld()
    {
        var organisationKey = Suite.GenerateSigningKey();
        _cli.Node.OnGet($"/api/v1/users/{keys.Patient.KeyId}", _ => new UserInfo(keys.Patient.KeyId.ToString(), keys.Patient.KeyId.ToString(), Convert.ToHexStringLower(keys.Patient.PublicKey), "patient", "st-marys", string.Empty, true))
            .OnGet($"/api/v1/users/{keys.Doctor.KeyId}", _ => new UserInfo(keys.Doctor.KeyId.ToString(), keys.Doctor.KeyId.ToString(), Convert.ToHexStringLower(keys.Doctor.PublicKey), "doctor", "st-marys", "Dr Ada", true))
            .OnGet("/api/v1/organisations/st-marys", _ => new OrganisationInfo("st-marys", "St Mary's", "hospital", "tertiary", Convert.ToHexStringLower(organisationKey.PublicKey.Span), NodeUrl, "active", 0))
            .OnGet($"/api/v1/accounts/{keys.Doctor.KeyId}", _ => new AccountInfo(keys.Doctor.KeyId.ToString(), string.Empty, "doctor", "Dr Ada", 0, 1, false));
        return organisationKey;
    }
}
