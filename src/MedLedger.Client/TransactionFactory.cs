using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Client;

/// <summary>
/// Builds and signs one key's ledger changes (docs/encoding.md, "Transaction"): each gets the next nonce after the
/// account's last (tracked here, so consecutive sends need no round trip) and an expiry height a window ahead of the
/// chain's height when the factory was made or last resynchronised. The payload encodings are the ledger's own
/// (<c>MedLedger.Ledger</c>), so what is signed here is exactly what the node decodes. Thread-safe; the key is
/// borrowed.
/// </summary>
public sealed class TransactionFactory
{
    /// <summary>Blocks a transaction stays valid for by default.</summary>
    public const ulong DefaultExpiryWindowBlocks = 1_000;

    private readonly ICryptoSuite _suite;
    private readonly ISigningKey _key;
    private readonly ulong _expiryWindowBlocks;
    private readonly Lock _lock = new();
    private ulong _lastNonce;
    private ulong _expiryHeight;

    /// <summary>Creates a factory from known chain facts (see <see cref="CreateAsync"/> to read them from a node).</summary>
    /// <param name="suite">The chain's suite.</param>
    /// <param name="key">The sender's key.</param>
    /// <param name="chainId">The chain id.</param>
    /// <param name="lastNonce">The account's last executed nonce (0 for a fresh account).</param>
    /// <param name="currentHeight">The chain's current height.</param>
    /// <param name="expiryWindowBlocks">How many blocks past <paramref name="currentHeight"/> a transaction stays valid.</param>
    public TransactionFactory(ICryptoSuite suite, ISigningKey key, string chainId, ulong lastNonce, ulong currentHeight, ulong expiryWindowBlocks = DefaultExpiryWindowBlocks)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(chainId);
        if (expiryWindowBlocks is 0 or > Limits.MaxExpiryWindowBlocks)
        {
            throw new ArgumentOutOfRangeException(nameof(expiryWindowBlocks), $"The expiry window is 1..{Limits.MaxExpiryWindowBlocks} blocks.");
        }

        _suite = suite;
        _key = key;
        _expiryWindowBlocks = expiryWindowBlocks;
        ChainId = chainId;
        Sender = suite.Hash(key.PublicKey.Span);
        Resynchronise(lastNonce, currentHeight);
    }

    /// <summary>The chain the transactions are signed for.</summary>
    public string ChainId { get; }

    /// <summary>The sender's key id.</summary>
    public Hash Sender { get; }

    /// <summary>The last nonce handed out (or the account's, before the first).</summary>
    public ulong LastNonce
    {
        get
        {
            lock (_lock)
            {
                return _lastNonce;
            }
        }
    }

    /// <summary>The expiry height the next transaction gets.</summary>
    public ulong ExpiryHeight
    {
        get
        {
            lock (_lock)
            {
                return _expiryHeight;
            }
        }
    }

    /// <summary>
    /// Reads the chain id and height from the node's status and the key's last nonce from its account (0 when the key
    /// is not registered yet: the node will say so when the first transaction arrives).
    /// </summary>
    public static async Task<TransactionFactory> CreateAsync(MedLedgerClient node, ICryptoSuite suite, ISigningKey key, ulong expiryWindowBlocks = DefaultExpiryWindowBlocks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(key);
        var status = await node.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        if (!string.Equals(status.Suite, suite.Name, StringComparison.Ordinal))
        {
            throw new MedLedgerClientException($"The node's chain uses suite '{status.Suite}', not '{suite.Name}'.");
        }

        var account = await node.GetAccountAsync(suite.Hash(key.PublicKey.Span), cancellationToken).ConfigureAwait(false);
        return new TransactionFactory(suite, key, status.ChainId, account?.Nonce ?? 0, status.Height, expiryWindowBlocks);
    }

    /// <summary>Resets the nonce to the account's last and the expiry to a window past <paramref name="currentHeight"/>.</summary>
    public void Resynchronise(ulong lastNonce, ulong currentHeight)
    {
        lock (_lock)
        {
            _lastNonce = lastNonce;
            _expiryHeight = currentHeight > ulong.MaxValue - _expiryWindowBlocks ? ulong.MaxValue : currentHeight + _expiryWindowBlocks;
        }
    }

    /// <summary>Signs a transaction of any type over an already encoded payload, with the next nonce.</summary>
    public Transaction Create(TransactionType type, ReadOnlySpan<byte> payload)
    {
        if (type == TransactionType.None || !Enum.IsDefined(type))
        {
            throw new ArgumentOutOfRangeException(nameof(type), "Not a transaction type.");
        }

        if (payload.Length > Limits.MaxTransactionPayloadBytes)
        {
            throw new ArgumentException($"A payload of {payload.Length} bytes exceeds the limit of {Limits.MaxTransactionPayloadBytes}.", nameof(payload));
        }

        ulong nonce, expiry;
        lock (_lock)
        {
            nonce = ++_lastNonce;
            expiry = _expiryHeight;
        }

        return Transaction.Create(_suite, _key, ChainId, type, nonce, expiry, payload);
    }

    /// <summary>Registers a user of <paramref name="organisation"/> (SPEC F3); a patient gets no name on chain.</summary>
    public Transaction RegisterUser(ReadOnlySpan<byte> publicKey, AccountRole role, string organisation, string name)
    {
        ArgumentNullException.ThrowIfNull(organisation);
        ArgumentNullException.ThrowIfNull(name);
        if (!_suite.IsValidPublicKey(publicKey))
        {
            throw new ArgumentException($"Not a valid {_suite.Name} public key.", nameof(publicKey));
        }

        if (role is AccountRole.None or AccountRole.Administrator || !Enum.IsDefined(role))
        {
            throw new ArgumentOutOfRangeException(nameof(role), $"A {role} cannot be registered as a user.");
        }

        if (role == AccountRole.Patient ? name.Length != 0 : name.Length == 0)
        {
            throw new ArgumentException(role == AccountRole.Patient ? "A patient pseudonym carries no name on chain." : "A user needs a name.", nameof(name));
        }

        return Create(TransactionType.UserRegister, new UserRegisterPayload(publicKey.ToArray(), role, organisation, name).Encode());
    }

    /// <summary>Revokes an account by key id.</summary>
    public Transaction RevokeAccount(Hash keyId) =>
        Create(TransactionType.AccountRevoke, new AccountRevokePayload(keyId).Encode());

    /// <summary>
    /// Replaces the sender's key by <paramref name="newKey"/>, which proves possession by signing
    /// <see cref="KeyRotatePayload.EncodeProofBytes"/>. The new key starts with nonce 0: use a new factory for it.
    /// </summary>
    public Transaction RotateKey(ISigningKey newKey)
    {
        ArgumentNullException.ThrowIfNull(newKey);
        var proof = newKey.Sign(KeyRotatePayload.EncodeProofBytes(ChainId, Sender));
        return Create(TransactionType.KeyRotate, new KeyRotatePayload(newKey.PublicKey.ToArray(), proof).Encode());
    }

    /// <summary>Proposes to admit an organisation with its first administrator (SPEC F2); the proposal id is the transaction id.</summary>
    public Transaction ProposeAdmission(string organisationId, string name, OrganisationKind kind, string tier, ReadOnlySpan<byte> encryptionKey, string endpoint, ReadOnlySpan<byte> adminPublicKey, string adminName)
    {
        if (!Organisation.IsValidId(organisationId))
        {
            throw new ArgumentException("An organisation id is 1..64 lowercase letters, digits and inner hyphens.", nameof(organisationId));
        }

        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(adminName);
        ArgumentNullException.ThrowIfNull(tier);
        ArgumentNullException.ThrowIfNull(endpoint);
        if (kind == OrganisationKind.None || !Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), "Not an organisation kind.");
        }

        if (!_suite.IsValidPublicKey(encryptionKey) || !_suite.IsValidPublicKey(adminPublicKey))
        {
            throw new ArgumentException($"The encryption and administrator keys must be valid {_suite.Name} public keys.", nameof(encryptionKey));
        }

        var organisation = new Organisation(organisationId, name, kind, tier, encryptionKey.ToArray(), endpoint, OrganisationStatus.None, 0);
        return Create(TransactionType.OrganisationPropose, new OrganisationProposePayload(MembershipAction.Admit, organisation, adminPublicKey.ToArray(), adminName).Encode());
    }

    /// <summary>Proposes to remove a member organisation; the proposal id is the transaction id.</summary>
    public Transaction ProposeRemoval(string organisationId)
    {
        if (!Organisation.IsValidId(organisationId))
        {
            throw new ArgumentException("An organisation id is 1..64 lowercase letters, digits and inner hyphens.", nameof(organisationId));
        }

        var organisation = new Organisation(organisationId, string.Empty, OrganisationKind.None, string.Empty, [], string.Empty, OrganisationStatus.None, 0);
        return Create(TransactionType.OrganisationPropose, new OrganisationProposePayload(MembershipAction.Remove, organisation, [], string.Empty).Encode());
    }

    /// <summary>Votes, for the sender's organisation, for an open membership proposal.</summary>
    public Transaction VoteForProposal(Hash proposalId) =>
        Create(TransactionType.OrganisationVote, new OrganisationVotePayload(proposalId).Encode());

    /// <summary>
    /// Grants access to the patient's records (SPEC F17); the grant id is the transaction id. The terms are checked as
    /// the ledger checks them, so a grant the node would refuse is not signed.
    /// </summary>
    public Transaction GrantConsent(ConsentGrantPayload terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        if (DescribeInvalidGrant(terms) is { } problem)
        {
            throw new ArgumentException(problem, nameof(terms));
        }

        return Create(TransactionType.ConsentGrant, terms.Encode());
    }

    /// <summary>Revokes a grant of the patient's.</summary>
    public Transaction RevokeConsent(Hash grantId) =>
        Create(TransactionType.ConsentRevoke, new ConsentRevokePayload(grantId).Encode());

    /// <summary>
    /// Names (or replaces) a patient pseudonym's emergency contacts — user ids of registered users, at most
    /// <see cref="EmergencyContacts.MaxContacts"/> — and how many of them must approve an emergency access (SPEC F24).
    /// An empty list with threshold 0 clears them.
    /// </summary>
    public Transaction SetEmergencyContacts(Hash patient, IReadOnlyList<Hash> contacts, byte threshold) =>
        Create(TransactionType.EmergencyContactsSet, new EmergencyContactsPayload(patient, contacts, threshold).Encode());

    /// <summary>
    /// A doctor asks the patient behind <paramref name="patient"/> (a pseudonym) for <paramref name="actions"/> (read)
    /// for <paramref name="purpose"/> over the categories (empty: all) and tiers, for <paramref name="validityDays"/>
    /// days; the request lapses after block <paramref name="expiresAtHeight"/>. The request id is the transaction id.
    /// </summary>
    public Transaction RequestAccess(Hash patient, GrantActions actions, AccessPurpose purpose, IReadOnlyList<RecordCategory> categories, IReadOnlyList<SensitivityTier> tiers, ushort validityDays, ulong expiresAtHeight) =>
        Create(TransactionType.AccessRequest, new AccessRequestPayload(patient, actions, purpose, categories, tiers, validityDays, expiresAtHeight).Encode());

    /// <summary>The patient answers an access request with the id of a matching grant of theirs, or <see cref="Hash.Zero"/> to decline.</summary>
    public Transaction RespondToAccessRequest(Hash requestId, Hash grantId) =>
        Create(TransactionType.AccessRequestRespond, new AccessRequestRespondPayload(requestId, grantId).Encode());

    /// <summary>
    /// The author asks the patient to approve a record write in their portal: <paramref name="anchor"/> is the signed
    /// anchor without consent (its authorisation becomes <see cref="WriteAuthorisation.PatientSignature"/> with no signer,
    /// signature or grant); the request lapses after block <paramref name="expiresAtHeight"/>.
    /// </summary>
    public Transaction RequestRecordWrite(RecordAnchorPayload anchor, ulong expiresAtHeight)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        var asked = anchor with { Authorisation = WriteAuthorisation.PatientSignature, ConsentSigner = Hash.Zero, ConsentSignature = [], GrantId = Hash.Zero };
        return Create(TransactionType.RecordWriteRequest, new RecordWriteRequestPayload(asked, expiresAtHeight).Encode());
    }

    /// <summary>
    /// The patient answers the write request of <paramref name="recordId"/>: with their signature over the request's
    /// consent statement to approve, or an empty one to decline.
    /// </summary>
    public Transaction RespondToWriteRequest(Hash recordId, byte[] consentSignature)
    {
        ArgumentNullException.ThrowIfNull(consentSignature);
        return Create(TransactionType.RecordWriteRespond, new RecordWriteRespondPayload(recordId, consentSignature).Encode());
    }

    /// <summary>Erases a record of the patient's (SPEC F23).</summary>
    public Transaction EraseRecord(Hash recordId) =>
        Create(TransactionType.RecordErase, new RecordErasePayload(recordId).Encode());

    /// <summary>Anchors a record (see <see cref="RecordWriter"/>, which prepares the payload).</summary>
    public Transaction AnchorRecord(RecordAnchorPayload anchor)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        return Create(TransactionType.RecordAnchor, anchor.Encode());
    }

    /// <summary>Why the ledger would refuse these grant terms as malformed, or null when it would not.</summary>
    public static string? DescribeInvalidGrant(ConsentGrantPayload terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        if (terms.Patient.IsZero)
        {
            return "The grant names no patient.";
        }

        var actorValid = terms.Actor.Kind switch
        {
            GrantActorKind.User => !terms.Actor.User.IsZero,
            GrantActorKind.Organisation => Organisation.IsValidId(terms.Actor.Organisation),
            GrantActorKind.Role => terms.Actor.Role is not (AccountRole.None or AccountRole.Patient or AccountRole.Node or AccountRole.Administrator or AccountRole.Member) && Enum.IsDefined(terms.Actor.Role),
            _ => false,
        };
        if (!actorValid)
        {
            return "The grantee must be a user, a member organisation id or a grantable role (doctor, orgAdmin, auditor, researcher, insurerAgent).";
        }

        if (terms.Actions == GrantActions.None || (terms.Actions & ~(GrantActions.Read | GrantActions.Append)) != 0)
        {
            return "A grant allows read, append or both.";
        }

        if (terms.Purpose == AccessPurpose.None || !Enum.IsDefined(terms.Purpose))
        {
            return "A grant names a purpose.";
        }

        if (terms.Categories.Any(c => c == RecordCategory.None || !Enum.IsDefined(c)) || terms.Categories.Distinct().Count() != terms.Categories.Count)
        {
            return "The categories must be known and distinct.";
        }

        if (terms.Tiers.Count == 0 || terms.Tiers.Any(t => t == SensitivityTier.None || !Enum.IsDefined(t)) || terms.Tiers.Distinct().Count() != terms.Tiers.Count)
        {
            return "A grant names at least one tier, each known and distinct.";
        }

        if (terms.Records.Count > Limits.MaxRecordsPerGrant || terms.Records.Any(r => r.IsZero) || terms.Records.Distinct().Count() != terms.Records.Count)
        {
            return $"A grant names at most {Limits.MaxRecordsPerGrant} distinct records.";
        }

        if ((terms.Actions & GrantActions.Append) != 0 && terms.Records.Count != 0)
        {
            return "An append grant cannot be limited to single records (new records have no id yet).";
        }

        return terms.ValidUntilUnixMilliseconds <= terms.ValidFromUnixMilliseconds ? "A grant ends after it starts." : null;
    }
}
