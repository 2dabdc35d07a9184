using System.Text;
using System.Text.Json.Nodes;
using MedLedger.Ledger;
using MedLedger.Sharing.Demo;
using MedLedger.Sharing.Fhir;
using Xunit.Abstractions;

namespace MedLedger.Sharing.Tests;

public sealed class TierSplitterTests(ITestOutputHelper output)
{
    private const int Seed = 4242;

    private static readonly IReadOnlyList<SyntheticPatient> Patients = SyntheticPatients.Generate(Seed, 24);

    [Fact]
    public void Depression_and_hiv_records_go_to_the_sensitive_tier()
    {
        // 1. The mental-health bundle (F32.1 encounter reason, condition, sertraline) has only a Sensitive part.
        // 2. The HIV test observation (LOINC 75622-1) has only a Sensitive part.
        // 3. No GeneralClinical part anywhere mentions F32 or the HIV test code.
        output.WriteLine($"seed {Seed}");
        var mentalHealth = Patients.SelectMany(p => p.Records).First(r => r.Kind == "mental-health");
        var split = TierSplitter.Split(FhirValidator.Validate(mentalHealth.Json.Span));
        Assert.Equal([SensitivityTier.Sensitive], split.Tiers);
        Assert.Contains("F32.1", Text(split.Get(SensitivityTier.Sensitive)!), StringComparison.Ordinal);

        var hiv = Patients.SelectMany(p => p.Records).First(r => r.Kind == "hiv-test");
        var hivSplit = TierSplitter.Split(FhirValidator.Validate(hiv.Json.Span));
        Assert.Equal([SensitivityTier.Sensitive], hivSplit.Tiers);

        foreach (var record in Patients.SelectMany(p => p.Records))
        {
            var general = TierSplitter.Split(FhirValidator.Validate(record.Json.Span)).Get(SensitivityTier.GeneralClinical);
            if (general is not null)
            {
                Assert.DoesNotContain("\"F32", Text(general), StringComparison.Ordinal);
                Assert.DoesNotContain("75622-1", Text(general), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void Sensitive_flag_of_every_demo_record_matches_the_split()
    {
        // A record has a Sensitive part exactly when the generator put sensitive content in it.
        output.WriteLine($"seed {Seed}");
        foreach (var patient in Patients)
        {
            foreach (var record in patient.Records)
            {
                var split = TierSplitter.Split(FhirValidator.Validate(record.Json.Span));
                Assert.True(
                    record.ContainsSensitive == (split.Get(SensitivityTier.Sensitive) is not null),
                    $"patient {patient.Index} {record.Kind}: tiers {string.Join(",", split.Tiers)}");
            }
        }
    }

    [Fact]
    public void Names_and_identifiers_go_to_the_identity_tier_only()
    {
        // For the Patient record and the summary bundle (which embeds the Patient): the Identity part holds the
        // name, national id, phone and address; no other part holds any direct identifier; the GeneralClinical
        // Patient stub keeps gender and only the birth year.
        output.WriteLine($"seed {Seed}");
        foreach (var patient in Patients)
        {
            foreach (var record in patient.Records)
            {
                var split = TierSplitter.Split(FhirValidator.Validate(record.Json.Span));
                foreach (var part in split.Parts.Where(part => part.Tier != SensitivityTier.Identity))
                {
                    var text = Text(part);
                    foreach (var identifier in patient.DirectIdentifiers)
                    {
                        Assert.False(text.Contains(identifier, StringComparison.Ordinal), $"patient {patient.Index} {record.Kind} {part.Tier} contains '{identifier}'");
                    }
                }

                if (record.Kind is not ("patient" or "summary"))
                {
                    Assert.Null(split.Get(SensitivityTier.Identity));
                    continue;
                }

                var identity = Text(split.Get(SensitivityTier.Identity)!);
                foreach (var identifier in new[] { patient.FamilyName, patient.GivenName, patient.NationalId, patient.Phone, patient.AddressLine })
                {
                    Assert.Contains(identifier, identity, StringComparison.Ordinal);
                }

                var general = FhirValidator.Validate(split.Get(SensitivityTier.GeneralClinical)!.Json.Span, TierSplitter.PartValidationOptions);
                var stub = general.Resources.Single(r => r.ResourceType == "Patient").Element;
                Assert.Equal(patient.Sex, stub.GetProperty("gender").GetString());
                Assert.Equal(patient.BirthDate.Year.ToString(System.Globalization.CultureInfo.InvariantCulture), stub.GetProperty("birthDate").GetString());
                Assert.False(stub.TryGetProperty("name", out _));
                Assert.False(stub.TryGetProperty("text", out _));
            }
        }
    }

    [Fact]
    public void Merge_of_all_parts_round_trips_every_demo_record()
    {
        // Split then Merge gives back the record byte for byte (as re-serialised), except that a transaction
        // Bundle comes back as a collection without request elements — the documented normalisation.
        output.WriteLine($"seed {Seed}");
        foreach (var patient in Patients)
        {
            foreach (var record in patient.Records)
            {
                var document = FhirValidator.Validate(record.Json.Span);
                var merged = TierSplitter.Merge(TierSplitter.Split(document).Parts);
                Assert.True(
                    Expected(document) == Encoding.UTF8.GetString(merged),
                    $"patient {patient.Index} {record.Kind}\nexpected {Expected(document)}\nactual   {Encoding.UTF8.GetString(merged)}");
            }
        }
    }

    [Fact]
    public void Merge_restores_interleaved_order_and_subsets_reveal_nothing_hidden()
    {
        // A bundle interleaving general and sensitive entries around a Patient: 1. all parts merge back in the
        // original order; 2. General+Identity alone gives the general entries in order and no sensitive content;
        // 3. the General part alone carries no position marker and no sensitive code.
        var patient = """{"resourceType":"Patient","id":"p1","name":[{"family":"Quintero"}],"gender":"female","birthDate":"1980-04-02"}""";
        var cough = """{"resourceType":"Condition","id":"c1","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"R05"}]},"subject":{"reference":"Patient/p1"}}""";
        var depression = """{"resourceType":"Condition","id":"c2","code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F33.1"}]},"subject":{"reference":"Patient/p1"}}""";
        var weight = """{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"weight"},"subject":{"reference":"Patient/p1"}}""";
        var restricted = """{"resourceType":"Observation","id":"o2","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},"status":"final","code":{"text":"note"},"subject":{"reference":"Patient/p1"}}""";
        var bundle = FhirSamples.Collection(depression, patient, cough, restricted, weight);
        var document = FhirValidator.Validate(FhirSamples.Utf8(bundle));
        var split = TierSplitter.Split(document);
        Assert.Equal([SensitivityTier.Identity, SensitivityTier.GeneralClinical, SensitivityTier.Sensitive], split.Tiers);

        Assert.Equal(Encoding.UTF8.GetString(document.ToUtf8Bytes()), Encoding.UTF8.GetString(TierSplitter.Merge(split.Parts)));

        var visible = TierSplitter.Merge(split.Parts.Where(part => part.Tier != SensitivityTier.Sensitive));
        var ids = FhirValidator.Validate(visible, TierSplitter.PartValidationOptions).Resources.Select(r => r.Id!).ToArray();
        Assert.Equal(["p1", "c1", "o1"], ids);
        Assert.Contains("1980-04-02", Encoding.UTF8.GetString(visible), StringComparison.Ordinal);

        var generalOnly = Text(split.Get(SensitivityTier.GeneralClinical)!);
        Assert.DoesNotContain(TierSplitter.EntryPositionExtensionUrl, generalOnly, StringComparison.Ordinal);
        Assert.DoesNotContain("F33", generalOnly, StringComparison.Ordinal);
        Assert.DoesNotContain("Quintero", generalOnly, StringComparison.Ordinal);
        Assert.Contains("\"birthDate\":\"1980\"", generalOnly, StringComparison.Ordinal);

        var withoutIdentity = TierSplitter.Merge(split.Parts.Where(part => part.Tier != SensitivityTier.Identity));
        Assert.DoesNotContain("Quintero", Encoding.UTF8.GetString(withoutIdentity), StringComparison.Ordinal);
        Assert.Equal(["c2", "p1", "c1", "o2", "o1"], FhirValidator.Validate(withoutIdentity).Resources.Select(r => r.Id!).ToArray());
    }

    [Fact]
    public void Single_patient_resource_merges_back_into_fhir_element_order()
    {
        // A Patient whose properties are out of FHIR order comes back in FHIR order with every value intact, the
        // exact birth date from the Identity part overriding the year in the stub.
        var shuffled = """{"birthDate":"1975-11-30","resourceType":"Patient","gender":"male","name":[{"family":"Szabo"}],"id":"p9","identifier":[{"value":"9123"}]}""";
        var split = TierSplitter.Split(FhirValidator.Validate(shuffled));
        Assert.Equal([SensitivityTier.Identity, SensitivityTier.GeneralClinical], split.Tiers);
        var merged = Encoding.UTF8.GetString(TierSplitter.Merge(split.Parts));
        Assert.Equal("""{"resourceType":"Patient","id":"p9","identifier":[{"value":"9123"}],"name":[{"family":"Szabo"}],"gender":"male","birthDate":"1975-11-30"}""", merged);
    }

    [Fact]
    public void Patient_display_texts_are_dropped_outside_identity()
    {
        // "display": "Quintero, Ana" on a subject reference would leak the name into the clinical tier.
        var bundle = FhirSamples.Collection(
            """{"resourceType":"Patient","id":"p1","name":[{"family":"Quintero"}]}""",
            """{"resourceType":"Condition","subject":{"reference":"Patient/p1","display":"Quintero, Ana"}}""");
        var split = TierSplitter.Split(FhirValidator.Validate(FhirSamples.Utf8(bundle)));
        Assert.DoesNotContain("Quintero", Text(split.Get(SensitivityTier.GeneralClinical)!), StringComparison.Ordinal);
        Assert.Contains("Quintero", Text(split.Get(SensitivityTier.Identity)!), StringComparison.Ordinal);
    }

    [Fact]
    public void Split_is_deterministic_and_every_part_validates()
    {
        // Two splits of the same document give identical bytes; each part is valid FHIR under the part options.
        output.WriteLine($"seed {Seed}");
        foreach (var record in Patients.Take(6).SelectMany(p => p.Records))
        {
            var document = FhirValidator.Validate(record.Json.Span);
            var first = TierSplitter.Split(document);
            var second = TierSplitter.Split(FhirValidator.Validate(record.Json.Span));
            Assert.Equal(first.Tiers, second.Tiers);
            for (var i = 0; i < first.Parts.Count; i++)
            {
                Assert.Equal(first.Parts[i].Json.ToArray(), second.Parts[i].Json.ToArray());
                var part = FhirValidator.Validate(first.Parts[i].Json.Span, TierSplitter.PartValidationOptions);
                Assert.Equal(document.IsBundle, part.IsBundle);
            }
        }
    }

    [Fact]
    public void Security_labels_and_sensitive_codings_classify_resources()
    {
        // Restricted/very restricted confidentiality, ActCode sensitivity policies, ICD-10 ranges (including O9A and
        // national ICD-10 variants), ATC antidepressants and genetics sections are Sensitive; similar-looking codes
        // outside the ranges and ICD-10-PCS are not.
        Assert.True(IsSensitive("""{"resourceType":"Observation","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"V"}]},"status":"final","code":{"text":"x"}}"""));
        Assert.True(IsSensitive("""{"resourceType":"Observation","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]},"status":"final","code":{"text":"x"}}"""));
        Assert.True(IsSensitive(Icd("O9A.1")));
        Assert.True(IsSensitive(Icd("b20")));
        Assert.True(IsSensitive(Icd("Z21")));
        Assert.True(IsSensitive(Icd("A54.0")));
        Assert.True(IsSensitive(Icd("Q90.9")));
        Assert.True(IsSensitive(Icd("Z33.1")));
        Assert.True(IsSensitive(Icd("F32.1", "http://hl7.org/fhir/sid/icd-10-cm")));
        Assert.True(IsSensitive("""{"resourceType":"MedicationStatement","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.whocc.no/atc","code":"N06AB06"}]},"subject":{"reference":"Patient/p"}}"""));
        Assert.True(IsSensitive("""{"resourceType":"DiagnosticReport","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0074","code":"GE"}]}],"code":{"text":"x"}}"""));
        Assert.True(IsSensitive("""{"resourceType":"Claim","status":"active","type":{"text":"x"},"use":"claim","patient":{"reference":"Patient/p1"},"created":"2024","provider":{"reference":"Organization/o"},"priority":{"text":"n"},"insurance":[{"sequence":1,"focal":true,"coverage":{"reference":"Coverage/c"}}],"diagnosis":[{"sequence":1,"diagnosisCodeableConcept":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F20.0"}]}}]}"""));

        Assert.False(IsSensitive(Icd("E11.9")));
        Assert.False(IsSensitive(Icd("Z40.0")));
        Assert.False(IsSensitive(Icd("B25.0")));
        Assert.False(IsSensitive(Icd("F32.1", "http://hl7.org/fhir/sid/icd-10-pcs")));
        Assert.False(IsSensitive(Icd("F32.1", "http://example.org/other")));
        Assert.False(IsSensitive("""{"resourceType":"Observation","meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"N"}]},"status":"final","code":{"text":"x"}}"""));
    }

    [Fact]
    public void Merging_parts_of_two_patients_fails()
    {
        // The General part of one patient's record and the Sensitive part of another's do not merge.
        var first = Patients[1].Records.First(r => r.Kind == "lab-report");
        var second = Patients[5].Records.First(r => r.Kind == "mental-health");
        var general = TierSplitter.Split(FhirValidator.Validate(first.Json.Span)).Get(SensitivityTier.GeneralClinical)!;
        var sensitive = TierSplitter.Split(FhirValidator.Validate(second.Json.Span)).Get(SensitivityTier.Sensitive)!;
        var error = Assert.Throws<FhirValidationException>(() => TierSplitter.Merge([general, sensitive]));
        Assert.Equal(FhirErrorCodes.PatientMismatch, error.Code);

        Assert.Throws<ArgumentException>(() => TierSplitter.Merge([]));
        Assert.Throws<ArgumentException>(() => TierSplitter.Merge([general, general]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TierPart(SensitivityTier.None, general.Json));
    }

    private static bool IsSensitive(string json) =>
        SensitivityClassifier.IsSensitive(FhirValidator.Validate(json).Resources[0]);

    private static string Icd(string code, string system = "http://hl7.org/fhir/sid/icd-10") =>
        $$$"""{"resourceType":"Condition","code":{"coding":[{"system":"{{{system}}}","code":"{{{code}}}"}]},"subject":{"reference":"Patient/p"}}""";

    private static string Text(TierPart part) => Encoding.UTF8.GetString(part.Json.Span);

    /// <summary>The canonical form Merge gives back: collection Bundles without request elements.</summary>
    private static string Expected(FhirDocument document)
    {
        var node = JsonNode.Parse(document.ToUtf8Bytes())!.AsObject();
        if (document.IsBundle)
        {
            node["type"] = "collection";
            foreach (var entry in node["entry"]!.AsArray())
            {
                entry!.AsObject().Remove("request");
            }
        }

        return Encoding.UTF8.GetString(FhirSamples.Utf8(node));
    }
}
