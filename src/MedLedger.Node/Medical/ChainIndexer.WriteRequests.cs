using MedLedger.Core;
using MedLedger.Ledger;
using MedLedger.Storage;
using Microsoft.Extensions.Logging;

namespace MedLedger.Node.Medical;

// Record write requests (issue 5) in the chain index: an approval is indexed exactly as a RecordAnchor (the record in the
// patient's timeline and the author's practice history, the write in the access log); a decline is logged as the
// author's write refused for want of consent, and the ciphertext the holding node kept for it is crypto-shredded.
//
// A request that lapses unanswered has no transaction of its own, so the indexer follows the pending writes whose
// ciphertext this node holds (IRecordStore pending writes, registered by the upload in the ciphertext's own store
// transaction) and, at each block, settles those whose expiry height the ledger has passed: the ciphertext is shredded
// unless a record now stands on it. The decision reads only the ledger's final word on the request — once the chain is
// past a request's expiry height nobody can answer it, nor commit a request with that expiry — so catching up from old
// blocks settles every pending write exactly as the live node did.
public sealed partial class ChainIndexer
{
    // At most this many pending writes are settled per block (one indexed range query, one store transaction and one
    // checkpoint); any more wait for the next block or the next catch-up.
    private const int MaxPendingWritesSettledPerBlock = 64;

    /// <summary>
    /// Settles up to <see cref="MaxPendingWritesSettledPerBlock"/> pending writes expired at <paramref name="height"/>:
    /// the ciphertext of a request that expired unanswered, was declined, or never committed is shredded; a request
    /// that became a record keeps it. Only the heights the ledger has committed count: a block is saved to the chain
    /// store before the ledger applies it, and the indexer may read it in between.
    /// </summary>
    private void SettleExpiredWrites(ulong height)
    {
        var ledgerHeight = _ledger.Height;
        var settledAt = Math.Min(height, ledgerHeight);
        var expired = _records.ExpiredPendingWrites(settledAt, MaxPendingWritesSettledPerBlock);
        if (expired.Count == 0)
        {
            return;
        }

        var shred = new List<Hash>();
        var release = new List<Hash>();
        var stillOpen = new List<PendingWrite>();
        foreach (var pending in expired)
        {
            if (_ledger.GetRecord(pending.RecordId) is not null)
            {
                // Approved (or anchored directly from the same upload): the ciphertext is the record's now.
                release.Add(pending.RecordId);
            }
            else if (_ledger.GetWriteRequest(pending.RecordId) is { } request && request.IsOpenAt(ledgerHeight + 1))
            {
                // The committed request expires later than the registration said (another upload's): wait for it.
                stillOpen.Add(new PendingWrite(pending.RecordId, request.Request.ExpiresAtHeight));
            }
            else
            {
                // Open but expired, declined (shredded already; this is a no-op), or unknown to the ledger: a request that
                // has not committed by its expiry height never will, so its ciphertext can never be used.
                shred.Add(pending.RecordId);
            }
        }

        if (stillOpen.Count > 0)
        {
            _records.RegisterPendingWrites(stillOpen);
        }

        foreach (var recordId in _records.SettlePendingWrites(settledAt, shred, release))
        {
            LogExpiredShredded(recordId);
        }
    }

    private void IndexWriteAnswer(Transaction transaction, Hash transactionId, long blockTime, List<IndexedRecord> records, List<(Hash, string, AccessLogEntry)> accesses)
    {
        var answer = RecordWriteRespondPayload.Decode(transaction.Payload.Span);

        // The request stays in state once answered, so catching up from old blocks still finds it.
        if (_ledger.GetWriteRequest(answer.RecordId) is not { } request)
        {
            return;
        }

        var anchor = request.Request.Record;
        if (answer.Declines)
        {
            // Not through the batch's erasures: those name indexed records, and a declined write never was one. The
            // decline is committed, so shredding before the batch is indexed is safe, and doing it again is a no-op.
            if (_records.Shred(anchor.RecordId))
            {
                LogDeclinedShredded(anchor.RecordId);
            }

            accesses.Add((transactionId, anchor.Organisation, new AccessLogEntry(blockTime, anchor.Author, anchor.Patient, anchor.RecordId, AccessAction.Write, AccessPurpose.Treatment, AccessOutcome.Denied, AccessDenialReason.ConsentMissing, Hash.Zero, Hash.Zero)));
            return;
        }

        records.Add(new IndexedRecord(anchor.RecordId, anchor.Patient, request.AuthorUserId, anchor.Organisation, anchor.Category, anchor.CreatedUnixMilliseconds, request.AnsweredHeight, false));
        accesses.Add((transactionId, anchor.Organisation, new AccessLogEntry(anchor.CreatedUnixMilliseconds, anchor.Author, anchor.Patient, anchor.RecordId, AccessAction.Write, AccessPurpose.Treatment, AccessOutcome.Allowed, AccessDenialReason.None, Hash.Zero, Hash.Zero)));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Declined write request {RecordId}: its ciphertext and keys are destroyed here")]
    private partial void LogDeclinedShredded(Hash recordId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Write request {RecordId} lapsed unanswered: its ciphertext and keys are destroyed here")]
    private partial void LogExpiredShredded(Hash recordId);
}
