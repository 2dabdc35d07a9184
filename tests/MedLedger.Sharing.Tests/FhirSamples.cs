using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MedLedger.Sharing.Tests;

/// <summary>Small hand-written FHIR documents for the validator tests.</summary>
internal static class FhirSamples
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A minimal valid instance of every supported resource type except Bundle (required elements only).</summary>
    public static IReadOnlyDictionary<string, string> Minimal { get; } = new Dictionary<string, string>
    {
        ["Patient"] = """{"resourceType":"Patient","id":"p1"}""",
        ["Encounter"] = """{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"}}""",
        ["Condition"] = """{"resourceType":"Condition","subject":{"reference":"Patient/p1"}}""",
        ["Observation"] = """{"resourceType":"Observation","status":"final","code":{"text":"weight"}}""",
        ["AllergyIntolerance"] = """{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/p1"}}""",
        ["Procedure"] = """{"resourceType":"Procedure","status":"completed","subject":{"reference":"Patient/p1"}}""",
        ["MedicationRequest"] = """{"resourceType":"MedicationRequest","status":"active","intent":"order","medicationCodeableConcept":{"text":"aspirin"},"subject":{"reference":"Patient/p1"}}""",
        ["MedicationStatement"] = """{"resourceType":"MedicationStatement","status":"active","medicationReference":{"reference":"Medication/m1"},"subject":{"reference":"Patient/p1"}}""",
        ["DiagnosticReport"] = """{"resourceType":"DiagnosticReport","status":"final","code":{"text":"panel"}}""",
        ["ImagingStudy"] = """{"resourceType":"ImagingStudy","status":"available","subject":{"reference":"Patient/p1"}}""",
        ["Immunization"] = """{"resourceType":"Immunization","status":"completed","vaccineCode":{"text":"flu"},"patient":{"reference":"Patient/p1"},"occurrenceDateTime":"2024-10-01"}""",
        ["CarePlan"] = """{"resourceType":"CarePlan","status":"active","intent":"plan","subject":{"reference":"Patient/p1"}}""",
        ["Claim"] = """{"resourceType":"Claim","status":"active","type":{"text":"professional"},"use":"claim","patient":{"reference":"Patient/p1"},"created":"2024-05-01","provider":{"reference":"Organization/o1"},"priority":{"text":"normal"},"insurance":[{"sequence":1,"focal":true,"coverage":{"reference":"Coverage/c1"}}]}""",
        ["ExplanationOfBenefit"] = """{"resourceType":"ExplanationOfBenefit","status":"active","type":{"text":"professional"},"use":"claim","patient":{"reference":"Patient/p1"},"created":"2024-05-01","insurer":{"reference":"Organization/i1"},"provider":{"reference":"Organization/o1"},"outcome":"complete","insurance":[{"focal":true,"coverage":{"reference":"Coverage/c1"}}]}""",
        ["QuestionnaireResponse"] = """{"resourceType":"QuestionnaireResponse","status":"completed"}""",
        ["DocumentReference"] = """{"resourceType":"DocumentReference","status":"current","content":[{"attachment":{"contentType":"text/plain"}}]}""",
        ["Practitioner"] = """{"resourceType":"Practitioner"}""",
        ["Organization"] = """{"resourceType":"Organization","name":"Northvale Hospital"}""",
        ["Consent"] = """{"resourceType":"Consent","status":"active","scope":{"text":"privacy"},"category":[{"text":"consent"}],"policyRule":{"text":"opt-in"}}""",
        ["AuditEvent"] = """{"resourceType":"AuditEvent","type":{"code":"rest"},"recorded":"2024-05-01T10:00:00Z","agent":[{"requestor":true}],"source":{"observer":{"display":"node"}}}""",
        ["Composition"] = """{"resourceType":"Composition","status":"final","type":{"text":"summary"},"date":"2024-05-01","author":[{"reference":"Practitioner/d1"}],"title":"Summary"}""",
    };

    /// <summary>The top-level elements each minimal sample must have (removing one is a missing-field error).</summary>
    public static IReadOnlyDictionary<string, string[]> RequiredTopLevel { get; } = new Dictionary<string, string[]>
    {
        ["Encounter"] = ["status", "class"],
        ["Condition"] = ["subject"],
        ["Observation"] = ["status", "code"],
        ["AllergyIntolerance"] = ["patient"],
        ["Procedure"] = ["status", "subject"],
        ["MedicationRequest"] = ["status", "intent", "medicationCodeableConcept", "subject"],
        ["MedicationStatement"] = ["status", "medicationReference", "subject"],
        ["DiagnosticReport"] = ["status", "code"],
        ["ImagingStudy"] = ["status", "subject"],
        ["Immunization"] = ["status", "vaccineCode", "patient", "occurrenceDateTime"],
        ["CarePlan"] = ["status", "intent", "subject"],
        ["Claim"] = ["status", "type", "use", "patient", "created", "provider", "priority", "insurance"],
        ["ExplanationOfBenefit"] = ["status", "type", "use", "patient", "created", "insurer", "provider", "outcome", "insurance"],
        ["QuestionnaireResponse"] = ["status"],
        ["DocumentReference"] = ["status", "content"],
        ["Organization"] = ["name"],
        ["Consent"] = ["status", "scope", "category", "policyRule"],
        ["AuditEvent"] = ["type", "recorded", "agent", "source"],
        ["Composition"] = ["status", "type", "date", "author", "title"],
    };

    public static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    /// <summary>Serialises like MedLedger does (compact, relaxed escaping), so outputs compare byte for byte.</summary>
    public static byte[] Utf8(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString(Relaxed));

    public static JsonObject Object(string json) => JsonNode.Parse(json)!.AsObject();

    /// <summary>A collection Bundle of the given resources with urn:uuid fullUrls u1, u2, … (UUIDs ending in the index).</summary>
    public static JsonObject Collection(params string[] resources)
    {
        var entries = new JsonArray();
        for (var i = 0; i < resources.Length; i++)
        {
            entries.Add(new JsonObject { ["fullUrl"] = Urn(i + 1), ["resource"] = JsonNode.Parse(resources[i]) });
        }

        return new JsonObject { ["resourceType"] = "Bundle", ["type"] = "collection", ["entry"] = entries };
    }

    public static string Urn(int index) => $"urn:uuid:00000000-0000-4000-8000-{index:D12}";
}
