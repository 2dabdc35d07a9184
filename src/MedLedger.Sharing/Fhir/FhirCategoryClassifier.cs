using System.Text.Json;
using MedLedger.Ledger;

namespace MedLedger.Sharing.Fhir;

/// <summary>
/// Suggests the <see cref="RecordCategory"/> of a document from its resource types (SPEC F10). Each resource gets a
/// category; the document takes the one that comes first in <see cref="Precedence"/>, so that a visit bundle with
/// its observations is an Encounter, a lab report with its results is Laboratory, and supporting resources
/// (Practitioner, Organization…) do not decide anything. The rules are listed in docs/fhir.md.
/// </summary>
public static class FhirCategoryClassifier
{
    /// <summary>Document category precedence: the first category any resource has wins.</summary>
    public static IReadOnlyList<RecordCategory> Precedence => PrecedenceOrder;

    private static readonly RecordCategory[] PrecedenceOrder =
    [
        RecordCategory.Hospitalisation,
        RecordCategory.Encounter,
        RecordCategory.Imaging,
        RecordCategory.Laboratory,
        RecordCategory.Procedure,
        RecordCategory.Billing,
        RecordCategory.Medication,
        RecordCategory.Allergy,
        RecordCategory.Examination,
        RecordCategory.PatientEvaluation,
        RecordCategory.Demographics,
    ];

    /// <summary>v2-0074 diagnostic service sections that are imaging.</summary>
    private static readonly HashSet<string> ImagingSections = new(StringComparer.Ordinal)
    {
        "RAD", "CT", "NMR", "NMS", "US", "VUS", "RUS", "CUS", "OUS", "XRC", "RX",
    };

    /// <summary>v3 ActCode encounter classes that are stays in hospital.</summary>
    private static readonly HashSet<string> InpatientClasses = new(StringComparer.Ordinal) { "IMP", "ACUTE", "NONAC" };

    /// <summary>The category of a whole document; <see cref="RecordCategory.None"/> when no resource has one.</summary>
    public static RecordCategory Classify(IReadOnlyList<FhirResource> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var best = RecordCategory.None;
        var bestRank = int.MaxValue;
        foreach (var resource in resources)
        {
            var category = Classify(resource);
            if (category == RecordCategory.None)
            {
                continue;
            }

            var rank = Array.IndexOf(PrecedenceOrder, category);
            if (rank < bestRank)
            {
                best = category;
                bestRank = rank;
            }
        }

        return best;
    }

    /// <summary>The category of one resource; <see cref="RecordCategory.None"/> for supporting resources.</summary>
    public static RecordCategory Classify(FhirResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var element = resource.Element;
        return resource.ResourceType switch
        {
            "Encounter" => IsHospitalisation(element) ? RecordCategory.Hospitalisation : RecordCategory.Encounter,
            "DiagnosticReport" => IsImagingReport(element) ? RecordCategory.Imaging : RecordCategory.Laboratory,
            "ImagingStudy" => RecordCategory.Imaging,
            "Observation" => HasCategory(element, "laboratory")
                ? RecordCategory.Laboratory
                : HasCategory(element, "imaging") ? RecordCategory.Imaging : RecordCategory.Examination,
            "Procedure" => RecordCategory.Procedure,
            "Claim" or "ExplanationOfBenefit" => RecordCategory.Billing,
            "MedicationRequest" or "MedicationStatement" or "Immunization" or "CarePlan" => RecordCategory.Medication,
            "AllergyIntolerance" => RecordCategory.Allergy,
            "Condition" or "DocumentReference" => RecordCategory.Examination,
            "QuestionnaireResponse" => RecordCategory.PatientEvaluation,
            "Patient" => RecordCategory.Demographics,
            _ => RecordCategory.None,
        };
    }

    private static bool IsHospitalisation(JsonElement encounter)
    {
        if (encounter.TryGetProperty("hospitalization", out _))
        {
            return true;
        }

        return encounter.TryGetProperty("class", out var encounterClass)
            && FhirJson.GetString(encounterClass, "code") is { } code
            && InpatientClasses.Contains(code);
    }

    private static bool IsImagingReport(JsonElement report)
    {
        if (report.TryGetProperty("imagingStudy", out _))
        {
            return true;
        }

        foreach (var code in CategoryCodes(report))
        {
            if (ImagingSections.Contains(code) || code == "imaging")
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasCategory(JsonElement resource, string wanted)
    {
        foreach (var code in CategoryCodes(resource))
        {
            if (code == wanted)
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<string> CategoryCodes(JsonElement resource)
    {
        if (!resource.TryGetProperty("category", out var categories) || categories.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var category in categories.EnumerateArray())
        {
            if (category.ValueKind != JsonValueKind.Object || !category.TryGetProperty("coding", out var codings) || codings.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (var coding in codings.EnumerateArray())
            {
                if (FhirJson.GetString(coding, "code") is { } code)
                {
                    yield return code;
                }
            }
        }
    }
}
