using System.Threading.Channels;
using MedLedger.Client;
using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Ledger;
using MedLedger.Storage;
using Microsoft.Extensions.Logging;

namespace MedLedger.Node;

/// <summary>
/// Connects the pure consensus engine to the world (ARCHITECTURE §3): one loop feeds it inputs one at a time
/// and carries out its outputs — building proposals from the mempool with the real clock, journalling them,
/// scheduling timeouts, and saving decided blocks to the store before applying them to the in-memory ledger.
/// Any failure here is fatal for the node: it stops rather than continue with a state it cannot vouch for.
/// </summary>
public sealed partial class ConsensusDriver
{
    private readonly LedgerStateMachine _ledger;
    private readonly IChainStore _store;
    private readonly Mempool _mempool;
    private readonly IConsensusEngine _engine;
    private readonly ProposalJournal _journal;
    private readonly CommitNotifier _notifier;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly Hash _nodeId;
    private readonly Channel<ConsensusInput> _inputs = Channel.CreateUnbounded<ConsensusInput>(new UnboundedChannelOptions { SingleReader = true });
    private BlockProposal? _proposal;
    private int _availableSignalled;

    public ConsensusDriver(LedgerStateMachine ledger, IChainStore store, Mempool mempool, IConsensusEngine engine, ProposalJournal journal, CommitNotifier notifier, Hash nodeId, TimeProvider clock, ILogger<ConsensusDriver> logger)
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
    }

    /// <summary>Raised on the driver's loop after a block is saved and applied, with its height; handlers must be quick.</summary>
    public event Action<ulong>? BlockCommitted;

    /// <summary>True once the loop runs; false again if it stopped.</summary>
    public bool IsRunning { get; private set; }

    /// <summary>Tells the engine that the mempool has work; cheap to call often.</summary>
    public void NotifyTransactionsAvailable()
    {
        if (Interlocked.Exchange(ref _availableSignalled, 1) == 0)
        {
            _inputs.Writer.TryWrite(new TransactionsAvailable());
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        IsRunning = true;
        try
        {
            _inputs.Writer.TryWrite(new EngineStarted(_ledger.Height, _ledger.ValidatorSet));
            if (_mempool.Count > 0 || _journal.Load(_ledger.Height + 1) is not null)
            {
                NotifyTransactionsAvailable();
            }

            await foreach (var input in _inputs.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (input is TransactionsAvailable)
                {
                    Volatile.Write(ref _availableSignalled, 0);
                }

                foreach (var output in _engine.Handle(input))
                {
                    Execute(output);
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

    private void Execute(ConsensusOutput output)
    {
        switch (output)
        {
            case BuildProposal build:
                BuildProposal(build);
                break;
            case ScheduleTimeout timeout:
                _ = FireTimeoutAsync(timeout);
                break;
            case BroadcastVote:
                // A single-validator chain has no peers to tell; the peer network delivers votes in a consortium.
                break;
            case CommitBlock commit:
                Commit(commit);
                break;
            default:
                throw new InvariantViolationException($"the driver handles every engine output, not {output.GetType().Name}");
        }
    }

    private void BuildProposal(BuildProposal build)
    {
        Invariant.Check(build.Height == _ledger.Height + 1, "proposals are built for the next height");
        var journalled = _journal.Load(build.Height);
        if (journalled is { } replay)
        {
            // A proposal for this height was journalled before a crash and may already be signed: decide it again.
            var prepared = _ledger.ExecuteBlock(replay.Header, replay.Transactions);
            _proposal = new BlockProposal(replay.Header, replay.Transactions, prepared, []);
            LogReplayedProposal(build.Height);
        }
        else
        {
            var candidates = _mempool.Reap(Limits.MaxTransactionsPerBlock, Limits.MaxBlockBytes);
            var proposal = _ledger.PrepareBlock(_clock.GetUtcNow().ToUnixTimeMilliseconds(), _nodeId, candidates);
            DropRejected(proposal.Rejected);
            if (proposal.Transactions.Count == 0)
            {
                _proposal = null;
                _inputs.Writer.TryWrite(new ProposalEmpty(build.Height, build.Round));
                return;
            }

            _journal.Save(proposal.Header, proposal.Transactions);
            _proposal = proposal;
        }

        _inputs.Writer.TryWrite(new ProposalBuilt(build.Height, build.Round, _proposal.Header.ComputeHash(_ledger.Suite)));
    }

    private void Commit(CommitBlock commit)
    {
        var proposal = _proposal;
        Invariant.Check(proposal is not null && proposal.Header.Height == commit.Height, "the decided block is the one proposed");
        Invariant.Check(proposal.Header.ComputeHash(_ledger.Suite) == commit.BlockHash, "the decided hash is the proposal's");
        var block = new Block(proposal.Header, proposal.Transactions, commit.Certificate);

        // Durable first, then visible: the store commits the block and its state atomically, then memory follows.
        _store.SaveBlock(block, proposal.Prepared.Changes);
        _ledger.Commit(block.Header, block.Transactions, proposal.Prepared);
        _proposal = null;

        var ids = new Hash[block.Transactions.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = block.Transactions[i].ComputeId(_ledger.Suite);
        }

        _mempool.Remove(ids);
        for (var i = 0; i < ids.Length; i++)
        {
            _notifier.Complete(ids[i], new SubmittedTransaction(ids[i].ToString(), "committed", block.Header.Height, i));
        }

        LogCommitted(block.Header.Height, ids.Length, commit.BlockHash);
        BlockCommitted?.Invoke(block.Header.Height);

        _inputs.Writer.TryWrite(new BlockCommitted(block.Header.Height, _ledger.ValidatorSet));
        if (_mempool.Count > 0)
        {
            NotifyTransactionsAvailable();
        }
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

    private async Task FireTimeoutAsync(ScheduleTimeout timeout)
    {
        await Task.Delay(timeout.Delay, _clock).ConfigureAwait(false);
        _inputs.Writer.TryWrite(new TimeoutElapsed(timeout.Height, timeout.Round, timeout.Step));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Committed block {Height} with {Count} transaction(s), hash {Hash}")]
    private partial void LogCommitted(ulong height, int count, Hash hash);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped {Count} transaction(s) that no longer execute (e.g. a replayed nonce)")]
    private partial void LogDropped(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-deciding the journalled proposal for height {Height} after a restart")]
    private partial void LogReplayedProposal(ulong height);
}
