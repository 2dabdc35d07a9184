using MedLedger.Core;
using static MedLedger.Ledger.Tests.MedicalChain;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// Access-log batches (SPEC F19, F20) sent by member nodes, and erasure tombstones (SPEC F23) made by patients.
/// </summary>
public sealed class MedicalAccessLogTests : IDisposable
{
    private readonly MedicalChain _chain = ThreeOrganisations();

    public void Dispose() => _chain.Dispose();

    internal static AccessLogEntry AllowedEntry(long time) =>
        new(time, TestHex.Filled(0x01), TestHex.Filled(0x02), TestHex.Filled(0x03), AccessAction.Read, AccessPurpose.Treatment, AccessOutcome.Allowed, AccessDenialReason.None, TestHex.Filled(0x04), TestHex.Filled(0x05));

    internal static AccessLogEntry DeniedEntry(long time) =>
        new(time, TestHex.Filled(0x11), Hash.Zero, Hash.Zero, AccessAction.Read, AccessPurpose.None, AccessOutcome.Denied, AccessDenialReason.UnknownKey, Hash.Zero, Hash.Zero);

    // Proves a node's valid batch (allowed and denied entries, past times within a day) is accepted and changes only
    // the sender's account (its nonce): the access log lives in blocks, not in state.
    [Fact]
    public void AccessLog_ValidBatch_ChangesOnlyTheSendersNonce()
    {
        var node = _chain[HospitalA].Node;
        var time = _chain.NextTime;
        var entries = new[] { AllowedEntry(time), DeniedEntry(time - Day), AllowedEntry(time + Limits.MaxPayloadClockSkewMilliseconds) with { Action = AccessAction.IntegrityCheck } };
        var transaction = _chain.Sign(node, TransactionType.AccessLog, new AccessLogPayload(entries).Encode());
        var proposal = _chain.AcceptAt(time, transaction);

        var change = Assert.Single(proposal.Prepared.Changes.Changes);
        Assert.Equal(StateKeys.Account(IdOf(node)), change.Key);
        Assert.Equal(transaction.Nonce, _chain.AccountOf(node).Nonce);
    }

    // Proves only a member organisation's node logs: an org admin, a doctor, a patient and the consortium
    // administrator are NotAuthorized.
    [Fact]
    public void AccessLog_NotANode_IsNotAuthorized()
    {
        var payload = new AccessLogPayload([AllowedEntry(_chain.NextTime)]).Encode();
        foreach (var sender in new[] { _chain[HospitalA].Admin, _chain.Doctor(HospitalA), _chain.Patient(HospitalA), _chain.Admin })
        {
            _chain.Refuse(_chain.Sign(sender, TransactionType.AccessLog, payload), TransactionRejection.NotAuthorized);
        }
    }

    // Proves each entry is checked: an empty batch, an allowed entry with a reason, a denied entry without one, and
    // unknown actions, purposes, outcomes or reasons are InvalidPayload; a time more than 10 minutes ahead or a day
    // behind is TimeOutOfWindow. One bad entry refuses the whole batch.
    [Fact]
    public void AccessLog_InvalidEntries_AreRefused()
    {
        var node = _chain[HospitalA].Node;
        var time = _chain.NextTime;
        var good = AllowedEntry(time);
        AccessLogEntry[] invalid =
        [
            good with { Reason = AccessDenialReason.NoGrant },
            DeniedEntry(time) with { Reason = AccessDenialReason.None },
            good with { Action = AccessAction.None },
            good with { Action = (AccessAction)9 },
            good with { Purpose = (AccessPurpose)6 },
            good with { Outcome = AccessOutcome.None },
            good with { Outcome = (AccessOutcome)3 },
            DeniedEntry(time) with { Reason = (AccessDenialReason)14 },
        ];
        _chain.Refuse(_chain.Sign(node, TransactionType.AccessLog, new AccessLogPayload([]).Encode()), TransactionRejection.InvalidPayload, time);
        foreach (var entry in invalid)
        {
            _chain.Refuse(_chain.Sign(node, TransactionType.AccessLog, new AccessLogPayload([good, entry]).Encode()), TransactionRejection.InvalidPayload, time);
        }

        foreach (var entryTime in new[] { time + Limits.MaxPayloadClockSkewMilliseconds + 1, time - Day - 1, long.MinValue, long.MaxValue })
        {
            _chain.Refuse(_chain.Sign(node, TransactionType.AccessLog, new AccessLogPayload([good, good with { TimeUnixMilliseconds = entryTime }]).Encode()), TransactionRejection.TimeOutOfWindow, time);
        }

        _chain.AcceptAt(time, _chain.Sign(node, TransactionType.AccessLog, new AccessLogPayload([good, good with { TimeUnixMilliseconds = time - Day }]).Encode()));
    }

    // Proves the batch size bound: MaxAccessLogEntries entries are accepted, one more does not decode (InvalidPayload).
    [Fact]
    public void AccessLog_BatchSize_IsBoundedByMaxAccessLogEntries()
    {
        var node = _chain[HospitalA].Node;
        var time = _chain.NextTime;
        var full = Enumerable.Repeat(AllowedEntry(time), Limits.MaxAccessLogEntries).ToArray();
        _chain.AcceptAt(time, _chain.Sign(node, TransactionType.AccessLog, new AccessLogPayload(full).Encode()));
        _chain.Refuse(_chain.Sign(node, TransactionType.AccessLog, new AccessLogPayload([.. full, AllowedEntry(_chain.NextTime)]).Encode()), TransactionRejection.InvalidPayload);
    }

    // Proves erasure: the patient erases their record; the entry stays as a tombstone with status Erased and the
    // erasure height, every other field unchanged; a second erasure is AlreadyExists.
    [Fact]
    public void Erase_ByThePatient_LeavesATombstone()
    {
        var doctor = _chain.Doctor(HospitalA);
        var patient = _chain.Patient(HospitalA);
        var recordId = _chain.AnchorRecord(doctor, patient, HospitalA);
        var before = _chain.Node.GetRecord(recordId)!;

        var block = _chain.Accept(_chain.Sign(patient, TransactionType.RecordErase, new RecordErasePayload(recordId).Encode()));
        var after = _chain.Node.GetRecord(recordId)!;
        Assert.Equal(TestHex.Of((before with { Status = RecordStatus.Erased, ErasedHeight = block.Header.Height }).Encode()), TestHex.Of(after.Encode()));
        _chain.Refuse(_chain.Sign(patient, TransactionType.RecordErase, new RecordErasePayload(recordId).Encode()), TransactionRejection.AlreadyExists);
    }

    // Proves only the patient erases: the author, another patient, the org admin and the node are NotAuthorized; an
    // unknown record is NotFound; the patient's new key after a rotation erases.
    [Fact]
    public void Erase_NotByThePatient_IsRefused()
    {
        var doctor = _chain.Doctor(HospitalA);
        var patient = _chain.Patient(HospitalA);
        var recordId = _chain.AnchorRecord(doctor, patient, HospitalA);
        var erase = new RecordErasePayload(recordId).Encode();
        foreach (var sender in new[] { doctor, _chain.Patient(HospitalA), _chain[HospitalA].Admin, _chain[HospitalA].Node })
        {
            _chain.Refuse(_chain.Sign(sender, TransactionType.RecordErase, erase), TransactionRejection.NotAuthorized);
        }

        _chain.Refuse(_chain.Sign(patient, TransactionType.RecordErase, new RecordErasePayload(_chain.NextHash("none")).Encode()), TransactionRejection.NotFound);

        var newKey = _chain.NewKey();
        _chain.Accept(_chain.RotateTransaction(patient, newKey));
        _chain.Refuse(_chain.Sign(patient, TransactionType.RecordErase, erase), TransactionRejection.SenderRotated);
        _chain.Accept(_chain.Sign(newKey, TransactionType.RecordErase, erase));
        Assert.Equal(RecordStatus.Erased, _chain.Node.GetRecord(recordId)!.Status);
    }
}
