using System.Globalization;
using System.Text.Json;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Client;

/// <summary>
/// The SDK for a user with a key (a doctor, patient, org admin, auditor…): every medical endpoint of a node, each
/// request signed by <see cref="RequestSigningHandler"/>, and the user's ledger changes built by one
/// <see cref="TransactionFactory"/> that tracks the key's nonce across sends. Methods throw
/// <see cref="MedLedgerApiException"/> with the node's problem+json when a request is refused, and
/// <see cref="MedLedgerClientException"/> when an answer is malformed.
/// </summary>
public sealed partial class MedLedgerUserClient : IDisposable
{
    private readonly ApiTransport _api;
    private readonly HttpClient? _ownedHttp;
    private readonly SemaphoreSlim _factoryGate = new(1, 1);
    private string? _chainId;
    private TransactionFactory? _factory;

    /// <summary>
    /// Creates a client over an <see cref="HttpClient"/> whose pipeline already signs with <paramref name="key"/>
    /// (a <see cref="RequestSigningHandler"/>) and whose base address is the node's URL. The HttpClient and key are
    /// borrowed.
    /// </summary>
    public MedLedgerUserClient(HttpClient signedHttp, ICryptoSuite suite, ISigningKey key, string? chainId = null)
        : this(signedHttp, suite, key, chainId, owned: false)
    {
    }

    private MedLedgerUserClient(HttpClient http, ICryptoSuite suite, ISigningKey key, string? chainId, bool owned)
    {
        ArgumentNullException.ThrowIfNull(http);
        Suite = suite ?? throw new ArgumentNullException(nameof(suite));
        Key = key ?? throw new ArgumentNullException(nameof(key));
        _api = new ApiTransport(http);
        _ownedHttp = owned ? http : null;
        _chainId = chainId;
        KeyId = suite.Hash(key.PublicKey.Span);
        Node = new MedLedgerClient(http);
        EnvelopeWrapper = new EphemeralWrapper(suite);
        EnvelopeSecrets = new UnwrapCache(suite, capacity: 1_024);
    }

    /// <summary>
    /// Creates a client for the node at <paramref name="nodeAddress"/> that signs with <paramref name="key"/>; it owns
    /// its HttpClient (dispose the client) but not the key. <paramref name="innerHandler"/> replaces the network (tests).
    /// </summary>
    public static MedLedgerUserClient Create(Uri nodeAddress, ICryptoSuite suite, ISigningKey key, RequestSigningOptions? options = null, HttpMessageHandler? innerHandler = null)
    {
        ArgumentNullException.ThrowIfNull(nodeAddress);
        if (!nodeAddress.IsAbsoluteUri || (nodeAddress.Scheme != Uri.UriSchemeHttp && nodeAddress.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("The node address is an absolute http or https URL.", nameof(nodeAddress));
        }

        // A trailing slash keeps a path prefix (a node behind a reverse proxy) when relative routes are resolved.
        var baseAddress = nodeAddress.AbsoluteUri.EndsWith('/') ? nodeAddress : new Uri(nodeAddress.AbsoluteUri + "/");
        var handler = new RequestSigningHandler(suite, key, options, innerHandler ?? new SocketsHttpHandler());
        var http = new HttpClient(handler, disposeHandler: true) { BaseAddress = baseAddress };
        return new MedLedgerUserClient(http, suite, key, options?.ChainId, owned: true);
    }

    /// <summary>The public routes (status, blocks, accounts, transactions, organisations) over the same connection.</summary>
    public MedLedgerClient Node { get; }

    /// <summary>The chain's crypto suite.</summary>
    public ICryptoSuite Suite { get; }

    /// <summary>The user's key (borrowed).</summary>
    public ISigningKey Key { get; }

    /// <summary>The key's id: the suite hash of its public key.</summary>
    public Hash KeyId { get; }

    /// <summary>
    /// Wraps the data keys of the records this client writes (<see cref="RecordWriter"/>), reusing one one-off sender
    /// key per recipient for at most 1,000 records and 5 minutes (ADR 0007 §10).
    /// </summary>
    public EphemeralWrapper EnvelopeWrapper { get; }

    /// <summary>
    /// The secrets this client's key agreed with the senders of envelopes it opened (the holding organisations' keys),
    /// so that <see cref="ReadRecordAsync"/> costs no key agreement after a holder's first record (ADR 0007 §5).
    /// </summary>
    public UnwrapCache EnvelopeSecrets { get; }

    /// <summary>The chain id, read once from the node's status (checking its suite) unless it was given.</summary>
    public async Task<string> GetChainIdAsync(CancellationToken cancellationToken = default)
    {
        if (_chainId is { } known)
        {
            return known;
        }

        var status = await Node.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        CheckSuite(status);
        _chainId = status.ChainId;
        return status.ChainId;
    }

    /// <summary>
    /// The transaction factory of this key, created on first use from the node's status (chain id, height) and the
    /// key's account (last nonce); later calls return the same factory, so consecutive sends get consecutive nonces.
    /// </summary>
    public async Task<TransactionFactory> GetTransactionFactoryAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _factory) is { } existing)
        {
            return existing;
        }

        await _factoryGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_factory is null)
            {
                var factory = await TransactionFactory.CreateAsync(Node, Suite, Key, TransactionFactory.DefaultExpiryWindowBlocks, cancellationToken).ConfigureAwait(false);
                _chainId ??= factory.ChainId;
                Volatile.Write(ref _factory, factory);
            }

            return _factory;
        }
        finally
        {
            _factoryGate.Release();
        }
    }

    /// <summary>
    /// Submits a transaction (by default waiting until it is committed); a refused one throws. The ledger only asks a
    /// nonce to exceed the sender's last, so a refused transaction leaves no gap to fill; after <c>NonceReused</c>
    /// (the key was used elsewhere meanwhile) call <see cref="ResynchroniseAsync"/>.
    /// </summary>
    public Task<SubmittedTransaction> SubmitAsync(Transaction transaction, bool waitForCommit = true, CancellationToken cancellationToken = default) =>
        Node.SubmitAsync(transaction, waitForCommit, cancellationToken);

    /// <summary>Brings the factory's nonce and expiry back in line with the chain (after a refused or lost send).</summary>
    public async Task ResynchroniseAsync(CancellationToken cancellationToken = default)
    {
        var factory = await GetTransactionFactoryAsync(cancellationToken).ConfigureAwait(false);
        var status = await Node.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        var account = await Node.GetAccountAsync(KeyId, cancellationToken).ConfigureAwait(false);
        factory.Resynchronise(account?.Nonce ?? 0, status.Height);
    }

    /// <summary>A user by user id (<c>GET /api/v1/users/{userId}</c>), or null when the chain has no such user.</summary>
    public Task<UserInfo?> GetUserAsync(Hash userId, CancellationToken cancellationToken = default) =>
        _api.GetOrNullAsync<UserInfo>($"api/v1/users/{userId}", cancellationToken);

    /// <summary>
    /// An org admin creates a custodial staff user at this node (<c>POST /api/v1/staff</c>); the admin then registers
    /// the returned key on chain with <see cref="TransactionFactory.RegisterUser"/>.
    /// </summary>
    public Task<StaffEnrolmentResponse> EnrolStaffAsync(StaffEnrolmentRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _api.PostAsync<StaffEnrolmentRequest, StaffEnrolmentResponse>("api/v1/staff", request, cancellationToken);
    }

    /// <summary>
    /// The organisation of this client's key: from <c>GET /api/v1/users/{keyId}</c> (a key that was never rotated is its
    /// own user id), else from the account's <see cref="AccountInfo.Organisation"/> when the node reports it.
    /// </summary>
    public async Task<string> GetOwnOrganisationAsync(CancellationToken cancellationToken = default)
    {
        if (await GetUserAsync(KeyId, cancellationToken).ConfigureAwait(false) is { } user)
        {
            return user.Organisation;
        }

        var account = await Node.GetAccountAsync(KeyId, cancellationToken).ConfigureAwait(false);
        return account?.Organisation is { Length: > 0 } organisation
            ? organisation
            : throw new MedLedgerClientException("The node does not say which organisation this key belongs to (a rotated key?): name the organisation.");
    }

    /// <summary>
    /// Enrols a patient in custody at this node (<c>POST /api/v1/patients</c>; the caller is a doctor or org admin).
    /// The caller then registers the returned key on chain: see <see cref="EnrolPatientAndRegisterAsync"/>.
    /// </summary>
    public Task<PatientEnrolmentResponse> EnrolPatientAsync(PatientEnrolmentRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _api.PostAsync<PatientEnrolmentRequest, PatientEnrolmentResponse>("api/v1/patients", request, cancellationToken);
    }

    /// <summary>
    /// Enrols a patient and submits the <see cref="TransactionType.UserRegister"/> transaction (role patient, no name,
    /// the caller's <paramref name="organisation"/>) for the pseudonym key the node created.
    /// </summary>
    public async Task<(PatientEnrolmentResponse Enrolment, SubmittedTransaction Registration)> EnrolPatientAndRegisterAsync(PatientEnrolmentRequest request, string organisation, bool waitForCommit = true, CancellationToken cancellationToken = default)
    {
        var enrolment = await EnrolPatientAsync(request, cancellationToken).ConfigureAwait(false);
        byte[] publicKey;
        try
        {
            publicKey = Convert.FromHexString(enrolment.PublicKey);
        }
        catch (FormatException exception)
        {
            throw new MedLedgerClientException("The enrolled patient's public key is not hex.", exception);
        }

        if (!Hash.TryParse(enrolment.KeyId, out var keyId) || Suite.Hash(publicKey) != keyId)
        {
            throw new MedLedgerClientException("The enrolled patient's key id is not the hash of its public key.");
        }

        var factory = await GetTransactionFactoryAsync(cancellationToken).ConfigureAwait(false);
        var transaction = factory.RegisterUser(publicKey, AccountRole.Patient, organisation, string.Empty);
        var submitted = await SubmitAsync(transaction, waitForCommit, cancellationToken).ConfigureAwait(false);
        return (enrolment, submitted);
    }

    /// <summary>Uploads a prepared record: its anchor transaction and sealed tiers (<c>POST /api/v1/records</c>).</summary>
    public Task<RecordUploadResponse> UploadRecordAsync(RecordUploadRequest request, bool waitForCommit = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _api.PostAsync<RecordUploadRequest, RecordUploadResponse>(waitForCommit ? "api/v1/records?wait=commit" : "api/v1/records", request, cancellationToken);
    }

    /// <summary>
    /// Uploads up to <see cref="RecordBatchUploadRequest.MaxRecords"/> prepared records in one signed request
    /// (<c>POST /api/v1/records/batch</c>). The answer has one result per record, in order: a refused record is reported
    /// there (status <c>rejected</c> with its code), not thrown; the call throws only when the whole request is refused.
    /// </summary>
    public Task<RecordBatchUploadResponse> UploadRecordBatchAsync(RecordBatchUploadRequest request, bool waitForCommit = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _api.PostAsync<RecordBatchUploadRequest, RecordBatchUploadResponse>(waitForCommit ? "api/v1/records/batch?wait=commit" : "api/v1/records/batch", request, cancellationToken);
    }

    /// <summary>
    /// Fetches a record's ciphertext and the data keys wrapped for this key (<c>GET /api/v1/records/{id}</c>); the read
    /// is logged on chain with <paramref name="purpose"/>; <see cref="AccessPurpose.None"/> (a patient reading their own
    /// record) sends no purpose, since the API names only real ones. Use <see cref="ReadRecordAsync"/> to verify and decrypt.
    /// </summary>
    public Task<RecordContentResponse> GetRecordContentAsync(Hash recordId, AccessPurpose purpose = AccessPurpose.Treatment, CancellationToken cancellationToken = default)
    {
        var query = new QueryBuilder();
        query.Add("purpose", purpose == AccessPurpose.None ? null : ApiNames.Of(purpose));
        return _api.GetAsync<RecordContentResponse>(query.Append($"api/v1/records/{recordId}"), cancellationToken);
    }

    /// <summary>
    /// Reads a record (SPEC F19): fetches it, unwraps each tier's data key with this key, checks each ciphertext against
    /// its content address and its plaintext against its commitment, and returns the plaintext parts (merged by
    /// <paramref name="merge"/> when given). Throws <see cref="Sharing.Records.RecordIntegrityException"/> or
    /// <see cref="CryptoException"/> when anything does not match.
    /// </summary>
    public async Task<RecordPlaintext> ReadRecordAsync(Hash recordId, AccessPurpose purpose = AccessPurpose.Treatment, Func<IReadOnlyDictionary<SensitivityTier, byte[]>, byte[]>? merge = null, CancellationToken cancellationToken = default)
    {
        var response = await GetRecordContentAsync(recordId, purpose, cancellationToken).ConfigureAwait(false);
        return RecordReader.Open(Suite, Key, recordId, response, merge, EnvelopeSecrets);
    }

    /// <summary>Records of one patient's pseudonyms, newest first (<c>GET /api/v1/records?patient=…</c>).</summary>
    public Task<RecordListResponse> ListPatientRecordsAsync(IReadOnlyCollection<Hash> patients, int? limit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patients);
        if (patients.Count == 0)
        {
            throw new ArgumentException("Name at least one patient pseudonym.", nameof(patients));
        }

        var query = new QueryBuilder();
        foreach (var patient in patients)
        {
            query.Add("patient", patient.ToString());
        }

        query.Add("limit", limit?.ToString(CultureInfo.InvariantCulture));
        return _api.GetAsync<RecordListResponse>(query.Append("api/v1/records"), cancellationToken);
    }

    /// <summary>Records a user authored (a doctor's practice history, SPEC F16), newest first.</summary>
    public Task<RecordListResponse> ListAuthoredRecordsAsync(Hash authorUserId, int? limit = null, CancellationToken cancellationToken = default)
    {
        var query = new QueryBuilder();
        query.Add("author", authorUserId.ToString());
        query.Add("limit", limit?.ToString(CultureInfo.InvariantCulture));
        return _api.GetAsync<RecordListResponse>(query.Append("api/v1/records"), cancellationToken);
    }

    /// <summary>A patient's grants, oldest first (<c>GET /api/v1/grants?patient=…</c>).</summary>
    public Task<GrantListResponse> ListGrantsAsync(Hash patient, CancellationToken cancellationToken = default)
    {
        var query = new QueryBuilder();
        query.Add("patient", patient.ToString());
        return _api.GetAsync<GrantListResponse>(query.Append("api/v1/grants"), cancellationToken);
    }

    /// <summary>A grant as a FHIR R4 Consent resource (SPEC F17, F37).</summary>
    public Task<JsonElement> GetGrantFhirAsync(Hash grantId, CancellationToken cancellationToken = default) =>
        _api.GetAsync<JsonElement>($"api/v1/grants/{grantId}/fhir", cancellationToken);

    /// <summary>A page of the access log, newest first (SPEC F20).</summary>
    public Task<AccessLogResponse> GetAccessLogAsync(AccessLogQuery? query = null, CancellationToken cancellationToken = default) =>
        _api.GetAsync<AccessLogResponse>(WithQuery("api/v1/access-log", query), cancellationToken);

    /// <summary>The same page as a FHIR R4 Bundle of AuditEvent resources.</summary>
    public Task<JsonElement> GetAccessLogFhirAsync(AccessLogQuery? query = null, CancellationToken cancellationToken = default) =>
        _api.GetAsync<JsonElement>(WithQuery("api/v1/access-log/fhir", query), cancellationToken);

    /// <summary>Finds a patient's pseudonyms at this home node (SPEC F5; only patients who granted the caller).</summary>
    public Task<EmpiSearchResponse> SearchPatientsAsync(EmpiSearchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _api.PostAsync<EmpiSearchRequest, EmpiSearchResponse>("api/v1/empi/search", request, cancellationToken);
    }

    /// <summary>Has the node check every blob it holds against its on-chain anchor (SPEC F21).</summary>
    public Task<IntegrityReport> CheckIntegrityAsync(CancellationToken cancellationToken = default) =>
        _api.PostAsync<object, IntegrityReport>("api/v1/audit/integrity", null, cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        _ownedHttp?.Dispose();
        _factoryGate.Dispose();
        EnvelopeWrapper.Dispose();
    }

    private static string WithQuery(string path, AccessLogQuery? query)
    {
        var text = query?.ToQueryString();
        return string.IsNullOrEmpty(text) ? path : $"{path}?{text}";
    }

    private void CheckSuite(NodeStatus status)
    {
        if (!string.Equals(status.Suite, Suite.Name, StringComparison.Ordinal))
        {
            throw new MedLedgerClientException($"The node's chain uses suite '{status.Suite}', not '{Suite.Name}'.");
        }
    }
}
