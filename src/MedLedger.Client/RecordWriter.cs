using System.Security.Cryptography;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Sharing.Records;

namespace MedLedger.Client;

/// <summary>
/// Writes records from the client side (ARCHITECTURE §6; SPEC F12, F15): each tier of a FHIR document is sealed
/// under a fresh data key (<see cref="RecordSealing.SealTier"/>), the data key is wrapped for the patient's current key
/// and for the holding organisation's encryption key and then wiped, and the anchor is signed by the author. The
/// patient co-signs (<see cref="RecordDraft.SignConsent"/>) or a grant is named, then <see cref="UploadAsync"/> signs
/// the anchor transaction and sends everything to the holding node.
/// </summary>
public sealed class RecordWriter
{
    // Room in the 8 MiB request body for the JSON around the tiers, the envelopes and the anchor transaction.
    private const int UploadOverheadBytes = 64 * 1024;

    private readonly MedLedgerUserClient _client;
    private readonly TimeProvider _time;

    /// <summary>Creates a writer that writes as <paramref name="client"/>'s key.</summary>
    public RecordWriter(MedLedgerUserClient client, TimeProvider? timeProvider = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>
    /// The most plaintext bytes one record may have across its tiers, so that its upload fits one request
    /// (<see cref="Limits.MaxRequestBodyBytes"/>, base64 of the ciphertext).
    /// </summary>
    public static int MaxRecordBytes => ((Limits.MaxRequestBodyBytes - UploadOverheadBytes) / 4 * 3) - (RecordAnchorPayload.MaxTiers * 128);

    /// <summary>The default splitter: the whole document as <see cref="SensitivityTier.GeneralClinical"/>.</summary>
    public static IReadOnlyDictionary<SensitivityTier, byte[]> WholeDocument(byte[] document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return new Dictionary<SensitivityTier, byte[]> { [SensitivityTier.GeneralClinical] = document };
    }

    /// <summary>
    /// Prepares a record from a FHIR JSON document, split into tiers by <paramref name="splitter"/> (default: the whole
    /// document as general clinical). See the other overload.
    /// </summary>
    public Task<RecordDraft> PrepareRecordAsync(Hash patient, RecordCategory category, byte[] document, Func<byte[], IReadOnlyDictionary<SensitivityTier, byte[]>>? splitter = null, string? organisation = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        var parts = (splitter ?? WholeDocument)(document);
        return PrepareRecordAsync(patient, category, parts, organisation, cancellationToken);
    }

    /// <summary>
    /// Prepares a record of <paramref name="patient"/> (a pseudonym, i.e. user id) from its tier parts: reads the
    /// patient's current key (<c>GET /api/v1/users/{patient}</c>) and the holding organisation's encryption key, then
    /// seals and signs (<see cref="Prepare"/>). The holding organisation is <paramref name="organisation"/>, else the
    /// patient's when the author is the patient, else the author's (<see cref="MedLedgerUserClient.GetOwnOrganisationAsync"/>).
    /// </summary>
    public async Task<RecordDraft> PrepareRecordAsync(Hash patient, RecordCategory category, IReadOnlyDictionary<SensitivityTier, byte[]> parts, string? organisation = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parts);
        CheckParts(category, parts);
        var chainId = await _client.GetChainIdAsync(cancellationToken).ConfigureAwait(false);
        var patientUser = await _client.GetUserAsync(patient, cancellationToken).ConfigureAwait(false)
            ?? throw new MedLedgerClientException($"The chain has no user {patient}.");
        var patientKey = CheckedPublicKey(patientUser);
        if (!string.Equals(patientUser.Role, ApiNames.Of(AccountRole.Patient), StringComparison.Ordinal) || !patientUser.Active)
        {
            throw new MedLedgerClientException($"User {patient} is not an active patient.");
        }

        var authorIsPatient = _client.KeyId == patient || string.Equals(patientUser.CurrentKey, _client.KeyId.ToString(), StringComparison.Ordinal);
        if (organisation is null)
        {
            if (authorIsPatient)
            {
                organisation = patientUser.Organisation;
            }
            else
            {
                organisation = await _client.GetOwnOrganisationAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        var holder = await _client.Node.GetOrganisationAsync(organisation, cancellationToken).ConfigureAwait(false)
            ?? throw new MedLedgerClientException($"The chain has no organisation '{organisation}'.");
        if (!string.Equals(holder.Status, "active", StringComparison.Ordinal))
        {
            throw new MedLedgerClientException($"Organisation '{organisation}' is not an active member.");
        }

        byte[] organisationKey;
        try
        {
            organisationKey = Convert.FromHexString(holder.EncryptionKey);
        }
        catch (FormatException exception)
        {
            throw new MedLedgerClientException($"Organisation '{organisation}' has a malformed encryption key.", exception);
        }

        var draft = Prepare(_client.Suite, _client.Key, chainId, patient, patientKey, organisation, organisationKey, category, parts, _time.GetUtcNow().ToUnixTimeMilliseconds(), _client.EnvelopeWrapper);
        return authorIsPatient ? draft.WithPatientAuthor() : draft;
    }

    /// <summary>
    /// Seals and signs a record without any network access: a fresh random record id; per tier (ascending) a sealed
    /// ciphertext, its data key wrapped (ephemeral form) for the patient's and the organisation's keys, each bound to
    /// the record, tier and recipient key id; the data keys wiped; the anchor signed by <paramref name="author"/>. The
    /// draft's authorisation is <see cref="WriteAuthorisation.PatientAuthor"/> when the author's key id is the patient,
    /// else none yet. A <paramref name="wrapper"/> wraps the data keys reusing one one-off sender key per recipient for a
    /// bounded number of records (ADR 0007 §10): one key generation and agreement per recipient every thousand records
    /// instead of two per record; without one, every envelope gets a fresh one-off key.
    /// </summary>
    public static RecordDraft Prepare(ICryptoSuite suite, ISigningKey author, string chainId, Hash patient, ReadOnlySpan<byte> patientPublicKey, string organisation, ReadOnlySpan<byte> organisationKey, RecordCategory category, IReadOnlyDictionary<SensitivityTier, byte[]> parts, long createdUnixMilliseconds, EphemeralWrapper? wrapper = null)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(author);
        ArgumentException.ThrowIfNullOrEmpty(chainId);
        ArgumentNullException.ThrowIfNull(parts);
        if (!Organisation.IsValidId(organisation))
        {
            throw new ArgumentException("Not an organisation id.", nameof(organisation));
        }

        if (patient.IsZero)
        {
            throw new ArgumentException("The record needs a patient pseudonym.", nameof(patient));
        }

        if (!suite.IsValidPublicKey(patientPublicKey) || !suite.IsValidPublicKey(organisationKey))
        {
            throw new ArgumentException($"The patient's and the organisation's keys must be valid {suite.Name} public keys.", nameof(patientPublicKey));
        }

        CheckParts(category, parts);
        var recordId = new Hash(RandomNumberGenerator.GetBytes(Hash.Size));
        var patientKeyId = suite.Hash(patientPublicKey);
        var organisationKeyId = suite.Hash(organisationKey);
        var anchors = new List<RecordTierAnchor>();
        var uploads = new List<RecordTierUpload>();
        foreach (var (tier, content) in parts.Where(p => p.Value.Length > 0).OrderBy(p => p.Key))
        {
            var sealedTier = RecordSealing.SealTier(suite, recordId, tier, content);
            try
            {
                var patientAssociated = RecordSealing.EnvelopeAssociatedData(recordId, tier, patientKeyId);
                var organisationAssociated = RecordSealing.EnvelopeAssociatedData(recordId, tier, organisationKeyId);
                var patientEnvelope = wrapper is null
                    ? KeyWrap.WrapEphemeral(suite, patientPublicKey, sealedTier.DataKey, patientAssociated)
                    : wrapper.Wrap(patientPublicKey, sealedTier.DataKey, patientAssociated);
                var organisationEnvelope = wrapper is null
                    ? KeyWrap.WrapEphemeral(suite, organisationKey, sealedTier.DataKey, organisationAssociated)
                    : wrapper.Wrap(organisationKey, sealedTier.DataKey, organisationAssociated);
                anchors.Add(new RecordTierAnchor(tier, sealedTier.ContentAddress, sealedTier.Commitment, checked((uint)sealedTier.Ciphertext.Length)));
                uploads.Add(new RecordTierUpload(ApiNames.Of(tier), Convert.ToBase64String(sealedTier.Ciphertext), Convert.ToBase64String(patientEnvelope), Convert.ToBase64String(organisationEnvelope)));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(sealedTier.DataKey);
            }
        }

        var authorKeyId = suite.Hash(author.PublicKey.Span);
        var anchor = new RecordAnchorPayload(recordId, patient, authorKeyId, organisation, category, createdUnixMilliseconds, anchors, [], WriteAuthorisation.None, Hash.Zero, [], Hash.Zero);
        anchor = anchor with { AuthorSignature = author.Sign(anchor.EncodeAuthorStatement(chainId)) };
        var draft = new RecordDraft(chainId, anchor, uploads);
        return authorKeyId == patient ? draft.WithPatientAuthor() : draft;
    }

    /// <summary>
    /// Signs the draft's anchor transaction with this writer's key (the author's; nonce from the client's factory) and
    /// uploads it with the sealed tiers. The draft must carry an authorisation.
    /// </summary>
    public async Task<RecordUploadResponse> UploadAsync(RecordDraft draft, bool waitForCommit = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (draft.Anchor.Authorisation == WriteAuthorisation.None)
        {
            throw new InvalidOperationException("The write has no authorisation yet: add the patient's consent signature or a grant.");
        }

        var factory = await _client.GetTransactionFactoryAsync(cancellationToken).ConfigureAwait(false);
        if (draft.Anchor.Author != factory.Sender || !string.Equals(draft.ChainId, factory.ChainId, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The draft was prepared by another key or for another chain.");
        }

        var transaction = factory.AnchorRecord(draft.Anchor);
        var response = await _client.UploadRecordAsync(draft.ToUploadRequest(transaction), waitForCommit, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(response.RecordId, draft.RecordId.ToString(), StringComparison.OrdinalIgnoreCase))
        {
            throw new MedLedgerClientException($"The node acknowledged record {response.RecordId}, not {draft.RecordId}.");
        }

        return response;
    }

    /// <summary>
    /// Signs the drafts' anchor transactions with this writer's key (consecutive nonces, in order) and uploads them in one
    /// request (<see cref="MedLedgerUserClient.UploadRecordBatchAsync"/>). Results are per record, in order; a record
    /// the node refused has status <c>rejected</c>, and its nonce is left unused (the node lets later ones through).
    /// </summary>
    public async Task<RecordBatchUploadResponse> UploadBatchAsync(IReadOnlyList<RecordDraft> drafts, bool waitForCommit = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(drafts);
        if (drafts.Count is 0 or > RecordBatchUploadRequest.MaxRecords)
        {
            throw new ArgumentException($"A batch holds 1 to {RecordBatchUploadRequest.MaxRecords} records.", nameof(drafts));
        }

        var factory = await _client.GetTransactionFactoryAsync(cancellationToken).ConfigureAwait(false);
        foreach (var draft in drafts)
        {
            ArgumentNullException.ThrowIfNull(draft, nameof(drafts));
            if (draft.Anchor.Authorisation == WriteAuthorisation.None)
            {
                throw new InvalidOperationException($"Record {draft.RecordId} has no authorisation yet: add the patient's consent signature or a grant.");
            }

            if (draft.Anchor.Author != factory.Sender || !string.Equals(draft.ChainId, factory.ChainId, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Record {draft.RecordId} was prepared by another key or for another chain.");
            }
        }

        var request = new RecordBatchUploadRequest(drafts.Select(d => d.ToUploadRequest(factory.AnchorRecord(d.Anchor))).ToList());
        var response = await _client.UploadRecordBatchAsync(request, waitForCommit, cancellationToken).ConfigureAwait(false);
        if (response.Results is null || response.Results.Count != drafts.Count)
        {
            throw new MedLedgerClientException($"The node answered {response.Results?.Count ?? 0} results for a batch of {drafts.Count} records.");
        }

        for (var i = 0; i < drafts.Count; i++)
        {
            var result = response.Results[i];
            if (!string.Equals(result.Status, "rejected", StringComparison.Ordinal) && !string.Equals(result.RecordId, drafts[i].RecordId.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                throw new MedLedgerClientException($"The node acknowledged record {result.RecordId} for the batch's record {drafts[i].RecordId}.");
            }
        }

        return response;
    }

    private static void CheckParts(RecordCategory category, IReadOnlyDictionary<SensitivityTier, byte[]> parts)
    {
        if (category == RecordCategory.None || !Enum.IsDefined(category))
        {
            throw new ArgumentOutOfRangeException(nameof(category), "Not a record category.");
        }

        if (parts.Keys.Any(t => t == SensitivityTier.None || !Enum.IsDefined(t)))
        {
            throw new ArgumentException("Every part names a sensitivity tier.", nameof(parts));
        }

        if (parts.Values.Any(p => p is null))
        {
            throw new ArgumentException("A part is null.", nameof(parts));
        }

        if (!parts.Values.Any(p => p.Length > 0))
        {
            throw new ArgumentException("The record is empty.", nameof(parts));
        }

        if (parts.Values.Sum(p => (long)p.Length) > MaxRecordBytes)
        {
            throw new ArgumentException($"The record exceeds {MaxRecordBytes:N0} bytes, the most one upload carries.", nameof(parts));
        }
    }

    private byte[] CheckedPublicKey(UserInfo user)
    {
        byte[] publicKey;
        try
        {
            publicKey = Convert.FromHexString(user.PublicKey);
        }
        catch (FormatException exception)
        {
            throw new MedLedgerClientException($"User {user.UserId} has a malformed public key.", exception);
        }

        // The patient envelope is bound to this key id; a node that reports a key not matching its id is refused.
        if (!string.Equals(_client.Suite.Hash(publicKey).ToString(), user.CurrentKey, StringComparison.OrdinalIgnoreCase))
        {
            throw new MedLedgerClientException($"User {user.UserId}'s current key id is not the hash of its public key.");
        }

        return publicKey;
    }
}
