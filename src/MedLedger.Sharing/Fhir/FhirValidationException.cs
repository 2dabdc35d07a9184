namespace MedLedger.Sharing.Fhir;

/// <summary>
/// Stable error codes of <see cref="FhirValidationException"/>. They are part of the API (clients and the node's
/// problem details name them): add new codes, never rename.
/// </summary>
public static class FhirErrorCodes
{
    /// <summary>The bytes are not UTF-8 JSON, or the JSON root is not an object.</summary>
    public const string NotJson = "fhir-not-json";

    /// <summary>The document is larger than <see cref="FhirLimits.MaxDocumentBytes"/>.</summary>
    public const string TooLarge = "fhir-too-large";

    /// <summary>Objects and arrays are nested deeper than <see cref="FhirLimits.MaxDepth"/>.</summary>
    public const string TooDeep = "fhir-too-deep";

    /// <summary>A string or property name is longer than its limit.</summary>
    public const string StringTooLong = "fhir-string-too-long";

    /// <summary>A Bundle has more than <see cref="FhirLimits.MaxBundleEntries"/> entries.</summary>
    public const string TooManyEntries = "fhir-too-many-entries";

    /// <summary>An object names the same property twice.</summary>
    public const string DuplicateProperty = "fhir-duplicate-property";

    /// <summary>A resource has no <c>resourceType</c> string.</summary>
    public const string MissingResourceType = "fhir-missing-resource-type";

    /// <summary>A resource's type is not one MedLedger accepts.</summary>
    public const string UnknownResourceType = "fhir-unknown-resource-type";

    /// <summary>A required element (cardinality 1..1 or 1..*) is absent.</summary>
    public const string MissingField = "fhir-missing-field";

    /// <summary>An element has the wrong JSON type, format or code, or breaks a FHIR JSON rule (null, empty).</summary>
    public const string InvalidValue = "fhir-invalid-value";

    /// <summary>A reference is malformed, does not resolve inside the Bundle, or points to another server.</summary>
    public const string InvalidReference = "fhir-invalid-reference";

    /// <summary>The subject/patient references of one document do not all point to the same patient.</summary>
    public const string PatientMismatch = "fhir-patient-mismatch";
}

/// <summary>
/// A FHIR document was refused. <see cref="Code"/> is one of <see cref="FhirErrorCodes"/>; the message names the
/// JSON path of the offending element (<c>$</c> is the root, e.g. <c>$.entry[2].resource.status</c>).
/// </summary>
public sealed class FhirValidationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FhirValidationException(string code, string path, string message)
        : base($"{code} at {path}: {message}")
    {
        Code = code;
        Path = path;
    }

    /// <summary>Creates the exception.</summary>
    public FhirValidationException()
        : this(FhirErrorCodes.InvalidValue, "$", "invalid FHIR document")
    {
    }

    /// <summary>Creates the exception.</summary>
    public FhirValidationException(string message)
        : this(FhirErrorCodes.InvalidValue, "$", message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public FhirValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = FhirErrorCodes.InvalidValue;
        Path = "$";
    }

    /// <summary>The stable error code, one of <see cref="FhirErrorCodes"/>.</summary>
    public string Code { get; }

    /// <summary>JSON path of the offending element.</summary>
    public string Path { get; }
}
