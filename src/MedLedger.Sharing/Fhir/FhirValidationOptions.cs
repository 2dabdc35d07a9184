namespace MedLedger.Sharing.Fhir;

/// <summary>Switches for <see cref="FhirValidator"/>. The defaults are the strict rules for stored records.</summary>
public sealed record FhirValidationOptions
{
    /// <summary>The strict defaults.</summary>
    public static FhirValidationOptions Default { get; } = new();

    /// <summary>
    /// Allow absolute <c>http(s)://</c> references that do not resolve to a <c>fullUrl</c> inside the Bundle, i.e.
    /// references to resources on other servers. Off by default: a record should be complete on its own.
    /// </summary>
    public bool AllowExternalReferences { get; init; }

    /// <summary>
    /// Allow <c>urn:uuid:</c>/<c>urn:oid:</c> references that do not resolve inside the document. Off by default;
    /// tier parts (see <see cref="TierSplitter"/>) need it, because a reference may point into another tier.
    /// </summary>
    public bool AllowUnresolvedUrnReferences { get; init; }
}
