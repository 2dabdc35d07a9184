using MedLedger.Ledger;

namespace MedLedger.Sharing.Demo;

/// <summary>One generated FHIR record of a synthetic patient.</summary>
public sealed class SyntheticRecord
{
    internal SyntheticRecord(string kind, RecordCategory category, bool containsSensitive, byte[] json)
    {
        Kind = kind;
        Category = category;
        ContainsSensitive = containsSensitive;
        Json = json;
    }

    /// <summary>What the record is, e.g. <c>lab-report</c>, <c>inpatient-stay</c>, <c>mental-health</c>.</summary>
    public string Kind { get; }

    /// <summary>The category the record should be classified as.</summary>
    public RecordCategory Category { get; }

    /// <summary>True when at least one resource of the record is coded as Sensitive-tier content.</summary>
    public bool ContainsSensitive { get; }

    /// <summary>The record's FHIR R4 JSON (UTF-8).</summary>
    public ReadOnlyMemory<byte> Json { get; }
}

/// <summary>A synthetic patient: fake identity and a handful of realistic FHIR records. Nothing here is real.</summary>
public sealed class SyntheticPatient
{
    internal SyntheticPatient(
        int index,
        string id,
        string givenName,
        string familyName,
        string nationalId,
        string medicalRecordNumber,
        DateOnly birthDate,
        string sex,
        string postalCode,
        string addressLine,
        string city,
        string phone,
        string email,
        string contactGivenName,
        string contactFamilyName,
        string contactPhone)
    {
        Index = index;
        Id = id;
        GivenName = givenName;
        FamilyName = familyName;
        NationalId = nationalId;
        MedicalRecordNumber = medicalRecordNumber;
        BirthDate = birthDate;
        Sex = sex;
        PostalCode = postalCode;
        AddressLine = addressLine;
        City = city;
        Phone = phone;
        Email = email;
        ContactGivenName = contactGivenName;
        ContactFamilyName = contactFamilyName;
        ContactPhone = contactPhone;
    }

    /// <summary>Position in the generated list.</summary>
    public int Index { get; }

    /// <summary>The Patient resource id.</summary>
    public string Id { get; }

    public string GivenName { get; }

    public string FamilyName { get; }

    /// <summary>A fake national id (11 digits starting with 9).</summary>
    public string NationalId { get; }

    /// <summary>A fake hospital medical record number.</summary>
    public string MedicalRecordNumber { get; }

    public DateOnly BirthDate { get; }

    /// <summary>FHIR administrative gender: <c>female</c> or <c>male</c>.</summary>
    public string Sex { get; }

    /// <summary>Five-digit postal code.</summary>
    public string PostalCode { get; }

    public string AddressLine { get; }

    public string City { get; }

    public string Phone { get; }

    public string Email { get; }

    /// <summary>Given name of the emergency contact.</summary>
    public string ContactGivenName { get; }

    /// <summary>Family name of the emergency contact.</summary>
    public string ContactFamilyName { get; }

    public string ContactPhone { get; }

    /// <summary>The records, the first being the Patient resource alone.</summary>
    public IReadOnlyList<SyntheticRecord> Records { get; internal set; } = [];

    /// <summary>
    /// Every string that directly identifies the patient, as it appears in the records: names, ids, telecom,
    /// address line, the contact's name and phone, and the exact birth date. De-identified output contains none.
    /// </summary>
    public IReadOnlyList<string> DirectIdentifiers =>
    [
        GivenName, FamilyName, NationalId, MedicalRecordNumber, Phone, Email, AddressLine, ContactGivenName, ContactFamilyName,
        ContactPhone,
        BirthDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
    ];
}
