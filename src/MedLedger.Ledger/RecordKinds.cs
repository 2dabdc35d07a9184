namespace MedLedger.Ledger;

/// <summary>
/// What a record is about (SPEC F10). Values are part of the signed encoding of anchors and grants: add new
/// values, never renumber.
/// </summary>
public enum RecordCategory : byte
{
    /// <summary>Not a valid category.</summary>
    None = 0,

    /// <summary>Patient basic information (FHIR Patient).</summary>
    Demographics = 1,

    /// <summary>Encounters and visits (Encounter).</summary>
    Encounter = 2,

    /// <summary>Examinations and clinical observations (Observation of exam/vital-signs, Condition).</summary>
    Examination = 3,

    /// <summary>Allergies and contraindications (AllergyIntolerance).</summary>
    Allergy = 4,

    /// <summary>Procedures (Procedure).</summary>
    Procedure = 5,

    /// <summary>Hospitalisations (Encounter with a hospitalization part).</summary>
    Hospitalisation = 6,

    /// <summary>Medications and course of treatment (MedicationRequest, MedicationStatement).</summary>
    Medication = 7,

    /// <summary>Laboratory results (Observation of category laboratory, DiagnosticReport).</summary>
    Laboratory = 8,

    /// <summary>Imaging results (ImagingStudy, DiagnosticReport of imaging).</summary>
    Imaging = 9,

    /// <summary>Bills (Claim, ExplanationOfBenefit).</summary>
    Billing = 10,

    /// <summary>The patient's own evaluation (QuestionnaireResponse).</summary>
    PatientEvaluation = 11,
}

/// <summary>
/// Sensitivity tier of a part of a record (SPEC F13). Each tier of a record is encrypted under its own data key
/// and grants name the tiers they cover. Values are part of signed encodings: add new values, never renumber.
/// </summary>
public enum SensitivityTier : byte
{
    /// <summary>Not a valid tier.</summary>
    None = 0,

    /// <summary>Direct identifiers: name, national id, address, telecom, photo.</summary>
    Identity = 1,

    /// <summary>Ordinary clinical content.</summary>
    GeneralClinical = 2,

    /// <summary>Mental health, HIV and sexually transmitted infections, genetics, reproductive health.</summary>
    Sensitive = 3,
}
