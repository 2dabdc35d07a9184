using MedLedger.Ledger;
using MedLedger.Sharing.Fhir;

namespace MedLedger.Sharing.Records;

/// <summary>The production way from a FHIR document to the tier parts a record is sealed in, and back.</summary>
public static class RecordTiers
{
    /// <summary>Validates the document (throws <see cref="FhirValidationException"/>) and splits it into tier parts.</summary>
    public static IReadOnlyDictionary<SensitivityTier, byte[]> Split(byte[] document) =>
        TierSplitter.Split(FhirValidator.Validate(document)).Parts.ToDictionary(p => p.Tier, p => p.Json.ToArray());

    /// <summary>Recombines the tier parts a reader received into one FHIR document.</summary>
    public static byte[] Merge(IReadOnlyDictionary<SensitivityTier, byte[]> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        return TierSplitter.Merge(parts.Select(p => new TierPart(p.Key, p.Value)));
    }
}
