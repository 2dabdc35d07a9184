using System.Globalization;
using System.Text.Json.Nodes;
using MedLedger.Ledger;
using MedLedger.Sharing.Fhir;

namespace MedLedger.Sharing.Demo;

/// <summary>
/// Deterministic synthetic patients and FHIR R4 records for demos, tests and benchmarks: the same seed gives the
/// same bytes on every machine. Patient <c>i</c> depends only on (seed, i), so a larger count extends a smaller
/// one. Codes are real (ICD-10, LOINC with UCUM units, ATC, SNOMED CT); people, ids, addresses and phone numbers
/// are invented. Every document generated here passes <see cref="FhirValidator"/>.
/// </summary>
public static class SyntheticPatients
{
    /// <summary>The "today" of the generated data: record dates lie before it, ages are computed against it.</summary>
    public static readonly DateOnly ReferenceDate = new(2025, 6, 30);

    /// <summary>System of the fake national ids.</summary>
    public const string NationalIdSystem = "https://medledger.example/fhir/sid/national-id";

    /// <summary>System of the fake medical record numbers.</summary>
    public const string MedicalRecordNumberSystem = "https://medledger.example/fhir/sid/mrn";

    /// <summary>Most patients one call generates.</summary>
    public const int MaxPatients = 100_000;

    private const string Icd10 = "http://hl7.org/fhir/sid/icd-10";
    private const string Loinc = "http://loinc.org";
    private const string Snomed = "http://snomed.info/sct";
    private const string Atc = "http://www.whocc.no/atc";
    private const string Ucum = "http://unitsofmeasure.org";
    private const string ActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    private const string ObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category";
    private const string DiagnosticSection = "http://terminology.hl7.org/CodeSystem/v2-0074";

    private static readonly string[] FemaleNames =
    [
        "Amara", "Ingrid", "Leilani", "Chiara", "Beatriz", "Henrike", "Rosalind", "Thandiwe", "Valentina", "Xiomara",
        "Ottilie", "Siobhan", "Magdalena", "Yevgenia", "Noriko", "Esperanza",
    ];

    private static readonly string[] MaleNames =
    [
        "Tomasz", "Yusuf", "Dmitri", "Aurelio", "Kwame", "Olufemi", "Sebastiano", "Zoltan", "Ravindra", "Bartholomew",
        "Lorcan", "Evander", "Takeshi", "Ignatius", "Cassius", "Florentin",
    ];

    private static readonly string[] FamilyNames =
    [
        "Okonkwo", "Lindqvist", "Marchetti", "Nakamura", "Haddad", "Kowalczyk", "Fernandes", "Johansson", "Abernathy",
        "Castellanos", "Dubois", "Vasquez", "Thorvaldsen", "Mbeki", "Papadopoulos", "Rosenthal", "Szabo", "Quintero",
        "Achterberg", "Oyelaran",
    ];

    /// <summary>Clinicians' names: a list apart from the patients', so that a patient's name never appears by chance.</summary>
    private static readonly string[] PractitionerNames = ["Whitfield", "Arbuthnot", "Nwachukwu", "Petrakis", "Ellingsen", "Moreau"];

    private static readonly string[] Streets = ["Juniper", "Harbour", "Chestnut", "Millbrook", "Quarry", "Larkspur", "Orchard", "Wexford"];

    private static readonly string[] Cities = ["Northvale", "Eastbrook", "Westmere", "Southport"];

    /// <summary>Few postal prefixes, so that k-anonymity classes form in demo populations.</summary>
    private static readonly string[] PostalPrefixes = ["104", "105", "207", "311", "318", "452"];

    private static readonly Diagnosis[] Chronic =
    [
        new("E11.9", "Type 2 diabetes mellitus without complications", "A10BA02", "metformin"),
        new("I10", "Essential (primary) hypertension", "C09AA05", "ramipril"),
        new("J45.9", "Asthma, unspecified", "R03AC02", "salbutamol"),
        new("E78.5", "Hyperlipidaemia, unspecified", "C10AA05", "atorvastatin"),
        new("K21.9", "Gastro-oesophageal reflux disease without oesophagitis", "A02BC01", "omeprazole"),
        new("M54.5", "Low back pain", "M01AE01", "ibuprofen"),
        new("E03.9", "Hypothyroidism, unspecified", "H03AA01", "levothyroxine sodium"),
        new("N18.3", "Chronic kidney disease, stage 3", "C03CA01", "furosemide"),
    ];

    private static readonly (string Code, string Display)[] Acute =
    [
        ("J06.9", "Acute upper respiratory infection, unspecified"),
        ("J02.9", "Acute pharyngitis, unspecified"),
        ("R51", "Headache"),
        ("S93.4", "Sprain and strain of ankle"),
        ("L30.9", "Dermatitis, unspecified"),
    ];

    private static readonly Stay[] Stays =
    [
        new("J18.9", "Pneumonia, unspecified", "399208008", "Plain chest X-ray", 6),
        new("K35.8", "Acute appendicitis, other and unspecified", "80146002", "Appendectomy", 3),
        new("I21.9", "Acute myocardial infarction, unspecified", "415070008", "Percutaneous coronary intervention", 5),
        new("S72.0", "Fracture of neck of femur", "52734007", "Total replacement of hip", 9),
    ];

    private static readonly Lab[] Labs =
    [
        new("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 70m, 160m, 0, 70m, 100m),
        new("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 10.5m, 17.5m, 1, 12m, 17m),
        new("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 4.6m, 9.5m, 1, 4m, 5.6m),
        new("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.5m, 2.1m, 2, 0.6m, 1.3m),
        new("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", 130m, 290m, 0, 0m, 200m),
        new("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 3.2m, 13.5m, 1, 4m, 11m),
    ];

    private static readonly (string Code, string Display, string Category)[] Allergies =
    [
        ("91936005", "Allergy to penicillin", "medication"),
        ("91935009", "Allergy to peanut", "food"),
        ("300910009", "Allergy to pollen", "environment"),
        ("300916003", "Latex allergy", "environment"),
        ("293586001", "Allergy to aspirin", "medication"),
    ];

    private static readonly (string Code, string Display)[] Reactions =
    [
        ("271807003", "Eruption of skin"), ("39579001", "Anaphylaxis"), ("267036007", "Dyspnea"), ("418290006", "Itching"),
    ];

    /// <summary>Generates <paramref name="count"/> patients with their records.</summary>
    public static IReadOnlyList<SyntheticPatient> Generate(int seed, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxPatients);
        var patients = new SyntheticPatient[count];
        for (var i = 0; i < count; i++)
        {
            patients[i] = GeneratePatient(seed, i);
        }

        return patients;
    }

    /// <summary>Generates patient number <paramref name="index"/> of <paramref name="seed"/> alone.</summary>
    public static SyntheticPatient GeneratePatient(int seed, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var writer = new PatientWriter(seed, index);
        return writer.Write();
    }

    /// <summary>
    /// A collection Bundle of one synthetic patient's visit (Encounter, vital signs and lab results) grown to at
    /// most <paramref name="targetBytes"/> bytes and as close to it as whole entries allow — e.g. 8,192 for the
    /// "8 KiB FHIR bundle" of the record-write benchmark (SPEC performance targets).
    /// </summary>
    public static byte[] BenchmarkBundle(int seed, int targetBytes = 8 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetBytes, 2048);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetBytes, FhirLimits.MaxDocumentBytes);
        return new PatientWriter(seed, 0).BenchmarkBundle(targetBytes);
    }

    private static JsonObject Coding(string system, string code, string display) =>
        new() { ["system"] = system, ["code"] = code, ["display"] = display };

    private static JsonObject Concept(string system, string code, string display) =>
        new() { ["coding"] = new JsonArray(Coding(system, code, display)), ["text"] = display };

    private static JsonObject CodeOnly(string system, string code) =>
        new() { ["coding"] = new JsonArray(new JsonObject { ["system"] = system, ["code"] = code }) };

    private static JsonObject Ref(string reference) => new() { ["reference"] = reference };

    private static JsonObject Quantity(decimal value, string unit) =>
        new() { ["value"] = value, ["unit"] = unit, ["system"] = Ucum, ["code"] = unit };

    private static JsonObject Money(decimal value) => new() { ["value"] = value, ["currency"] = "EUR" };

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string DateTime(DateOnly date, int hour, int minute) =>
        date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T" + hour.ToString("00", CultureInfo.InvariantCulture) + ":"
        + minute.ToString("00", CultureInfo.InvariantCulture) + ":00Z";

    private static JsonObject Collection(IEnumerable<(string FullUrl, JsonObject Resource)> entries) =>
        new()
        {
            ["resourceType"] = "Bundle",
            ["type"] = "collection",
            ["entry"] = new JsonArray(entries.Select(entry => (JsonNode)new JsonObject
            {
                ["fullUrl"] = entry.FullUrl,
                ["resource"] = entry.Resource,
            }).ToArray()),
        };

    private sealed record Diagnosis(string Code, string Display, string AtcCode, string Medicine);

    private sealed record Stay(string Code, string Display, string ProcedureCode, string ProcedureDisplay, int Days);

    private sealed record Lab(string Code, string Display, string Unit, decimal Min, decimal Max, int Decimals, decimal Low, decimal High);

    /// <summary>Writes one patient's records from the patient's own random stream.</summary>
    private sealed class PatientWriter
    {
        private readonly DemoRandom _random;
        private readonly int _index;
        private readonly string _hospital;
        private readonly string _practitioner;
        private readonly string _practitionerName;
        private SyntheticPatient _patient = null!;
        private string _patientReference = null!;
        private Diagnosis _chronic = null!;

        public PatientWriter(int seed, int index)
        {
            _random = DemoRandom.For(seed, index, 1);
            _index = index;
            _hospital = "Organization/hospital-" + (1 + _random.Next(3)).ToString(CultureInfo.InvariantCulture);
            _practitioner = "Practitioner/practitioner-" + (1 + _random.Next(12)).ToString(CultureInfo.InvariantCulture);
            _practitionerName = "Dr. " + _random.Pick(PractitionerNames);
        }

        public SyntheticPatient Write()
        {
            _patient = NewPatient();
            _patientReference = "Patient/" + _patient.Id;
            _chronic = _random.Pick(Chronic);

            var records = new List<SyntheticRecord>
            {
                Record("patient", RecordCategory.Demographics, false, PatientResource()),
                Record("summary", RecordCategory.Encounter, false, Summary()),
                Record("outpatient-visit", RecordCategory.Encounter, false, OutpatientVisit()),
                Record("lab-report", RecordCategory.Laboratory, false, LabReport(_random.Next(2, 5))),
                Record("medications", RecordCategory.Medication, false, Medications()),
                Record("allergy", RecordCategory.Allergy, false, Allergy()),
            };

            if (_random.Chance(50))
            {
                records.Add(Record("inpatient-stay", RecordCategory.Hospitalisation, false, InpatientStay()));
            }

            records.Add(Record("bill", RecordCategory.Billing, false, Bill()));
            if (_index % 3 == 0)
            {
                records.Add(Record("imaging", RecordCategory.Imaging, false, Imaging()));
            }

            if (_index % 5 == 2)
            {
                records.Add(Record("self-assessment", RecordCategory.PatientEvaluation, false, SelfAssessment()));
            }

            // Occasionally sensitive content, of each kind the tier rules know.
            switch (_index % 8)
            {
                case 1:
                case 5:
                    records.Add(Record("mental-health", RecordCategory.Encounter, true, MentalHealth()));
                    break;
                case 3:
                    records.Add(Record("hiv-test", RecordCategory.Laboratory, true, HivTest()));
                    break;
                case 6 when _patient.Sex == "female" && Age() is >= 18 and <= 45:
                    records.Add(Record("pregnancy", RecordCategory.Examination, true, Pregnancy()));
                    break;
                default:
                    break;
            }

            _patient.Records = records;
            return _patient;
        }

        public byte[] BenchmarkBundle(int targetBytes)
        {
            _patient = NewPatient();
            _patientReference = "Patient/" + _patient.Id;
            var encounterUrl = Urn();
            var day = RecentDay();
            var entries = new List<(string FullUrl, JsonObject Resource)> { (encounterUrl, Encounter("AMB", "ambulatory", day, day, hospitalised: false, reason: null)) };
            var bundle = FhirJson.Serialize(Collection(entries));
            for (var i = 0; ; i++)
            {
                var candidate = new List<(string, JsonObject)>(entries)
                {
                    (Urn(), i % 4 == 3 ? VitalSign(encounterUrl, day) : LabObservation(Labs[i % Labs.Length], encounterUrl, day)),
                };
                var bytes = FhirJson.Serialize(Collection(candidate.Select(entry => (entry.Item1, (JsonObject)entry.Item2.DeepClone()))));
                if (bytes.Length > targetBytes)
                {
                    return bundle;
                }

                entries = candidate;
                bundle = bytes;
            }
        }

        private SyntheticPatient NewPatient()
        {
            // Every eighth patient (index 6 mod 8) is a woman of reproductive age, who gets a pregnancy record.
            var expecting = _index % 8 == 6;
            var sex = expecting || _random.Chance(50) ? "female" : "male";
            var given = _random.Pick(sex == "female" ? FemaleNames : MaleNames);
            var family = _random.Pick(FamilyNames);
            var birth = ReferenceDate.AddDays(-_random.Next(18 * 365, 90 * 365));
            if (expecting)
            {
                birth = ReferenceDate.AddDays(-_random.Next(20 * 365, 40 * 365));
            }
            else if (_random.Chance(8))
            {
                birth = ReferenceDate.AddDays(-_random.Next(365, 18 * 365));
            }

            var contactFamily = _random.Chance(60) ? family : _random.Pick(FamilyNames);
            return new SyntheticPatient(
                _index,
                "pat-" + _index.ToString("D5", CultureInfo.InvariantCulture) + "-" + _random.Hex(8),
                given,
                family,
                "9" + _random.Digits(10),
                "MRN" + _random.Digits(8),
                birth,
                sex,
                _random.Pick(PostalPrefixes) + _random.Digits(2),
                (10 + _random.Next(880)).ToString(CultureInfo.InvariantCulture) + " " + _random.Pick(Streets) + " Lane",
                _random.Pick(Cities),
                "+99 555 " + _random.Digits(7),
                given.ToLowerInvariant() + "." + family.ToLowerInvariant() + _random.Digits(3) + "@mail.example",
                _random.Pick(_random.Chance(50) ? FemaleNames : MaleNames),
                contactFamily,
                "+99 556 " + _random.Digits(7));
        }

        private int Age()
        {
            var age = ReferenceDate.Year - _patient.BirthDate.Year;
            return ReferenceDate < _patient.BirthDate.AddYears(age) ? age - 1 : age;
        }

        private static SyntheticRecord Record(string kind, RecordCategory category, bool sensitive, JsonObject json) =>
            new(kind, category, sensitive, FhirJson.Serialize(json));

        private string Urn() => "urn:uuid:" + _random.Uuid();

        private string NewId(string prefix) => prefix + "-" + _random.Hex(12);

        private DateOnly RecentDay() => ReferenceDate.AddDays(-_random.Next(7, 3 * 365));

        private JsonObject PatientResource()
        {
            var p = _patient;
            return new JsonObject
            {
                ["resourceType"] = "Patient",
                ["id"] = p.Id,
                ["text"] = new JsonObject
                {
                    ["status"] = "generated",
                    ["div"] = $"<div xmlns=\"http://www.w3.org/1999/xhtml\">{p.GivenName} {p.FamilyName}, born {Date(p.BirthDate)}, national id {p.NationalId}</div>",
                },
                ["identifier"] = new JsonArray(
                    new JsonObject { ["use"] = "official", ["system"] = NationalIdSystem, ["value"] = p.NationalId },
                    new JsonObject
                    {
                        ["use"] = "usual",
                        ["type"] = CodeOnly("http://terminology.hl7.org/CodeSystem/v2-0203", "MR"),
                        ["system"] = MedicalRecordNumberSystem,
                        ["value"] = p.MedicalRecordNumber,
                    }),
                ["active"] = true,
                ["name"] = new JsonArray(new JsonObject { ["use"] = "official", ["family"] = p.FamilyName, ["given"] = new JsonArray(p.GivenName) }),
                ["telecom"] = new JsonArray(
                    new JsonObject { ["system"] = "phone", ["value"] = p.Phone, ["use"] = "mobile" },
                    new JsonObject { ["system"] = "email", ["value"] = p.Email }),
                ["gender"] = p.Sex,
                ["birthDate"] = Date(p.BirthDate),
                ["address"] = new JsonArray(new JsonObject
                {
                    ["use"] = "home",
                    ["line"] = new JsonArray(p.AddressLine),
                    ["city"] = p.City,
                    ["postalCode"] = p.PostalCode,
                    ["country"] = "ZZ",
                }),
                ["contact"] = new JsonArray(new JsonObject
                {
                    ["relationship"] = new JsonArray(CodeOnly("http://terminology.hl7.org/CodeSystem/v2-0131", "C")),
                    ["name"] = new JsonObject { ["family"] = p.ContactFamilyName, ["given"] = new JsonArray(p.ContactGivenName) },
                    ["telecom"] = new JsonArray(new JsonObject { ["system"] = "phone", ["value"] = p.ContactPhone }),
                }),
                ["communication"] = new JsonArray(new JsonObject
                {
                    ["language"] = Concept("urn:ietf:bcp:47", "en", "English"),
                    ["preferred"] = true,
                }),
                ["managingOrganization"] = Ref(_hospital),
            };
        }

        private JsonObject Encounter(string classCode, string classDisplay, DateOnly start, DateOnly end, bool hospitalised, (string Code, string Display)? reason, string? subject = null)
        {
            var encounter = new JsonObject
            {
                ["resourceType"] = "Encounter",
                ["id"] = NewId("enc"),
                ["status"] = "finished",
                ["class"] = Coding(ActCode, classCode, classDisplay),
                ["type"] = new JsonArray(hospitalised
                    ? Concept(Snomed, "183452005", "Emergency hospital admission")
                    : Concept(Snomed, "185349003", "Encounter for check up")),
                ["subject"] = Ref(subject ?? _patientReference),
                ["participant"] = new JsonArray(new JsonObject
                {
                    ["individual"] = new JsonObject { ["reference"] = _practitioner, ["display"] = _practitionerName },
                }),
                ["period"] = new JsonObject { ["start"] = DateTime(start, 8 + _random.Next(9), 5 * _random.Next(12)), ["end"] = DateTime(end, 18, 30) },
            };
            if (reason is { } r)
            {
                encounter["reasonCode"] = new JsonArray(Concept(Icd10, r.Code, r.Display));
            }

            if (hospitalised)
            {
                encounter["hospitalization"] = new JsonObject
                {
                    ["admitSource"] = Concept("http://terminology.hl7.org/CodeSystem/admit-source", "emd", "From accident/emergency department"),
                    ["dischargeDisposition"] = Concept("http://terminology.hl7.org/CodeSystem/discharge-disposition", "home", "Home"),
                };
            }

            encounter["serviceProvider"] = Ref(_hospital);
            return encounter;
        }

        private JsonObject Condition(string code, string display, string? encounter, DateOnly onset, string category = "encounter-diagnosis", string? subject = null)
        {
            var condition = new JsonObject
            {
                ["resourceType"] = "Condition",
                ["id"] = NewId("cond"),
                ["clinicalStatus"] = CodeOnly("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
                ["verificationStatus"] = CodeOnly("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"),
                ["category"] = new JsonArray(CodeOnly("http://terminology.hl7.org/CodeSystem/condition-category", category)),
                ["code"] = Concept(Icd10, code, display),
                ["subject"] = Ref(subject ?? _patientReference),
            };
            if (encounter is not null)
            {
                condition["encounter"] = Ref(encounter);
            }

            condition["onsetDateTime"] = Date(onset);
            condition["recordedDate"] = Date(onset);
            return condition;
        }

        private JsonObject LabObservation(Lab lab, string? encounter, DateOnly day, string? subject = null)
        {
            var value = _random.Decimal(lab.Min, lab.Max, lab.Decimals);
            var observation = new JsonObject
            {
                ["resourceType"] = "Observation",
                ["id"] = NewId("obs"),
                ["status"] = "final",
                ["category"] = new JsonArray(Concept(ObservationCategory, "laboratory", "Laboratory")),
                ["code"] = Concept(Loinc, lab.Code, lab.Display),
                ["subject"] = Ref(subject ?? _patientReference),
            };
            if (encounter is not null)
            {
                observation["encounter"] = Ref(encounter);
            }

            observation["effectiveDateTime"] = DateTime(day, 7, 30);
            observation["issued"] = DateTime(day, 14, 10);
            observation["valueQuantity"] = Quantity(value, lab.Unit);
            observation["interpretation"] = new JsonArray(CodeOnly(
                "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                value < lab.Low ? "L" : value > lab.High ? "H" : "N"));
            observation["referenceRange"] = new JsonArray(new JsonObject
            {
                ["low"] = Quantity(lab.Low, lab.Unit),
                ["high"] = Quantity(lab.High, lab.Unit),
            });
            return observation;
        }

        private JsonObject VitalSign(string? encounter, DateOnly day, string? subject = null)
        {
            var observation = new JsonObject
            {
                ["resourceType"] = "Observation",
                ["id"] = NewId("obs"),
                ["status"] = "final",
                ["category"] = new JsonArray(Concept(ObservationCategory, "vital-signs", "Vital Signs")),
                ["code"] = Concept(Loinc, "85354-9", "Blood pressure panel with all children optional"),
                ["subject"] = Ref(subject ?? _patientReference),
            };
            if (encounter is not null)
            {
                observation["encounter"] = Ref(encounter);
            }

            observation["effectiveDateTime"] = DateTime(day, 9, 15);
            observation["component"] = new JsonArray(
                new JsonObject
                {
                    ["code"] = Concept(Loinc, "8480-6", "Systolic blood pressure"),
                    ["valueQuantity"] = Quantity(_random.Next(105, 165), "mm[Hg]"),
                },
                new JsonObject
                {
                    ["code"] = Concept(Loinc, "8462-4", "Diastolic blood pressure"),
                    ["valueQuantity"] = Quantity(_random.Next(60, 100), "mm[Hg]"),
                });
            return observation;
        }

        private JsonObject Weight(string encounter, DateOnly day, string subject) => new()
        {
            ["resourceType"] = "Observation",
            ["id"] = NewId("obs"),
            ["status"] = "final",
            ["category"] = new JsonArray(Concept(ObservationCategory, "vital-signs", "Vital Signs")),
            ["code"] = Concept(Loinc, "29463-7", "Body weight"),
            ["subject"] = Ref(subject),
            ["encounter"] = Ref(encounter),
            ["effectiveDateTime"] = DateTime(day, 9, 10),
            ["valueQuantity"] = Quantity(_random.Decimal(48m, 120m, 1), "kg"),
        };

        private JsonObject MedicationRequest(string atc, string medicine, string? reasonCode, string? reasonDisplay, DateOnly day, string? subject = null)
        {
            var request = new JsonObject
            {
                ["resourceType"] = "MedicationRequest",
                ["id"] = NewId("medrx"),
                ["status"] = "active",
                ["intent"] = "order",
                ["medicationCodeableConcept"] = Concept(Atc, atc, medicine),
                ["subject"] = Ref(subject ?? _patientReference),
                ["authoredOn"] = Date(day),
                ["requester"] = Ref(_practitioner),
            };
            if (reasonCode is not null)
            {
                request["reasonCode"] = new JsonArray(Concept(Icd10, reasonCode, reasonDisplay!));
            }

            request["dosageInstruction"] = new JsonArray(new JsonObject
            {
                ["text"] = "1 tablet once daily",
                ["timing"] = new JsonObject { ["repeat"] = new JsonObject { ["frequency"] = 1, ["period"] = 1, ["periodUnit"] = "d" } },
            });
            return request;
        }

        private JsonObject AllergyResource(string? subject = null)
        {
            var (code, display, category) = _random.Pick(Allergies);
            var (reactionCode, reactionDisplay) = _random.Pick(Reactions);
            return new JsonObject
            {
                ["resourceType"] = "AllergyIntolerance",
                ["id"] = NewId("allergy"),
                ["clinicalStatus"] = CodeOnly("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"),
                ["verificationStatus"] = CodeOnly("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed"),
                ["type"] = "allergy",
                ["category"] = new JsonArray(category),
                ["criticality"] = reactionCode == "39579001" ? "high" : "low",
                ["code"] = Concept(Snomed, code, display),
                ["patient"] = Ref(subject ?? _patientReference),
                ["recordedDate"] = Date(RecentDay()),
                ["reaction"] = new JsonArray(new JsonObject
                {
                    ["manifestation"] = new JsonArray(Concept(Snomed, reactionCode, reactionDisplay)),
                    ["severity"] = reactionCode == "39579001" ? "severe" : "mild",
                }),
            };
        }

        private JsonObject Summary()
        {
            var patientUrl = Urn();
            var encounterUrl = Urn();
            var day = RecentDay();
            var patient = PatientResource();
            return Collection(
            [
                (patientUrl, patient),
                (encounterUrl, Encounter("AMB", "ambulatory", day, day, hospitalised: false, reason: null, subject: patientUrl)),
                (Urn(), Condition(_chronic.Code, _chronic.Display, encounterUrl, day.AddDays(-_random.Next(30, 2000)), "problem-list-item", patientUrl)),
                (Urn(), Weight(encounterUrl, day, patientUrl)),
                (Urn(), AllergyResource(patientUrl)),
            ]);
        }

        private JsonObject OutpatientVisit()
        {
            var encounterUrl = Urn();
            var day = RecentDay();
            var acute = _random.Pick(Acute);
            var entries = new (string FullUrl, JsonObject Resource)[]
            {
                (encounterUrl, Encounter("AMB", "ambulatory", day, day, hospitalised: false, reason: acute)),
                (Urn(), Condition(acute.Code, acute.Display, encounterUrl, day)),
                (Urn(), VitalSign(encounterUrl, day)),
            };
            return new JsonObject
            {
                ["resourceType"] = "Bundle",
                ["type"] = "transaction",
                ["entry"] = new JsonArray(entries.Select(entry => (JsonNode)new JsonObject
                {
                    ["fullUrl"] = entry.FullUrl,
                    ["resource"] = entry.Resource,
                    ["request"] = new JsonObject { ["method"] = "POST", ["url"] = FhirJson.AsString(entry.Resource["resourceType"]) },
                }).ToArray()),
            };
        }

        private JsonObject LabReport(int resultCount)
        {
            var day = RecentDay();
            var labs = Labs.OrderBy(_ => _random.Next(1000)).Take(resultCount).ToArray();
            var results = labs.Select(lab => (FullUrl: Urn(), Resource: LabObservation(lab, null, day))).ToArray();
            var report = new JsonObject
            {
                ["resourceType"] = "DiagnosticReport",
                ["id"] = NewId("report"),
                ["status"] = "final",
                ["category"] = new JsonArray(Concept(DiagnosticSection, "LAB", "Laboratory")),
                ["code"] = Concept(Loinc, "11502-2", "Laboratory report"),
                ["subject"] = Ref(_patientReference),
                ["effectiveDateTime"] = DateTime(day, 7, 30),
                ["issued"] = DateTime(day, 15, 0),
                ["performer"] = new JsonArray(Ref(_hospital)),
                ["result"] = new JsonArray(results.Select(result => (JsonNode)Ref(result.FullUrl)).ToArray()),
            };
            return Collection(results.Prepend((Urn(), report)));
        }

        private JsonObject Medications()
        {
            var day = RecentDay();
            var entries = new List<(string, JsonObject)>
            {
                (Urn(), MedicationRequest(_chronic.AtcCode, _chronic.Medicine, _chronic.Code, _chronic.Display, day)),
            };
            var second = _random.Pick(Chronic);
            if (second != _chronic && _random.Chance(60))
            {
                entries.Add((Urn(), MedicationRequest(second.AtcCode, second.Medicine, second.Code, second.Display, day)));
            }

            return Collection(entries);
        }

        private JsonObject Allergy() => AllergyResource();

        private JsonObject InpatientStay()
        {
            var stay = _random.Pick(Stays);
            var encounterUrl = Urn();
            var admitted = RecentDay();
            var discharged = admitted.AddDays(stay.Days);
            var procedure = new JsonObject
            {
                ["resourceType"] = "Procedure",
                ["id"] = NewId("proc"),
                ["status"] = "completed",
                ["code"] = Concept(Snomed, stay.ProcedureCode, stay.ProcedureDisplay),
                ["subject"] = Ref(_patientReference),
                ["encounter"] = Ref(encounterUrl),
                ["performedDateTime"] = DateTime(admitted.AddDays(1), 10, 0),
                ["performer"] = new JsonArray(new JsonObject { ["actor"] = Ref(_practitioner) }),
            };
            return Collection(
            [
                (encounterUrl, Encounter("IMP", "inpatient encounter", admitted, discharged, hospitalised: true, reason: (stay.Code, stay.Display))),
                (Urn(), Condition(stay.Code, stay.Display, encounterUrl, admitted)),
                (Urn(), procedure),
                (Urn(), LabObservation(Labs[5], encounterUrl, admitted)),
            ]);
        }

        private JsonObject Bill()
        {
            var day = RecentDay();
            var coverage = Ref("Coverage/" + NewId("cov"));
            var items = new[]
            {
                ("99213", "Office or other outpatient visit", _random.Decimal(60m, 180m, 2)),
                ("80053", "Comprehensive metabolic panel", _random.Decimal(20m, 90m, 2)),
            };
            var total = items.Sum(item => item.Item3);
            var benefit = Math.Round(total * 0.8m, 2);
            var claimUrl = Urn();
            var claim = new JsonObject
            {
                ["resourceType"] = "Claim",
                ["id"] = NewId("claim"),
                ["status"] = "active",
                ["type"] = CodeOnly("http://terminology.hl7.org/CodeSystem/claim-type", "professional"),
                ["use"] = "claim",
                ["patient"] = Ref(_patientReference),
                ["created"] = Date(day),
                ["insurer"] = Ref("Organization/insurer-1"),
                ["provider"] = Ref(_hospital),
                ["priority"] = CodeOnly("http://terminology.hl7.org/CodeSystem/processpriority", "normal"),
                ["diagnosis"] = new JsonArray(new JsonObject
                {
                    ["sequence"] = 1,
                    ["diagnosisCodeableConcept"] = Concept(Icd10, _chronic.Code, _chronic.Display),
                }),
                ["insurance"] = new JsonArray(new JsonObject { ["sequence"] = 1, ["focal"] = true, ["coverage"] = coverage.DeepClone() }),
                ["item"] = new JsonArray(items.Select((item, i) => (JsonNode)new JsonObject
                {
                    ["sequence"] = i + 1,
                    ["productOrService"] = Concept("http://www.ama-assn.org/go/cpt", item.Item1, item.Item2),
                    ["servicedDate"] = Date(day),
                    ["unitPrice"] = Money(item.Item3),
                    ["net"] = Money(item.Item3),
                }).ToArray()),
                ["total"] = Money(total),
            };
            var explanation = new JsonObject
            {
                ["resourceType"] = "ExplanationOfBenefit",
                ["id"] = NewId("eob"),
                ["status"] = "active",
                ["type"] = CodeOnly("http://terminology.hl7.org/CodeSystem/claim-type", "professional"),
                ["use"] = "claim",
                ["patient"] = Ref(_patientReference),
                ["created"] = Date(day.AddDays(_random.Next(5, 30))),
                ["insurer"] = Ref("Organization/insurer-1"),
                ["provider"] = Ref(_hospital),
                ["claim"] = Ref(claimUrl),
                ["outcome"] = "complete",
                ["insurance"] = new JsonArray(new JsonObject { ["focal"] = true, ["coverage"] = coverage }),
                ["item"] = new JsonArray(items.Select((item, i) => (JsonNode)new JsonObject
                {
                    ["sequence"] = i + 1,
                    ["productOrService"] = Concept("http://www.ama-assn.org/go/cpt", item.Item1, item.Item2),
                    ["adjudication"] = new JsonArray(
                        new JsonObject { ["category"] = CodeOnly("http://terminology.hl7.org/CodeSystem/adjudication", "submitted"), ["amount"] = Money(item.Item3) },
                        new JsonObject { ["category"] = CodeOnly("http://terminology.hl7.org/CodeSystem/adjudication", "benefit"), ["amount"] = Money(Math.Round(item.Item3 * 0.8m, 2)) }),
                }).ToArray()),
                ["total"] = new JsonArray(
                    new JsonObject { ["category"] = CodeOnly("http://terminology.hl7.org/CodeSystem/adjudication", "submitted"), ["amount"] = Money(total) },
                    new JsonObject { ["category"] = CodeOnly("http://terminology.hl7.org/CodeSystem/adjudication", "benefit"), ["amount"] = Money(benefit) }),
                ["payment"] = new JsonObject { ["date"] = Date(day.AddDays(30)), ["amount"] = Money(benefit) },
            };
            return Collection([(claimUrl, claim), (Urn(), explanation)]);
        }

        private JsonObject Imaging()
        {
            var day = RecentDay();
            var studyUrl = Urn();
            var study = new JsonObject
            {
                ["resourceType"] = "ImagingStudy",
                ["id"] = NewId("img"),
                ["status"] = "available",
                ["modality"] = new JsonArray(Coding("http://dicom.nema.org/resources/ontology/DCM", "CR", "Computed Radiography")),
                ["subject"] = Ref(_patientReference),
                ["started"] = DateTime(day, 11, 20),
                ["numberOfSeries"] = 1,
                ["numberOfInstances"] = 2,
                ["series"] = new JsonArray(new JsonObject
                {
                    ["uid"] = "2.25." + _random.Digits(30),
                    ["number"] = 1,
                    ["modality"] = Coding("http://dicom.nema.org/resources/ontology/DCM", "CR", "Computed Radiography"),
                    ["numberOfInstances"] = 2,
                    ["bodySite"] = Coding(Snomed, "51185008", "Thoracic structure"),
                    ["instance"] = new JsonArray(
                        new JsonObject
                        {
                            ["uid"] = "2.25." + _random.Digits(30),
                            ["sopClass"] = new JsonObject { ["system"] = "urn:ietf:rfc:3986", ["code"] = "urn:oid:1.2.840.10008.5.1.4.1.1.1" },
                            ["number"] = 1,
                        },
                        new JsonObject
                        {
                            ["uid"] = "2.25." + _random.Digits(30),
                            ["sopClass"] = new JsonObject { ["system"] = "urn:ietf:rfc:3986", ["code"] = "urn:oid:1.2.840.10008.5.1.4.1.1.1" },
                            ["number"] = 2,
                        }),
                }),
            };
            var report = new JsonObject
            {
                ["resourceType"] = "DiagnosticReport",
                ["id"] = NewId("report"),
                ["status"] = "final",
                ["category"] = new JsonArray(Concept(DiagnosticSection, "RAD", "Radiology")),
                ["code"] = Concept(Loinc, "36643-5", "XR Chest 2 Views"),
                ["subject"] = Ref(_patientReference),
                ["effectiveDateTime"] = DateTime(day, 11, 20),
                ["imagingStudy"] = new JsonArray(Ref(studyUrl)),
                ["conclusion"] = _random.Chance(70) ? "No acute cardiopulmonary abnormality." : "Mild basal atelectasis.",
            };
            return Collection([(studyUrl, study), (Urn(), report)]);
        }

        private JsonObject SelfAssessment() => new()
        {
            ["resourceType"] = "QuestionnaireResponse",
            ["id"] = NewId("qr"),
            ["questionnaire"] = "https://medledger.example/fhir/Questionnaire/self-assessment",
            ["status"] = "completed",
            ["subject"] = Ref(_patientReference),
            ["authored"] = DateTime(RecentDay(), 20, 45),
            ["item"] = new JsonArray(
                new JsonObject
                {
                    ["linkId"] = "general-health",
                    ["text"] = "In general, how would you rate your health (1 = poor, 5 = excellent)?",
                    ["answer"] = new JsonArray(new JsonObject { ["valueInteger"] = _random.Next(1, 6) }),
                },
                new JsonObject
                {
                    ["linkId"] = "pain",
                    ["text"] = "Pain today (0-10)",
                    ["answer"] = new JsonArray(new JsonObject { ["valueInteger"] = _random.Next(0, 11) }),
                },
                new JsonObject
                {
                    ["linkId"] = "comment",
                    ["text"] = "Anything else you want your doctor to know?",
                    ["answer"] = new JsonArray(new JsonObject { ["valueString"] = "Sleeping better since the last visit." }),
                }),
        };

        private JsonObject MentalHealth()
        {
            var encounterUrl = Urn();
            var day = RecentDay();
            var depression = ("F32.1", "Moderate depressive episode");
            return Collection(
            [
                (encounterUrl, Encounter("AMB", "ambulatory", day, day, hospitalised: false, reason: depression)),
                (Urn(), Condition(depression.Item1, depression.Item2, encounterUrl, day)),
                (Urn(), MedicationRequest("N06AB06", "sertraline", depression.Item1, depression.Item2, day)),
            ]);
        }

        private JsonObject HivTest()
        {
            var day = RecentDay();
            return new JsonObject
            {
                ["resourceType"] = "Observation",
                ["id"] = NewId("obs"),
                ["status"] = "final",
                ["category"] = new JsonArray(Concept(ObservationCategory, "laboratory", "Laboratory")),
                ["code"] = Concept(Loinc, "75622-1", "HIV 1 and 2 tests - Meaningful Use set"),
                ["subject"] = Ref(_patientReference),
                ["effectiveDateTime"] = DateTime(day, 8, 0),
                ["issued"] = DateTime(day.AddDays(2), 9, 0),
                ["valueCodeableConcept"] = Concept(Snomed, "260385009", "Negative"),
            };
        }

        private JsonObject Pregnancy() =>
            Condition("Z34.0", "Supervision of normal first pregnancy", null, RecentDay(), "problem-list-item");
    }
}
