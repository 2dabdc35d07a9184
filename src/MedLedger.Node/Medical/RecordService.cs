using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Sharing.Records;
using MedLedger.Storage;
using Microsoft.AspNetCore.Http;

namespace MedLedger.Node.Medical;

/// <summary>An application-service outcome: a value, or an HTTP status with a stable code and a one-line detail.</summary>
public sealed record ServiceResult<T>(T? Value, int Status, string Code, string Detail)
    where T : class
{
    public bool IsSuccess => Value is not null;
}

/// <summary>Factories of <see cref="ServiceResult{T}"/>.</summary>
public static class ServiceResult
{
    public static ServiceResult<T> Ok<T>(T value)
        where T : class => new(value, StatusCodes.Status200OK, string.Empty, string.Empty);

    public static ServiceResult<T> Fail<T>(int status, string code, string detail)
        where T : class => new(null, status, code, detail);
}

/// <summary>Checks the plaintext of an uploaded record (FHIR R4 structure, size) before it is accepted.</summary>
public interface IRecordContentValidator
{
    /// <summary>Null when the tiers are acceptable, else a (code, detail) pair.</summary>
    (string Code, string Detail)? Validate(IReadOnlyDictionary<SensitivityTier, byte[]> tiers);
}

/// <summary>
/// The records application service (SPEC F11, F15, F16, F19, F21, ARCHITECTURE §6): accepts sealed uploads for the
/// organisations this node holds — after checking every pointer, opening every tier with the organisation's key,
/// checking its commitment and validating the FHIR — and serves reads through the on-chain policy, logging every
/// read and refused attempt on chain before any key leaves the node.
/// </summary>
public sealed partial class RecordService
{
    private readonly LedgerStateMachine _ledger;
    private readonly LedgerService _ledgerService;
    private readonly IRecordStore _store;
    private readonly HostedOrganisations _organisations;
    private readonly AccessLogger _accessLog;
    private readonly IRecordContentValidator _validator;
    private readonly TimeProvider _clock;

    // Writers reuse a one-off sender key per recipient for many records (EphemeralWrapper), and every static envelope
    // comes from the organisation's own key: so the secrets behind the organisation envelopes recur, and each is agreed
    // once instead of on every upload.
    private readonly UnwrapCache _envelopeSecrets;

    public RecordService(LedgerStateMachine ledger, LedgerService ledgerService, IRecordStore store, HostedOrganisations organisations, AccessLogger accessLog, IRecordContentValidator validator, TimeProvider clock)
    {
        _ledger = ledger;
        _ledgerService = ledgerService;
        _store = store;
        _organisations = organisations;
        _accessLog = accessLog;
        _validator = validator;
        _clock = clock;
        _envelopeSecrets = new UnwrapCache(ledger.Suite);
    }

    private ICryptoSuite Suite => _ledger.Suite;

    /// <summary>
    /// The data key of a tier from the holding organisation's stored envelope (either form), opened with the node's
    /// cached agreed secrets — for every service that opens records held here. Throws <see cref="CryptoException"/>.
    /// </summary>
    internal byte[] OpenOrganisationEnvelope(ISigningKey organisationKey, ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> associatedData) =>
        _envelopeSecrets.Unwrap(organisationKey, envelope, associatedData);

    /// <summary>Accepts a record upload from its author.</summary>
    public async Task<ServiceResult<RecordUploadResponse>> UploadAsync(Caller caller, RecordUploadRequest request, bool waitForCommit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        var upload = await CheckUploadAsync(caller, request, cancellationToken).ConfigureAwait(false);
        if (upload.Failure is { } failure)
        {
            return failure;
        }

        // Ciphertext first, anchor second: once the anchor commits, the content it points to must be here.
        StoreUpload(upload);
        var submitted = (await _ledgerService.SubmitAsync([upload.Transaction!.Encoded.ToArray()], waitForCommit ? Api.LedgerEndpoints.MaxCommitWait : null, cancellationToken).ConfigureAwait(false))[0];
        return await FinishAsync(caller, upload, submitted, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Accepts several record uploads from their author in one request (<c>POST /api/v1/records/batch</c>): every record
    /// is checked as a single upload is; the accepted ones are stored in one store transaction and their anchors
    /// admitted together, in the request's order. Results are per record: a refused record changes nothing and is
    /// logged, and the others go on.
    /// </summary>
    public async Task<ServiceResult<RecordBatchUploadResponse>> UploadBatchAsync(Caller caller, RecordBatchUploadRequest request, bool waitForCommit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        if (request.Records is not { Count: > 0 and <= RecordBatchUploadRequest.MaxRecords } records || records.Any(r => r is null))
        {
            return ServiceResult.Fail<RecordBatchUploadResponse>(StatusCodes.Status400BadRequest, "Malformed", $"A batch holds 1 to {RecordBatchUploadRequest.MaxRecords} record uploads.");
        }

        var results = new RecordBatchItemResult[records.Count];
        var accepted = new List<(int Index, CheckedUpload Upload)>(records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            var upload = await CheckUploadAsync(caller, records[i], cancellationToken).ConfigureAwait(false);
            if (upload.Failure is { } failure)
            {
                results[i] = Rejected(upload, failure);
                continue;
            }

            accepted.Add((i, upload));
        }

        var stored = new List<(int Index, CheckedUpload Upload)>(accepted.Count);
        var storeErrors = StoreUploads(accepted.Select(a => a.Upload).ToList());
        for (var k = 0; k < accepted.Count; k++)
        {
            var (index, upload) = accepted[k];
            if (storeErrors[k] is { } error)
            {
                // The store refuses a record id or ciphertext it already holds with other content (a single upload
                // answers 500 for it); the chain is not involved, so nothing is logged.
                results[index] = Rejected(upload, Fail(StatusCodes.Status409Conflict, "Conflict", error.Message));
                continue;
            }

            stored.Add((index, upload));
        }

        if (stored.Count > 0)
        {
            var submitted = await _ledgerService.SubmitAsync(stored.Select(s => s.Upload.Transaction!.Encoded.ToArray()).ToList(), waitForCommit ? Api.LedgerEndpoints.MaxCommitWait : null, cancellationToken).ConfigureAwait(false);
            for (var k = 0; k < stored.Count; k++)
            {
                var (index, upload) = stored[k];
                var finished = await FinishAsync(caller, upload, submitted[k], cancellationToken).ConfigureAwait(false);
                results[index] = finished.IsSuccess
                    ? new RecordBatchItemResult(upload.RecordId.ToString(), submitted[k].Status, submitted[k].Id, submitted[k].Height)
                    : Rejected(upload, finished);
            }
        }

        return ServiceResult.Ok(new RecordBatchUploadResponse(results));
    }
    /// <summary>Serves a read through the policy, logging it (or its refusal) on chain first.</summary>
    public async Task<ServiceResult<RecordContentResponse>> ReadAsync(Caller caller, Hash recordId, AccessPurpose purpose, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var record = _ledger.GetRecord(recordId);
        if (record is null)
        {
            await LogAsync(caller, Hash.Zero, recordId, AccessAction.Read, purpose, AccessDenialReason.NotFound, Hash.Zero, cancellationToken).ConfigureAwait(false);
            return ServiceResult.Fail<RecordContentResponse>(StatusCodes.Status404NotFound, "NotFound", "No record with this id is anchored.");
        }

        if (!_organisations.Holds(record.Organisation))
        {
            return ServiceResult.Fail<RecordContentResponse>(StatusCodes.Status421MisdirectedRequest, "NotHeldHere", $"Records of '{record.Organisation}' are held by that organisation's node.");
        }

        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var decision = AccessPolicy.DecideRead(_ledger.CommittedState, caller.KeyId, caller.Account, record, purpose, now);
        if (!decision.IsAllowed)
        {
            await LogAsync(caller, record.Patient, recordId, AccessAction.Read, purpose, decision.Reason, Hash.Zero, cancellationToken).ConfigureAwait(false);
            var status = decision.Reason == AccessDenialReason.Erased ? StatusCodes.Status410Gone : StatusCodes.Status403Forbidden;
            return ServiceResult.Fail<RecordContentResponse>(status, decision.Reason.ToString(), DenialText(decision.Reason));
        }

        var held = _store.GetRecord(recordId);
        var orgKey = _organisations.Key(record.Organisation);
        var orgKeyId = Suite.Hash(orgKey.PublicKey.Span);
        var secret = _organisations.StaticSecret(record.Organisation, caller.KeyId, caller.Account.PublicKey);
        var tiers = new List<RecordTierContent>();
        foreach (var tier in decision.Tiers)
        {
            var anchor = record.FindTier(tier)!;
            var stored = held.FirstOrDefault(h => h.Tier == tier);
            if (stored is null || Suite.Hash(stored.Ciphertext) != anchor.ContentAddress)
            {
                await LogAsync(caller, record.Patient, recordId, AccessAction.Read, decision.Purpose, AccessDenialReason.IntegrityFailure, decision.GrantId, cancellationToken).ConfigureAwait(false);
                return ServiceResult.Fail<RecordContentResponse>(StatusCodes.Status500InternalServerError, "IntegrityFailure", $"The stored ciphertext of tier {tier} is missing or does not match its on-chain pointer; the failure is logged.");
            }

            byte[] dataKey;
            try
            {
                var associated = RecordSealing.EnvelopeAssociatedData(recordId, tier, orgKeyId);
                // Either form: static from the organisation's own key (written since ADR 0007 §5's change), or the
                // writer's ephemeral form (older records); both secrets are agreed once and cached.
                dataKey = _envelopeSecrets.Unwrap(orgKey, stored.OrganisationEnvelope, associated);
            }
            catch (CryptoException)
            {
                await LogAsync(caller, record.Patient, recordId, AccessAction.Read, decision.Purpose, AccessDenialReason.IntegrityFailure, decision.GrantId, cancellationToken).ConfigureAwait(false);
                return ServiceResult.Fail<RecordContentResponse>(StatusCodes.Status500InternalServerError, "IntegrityFailure", $"The stored key envelope of tier {tier} does not open; the failure is logged.");
            }

            var envelope = KeyWrap.WrapStatic(Suite, secret, orgKey.PublicKey.Span, caller.Account.PublicKey, dataKey, RecordSealing.EnvelopeAssociatedData(recordId, tier, caller.KeyId));
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(dataKey);
            tiers.Add(new RecordTierContent(Json.Name(tier), anchor.ContentAddress.ToString(), anchor.Commitment.ToString(), Convert.ToBase64String(stored.Ciphertext), Convert.ToBase64String(envelope)));
        }

        // The key leaves the node only once the read is logged (admitted to the mempool on its way into a block).
        await LogAsync(caller, record.Patient, recordId, AccessAction.Read, decision.Purpose, AccessDenialReason.None, decision.GrantId, cancellationToken).ConfigureAwait(false);
        return ServiceResult.Ok(new RecordContentResponse(
            Summary(record),
            Convert.ToHexStringLower(orgKey.PublicKey.Span),
            tiers,
            decision.GrantId.IsZero ? null : decision.GrantId.ToString(),
            Json.Name(decision.Purpose),
            caller.RequestHash.ToString()));
    }

    /// <summary>Lists records of patients (the patient themself, or a doctor or insurer the patient granted) or by an author (themself).</summary>
    public async Task<ServiceResult<RecordListResponse>> ListAsync(Caller caller, IReadOnlyList<Hash> patients, Hash? author, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(patients);
        limit = Math.Clamp(limit, 1, 1000);
        if (author is { } authorUser)
        {
            if (patients.Count != 0 || authorUser != caller.UserId)
            {
                return ServiceResult.Fail<RecordListResponse>(StatusCodes.Status403Forbidden, "RoleNotPermitted", "A practice history is listed by its own author.");
            }

            return ServiceResult.Ok(new RecordListResponse(_store.RecordsByAuthor(authorUser, limit).Select(Summary).ToList()));
        }

        if (patients.Count is 0 or > 64)
        {
            return ServiceResult.Fail<RecordListResponse>(StatusCodes.Status400BadRequest, "Malformed", "Name 1..64 patients or one author.");
        }

        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var patient in patients)
        {
            var self = caller.Account.Role == AccountRole.Patient && patient == caller.UserId;
            var granted = caller.Account.Role is AccountRole.Doctor or AccountRole.InsurerAgent && AccessPolicy.HasGrantInForce(_ledger.CommittedState, caller.KeyId, caller.Account, patient, now);
            if (!self && !granted)
            {
                // A doctor or insurer agent could be granted; any other role never lists another patient's records.
                var reason = caller.Account.Role is AccountRole.Doctor or AccountRole.InsurerAgent ? AccessDenialReason.NoGrant : AccessDenialReason.RoleNotPermitted;
                await LogAsync(caller, patient, Hash.Zero, AccessAction.Search, AccessPurpose.None, reason, Hash.Zero, cancellationToken).ConfigureAwait(false);
                return ServiceResult.Fail<RecordListResponse>(StatusCodes.Status403Forbidden, reason.ToString(), "Records are listed by the patient or by someone the patient granted access.");
            }
        }

        return ServiceResult.Ok(new RecordListResponse(_store.RecordsOfPatients(patients.ToList(), limit).Select(Summary).ToList()));
    }

    /// <summary>Checks every held ciphertext against its anchor (SPEC F21); mismatches are logged on chain.</summary>
    public async Task<ServiceResult<IntegrityReport>> CheckIntegrityAsync(Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var role = caller.Account.Role;
        if (!(role is AccountRole.Auditor or AccountRole.Node || (role == AccountRole.OrgAdmin && _organisations.Holds(caller.Account.Organisation))))
        {
            await LogAsync(caller, Hash.Zero, Hash.Zero, AccessAction.IntegrityCheck, AccessPurpose.Audit, AccessDenialReason.RoleNotPermitted, Hash.Zero, cancellationToken).ConfigureAwait(false);
            return ServiceResult.Fail<IntegrityReport>(StatusCodes.Status403Forbidden, "RoleNotPermitted", "Integrity audits are run by auditors, node operators and the holding organisation's admins.");
        }

        var failures = new List<IntegrityFailure>();
        var checkedCount = 0;
        foreach (var blob in _store.EnumerateBlobs())
        {
            checkedCount++;
            var record = _ledger.GetRecord(blob.RecordId) ?? PendingRecord(blob.RecordId);
            var anchor = record?.FindTier(blob.Tier);
            string? problem = anchor is null ? "no on-chain anchor names this ciphertext"
                : anchor.ContentAddress != blob.Address ? "the stored address differs from the on-chain pointer"
                : Suite.Hash(blob.Ciphertext) != anchor.ContentAddress ? "the ciphertext does not hash to its on-chain pointer"
                : null;
            if (problem is not null)
            {
                failures.Add(new IntegrityFailure(blob.RecordId.ToString(), Json.Name(blob.Tier), problem));
                await LogAsync(caller, record?.Patient ?? Hash.Zero, blob.RecordId, AccessAction.IntegrityCheck, AccessPurpose.Audit, AccessDenialReason.IntegrityFailure, Hash.Zero, cancellationToken).ConfigureAwait(false);
            }
        }

        return ServiceResult.Ok(new IntegrityReport(checkedCount, checkedCount - failures.Count, failures, _clock.GetUtcNow()));
    }

    /// <summary>Logs one entry for the caller (allowed when <paramref name="reason"/> is None).</summary>
    public Task LogAsync(Caller caller, Hash patient, Hash recordId, AccessAction action, AccessPurpose purpose, AccessDenialReason reason, Hash grantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return _accessLog.LogAsync(new AccessLogEntry(_clock.GetUtcNow().ToUnixTimeMilliseconds(), caller.KeyId, patient, recordId, action, purpose, reason == AccessDenialReason.None ? AccessOutcome.Allowed : AccessOutcome.Denied, reason, grantId, caller.RequestHash), cancellationToken);
    }

    /// <summary>The JSON summary of a record anchor.</summary>
    public static RecordSummary Summary(RecordEntry record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new RecordSummary(record.RecordId.ToString(), record.Patient.ToString(), record.Author.ToString(), record.AuthorUserId.ToString(), record.Organisation, Json.Name(record.Category), DateTimeOffset.FromUnixTimeMilliseconds(record.CreatedUnixMilliseconds), record.Tiers.Select(t => Json.Name(t.Tier)).ToList(), record.AnchoredHeight, record.Status == RecordStatus.Erased ? "erased" : "active");
    }

    private static RecordSummary Summary(IndexedRecord record) =>
        new(record.RecordId.ToString(), record.Patient.ToString(), string.Empty, record.AuthorUser.ToString(), record.Organisation, Json.Name(record.Category), DateTimeOffset.FromUnixTimeMilliseconds(record.CreatedUnixMilliseconds), [], record.Height, record.Erased ? "erased" : "active");

    private static SensitivityTier ParseTier(string? text) => Json.TryParse<SensitivityTier>(text, out var tier) ? tier : SensitivityTier.None;

    private static string DenialText(AccessDenialReason reason) => reason switch
    {
        AccessDenialReason.NoGrant => "No grant of the patient covers this record for you; the attempt is logged.",
        AccessDenialReason.GrantExpired => "The grant that covered this record has expired; the attempt is logged.",
        AccessDenialReason.GrantRevoked => "The patient revoked the grant that covered this record; the attempt is logged.",
        AccessDenialReason.RoleNotPermitted => "Your role never reads record contents; the attempt is logged.",
        AccessDenialReason.ActorRevoked => "Your key or organisation was revoked; the attempt is logged.",
        AccessDenialReason.Erased => "The record was erased at the patient's request.",
        _ => "Access denied; the attempt is logged.",
    };

    /// <summary>
    /// Everything the node checks of one upload before storing it: the anchor transaction decodes and is sent by the
    /// request's key, the organisation is held here, every tier matches its pointer and commitment under the
    /// organisation's key, and the plaintext is valid FHIR. A refusal is logged as a denied write before it returns.
    /// On success the organisation's copy of each data key is already re-wrapped in the static form.
    /// </summary>
    private async Task<CheckedUpload> CheckUploadAsync(Caller caller, RecordUploadRequest request, CancellationToken cancellationToken)
    {
        Transaction transaction;
        RecordAnchorPayload anchor;
        try
        {
            transaction = Transaction.Decode(Convert.FromBase64String(request.Transaction ?? string.Empty));
            if (UploadedAnchor(transaction) is not { } uploaded)
            {
                return new CheckedUpload(Fail(StatusCodes.Status400BadRequest, "Malformed", "The transaction is not a RecordAnchor or a RecordWriteRequest."));
            }

            anchor = uploaded;
        }
        catch (Exception exception) when (exception is FormatException or DecodingException)
        {
            return new CheckedUpload(await DenyWriteAsync(caller, Hash.Zero, Hash.Zero, AccessDenialReason.Malformed, StatusCodes.Status400BadRequest, "Malformed", "The transaction is not a valid base64 RecordAnchor encoding.", cancellationToken).ConfigureAwait(false));
        }

        async Task<CheckedUpload> DenyAsync(AccessDenialReason reason, int status, string code, string detail) =>
            new(await DenyWriteAsync(caller, anchor.Patient, anchor.RecordId, reason, status, code, detail, cancellationToken).ConfigureAwait(false), transaction, anchor.RecordId);

        if (transaction.Sender != caller.KeyId)
        {
            return await DenyAsync(AccessDenialReason.RoleNotPermitted, StatusCodes.Status403Forbidden, "NotAuthorized", "The anchor must be sent by the key that signs the request.").ConfigureAwait(false);
        }

        if (!_organisations.Holds(anchor.Organisation))
        {
            return new CheckedUpload(Fail(StatusCodes.Status421MisdirectedRequest, "NotHeldHere", $"This node does not hold records of '{anchor.Organisation}'; upload to that organisation's node."), transaction, anchor.RecordId);
        }

        var uploads = request.Tiers ?? [];
        if (uploads.Count != anchor.Tiers.Count)
        {
            return await DenyAsync(AccessDenialReason.Malformed, StatusCodes.Status400BadRequest, "Malformed", "The upload must carry exactly the tiers the anchor names.").ConfigureAwait(false);
        }

        var orgKey = _organisations.Key(anchor.Organisation);
        var orgKeyId = Suite.Hash(orgKey.PublicKey.Span);
        var stored = new List<StoredTier>();
        var plaintexts = new Dictionary<SensitivityTier, byte[]>();
        foreach (var tierAnchor in anchor.Tiers)
        {
            var upload = uploads.FirstOrDefault(u => u is not null && ParseTier(u.Tier) == tierAnchor.Tier);
            byte[] ciphertext, patientEnvelope, organisationEnvelope;
            try
            {
                ciphertext = Convert.FromBase64String(upload?.Ciphertext ?? string.Empty);
                patientEnvelope = Convert.FromBase64String(upload?.PatientEnvelope ?? string.Empty);
                organisationEnvelope = Convert.FromBase64String(upload?.OrganisationEnvelope ?? string.Empty);
            }
            catch (FormatException)
            {
                return await DenyAsync(AccessDenialReason.Malformed, StatusCodes.Status400BadRequest, "Malformed", $"Tier {tierAnchor.Tier} is missing or not base64.").ConfigureAwait(false);
            }

            if (ciphertext.Length == 0 || ciphertext.Length != tierAnchor.CiphertextBytes)
            {
                return await DenyAsync(AccessDenialReason.Malformed, StatusCodes.Status400BadRequest, "Malformed", $"Tier {tierAnchor.Tier} is missing or its size differs from the anchor's.").ConfigureAwait(false);
            }

            try
            {
                var associated = RecordSealing.EnvelopeAssociatedData(anchor.RecordId, tierAnchor.Tier, orgKeyId);
                var dataKey = _envelopeSecrets.Unwrap(orgKey, organisationEnvelope, associated);
                plaintexts[tierAnchor.Tier] = RecordSealing.OpenTier(Suite, anchor.RecordId, tierAnchor.Tier, ciphertext, dataKey, tierAnchor.ContentAddress, tierAnchor.Commitment);

                // Keep the organisation's copy in the static form (from and to the organisation's own key), so that a
                // read opens it with the cached secret instead of a key agreement; KeyWrap.Unwrap opens either form.
                var selfSecret = _organisations.StaticSecret(anchor.Organisation, orgKeyId, orgKey.PublicKey.Span);
                organisationEnvelope = KeyWrap.WrapStatic(Suite, selfSecret, orgKey.PublicKey.Span, orgKey.PublicKey.Span, dataKey, associated);
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(dataKey);
            }
            catch (Exception exception) when (exception is CryptoException or RecordIntegrityException)
            {
                return await DenyAsync(AccessDenialReason.IntegrityFailure, StatusCodes.Status422UnprocessableEntity, "IntegrityFailure", $"Tier {tierAnchor.Tier} does not match its anchor: {exception.Message}").ConfigureAwait(false);
            }

            stored.Add(new StoredTier(tierAnchor.Tier, tierAnchor.ContentAddress, ciphertext, patientEnvelope, organisationEnvelope));
        }

        if (_validator.Validate(plaintexts) is { } invalid)
        {
            return await DenyAsync(AccessDenialReason.Malformed, StatusCodes.Status422UnprocessableEntity, invalid.Code, invalid.Detail).ConfigureAwait(false);
        }

        return new CheckedUpload(null, transaction, anchor.RecordId, anchor.Patient, new StoredRecord(anchor.RecordId, stored));
    }

    /// <summary>After the anchor was submitted: a refused anchor's content is shredded and the refusal logged.</summary>
    private async Task<ServiceResult<RecordUploadResponse>> FinishAsync(Caller caller, CheckedUpload upload, SubmittedTransaction result, CancellationToken cancellationToken)
    {
        if (result.Status == "rejected")
        {
            _store.Shred(upload.RecordId);
            var rejection = Enum.Parse<TransactionRejection>(result.Code!);
            var reason = rejection switch
            {
                TransactionRejection.ConsentMissing or TransactionRejection.InvalidPayloadSignature => AccessDenialReason.ConsentMissing,
                TransactionRejection.NonceReused or TransactionRejection.Duplicate => AccessDenialReason.Replay,
                TransactionRejection.SenderRevoked or TransactionRejection.SenderRotated or TransactionRejection.OrganisationInactive => AccessDenialReason.ActorRevoked,
                TransactionRejection.NotAuthorized => AccessDenialReason.RoleNotPermitted,
                _ => AccessDenialReason.Malformed,
            };
            return await DenyWriteAsync(caller, upload.Patient, upload.RecordId, reason, Api.Problems.StatusFor(rejection), rejection.ToString(), result.Reason ?? rejection.ToString(), cancellationToken).ConfigureAwait(false);
        }

        return ServiceResult.Ok(new RecordUploadResponse(upload.RecordId.ToString(), result.Id, result.Height));
    }

    private RecordBatchItemResult Rejected(CheckedUpload upload, ServiceResult<RecordUploadResponse> failure) =>
        new(upload.RecordId.IsZero ? string.Empty : upload.RecordId.ToString(), "rejected", upload.Transaction?.ComputeId(Suite).ToString() ?? string.Empty, null, failure.Status, failure.Code, failure.Detail);

    private async Task<ServiceResult<RecordUploadResponse>> DenyWriteAsync(Caller caller, Hash patient, Hash recordId, AccessDenialReason reason, int status, string code, string detail, CancellationToken cancellationToken)
    {
        await LogAsync(caller, patient, recordId, AccessAction.Write, AccessPurpose.Treatment, reason, Hash.Zero, cancellationToken).ConfigureAwait(false);
        return ServiceResult.Fail<RecordUploadResponse>(status, code, detail);
    }

    private static ServiceResult<RecordUploadResponse> Fail(int status, string code, string detail) => ServiceResult.Fail<RecordUploadResponse>(status, code, detail);

    /// <summary>One upload after the node's checks: a failure (already logged), or the anchor and what to store.</summary>
    private sealed record CheckedUpload(ServiceResult<RecordUploadResponse>? Failure, Transaction? Transaction = null, Hash RecordId = default, Hash Patient = default, StoredRecord? Record = null);
}
