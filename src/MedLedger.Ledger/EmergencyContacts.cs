using MedLedger.Core;

namespace MedLedger.Ledger;

/// <summary>
/// Payload of <see cref="TransactionType.EmergencyContactsSet"/>: the patient (one pseudonym, the sender's user id)
/// names up to <see cref="EmergencyContacts.MaxContacts"/> registered users whose approvals, <paramref name="Threshold"/>
/// of them, a later emergency-access request will need (SPEC F24). User ids only: no name or relation is on chain.
/// An empty list with threshold 0 clears the contacts.
/// </summary>
public sealed record EmergencyContactsPayload(Hash Patient, IReadOnlyList<Hash> Contacts, byte Threshold)
{
    /// <summary>Canonical encoding: patient, count (u32), contact user ids in the given order, threshold (u8).</summary>
    public byte[] Encode()
    {
        ArgumentNullException.ThrowIfNull(Contacts);
        var writer = new CanonicalWriter(Hash.Size + 4 + (Hash.Size * Contacts.Count) + 1);
        writer.WriteHash(Patient);
        writer.WriteCount(Contacts.Count);
        foreach (var contact in Contacts)
        {
            writer.WriteHash(contact);
        }

        writer.WriteByte(Threshold);
        return writer.ToArray();
    }

    /// <summary>Strict decoding (at most <see cref="EmergencyContacts.MaxContacts"/> contacts); throws <see cref="DecodingException"/>.</summary>
    public static EmergencyContactsPayload Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var patient = reader.ReadHash();
        var count = reader.ReadCount(EmergencyContacts.MaxContacts);
        var contacts = new List<Hash>(count);
        for (var i = 0; i < count; i++)
        {
            contacts.Add(reader.ReadHash());
        }

        var payload = new EmergencyContactsPayload(patient, contacts, reader.ReadByte());
        reader.EnsureEnd();
        return payload;
    }
}

/// <summary>
/// A patient pseudonym's emergency contacts as held in state (key <c>emerg/ ‖ patient user id</c>): the contacts'
/// user ids, the number of approvals an emergency access needs, and the height that set them.
/// </summary>
public sealed record EmergencyContacts(Hash Patient, IReadOnlyList<Hash> Contacts, byte Threshold, ulong SetHeight)
{
    /// <summary>At most this many contacts per patient pseudonym.</summary>
    public const int MaxContacts = 5;

    /// <summary>The threshold the UI proposes when the patient does not choose one (capped at the count).</summary>
    public const byte DefaultThreshold = 2;

    private const byte Version = 1;

    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(1 + Hash.Size + 4 + (Hash.Size * Contacts.Count) + 1 + 8);
        writer.WriteByte(Version);
        writer.WriteHash(Patient);
        writer.WriteCount(Contacts.Count);
        foreach (var contact in Contacts)
        {
            writer.WriteHash(contact);
        }

        writer.WriteByte(Threshold);
        writer.WriteUInt64(SetHeight);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static EmergencyContacts Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        if (reader.ReadByte() != Version)
        {
            throw new DecodingException("Unknown emergency contacts version.");
        }

        var patient = reader.ReadHash();
        var count = reader.ReadCount(MaxContacts);
        var contacts = new List<Hash>(count);
        for (var i = 0; i < count; i++)
        {
            contacts.Add(reader.ReadHash());
        }

        var value = new EmergencyContacts(patient, contacts, reader.ReadByte(), reader.ReadUInt64());
        reader.EnsureEnd();
        return value;
    }
}
