namespace MedLedger.Client;

/// <summary>The node's view of the chain, from <c>GET /api/v1/status</c>.</summary>
/// <param name="ChainId">The chain id from genesis.</param>
/// <param name="Suite">The crypto suite from genesis.</param>
/// <param name="GenesisHash">The genesis hash, hex.</param>
/// <param name="NodeName">The node's display name.</param>
/// <param name="NodeId">The node's key id, hex.</param>
/// <param name="Height">Height of the last committed block.</param>
/// <param name="LatestBlockHash">Hash of the last committed block (genesis hash at height 0), hex.</param>
/// <param name="LatestBlockTime">Time of the last committed block.</param>
/// <param name="StateRoot">Root of the committed state, hex.</param>
/// <param name="StateEntries">Number of committed state entries.</param>
/// <param name="MempoolSize">Transactions waiting for a block.</param>
/// <param name="IsValidator">Whether this node signs blocks.</param>
/// <param name="Validators">Number of validators.</param>
/// <param name="Version">The node software version.</param>
/// <param name="Role">
/// <c>validator</c> (in the current validator set: votes), <c>verifier</c> (follows and verifies the chain without voting).
/// </param>
/// <param name="PeerCount">Connected peers (0 on a single-node chain).</param>
/// <param name="Peers">Key ids (hex) of the connected peers.</param>
/// <param name="ValidatorSet">The current validator set: key id, name and voting power of each validator.</param>
public sealed record NodeStatus(
    string ChainId,
    string Suite,
    string GenesisHash,
    string NodeName,
    string NodeId,
    ulong Height,
    string LatestBlockHash,
    DateTimeOffset LatestBlockTime,
    string StateRoot,
    int StateEntries,
    int MempoolSize,
    bool IsValidator,
    int Validators,
    string Version,
    string Role = "validator",
    int PeerCount = 0,
    IReadOnlyList<string>? Peers = null,
    IReadOnlyList<NodeStatusValidator>? ValidatorSet = null);

/// <summary>A validator as the status shows it.</summary>
/// <param name="KeyId">The validator's key id, hex.</param>
/// <param name="Name">Its display name.</param>
/// <param name="Power">Its voting power.</param>
public sealed record NodeStatusValidator(string KeyId, string Name, ulong Power);

/// <summary>A block header as JSON; hashes are hex.</summary>
/// <param name="ChainId">Chain id.</param>
/// <param name="Height">Height.</param>
/// <param name="Time">Block time (from the proposer).</param>
/// <param name="TimeUnixMilliseconds">Block time as signed, in Unix milliseconds.</param>
/// <param name="PreviousBlockHash">Hash of the previous block (the genesis hash for block 1).</param>
/// <param name="TransactionsRoot">Merkle root of the transactions.</param>
/// <param name="StateRoot">State root after this block.</param>
/// <param name="Proposer">Key id of the proposer.</param>
/// <param name="ValidatorSetHash">Hash of the validator set that signed the block.</param>
/// <param name="TransactionCount">Number of transactions.</param>
public sealed record BlockHeaderInfo(
    string ChainId,
    ulong Height,
    DateTimeOffset Time,
    long TimeUnixMilliseconds,
    string PreviousBlockHash,
    string TransactionsRoot,
    string StateRoot,
    string Proposer,
    string ValidatorSetHash,
    uint TransactionCount);

/// <summary>One precommit signature of a commit certificate.</summary>
/// <param name="Validator">Validator key id, hex.</param>
/// <param name="Signature">Signature, base64.</param>
public sealed record CommitSignatureInfo(string Validator, string Signature);

/// <summary>A commit certificate.</summary>
/// <param name="Round">The round in which the block was decided.</param>
/// <param name="Signatures">The precommit signatures.</param>
public sealed record CommitCertificateInfo(uint Round, IReadOnlyList<CommitSignatureInfo> Signatures);

/// <summary>A block from <c>GET /api/v1/blocks/{height}</c>.</summary>
/// <param name="Hash">Block hash, hex.</param>
/// <param name="Header">The header.</param>
/// <param name="TransactionIds">Transaction ids in block order, hex.</param>
/// <param name="Certificate">The commit certificate.</param>
public sealed record BlockInfo(string Hash, BlockHeaderInfo Header, IReadOnlyList<string> TransactionIds, CommitCertificateInfo Certificate);

/// <summary>
/// Body of <c>POST /api/v1/transactions</c>: either one transaction or a batch, each the base64 of its
/// canonical encoding.
/// </summary>
/// <param name="Transaction">One transaction.</param>
/// <param name="Transactions">A batch of at most 1,000 transactions.</param>
public sealed record SubmitTransactionsRequest(string? Transaction = null, IReadOnlyList<string>? Transactions = null);

/// <summary>The outcome of one submitted transaction.</summary>
/// <param name="Id">Transaction id, hex (empty if it could not be decoded).</param>
/// <param name="Status"><c>pending</c>, <c>committed</c> or <c>rejected</c>.</param>
/// <param name="Height">Block height once committed.</param>
/// <param name="Index">Position in the block once committed.</param>
/// <param name="Code">Why it was rejected: a <c>TransactionRejection</c> name.</param>
/// <param name="Reason">Human-readable reason.</param>
public sealed record SubmittedTransaction(string Id, string Status, ulong? Height = null, int? Index = null, string? Code = null, string? Reason = null);

/// <summary>Response of <c>POST /api/v1/transactions</c>.</summary>
/// <param name="Results">One result per submitted transaction, in order.</param>
public sealed record SubmitTransactionsResponse(IReadOnlyList<SubmittedTransaction> Results);

/// <summary>A Merkle inclusion proof of a transaction in its block.</summary>
/// <param name="LeafIndex">The transaction's index.</param>
/// <param name="LeafCount">Transactions in the block.</param>
/// <param name="LeafHash">H(0x00 ‖ encoding), hex.</param>
/// <param name="Path">Sibling hashes from the leaf up, hex.</param>
/// <param name="TransactionsRoot">The root the proof leads to (the header's transactions root), hex.</param>
public sealed record InclusionProofInfo(int LeafIndex, int LeafCount, string LeafHash, IReadOnlyList<string> Path, string TransactionsRoot);

/// <summary>A transaction from <c>GET /api/v1/transactions/{id}</c>.</summary>
/// <param name="Id">Transaction id, hex.</param>
/// <param name="Status"><c>pending</c> or <c>committed</c>.</param>
/// <param name="Type">Transaction type name.</param>
/// <param name="Sender">Sender key id, hex.</param>
/// <param name="Nonce">Sender nonce.</param>
/// <param name="ExpiryHeight">Last height at which it may be included.</param>
/// <param name="Encoded">Canonical encoding, base64.</param>
/// <param name="Height">Block height once committed.</param>
/// <param name="Index">Position in the block once committed.</param>
/// <param name="Proof">Inclusion proof once committed.</param>
public sealed record TransactionInfo(
    string Id,
    string Status,
    string Type,
    string Sender,
    ulong Nonce,
    ulong ExpiryHeight,
    string Encoded,
    ulong? Height = null,
    int? Index = null,
    InclusionProofInfo? Proof = null);

/// <summary>An account from <c>GET /api/v1/accounts/{keyId}</c>.</summary>
/// <param name="KeyId">Key id, hex.</param>
/// <param name="PublicKey">Public key, hex.</param>
/// <param name="Role">Role name.</param>
/// <param name="Name">Display name.</param>
/// <param name="Nonce">Last executed nonce.</param>
/// <param name="RegisteredHeight">Height of registration (0 for genesis).</param>
/// <param name="Revoked">Whether the account was revoked.</param>
/// <param name="Organisation">
/// The member organisation of the account, or null when the node does not say (nodes before the medical API).
/// </param>
/// <param name="UserId">
/// The user the key belongs to (stable across key rotation), hex, or null when the node does not say; a key that
/// was never rotated is its own user id.
/// </param>
public sealed record AccountInfo(string KeyId, string PublicKey, string Role, string Name, ulong Nonce, ulong RegisteredHeight, bool Revoked, string? Organisation = null, string? UserId = null);
