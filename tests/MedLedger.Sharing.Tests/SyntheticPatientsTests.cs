using MedLedger.Ledger;
using MedLedger.Sharing.Demo;
using MedLedger.Sharing.Fhir;
using Xunit.Abstractions;

namespace MedLedger.Sharing.Tests;

public sealed class SyntheticPatientsTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(20250630)]
    public void Every_generated_record_validates_and_has_its_expected_category(int seed)
    {
        // Generates 40 patients and validates every record with the strict default options; the suggested category
        // must be the one the generator intended.
        output.WriteLine($"seed {seed}");
        foreach (var patient in SyntheticPatients.Generate(seed, 40))
        {
            foreach (var record in patient.Records)
            {
                FhirDocument document;
                try
                {
                    document = FhirValidator.Validate(record.Json.Span);
                }
                catch (FhirValidationException exception)
                {
                    throw new Xunit.Sdk.XunitException($"patient {patient.Index} record {record.Kind}: {exception.Message}\n{System.Text.Encoding.UTF8.GetString(record.Json.Span)}");
                }

                Assert.True(record.Category == document.SuggestedCategory, $"patient {patient.Index} record {record.Kind}: expected {record.Category}, got {document.SuggestedCategory}");
                Assert.Equal("Patient/" + patient.Id, document.PatientReference);
            }
        }
    }

    [Fact]
    public void Same_seed_gives_same_bytes_and_larger_counts_extend_smaller_ones()
    {
        // Determinism from the seed alone, independence of patient i from the count, and a different seed
        // giving different people.
        var first = SyntheticPatients.Generate(5, 12);
        var second = SyntheticPatients.Generate(5, 20);
        for (var i = 0; i < first.Count; i++)
        {
            Assert.Equal(first[i].Id, second[i].Id);
            Assert.Equal(first[i].Records.Count, second[i].Records.Count);
            for (var r = 0; r < first[i].Records.Count; r++)
            {
                Assert.Equal(first[i].Records[r].Json.ToArray(), second[i].Records[r].Json.ToArray());
            }
        }

        var other = SyntheticPatients.Generate(6, 12);
        Assert.NotEqual(first.Select(p => p.NationalId), other.Select(p => p.NationalId));
        Assert.Equal(first.Count, first.Select(p => p.Id).Distinct().Count());
    }

    [Fact]
    public void Population_covers_every_record_kind_and_category()
    {
        // 40 patients are enough to see every kind of record and every record category at least once.
        output.WriteLine("seed 9");
        var records = SyntheticPatients.Generate(9, 40).SelectMany(p => p.Records).ToArray();
        foreach (var kind in new[] { "patient", "summary", "outpatient-visit", "lab-report", "medications", "allergy", "inpatient-stay", "bill", "imaging", "self-assessment", "mental-health", "hiv-test", "pregnancy" })
        {
            Assert.True(records.Any(record => record.Kind == kind), kind);
        }

        foreach (var category in Enum.GetValues<RecordCategory>().Where(c => c is not (RecordCategory.None or RecordCategory.Procedure)))
        {
            Assert.True(records.Any(record => record.Category == category), category.ToString());
        }
    }

    [Theory]
    [InlineData(8 * 1024)]
    [InlineData(4096)]
    [InlineData(64 * 1024)]
    public void Benchmark_bundle_is_close_to_its_target_and_valid(int targetBytes)
    {
        // At most the target, within 1.5 KiB of it (one entry), valid, deterministic per seed.
        var bundle = SyntheticPatients.BenchmarkBundle(3, targetBytes);
        Assert.InRange(bundle.Length, targetBytes - 1536, targetBytes);
        var document = FhirValidator.Validate(bundle);
        Assert.Equal(RecordCategory.Encounter, document.SuggestedCategory);
        Assert.Equal(bundle, SyntheticPatients.BenchmarkBundle(3, targetBytes));
        Assert.NotEqual(bundle, SyntheticPatients.BenchmarkBundle(4, targetBytes));
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticPatients.BenchmarkBundle(3, 100));
    }
}
