using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MedLedger.Sharing.Deidentification;
using MedLedger.Sharing.Demo;
using MedLedger.Sharing.Fhir;
using Xunit.Abstractions;

namespace MedLedger.Sharing.Tests;

public sealed partial class DeidentifierTests(ITestOutputHelper output)
{
    private const int Seed = 777;

    private static readonly byte[] ReleaseKey = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    private static readonly DeidentificationOptions Options = new(SyntheticPatients.ReferenceDate, ReleaseKey);

    [Fact]
    public void No_direct_identifier_or_exact_date_survives_for_any_demo_patient()
    {
        // For every record of 60 demo patients: the output validates, contains none of the patient's direct
        // identifiers (names, national id, MRN, phone, e-mail, address line, contact's name and phone, birth date),
        // no full date (YYYY-MM-DD) except the 1 January of a year-truncated instant, and no patient/resource id.
        output.WriteLine($"seed {Seed}");
        var records = 0;
        foreach (var patient in SyntheticPatients.Generate(Seed, 60))
        {
            foreach (var record in patient.Records)
            {
                var document = FhirValidator.Validate(record.Json.Span);
                var result = Deidentifier.Deidentify(document, Options);
                var text = Encoding.UTF8.GetString(result.Json.Span);
                _ = FhirValidator.Validate(result.Json.Span);
                foreach (var identifier in patient.DirectIdentifiers.Append(patient.Id).Append(patient.City))
                {
                    Assert.False(text.Contains(identifier, StringComparison.OrdinalIgnoreCase), $"patient {patient.Index} {record.Kind}: '{identifier}' in {text}");
                }

                foreach (Match date in FullDate().Matches(text))
                {
                    Assert.True(date.Value.EndsWith("-01-01T00:00:00Z", StringComparison.Ordinal), $"patient {patient.Index} {record.Kind}: exact date {date.Value}");
                }

                Assert.DoesNotContain("\"div\"", text, StringComparison.Ordinal);
                Assert.DoesNotContain("\"identifier\"", text, StringComparison.Ordinal);
                Assert.DoesNotContain("\"telecom\"", text, StringComparison.Ordinal);
                Assert.DoesNotContain("\"birthDate\"", text, StringComparison.Ordinal);
                Assert.DoesNotContain("Sleeping better", text, StringComparison.Ordinal);
                Assert.Equal(record.Category, result.Category);
                records++;
            }
        }

        output.WriteLine($"{records} records de-identified");
    }

    [Fact]
    public void Clinical_codes_and_values_are_kept()
    {
        // ICD-10, LOINC, ATC codes, quantities and money amounts pass through unchanged.
        var patient = SyntheticPatients.GeneratePatient(Seed, 1);
        foreach (var record in patient.Records)
        {
            var original = FhirValidator.Validate(record.Json.Span);
            var text = Encoding.UTF8.GetString(Deidentifier.Deidentify(original, Options).Json.Span);
            foreach (var code in Codes(original.Root))
            {
                Assert.Contains("\"code\":\"" + code + "\"", text, StringComparison.Ordinal);
            }
        }

        var lab = patient.Records.First(r => r.Kind == "lab-report");
        var value = FhirValidator.Validate(lab.Json.Span).Resources[1].Element.GetProperty("valueQuantity").GetProperty("value").GetRawText();
        Assert.Contains("\"value\":" + value, Encoding.UTF8.GetString(Deidentifier.Deidentify(FhirValidator.Validate(lab.Json.Span), Options).Json.Span), StringComparison.Ordinal);
    }

    [Fact]
    public void Patient_is_generalised_to_age_band_sex_and_postal_prefix()
    {
        // The de-identified Patient keeps gender, a 5-year age band extension, the 3-digit postal prefix and country.
        var patient = SyntheticPatients.GeneratePatient(Seed, 3);
        var result = Deidentifier.Deidentify(FhirValidator.Validate(patient.Records[0].Json.Span), Options);
        var root = JsonDocument.Parse(result.Json).RootElement;
        Assert.Equal(patient.Sex, root.GetProperty("gender").GetString());
        Assert.Equal(patient.PostalCode[..3], root.GetProperty("address")[0].GetProperty("postalCode").GetString());
        Assert.Equal("ZZ", root.GetProperty("address")[0].GetProperty("country").GetString());
        var extension = root.GetProperty("extension")[0];
        Assert.Equal(Deidentifier.AgeBandExtensionUrl, extension.GetProperty("url").GetString());
        var band = Deidentifier.AgeBand(patient.BirthDate.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), SyntheticPatients.ReferenceDate);
        Assert.Equal(band, result.QuasiIdentifiers.AgeBand);
        Assert.Equal(patient.Sex, result.QuasiIdentifiers.Sex);
        Assert.Equal(patient.PostalCode[..3], result.QuasiIdentifiers.PostalPrefix);
        var low = extension.GetProperty("valueRange").GetProperty("low").GetProperty("value").GetInt32();
        Assert.StartsWith(low.ToString(System.Globalization.CultureInfo.InvariantCulture), band, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1980-06-30", "2025-06-30", "45-49")]
    [InlineData("1980-07-01", "2025-06-30", "40-44")]
    [InlineData("2025-01-01", "2025-06-30", "0-4")]
    [InlineData("1935-06-30", "2025-06-30", "90+")]
    [InlineData("1935-07-01", "2025-06-30", "85-89")]
    [InlineData("1980", "2025-06-30", "40-44")]
    [InlineData("1980-05", "2025-06-30", "45-49")]
    [InlineData("2030-01-01", "2025-06-30", "0-4")]
    public void Age_bands_are_five_years_wide_and_top_coded(string birthDate, string referenceDate, string expected)
    {
        // Birthdays on the reference date count; a year alone counts as 1 July, a month alone as its 15th.
        Assert.Equal(expected, Deidentifier.AgeBand(birthDate, DateOnly.Parse(referenceDate, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("10437", "104")]
    [InlineData("SW1A 1AA", "SW1")]
    [InlineData("k1a-0b1", "K1A")]
    [InlineData("12", "*")]
    [InlineData(null, "*")]
    public void Postal_prefix_is_three_characters(string? postalCode, string expected) =>
        Assert.Equal(expected, Deidentifier.PostalPrefix(postalCode));

    [Fact]
    public void Pseudonyms_are_consistent_within_a_release_and_unlinkable_across_releases()
    {
        // 1. Every record of one patient reports the same pseudonym, which is the id of the de-identified Patient.
        // 2. Internal references still resolve (the output validates strictly).
        // 3. Another release key gives other pseudonyms; two patients never share one.
        var patient = SyntheticPatients.GeneratePatient(Seed, 4);
        var pseudonyms = patient.Records.Select(r => Deidentifier.Deidentify(FhirValidator.Validate(r.Json.Span), Options).PatientPseudonym).Distinct().ToArray();
        var pseudonym = Assert.Single(pseudonyms);
        Assert.NotNull(pseudonym);
        var deidentifiedPatient = Deidentifier.Deidentify(FhirValidator.Validate(patient.Records[0].Json.Span), Options);
        Assert.Equal(pseudonym, JsonDocument.Parse(deidentifiedPatient.Json).RootElement.GetProperty("id").GetString());
        Assert.Equal("Patient/" + pseudonym, FhirValidator.Validate(Deidentifier.Deidentify(FhirValidator.Validate(patient.Records[2].Json.Span), Options).Json.Span).PatientReference);

        var otherRelease = new DeidentificationOptions(SyntheticPatients.ReferenceDate, Enumerable.Repeat((byte)9, 32).ToArray());
        Assert.NotEqual(pseudonym, Deidentifier.Deidentify(FhirValidator.Validate(patient.Records[0].Json.Span), otherRelease).PatientPseudonym);
        var other = SyntheticPatients.GeneratePatient(Seed, 5);
        Assert.NotEqual(pseudonym, Deidentifier.Deidentify(FhirValidator.Validate(other.Records[0].Json.Span), Options).PatientPseudonym);
    }

    [Fact]
    public void Records_without_a_patient_take_quasi_identifiers_from_the_given_patient()
    {
        // A lab report has no Patient resource: its quasi-identifiers are unknown unless the patient is passed in.
        var patient = SyntheticPatients.GeneratePatient(Seed, 6);
        var lab = FhirValidator.Validate(patient.Records.First(r => r.Kind == "lab-report").Json.Span);
        Assert.Equal(QuasiIdentifiers.None, Deidentifier.Deidentify(lab, Options).QuasiIdentifiers);
        var patientResource = FhirValidator.Validate(patient.Records[0].Json.Span).Resources[0];
        var result = Deidentifier.Deidentify(lab, Options, patientResource);
        Assert.Equal(patient.Sex, result.QuasiIdentifiers.Sex);
        Assert.Equal(patient.PostalCode[..3], result.QuasiIdentifiers.PostalPrefix);
        Assert.Throws<ArgumentException>(() => Deidentifier.Deidentify(lab, Options, lab.Resources[0]));
    }

    [Fact]
    public void Free_text_attachments_and_deceased_dates_are_generalised()
    {
        // Narrative, notes, attachment data, display names of references and deceasedDateTime do not survive;
        // the attachment keeps its content type and deceasedDateTime becomes deceasedBoolean.
        var json = """
            {"resourceType":"Bundle","type":"collection","entry":[
              {"fullUrl":"http://hospital.example/fhir/Patient/p1","resource":{"resourceType":"Patient","id":"p1","name":[{"family":"Rosenthal"}],"deceasedDateTime":"2024-03-04T05:06:07Z","birthDate":"1931-02-03","multipleBirthInteger":2}},
              {"fullUrl":"http://hospital.example/fhir/DocumentReference/d1","resource":{"resourceType":"DocumentReference","id":"d1","status":"current","subject":{"reference":"http://hospital.example/fhir/Patient/p1","display":"Mr Rosenthal"},"date":"2024-03-04T05:06:07Z","description":"Letter to Mr Rosenthal","content":[{"attachment":{"contentType":"text/plain","data":"Um9zZW50aGFs","title":"Rosenthal letter"}}]}}
            ]}
            """;
        var document = FhirValidator.Validate(json);
        var result = Deidentifier.Deidentify(document, Options);
        var text = Encoding.UTF8.GetString(result.Json.Span);
        Assert.DoesNotContain("Rosenthal", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Um9zZW50aGFs", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hospital.example", text, StringComparison.Ordinal);
        Assert.Contains("\"deceasedBoolean\":true", text, StringComparison.Ordinal);
        Assert.Contains("\"multipleBirthBoolean\":true", text, StringComparison.Ordinal);
        Assert.Contains("\"date\":\"2024-01-01T00:00:00Z\"", text, StringComparison.Ordinal);
        Assert.Contains("\"attachment\":{\"contentType\":\"text/plain\"}", text, StringComparison.Ordinal);
        Assert.Contains("\"valueRange\":{\"low\":{\"value\":90", text, StringComparison.Ordinal);
        Assert.Equal("90+", result.QuasiIdentifiers.AgeBand);
        Assert.Equal("Patient/" + result.PatientPseudonym, FhirValidator.Validate(result.Json.Span).PatientReference);
    }

    [Fact]
    public void Required_element_made_only_of_removed_content_is_refused_cleanly()
    {
        // An Observation whose required code holds nothing but an extension cannot be de-identified.
        var json = """{"resourceType":"Observation","status":"final","code":{"extension":[{"url":"http://example.org/x","valueString":"private"}]}}""";
        Assert.Throws<DeidentificationException>(() => Deidentifier.Deidentify(FhirValidator.Validate(json), Options));
        Assert.Throws<ArgumentException>(() => new DeidentificationOptions(SyntheticPatients.ReferenceDate, new byte[15]));
    }

    [Fact]
    public void Output_is_deterministic_for_one_release()
    {
        var record = SyntheticPatients.GeneratePatient(Seed, 7).Records[1];
        var first = Deidentifier.Deidentify(FhirValidator.Validate(record.Json.Span), Options).Json.ToArray();
        var second = Deidentifier.Deidentify(FhirValidator.Validate(record.Json.Span), new DeidentificationOptions(SyntheticPatients.ReferenceDate, ReleaseKey)).Json.ToArray();
        Assert.Equal(first, second);
    }

    private static IEnumerable<string> Codes(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            if (element.TryGetProperty("system", out var system) && element.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String
                && system.GetString() is "http://hl7.org/fhir/sid/icd-10" or "http://loinc.org" or "http://www.whocc.no/atc" or "http://snomed.info/sct")
            {
                yield return code.GetString()!;
            }

            foreach (var property in element.EnumerateObject())
            {
                foreach (var nested in Codes(property.Value))
                {
                    yield return nested;
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                foreach (var nested in Codes(item))
                {
                    yield return nested;
                }
            }
        }
    }

    [GeneratedRegex(@"\d{4}-\d{2}-\d{2}[^""]*")]
    private static partial Regex FullDate();
}
