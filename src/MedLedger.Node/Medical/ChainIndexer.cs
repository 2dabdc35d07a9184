using System.Threading.Channels;
using MedLedger.Core;
using MedLedger.Ledger;
using MedLedger.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MedLedger.Node.Medical;

/// <summary>
/// Keeps the node's chain index (records by patient and author, the access log) in step with committed blocks,
/// and carries out what committed transactions ask of this node's off-chain store: an erased record held here is
/// crypto-shredded (SPEC F23). The index is derived data: at start it catches up from the chain store, so a crash
/// between saving a block and indexing it loses nothing.
/// </summary>
public sealed partial class ChainIndexer : BackgroundService
{
    // Committed blocks handed over by the consensus loop, so that indexing does not read back from SQLite what was just
    // written there; bounded (a lagging indexer falls back to the chain store for what is not kept).
    private const int MaxHandedBlocks = 256;

    private readonly Channel<ulong> _signals = Channel.CreateBounded<ulong>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ulong, Block> _handed = new();
    private readonly IChainStore _chain;
    private readonly IRecordStore _records;
    private readonly LedgerStateMachine _ledger;
    private readonly HostedOrganisations _organisations;
    private readonly ILogger _logger;

    public ChainIndexer(IChainStore chain, IRecordStore records, LedgerStateMachine ledger, HostedOrganisations organisations, ConsensusDriver driver, ILogger<ChainIndexer> logger)
    {
        ArgumentNullException.ThrowIfNull(driver);
        _chain = chain;
        _records = records;
        _ledger = ledger;
        _organisations = organisations;
        _logger = logger;
        driver.BlockCommitted += block =>
        {
            if (_handed.Count < MaxHandedBlocks)
            {
                _handed.TryAdd(block.Header.Height, block);
            }

            _signals.Writer.TryWrite(block.Header.Height);
        };
    }

    /// <summary>Indexes every stored block not yet indexed; returns the indexed height.</summary>
    public ulong CatchUp()
    {
        // Pending writes the last pass left: past the per-block limit, or not yet applied by the ledger then.
        SettleExpiredWrites(_records.IndexedHeight);
        // Only blocks the ledger has applied: the consensus loop saves a block before it applies it, and indexing reads
        // the ledger (write requests' answers, records' holders), so a block seen in between waits for the next signal.
        while (_records.IndexedHeight < Math.Min(_chain.Height, _ledger.Height))
        {
            var height = _records.IndexedHeight + 1;
            var block = (_handed.TryRemove(height, out var handed) ? handed : _chain.LoadBlock(height)) ?? throw new InvalidOperationException($"block {height} is missing from the chain store");
            var batch = BuildBatch(block);
            SettleExpiredWrites(height);
            _records.Index(batch);
            foreach (var erased in batch.ErasedRecords)
            {
                if (_records.Shred(erased))
                {
                    LogShredded(erased);
                }
            }
        }

        // A block the loop indexed from the store before its hand-over arrived is not needed any more.
        var indexed = _records.IndexedHeight;
        foreach (var stale in _handed.Keys.Where(h => h <= indexed))
        {
            _handed.TryRemove(stale, out _);
        }

        return indexed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            CatchUp();
            await foreach (var _ in _signals.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                CatchUp();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Normal shutdown.
        }
    }

    private IndexBatch BuildBatch(Block block)
    {
        var records = new List<IndexedRecord>();
        var erased = new List<Hash>();
        var accesses = new List<(Hash, string, AccessLogEntry)>();
        var time = block.Header.TimeUnixMilliseconds;
        foreach (var transaction in block.Transactions)
        {
            var id = transaction.ComputeId(_ledger.Suite);
            var sender = _ledger.GetAccount(transaction.Sender);
            var organisation = sender?.Organisation ?? string.Empty;
            switch (transaction.Type)
            {
                case TransactionType.RecordAnchor:
                    {
                        var anchor = RecordAnchorPayload.Decode(transaction.Payload.Span);
                        var author = _ledger.GetAccount(anchor.Author);
                        var authorUser = author?.EffectiveUserId(anchor.Author) ?? anchor.Author;
                        records.Add(new IndexedRecord(anchor.RecordId, anchor.Patient, authorUser, anchor.Organisation, anchor.Category, anchor.CreatedUnixMilliseconds, block.Header.Height, false));
                        accesses.Add((id, anchor.Organisation, new AccessLogEntry(anchor.CreatedUnixMilliseconds, anchor.Author, anchor.Patient, anchor.RecordId, AccessAction.Write, AccessPurpose.Treatment, AccessOutcome.Allowed, AccessDenialReason.None, anchor.GrantId, Hash.Zero)));
                        break;
                    }

                case TransactionType.ConsentGrant:
                    {
                        var grant = ConsentGrantPayload.Decode(transaction.Payload.Span);
                        accesses.Add((id, organisation, new AccessLogEntry(time, transaction.Sender, grant.Patient, Hash.Zero, AccessAction.Grant, grant.Purpose, AccessOutcome.Allowed, AccessDenialReason.None, id, Hash.Zero)));
                        break;
                    }

                case TransactionType.ConsentRevoke:
                    {
                        var revoke = ConsentRevokePayload.Decode(transaction.Payload.Span);
                        var grant = _ledger.GetGrant(revoke.GrantId);
                        accesses.Add((id, organisation, new AccessLogEntry(time, transaction.Sender, grant?.Terms.Patient ?? Hash.Zero, Hash.Zero, AccessAction.Revoke, grant?.Terms.Purpose ?? AccessPurpose.None, AccessOutcome.Allowed, AccessDenialReason.None, revoke.GrantId, Hash.Zero)));
                        break;
                    }

                case TransactionType.RecordErase:
                    {
                        var erase = RecordErasePayload.Decode(transaction.Payload.Span);
                        var record = _ledger.GetRecord(erase.RecordId);
                        erased.Add(erase.RecordId);
                        accesses.Add((id, record?.Organisation ?? organisation, new AccessLogEntry(time, transaction.Sender, record?.Patient ?? Hash.Zero, erase.RecordId, AccessAction.Erase, AccessPurpose.None, AccessOutcome.Allowed, AccessDenialReason.None, Hash.Zero, Hash.Zero)));
                        break;
                    }

                case TransactionType.RecordWriteRespond:
                    IndexWriteAnswer(transaction, id, time, records, accesses);
                    break;

                case TransactionType.AccessLog:
                    foreach (var entry in AccessLogPayload.Decode(transaction.Payload.Span).Entries)
                    {
                        // An entry belongs to the organisation whose data it is about — the record's holder, else the
                        // patient's — not to whichever node logged it (a node may hold several organisations' records).
                        accesses.Add((id, OrganisationOf(entry) ?? organisation, entry));
                    }

                    break;
            }
        }

        _ = _organisations;
        return new IndexBatch(block.Header.Height, records, erased, accesses);
    }

    private string? OrganisationOf(AccessLogEntry entry)
    {
        if (!entry.RecordId.IsZero && _ledger.GetRecord(entry.RecordId) is { } record)
        {
            return record.Organisation;
        }

        return entry.Patient.IsZero ? null : _ledger.GetAccount(_ledger.GetCurrentKey(entry.Patient))?.Organisation is { Length: > 0 } home ? home : null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Erased record {RecordId}: its ciphertext and keys are destroyed here")]
    private partial void LogShredded(Hash recordId);
}
