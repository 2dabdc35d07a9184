using System.Text.Json.Nodes;
using MedLedger.Ledger;
using MedLedger.Sharing.Fhir;

namespace MedLedger.Sharing.Tests;

public sealed class FhirValidatorTests
{
    public static TheoryData<string> ResourceTypes => new(FhirSamples.Minimal.Keys);

    public static TheoryData<string, string> RequiredElements
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var (type, names) in FhirSamples.RequiredTopLevel)
            {
                foreach (var name in names)
                {
                    data.Add(type, name);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ResourceTypes))]
    public void Minimal_instance_of_each_supported_type_is_accepted(string type)
    {
        // A resource with only its required elements validates as a document of its own and inside a Bundle.
        var single = FhirValidator.Validate(FhirSamples.Minimal[type]);
        Assert.Equal(type, single.ResourceType);
        Assert.False(single.IsBundle);
        Assert.Equal(type, Assert.Single(single.Resources).ResourceType);

        var bundle = FhirValidator.Validate(FhirSamples.Utf8(FhirSamples.Collection(FhirSamples.Minimal[type])));
        Assert.Equal("collection", bundle.BundleType);
        Assert.Equal(type, Assert.Single(bundle.Resources).ResourceType);
        Assert.Equal(FhirSamples.Urn(1), bundle.Resources[0].FullUrl);
        Assert.Equal(0, bundle.Resources[0].EntryIndex);
    }

    [Theory]
    [MemberData(nameof(RequiredElements))]
    public void Each_required_element_is_enforced(string type, string element)
    {
        // Removing one required (1..1 or 1..*) element from an otherwise valid resource is fhir-missing-field, and
        // the path names the element (choice elements as name[x]).
        var resource = FhirSamples.Object(FhirSamples.Minimal[type]);
        Assert.True(resource.Remove(element));
        var error = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(FhirSamples.Utf8(resource)));
        Assert.Equal(FhirErrorCodes.MissingField, error.Code);
        var expected = element switch
        {
            "medicationCodeableConcept" or "medicationReference" => "$.medication[x]",
            "occurrenceDateTime" => "$.occurrence[x]",
            _ => "$." + element,
        };
        Assert.Equal(expected, error.Path);
    }

    [Fact]
    public void Required_elements_inside_backbone_elements_are_enforced()
    {
        // Claim.insurance.coverage is 1..1 inside a 1..* backbone element; its absence is reported with the index.
        var claim = FhirSamples.Object(FhirSamples.Minimal["Claim"]);
        claim["insurance"]![0]!.AsObject().Remove("coverage");
        var error = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(FhirSamples.Utf8(claim)));
        Assert.Equal(FhirErrorCodes.MissingField, error.Code);
        Assert.Equal("$.insurance[0].coverage", error.Path);
    }

    [Theory]
    [InlineData("collection")]
    [InlineData("transaction")]
    [InlineData("batch")]
    public void Accepted_bundle_types_validate(string bundleType)
    {
        // Transaction and batch entries need a request (POST/PUT); collection entries must not have one.
        var bundle = FhirSamples.Collection(FhirSamples.Minimal["Patient"], FhirSamples.Minimal["Condition"]);
        bundle["type"] = bundleType;
        if (bundleType != "collection")
        {
            foreach (var entry in bundle["entry"]!.AsArray())
            {
                entry!["request"] = new JsonObject { ["method"] = "POST", ["url"] = entry["resource"]!["resourceType"]!.GetValue<string>() };
            }
        }

        var document = FhirValidator.Validate(FhirSamples.Utf8(bundle));
        Assert.Equal(bundleType, document.BundleType);
        Assert.Equal(2, document.Resources.Count);
        Assert.Equal("Patient/p1", document.PatientReference);
    }

    [Fact]
    public void Document_bundle_needs_composition_first_identifier_and_timestamp()
    {
        // A document Bundle is accepted with Composition first, identifier and timestamp; without the
        // Composition first it is refused.
        var bundle = FhirSamples.Collection(FhirSamples.Minimal["Composition"], FhirSamples.Minimal["Patient"]);
        bundle["type"] = "document";
        bundle["identifier"] = new JsonObject { ["system"] = "urn:ietf:rfc:3986", ["value"] = FhirSamples.Urn(99) };
        bundle["timestamp"] = "2024-05-01T10:00:00+02:00";
        Assert.Equal("document", FhirValidator.Validate(FhirSamples.Utf8(bundle)).BundleType);

        var reordered = FhirSamples.Collection(FhirSamples.Minimal["Patient"], FhirSamples.Minimal["Composition"]);
        reordered["type"] = "document";
        reordered["identifier"] = bundle["identifier"]!.DeepClone();
        reordered["timestamp"] = "2024-05-01T10:00:00Z";
        var error = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(FhirSamples.Utf8(reordered)));
        Assert.Equal(FhirErrorCodes.InvalidValue, error.Code);
        Assert.Equal("$.entry[0].resource.resourceType", error.Path);

        bundle.Remove("timestamp");
        Assert.Equal(FhirErrorCodes.MissingField, Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(FhirSamples.Utf8(bundle))).Code);
    }

    [Fact]
    public void Urn_references_resolve_inside_the_bundle_and_give_the_patient()
    {
        // A Patient without id referenced by urn:uuid: the document's patient is the fullUrl; with an id, Patient/id,
        // and Patient/id references agree with urn:uuid references to the same entry.
        var patientUrl = FhirSamples.Urn(1);
        var condition = $$$"""{"resourceType":"Condition","subject":{"reference":"{{{patientUrl}}}"}}""";
        var withoutId = FhirValidator.Validate(FhirSamples.Utf8(FhirSamples.Collection("""{"resourceType":"Patient"}""", condition)));
        Assert.Equal(patientUrl, withoutId.PatientReference);

        var observation = """{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p1"}}""";
        var withId = FhirValidator.Validate(FhirSamples.Utf8(FhirSamples.Collection(FhirSamples.Minimal["Patient"], condition, observation)));
        Assert.Equal("Patient/p1", withId.PatientReference);
    }

    [Fact]
    public void Contained_resources_are_validated_and_local_references_resolve()
    {
        // '#id' must name a contained resource; contained resources are checked against their own rules.
        var good = """{"resourceType":"MedicationRequest","contained":[{"resourceType":"Organization","id":"org","name":"Pharmacy"}],"status":"active","intent":"order","medicationCodeableConcept":{"text":"x"},"subject":{"reference":"Patient/p1"},"requester":{"reference":"#org"}}""";
        Assert.Single(FhirValidator.Validate(good).Resources);

        var dangling = good.Replace("\"#org\"", "\"#other\"", StringComparison.Ordinal);
        Assert.Equal(FhirErrorCodes.InvalidReference, Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(dangling)).Code);

        var invalidContained = good.Replace("\"name\":\"Pharmacy\"", "\"active\":true", StringComparison.Ordinal);
        var error = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(invalidContained));
        Assert.Equal(FhirErrorCodes.MissingField, error.Code);
        Assert.Equal("$.contained[0].name", error.Path);
    }

    [Fact]
    public void External_references_need_the_option_and_unresolved_urns_need_theirs()
    {
        // An absolute http reference to another server is refused by default and accepted with
        // AllowExternalReferences; an unresolved urn:uuid is refused unless AllowUnresolvedUrnReferences.
        var external = """{"resourceType":"Condition","subject":{"reference":"https://other.example/fhir/Patient/9"}}""";
        var error = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(external));
        Assert.Equal(FhirErrorCodes.InvalidReference, error.Code);
        Assert.Equal("$.subject.reference", error.Path);
        var accepted = FhirValidator.Validate(external, new FhirValidationOptions { AllowExternalReferences = true });
        Assert.Equal("https://other.example/fhir/Patient/9", accepted.PatientReference);

        var urn = $$$"""{"resourceType":"Condition","subject":{"reference":"{{{FhirSamples.Urn(5)}}}"}}""";
        Assert.Equal(FhirErrorCodes.InvalidReference, Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(urn)).Code);
        Assert.Equal(FhirSamples.Urn(5), FhirValidator.Validate(urn, new FhirValidationOptions { AllowUnresolvedUrnReferences = true }).PatientReference);
    }

    [Fact]
    public void Byte_order_mark_is_tolerated_and_output_is_canonical()
    {
        // A UTF-8 BOM before the JSON is skipped; ToUtf8Bytes re-serialises compactly with the input property order.
        var bytes = "\uFEFF{ \"resourceType\" : \"Patient\",\n \"id\": \"p1\", \"gender\": \"female\" }"u8.ToArray();
        var document = FhirValidator.Validate(bytes);
        Assert.Equal("""{"resourceType":"Patient","id":"p1","gender":"female"}""", System.Text.Encoding.UTF8.GetString(document.ToUtf8Bytes()));
    }

    [Theory]
    [InlineData("""{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"text":"x"}}""", RecordCategory.Laboratory)]
    [InlineData("""{"resourceType":"Observation","status":"final","category":[{"coding":[{"code":"vital-signs"}]}],"code":{"text":"x"}}""", RecordCategory.Examination)]
    [InlineData("""{"resourceType":"DiagnosticReport","status":"final","category":[{"coding":[{"code":"RAD"}]}],"code":{"text":"x"}}""", RecordCategory.Imaging)]
    [InlineData("""{"resourceType":"DiagnosticReport","status":"final","code":{"text":"x"}}""", RecordCategory.Laboratory)]
    [InlineData("""{"resourceType":"Encounter","status":"finished","class":{"code":"IMP"}}""", RecordCategory.Hospitalisation)]
    [InlineData("""{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"hospitalization":{"admitSource":{"text":"er"}}}""", RecordCategory.Hospitalisation)]
    [InlineData("""{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"}}""", RecordCategory.Encounter)]
    [InlineData("""{"resourceType":"Claim","status":"active","type":{"text":"x"},"use":"claim","patient":{"reference":"Patient/p1"},"created":"2024","provider":{"reference":"Organization/o"},"priority":{"text":"n"},"insurance":[{"sequence":1,"focal":true,"coverage":{"reference":"Coverage/c"}}]}""", RecordCategory.Billing)]
    [InlineData("""{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/p1"}}""", RecordCategory.Allergy)]
    [InlineData("""{"resourceType":"QuestionnaireResponse","status":"completed"}""", RecordCategory.PatientEvaluation)]
    [InlineData("""{"resourceType":"Patient"}""", RecordCategory.Demographics)]
    [InlineData("""{"resourceType":"Practitioner"}""", RecordCategory.None)]
    [InlineData("""{"resourceType":"Procedure","status":"completed","subject":{"reference":"Patient/p1"}}""", RecordCategory.Procedure)]
    [InlineData("""{"resourceType":"Immunization","status":"completed","vaccineCode":{"text":"flu"},"patient":{"reference":"Patient/p1"},"occurrenceString":"autumn"}""", RecordCategory.Medication)]
    public void Single_resource_categories_follow_the_documented_rules(string json, RecordCategory expected)
    {
        // The category of a one-resource document is the category of that resource (docs/fhir.md table).
        Assert.Equal(expected, FhirValidator.Validate(json).SuggestedCategory);
    }

    [Fact]
    public void Document_category_follows_the_precedence()
    {
        // Encounter outranks the observations and conditions of the visit; a lab report outranks its results;
        // billing outranks medication.
        var encounter = FhirSamples.Minimal["Encounter"];
        var observation = FhirSamples.Minimal["Observation"];
        Assert.Equal(RecordCategory.Encounter, FhirValidator.Validate(FhirSamples.Utf8(FhirSamples.Collection(observation, encounter, FhirSamples.Minimal["Condition"]))).SuggestedCategory);
        Assert.Equal(RecordCategory.Laboratory, FhirValidator.Validate(FhirSamples.Utf8(FhirSamples.Collection(observation, FhirSamples.Minimal["DiagnosticReport"]))).SuggestedCategory);
        Assert.Equal(RecordCategory.Billing, FhirValidator.Validate(FhirSamples.Utf8(FhirSamples.Collection(FhirSamples.Minimal["MedicationRequest"], FhirSamples.Minimal["Claim"]))).SuggestedCategory);
        Assert.Equal(RecordCategory.Demographics, FhirValidator.Validate(FhirSamples.Utf8(FhirSamples.Collection(FhirSamples.Minimal["Patient"], FhirSamples.Minimal["Organization"]))).SuggestedCategory);
    }

    [Fact]
    public void Limits_relate_sensibly()
    {
        // A single string can never exceed a whole document, and a full Bundle of minimal entries fits the size limit.
        Assert.True(FhirLimits.MaxStringBytes < FhirLimits.MaxDocumentBytes);
        Assert.True(FhirLimits.MaxPropertyNameBytes < FhirLimits.MaxStringBytes);
        Assert.True(FhirLimits.MaxBundleEntries * 512 < FhirLimits.MaxDocumentBytes);
        Assert.True(FhirLimits.MaxDepth >= 16);
        Assert.Equal(64, FhirLimits.MaxIdLength);
    }
}
