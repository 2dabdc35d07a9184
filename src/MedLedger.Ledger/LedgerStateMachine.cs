using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Ledger;

/// <summary>
/// The ledger's state machine with an ABCI-like face (ARCHITECTURE §3): <see cref="CheckTransaction"/> for the
/// mempool, <see cref="PrepareBlock"/> for a proposer, <see cref="ExecuteBlock"/> for every validator and
/// verifier, <see cref="Commit"/> once consensus decides, and <see cref="Query"/>. Deterministic: no clock, no
/// randomness, no I/O; the block time comes from the proposer through the header. Not thread-safe except
/// <see cref="CheckTransaction"/>, which only reads committed state and may run on many threads while the
/// consensus driver is between commits.
/// </summary>
public sealed partial class LedgerStateMachine : IDisposable
{
    private readonly StateTree _state;
    private readonly VerifiedSignatures _verified;
    private readonly ReaderWriterLockSlim _commitLock = new();

    private LedgerStateMachine(ICryptoSuite suite, GenesisDocument genesis, StateTree state, VerifiedSignatures verified)
    {
        Suite = suite;
        Genesis = genesis;
        GenesisHash = genesis.ComputeHash(suite);
        _state = state;
        _verified = verified;
        ValidatorSet = ValidatorSet.Decode(state.GetValue(StateKeys.Validators()) ?? throw new InvariantViolationException("state holds a validator set"));
        LastBlockHash = GenesisHash;
        LastTimeUnixMilliseconds = genesis.GenesisTimeUnixMilliseconds;
    }

    /// <summary>The chain's crypto suite.</summary>
    public ICryptoSuite Suite { get; }

    /// <summary>The genesis document.</summary>
    public GenesisDocument Genesis { get; }

    /// <summary>The genesis hash (the previous-block hash of block 1).</summary>
    public Hash GenesisHash { get; }

    /// <summary>The chain id.</summary>
    public string ChainId => Genesis.ChainId;

    /// <summary>Height of the last committed block; 0 before block 1.</summary>
    public ulong Height { get; private set; }

    /// <summary>Hash of the last committed block, or the genesis hash.</summary>
    public Hash LastBlockHash { get; private set; }

    /// <summary>Time of the last committed block, or genesis time.</summary>
    public long LastTimeUnixMilliseconds { get; private set; }

    /// <summary>Root of the committed state.</summary>
    public Hash StateRoot => _state.Root;

    /// <summary>Number of committed state entries.</summary>
    public int StateEntryCount => _state.Count;

    /// <summary>The validators that sign the next block.</summary>
    public ValidatorSet ValidatorSet { get; private set; }

    /// <summary>The signature cache shared with the mempool.</summary>
    public VerifiedSignatures VerifiedSignatures => _verified;

    /// <summary>A state machine at genesis.</summary>
    public static LedgerStateMachine FromGenesis(GenesisDocument genesis, VerifiedSignatures? verified = null)
    {
        ArgumentNullException.ThrowIfNull(genesis);
        var suite = CryptoSuites.Get(genesis.Suite);
        var state = new StateTree(suite);
        state.Apply(state.Prepare(genesis.CreateInitialState(suite)));
        return new LedgerStateMachine(suite, genesis, state, verified ?? new VerifiedSignatures());
    }

    /// <summary>
    /// A state machine restored from a store: the committed entries and the last committed header. Throws
    /// <see cref="StateMismatchException"/> when the entries do not hash to the header's state root.
    /// </summary>
    public static LedgerStateMachine Restore(GenesisDocument genesis, IEnumerable<KeyValuePair<byte[], byte[]>> entries, BlockHeader? lastHeader, VerifiedSignatures? verified = null)
    {
        ArgumentNullException.ThrowIfNull(genesis);
        if (lastHeader is null)
        {
            return FromGenesis(genesis, verified);
        }

        var suite = CryptoSuites.Get(genesis.Suite);
        var state = new StateTree(suite);
        state.Load(entries);
        if (state.Root != lastHeader.StateRoot)
        {
            throw new StateMismatchException(lastHeader.Height, $"the stored state hashes to {state.Root.ToShortString()}, but block {lastHeader.Height} commits to {lastHeader.StateRoot.ToShortString()}");
        }

        var machine = new LedgerStateMachine(suite, genesis, state, verified ?? new VerifiedSignatures())
        {
            Height = lastHeader.Height,
            LastBlockHash = lastHeader.ComputeHash(suite),
            LastTimeUnixMilliseconds = lastHeader.TimeUnixMilliseconds,
        };
        return machine;
    }

    /// <summary>
    /// Checks a transaction against committed state, as the mempool does on admission, and records a verified
    /// signature. Later transactions of the same sender in the mempool are not considered.
    /// </summary>
    public TransactionResult CheckTransaction(Transaction transaction, Hash transactionId)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        Invariant.Check(transactionId == transaction.ComputeId(Suite), "CheckTransaction is given the transaction's own id");
        _commitLock.EnterReadLock();
        try
        {
            return Validate(_state, transaction, transactionId, Height + 1, out _);
        }
        finally
        {
            _commitLock.ExitReadLock();
        }
    }

    /// <summary>
    /// Builds the next block from <paramref name="candidates"/> (in mempool order): each is executed in turn and
    /// included if it succeeds; failures are returned with their reasons so the mempool can drop them. On a credit
    /// chain, <paramref name="lastCommit"/> — the certificate this node holds for the last committed block — becomes the
    /// block's first transaction, a commit report (docs/credit.md); it is ignored on a chain without credit and at height 1.
    /// </summary>
    public BlockProposal PrepareBlock(long timeUnixMilliseconds, Hash proposer, IEnumerable<Transaction> candidates, int maxTransactions = Limits.MaxTransactionsPerBlock, int maxBytes = Limits.MaxBlockBytes, CommitCertificate? lastCommit = null)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var height = Height + 1;
        var time = Math.Max(timeUnixMilliseconds, LastTimeUnixMilliseconds + 1);
        if (lastCommit is not null && Genesis.Credit is not null && height > 1)
        {
            candidates = candidates.Prepend(CreditTransactions.CommitReport(ChainId, height, lastCommit));
        }

        var blockState = new StateOverlay(_state);
        var included = new List<Transaction>();
        var rejected = new List<(Transaction, TransactionResult)>();
        var bytes = 0;
        foreach (var transaction in candidates)
        {
            if (included.Count >= maxTransactions || bytes + transaction.EncodedLength > maxBytes)
            {
                break;
            }

            var result = ExecuteTransaction(blockState, transaction, transaction.ComputeId(Suite), new BlockContext(height, time, proposer, included.Count));
            if (result.IsAccepted)
            {
                included.Add(transaction);
                bytes += transaction.EncodedLength;
            }
            else
            {
                rejected.Add((transaction, result));
            }
        }

        EndBlock(blockState, new BlockContext(height, time, proposer, included.Count), included);
        var prepared = _state.Prepare(blockState.Writes);
        var header = new BlockHeader(
            ChainId,
            height,
            time,
            LastBlockHash,
            Block.ComputeTransactionsRoot(Suite, included),
            prepared.Root,
            proposer,
            ValidatorSet.ComputeHash(Suite),
            (uint)included.Count);
        return new BlockProposal(header, included, prepared, rejected);
    }

    /// <summary>
    /// Validates and executes a proposed block: header links, proposer, roots, and every transaction, which must
    /// all succeed. Returns the prepared state to commit, or throws <see cref="InvalidBlockException"/>.
    /// </summary>
    public PreparedState ExecuteBlock(BlockHeader header, IReadOnlyList<Transaction> transactions)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(transactions);
        var height = Height + 1;
        Reject(header.ChainId != ChainId, header.Height, $"chain id '{header.ChainId}' is not '{ChainId}'");
        Reject(header.Height != height, header.Height, $"expected height {height}");
        Reject(header.PreviousBlockHash != LastBlockHash, height, "the previous-block hash does not match the chain");
        Reject(header.TimeUnixMilliseconds <= LastTimeUnixMilliseconds, height, "the block time does not advance");
        Reject(ValidatorSet.Find(header.Proposer) is null, height, "the proposer is not a validator");
        Reject(header.ValidatorSetHash != ValidatorSet.ComputeHash(Suite), height, "the validator-set hash does not match");
        Reject(header.TransactionCount != transactions.Count || transactions.Count > Limits.MaxTransactionsPerBlock, height, "the transaction count does not match");
        Reject(transactions.Sum(t => (long)t.EncodedLength) > Limits.MaxBlockBytes, height, "the block is too large");
        Reject(Block.ComputeTransactionsRoot(Suite, transactions) != header.TransactionsRoot, height, "the transactions root does not match");

        var blockState = new StateOverlay(_state);
        for (var i = 0; i < transactions.Count; i++)
        {
            var result = ExecuteTransaction(blockState, transactions[i], transactions[i].ComputeId(Suite), new BlockContext(height, header.TimeUnixMilliseconds, header.Proposer, i));
            Reject(!result.IsAccepted, height, $"transaction {i} is invalid: {result.Rejection}: {result.Reason}");
        }

        EndBlock(blockState, new BlockContext(height, header.TimeUnixMilliseconds, header.Proposer, transactions.Count), transactions);
        var prepared = _state.Prepare(blockState.Writes);
        Reject(prepared.Root != header.StateRoot, height, $"the state root {header.StateRoot.ToShortString()} does not match the executed state {prepared.Root.ToShortString()}");
        return prepared;
    }

    /// <summary>Installs a block that consensus committed and the store has saved.</summary>
    public void Commit(BlockHeader header, IReadOnlyList<Transaction> transactions, PreparedState prepared)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(transactions);
        ArgumentNullException.ThrowIfNull(prepared);
        Invariant.Check(header.Height == Height + 1, "blocks commit in height order");
        Invariant.Check(header.StateRoot == prepared.Root, "the committed header names the prepared root");
        _commitLock.EnterWriteLock();
        try
        {
            _state.Apply(prepared);
            Height = header.Height;
            LastBlockHash = header.ComputeHash(Suite);
            LastTimeUnixMilliseconds = header.TimeUnixMilliseconds;
            if (prepared.Changes.TryGet(StateKeys.Validators(), out var validators) && validators is not null)
            {
                ValidatorSet = ValidatorSet.Decode(validators);
            }
        }
        finally
        {
            _commitLock.ExitWriteLock();
        }

        foreach (var transaction in transactions)
        {
            _verified.Remove(transaction.ComputeId(Suite));
        }
    }

    /// <inheritdoc />
    public void Dispose() => _commitLock.Dispose();

    /// <summary>Reads a committed state value.</summary>
    public byte[]? Query(ReadOnlySpan<byte> key)
    {
        _commitLock.EnterReadLock();
        try
        {
            return _state.GetValue(key);
        }
        finally
        {
            _commitLock.ExitReadLock();
        }
    }

    /// <summary>The committed account with this key id, or null.</summary>
    public Account? GetAccount(Hash keyId)
    {
        var value = Query(StateKeys.Account(keyId));
        return value is null ? null : Account.Decode(value);
    }

    /// <summary>Every committed state entry in commitment order.</summary>
    public IEnumerable<KeyValuePair<byte[], byte[]>> StateEntries() => _state.Entries();

    private TransactionResult ExecuteTransaction(StateOverlay blockState, Transaction transaction, Hash transactionId, BlockContext block)
    {
        var height = block.Height;
        var time = block.Time;
        var transactionState = new StateOverlay(blockState);
        if (transaction.Type == TransactionType.CommitReport && Genesis.Credit is not null)
        {
            // No sender, nonce or signature of its own: the certificate proves it (docs/credit.md).
            var report = ExecuteCommitReport(transactionState, transaction, transactionId, block);
            if (report.IsAccepted)
            {
                transactionState.MergeInto(blockState);
            }

            return report;
        }

        var result = Validate(transactionState, transaction, transactionId, height, out var sender);
        if (!result.IsAccepted)
        {
            return result;
        }

        try
        {
            result = transaction.Type switch
            {
                TransactionType.AccountRegister => ExecuteAccountRegister(transactionState, sender!, AccountRegisterPayload.Decode(transaction.Payload.Span), height),
                TransactionType.AccountRevoke => ExecuteAccountRevoke(transactionState, sender!, transaction.Sender, AccountRevokePayload.Decode(transaction.Payload.Span)),
                TransactionType.CommitmentAnchor => ExecuteCommitmentAnchor(transactionState, transaction.Sender, CommitmentAnchorPayload.Decode(transaction.Payload.Span), height),
                TransactionType.UserRegister => ExecuteUserRegister(transactionState, sender!, UserRegisterPayload.Decode(transaction.Payload.Span), height),
                TransactionType.KeyRotate => ExecuteKeyRotate(transactionState, sender!, transaction.Sender, KeyRotatePayload.Decode(transaction.Payload.Span), height),
                TransactionType.OrganisationPropose => ExecuteOrganisationPropose(transactionState, sender!, transactionId, OrganisationProposePayload.Decode(transaction.Payload.Span), height, time),
                TransactionType.OrganisationVote => ExecuteOrganisationVote(transactionState, sender!, OrganisationVotePayload.Decode(transaction.Payload.Span), height, time),
                TransactionType.RecordAnchor => ExecuteRecordAnchor(transactionState, sender!, transaction.Sender, RecordAnchorPayload.Decode(transaction.Payload.Span), height, time),
                TransactionType.ConsentGrant => ExecuteConsentGrant(transactionState, sender!, transaction.Sender, transactionId, ConsentGrantPayload.Decode(transaction.Payload.Span), height, time),
                TransactionType.ConsentRevoke => ExecuteConsentRevoke(transactionState, sender!, transaction.Sender, ConsentRevokePayload.Decode(transaction.Payload.Span), height, time),
                TransactionType.AccessLog => ExecuteAccessLog(transactionState, sender!, AccessLogPayload.Decode(transaction.Payload.Span), time),
                TransactionType.RecordErase => ExecuteRecordErase(transactionState, sender!, transaction.Sender, RecordErasePayload.Decode(transaction.Payload.Span), height),
                TransactionType.DoubleVoteEvidence => ExecuteDoubleVoteEvidence(transactionState, sender!, DoubleVoteEvidencePayload.Decode(transaction.Payload.Span), height),
                TransactionType.EmergencyContactsSet => ExecuteEmergencyContactsSet(transactionState, sender!, transaction.Sender, EmergencyContactsPayload.Decode(transaction.Payload.Span), height),
                TransactionType.AccessRequest => ExecuteAccessRequest(transactionState, sender!, transaction.Sender, transactionId, AccessRequestPayload.Decode(transaction.Payload.Span), height),
                TransactionType.AccessRequestRespond => ExecuteAccessRequestRespond(transactionState, sender!, transaction.Sender, AccessRequestRespondPayload.Decode(transaction.Payload.Span), height, time),
                TransactionType.RecordWriteRequest => ExecuteRecordWriteRequest(transactionState, sender!, transaction.Sender, RecordWriteRequestPayload.Decode(transaction.Payload.Span), height, time),
                TransactionType.RecordWriteRespond => ExecuteRecordWriteRespond(transactionState, sender!, transaction.Sender, RecordWriteRespondPayload.Decode(transaction.Payload.Span), height),
                _ => TransactionResult.Reject(TransactionRejection.UnknownType, $"type {(ushort)transaction.Type} is unknown"),
            };
        }
        catch (DecodingException exception)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, exception.Message);
        }

        if (!result.IsAccepted)
        {
            return result;
        }

        // Re-read the sender if the transaction itself changed the account (e.g. an administrator revoking itself).
        var senderKey = StateKeys.Account(transaction.Sender);
        var current = transactionState.Writes.TryGet(senderKey, out var written) ? Account.Decode(written!) : sender!;
        transactionState.Set(senderKey, (current with { Nonce = transaction.Nonce }).Encode());
        transactionState.MergeInto(blockState);
        return TransactionResult.Accepted;
    }

    private TransactionResult Validate(IStateReader state, Transaction transaction, Hash transactionId, ulong height, out Account? sender)
    {
        sender = null;
        if (transaction.ChainId != ChainId)
        {
            return TransactionResult.Reject(TransactionRejection.WrongChain, $"the transaction is for chain '{transaction.ChainId}', this is '{ChainId}'");
        }

        if (!Enum.IsDefined(transaction.Type) || transaction.Type == TransactionType.None)
        {
            return TransactionResult.Reject(TransactionRejection.UnknownType, $"type {(ushort)transaction.Type} is unknown");
        }

        if ((transaction.Type is TransactionType.CommitReport or TransactionType.DoubleVoteEvidence) && Genesis.Credit is null)
        {
            return TransactionResult.Reject(TransactionRejection.UnknownType, $"type {transaction.Type} is unknown on a chain without credit (its genesis has no credit parameters)");
        }

        if (transaction.Type == TransactionType.CommitReport)
        {
            return TransactionResult.Reject(TransactionRejection.MisplacedTransaction, "a commit report is valid only as the first transaction of a block, put there by its proposer");
        }

        if (transaction.ExpiryHeight < height)
        {
            return TransactionResult.Reject(TransactionRejection.Expired, $"the transaction expired at height {transaction.ExpiryHeight}");
        }

        if (transaction.ExpiryHeight - height > Limits.MaxExpiryWindowBlocks)
        {
            return TransactionResult.Reject(TransactionRejection.ExpiryTooFar, $"the expiry height lies more than {Limits.MaxExpiryWindowBlocks} blocks ahead");
        }

        var encodedAccount = state.GetValue(StateKeys.Account(transaction.Sender));
        if (encodedAccount is null)
        {
            return TransactionResult.Reject(TransactionRejection.UnknownSender, $"key {transaction.Sender.ToShortString()} is not registered");
        }

        sender = Account.Decode(encodedAccount);
        if (sender.Revoked)
        {
            return TransactionResult.Reject(TransactionRejection.SenderRevoked, $"key {transaction.Sender.ToShortString()} was revoked");
        }

        if (!sender.Successor.IsZero)
        {
            return TransactionResult.Reject(TransactionRejection.SenderRotated, $"key {transaction.Sender.ToShortString()} was replaced by {sender.Successor.ToShortString()}");
        }

        if (sender.Organisation.Length != 0 && !IsActiveOrganisation(state, sender.Organisation))
        {
            return TransactionResult.Reject(TransactionRejection.OrganisationInactive, $"organisation '{sender.Organisation}' is not an active member");
        }

        if (transaction.Nonce <= sender.Nonce)
        {
            return TransactionResult.Reject(TransactionRejection.NonceReused, $"nonce {transaction.Nonce} is not above the sender's last nonce {sender.Nonce}");
        }

        if (!_verified.Contains(transactionId))
        {
            if (!Suite.Verify(sender.PublicKey, transaction.EncodeSigningBytes(), transaction.Signature.Span))
            {
                return TransactionResult.Reject(TransactionRejection.InvalidSignature, "the signature does not verify under the sender's key");
            }

            var embedded = VerifyEmbeddedSignatures(state, transaction);
            if (!embedded.IsAccepted)
            {
                return embedded;
            }

            _verified.Add(transactionId);
        }

        return TransactionResult.Accepted;
    }

    private TransactionResult ExecuteAccountRegister(StateOverlay state, Account sender, AccountRegisterPayload payload, ulong height)
    {
        if (sender.Role != AccountRole.Administrator)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "only administrators register accounts");
        }

        if (!Suite.IsValidPublicKey(payload.PublicKey))
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, $"the public key is not a valid {Suite.Name} key");
        }

        if (payload.Role is not (AccountRole.Administrator or AccountRole.Member))
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, "the role is unknown (users of organisations are registered with UserRegister)");
        }

        if (payload.Name.Length == 0)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, "the account needs a name");
        }

        var key = StateKeys.Account(Suite.Hash(payload.PublicKey));
        if (state.GetValue(key) is not null)
        {
            return TransactionResult.Reject(TransactionRejection.AlreadyExists, "the key is already registered");
        }

        state.Set(key, new Account(payload.PublicKey, payload.Role, payload.Name, 0, height, false).Encode());
        return TransactionResult.Accepted;
    }

    private static TransactionResult ExecuteAccountRevoke(StateOverlay state, Account sender, Hash senderId, AccountRevokePayload payload)
    {
        if (sender.Role is not AccountRole.Administrator and not AccountRole.OrgAdmin)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "only administrators and org admins revoke accounts");
        }

        if (payload.Account == senderId)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, "an administrator cannot revoke itself");
        }

        var key = StateKeys.Account(payload.Account);
        var encoded = state.GetValue(key);
        if (encoded is null)
        {
            return TransactionResult.Reject(TransactionRejection.NotFound, "no such account");
        }

        var account = Account.Decode(encoded);
        if (!account.Successor.IsZero && ReadUser(state, account.EffectiveUserId(payload.Account)) is { } current)
        {
            // A replaced key is dead already; revoking it means revoking the user, i.e. the user's current key.
            if (current.KeyId == senderId)
            {
                return TransactionResult.Reject(TransactionRejection.InvalidPayload, "an administrator cannot revoke itself");
            }

            key = StateKeys.Account(current.KeyId);
            account = current.Account;
        }

        if (sender.Role == AccountRole.OrgAdmin && !string.Equals(account.Organisation, sender.Organisation, StringComparison.Ordinal))
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "an org admin revokes only accounts of its own organisation");
        }

        if (account.Revoked)
        {
            return TransactionResult.Reject(TransactionRejection.AlreadyExists, "the account is already revoked");
        }

        state.Set(key, (account with { Revoked = true }).Encode());
        return TransactionResult.Accepted;
    }

    private static TransactionResult ExecuteCommitmentAnchor(StateOverlay state, Hash sender, CommitmentAnchorPayload payload, ulong height)
    {
        var key = StateKeys.Anchor(payload.Commitment);
        if (state.GetValue(key) is not null)
        {
            return TransactionResult.Reject(TransactionRejection.AlreadyExists, "the commitment is already anchored");
        }

        state.Set(key, new AnchorRecord(sender, height).Encode());
        return TransactionResult.Accepted;
    }

    private static void Reject(bool condition, ulong height, string reason)
    {
        if (condition)
        {
            throw new InvalidBlockException(height, reason);
        }
    }
}

/// <summary>A proposer's block before consensus: header, transactions, the state it yields, and refused candidates.</summary>
public sealed record BlockProposal(BlockHeader Header, IReadOnlyList<Transaction> Transactions, PreparedState Prepared, IReadOnlyList<(Transaction Transaction, TransactionResult Result)> Rejected);

/// <summary>A block does not follow the rules; it must not be voted for, committed or served.</summary>
public sealed class InvalidBlockException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InvalidBlockException(ulong height, string reason)
        : base($"Block {height} is invalid: {reason}.")
    {
        Height = height;
        Reason = reason;
    }

    /// <summary>Creates the exception.</summary>
    public InvalidBlockException()
    {
        Reason = string.Empty;
    }

    /// <summary>Creates the exception.</summary>
    public InvalidBlockException(string message)
        : base(message)
    {
        Reason = message;
    }

    /// <summary>Creates the exception.</summary>
    public InvalidBlockException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = message;
    }

    /// <summary>The height of the invalid block.</summary>
    public ulong Height { get; }

    /// <summary>What is wrong with it.</summary>
    public string Reason { get; }
}

/// <summary>Stored state does not match the state root a block commits to.</summary>
public sealed class StateMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StateMismatchException(ulong height, string reason)
        : base($"State mismatch at height {height}: {reason}.")
    {
        Height = height;
    }

    /// <summary>Creates the exception.</summary>
    public StateMismatchException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public StateMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public StateMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The height whose state root does not match.</summary>
    public ulong Height { get; }
}
