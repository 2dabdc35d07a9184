using System.Text;
using System.Text.Json.Nodes;
using MedLedger.Sharing.Fhir;

namespace MedLedger.Sharing.Tests;

/// <summary>Every error code is reached by a malformed or oversized document, with the path of the problem.</summary>
public sealed class FhirValidatorErrorTests
{
    private const string ValidObservation = """{"resourceType":"Observation","status":"final","code":{"text":"weight"},"subject":{"reference":"Patient/p1"}}""";

    [Theory]
    [InlineData("""{"resourceType":"Patient","id":"p1" """, "$.id")]
    [InlineData("""{"resourceType":"Patient",}""", "$.resourceType")]
    [InlineData("""[{"resourceType":"Patient"}]""", "$")]
    [InlineData("", "$")]
    [InlineData("   ", "$")]
    [InlineData("""{"resourceType":"Patient"} {}""", "$")]
    [InlineData("""{"resourceType":"Patient", /* comment */ "id":"p1"}""", "$.resourceType")]
    [InlineData("""{"resourceType":"Patient","name":[{"family":"\uD800"}]}""", "$.name[0].family")]
    [InlineData("""{'resourceType':'Patient'}""", "$")]
    [InlineData("""{"resourceType":"Patient","active":tru}""", "$.active")]
    public void Malformed_json_is_fhir_not_json(string json, string path)
    {
        // The path is where the reader got to. Truncation, trailing commas, a non-object root, nothing at all, trailing data, comments, a lone surrogate
        // escape, single quotes and a bad literal are all refused as not JSON.
        var error = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(FhirErrorCodes.NotJson, error.Code);
        Assert.Equal(path, error.Path);
    }

    [Fact]
    public void Invalid_utf8_is_fhir_not_json()
    {
        // An overlong encoding of '/' (0xC0 0xAF) inside a string is not UTF-8.
        var bytes = Encoding.UTF8.GetBytes("""{"resourceType":"Patient","id":"p1","gender":"fe#male"}""");
        var index = Array.IndexOf(bytes, (byte)'#');
        var invalid = bytes[..index].Concat(new byte[] { 0xC0, 0xAF }).Concat(bytes[(index + 1)..]).ToArray();
        Assert.Equal(FhirErrorCodes.NotJson, Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(invalid)).Code);
    }

    [Fact]
    public void Oversized_document_is_fhir_too_large_before_parsing()
    {
        // One byte over the limit is refused even though the bytes are not even looked at as JSON.
        var bytes = new byte[FhirLimits.MaxDocumentBytes + 1];
        Array.Fill(bytes, (byte)' ');
        var error = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(bytes));
        Assert.Equal(FhirErrorCodes.TooLarge, error.Code);
        Assert.Contains(FhirLimits.MaxDocumentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);

        var text = new string(' ', FhirLimits.MaxDocumentBytes + 1);
        Assert.Equal(FhirErrorCodes.TooLarge, Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(text)).Code);
    }

    [Fact]
    public void Document_at_the_size_limit_is_accepted()
    {
        // Padding whitespace up to exactly the limit keeps a valid document valid: the limit is inclusive.
        var json = ValidObservation;
        var padded = json + new string(' ', FhirLimits.MaxDocumentBytes - json.Length);
        Assert.Equal(FhirLimits.MaxDocumentBytes, Encoding.UTF8.GetByteCount(padded));
        Assert.Equal("Observation", FhirValidator.Validate(padded).ResourceType);
    }

    [Fact]
    public void Nesting_beyond_the_depth_limit_is_fhir_too_deep()
    {
        // An extension nested at depth MaxDepth is fine; one level more is refused (the root object is level 1).
        Assert.Equal("Patient", FhirValidator.Validate(Nested(FhirLimits.MaxDepth)).ResourceType);
        var error = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(Nested(FhirLimits.MaxDepth + 1)));
        Assert.Equal(FhirErrorCodes.TooDeep, error.Code);
        Assert.StartsWith("$.x", error.Path, StringComparison.Ordinal);

        // Far deeper than the JSON reader's own limit: still our error, not the reader's.
        Assert.Equal(FhirErrorCodes.TooDeep, Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(Nested(5000))).Code);
    }

    [Fact]
    public void Duplicate_property_is_fhir_duplicate_property_with_its_path()
    {
        // The same name twice in one object, at the root or nested, is refused; the same name in sibling objects is not a duplicate.
        var root = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate("""{"resourceType":"Patient","gender":"male","gender":"female"}"""));
        Assert.Equal(FhirErrorCodes.DuplicateProperty, root.Code);
        Assert.Equal("$.gender", root.Path);

        var nested = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(
            """{"resourceType":"Observation","status":"final","code":{"text":"a","text":"b"}}"""));
        Assert.Equal(FhirErrorCodes.DuplicateProperty, nested.Code);
        Assert.Equal("$.code.text", nested.Path);

        Assert.Equal(2, FhirValidator.Validate("""{"resourceType":"Patient","name":[{"family":"A"},{"family":"B"}]}""").Root.GetProperty("name").GetArrayLength());
    }

    [Fact]
    public void Long_strings_and_names_are_fhir_string_too_long()
    {
        // One byte over MaxStringBytes in a value, or over MaxPropertyNameBytes in a name.
        var longValue = $$"""{"resourceType":"Patient","id":"p1","photo":[{"contentType":"image/png","data":"{{new string('A', FhirLimits.MaxStringBytes + 1)}}"}]}""";
        var error = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(longValue));
        Assert.Equal(FhirErrorCodes.StringTooLong, error.Code);
        Assert.Equal("$.photo[0].data", error.Path);

        var atLimit = $$"""{"resourceType":"Patient","id":"p1","photo":[{"contentType":"image/png","data":"{{new string('A', FhirLimits.MaxStringBytes)}}"}]}""";
        Assert.Equal("Patient", FhirValidator.Validate(atLimit).ResourceType);

        var longName = $$"""{"resourceType":"Patient","{{new string('x', FhirLimits.MaxPropertyNameBytes + 1)}}":true}""";
        Assert.Equal(FhirErrorCodes.StringTooLong, Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(longName)).Code);
    }

    [Fact]
    public void Too_many_bundle_entries_is_fhir_too_many_entries()
    {
        // MaxBundleEntries entries are accepted; one more is refused.
        Assert.Equal(FhirLimits.MaxBundleEntries, FhirValidator.Validate(FhirSamples.Utf8(BundleOf(FhirLimits.MaxBundleEntries))).Resources.Count);
        var error = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(FhirSamples.Utf8(BundleOf(FhirLimits.MaxBundleEntries + 1))));
        Assert.Equal(FhirErrorCodes.TooManyEntries, error.Code);
        Assert.Equal("$.entry", error.Path);
    }

    [Theory]
    [InlineData("""{"id":"p1"}""", "$")]
    [InlineData("""{"resourceType":7}""", "$")]
    [InlineData("""{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"status":"final"}}]}""", "$.entry[0].resource")]
    public void Missing_resource_type_is_fhir_missing_resource_type(string json, string path)
    {
        var error = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(json));
        Assert.Equal(FhirErrorCodes.MissingResourceType, error.Code);
        Assert.Equal(path, error.Path);
    }

    [Theory]
    [InlineData("""{"resourceType":"Medication"}""", "$.resourceType")]
    [InlineData("""{"resourceType":"patient"}""", "$.resourceType")]
    [InlineData("""{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Basic"}}]}""", "$.entry[0].resource.resourceType")]
    public void Unsupported_resource_type_is_fhir_unknown_resource_type(string json, string path)
    {
        // Types outside the supported set, including case variants of supported ones.
        var error = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(json));
        Assert.Equal(FhirErrorCodes.UnknownResourceType, error.Code);
        Assert.Equal(path, error.Path);
    }

    [Theory]
    [InlineData("""{"resourceType":"Observation","status":"done","code":{"text":"x"}}""", "$.status")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":"weight"}""", "$.code")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"category":{"text":"lab"}}""", "$.category")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"issued":"2024-05-01"}""", "$.issued")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"effectiveDateTime":"2024-05-01T10:00:00"}""", "$.effectiveDateTime")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":"5"}}""", "$.valueQuantity.value")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueFoo":1}""", "$.valueFoo")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueBoolean":true,"valueInteger":1}""", "$.valueInteger")]
    [InlineData("""{"resourceType":"Patient","birthDate":"2024-02-30"}""", "$.birthDate")]
    [InlineData("""{"resourceType":"Patient","birthDate":"0000-01-01"}""", "$.birthDate")]
    [InlineData("""{"resourceType":"Patient","birthDate":"2024-1-1"}""", "$.birthDate")]
    [InlineData("""{"resourceType":"Patient","gender":"f"}""", "$.gender")]
    [InlineData("""{"resourceType":"Patient","id":"has space"}""", "$.id")]
    [InlineData("""{"resourceType":"Patient","id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}""", "$.id")]
    [InlineData("""{"resourceType":"Patient","active":"true"}""", "$.active")]
    [InlineData("""{"resourceType":"Patient","gender":""}""", "$.gender")]
    [InlineData("""{"resourceType":"Patient","gender":null}""", "$.gender")]
    [InlineData("""{"resourceType":"Patient","name":[]}""", "$.name")]
    [InlineData("""{"resourceType":"Patient","maritalStatus":{}}""", "$.maritalStatus")]
    [InlineData("""{"resourceType":"Patient","identifier":[{"system":"urn:x y","value":"1"}]}""", "$.identifier[0].system")]
    [InlineData("""{"resourceType":"Patient","text":{"status":"generated","div":"plain text"}}""", "$.text.div")]
    [InlineData("""{"resourceType":"Claim","status":"active","type":{"text":"x"},"use":"claim","patient":{"reference":"Patient/p1"},"created":"2024-05-01","provider":{"reference":"Organization/o"},"priority":{"text":"n"},"insurance":[{"sequence":0,"focal":true,"coverage":{"reference":"Coverage/c"}}]}""", "$.insurance[0].sequence")]
    [InlineData("""{"resourceType":"Bundle","type":"searchset"}""", "$.type")]
    [InlineData("""{"resourceType":"Bundle","type":"collection","total":1}""", "$.total")]
    [InlineData("""{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Bundle","type":"collection"}}]}""", "$.entry[0].resource.resourceType")]
    [InlineData("""{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"Patient/p1","resource":{"resourceType":"Patient"}}]}""", "$.entry[0].fullUrl")]
    [InlineData("""{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:not-a-uuid","resource":{"resourceType":"Patient"}}]}""", "$.entry[0].fullUrl")]
    [InlineData("""{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}]}""", "$.entry[0].request")]
    [InlineData("""{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient"},"request":{"method":"DELETE","url":"Patient/1"}}]}""", "$.entry[0].request.method")]
    [InlineData("""{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000001","resource":{"resourceType":"Patient"}},{"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000001","resource":{"resourceType":"Patient"}}]}""", "$.entry[1].fullUrl")]
    public void Wrong_values_are_fhir_invalid_value(string json, string path)
    {
        // Codes outside their required value set, wrong JSON types, cardinality, impossible dates, instants without
        // time zone, two choices of one [x] element, unknown choice types, bad ids, FHIR JSON's null/empty rules,
        // bad uris, plain-text narrative, out-of-range positiveInt, unaccepted Bundle
        // shapes and duplicate fullUrls.
        var error = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(json));
        Assert.Equal(FhirErrorCodes.InvalidValue, error.Code);
        Assert.Equal(path, error.Path);
    }

    [Theory]
    [InlineData("""{"resourceType":"Condition","subject":{"reference":"urn:uuid:00000000-0000-4000-8000-000000000009"}}""", "$.subject.reference")]
    [InlineData("""{"resourceType":"Condition","subject":{"reference":"http://other.example/fhir/Patient/1"}}""", "$.subject.reference")]
    [InlineData("""{"resourceType":"Condition","subject":{"reference":"patient 1"}}""", "$.subject.reference")]
    [InlineData("""{"resourceType":"Condition","subject":{"reference":"Patient?identifier=123"}}""", "$.subject.reference")]
    [InlineData("""{"resourceType":"Condition","subject":{"reference":"#p"}}""", "$.subject.reference")]
    [InlineData("""{"resourceType":"Condition","subject":{"reference":"Group/g1"}}""", "$.subject.reference")]
    [InlineData("""{"resourceType":"Condition","subject":{"identifier":{"value":"123"}}}""", "$.subject")]
    [InlineData("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"performer":[{"reference":"urn:oid:1.2.x"}]}""", "$.performer[0].reference")]
    public void Bad_references_are_fhir_invalid_reference(string json, string path)
    {
        // Dangling urn:uuid, another server, not a reference at all, conditional references, a missing contained
        // resource, a subject that is not a Patient, a subject without literal reference, a malformed OID.
        var error = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(json));
        Assert.Equal(FhirErrorCodes.InvalidReference, error.Code);
        Assert.Equal(path, error.Path);
    }

    [Fact]
    public void Dangling_urn_uuid_in_a_bundle_is_fhir_invalid_reference()
    {
        // A reference to a urn:uuid that no entry has as fullUrl.
        var bundle = FhirSamples.Collection(
            """{"resourceType":"Patient","id":"p1"}""",
            $$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p1"},"hasMember":[{"reference":"{{{FhirSamples.Urn(7)}}}"}]}""");
        var error = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(FhirSamples.Utf8(bundle)));
        Assert.Equal(FhirErrorCodes.InvalidReference, error.Code);
        Assert.Equal("$.entry[1].resource.hasMember[0].reference", error.Path);
    }

    [Fact]
    public void Subject_that_resolves_to_a_non_patient_entry_is_fhir_invalid_reference()
    {
        // urn:uuid resolves, but to a Practitioner.
        var bundle = FhirSamples.Collection(
            """{"resourceType":"Practitioner"}""",
            $$$"""{"resourceType":"Condition","subject":{"reference":"{{{FhirSamples.Urn(1)}}}"}}""");
        Assert.Equal(FhirErrorCodes.InvalidReference, Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(FhirSamples.Utf8(bundle))).Code);
    }

    [Fact]
    public void Extension_without_url_is_fhir_missing_field()
    {
        var error = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate("""{"resourceType":"Patient","name":[{"family":"A","extension":[{"valueString":"x"}]}]}"""));
        Assert.Equal(FhirErrorCodes.MissingField, error.Code);
        Assert.Equal("$.name[0].extension[0].url", error.Path);
    }

    [Fact]
    public void Two_different_patients_are_fhir_patient_mismatch()
    {
        // 1. Two subjects pointing to different patients. 2. Two Patient resources. 3. A Patient entry and a
        // subject pointing elsewhere. Each names the offending reference.
        var twoSubjects = FhirSamples.Collection(
            """{"resourceType":"Condition","subject":{"reference":"Patient/a"}}""",
            """{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/b"}}""");
        var error = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(FhirSamples.Utf8(twoSubjects)));
        Assert.Equal(FhirErrorCodes.PatientMismatch, error.Code);
        Assert.Equal("$.entry[1].resource.subject.reference", error.Path);

        var twoPatients = FhirSamples.Collection("""{"resourceType":"Patient","id":"a"}""", """{"resourceType":"Patient","id":"b"}""");
        Assert.Equal(FhirErrorCodes.PatientMismatch, Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(FhirSamples.Utf8(twoPatients))).Code);

        var elsewhere = FhirSamples.Collection("""{"resourceType":"Patient","id":"a"}""", """{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/b"}}""");
        var third = Assert.Throws<FhirValidationException>(() => FhirValidator.Validate(FhirSamples.Utf8(elsewhere)));
        Assert.Equal(FhirErrorCodes.PatientMismatch, third.Code);
        Assert.Equal("$.entry[1].resource.patient.reference", third.Path);

        // The same patient named three ways (urn fullUrl, Patient/id, versioned Patient/id) is one patient.
        var same = FhirSamples.Collection(
            """{"resourceType":"Patient","id":"a"}""",
            $$$"""{"resourceType":"Condition","subject":{"reference":"{{{FhirSamples.Urn(1)}}}"}}""",
            """{"resourceType":"Condition","subject":{"reference":"Patient/a/_history/3"}}""");
        Assert.Equal("Patient/a", FhirValidator.Validate(FhirSamples.Utf8(same)).PatientReference);
    }

    [Fact]
    public void TryValidate_reports_instead_of_throwing()
    {
        Assert.True(FhirValidator.TryValidate(Encoding.UTF8.GetBytes(ValidObservation), out var document, out var none));
        Assert.NotNull(document);
        Assert.Null(none);
        Assert.False(FhirValidator.TryValidate("{"u8, out var nothing, out var error));
        Assert.Null(nothing);
        Assert.Equal(FhirErrorCodes.NotJson, error!.Code);
    }

    private static string Nested(int depth)
    {
        // Root object (level 1) holding "x": {"x": {...}} down to the requested total depth.
        var builder = new StringBuilder("{\"resourceType\":\"Patient\"");
        for (var level = 2; level <= depth; level++)
        {
            builder.Append(",\"x\":{\"y\":1");
        }

        builder.Append('}', depth - 1);
        builder.Append('}');
        return builder.ToString();
    }

    private static JsonObject BundleOf(int count)
    {
        var entries = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            entries.Add(new JsonObject
            {
                ["resource"] = new JsonObject
                {
                    ["resourceType"] = "Observation",
                    ["status"] = "final",
                    ["code"] = new JsonObject { ["text"] = "x" },
                    ["subject"] = new JsonObject { ["reference"] = "Patient/p1" },
                },
            });
        }

        return new JsonObject { ["resourceType"] = "Bundle", ["type"] = "collection", ["entry"] = entries };
    }
}
