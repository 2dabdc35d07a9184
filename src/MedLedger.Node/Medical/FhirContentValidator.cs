using System.Text.Json;
using MedLedger.Ledger;

namespace MedLedger.Node.Medical;

/// <summary>Validates an uploaded record's plaintext tiers as FHIR R4 JSON.</summary>
public sealed class FhirContentValidator : IRecordContentValidator
{
    /// <summary>Largest plaintext of one record, all tiers together.</summary>
    public const int MaxRecordBytes = 2 * 1024 * 1024;

    public (string Code, string Detail)? Validate(IReadOnlyDictionary<SensitivityTier, byte[]> tiers)
    {
        ArgumentNullException.ThrowIfNull(tiers);
        if (tiers.Values.Sum(t => (long)t.Length) > MaxRecordBytes)
        {
            return ("fhir-too-large", $"A record holds at most {MaxRecordBytes} bytes of FHIR JSON.");
        }

        foreach (var (tier, content) in tiers)
        {
            try
            {
                using var document = JsonDocument.Parse(content, new JsonDocumentOptions { MaxDepth = 64 });
                if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("resourceType", out var type) || type.ValueKind != JsonValueKind.String)
                {
                    return ("fhir-missing-resource-type", $"Tier {tier} is not a FHIR resource (no resourceType).");
                }
            }
            catch (JsonException)
            {
                return ("fhir-not-json", $"Tier {tier} is not JSON.");
            }
        }

        return null;
    }
}
