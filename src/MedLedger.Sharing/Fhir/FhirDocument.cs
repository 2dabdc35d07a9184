using System.Text.Json;
using MedLedger.Ledger;

namespace MedLedger.Sharing.Fhir;

/// <summary>
/// One resource of a validated <see cref="FhirDocument"/>: the root resource, or the resource of one Bundle entry.
/// The JSON is an immutable <see cref="JsonElement"/> owned by the document (safe to share between threads).
/// </summary>
public sealed class FhirResource
{
    internal FhirResource(string resourceType, string? id, string? fullUrl, int entryIndex, JsonElement element)
    {
        ResourceType = resourceType;
        Id = id;
        FullUrl = fullUrl;
        EntryIndex = entryIndex;
        Element = element;
    }

    /// <summary>The FHIR resource type, e.g. <c>Observation</c>.</summary>
    public string ResourceType { get; }

    /// <summary>The resource's logical id, when it has one.</summary>
    public string? Id { get; }

    /// <summary>The Bundle entry's <c>fullUrl</c>, when the resource sits in a Bundle entry that has one.</summary>
    public string? FullUrl { get; }

    /// <summary>Index of the Bundle entry holding the resource; -1 for a document that is a single resource.</summary>
    public int EntryIndex { get; }

    /// <summary>The resource's JSON object.</summary>
    public JsonElement Element { get; }

    /// <summary>JSON path of the resource in its document (<c>$</c> or <c>$.entry[i].resource</c>).</summary>
    public string Path => EntryIndex < 0 ? "$" : $"$.entry[{EntryIndex}].resource";

    /// <summary><c>Type/id</c> when the resource has an id, otherwise null.</summary>
    public string? RelativeReference => Id is null ? null : ResourceType + "/" + Id;
}

/// <summary>
/// A FHIR R4 JSON document (a single resource or a Bundle) that passed <see cref="FhirValidator"/>. Immutable.
/// </summary>
public sealed class FhirDocument
{
    internal FhirDocument(
        JsonElement root,
        string resourceType,
        string? bundleType,
        IReadOnlyList<FhirResource> resources,
        string? patientReference,
        RecordCategory suggestedCategory)
    {
        Root = root;
        ResourceType = resourceType;
        BundleType = bundleType;
        Resources = resources;
        PatientReference = patientReference;
        SuggestedCategory = suggestedCategory;
    }

    /// <summary>The document's root JSON object.</summary>
    public JsonElement Root { get; }

    /// <summary>The root's resource type (<c>Bundle</c> for a Bundle).</summary>
    public string ResourceType { get; }

    /// <summary>True when the document is a Bundle.</summary>
    public bool IsBundle => BundleType is not null;

    /// <summary>The Bundle's <c>type</c> (collection, document, transaction or batch); null for a single resource.</summary>
    public string? BundleType { get; }

    /// <summary>The resources in document order: the root resource, or each entry's resource.</summary>
    public IReadOnlyList<FhirResource> Resources { get; }

    /// <summary>
    /// The one patient the document is about, or null when it names none (e.g. a Practitioner). It is
    /// <c>Patient/{id}</c> when the patient's id is known, otherwise the reference as written (e.g. a
    /// <c>urn:uuid:</c> fullUrl of a Patient entry without id, or an absolute URL).
    /// </summary>
    public string? PatientReference { get; }

    /// <summary>The record category suggested by the resource types (rules in docs/fhir.md, <see cref="FhirCategoryClassifier"/>).</summary>
    public RecordCategory SuggestedCategory { get; }

    /// <summary>The document re-serialised deterministically (property order as in the input, compact, UTF-8).</summary>
    public byte[] ToUtf8Bytes() => FhirJson.Serialize(Root);
}
