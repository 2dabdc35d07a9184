using MedLedger.Ledger;
using MedLedger.Sharing.Fhir;

namespace MedLedger.Node.Medical;

/// <summary>
/// Validates an uploaded record's plaintext as FHIR R4 (docs/fhir.md): each tier part on its own (a part may point
/// at another tier's entries), then the recombined document, whose references must resolve and whose resources
/// must name one patient. Errors carry the validator's stable code (e.g. <c>fhir-missing-field</c>).
/// </summary>
public sealed class FhirContentValidator : IRecordContentValidator
{
    public (string Code, string Detail)? Validate(IReadOnlyDictionary<SensitivityTier, byte[]> tiers)
    {
        ArgumentNullException.ThrowIfNull(tiers);
        if (tiers.Values.Sum(t => (long)t.Length) > FhirLimits.MaxDocumentBytes)
        {
            return (FhirErrorCodes.TooLarge, $"A record holds at most {FhirLimits.MaxDocumentBytes} bytes of FHIR JSON.");
        }

        try
        {
            // One tier is the whole document: validate it once (the merge would validate it twice more).
            if (tiers.Count == 1)
            {
                FhirValidator.Validate(tiers.Values.Single());
                return null;
            }

            var merged = TierSplitter.Merge(tiers.Select(t => new TierPart(t.Key, t.Value)));
            FhirValidator.Validate(merged);
            return null;
        }
        catch (FhirValidationException exception)
        {
            return (exception.Code, $"The record is not valid FHIR R4: {exception.Message}");
        }
        catch (ArgumentException exception)
        {
            return (FhirErrorCodes.InvalidValue, $"The record's tiers do not form one FHIR document: {exception.Message}");
        }
    }
}
