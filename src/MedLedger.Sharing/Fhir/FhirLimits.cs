namespace MedLedger.Sharing.Fhir;

/// <summary>
/// Explicit limits on FHIR documents accepted by <see cref="FhirValidator"/> (documented in docs/fhir.md).
/// They bound the memory and time one untrusted document can cost before anything else looks at it.
/// </summary>
public static class FhirLimits
{
    /// <summary>Largest document, in UTF-8 bytes (2 MiB).</summary>
    public const int MaxDocumentBytes = 2 * 1024 * 1024;

    /// <summary>Deepest nesting of JSON objects and arrays; the root object is depth 1.</summary>
    public const int MaxDepth = 64;

    /// <summary>Most entries in one Bundle.</summary>
    public const int MaxBundleEntries = 1_000;

    /// <summary>Longest JSON string value, in UTF-8 bytes as written (escapes included); room for an embedded attachment.</summary>
    public const int MaxStringBytes = 1024 * 1024;

    /// <summary>Longest JSON property name, in UTF-8 bytes as written. FHIR element names are short.</summary>
    public const int MaxPropertyNameBytes = 128;

    /// <summary>Longest resource id (FHIR R4 <c>id</c> datatype: 1 to 64 characters).</summary>
    public const int MaxIdLength = 64;
}
