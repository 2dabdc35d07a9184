namespace MedLedger.Core;

/// <summary>
/// Every explicit limit in MedLedger, in one place so their relations can be tested (LimitsTests) and
/// documented (docs/limits.md). Decoders, the mempool, the API and the block builder all read from here.
/// </summary>
public static class Limits
{
    /// <summary>Longest chain id, in UTF-8 bytes.</summary>
    public const int MaxChainIdBytes = 64;

    /// <summary>Largest public key of any suite (uncompressed P-256 or SM2 points are 65 bytes).</summary>
    public const int MaxPublicKeyBytes = 128;

    /// <summary>Largest signature of any suite (P-256 and SM2 in IEEE P1363 form are 64 bytes).</summary>
    public const int MaxSignatureBytes = 128;

    /// <summary>Largest transaction payload.</summary>
    public const int MaxTransactionPayloadBytes = 48 * 1024;

    /// <summary>Largest encoded transaction, envelope and signature included.</summary>
    public const int MaxTransactionBytes = 64 * 1024;

    /// <summary>Most transactions in one block.</summary>
    public const int MaxTransactionsPerBlock = 10_000;

    /// <summary>Largest encoded block body (all its transactions).</summary>
    public const int MaxBlockBytes = 16 * 1024 * 1024;

    /// <summary>Most validators in a validator set.</summary>
    public const int MaxValidators = 128;

    /// <summary>Longest human-readable name (organisation, validator), in UTF-8 bytes.</summary>
    public const int MaxNameBytes = 256;

    /// <summary>Longest state key.</summary>
    public const int MaxStateKeyBytes = 256;

    /// <summary>Largest state value.</summary>
    public const int MaxStateValueBytes = 64 * 1024;

    /// <summary>Most transactions waiting in one node's mempool.</summary>
    public const int MaxMempoolTransactions = 200_000;

    /// <summary>Most bytes of transactions waiting in one node's mempool.</summary>
    public const long MaxMempoolBytes = 512L * 1024 * 1024;

    /// <summary>Largest HTTP request body the API reads.</summary>
    public const int MaxRequestBodyBytes = 8 * 1024 * 1024;

    /// <summary>Most transactions in one batch submission.</summary>
    public const int MaxTransactionsPerRequest = 1_000;

    /// <summary>How far ahead of the current height a transaction's expiry may lie.</summary>
    public const ulong MaxExpiryWindowBlocks = 1_000_000;

    /// <summary>Largest genesis document, in bytes.</summary>
    public const int MaxGenesisBytes = 1024 * 1024;

    /// <summary>Longest organisation id (lowercase letters, digits and '-'), in bytes.</summary>
    public const int MaxOrganisationIdBytes = 64;

    /// <summary>Longest organisation tier label or API endpoint, in UTF-8 bytes.</summary>
    public const int MaxLabelBytes = 256;

    /// <summary>Most member organisations in a consortium.</summary>
    public const int MaxOrganisations = 256;

    /// <summary>Most consortium policy rules.</summary>
    public const int MaxPolicyRules = 64;

    /// <summary>Most grants a patient pseudonym holds at once (revoked and expired ones are pruned first).</summary>
    public const int MaxGrantsPerPatient = 256;

    /// <summary>Most single records a grant names.</summary>
    public const int MaxRecordsPerGrant = 64;

    /// <summary>Most entries in one access-log transaction.</summary>
    public const int MaxAccessLogEntries = 256;

    /// <summary>How far a time written in a payload may lie from the block time (either way), in milliseconds.</summary>
    public const long MaxPayloadClockSkewMilliseconds = 10 * 60 * 1000;

    /// <summary>How long a membership proposal stays open, in milliseconds of block time (14 days).</summary>
    public const long MembershipProposalLifetimeMilliseconds = 14L * 24 * 60 * 60 * 1000;

    /// <summary>Largest key file, in bytes.</summary>
    public const int MaxKeyFileBytes = 16 * 1024;
}
