using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedLedger.Ledger;

namespace MedLedger.Sharing.Fhir;

/// <summary>One sensitivity tier of a record: FHIR JSON, encrypted under the tier's own data key (SPEC F12, F13).</summary>
public sealed class TierPart
{
    /// <summary>Creates a part; <paramref name="tier"/> must be a defined tier other than None.</summary>
    public TierPart(SensitivityTier tier, ReadOnlyMemory<byte> json)
    {
        if (tier is not (SensitivityTier.Identity or SensitivityTier.GeneralClinical or SensitivityTier.Sensitive))
        {
            throw new ArgumentOutOfRangeException(nameof(tier), tier, "A tier part needs the Identity, GeneralClinical or Sensitive tier.");
        }

        Tier = tier;
        Json = json;
    }

    /// <summary>The tier.</summary>
    public SensitivityTier Tier { get; }

    /// <summary>The part's FHIR JSON (UTF-8): a single resource, or a collection Bundle.</summary>
    public ReadOnlyMemory<byte> Json { get; }
}

/// <summary>The non-empty tier parts of one record, in tier order (Identity, GeneralClinical, Sensitive).</summary>
public sealed class TierSplit
{
    internal TierSplit(IReadOnlyList<TierPart> parts) => Parts = parts;

    /// <summary>The parts; a tier with no content has no part.</summary>
    public IReadOnlyList<TierPart> Parts { get; }

    /// <summary>The tiers present, in order.</summary>
    public IReadOnlyList<SensitivityTier> Tiers => Parts.Select(part => part.Tier).ToArray();

    /// <summary>The part of <paramref name="tier"/>, or null when the record has nothing in that tier.</summary>
    public TierPart? Get(SensitivityTier tier) => Parts.FirstOrDefault(part => part.Tier == tier);
}

/// <summary>
/// Splits a validated FHIR document into per-<see cref="SensitivityTier"/> parts and merges the parts a reader may
/// see back into one document (SPEC F13). Rules (docs/fhir.md):
/// <list type="bullet">
/// <item>Each Patient is cut in two: its direct identifiers (identifier, name, telecom, address, photo, contact,
/// link, narrative, extensions, exact birthDate and deceasedDateTime) form the Identity part; a stub with the
/// rest (gender, birth year, death year, communication, …) stays in GeneralClinical. Both keep id and meta.</item>
/// <item>A resource with a Sensitive coding or security label (<see cref="SensitivityClassifier"/>) goes to
/// Sensitive; a resource that contains a Patient goes to Identity whole; everything else to GeneralClinical.</item>
/// <item><c>display</c> texts of references to the patient are dropped outside the Identity part (they usually
/// hold the patient's name) and are not restored by <see cref="Merge"/>.</item>
/// <item>A Bundle becomes one collection Bundle per tier, keeping the envelope (id, meta, identifier,
/// timestamp) and each entry's fullUrl; transaction/batch <c>request</c> elements, <c>link</c>, <c>total</c> and
/// <c>signature</c> are dropped. Sensitive entries (and whole resources in Identity) carry their original position in an extension
/// (<see cref="EntryPositionExtensionUrl"/>) so that the other parts reveal nothing about them, yet a reader with
/// every tier gets the entries back in their original order.</item>
/// </list>
/// Output bytes are deterministic: properties keep the input order and one serialiser writes them.
/// </summary>
public static class TierSplitter
{
    /// <summary>Extension on a Sensitive part's Bundle entries giving the entry's index in the original Bundle.</summary>
    public const string EntryPositionExtensionUrl = "https://medledger.org/fhir/StructureDefinition/entry-position";

    /// <summary>
    /// How parts are validated: a part may reference entries of another tier by urn:uuid, so unresolved urn
    /// references are allowed; everything else is strict.
    /// </summary>
    public static FhirValidationOptions PartValidationOptions { get; } = new() { AllowUnresolvedUrnReferences = true };

    private static readonly FrozenSet<string> PatientIdentityElements = new[]
    {
        "identifier", "name", "telecom", "address", "photo", "contact", "link", "text", "extension",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly FrozenSet<string> PatientSharedElements = new[]
    {
        "resourceType", "id", "meta", "implicitRules", "language", "contained", "modifierExtension",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Exact in Identity, year only in GeneralClinical.</summary>
    private static readonly FrozenSet<string> PatientGeneralisedElements = new[] { "birthDate", "deceasedDateTime" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>FHIR R4 element order of Patient, used to lay out a merged Patient.</summary>
    private static readonly string[] PatientElementOrder =
    [
        "resourceType", "id", "meta", "implicitRules", "language", "text", "contained", "extension", "modifierExtension",
        "identifier", "active", "name", "telecom", "gender", "birthDate", "deceasedBoolean", "deceasedDateTime",
        "address", "maritalStatus", "multipleBirthBoolean", "multipleBirthInteger", "photo", "contact", "communication",
        "generalPractitioner", "managingOrganization", "link",
    ];

    private static readonly SensitivityTier[] TierOrder = [SensitivityTier.Identity, SensitivityTier.GeneralClinical, SensitivityTier.Sensitive];

    /// <summary>
    /// The tier a whole resource goes to: Identity for a Patient (which <see cref="Split"/> cuts in two) or a
    /// resource containing one, Sensitive or GeneralClinical for the rest.
    /// </summary>
    public static SensitivityTier TierOf(FhirResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (resource.ResourceType == "Patient" || ContainsPatient(resource.Element))
        {
            return SensitivityTier.Identity;
        }

        return SensitivityClassifier.IsSensitive(resource) ? SensitivityTier.Sensitive : SensitivityTier.GeneralClinical;
    }

    /// <summary>Splits a validated document into its non-empty tier parts.</summary>
    public static TierSplit Split(FhirDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var aliases = PatientAliases(document);
        var buckets = TierOrder.ToDictionary(tier => tier, _ => new List<JsonNode>());

        if (!document.IsBundle)
        {
            var resource = document.Resources[0];
            foreach (var (tier, piece) in Pieces(resource, aliases))
            {
                buckets[tier].Add(piece);
            }

            return new TierSplit(TierOrder
                .Where(tier => buckets[tier].Count > 0)
                .Select(tier => new TierPart(tier, FhirJson.Serialize(buckets[tier].Single())))
                .ToArray());
        }

        if (document.Resources.Count == 0)
        {
            // An empty Bundle has nothing sensitive; its envelope is the whole record.
            return new TierSplit([new TierPart(SensitivityTier.GeneralClinical, FhirJson.Serialize(Envelope(document.Root, [])))]);
        }

        var entries = document.Root.GetProperty("entry").EnumerateArray().ToArray();
        foreach (var resource in document.Resources)
        {
            var entry = entries[resource.EntryIndex];
            foreach (var (tier, piece) in Pieces(resource, aliases))
            {
                // Entries outside GeneralClinical remember their place; Patient identity pieces find theirs by fullUrl.
                var positioned = tier == SensitivityTier.Sensitive || (tier == SensitivityTier.Identity && resource.ResourceType != "Patient");
                buckets[tier].Add(BuildEntry(entry, piece, positioned ? resource.EntryIndex : null));
            }
        }

        return new TierSplit(TierOrder
            .Where(tier => buckets[tier].Count > 0)
            .Select(tier => new TierPart(tier, FhirJson.Serialize(Envelope(document.Root, buckets[tier]))))
            .ToArray());
    }

    /// <summary>
    /// Recombines the parts a reader is allowed to see (any subset of one record's parts) into one document: the
    /// single resource when the parts were single resources of one Patient or one resource, otherwise a collection
    /// Bundle. Parts are validated first (<see cref="PartValidationOptions"/> unless given) and so is the result:
    /// parts of different records that name different patients fail with <see cref="FhirErrorCodes.PatientMismatch"/>.
    /// </summary>
    public static byte[] Merge(IEnumerable<TierPart> parts, FhirValidationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(parts);
        options ??= PartValidationOptions;
        var list = parts.OrderBy(part => Array.IndexOf(TierOrder, part.Tier)).ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("There are no parts to merge.", nameof(parts));
        }

        if (list.Select(part => part.Tier).Distinct().Count() != list.Count)
        {
            throw new ArgumentException("Each tier may appear only once.", nameof(parts));
        }

        var documents = list.Select(part => (part.Tier, Document: FhirValidator.Validate(part.Json.Span, options))).ToList();
        var bundleCount = documents.Count(item => item.Document.IsBundle);
        if (bundleCount != 0 && bundleCount != documents.Count)
        {
            throw new FhirValidationException(FhirErrorCodes.InvalidValue, "$", "tier parts of one record are either all Bundles or all single resources");
        }

        var merged = bundleCount == 0 ? MergeResources(documents) : MergeBundles(documents);
        var bytes = FhirJson.Serialize(merged);
        _ = FhirValidator.Validate(bytes, options);
        return bytes;
    }

    private static IEnumerable<(SensitivityTier Tier, JsonObject Piece)> Pieces(FhirResource resource, HashSet<string> aliases)
    {
        if (resource.ResourceType == "Patient")
        {
            var (identity, general) = SplitPatient(resource.Element);
            if (identity is not null)
            {
                yield return (SensitivityTier.Identity, identity);
            }

            yield return (SensitivityTier.GeneralClinical, general);
            yield break;
        }

        var tier = TierOf(resource);
        var piece = (JsonObject)FhirJson.ToNode(resource.Element);
        if (tier != SensitivityTier.Identity)
        {
            StripPatientDisplays(piece, aliases);
        }

        yield return (tier, piece);
    }

    private static (JsonObject? Identity, JsonObject General) SplitPatient(JsonElement patient)
    {
        var identity = new JsonObject();
        var general = new JsonObject();
        var identityHasContent = false;
        foreach (var property in patient.EnumerateObject())
        {
            var name = property.Name;
            var baseName = name.StartsWith('_') ? name[1..] : name;
            if (PatientSharedElements.Contains(baseName))
            {
                identity[name] = FhirJson.ToNode(property.Value);
                general[name] = FhirJson.ToNode(property.Value);
            }
            else if (PatientIdentityElements.Contains(baseName))
            {
                identity[name] = FhirJson.ToNode(property.Value);
                identityHasContent = true;
            }
            else if (PatientGeneralisedElements.Contains(baseName))
            {
                identity[name] = FhirJson.ToNode(property.Value);
                identityHasContent = true;
                if (name == baseName && property.Value.ValueKind == JsonValueKind.String)
                {
                    general[name] = property.Value.GetString()![..4];
                }
            }
            else
            {
                general[name] = FhirJson.ToNode(property.Value);
            }
        }

        return (identityHasContent ? identity : null, general);
    }

    private static bool ContainsPatient(JsonElement resource)
    {
        if (!resource.TryGetProperty("contained", out var contained) || contained.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        return contained.EnumerateArray().Any(item => FhirJson.GetString(item, "resourceType") == "Patient");
    }

    private static HashSet<string> PatientAliases(FhirDocument document)
    {
        var aliases = new HashSet<string>(StringComparer.Ordinal);
        if (document.PatientReference is not null)
        {
            aliases.Add(document.PatientReference);
        }

        foreach (var resource in document.Resources)
        {
            if (resource.ResourceType != "Patient")
            {
                continue;
            }

            if (resource.FullUrl is not null)
            {
                aliases.Add(resource.FullUrl);
            }

            if (resource.RelativeReference is not null)
            {
                aliases.Add(resource.RelativeReference);
            }
        }

        return aliases;
    }

    private static void StripPatientDisplays(JsonNode? node, HashSet<string> aliases)
    {
        switch (node)
        {
            case JsonObject obj:
                if (FhirJson.AsString(obj["reference"]) is { } reference
                    && (aliases.Contains(reference) || reference.StartsWith("Patient/", StringComparison.Ordinal))
                    && obj.ContainsKey("display"))
                {
                    obj.Remove("display");
                }

                foreach (var property in obj.ToArray())
                {
                    StripPatientDisplays(property.Value, aliases);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    StripPatientDisplays(item, aliases);
                }

                break;
            default:
                break;
        }
    }

    private static JsonObject BuildEntry(JsonElement entry, JsonObject piece, int? position)
    {
        var result = new JsonObject();
        if (entry.TryGetProperty("id", out var id))
        {
            result["id"] = FhirJson.ToNode(id);
        }

        var extensions = new JsonArray();
        if (position is not null)
        {
            extensions.Add(new JsonObject
            {
                ["url"] = EntryPositionExtensionUrl,
                ["valueUnsignedInt"] = position.Value,
            });
        }

        if (entry.TryGetProperty("extension", out var existing))
        {
            foreach (var extension in existing.EnumerateArray())
            {
                if (FhirJson.GetString(extension, "url") != EntryPositionExtensionUrl)
                {
                    extensions.Add(FhirJson.ToNode(extension));
                }
            }
        }

        if (extensions.Count > 0)
        {
            result["extension"] = extensions;
        }

        foreach (var property in entry.EnumerateObject())
        {
            switch (property.Name)
            {
                case "id":
                case "extension":
                case "request":
                case "response":
                case "search":
                    break;
                case "resource":
                    result["resource"] = piece;
                    break;
                default:
                    result[property.Name] = FhirJson.ToNode(property.Value);
                    break;
            }
        }

        return result;
    }

    private static JsonObject Envelope(JsonElement root, IEnumerable<JsonNode> entries)
    {
        var bundle = new JsonObject();
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "type":
                    bundle["type"] = "collection";
                    break;
                case "entry":
                    var items = entries.ToArray();
                    if (items.Length > 0)
                    {
                        bundle["entry"] = new JsonArray(items);
                    }

                    break;
                case "total":
                case "link":
                case "signature":
                    break;
                default:
                    bundle[property.Name] = FhirJson.ToNode(property.Value);
                    break;
            }
        }

        return bundle;
    }

    private static JsonObject MergeResources(List<(SensitivityTier Tier, FhirDocument Document)> documents)
    {
        var identities = documents
            .Where(item => item.Tier == SensitivityTier.Identity && item.Document.ResourceType == "Patient")
            .Select(item => (JsonObject)FhirJson.ToNode(item.Document.Root))
            .ToList();
        var resources = new List<JsonObject>();
        foreach (var (tier, document) in documents)
        {
            if (tier == SensitivityTier.Identity && document.ResourceType == "Patient")
            {
                continue;
            }

            var node = (JsonObject)FhirJson.ToNode(document.Root);
            if (document.ResourceType == "Patient")
            {
                var key = FhirJson.AsString(node["id"]);
                var match = identities.FindIndex(identity => FhirJson.AsString(identity["id"]) == key);
                if (match >= 0)
                {
                    node = MergePatient(node, identities[match]);
                    identities.RemoveAt(match);
                }
            }

            resources.Add(node);
        }

        resources.InsertRange(0, identities);
        if (resources.Count == 1)
        {
            return resources[0];
        }

        return new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "collection",
            ["entry"] = new JsonArray(resources.Select(resource => (JsonNode)new JsonObject { ["resource"] = resource }).ToArray()),
        };
    }

    private static JsonObject MergeBundles(List<(SensitivityTier Tier, FhirDocument Document)> documents)
    {
        var identityEntries = new List<JsonObject>();
        var generalEntries = new List<JsonObject>();
        var positioned = new List<(int Position, JsonObject Entry)>();
        foreach (var (tier, document) in documents)
        {
            if (!document.Root.TryGetProperty("entry", out var entries))
            {
                continue;
            }

            foreach (var entryElement in entries.EnumerateArray())
            {
                var entry = (JsonObject)FhirJson.ToNode(entryElement);
                var position = TakePosition(entry);
                if (position is not null && tier != SensitivityTier.GeneralClinical)
                {
                    positioned.Add((position.Value, entry));
                }
                else if (tier == SensitivityTier.Identity)
                {
                    identityEntries.Add(entry);
                }
                else
                {
                    generalEntries.Add(entry);
                }
            }
        }

        // Identity Patients go back into their GeneralClinical stubs (same fullUrl, or same id without fullUrl).
        var unmatched = new List<JsonObject>();
        foreach (var identity in identityEntries)
        {
            var key = EntryKey(identity);
            var stub = generalEntries.FindIndex(entry => key is not null && EntryKey(entry) == key);
            if (stub < 0)
            {
                unmatched.Add(identity);
                continue;
            }

            var general = generalEntries[stub];
            general["resource"] = MergePatient((JsonObject)general["resource"]!, (JsonObject)identity["resource"]!);
        }

        var unpositioned = new Queue<JsonObject>(unmatched.Concat(generalEntries));
        var ordered = new Queue<JsonObject>(positioned.OrderBy(item => item.Position).Select(item => item.Entry));
        var positions = new Queue<int>(positioned.Select(item => item.Position).Order());
        var merged = new JsonArray();
        while (unpositioned.Count > 0 || ordered.Count > 0)
        {
            if (ordered.Count > 0 && (positions.Peek() <= merged.Count || unpositioned.Count == 0))
            {
                positions.Dequeue();
                merged.Add(ordered.Dequeue());
            }
            else
            {
                merged.Add(unpositioned.Dequeue());
            }
        }

        var envelopeSource = documents.Select(item => item.Document.Root).First();
        var bundle = new JsonObject();
        foreach (var property in envelopeSource.EnumerateObject())
        {
            bundle[property.Name] = property.Name == "entry" ? merged : FhirJson.ToNode(property.Value);
        }

        if (!bundle.ContainsKey("entry") && merged.Count > 0)
        {
            bundle["entry"] = merged;
        }

        return bundle;
    }

    private static int? TakePosition(JsonObject entry)
    {
        if (entry["extension"] is not JsonArray extensions)
        {
            return null;
        }

        int? position = null;
        for (var i = extensions.Count - 1; i >= 0; i--)
        {
            if (extensions[i] is JsonObject extension && FhirJson.AsString(extension["url"]) == EntryPositionExtensionUrl)
            {
                if (extension["valueUnsignedInt"] is JsonValue value && value.TryGetValue<int>(out var number) && number >= 0)
                {
                    position = number;
                }

                extensions.RemoveAt(i);
            }
        }

        if (extensions.Count == 0)
        {
            entry.Remove("extension");
        }

        return position;
    }

    private static string? EntryKey(JsonObject entry)
    {
        if (FhirJson.AsString(entry["fullUrl"]) is { } fullUrl)
        {
            return fullUrl;
        }

        return entry["resource"] is JsonObject resource && FhirJson.AsString(resource["id"]) is { } id
            ? FhirJson.AsString(resource["resourceType"]) + "/" + id
            : null;
    }

    private static JsonObject MergePatient(JsonObject general, JsonObject identity)
    {
        var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        var appearance = new List<string>();
        foreach (var source in (ReadOnlySpan<JsonObject>)[general, identity])
        {
            foreach (var (name, value) in source)
            {
                if (!values.ContainsKey(name))
                {
                    appearance.Add(name);
                }

                // Identity overrides: it holds the exact birthDate/deceasedDateTime where the stub holds a year.
                values[name] = value?.DeepClone();
            }
        }

        var merged = new JsonObject();
        foreach (var name in appearance.OrderBy(ElementRank))
        {
            merged[name] = values[name];
        }

        return merged;
    }

    private static (int Element, int Underscore) ElementRank(string name)
    {
        var baseName = name.StartsWith('_') ? name[1..] : name;
        var index = Array.IndexOf(PatientElementOrder, baseName);
        return (index < 0 ? int.MaxValue : index, name.Length == baseName.Length ? 0 : 1);
    }
}
