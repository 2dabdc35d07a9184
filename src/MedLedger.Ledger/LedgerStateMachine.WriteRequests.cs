using MedLedger.Core;

namespace MedLedger.Ledger;

// Record write requests (issue 5): a doctor sends the complete anchor of a record without the patient's consent; the
// patient approves it in their portal with the consent signature — the record is then anchored exactly as a
// RecordAnchor with PatientSignature would anchor it — or declines, and no record ever exists. Until then nobody can
// read it: there is no record entry for the read policy to find.
public sealed partial class LedgerStateMachine
{
    /// <summary>The committed write request for this record id, or null.</summary>
    public WriteRequest? GetWriteRequest(Hash recordId) =>
        Query(StateKeys.WriteRequest(recordId)) is { } value ? WriteRequest.Decode(value) : null;

    /// <summary>The committed write requests still listed as open for a patient pseudonym (some may have expired since; see <see cref="WriteRequest.IsOpenAt"/>).</summary>
    public IReadOnlyList<WriteRequest> GetOpenWriteRequests(Hash patientUserId) => ListWriteRequests(StateKeys.PatientWriteRequests(patientUserId), WriteRequest.MaxOpenPerPatient);

    /// <summary>The committed latest write requests of an author, oldest first (open, answered and expired).</summary>
    public IReadOnlyList<WriteRequest> GetAuthorWriteRequests(Hash authorUserId) => ListWriteRequests(StateKeys.AuthorWriteRequests(authorUserId), WriteRequest.MaxPerAuthor);

    private List<WriteRequest> ListWriteRequests(byte[] listKey, int maxCount)
    {
        var list = Query(listKey) is { } encoded ? HashList.Decode(encoded, maxCount) : [];
        return [.. list.Select(GetWriteRequest).OfType<WriteRequest>()];
    }

    private static WriteRequest? ReadWriteRequest(StateOverlay state, Hash recordId) =>
        state.GetValue(StateKeys.WriteRequest(recordId)) is { } value ? WriteRequest.Decode(value) : null;

    // The author's signature is a pure function of the transaction's bytes and the author's key, checked once at
    // admission like an anchor's. The patient's consent comes later, in the answer, and is checked when it executes.
    private TransactionResult VerifyWriteRequestSignature(IStateReader state, RecordWriteRequestPayload payload)
    {
        var author = ReadAccount(state, payload.Record.Author);
        if (author is null)
        {
            return TransactionResult.Reject(TransactionRejection.NotFound, $"the author {payload.Record.Author.ToShortString()} is not registered");
        }

        return Suite.Verify(author.PublicKey, payload.Record.EncodeAuthorStatement(ChainId), payload.Record.AuthorSignature)
            ? TransactionResult.Accepted
            : TransactionResult.Reject(TransactionRejection.InvalidPayloadSignature, "the author's signature does not verify");
    }

    private static TransactionResult ExecuteRecordWriteRequest(StateOverlay state, Account sender, Hash senderId, RecordWriteRequestPayload payload, ulong height, long time)
    {
        var record = payload.Record;
        if (!payload.IsWellFormed)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, "a write request asks for the patient's co-signature and carries no consent signer, signature or grant");
        }

        if (senderId != record.Author)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "a write request is sent by its author");
        }

        if (payload.ExpiresAtHeight < height || payload.ExpiresAtHeight - height > RecordWriteRequestPayload.MaxLifetimeBlocks)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, $"the request must expire at or after this block and at most {RecordWriteRequestPayload.MaxLifetimeBlocks} blocks later");
        }

        if (!sender.IsActive)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "the author is not an active account");
        }

        var authorUserId = sender.EffectiveUserId(senderId);
        var body = CheckRecordBody(state, sender, authorUserId, record, time, approving: false);
        if (!body.IsAccepted)
        {
            return body;
        }

        var openKey = StateKeys.PatientWriteRequests(record.Patient);
        var open = state.GetValue(openKey) is { } encodedOpen ? HashList.Decode(encodedOpen, WriteRequest.MaxOpenPerPatient) : [];
        var stillOpen = open.Where(id => ReadWriteRequest(state, id) is { } r && r.IsOpenAt(height)).ToList();
        if (stillOpen.Count >= WriteRequest.MaxOpenPerPatient)
        {
            return TransactionResult.Reject(TransactionRejection.InvalidPayload, $"the patient already has {WriteRequest.MaxOpenPerPatient} open write requests");
        }

        // The author's list keeps the latest requests; the oldest answered or expired ones make room.
        var mineKey = StateKeys.AuthorWriteRequests(authorUserId);
        var mine = state.GetValue(mineKey) is { } encodedMine ? HashList.Decode(encodedMine, WriteRequest.MaxPerAuthor) : [];
        while (mine.Count >= WriteRequest.MaxPerAuthor)
        {
            var index = mine.FindIndex(id => ReadWriteRequest(state, id) is not { } r || !r.IsOpenAt(height));
            if (index < 0)
            {
                return TransactionResult.Reject(TransactionRejection.InvalidPayload, $"the author already has {WriteRequest.MaxPerAuthor} open write requests");
            }

            mine.RemoveAt(index);
        }

        mine.Add(record.RecordId);
        stillOpen.Add(record.RecordId);
        state.Set(mineKey, HashList.Encode(mine));
        state.Set(openKey, HashList.Encode(stillOpen));
        state.Set(StateKeys.WriteRequest(record.RecordId), new WriteRequest(authorUserId, payload, height, WriteRequestStatus.Open, 0, Hash.Zero).Encode());
        return TransactionResult.Accepted;
    }

    private TransactionResult ExecuteRecordWriteRespond(StateOverlay state, Account sender, Hash senderId, RecordWriteRespondPayload payload, ulong height)
    {
        if (ReadWriteRequest(state, payload.RecordId) is not { } request)
        {
            return TransactionResult.Reject(TransactionRejection.NotFound, "no write request names this record id");
        }

        if (sender.Role != AccountRole.Patient || sender.EffectiveUserId(senderId) != request.Patient)
        {
            return TransactionResult.Reject(TransactionRejection.NotAuthorized, "only the patient asked answers a write request");
        }

        if (!request.IsOpenAt(height))
        {
            return TransactionResult.Reject(TransactionRejection.RequestNotOpen, request.Status == WriteRequestStatus.Open ? "the write request has expired" : $"the write request was already answered ({request.Status})");
        }

        var status = WriteRequestStatus.Declined;
        var signer = Hash.Zero;
        if (!payload.Declines)
        {
            // The sender is active (admission refuses revoked and replaced keys), so a verifying signature is the
            // consent of the patient's current key: what an anchor's ConsentMissing rule asks of its consent signer.
            var record = request.Request.Record;
            if (!Suite.Verify(sender.PublicKey, record.EncodeConsentStatement(ChainId), payload.ConsentSignature))
            {
                return TransactionResult.Reject(TransactionRejection.InvalidPayloadSignature, "the consent signature does not verify under the patient's key over this write");
            }

            // The rules an anchor meets, again at the answer: the author, patient and organisation may have changed
            // since the request. The author is taken as a user (a key rotation since the request keeps their standing);
            // the time window was checked when the request was made.
            if (ReadUser(state, request.AuthorUserId) is not { Account.IsActive: true } author)
            {
                return TransactionResult.Reject(TransactionRejection.NotAuthorized, "the author is no longer an active user");
            }

            var body = CheckRecordBody(state, author.Account, request.AuthorUserId, record, 0, approving: true);
            if (!body.IsAccepted)
            {
                return body;
            }

            var entry = new RecordEntry(record.RecordId, record.Patient, record.Author, request.AuthorUserId, record.Organisation, record.Category, record.CreatedUnixMilliseconds, record.Tiers, WriteAuthorisation.PatientSignature, Hash.Zero, height, RecordStatus.Active, 0);
            state.Set(StateKeys.Record(record.RecordId), entry.Encode());
            status = WriteRequestStatus.Approved;
            signer = senderId;
        }

        var openKey = StateKeys.PatientWriteRequests(request.Patient);
        var open = state.GetValue(openKey) is { } encodedOpen ? HashList.Decode(encodedOpen, WriteRequest.MaxOpenPerPatient) : [];
        open.Remove(request.RecordId);
        if (open.Count == 0)
        {
            state.Delete(openKey);
        }
        else
        {
            state.Set(openKey, HashList.Encode(open));
        }

        state.Set(StateKeys.WriteRequest(request.RecordId), (request with { Status = status, AnsweredHeight = height, ConsentSigner = signer }).Encode());
        return TransactionResult.Accepted;
    }
}
