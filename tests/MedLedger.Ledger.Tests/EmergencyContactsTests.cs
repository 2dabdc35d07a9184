using MedLedger.Core;
using MedLedger.Crypto;
using static MedLedger.Ledger.Tests.MedicalChain;
using static MedLedger.Ledger.Tests.TestHex;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// Emergency contacts (SPEC F24, the data the later emergency-access flow needs): who may set them, which contacts and
/// thresholds are valid, replacing and clearing, and the frozen encodings of the payload, the state record and the key.
/// </summary>
public sealed class EmergencyContactsTests : IDisposable
{
    private readonly MedicalChain _chain = FourOrganisations();
    private readonly ISigningKey _patient;

    public EmergencyContactsTests() => _patient = _chain.Patient(HospitalA);

    public void Dispose() => _chain.Dispose();

    private Hash PatientId => IdOf(_patient);

    private Transaction Set(ISigningKey sender, Hash patient, IReadOnlyList<Hash> contacts, byte threshold) =>
        _chain.Sign(sender, TransactionType.EmergencyContactsSet, new EmergencyContactsPayload(patient, contacts, threshold).Encode());

    // Proves a patient names contacts (other patients and staff, of any organisation) with a threshold; the state holds
    // exactly the ids, the threshold and the height, under "emerg/" ‖ patient id.
    [Fact]
    public void Set_ByThePatient_IsStoredWithIdsThresholdAndHeight()
    {
        Hash[] contacts = [IdOf(_chain.Patient(HospitalA)), IdOf(_chain.Patient(ClinicB)), IdOf(_chain.Doctor(ClinicB))];
        var block = _chain.Accept(Set(_patient, PatientId, contacts, 2));
        var stored = _chain.Node.GetEmergencyContacts(PatientId)!;
        Assert.Equal(contacts, stored.Contacts);
        Assert.Equal(2, stored.Threshold);
        Assert.Equal(block.Header.Height, stored.SetHeight);
        Assert.Equal(Of(stored.Encode()), Of(_chain.Node.Query(StateKeys.EmergencyContacts(PatientId))!));
    }

    // Proves a second set replaces the first (not appends), and an empty list with threshold 0 clears the key.
    [Fact]
    public void Set_Again_Replaces_AndEmptyClears()
    {
        var first = IdOf(_chain.Patient(HospitalA));
        var second = IdOf(_chain.Patient(HospitalA));
        _chain.Accept(Set(_patient, PatientId, [first, second], 2));
        var third = IdOf(_chain.Patient(ClinicB));
        _chain.Accept(Set(_patient, PatientId, [third], 1));
        Assert.Equal([third], _chain.Node.GetEmergencyContacts(PatientId)!.Contacts);
        _chain.Accept(Set(_patient, PatientId, [], 0));
        Assert.Null(_chain.Node.GetEmergencyContacts(PatientId));
        Assert.Null(_chain.Node.Query(StateKeys.EmergencyContacts(PatientId)));
    }

    // Proves only the patient sets their own contacts: a doctor, the org admin and another patient naming this
    // patient are NotAuthorized.
    [Fact]
    public void Set_NotByThePatient_IsNotAuthorized()
    {
        var contact = IdOf(_chain.Patient(ClinicB));
        foreach (var sender in new[] { _chain.Doctor(HospitalA), _chain[HospitalA].Admin, _chain.Patient(HospitalA) })
        {
            _chain.Refuse(Set(sender, PatientId, [contact], 1), TransactionRejection.NotAuthorized);
        }
    }

    // Proves a contact must be an active user: an unknown id, a revoked user and a node account are NotFound.
    [Fact]
    public void Set_UnknownOrRevokedContact_IsNotFound()
    {
        var revoked = _chain.Doctor(ClinicB);
        _chain.Accept(_chain.RevokeTransaction(_chain[ClinicB].Admin, IdOf(revoked)));
        foreach (var contact in new[] { _chain.NextHash("nobody"), IdOf(revoked), _chain[ClinicB].NodeId })
        {
            _chain.Refuse(Set(_patient, PatientId, [contact], 1), TransactionRejection.NotFound);
        }
    }

    // Proves the shape rules: a threshold of 0 or above the count, a duplicate contact, the patient as their own
    // contact, the zero id, and a threshold with no contacts are InvalidPayload; six contacts do not even decode.
    [Fact]
    public void Set_InvalidThresholdOrContacts_IsInvalidPayload()
    {
        var a = IdOf(_chain.Patient(ClinicB));
        var b = IdOf(_chain.Patient(ClinicB));
        (Hash[] Contacts, byte Threshold)[] cases = [([a, b], 0), ([a, b], 3), ([a, a], 1), ([a, PatientId], 1), ([a, Hash.Zero], 1), ([], 1)];
        foreach (var (contacts, threshold) in cases)
        {
            _chain.Refuse(Set(_patient, PatientId, contacts, threshold), TransactionRejection.InvalidPayload);
        }

        var six = Enumerable.Range(0, 6).Select(_ => _chain.NextHash("c")).ToArray();
        _chain.Refuse(Set(_patient, PatientId, six, 2), TransactionRejection.InvalidPayload);
        Assert.Throws<DecodingException>(() => EmergencyContactsPayload.Decode(new EmergencyContactsPayload(PatientId, six, 2).Encode()));
    }

    // Proves five contacts (the maximum) are accepted.
    [Fact]
    public void Set_FiveContacts_IsAccepted()
    {
        var five = Enumerable.Range(0, 5).Select(_ => IdOf(_chain.Patient(ClinicB))).ToArray();
        _chain.Accept(Set(_patient, PatientId, five, 5));
        Assert.Equal(5, _chain.Node.GetEmergencyContacts(PatientId)!.Contacts.Count);
    }

    // Proves the payload encoding byte by byte: patient (32 raw bytes), count (u32 big-endian), ids, threshold (u8).
    [Fact]
    public void Payload_Encoding_IsGolden()
    {
        var payload = new EmergencyContactsPayload(Filled(0x22), [Filled(0x41), Filled(0x42)], 2);
        var expected = Repeat("22", 32) + "00000002" + Repeat("41", 32) + Repeat("42", 32) + "02";
        Assert.Equal(expected, Of(payload.Encode()));
        var decoded = EmergencyContactsPayload.Decode(Bytes(expected));
        Assert.Equal(payload.Patient, decoded.Patient);
        Assert.Equal(payload.Contacts, decoded.Contacts);
        Assert.Equal(payload.Threshold, decoded.Threshold);
    }

    // Proves the state record encoding (version 1, patient, count, ids, threshold, u64 height) and the key prefix
    // "emerg/"; truncation and trailing bytes and an unknown version fail to decode.
    [Fact]
    public void StateRecord_AndKey_AreGolden_AndDecodingIsStrict()
    {
        var record = new EmergencyContacts(Filled(0x22), [Filled(0x41)], 1, 9);
        var expected = "01" + Repeat("22", 32) + "00000001" + Repeat("41", 32) + "01" + "0000000000000009";
        Assert.Equal(expected, Of(record.Encode()));
        Assert.Equal("656d6572672f" + Repeat("22", 32), Of(StateKeys.EmergencyContacts(Filled(0x22))));
        var bytes = Bytes(expected);
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<DecodingException>(() => EmergencyContacts.Decode(bytes.AsSpan(0, length)));
        }

        Assert.Throws<DecodingException>(() => EmergencyContacts.Decode([.. bytes, 0]));
        Assert.Throws<DecodingException>(() => EmergencyContacts.Decode([2, .. bytes[1..]]));
    }
}
