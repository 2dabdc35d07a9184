using MedLedger.Core;
using MedLedger.Crypto;
using static MedLedger.Ledger.Tests.MedicalChain;
using static MedLedger.Ledger.Tests.TestHex;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// Record write requests (issue 5): a doctor sends the complete anchor without the patient's consent; the patient
/// approves it with the consent signature (the record is then anchored as a PatientSignature anchor would be) or
/// declines it (no record). Who may ask and answer, the anchor rules at both ends, caps, expiry, replays, and the
/// frozen encodings of the payloads, the state record and the keys.
/// </summary>
public sealed class WriteRequestTests : IDisposable
{
    private readonly MedicalChain _chain = ThreeOrganisations();
    private readonly ISigningKey _doctor;
    private readonly ISigningKey _patient;

    public WriteRequestTests()
    {
        _doctor = _chain.Doctor(HospitalA);
        _patient = _chain.Patient(HospitalA);
    }

    public void Dispose() => _chain.Dispose();

    private Hash PatientId => IdOf(_patient);

    private Hash DoctorId => IdOf(_doctor);

    /// <summary>A request's anchor: signed by <paramref name="author"/>, PatientSignature, no consent yet.</summary>
    private RecordAnchorPayload Draft(ISigningKey? author = null, Hash? patient = null, string organisation = HospitalA, long? created = null)
    {
        author ??= _doctor;
        return SignRecord(_chain.RecordDraft(author, patient ?? PatientId, organisation, WriteAuthorisation.PatientSignature, RecordCategory.Imaging, [SensitivityTier.GeneralClinical, SensitivityTier.Sensitive], created), author);
    }

    private Transaction Request(ISigningKey sender, RecordAnchorPayload record, ulong? expires = null) =>
        _chain.Sign(sender, TransactionType.RecordWriteRequest, new RecordWriteRequestPayload(record, expires ?? _chain.Node.Height + 50).Encode());

    private Transaction Respond(ISigningKey sender, Hash recordId, byte[] signature) =>
        _chain.Sign(sender, TransactionType.RecordWriteRespond, new RecordWriteRespondPayload(recordId, signature).Encode());

    private static byte[] Consent(ISigningKey patient, RecordAnchorPayload record) => patient.Sign(record.EncodeConsentStatement(ChainId));

    /// <summary>Requests in one block; returns the anchor asked for.</summary>
    private RecordAnchorPayload Requested(RecordAnchorPayload? record = null, ulong? expires = null)
    {
        record ??= Draft();
        _chain.Accept(Request(_doctor, record, expires));
        return record;
    }

    // Proves the author's request is admitted, stored open under "wreq/" ‖ record id with the author's user id, the
    // payload and the height, listed for the patient and the author — and that no record exists, so nobody can read it.
    [Fact]
    public void Request_ByTheAuthor_IsStoredOpen_Listed_AndCreatesNoRecord()
    {
        var record = Draft();
        var transaction = Request(_doctor, record);
        _chain.Admit(transaction);
        var block = _chain.Accept(transaction);

        var stored = _chain.Node.GetWriteRequest(record.RecordId)!;
        Assert.Equal(DoctorId, stored.AuthorUserId);
        Assert.Equal(WriteRequestStatus.Open, stored.Status);
        Assert.Equal(block.Header.Height, stored.CreatedHeight);
        Assert.Equal(Hash.Zero, stored.ConsentSigner);
        Assert.Equal(Of(record.Encode()), Of(stored.Request.Record.Encode()));
        Assert.Equal([record.RecordId], _chain.Node.GetOpenWriteRequests(PatientId).Select(r => r.RecordId));
        Assert.Equal([record.RecordId], _chain.Node.GetAuthorWriteRequests(DoctorId).Select(r => r.RecordId));
        Assert.Null(_chain.Node.GetRecord(record.RecordId));
    }

    // Proves a forged author signature (another key, an altered payload, none) is InvalidPayloadSignature at admission
    // and in a block, and an unregistered author is NotFound.
    [Fact]
    public void Request_ForgedAuthorSignature_IsRefusedAtAdmission()
    {
        var record = Draft();
        var other = _chain.Doctor(HospitalA);
        RecordAnchorPayload[] forged =
        [
            record with { AuthorSignature = other.Sign(record.EncodeAuthorStatement(ChainId)) },
            record with { Category = RecordCategory.Laboratory },
            record with { AuthorSignature = [] },
        ];
        foreach (var payload in forged)
        {
            _chain.RefuseAtAdmission(Request(_doctor, payload), TransactionRejection.InvalidPayloadSignature);
        }

        var stranger = _chain.NewKey();
        _chain.RefuseAtAdmission(Request(_doctor, Draft(stranger)), TransactionRejection.NotFound);
    }

    // Proves who may ask: not the doctor's node on its behalf, not an org admin or a patient as author, not a doctor of
    // another organisation than the holding one — NotAuthorized each time, and nothing is stored.
    [Fact]
    public void Request_NotByADoctorOfTheHoldingOrganisation_IsNotAuthorized()
    {
        _chain.Refuse(Request(_chain[HospitalA].Node, Draft()), TransactionRejection.NotAuthorized);
        _chain.Refuse(Request(_chain[HospitalA].Admin, Draft(_chain[HospitalA].Admin)), TransactionRejection.NotAuthorized);
        var otherPatient = _chain.Patient(HospitalA);
        _chain.Refuse(Request(otherPatient, Draft(otherPatient)), TransactionRejection.NotAuthorized);
        var clinicDoctor = _chain.Doctor(ClinicB);
        _chain.Refuse(Request(clinicDoctor, Draft(clinicDoctor, organisation: HospitalA)), TransactionRejection.NotAuthorized);
        Assert.Empty(_chain.Node.GetOpenWriteRequests(PatientId));
    }

    // Proves the patient must be an active patient pseudonym: an unknown id, a doctor's id and a revoked patient are NotFound.
    [Fact]
    public void Request_UnknownPatient_IsNotFound()
    {
        var revoked = _chain.Patient(HospitalA);
        _chain.Accept(_chain.RevokeTransaction(_chain[HospitalA].Admin, IdOf(revoked)));
        foreach (var patient in new[] { _chain.NextHash("nobody"), IdOf(_chain.Doctor(HospitalA)), IdOf(revoked) })
        {
            _chain.Refuse(Request(_doctor, Draft(patient: patient)), TransactionRejection.NotFound);
        }
    }

    // Proves a record id is used once: the id of an anchored record, of an open request and of a declined request is
    // AlreadyExists for a new request, and an anchor cannot take the id of a pending request either.
    [Fact]
    public void Request_ReusedRecordId_IsAlreadyExists()
    {
        var anchoredId = _chain.AnchorRecord(_doctor, _patient, HospitalA);
        _chain.Refuse(Request(_doctor, SignRecord(Draft() with { RecordId = anchoredId }, _doctor)), TransactionRejection.AlreadyExists);

        var pending = Requested();
        _chain.Refuse(Request(_doctor, SignRecord(Draft() with { RecordId = pending.RecordId }, _doctor)), TransactionRejection.AlreadyExists);
        var anchorOfPending = SignRecord(pending with { AuthorSignature = [] }, _doctor, _patient);
        _chain.Refuse(_chain.AnchorTransaction(_doctor, anchorOfPending), TransactionRejection.AlreadyExists);

        _chain.Accept(Respond(_patient, pending.RecordId, []));
        _chain.Refuse(Request(_doctor, SignRecord(Draft() with { RecordId = pending.RecordId }, _doctor)), TransactionRejection.AlreadyExists);
    }

    // Proves the request's shape: a consent signer, a consent signature, a grant or another authorisation, and an expiry
    // below the block or beyond the lifetime bound are InvalidPayload; a created time far from the block time is
    // TimeOutOfWindow; the farthest allowed expiry is accepted.
    [Fact]
    public void Request_InvalidShape_IsRefused()
    {
        var record = Draft();
        RecordAnchorPayload[] shapes =
        [
            record with { ConsentSigner = PatientId },
            record with { ConsentSignature = [1, 2, 3] },
            record with { GrantId = _chain.NextHash("grant") },
            SignRecord(_chain.RecordDraft(_doctor, PatientId, HospitalA, WriteAuthorisation.Grant), _doctor),
        ];
        foreach (var payload in shapes)
        {
            _chain.Refuse(Request(_doctor, payload), TransactionRejection.InvalidPayload);
        }

        var height = _chain.Node.Height + 1;
        _chain.Refuse(Request(_doctor, record, height - 1), TransactionRejection.InvalidPayload);
        _chain.Refuse(Request(_doctor, record, height + RecordWriteRequestPayload.MaxLifetimeBlocks + 1), TransactionRejection.InvalidPayload);
        _chain.Refuse(Request(_doctor, Draft(created: _chain.NextTime + Limits.MaxPayloadClockSkewMilliseconds + 1)), TransactionRejection.TimeOutOfWindow);
        Requested(record, height + RecordWriteRequestPayload.MaxLifetimeBlocks);
    }

    // Proves the per-patient cap: 32 open requests are accepted (in one block), the 33rd is InvalidPayload, and once
    // the patient declines one there is room again.
    [Fact]
    public void Request_OverThePerPatientCap_IsInvalidPayload()
    {
        var records = Enumerable.Range(0, WriteRequest.MaxOpenPerPatient).Select(_ => Draft()).ToList();
        _chain.Accept([.. records.Select(r => Request(_doctor, r))]);
        Assert.Equal(WriteRequest.MaxOpenPerPatient, _chain.Node.GetOpenWriteRequests(PatientId).Count);
        _chain.Refuse(Request(_doctor, Draft()), TransactionRejection.InvalidPayload);
        _chain.Accept(Respond(_patient, records[0].RecordId, []));
        Requested();
        Assert.Equal(WriteRequest.MaxOpenPerPatient, _chain.Node.GetOpenWriteRequests(PatientId).Count);
    }

    // Proves approval creates the record entry byte for byte as the same write anchored with the patient's co-signature
    // would (the anchor is prepared in a block that is never committed; only the height differs), the request becomes
    // Approved with the patient's key as consent signer and leaves the open list, and the policy lets the patient and
    // the author read it.
    [Fact]
    public void Approve_CreatesTheRecord_AsAPatientSignatureAnchorWould()
    {
        var record = Draft();
        var consent = Consent(_patient, record);
        var anchor = _chain.AnchorTransaction(_doctor, record with { ConsentSigner = PatientId, ConsentSignature = consent });
        var asAnchor = _chain.Node.PrepareBlock(_chain.NextTime, _chain.NextProposer, [anchor]);
        Assert.Single(asAnchor.Transactions);
        Assert.True(asAnchor.Prepared.Changes.TryGet(StateKeys.Record(record.RecordId), out var anchoredValue));

        Requested(record);
        var answer = Respond(_patient, record.RecordId, consent);
        _chain.Admit(answer);
        var block = _chain.Accept(answer);

        var entry = _chain.Node.GetRecord(record.RecordId)!;
        Assert.Equal(Of((RecordEntry.Decode(anchoredValue!) with { AnchoredHeight = block.Header.Height }).Encode()), Of(entry.Encode()));
        Assert.Equal(WriteAuthorisation.PatientSignature, entry.Authorisation);
        var stored = _chain.Node.GetWriteRequest(record.RecordId)!;
        Assert.Equal(WriteRequestStatus.Approved, stored.Status);
        Assert.Equal(block.Header.Height, stored.AnsweredHeight);
        Assert.Equal(PatientId, stored.ConsentSigner);
        Assert.Empty(_chain.Node.GetOpenWriteRequests(PatientId));
        Assert.Null(_chain.Node.Query(StateKeys.PatientWriteRequests(PatientId)));
        Assert.Equal([record.RecordId], _chain.Node.GetAuthorWriteRequests(DoctorId).Select(r => r.RecordId));
        Assert.True(_chain.DecideRead(_patient, record.RecordId).IsAllowed);
        Assert.True(_chain.DecideRead(_doctor, record.RecordId).IsAllowed);
        Assert.False(_chain.DecideRead(_chain.Doctor(HospitalA), record.RecordId).IsAllowed);
    }

    // Proves only the patient asked answers: another patient, the author and the node are NotAuthorized (approving or
    // declining), and the state is unchanged.
    [Fact]
    public void Respond_ByAnyoneButThePatient_IsNotAuthorized()
    {
        var record = Requested();
        var other = _chain.Patient(HospitalA);
        _chain.Refuse(Respond(other, record.RecordId, Consent(other, record)), TransactionRejection.NotAuthorized);
        _chain.Refuse(Respond(other, record.RecordId, []), TransactionRejection.NotAuthorized);
        _chain.Refuse(Respond(_doctor, record.RecordId, Consent(_doctor, record)), TransactionRejection.NotAuthorized);
        _chain.Refuse(Respond(_chain[HospitalA].Node, record.RecordId, []), TransactionRejection.NotAuthorized);
        Assert.Equal(WriteRequestStatus.Open, _chain.Node.GetWriteRequest(record.RecordId)!.Status);
        Assert.Null(_chain.Node.GetRecord(record.RecordId));
    }

    // Proves a forged consent — another key's signature, the patient's signature over another write, over the author
    // statement, for another chain, or garbage — is InvalidPayloadSignature, and no record appears.
    [Fact]
    public void Respond_ForgedConsentSignature_IsInvalidPayloadSignature()
    {
        var record = Requested();
        var otherWrite = Draft();
        byte[][] forged =
        [
            Consent(_chain.Patient(HospitalA), record),
            Consent(_patient, otherWrite),
            _patient.Sign(record.EncodeAuthorStatement(ChainId)),
            _patient.Sign(record.EncodeConsentStatement("another-chain")),
            [.. Enumerable.Repeat((byte)7, 64)],
        ];
        foreach (var signature in forged)
        {
            _chain.Refuse(Respond(_patient, record.RecordId, signature), TransactionRejection.InvalidPayloadSignature);
        }

        Assert.Null(_chain.Node.GetRecord(record.RecordId));
        Assert.Equal(WriteRequestStatus.Open, _chain.Node.GetWriteRequest(record.RecordId)!.Status);
    }

    // Proves an answer cannot be replayed: the same transaction again is NonceReused; a second approval or a decline
    // after approval is RequestNotOpen; the record stays as approved.
    [Fact]
    public void Respond_Replayed_IsRefused()
    {
        var record = Requested();
        var answer = Respond(_patient, record.RecordId, Consent(_patient, record));
        _chain.Accept(answer);
        var root = _chain.Node.StateRoot;
        _chain.Refuse(answer, TransactionRejection.NonceReused);
        _chain.Refuse(Respond(_patient, record.RecordId, Consent(_patient, record)), TransactionRejection.RequestNotOpen);
        _chain.Refuse(Respond(_patient, record.RecordId, []), TransactionRejection.RequestNotOpen);
        Assert.Equal(root, _chain.Node.StateRoot);
        Assert.Equal(WriteRequestStatus.Approved, _chain.Node.GetWriteRequest(record.RecordId)!.Status);
    }

    // Proves expiry: past its expiry height the request can be neither approved nor declined (RequestNotOpen), no record
    // exists, and an expired request no longer counts against the patient's cap.
    [Fact]
    public void Respond_AfterExpiry_IsRequestNotOpen()
    {
        var record = Requested(expires: _chain.Node.Height + 2);
        Assert.True(_chain.Node.GetWriteRequest(record.RecordId)!.IsOpenAt(_chain.Node.Height + 1));
        _chain.Run(null);
        Assert.True(_chain.Node.GetWriteRequest(record.RecordId)!.IsExpiredAt(_chain.Node.Height + 1));
        _chain.Refuse(Respond(_patient, record.RecordId, Consent(_patient, record)), TransactionRejection.RequestNotOpen);
        _chain.Refuse(Respond(_patient, record.RecordId, []), TransactionRejection.RequestNotOpen);
        Assert.Null(_chain.Node.GetRecord(record.RecordId));
        var next = Requested();
        Assert.Equal([next.RecordId], _chain.Node.GetOpenWriteRequests(PatientId).Select(r => r.RecordId));
    }

    // Proves a decline marks the request Declined, removes it from the open list, creates no record (the policy has
    // nothing to allow), and a later approval is RequestNotOpen; an unknown record id is NotFound.
    [Fact]
    public void Decline_LeavesNoRecord_AndCannotBeApprovedLater()
    {
        var record = Requested();
        var block = _chain.Accept(Respond(_patient, record.RecordId, []));
        var stored = _chain.Node.GetWriteRequest(record.RecordId)!;
        Assert.Equal(WriteRequestStatus.Declined, stored.Status);
        Assert.Equal(block.Header.Height, stored.AnsweredHeight);
        Assert.Equal(Hash.Zero, stored.ConsentSigner);
        Assert.Null(_chain.Node.GetRecord(record.RecordId));
        Assert.Null(_chain.Node.Query(StateKeys.Record(record.RecordId)));
        Assert.Empty(_chain.Node.GetOpenWriteRequests(PatientId));
        _chain.Refuse(Respond(_patient, record.RecordId, Consent(_patient, record)), TransactionRejection.RequestNotOpen);
        _chain.Refuse(Respond(_patient, _chain.NextHash("record"), []), TransactionRejection.NotFound);
    }

    // Proves the anchor rules hold again at the answer: once the author is revoked the approval is NotAuthorized, while
    // the patient may still decline.
    [Fact]
    public void Approve_AfterTheAuthorWasRevoked_IsNotAuthorized()
    {
        var record = Requested();
        _chain.Accept(_chain.RevokeTransaction(_chain[HospitalA].Admin, DoctorId));
        _chain.Refuse(Respond(_patient, record.RecordId, Consent(_patient, record)), TransactionRejection.NotAuthorized);
        _chain.Accept(Respond(_patient, record.RecordId, []));
        Assert.Null(_chain.Node.GetRecord(record.RecordId));
    }

    // Proves the request payload encoding — the anchor's encoding as bytes (u32 length), then the expiry height u64 —
    // and that decoding is strict (every truncation, a trailing byte, an over-long anchor).
    [Fact]
    public void RequestPayload_Encoding_IsGolden_AndDecodingIsStrict()
    {
        var record = new RecordAnchorPayload(Filled(0x11), Filled(0x22), Filled(0x33), "h", RecordCategory.Imaging, 0x0102, [new RecordTierAnchor(SensitivityTier.GeneralClinical, Filled(0x44), Filled(0x55), 9)], [0xaa], WriteAuthorisation.PatientSignature, Hash.Zero, [], Hash.Zero);
        var anchor = Of(record.Encode());
        var payload = new RecordWriteRequestPayload(record, 0x0a0b);
        var expected = (anchor.Length / 2).ToString("x8", System.Globalization.CultureInfo.InvariantCulture) + anchor + "0000000000000a0b";
        Assert.Equal(expected, Of(payload.Encode()));
        Assert.True(payload.IsWellFormed);
        var bytes = Bytes(expected);
        Assert.Equal(expected, Of(RecordWriteRequestPayload.Decode(bytes).Encode()));
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<DecodingException>(() => RecordWriteRequestPayload.Decode(bytes.AsSpan(0, length)));
        }

        Assert.Throws<DecodingException>(() => RecordWriteRequestPayload.Decode([.. bytes, 0]));
        Assert.Throws<DecodingException>(() => RecordWriteRequestPayload.Decode([0, 0, 0x04, 0x01, .. new byte[1025 + 8]]));
    }

    // Proves the answer payload encoding: record id, then the consent signature as bytes (empty declines); a truncated
    // or over-long payload fails to decode.
    [Fact]
    public void RespondPayload_Encoding_IsGolden()
    {
        var payload = new RecordWriteRespondPayload(Filled(0x31), [0x01, 0x02]);
        var expected = Repeat("31", 32) + "00000002" + "0102";
        Assert.Equal(expected, Of(payload.Encode()));
        Assert.Equal(expected, Of(RecordWriteRespondPayload.Decode(Bytes(expected)).Encode()));
        Assert.False(payload.Declines);
        Assert.True(new RecordWriteRespondPayload(Filled(0x31), []).Declines);
        Assert.Equal(Repeat("31", 32) + "00000000", Of(new RecordWriteRespondPayload(Filled(0x31), []).Encode()));
        Assert.Throws<DecodingException>(() => RecordWriteRespondPayload.Decode(Bytes(expected).AsSpan(0, 35)));
        Assert.Throws<DecodingException>(() => RecordWriteRespondPayload.Decode([.. Bytes(expected), 0]));
        Assert.Throws<DecodingException>(() => RecordWriteRespondPayload.Decode([.. Bytes(Repeat("31", 32) + "00000081"), .. new byte[129]]));
    }

    // Proves the state record encoding (version 1, author user id, the request as bytes, created u64, status u8,
    // answered u64, consent signer) and the key prefixes "wreq/", "wreqp/", "wreqa/"; truncation, trailing bytes and an
    // unknown version fail.
    [Fact]
    public void StateRecord_AndKeys_AreGolden_AndDecodingIsStrict()
    {
        var record = new RecordAnchorPayload(Filled(0x11), Filled(0x22), Filled(0x33), "h", RecordCategory.Imaging, 1, [new RecordTierAnchor(SensitivityTier.GeneralClinical, Filled(0x44), Filled(0x55), 9)], [0xaa], WriteAuthorisation.PatientSignature, Hash.Zero, [], Hash.Zero);
        var request = new RecordWriteRequestPayload(record, 9);
        var state = new WriteRequest(Filled(0x66), request, 7, WriteRequestStatus.Approved, 8, Filled(0x77));
        var requestHex = Of(request.Encode());
        var expected = "01" + Repeat("66", 32) + (requestHex.Length / 2).ToString("x8", System.Globalization.CultureInfo.InvariantCulture) + requestHex
            + "0000000000000007" + "02" + "0000000000000008" + Repeat("77", 32);
        Assert.Equal(expected, Of(state.Encode()));
        Assert.Equal("777265712f" + Repeat("22", 32), Of(StateKeys.WriteRequest(Filled(0x22))));
        Assert.Equal("77726571702f" + Repeat("22", 32), Of(StateKeys.PatientWriteRequests(Filled(0x22))));
        Assert.Equal("77726571612f" + Repeat("22", 32), Of(StateKeys.AuthorWriteRequests(Filled(0x22))));
        var bytes = Bytes(expected);
        Assert.Equal(expected, Of(WriteRequest.Decode(bytes).Encode()));
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<DecodingException>(() => WriteRequest.Decode(bytes.AsSpan(0, length)));
        }

        Assert.Throws<DecodingException>(() => WriteRequest.Decode([.. bytes, 0]));
        Assert.Throws<DecodingException>(() => WriteRequest.Decode([2, .. bytes[1..]]));
    }
}
