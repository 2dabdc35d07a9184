using System.Collections.Frozen;
using System.Text.Json;
using MedLedger.Ledger;

namespace MedLedger.Sharing.Fhir;

/// <summary>
/// Decides whether a clinical resource belongs to the <see cref="SensitivityTier.Sensitive"/> tier (SPEC F13):
/// mental health, HIV and sexually transmitted infections, genetics, reproductive health, or an explicit
/// restricted/very-restricted security label. Every Coding anywhere in the resource counts, so a Claim whose
/// diagnosis is F32 or an Encounter whose reason is B20 is sensitive too. The code lists are in docs/fhir.md; they
/// are deliberately short for SNOMED CT and LOINC — security labels are the authoritative way to mark a resource.
/// </summary>
public static class SensitivityClassifier
{
    private const string Icd10SystemPrefix = "http://hl7.org/fhir/sid/icd-10";
    private const string LoincSystem = "http://loinc.org";
    private const string SnomedSystem = "http://snomed.info/sct";
    private const string AtcSystem = "http://www.whocc.no/atc";
    private const string ConfidentialitySystem = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
    private const string ActCodeSystem = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    private const string DiagnosticSectionSystem = "http://terminology.hl7.org/CodeSystem/v2-0074";

    /// <summary>ICD-10 three-character category ranges (inclusive, compared ordinally) that are sensitive.</summary>
    private static readonly (string First, string Last, string Reason)[] Icd10Ranges =
    [
        ("F00", "F99", "mental health (ICD-10 F00-F99)"),
        ("B20", "B24", "HIV (ICD-10 B20-B24)"),
        ("Z21", "Z21", "HIV (ICD-10 Z21)"),
        ("R75", "R75", "HIV (ICD-10 R75)"),
        ("A50", "A64", "sexually transmitted infection (ICD-10 A50-A64)"),
        ("O00", "O9A", "pregnancy and childbirth (ICD-10 O00-O9A)"),
        ("Z30", "Z39", "reproductive health (ICD-10 Z30-Z39)"),
        ("Q90", "Q99", "chromosomal abnormality (ICD-10 Q90-Q99)"),
        ("Z14", "Z15", "genetic carrier or susceptibility (ICD-10 Z14-Z15)"),
    ];

    /// <summary>LOINC codes of HIV tests and genetic analyses.</summary>
    private static readonly FrozenDictionary<string, string> LoincCodes = new Dictionary<string, string>
    {
        ["75622-1"] = "HIV test (LOINC)",
        ["7917-8"] = "HIV test (LOINC)",
        ["7918-6"] = "HIV test (LOINC)",
        ["5221-7"] = "HIV test (LOINC)",
        ["29893-5"] = "HIV test (LOINC)",
        ["56888-1"] = "HIV test (LOINC)",
        ["48345-3"] = "HIV test (LOINC)",
        ["68961-2"] = "HIV test (LOINC)",
        ["80203-3"] = "HIV test (LOINC)",
        ["89365-1"] = "HIV test (LOINC)",
        ["9836-8"] = "HIV test (LOINC)",
        ["20447-9"] = "HIV viral load (LOINC)",
        ["25836-8"] = "HIV viral load (LOINC)",
        ["25842-6"] = "HIV test (LOINC)",
        ["51969-4"] = "genetic analysis (LOINC)",
        ["81247-9"] = "genetic variant (LOINC)",
        ["69548-6"] = "genetic variant (LOINC)",
        ["48018-6"] = "genetic analysis (LOINC)",
        ["53037-8"] = "genetic variant (LOINC)",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>A few SNOMED CT concepts; not a hierarchy walk.</summary>
    private static readonly FrozenDictionary<string, string> SnomedCodes = new Dictionary<string, string>
    {
        ["74732009"] = "mental disorder (SNOMED CT)",
        ["35489007"] = "depressive disorder (SNOMED CT)",
        ["370143000"] = "major depressive disorder (SNOMED CT)",
        ["58214004"] = "schizophrenia (SNOMED CT)",
        ["13746004"] = "bipolar disorder (SNOMED CT)",
        ["197480006"] = "anxiety disorder (SNOMED CT)",
        ["86406008"] = "HIV infection (SNOMED CT)",
        ["165816005"] = "HIV positive (SNOMED CT)",
        ["77386006"] = "pregnancy (SNOMED CT)",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>ATC prefixes: antiretrovirals, psycholeptics/psychoanaleptics, addiction treatment, hormonal contraception.</summary>
    private static readonly (string Prefix, string Reason)[] AtcPrefixes =
    [
        ("J05AE", "HIV medication (ATC)"),
        ("J05AF", "HIV medication (ATC)"),
        ("J05AG", "HIV medication (ATC)"),
        ("J05AJ", "HIV medication (ATC)"),
        ("J05AR", "HIV medication (ATC)"),
        ("N05A", "mental health medication (ATC)"),
        ("N05B", "mental health medication (ATC)"),
        ("N06A", "mental health medication (ATC)"),
        ("N06B", "mental health medication (ATC)"),
        ("N07BB", "addiction medication (ATC)"),
        ("N07BC", "addiction medication (ATC)"),
        ("G03A", "hormonal contraception (ATC)"),
        ("G03GA", "fertility medication (ATC)"),
    ];

    /// <summary>v3 ActCode information sensitivity policies used as security labels.</summary>
    private static readonly FrozenSet<string> SensitivityPolicies =
        new[] { "ETH", "GDIS", "HIV", "PSY", "PSYTHPN", "SCA", "SDV", "SEX", "STD", "SUD", "TBOO" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>True when the resource belongs to the Sensitive tier.</summary>
    public static bool IsSensitive(FhirResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return Reason(resource.Element) is not null;
    }

    /// <summary>Why the resource is sensitive (e.g. "mental health (ICD-10 F00-F99)"), or null when it is not.</summary>
    public static string? Reason(JsonElement resource) => Scan(resource);

    private static string? Scan(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            if (FhirJson.GetString(element, "system") is { } system && FhirJson.GetString(element, "code") is { } code)
            {
                var reason = CodingReason(system, code);
                if (reason is not null)
                {
                    return reason;
                }
            }

            foreach (var property in element.EnumerateObject())
            {
                if (property.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                {
                    var reason = Scan(property.Value);
                    if (reason is not null)
                    {
                        return reason;
                    }
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                var reason = Scan(item);
                if (reason is not null)
                {
                    return reason;
                }
            }
        }

        return null;
    }

    private static string? CodingReason(string system, string code)
    {
        switch (system)
        {
            case ConfidentialitySystem:
                return code is "R" or "V" ? $"security label {code} (restricted)" : null;
            case ActCodeSystem:
                return SensitivityPolicies.Contains(code) ? $"security label {code}" : null;
            case LoincSystem:
                return LoincCodes.GetValueOrDefault(code);
            case SnomedSystem:
                return SnomedCodes.GetValueOrDefault(code);
            case AtcSystem:
                foreach (var (prefix, reason) in AtcPrefixes)
                {
                    if (code.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                    {
                        return reason;
                    }
                }

                return null;
            case DiagnosticSectionSystem:
                return code == "GE" ? "genetics (v2-0074 GE)" : null;
            default:
                // ICD-10 and its national/clinical modifications; ICD-10-PCS is a procedure coding, not diagnoses.
                return system.StartsWith(Icd10SystemPrefix, StringComparison.Ordinal) && !system.EndsWith("-pcs", StringComparison.Ordinal)
                    ? Icd10Reason(code)
                    : null;
        }
    }

    private static string? Icd10Reason(string code)
    {
        if (code.Length < 3)
        {
            return null;
        }

        Span<char> category = stackalloc char[3];
        for (var i = 0; i < 3; i++)
        {
            category[i] = char.ToUpperInvariant(code[i]);
        }

        foreach (var (first, last, reason) in Icd10Ranges)
        {
            if (category.SequenceCompareTo(first) >= 0 && category.SequenceCompareTo(last) <= 0)
            {
                return reason;
            }
        }

        return null;
    }
}
