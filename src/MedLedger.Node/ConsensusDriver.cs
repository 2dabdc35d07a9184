using System.Threading.Channels;
using MedLedger.Client;
using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Ledger;
using MedLedger.Node.Consortium;
using MedLedger.Storage;
using Microsoft.Extensions.Logging;

namespace MedLedger.Node;

/// <summary>
/// Connects the pure consensus engine to the world (ARCHITECTURE §3, ADR 0008): one loop feeds it inputs one at a time
/// and carries out every output — building proposals from the mempool with the real clock (journalled first), sending
/// proposals and votes to peers, validating received blocks against committed state, saving the lock, scheduling
/// timeouts, fetching blocks by block sync, and saving decided blocks to the store before applying them to the
/// in-memory ledger. Inputs that follow from an output (a built proposal, a validation verdict, a committed block) are
/// handed back before anything else is read, as in the simulator. Any failure here is fatal for the node: it stops
/// rather than continue with a state it cannot vouch for.
/// </summary>
public sealed partial class ConsensusDriver
{
    /// <summary>Most blocks (built, proposed by peers, fetched by sync) held before commit.</summary>
    public const int MaxCachedBlocks = 64;

    /// <summary>Most pieces of evidence kept in memory (oldest dropped first).</summary>
    public const int MaxEvidence = 256;

    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan SyncRequestTimeout = TimeSpan.FromSeconds(5);

    private readonly LedgerStateMachine _ledger;
    private readonly IChainStore _store;
    private readonly Mempool _mempool;
    private readonly IConsensusEngine _engine;
    private readonly ProposalJournal _journal;
    private readonly CommitNotifier _notifier;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly Hash _nodeId;
    private readonly ConsensusLockFile? _lockFile;
    private readonly ValidatorSetHistory? _validatorSets;
    private readonly Channel<Work> _inputs = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Queue<ConsensusInput> _followUps = new();
    private readonly Dictionary<Hash, CachedBlock> _blocks = [];
    private readonly Dictionary<Hash, ulong> _peerHeights = [];
    private readonly Lock _evidenceLock = new();
    private readonly LinkedList<ConsensusEvidence> _evidence = new();
    private long _cacheSequence;
    private CommitCertificate? _lastCertificate;
    private int _gapRetryScheduled;
    private int _availableSignalled;
    private Hash _lockedBlock;
    private Hash? _syncPeer;
    private long _syncRequestedAt;
    private SyncProgress? _sync;
    private bool _consortiumChanged;
    private BuildProposal? _deferredBuild;

    public ConsensusDriver(LedgerStateMachine ledger, IChainStore store, Mempool mempool, IConsensusEngine engine, ProposalJournal journal, CommitNotifier notifier, Hash nodeId, TimeProvider clock, ILogger<ConsensusDriver> logger, ConsensusLockFile? lockFile = null, ValidatorSetHistory? validatorSets = null)
    {
        _ledger = ledger;
        _store = store;
        _mempool = mempool;
        _engine = engine;
        _journal = journal;
        _notifier = notifier;
        _nodeId = nodeId;
        _clock = clock;
        _logger = logger;
        _lockFile = lockFile;
        _validatorSets = validatorSets;
        Pacing = new BlockPacer(clock);
    }

    /// <summary>Block pacing: how long after a commit a small mempool waits before it is built into a proposal. Set before <see cref="RunAsync"/>.</summary>
    public BlockPacer Pacing { get; set; }

    /// <summary>Raised on the driver's loop after a block is saved and applied, with the block; handlers must be quick.</summary>
    public event Action<Block>? BlockCommitted;

    /// <summary>
    /// Raised on the driver's loop when the engine finds proof that a validator signed conflicting messages. The hook for
    /// an evidence transaction (the credit rules cut the offender's score); handlers must be quick and must not throw.
    /// </summary>
    public event Action<ConsensusEvidence>? EvidenceFound;

    /// <summary>True once the loop runs; false again if it stopped.</summary>
    public bool IsRunning { get; private set; }

    /// <summary>The peer network, when the node is a consortium member; set before <see cref="RunAsync"/>.</summary>
    public IConsensusTransport? Transport { get; set; }

    /// <summary>The last block-sync run that applied blocks (for logs, status and benchmarks), or null.</summary>
    public BlockSyncReport? LastSync { get; private set; }

    /// <summary>Evidence found since start, oldest first, at most <see cref="MaxEvidence"/>.</summary>
    public IReadOnlyList<ConsensusEvidence> Evidence
    {
        get
        {
            lock (_evidenceLock)
            {
                return [.. _evidence];
            }
        }
    }

    /// <summary>Tells the engine that the mempool has work; cheap to call often.</summary>
    public void NotifyTransactionsAvailable()
    {
        if (Interlocked.Exchange(ref _availableSignalled, 1) == 0)
        {
            _inputs.Writer.TryWrite(new EngineWork(new TransactionsAvailable()));
        }
    }

    /// <summary>Gossips transactions the API admitted to the mempool (no-op without a peer network).</summary>
    public void TransactionsAdmitted(IReadOnlyList<Transaction> transactions)
    {
        if (transactions.Count > 0)
        {
            Transport?.BroadcastTransactions(transactions);
        }
    }

    /// <summary>A peer sent a proposal whose header hashes to the proposal's block hash (checked by the caller).</summary>
    public void ProposalArrived(ProposalMessage message, Hash from) => _inputs.Writer.TryWrite(new ProposalWork(message, from));

    /// <summary>A peer sent a vote.</summary>
    public void VoteArrived(SignedVote vote, Hash from) => _inputs.Writer.TryWrite(new EngineWork(new VoteReceived(vote, from)));

    /// <summary>A peer answered a block-sync request with consecutive blocks whose headers hash to their certificates.</summary>
    public void BlocksArrived(IReadOnlyList<Block> blocks, bool more, Hash from) => _inputs.Writer.TryWrite(new BlocksWork(blocks, more, from));

    /// <summary>A peer told its committed height.</summary>
    public void PeerHeightArrived(Hash peer, ulong height) => _inputs.Writer.TryWrite(new PeerHeightWork(peer, height));

    /// <summary>A peer disconnected.</summary>
    public void PeerLeft(Hash peer) => _inputs.Writer.TryWrite(new PeerLeftWork(peer));

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        IsRunning = true;
        using var ticker = Transport is null ? null : new Timer(_ => _inputs.Writer.TryWrite(new TickWork()), null, TickInterval, TickInterval);
        try
        {
            Feed(new EngineStarted(_ledger.Height, _ledger.ValidatorSet, RestoreLock()));
            if (_mempool.Count > 0 || _journal.Load(_ledger.Height + 1) is not null)
            {
                NotifyTransactionsAvailable();
            }

            Transport?.AnnounceHeight(_ledger.Height);
            await foreach (var work in _inputs.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                switch (work)
                {
                    case EngineWork { Input: TransactionsAvailable } engineWork:
                        Volatile.Write(ref _availableSignalled, 0);
                        if (_deferredBuild is { } waiting && _mempool.Count >= Pacing.FullBlockTransactions)
                        {
                            // The mempool filled up while a paced proposal waited: build it now.
                            BuildDeferred(waiting);
                        }

                        Feed(engineWork.Input);
                        break;
                    case DeferredBuildWork deferred:
                        if (ReferenceEquals(_deferredBuild, deferred.Build))
                        {
                            BuildDeferred(deferred.Build);
                        }

                        break;
                    case EngineWork engineWork:
                        Feed(engineWork.Input);
                        break;
                    case ProposalWork proposal:
                        OnProposal(proposal.Message, proposal.From);
                        break;
                    case BlocksWork blocks:
                        OnBlocks(blocks);
                        break;
                    case PeerHeightWork peerHeight:
                        _peerHeights[peerHeight.Peer] = peerHeight.Height;
                        MaybeRequestSync(null);
                        break;
                    case PeerLeftWork left:
                        _peerHeights.Remove(left.Peer);
                        break;
                    case TickWork:
                        if (_consortiumChanged)
                        {
                            // At most once per tick: the refresh scans the committed state for node keys.
                            _consortiumChanged = false;
                            Transport?.ConsortiumMayHaveChanged();
                        }

                        MaybeRequestSync(null);
                        break;
                    default:
                        throw new InvariantViolationException($"unknown driver work {work.GetType().Name}");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Normal shutdown.
        }
        finally
        {
            IsRunning = false;
        }
    }

    /// <summary>Hands one input to the engine and carries out the outputs, and the inputs they lead to, in order.</summary>
    private void Feed(ConsensusInput input)
    {
        _followUps.Enqueue(input);
        DrainFollowUps();
    }

    private void DrainFollowUps()
    {
        while (_followUps.TryDequeue(out var next))
        {
            foreach (var output in _engine.Handle(next))
            {
                Execute(output);
            }
        }
    }

    private void Execute(ConsensusOutput output)
    {
        switch (output)
        {
            case BuildProposal build:
                var delay = Pacing.DelayBeforeBuild(_mempool.Count);
                if (delay > TimeSpan.Zero)
                {
                    // Paced (BlockPacer): answer the engine after the delay, with whatever arrived meanwhile.
                    _deferredBuild = build;
                    _ = FireWorkAsync(delay, new DeferredBuildWork(build));
                }
                else
                {
                    _deferredBuild = null;
                    BuildProposal(build);
                }

                break;
            case ScheduleTimeout timeout:
                _ = FireAsync(timeout.Delay, new TimeoutElapsed(timeout.Height, timeout.Round, timeout.Step));
                break;
            case ScheduleRebroadcast rebroadcast:
                _ = FireAsync(rebroadcast.Delay, new RebroadcastElapsed(rebroadcast.Height, rebroadcast.Round));
                break;
            case BroadcastVote broadcast:
                // A single-validator chain has no peers to tell.
                Transport?.BroadcastVote(broadcast.Vote);
                break;
            case BroadcastProposal broadcast:
                BroadcastProposal(broadcast);
                break;
            case ValidateProposal validate:
                _followUps.Enqueue(new ProposalValidated(validate.Height, validate.BlockHash, Validate(validate.BlockHash) is not null));
                break;
            case CommitBlock commit:
                Commit(commit);
                break;
            case SaveLock save:
                SaveLock(save.Lock);
                break;
            case SyncNeeded sync:
                MaybeRequestSync(sync.Peer);
                break;
            case EvidenceFound found:
                RecordEvidence(found.Evidence);
                break;
            case PeerMisbehaved misbehaved:
                LogPeerMisbehaved(misbehaved.Peer, misbehaved.Reason);
                if (!misbehaved.Peer.IsZero)
                {
                    Transport?.Penalize(misbehaved.Peer, misbehaved.Reason);
                }

                break;
            default:
                throw new InvariantViolationException($"the driver handles every engine output, not {output.GetType().Name}");
        }
    }

    private void BuildDeferred(BuildProposal build)
    {
        _deferredBuild = null;
        if (build.Height == _ledger.Height + 1)
        {
            // The engine ignores the answer if it moved on to another round meanwhile (it then asked again).
            BuildProposal(build);
            DrainFollowUps();
        }
    }

    private void BuildProposal(BuildProposal build)
    {
        Invariant.Check(build.Height == _ledger.Height + 1, "proposals are built for the next height");
        CachedBlock block;
        var journalled = _journal.Load(build.Height);
        if (journalled is { } replay)
        {
            // A proposal for this height was journalled before a crash and may already be signed: propose it again.
            var prepared = _ledger.ExecuteBlock(replay.Header, replay.Transactions);
            block = new CachedBlock(replay.Header, replay.Transactions, prepared, true, 0);
            LogReplayedProposal(build.Height);
        }
        else
        {
            var candidates = _mempool.Reap(Limits.MaxTransactionsPerBlock, Limits.MaxBlockBytes, sender => _ledger.GetAccount(sender)?.Nonce ?? 0);
            if (candidates.Count < Math.Min(_mempool.Count, Limits.MaxTransactionsPerBlock))
            {
                // Some sender's series waits at a gap for its missing nonce (Mempool.GapGrace): look again once the grace
                // is over, or an idle chain would leave them waiting for the next submission.
                RetryAfterGapGrace();
            }

            // On a chain with credit rules the proposal opens with the previous block's certificate (the commit report,
            // docs/credit.md), which rewards the validators that signed it; the ledger ignores it on other chains.
            var proposal = _ledger.PrepareBlock(_clock.GetUtcNow().ToUnixTimeMilliseconds(), _nodeId, candidates, lastCommit: LastCertificate());
            DropRejected(proposal.Rejected);
            if (!build.AllowEmpty && proposal.Transactions.All(t => t.Type == TransactionType.CommitReport))
            {
                _followUps.Enqueue(new ProposalEmpty(build.Height, build.Round));
                return;
            }

            // Durable before the engine may sign for it (ADR 0003): a restart proposes this same block again.
            _journal.Save(proposal.Header, proposal.Transactions);
            block = new CachedBlock(proposal.Header, proposal.Transactions, proposal.Prepared, true, 0);
        }

        var hash = block.Header.ComputeHash(_ledger.Suite);
        Cache(hash, block);
        _followUps.Enqueue(new ProposalBuilt(build.Height, build.Round, hash));
    }

    // The certificate of the last committed block: kept from the commit, or loaded once after a start.
    private CommitCertificate? LastCertificate()
    {
        if (_ledger.Credit is null || _ledger.Height == 0)
        {
            return null;
        }

        if (_lastCertificate is not { } certificate || certificate.Height != _ledger.Height)
        {
            _lastCertificate = _store.LoadBlock(_ledger.Height)?.Certificate;
        }

        return _lastCertificate;
    }

    private void BroadcastProposal(BroadcastProposal broadcast)
    {
        if (Transport is not { } transport)
        {
            return;
        }

        var block = _blocks.GetValueOrDefault(broadcast.Proposal.BlockHash)
            ?? throw new InvariantViolationException("the engine proposes only blocks the driver holds");
        transport.BroadcastProposal(new ProposalMessage(broadcast.Proposal, block.Header, block.Transactions), broadcast.ProofOfLock);
    }

    private void OnProposal(ProposalMessage message, Hash from)
    {
        var height = message.Header.Height;
        if (height <= _ledger.Height)
        {
            return;
        }

        // The engine decides the next height and buffers messages for the one after; anything later only says we lag.
        if (height <= _ledger.Height + 2 && !_blocks.ContainsKey(message.Proposal.BlockHash))
        {
            Cache(message.Proposal.BlockHash, new CachedBlock(message.Header, message.Transactions, null, null, 0));
        }

        Feed(new ProposalReceived(message.Proposal, from));
    }

    /// <summary>Executes a held block once against committed state; null when it is invalid (or not held).</summary>
    private PreparedState? Validate(Hash hash)
    {
        if (!_blocks.TryGetValue(hash, out var block) || block.Valid == false)
        {
            return null;
        }

        if (block.Prepared is not null)
        {
            return block.Prepared;
        }

        if (block.Header.Height != _ledger.Height + 1)
        {
            return null;
        }

        try
        {
            var prepared = _ledger.ExecuteBlock(block.Header, block.Transactions);
            _blocks[hash] = block with { Prepared = prepared, Valid = true };
            return prepared;
        }
        catch (InvalidBlockException exception)
        {
            LogInvalidBlock(block.Header.Height, hash, exception.Reason);
            _blocks[hash] = block with { Valid = false };
            return null;
        }
    }

    private void Commit(CommitBlock commit)
    {
        Invariant.Check(commit.Height == _ledger.Height + 1, "the decided height is the next one");
        var cached = _blocks.GetValueOrDefault(commit.BlockHash);
        Invariant.Check(cached is not null, "the driver holds every block the engine decides");
        if (cached.Prepared is null && cached.Valid is null)
        {
            // Decided without this node having executed it (block sync, or a quorum that formed before its own check):
            // the engine has verified a commit certificate of more than two thirds of the voting power, and those
            // validators executed the block, signature checks included. Under the BFT assumption that settles the
            // transactions' signatures, so execution skips them (signature checks bound catch-up, ADR 0008); it still
            // checks everything else, and `medledger chain verify` re-checks every signature.
            foreach (var transaction in cached.Transactions)
            {
                _ledger.VerifiedSignatures.Add(transaction.ComputeId(_ledger.Suite));
            }
        }

        var prepared = Validate(commit.BlockHash)
            ?? throw new InvariantViolationException($"more than two thirds of the validators certified block {commit.Height} ({commit.BlockHash.ToShortString()}), which does not execute");
        var block = new Block(cached.Header, cached.Transactions, commit.Certificate);

        // Durable first, then visible: the store commits the block and its state atomically, then memory follows.
        var validatorsBefore = _ledger.ValidatorSet;
        _store.SaveBlock(block, prepared.Changes);
        Pacing.Committed();
        _lastCertificate = commit.Certificate;
        _ledger.Commit(block.Header, block.Transactions, prepared);

        var ids = new Hash[block.Transactions.Count];
        var consortiumChanged = !ReferenceEquals(validatorsBefore, _ledger.ValidatorSet);
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = block.Transactions[i].ComputeId(_ledger.Suite);
            consortiumChanged |= block.Transactions[i].Type is TransactionType.AccountRegister or TransactionType.AccountRevoke or TransactionType.KeyRotate or TransactionType.UserRegister or TransactionType.OrganisationVote;
        }

        if (!ReferenceEquals(validatorsBefore, _ledger.ValidatorSet) && validatorsBefore.ComputeHash(_ledger.Suite) != _ledger.ValidatorSet.ComputeHash(_ledger.Suite))
        {
            // Kept so that a restart can check the next head's certificate against the set that signed it.
            _validatorSets?.Record(block.Header.Height + 1, _ledger.ValidatorSet);
        }

        _mempool.Remove(ids);
        for (var i = 0; i < ids.Length; i++)
        {
            _notifier.Complete(ids[i], new SubmittedTransaction(ids[i].ToString(), "committed", block.Header.Height, i));
        }

        foreach (var stale in _blocks.Where(b => b.Value.Header.Height <= commit.Height).Select(b => b.Key).ToList())
        {
            _blocks.Remove(stale);
        }

        LogCommitted(block.Header.Height, ids.Length, commit.BlockHash);
        BlockCommitted?.Invoke(block);
        _consortiumChanged |= consortiumChanged;
        if (_sync is null)
        {
            Transport?.AnnounceHeight(block.Header.Height);
        }

        _followUps.Enqueue(new BlockCommitted(block.Header.Height, _ledger.ValidatorSet));
        if (_mempool.Count > 0)
        {
            _followUps.Enqueue(new TransactionsAvailable());
        }
    }

    private void SaveLock(ConsensusLock consensusLock)
    {
        var block = _blocks.GetValueOrDefault(consensusLock.BlockHash)
            ?? throw new InvariantViolationException("the engine locks only on blocks the driver holds");
        Invariant.Check(_lockFile is not null, "a BFT engine runs with a lock file");
        _lockFile.Save(consensusLock, block.Header, block.Transactions);
        _lockedBlock = consensusLock.BlockHash;
    }

    private ConsensusLock? RestoreLock()
    {
        if (_lockFile?.Load() is not { } saved || saved.Lock.Height != _ledger.Height + 1)
        {
            return null;
        }

        Cache(saved.Lock.BlockHash, new CachedBlock(saved.Header, saved.Transactions, null, null, 0));
        _lockedBlock = saved.Lock.BlockHash;
        LogRestoredLock(saved.Lock.Height, saved.Lock.Round, saved.Lock.BlockHash);
        return saved.Lock;
    }

    private void Cache(Hash hash, CachedBlock block)
    {
        if (_blocks.Count >= MaxCachedBlocks && !_blocks.ContainsKey(hash))
        {
            // Evict the oldest block that is neither locked nor this node's own proposal of the next height.
            var victim = _blocks
                .Where(b => b.Key != _lockedBlock && !(b.Value.Valid == true && b.Value.Header.Height == _ledger.Height + 1))
                .OrderBy(b => b.Value.Sequence)
                .Select(b => (Hash?)b.Key)
                .FirstOrDefault();
            if (victim is not { } evicted)
            {
                return;
            }

            _blocks.Remove(evicted);
        }

        _blocks[hash] = block with { Sequence = ++_cacheSequence };
    }

    private void RecordEvidence(ConsensusEvidence evidence)
    {
        LogEvidence(evidence.Validator, evidence.Height, evidence.Round, evidence.GetType().Name);
        lock (_evidenceLock)
        {
            _evidence.AddLast(evidence);
            if (_evidence.Count > MaxEvidence)
            {
                _evidence.RemoveFirst();
            }
        }

        // Hook for the credit rules: an evidence transaction submitted from here cuts the offender's score.
        EvidenceFound?.Invoke(evidence);
    }

    /// <summary>Asks a peer ahead of this node for blocks, unless a request is already out and fresh.</summary>
    private void MaybeRequestSync(Hash? suggested)
    {
        if (Transport is not { } transport)
        {
            return;
        }

        var now = _clock.GetTimestamp();
        if (_syncPeer is not null && _clock.GetElapsedTime(_syncRequestedAt, now) < SyncRequestTimeout)
        {
            return;
        }

        if (_syncPeer is not null && _sync is { Blocks: 0 })
        {
            // The request went unanswered: a later run is timed from its own first request.
            _sync = null;
        }

        _syncPeer = null;
        var connected = transport.ConnectedPeers;
        Hash? peer = suggested is { IsZero: false } named && connected.Contains(named) ? named : null;
        if (peer is null)
        {
            var best = _peerHeights.Where(p => p.Value > _ledger.Height && connected.Contains(p.Key)).OrderByDescending(p => p.Value).FirstOrDefault();
            if (best.Value > _ledger.Height)
            {
                peer = best.Key;
            }
            else if (suggested is not null && connected.Count > 0)
            {
                // The engine saw a later height but no peer told us its height yet: ask anyone.
                peer = connected[(int)(_ledger.Height % (ulong)connected.Count)];
            }
        }

        if (peer is { } chosen && transport.RequestBlocks(chosen, _ledger.Height + 1))
        {
            _syncPeer = chosen;
            _syncRequestedAt = now;

            // The catch-up rate is measured from the first request, so it includes the peer's reads and the transfer.
            _sync ??= new SyncProgress(now, _ledger.Height);
        }
    }

    private void OnBlocks(BlocksWork work)
    {
        if (_syncPeer == work.From)
        {
            _syncPeer = null;
        }

        var first = work.Blocks.Count > 0 ? work.Blocks[0].Header.Height : 0;
        if (work.Blocks.Count == 0 || first > _ledger.Height + 1 || work.Blocks[^1].Header.Height <= _ledger.Height)
        {
            return;
        }

        // Pipelining: ask for the next batch before executing this one, so that the peer reads and sends while we execute.
        if (work.More && Transport is { } transport && transport.RequestBlocks(work.From, work.Blocks[^1].Header.Height + 1))
        {
            _syncPeer = work.From;
            _syncRequestedAt = _clock.GetTimestamp();
        }

        _sync ??= new SyncProgress(_clock.GetTimestamp(), _ledger.Height);
        foreach (var block in work.Blocks)
        {
            var height = block.Header.Height;
            if (height <= _ledger.Height)
            {
                continue;
            }

            var hash = block.Certificate.BlockHash;
            if (!_blocks.TryGetValue(hash, out var held) || held.Valid != true)
            {
                Cache(hash, new CachedBlock(block.Header, block.Transactions, null, null, 0));
            }

            // The engine verifies the certificate against the validator set of this height (the committed state's) and
            // decides the block; the commit executes it. A forged certificate makes the engine report the peer instead.
            Feed(new CommitReceived(block.Certificate, work.From));
            if (_ledger.Height != height)
            {
                break;
            }

            _sync.Transactions += block.Transactions.Count;
            _sync.Blocks++;
        }

        if (!work.More || _syncPeer is null)
        {
            FinishSync();
        }
    }

    private void FinishSync()
    {
        if (_sync is not { } sync)
        {
            return;
        }

        _sync = null;
        var blocks = _ledger.Height - sync.FromHeight;
        if (sync.Blocks == 0)
        {
            return;
        }

        var elapsed = _clock.GetElapsedTime(sync.StartedAt);
        var rate = sync.Transactions / Math.Max(elapsed.TotalSeconds, 1e-6);
        LastSync = new BlockSyncReport(sync.FromHeight + 1, _ledger.Height, sync.Transactions, elapsed, rate);
        LogSynced(blocks, sync.FromHeight + 1, _ledger.Height, sync.Transactions, (long)elapsed.TotalMilliseconds, (long)rate);
        Transport?.AnnounceHeight(_ledger.Height);
    }

    private void DropRejected(IReadOnlyList<(Transaction Transaction, TransactionResult Result)> rejected)
    {
        if (rejected.Count == 0)
        {
            return;
        }

        var ids = rejected.Select(r => r.Transaction.ComputeId(_ledger.Suite)).ToList();
        _mempool.Remove(ids);
        for (var i = 0; i < ids.Count; i++)
        {
            var result = rejected[i].Result;
            _notifier.Complete(ids[i], new SubmittedTransaction(ids[i].ToString(), "rejected", Code: result.Rejection.ToString(), Reason: result.Reason));
        }

        LogDropped(ids.Count);
    }

    private void RetryAfterGapGrace()
    {
        if (Interlocked.Exchange(ref _gapRetryScheduled, 1) == 0)
        {
            _ = RetryAsync();
        }

        async Task RetryAsync()
        {
            await Task.Delay(Mempool.GapGrace, _clock).ConfigureAwait(false);
            Volatile.Write(ref _gapRetryScheduled, 0);
            NotifyTransactionsAvailable();
        }
    }

    private async Task FireAsync(TimeSpan delay, ConsensusInput input)
    {
        await Task.Delay(delay, _clock).ConfigureAwait(false);
        _inputs.Writer.TryWrite(new EngineWork(input));
    }

    private async Task FireWorkAsync(TimeSpan delay, Work work)
    {
        await Task.Delay(delay, _clock).ConfigureAwait(false);
        _inputs.Writer.TryWrite(work);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Committed block {Height} with {Count} transaction(s), hash {Hash}")]
    private partial void LogCommitted(ulong height, int count, Hash hash);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped {Count} transaction(s) that no longer execute (e.g. a replayed nonce)")]
    private partial void LogDropped(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-proposing the journalled proposal for height {Height} after a restart")]
    private partial void LogReplayedProposal(ulong height);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Restored the consensus lock on block {Hash} (height {Height}, round {Round})")]
    private partial void LogRestoredLock(ulong height, uint round, Hash hash);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Proposed block {Height} ({Hash}) is invalid: {Reason}")]
    private partial void LogInvalidBlock(ulong height, Hash hash, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Peer {Peer} misbehaved: {Reason}")]
    private partial void LogPeerMisbehaved(Hash peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Evidence against validator {Validator} at height {Height}, round {Round}: {Kind}")]
    private partial void LogEvidence(Hash validator, ulong height, uint round, string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Block sync: applied {Blocks} block(s) {From}..{To} with {Transactions} transaction(s) in {Milliseconds} ms ({Rate} transactions/s)")]
    private partial void LogSynced(ulong blocks, ulong from, ulong to, long transactions, long milliseconds, long rate);

    /// <summary>A block held before commit: built, received with a proposal, restored with the lock or fetched by sync.</summary>
    private sealed record CachedBlock(BlockHeader Header, IReadOnlyList<Transaction> Transactions, PreparedState? Prepared, bool? Valid, long Sequence);

    private sealed class SyncProgress(long startedAt, ulong fromHeight)
    {
        public long StartedAt { get; } = startedAt;

        public ulong FromHeight { get; } = fromHeight;

        public long Transactions { get; set; }

        public long Blocks { get; set; }
    }

    private abstract record Work;

    private sealed record EngineWork(ConsensusInput Input) : Work;

    private sealed record ProposalWork(ProposalMessage Message, Hash From) : Work;

    private sealed record BlocksWork(IReadOnlyList<Block> Blocks, bool More, Hash From) : Work;

    private sealed record PeerHeightWork(Hash Peer, ulong Height) : Work;

    private sealed record PeerLeftWork(Hash Peer) : Work;

    private sealed record TickWork : Work;

    private sealed record DeferredBuildWork(BuildProposal Build) : Work;
}

/// <summary>One block-sync run: the heights applied, their transactions, the time it took and the rate.</summary>
public sealed record BlockSyncReport(ulong FromHeight, ulong ToHeight, long Transactions, TimeSpan Elapsed, double TransactionsPerSecond);
