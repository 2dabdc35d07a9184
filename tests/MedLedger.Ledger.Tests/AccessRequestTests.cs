using MedLedger.Core;
using MedLedger.Crypto;
using static MedLedger.Ledger.Tests.MedicalChain;
using static MedLedger.Ledger.Tests.TestHex;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// Access requests (issue 5): a doctor asks a patient pseudonym for read access; the patient answers with a matching
/// grant or declines. Who may ask and answer, the shape rules, duplicates, expiry, grant matching, and the frozen
/// encodings of the payloads, the state record and the keys.
/// </summary>
public sealed class AccessRequestTests : IDisposable
{
    private readonly MedicalChain _chain = FourOrganisations();
    private readonly ISigningKey _patient;
    private readonly ISigningKey _doctor;

    public AccessRequestTests()
    {
        _patient = _chain.Patient(HospitalA);
        _doctor = _chain.Doctor(ClinicB);
    }

    public void Dispose() => _chain.Dispose();

    private Hash PatientId => IdOf(_patient);

    private Hash DoctorId => IdOf(_doctor);

    private AccessRequestPayload Ask(Hash? patient = null, GrantActions actions = GrantActions.Read, RecordCategory[]? categories = null, SensitivityTier[]? tiers = null, ushort days = 30, ulong? expires = null) =>
        new(patient ?? PatientId, actions, AccessPurpose.Treatment, categories ?? [RecordCategory.Laboratory], tiers ?? [SensitivityTier.GeneralClinical], days, expires ?? _chain.Node.Height + 50);

    private Transaction Request(ISigningKey sender, AccessRequestPayload payload) => _chain.Sign(sender, TransactionType.AccessRequest, payload.Encode());

    private Transaction Respond(ISigningKey sender, Hash requestId, Hash grantId) =>
        _chain.Sign(sender, TransactionType.AccessRequestRespond, new AccessRequestRespondPayload(requestId, grantId).Encode());

    /// <summary>Requests in one block; returns the request id (the transaction id).</summary>
    private Hash Requested(ISigningKey sender, AccessRequestPayload payload)
    {
        var transaction = Request(sender, payload);
        _chain.Accept(transaction);
        return transaction.ComputeId(Suite);
    }

    // Proves a doctor's request is stored open under "areq/" ‖ transaction id with the requester's user id, the terms and
    // the height, and is listed for the patient (open) and for the requester.
    [Fact]
    public void Request_ByADoctor_IsStoredOpen_AndListed()
    {
        var payload = Ask();
        var transaction = Request(_doctor, payload);
        var block = _chain.Accept(transaction);
        var id = transaction.ComputeId(Suite);
        var stored = _chain.Node.GetAccessRequest(id)!;
        Assert.Equal(DoctorId, stored.Requester);
        Assert.Equal(AccessRequestStatus.Open, stored.Status);
        Assert.Equal(block.Header.Height, stored.CreatedHeight);
        Assert.Equal(Of(payload.Encode()), Of(stored.Terms.Encode()));
        Assert.Equal(Of(stored.Encode()), Of(_chain.Node.Query(StateKeys.AccessRequest(id))!));
        Assert.Equal([id], _chain.Node.GetOpenAccessRequests(PatientId).Select(r => r.Id));
        Assert.Equal([id], _chain.Node.GetRequesterAccessRequests(DoctorId).Select(r => r.Id));
    }

    // Proves only doctors ask: the patient, an org admin, an auditor's organisation admin and a node are NotAuthorized.
    [Fact]
    public void Request_NotByADoctor_IsNotAuthorized()
    {
        foreach (var sender in new[] { _chain.Patient(HospitalA), _chain[HospitalA].Admin, _chain[RegulatorC].Admin, _chain[ClinicB].Node })
        {
            _chain.Refuse(Request(sender, Ask()), TransactionRejection.NotAuthorized);
        }
    }

    // Proves the pseudonym must be an active patient's: an unknown id, a doctor's id and a revoked patient are NotFound.
    [Fact]
    public void Request_UnknownPseudonym_IsNotFound()
    {
        var revoked = _chain.Patient(HospitalA);
        _chain.Accept(_chain.RevokeTransaction(_chain[HospitalA].Admin, IdOf(revoked)));
        foreach (var patient in new[] { _chain.NextHash("nobody"), IdOf(_chain.Doctor(HospitalA)), IdOf(revoked) })
        {
            _chain.Refuse(Request(_doctor, Ask(patient)), TransactionRejection.NotFound);
        }
    }

    // Proves the shape rules: append, no action, an empty tier list, a duplicate category, category None, 0 or 366
    // days, an expiry below the block height or beyond the lifetime bound are InvalidPayload; 365 days is accepted.
    [Fact]
    public void Request_InvalidShape_IsInvalidPayload()
    {
        var height = _chain.Node.Height + 1;
        AccessRequestPayload[] cases =
        [
            Ask(actions: GrantActions.Read | GrantActions.Append),
            Ask(actions: GrantActions.None),
            Ask(tiers: []),
            Ask(categories: [RecordCategory.Laboratory, RecordCategory.Laboratory]),
            Ask(categories: [RecordCategory.None]),
            Ask(days: 0),
            Ask(days: 366),
            Ask(expires: height - 1),
            Ask(expires: height + AccessRequestPayload.MaxLifetimeBlocks + 1),
        ];
        foreach (var payload in cases)
        {
            _chain.Refuse(Request(_doctor, payload), TransactionRejection.InvalidPayload);
        }

        Requested(_doctor, Ask(days: 365, categories: [], expires: height + AccessRequestPayload.MaxLifetimeBlocks));
    }

    // Proves one open request per requester and patient: a second one is AlreadyExists; another doctor may ask; once the
    // first is answered the doctor may ask again.
    [Fact]
    public void Request_Duplicate_IsAlreadyExists_UntilAnswered()
    {
        var first = Requested(_doctor, Ask());
        _chain.Refuse(Request(_doctor, Ask(categories: [RecordCategory.Imaging])), TransactionRejection.AlreadyExists);
        Requested(_chain.Doctor(HospitalA), Ask());
        _chain.Accept(Respond(_patient, first, Hash.Zero));
        Requested(_doctor, Ask());
        Assert.Equal(2, _chain.Node.GetOpenAccessRequests(PatientId).Count);
    }

    // Proves expiry: past its expiry height a request can no longer be answered (RequestNotOpen), and the doctor may ask
    // again, which drops the expired one from the patient's open list.
    [Fact]
    public void Request_PastExpiry_CannotBeAnswered_AndCanBeRenewed()
    {
        var id = Requested(_doctor, Ask(expires: _chain.Node.Height + 2));
        Assert.True(_chain.Node.GetAccessRequest(id)!.IsOpenAt(_chain.Node.Height + 1));
        _chain.Run(null);
        Assert.True(_chain.Node.GetAccessRequest(id)!.IsExpiredAt(_chain.Node.Height + 1));
        _chain.Refuse(Respond(_patient, id, Hash.Zero), TransactionRejection.RequestNotOpen);
        var again = Requested(_doctor, Ask());
        Assert.Equal([again], _chain.Node.GetOpenAccessRequests(PatientId).Select(r => r.Id));
    }

    // Proves approving: the patient grants the doctor read over the requested scope, answers with the grant id; the
    // request is Granted with the grant id and height and leaves the open list; the doctor may now read.
    [Fact]
    public void Respond_WithMatchingGrant_IsGranted_AndTheDoctorCanRead()
    {
        var record = _chain.AnchorRecord(_chain.Doctor(HospitalA), _patient, HospitalA);
        var id = Requested(_doctor, Ask());
        Assert.False(_chain.DecideRead(_doctor, record).IsAllowed);
        var grant = _chain.Grant(_patient, Terms(PatientId, GrantActor.ForUser(DoctorId), categories: [RecordCategory.Laboratory, RecordCategory.Imaging]));
        var block = _chain.Accept(Respond(_patient, id, grant));
        var stored = _chain.Node.GetAccessRequest(id)!;
        Assert.Equal(AccessRequestStatus.Granted, stored.Status);
        Assert.Equal(grant, stored.GrantId);
        Assert.Equal(block.Header.Height, stored.AnsweredHeight);
        Assert.Empty(_chain.Node.GetOpenAccessRequests(PatientId));
        Assert.Null(_chain.Node.Query(StateKeys.PatientAccessRequests(PatientId)));
        Assert.True(_chain.DecideRead(_doctor, record).IsAllowed);
    }

    // Proves declining: the request is Declined with no grant, and leaves the open list.
    [Fact]
    public void Respond_WithZero_IsDeclined()
    {
        var id = Requested(_doctor, Ask());
        _chain.Accept(Respond(_patient, id, Hash.Zero));
        var stored = _chain.Node.GetAccessRequest(id)!;
        Assert.Equal(AccessRequestStatus.Declined, stored.Status);
        Assert.True(stored.GrantId.IsZero);
        Assert.Empty(_chain.Node.GetOpenAccessRequests(PatientId));
        Assert.Equal([id], _chain.Node.GetRequesterAccessRequests(DoctorId).Select(r => r.Id));
    }

    // Proves only the patient asked answers: the doctor, another patient and the org admin are NotAuthorized; an unknown
    // request is NotFound.
    [Fact]
    public void Respond_WrongSender_IsNotAuthorized_UnknownRequest_IsNotFound()
    {
        var id = Requested(_doctor, Ask());
        foreach (var sender in new[] { _doctor, _chain.Patient(HospitalA), _chain[HospitalA].Admin })
        {
            _chain.Refuse(Respond(sender, id, Hash.Zero), TransactionRejection.NotAuthorized);
        }

        _chain.Refuse(Respond(_patient, _chain.NextHash("no request"), Hash.Zero), TransactionRejection.NotFound);
    }

    // Proves a grant that does not match is GrantMismatch: to another user, to the doctor's organisation, another
    // purpose, a category or tier not covered, single records only, revoked, or another patient's grant; an unknown
    // grant is NotFound. The request stays open.
    [Fact]
    public void Respond_WithMismatchedGrant_IsRefused()
    {
        var id = Requested(_doctor, Ask(categories: [RecordCategory.Laboratory], tiers: [SensitivityTier.GeneralClinical, SensitivityTier.Sensitive]));
        var both = new[] { SensitivityTier.GeneralClinical, SensitivityTier.Sensitive };
        var me = GrantActor.ForUser(DoctorId);
        var record = _chain.AnchorRecord(_chain.Doctor(HospitalA), _patient, HospitalA);
        var revoked = _chain.Grant(_patient, Terms(PatientId, me, tiers: both));
        _chain.Accept(_chain.RevokeGrantTransaction(_patient, revoked));
        var other = _chain.Patient(HospitalA);
        var othersGrant = _chain.Grant(other, Terms(IdOf(other), me, tiers: both));
        Hash[] mismatched =
        [
            _chain.Grant(_patient, Terms(PatientId, GrantActor.ForUser(IdOf(_chain.Doctor(ClinicB))), tiers: both)),
            _chain.Grant(_patient, Terms(PatientId, GrantActor.ForOrganisation(ClinicB), tiers: both)),
            _chain.Grant(_patient, Terms(PatientId, me, purpose: AccessPurpose.Research, tiers: both)),
            _chain.Grant(_patient, Terms(PatientId, me, categories: [RecordCategory.Imaging], tiers: both)),
            _chain.Grant(_patient, Terms(PatientId, me, tiers: [SensitivityTier.GeneralClinical])),
            _chain.Grant(_patient, Terms(PatientId, me, tiers: both, records: [record])),
            revoked,
            othersGrant,
        ];
        foreach (var grant in mismatched)
        {
            _chain.Refuse(Respond(_patient, id, grant), TransactionRejection.GrantMismatch);
        }

        _chain.Refuse(Respond(_patient, id, _chain.NextHash("no grant")), TransactionRejection.NotFound);
        Assert.Equal(AccessRequestStatus.Open, _chain.Node.GetAccessRequest(id)!.Status);
    }

    // Proves a closed request cannot be answered again: a second answer after declining or granting is RequestNotOpen.
    [Fact]
    public void Respond_ToAClosedRequest_IsRequestNotOpen()
    {
        var declined = Requested(_doctor, Ask());
        _chain.Accept(Respond(_patient, declined, Hash.Zero));
        _chain.Refuse(Respond(_patient, declined, Hash.Zero), TransactionRejection.RequestNotOpen);
        var granted = Requested(_doctor, Ask());
        var grant = _chain.Grant(_patient, Terms(PatientId, GrantActor.ForUser(DoctorId)));
        _chain.Accept(Respond(_patient, granted, grant));
        _chain.Refuse(Respond(_patient, granted, grant), TransactionRejection.RequestNotOpen);
        _chain.Refuse(Respond(_patient, granted, Hash.Zero), TransactionRejection.RequestNotOpen);
    }

    // Proves the request payload encoding byte by byte: patient, actions u8, purpose u8, categories (u32 count, u8
    // each), tiers (u32 count, u8 each), days u16, expiry height u64 — and that decoding is strict.
    [Fact]
    public void RequestPayload_Encoding_IsGolden_AndDecodingIsStrict()
    {
        var payload = new AccessRequestPayload(Filled(0x22), GrantActions.Read, AccessPurpose.Treatment, [RecordCategory.Laboratory, RecordCategory.Imaging], [SensitivityTier.GeneralClinical], 30, 0x0102);
        var expected = Repeat("22", 32) + "01" + "01" + "00000002" + "0809" + "00000001" + "02" + "001e" + "0000000000000102";
        Assert.Equal(expected, Of(payload.Encode()));
        var bytes = Bytes(expected);
        Assert.Equal(expected, Of(AccessRequestPayload.Decode(bytes).Encode()));
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<DecodingException>(() => AccessRequestPayload.Decode(bytes.AsSpan(0, length)));
        }

        Assert.Throws<DecodingException>(() => AccessRequestPayload.Decode([.. bytes, 0]));
    }

    // Proves the answer payload encoding: request id then grant id (zero declines); 63 or 65 bytes fail to decode.
    [Fact]
    public void RespondPayload_Encoding_IsGolden()
    {
        var payload = new AccessRequestRespondPayload(Filled(0x31), Filled(0x47));
        var expected = Repeat("31", 32) + Repeat("47", 32);
        Assert.Equal(expected, Of(payload.Encode()));
        Assert.Equal(payload, AccessRequestRespondPayload.Decode(Bytes(expected)));
        Assert.True(new AccessRequestRespondPayload(Filled(0x31), Hash.Zero).Declines);
        Assert.Throws<DecodingException>(() => AccessRequestRespondPayload.Decode(Bytes(expected).AsSpan(0, 63)));
        Assert.Throws<DecodingException>(() => AccessRequestRespondPayload.Decode([.. Bytes(expected), 0]));
    }

    // Proves the state record encoding (version 1, id, requester, terms, created u64, status u8, answered u64, grant id)
    // and the key prefixes "areq/", "areqp/", "areqd/"; truncation, trailing bytes and an unknown version fail.
    [Fact]
    public void StateRecord_AndKeys_AreGolden_AndDecodingIsStrict()
    {
        var terms = new AccessRequestPayload(Filled(0x22), GrantActions.Read, AccessPurpose.Treatment, [], [SensitivityTier.GeneralClinical], 1, 9);
        var record = new AccessRequest(Filled(0x11), Filled(0x33), terms, 7, AccessRequestStatus.Granted, 8, Filled(0x44));
        var expected = "01" + Repeat("11", 32) + Repeat("33", 32)
            + Repeat("22", 32) + "0101" + "00000000" + "00000001" + "02" + "0001" + "0000000000000009"
            + "0000000000000007" + "02" + "0000000000000008" + Repeat("44", 32);
        Assert.Equal(expected, Of(record.Encode()));
        Assert.Equal("617265712f" + Repeat("22", 32), Of(StateKeys.AccessRequest(Filled(0x22))));
        Assert.Equal("61726571702f" + Repeat("22", 32), Of(StateKeys.PatientAccessRequests(Filled(0x22))));
        Assert.Equal("61726571642f" + Repeat("22", 32), Of(StateKeys.RequesterAccessRequests(Filled(0x22))));
        var bytes = Bytes(expected);
        Assert.Equal(expected, Of(AccessRequest.Decode(bytes).Encode()));
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<DecodingException>(() => AccessRequest.Decode(bytes.AsSpan(0, length)));
        }

        Assert.Throws<DecodingException>(() => AccessRequest.Decode([.. bytes, 0]));
        Assert.Throws<DecodingException>(() => AccessRequest.Decode([2, .. bytes[1..]]));
    }
}
