using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Ledger;
using MedLedger.Node.Consortium;
using MedLedger.Storage;

namespace MedLedger.Node;

/// <summary>
/// The application service behind the ledger endpoints: admission of transactions to the mempool, and reads of
/// blocks, transactions (with inclusion proofs), accounts and node status. Endpoints call this, never the store
/// or the state machine directly.
/// </summary>
public sealed class LedgerService
{
    private readonly LedgerStateMachine _ledger;
    private readonly IChainStore _store;
    private readonly Mempool _mempool;
    private readonly CommitNotifier _notifier;
    private readonly ConsensusDriver _driver;
    private readonly NodeIdentity _identity;
    private readonly ConsortiumNetwork? _network;

    public LedgerService(LedgerStateMachine ledger, IChainStore store, Mempool mempool, CommitNotifier notifier, ConsensusDriver driver, NodeIdentity identity, ConsortiumNetwork? network = null)
    {
        _network = network;
        _ledger = ledger;
        _store = store;
        _mempool = mempool;
        _notifier = notifier;
        _driver = driver;
        _identity = identity;
    }

    /// <summary>
    /// Decodes, checks and admits each transaction; signatures of a batch are verified in parallel. When
    /// <paramref name="waitTimeout"/> is given, waits (at most that long) until each admitted transaction is
    /// committed or dropped.
    /// </summary>
    public async Task<IReadOnlyList<SubmittedTransaction>> SubmitAsync(IReadOnlyList<byte[]> encodedTransactions, TimeSpan? waitTimeout, CancellationToken cancellationToken)
    {
        var results = new SubmittedTransaction[encodedTransactions.Count];
        var waits = new Task<SubmittedTransaction>?[encodedTransactions.Count];
        var admissible = new (Transaction Transaction, Hash Id)?[encodedTransactions.Count];
        var options = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = encodedTransactions.Count >= 32 ? Environment.ProcessorCount : 1 };

        // In parallel: decode, check against committed state and verify the signature (the expensive part).
        Parallel.For(0, encodedTransactions.Count, options, i =>
        {
            Transaction transaction;
            try
            {
                transaction = Transaction.Decode(encodedTransactions[i]);
            }
            catch (DecodingException exception)
            {
                results[i] = Rejected(string.Empty, TransactionRejection.Malformed, exception.Message);
                return;
            }

            var id = transaction.ComputeId(_ledger.Suite);
            if (_mempool.Contains(id))
            {
                results[i] = Rejected(id.ToString(), TransactionRejection.Duplicate, "the transaction is already waiting for a block");
                return;
            }

            var check = _ledger.CheckTransaction(transaction, id);
            if (!check.IsAccepted)
            {
                results[i] = Rejected(id.ToString(), check.Rejection, check.Reason);
                return;
            }

            admissible[i] = (transaction, id);
        });

        var gossip = new List<Transaction>();

        // Then in request order: into the mempool. The consensus driver may reap a block between two of these adds;
        // that block must hold a prefix of the batch. Added from parallel threads, it could hold nonces 5 and 7 but
        // not 6, and as nonces may skip, 6 then failed NonceReused in the next block (0.6-8 % of a clean medledger bench).
        for (var i = 0; i < admissible.Length; i++)
        {
            if (admissible[i] is not { } entry)
            {
                continue;
            }

            var (transaction, id) = entry;
            if (waitTimeout is not null)
            {
                waits[i] = _notifier.Register(id);
            }

            var admitted = _mempool.TryAdd(transaction, id);
            if (!admitted.IsAccepted)
            {
                if (waits[i] is not null)
                {
                    _notifier.Forget(id);
                    waits[i] = null;
                }

                results[i] = Rejected(id.ToString(), admitted.Rejection, admitted.Reason);
                continue;
            }

            results[i] = new SubmittedTransaction(id.ToString(), "pending");
            gossip.Add(transaction);
        }

        _driver.TransactionsAdmitted(gossip);
        _driver.NotifyTransactionsAvailable();
        if (waitTimeout is { } timeout)
        {
            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(timeout);
            for (var i = 0; i < waits.Length; i++)
            {
                if (waits[i] is not { } wait)
                {
                    continue;
                }

                try
                {
                    results[i] = await wait.WaitAsync(timeoutSource.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Still pending when the wait ended; the caller can poll GET /transactions/{id}.
                    _notifier.Forget(Hash.Parse(results[i].Id));
                }
            }
        }

        return results;
    }

    public NodeStatus GetStatus()
    {
        var header = _ledger.Height == 0 ? null : _store.LoadHeader(_ledger.Height);
        var time = header?.TimeUnixMilliseconds ?? _ledger.Genesis.GenesisTimeUnixMilliseconds;
        var validators = _ledger.ValidatorSet;
        var peers = _network?.ConnectedPeers.Select(p => p.ToString()).Order(StringComparer.Ordinal).ToList() ?? [];
        var isValidator = validators.Find(_identity.KeyId) is not null;
        return new NodeStatus(
            _ledger.ChainId,
            _ledger.Suite.Name,
            _ledger.GenesisHash.ToString(),
            _identity.Name,
            _identity.KeyId.ToString(),
            _ledger.Height,
            _ledger.LastBlockHash.ToString(),
            DateTimeOffset.FromUnixTimeMilliseconds(time),
            _ledger.StateRoot.ToString(),
            _ledger.StateEntryCount,
            _mempool.Count,
            isValidator,
            validators.Validators.Count,
            typeof(LedgerService).Assembly.GetName().Version?.ToString() ?? "0.0.0",
            isValidator ? "validator" : "verifier",
            peers.Count,
            peers,
            [.. validators.Validators.Select(v => new NodeStatusValidator(v.KeyId.ToString(), v.Name, v.Power))]);
    }

    public BlockInfo? GetBlock(ulong height)
    {
        var block = height == 0 || height > _store.Height ? null : _store.LoadBlock(height);
        if (block is null)
        {
            return null;
        }

        var header = block.Header;
        return new BlockInfo(
            header.ComputeHash(_ledger.Suite).ToString(),
            ToInfo(header),
            [.. block.Transactions.Select(t => t.ComputeId(_ledger.Suite).ToString())],
            new CommitCertificateInfo(block.Certificate.Round, [.. block.Certificate.Signatures.Select(s => new CommitSignatureInfo(s.Validator.ToString(), Convert.ToBase64String(s.Signature)))]));
    }

    public TransactionInfo? GetTransaction(Hash id)
    {
        var location = _store.FindTransaction(id);
        if (location is null)
        {
            var pending = _mempool.Find(id);
            return pending is null
                ? null
                : new TransactionInfo(id.ToString(), "pending", pending.Type.ToString(), pending.Sender.ToString(), pending.Nonce, pending.ExpiryHeight, Convert.ToBase64String(pending.Encoded.Span));
        }

        var block = _store.LoadBlock(location.Height)!;
        var transaction = block.Transactions[location.Index];
        var leaves = Block.TransactionLeaves(_ledger.Suite, block.Transactions);
        var proof = MerkleTree.CreateProof(_ledger.Suite, leaves, location.Index);
        Invariant.Check(MerkleTree.VerifyProof(_ledger.Suite, block.Header.TransactionsRoot, leaves[location.Index], proof), "a served proof verifies");
        return new TransactionInfo(
            id.ToString(),
            "committed",
            transaction.Type.ToString(),
            transaction.Sender.ToString(),
            transaction.Nonce,
            transaction.ExpiryHeight,
            Convert.ToBase64String(transaction.Encoded.Span),
            location.Height,
            location.Index,
            new InclusionProofInfo(proof.Index, proof.LeafCount, leaves[location.Index].ToString(), [.. proof.Path.Select(h => h.ToString())], block.Header.TransactionsRoot.ToString()));
    }

    public AccountInfo? GetAccount(Hash keyId)
    {
        var account = _ledger.GetAccount(keyId);
        return account is null
            ? null
            : new AccountInfo(keyId.ToString(), Convert.ToHexStringLower(account.PublicKey), account.Role.ToString(), account.Name, account.Nonce, account.RegisteredHeight, account.Revoked, account.Organisation, account.EffectiveUserId(keyId).ToString());
    }

    private static SubmittedTransaction Rejected(string id, TransactionRejection rejection, string? reason) =>
        new(id, "rejected", Code: rejection.ToString(), Reason: reason);

    private static BlockHeaderInfo ToInfo(BlockHeader header) => new(
        header.ChainId,
        header.Height,
        DateTimeOffset.FromUnixTimeMilliseconds(header.TimeUnixMilliseconds),
        header.TimeUnixMilliseconds,
        header.PreviousBlockHash.ToString(),
        header.TransactionsRoot.ToString(),
        header.StateRoot.ToString(),
        header.Proposer.ToString(),
        header.ValidatorSetHash.ToString(),
        header.TransactionCount);
}

/// <summary>Who this node is: its display name and key id.</summary>
public sealed record NodeIdentity(string Name, Hash KeyId);
