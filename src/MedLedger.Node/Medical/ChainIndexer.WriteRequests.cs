using MedLedger.Core;
using MedLedger.Ledger;
using MedLedger.Storage;
using Microsoft.Extensions.Logging;

namespace MedLedger.Node.Medical;

// Record write requests (issue 5) in the chain index: an approval is indexed exactly as a RecordAnchor (the record in the
// patient's timeline and the author's practice history, the write in the access log); a decline is logged as the
// author's write refused for want of consent, and the ciphertext the holding node kept for it is crypto-shredded.
public sealed partial class ChainIndexer
{
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
}
