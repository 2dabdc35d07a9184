namespace MedLedger.Ledger;

/// <summary>
/// Why a transaction was refused. The names are the stable <c>code</c> the API returns in problem+json; add new
/// values, never rename.
/// </summary>
public enum TransactionRejection
{
    /// <summary>Accepted.</summary>
    None = 0,

    /// <summary>The bytes are not a valid transaction encoding.</summary>
    Malformed,

    /// <summary>The transaction names another chain.</summary>
    WrongChain,

    /// <summary>The type is unknown to this chain.</summary>
    UnknownType,

    /// <summary>The sender's key is not registered.</summary>
    UnknownSender,

    /// <summary>The sender's account was revoked.</summary>
    SenderRevoked,

    /// <summary>The signature does not verify under the sender's key.</summary>
    InvalidSignature,

    /// <summary>The nonce is not above the sender's last nonce: a replay or a duplicate.</summary>
    NonceReused,

    /// <summary>The expiry height has passed.</summary>
    Expired,

    /// <summary>The expiry height lies too far in the future.</summary>
    ExpiryTooFar,

    /// <summary>The payload does not decode or fails its type's rules.</summary>
    InvalidPayload,

    /// <summary>The sender's role does not allow this transaction.</summary>
    NotAuthorized,

    /// <summary>The thing it creates already exists.</summary>
    AlreadyExists,

    /// <summary>The thing it refers to does not exist.</summary>
    NotFound,

    /// <summary>The same transaction is already waiting in the mempool.</summary>
    Duplicate,

    /// <summary>The mempool is full; retry later.</summary>
    MempoolFull,

    /// <summary>The sender's key was replaced by a newer key (key rotation).</summary>
    SenderRotated,

    /// <summary>The sender's organisation is not an active member.</summary>
    OrganisationInactive,

    /// <summary>A signature inside the payload (author, consent, proof of possession) does not verify.</summary>
    InvalidPayloadSignature,

    /// <summary>The patient neither co-signed the write nor granted the author append access.</summary>
    ConsentMissing,

    /// <summary>A time in the payload lies outside the window the block time allows.</summary>
    TimeOutOfWindow,

    /// <summary>A commit report's certificate is not a valid certificate of the previous block (height, block, signatures, quorum).</summary>
    InvalidCertificate,

    /// <summary>Evidence does not prove a double vote (identical votes, a signature that does not verify, a height not yet past).</summary>
    InvalidEvidence,

    /// <summary>Evidence is about votes older than the chain's evidence window.</summary>
    EvidenceTooOld,

    /// <summary>The transaction is valid only elsewhere: a commit report only as the first transaction of a block.</summary>
    MisplacedTransaction,

    /// <summary>An access request is no longer open: already answered, or past its expiry height.</summary>
    RequestNotOpen,

    /// <summary>The grant named in an answer does not match the request (patient, requester, action, purpose, categories, tiers) or is not in force.</summary>
    GrantMismatch,
}

/// <summary>The outcome of checking or executing a transaction.</summary>
public readonly record struct TransactionResult(TransactionRejection Rejection, string? Reason)
{
    /// <summary>The accepted result.</summary>
    public static TransactionResult Accepted => default;

    /// <summary>True when accepted.</summary>
    public bool IsAccepted => Rejection == TransactionRejection.None;

    /// <summary>A refusal with its reason.</summary>
    public static TransactionResult Reject(TransactionRejection rejection, string reason) => new(rejection, reason);
}
