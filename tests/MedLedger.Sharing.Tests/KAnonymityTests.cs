using MedLedger.Sharing.Deidentification;
using MedLedger.Sharing.Demo;
using MedLedger.Sharing.Fhir;
using Xunit.Abstractions;

namespace MedLedger.Sharing.Tests;

public sealed class KAnonymityTests(ITestOutputHelper output)
{
    private static readonly DeidentificationOptions Options = new(SyntheticPatients.ReferenceDate, new byte[32]);

    [Fact]
    public void Classes_smaller_than_k_are_found_and_suppressed()
    {
        // Three classes: A with 3 patients, B with 2, C with 1 (holding 2 records of that one patient). With k = 3,
        // B and C are small; Enforce releases only A's records and reports B's and C's.
        var a = new QuasiIdentifiers("40-44", "female", "104");
        var b = new QuasiIdentifiers("40-44", "male", "104");
        var c = new QuasiIdentifiers("90+", "female", "452");
        var items = new (QuasiIdentifiers Key, string Patient)[]
        {
            (a, "p1"), (b, "p2"), (a, "p3"), (c, "p4"), (a, "p5"), (b, "p6"), (c, "p4"),
        };

        var report = KAnonymity.Check(items, item => item.Key, item => item.Patient, 3);
        Assert.False(report.IsSatisfied);
        Assert.Equal([a, b, c], report.Classes.Select(item => item.Key).ToArray());
        Assert.Equal([3, 2, 1], report.Classes.Select(item => item.IndividualCount).ToArray());
        Assert.Equal([3, 2, 2], report.Classes.Select(item => item.RecordCount).ToArray());
        Assert.Equal([b, c], report.SmallClasses.Select(item => item.Key).ToArray());
        Assert.Equal([3, 6], report.Classes[2].RecordIndexes);

        Assert.True(KAnonymity.Check(items, item => item.Key, item => item.Patient, 1).IsSatisfied);
        Assert.Equal([c], KAnonymity.Check(items, item => item.Key, item => item.Patient, 2).SmallClasses.Select(item => item.Key).ToArray());
    }

    [Fact]
    public void Records_of_one_patient_do_not_make_a_class_k_anonymous()
    {
        // Five records of one patient are one individual: k = 2 is not met; records without a pseudonym count alone.
        var items = Enumerable.Repeat((Key: new QuasiIdentifiers("30-34", "male", "207"), Patient: (string?)"p1"), 5).ToArray();
        Assert.False(KAnonymity.Check(items, item => item.Key, item => item.Patient, 2).IsSatisfied);
        var anonymous = items.Select(item => (item.Key, Patient: (string?)null)).ToArray();
        Assert.True(KAnonymity.Check(anonymous, item => item.Key, item => item.Patient, 5).IsSatisfied);
    }

    [Fact]
    public void Enforce_on_demo_population_leaves_only_classes_of_at_least_k_patients()
    {
        // 1. De-identify the Patient record of 80 demo patients. 2. Enforce k = 3. 3. The released set satisfies
        // k = 3, suppressed + released = all, and every suppressed record's class has fewer than 3 patients.
        const int seed = 2024;
        output.WriteLine($"seed {seed}");
        var records = SyntheticPatients.Generate(seed, 80)
            .Select(patient => Deidentifier.Deidentify(FhirValidator.Validate(patient.Records[0].Json.Span), Options))
            .ToArray();
        var result = KAnonymity.Enforce(records, 3);
        output.WriteLine($"{result.Report.Classes.Count} classes, {result.SuppressedClasses.Count} suppressed, {result.Suppressed.Count} records held back");

        Assert.Equal(records.Length, result.Released.Count + result.Suppressed.Count);
        Assert.NotEmpty(result.Suppressed);
        Assert.NotEmpty(result.Released);
        Assert.True(KAnonymity.Check(result.Released, 3).IsSatisfied);
        var smallKeys = result.SuppressedClasses.Select(item => item.Key).ToHashSet();
        Assert.All(result.Suppressed, record => Assert.Contains(record.QuasiIdentifiers, smallKeys));
        Assert.All(result.Released, record => Assert.DoesNotContain(record.QuasiIdentifiers, smallKeys));
        Assert.Equal(result.Suppressed.Count, result.SuppressedClasses.Sum(item => item.RecordCount));
    }

    [Fact]
    public void K_must_be_in_range()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KAnonymity.Check(Array.Empty<DeidentifiedRecord>(), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => KAnonymity.Enforce(Array.Empty<DeidentifiedRecord>(), KAnonymity.MaxK + 1));
        Assert.True(KAnonymity.Check(Array.Empty<DeidentifiedRecord>(), 5).IsSatisfied);
    }
}
