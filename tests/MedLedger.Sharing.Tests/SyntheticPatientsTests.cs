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
}
