using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MedLedger.Sharing.Fhir;

/// <summary>
/// Parses and structurally validates an HL7 FHIR R4 JSON document: a single resource or a Bundle of type
/// collection, document, transaction or batch. Every failure is a <see cref="FhirValidationException"/> with a
/// stable code and the JSON path; no other exception escapes for any input bytes. The rules are listed in
/// docs/fhir.md. Thread-safe (stateless).
/// </summary>
public static partial class FhirValidator
{
    private static readonly string[] AcceptedBundleTypes = ["collection", "document", "transaction", "batch"];

    private static readonly string[] KnownBundleTypes =
        ["document", "message", "transaction", "transaction-response", "batch", "batch-response", "history", "searchset", "collection"];

    /// <summary>Bundle is fully specified by FHIR and small: anything else in it is a typo or an attack.</summary>
    private static readonly HashSet<string> BundleElements = new(StringComparer.Ordinal)
    {
        "resourceType", "id", "meta", "implicitRules", "language", "identifier", "type", "timestamp", "total", "link",
        "entry", "signature",
    };

    private static readonly HashSet<string> EntryElements = new(StringComparer.Ordinal)
    {
        "id", "extension", "modifierExtension", "link", "fullUrl", "resource", "search", "request", "response",
    };

    private static readonly FieldRule MetaRule = FieldRule.Backbone(
        "meta",
        false,
        false,
        FieldRule.Optional1("versionId", FieldKind.String),
        FieldRule.Optional1("lastUpdated", FieldKind.Instant),
        FieldRule.Optional1("source", FieldKind.Uri),
        FieldRule.OptionalMany("profile", FieldKind.Uri),
        FieldRule.OptionalMany("security", FieldKind.Coding),
        FieldRule.OptionalMany("tag", FieldKind.Coding));

    private static readonly FieldRule NarrativeRule = FieldRule.Backbone(
        "text",
        false,
        false,
        FieldRule.Code("status", true, "generated", "extensions", "additional", "empty"),
        FieldRule.Required1("div", FieldKind.String));

    private static readonly FieldRule RequestRule = FieldRule.Backbone(
        "request",
        false,
        false,
        FieldRule.Code("method", true, "POST", "PUT"),
        FieldRule.Required1("url", FieldKind.Uri));

    /// <summary>Validates UTF-8 JSON bytes; throws <see cref="FhirValidationException"/> on any problem.</summary>
    public static FhirDocument Validate(ReadOnlySpan<byte> utf8Json, FhirValidationOptions? options = null)
    {
        // A UTF-8 byte order mark is tolerated (some exporters write one) and not part of the JSON.
        if (utf8Json.StartsWith("\uFEFF"u8))
        {
            utf8Json = utf8Json[3..];
        }

        FhirJsonScanner.Scan(utf8Json);
        JsonElement root;
        try
        {
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = FhirLimits.MaxDepth + 1 });
            root = JsonElement.ParseValue(ref reader);
        }
        catch (JsonException exception)
        {
            // The scanner accepted the same bytes with the same reader rules; reaching here is not expected.
            throw new FhirValidationException(FhirErrorCodes.NotJson, "$", $"malformed JSON ({exception.Message})");
        }

        // Paths are only built when something is wrong: the fast run tracks none; on failure the same (deterministic)
        // validation runs again with paths, and throws the same error, now naming where.
        options ??= FhirValidationOptions.Default;
        try
        {
            return new ValidationRun(options, trackPaths: false).Run(root);
        }
        catch (FhirValidationException)
        {
            _ = new ValidationRun(options, trackPaths: true).Run(root);
            throw;
        }
    }

    /// <summary>Validates a JSON string (encoded as UTF-8 first).</summary>
    public static FhirDocument Validate(string json, FhirValidationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (json.Length > FhirLimits.MaxDocumentBytes)
        {
            throw new FhirValidationException(FhirErrorCodes.TooLarge, "$", $"the document is longer than {FhirLimits.MaxDocumentBytes} bytes");
        }

        return Validate(Encoding.UTF8.GetBytes(json), options);
    }

    /// <summary>Validates without throwing; on failure <paramref name="error"/> says why.</summary>
    public static bool TryValidate(
        ReadOnlySpan<byte> utf8Json,
        [NotNullWhen(true)] out FhirDocument? document,
        [NotNullWhen(false)] out FhirValidationException? error,
        FhirValidationOptions? options = null)
    {
        try
        {
            document = Validate(utf8Json, options);
            error = null;
            return true;
        }
        catch (FhirValidationException exception)
        {
            document = null;
            error = exception;
            return false;
        }
    }

    [GeneratedRegex(@"^([A-Z][A-Za-z]{0,63})/([A-Za-z0-9\-\.]{1,64})(/_history/[A-Za-z0-9\-\.]{1,64})?\z", RegexOptions.CultureInvariant)]
    internal static partial Regex RelativeReferencePattern();

    [GeneratedRegex(@"^https?://[^\s]+/([A-Z][A-Za-z]{0,63})/([A-Za-z0-9\-\.]{1,64})(/_history/[A-Za-z0-9\-\.]{1,64})?\z", RegexOptions.CultureInvariant)]
    internal static partial Regex AbsoluteReferencePattern();

    private static FhirValidationException Invalid(string? path, string message) => new(FhirErrorCodes.InvalidValue, path ?? "$", message);

    private static FhirValidationException Missing(string? path, string message) => new(FhirErrorCodes.MissingField, path ?? "$", message);

    private static FhirValidationException BadReference(string? path, string message) => new(FhirErrorCodes.InvalidReference, path ?? "$", message);

    /// <summary>The path of a child element, or null when paths are not tracked.</summary>
    private static string? Child(string? path, string name) => path is null ? null : path + "." + name;

    /// <summary>The path of an array item, or null when paths are not tracked.</summary>
    private static string? Item(string? path, int index) =>
        path is null ? null : path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    /// <summary>The state of one validation: what has been seen so far and what must be resolved at the end.</summary>
    private sealed class ValidationRun(FhirValidationOptions options, bool trackPaths)
    {
        private readonly List<FhirResource> _resources = [];
        private readonly Dictionary<string, string> _fullUrlTypes = new(StringComparer.Ordinal);
        private readonly List<(string Value, string? Path)> _pendingReferences = [];
        private readonly List<(string Value, string Path)> _patientReferences = [];
        private readonly List<FhirResource> _patients = [];

        /// <summary>The path when paths are tracked (the second, error-reporting run), otherwise null.</summary>
        private string? Track(string path) => trackPaths ? path : null;

        public FhirDocument Run(JsonElement root)
        {
            var type = ResourceTypeOf(root, "$");
            string? bundleType = null;
            if (type == "Bundle")
            {
                bundleType = ValidateBundle(root);
            }
            else
            {
                ValidateResource(root, "$", type, new Scope(-1, null, false, null));
            }

            ResolveReferences();
            var patient = ResolvePatient();
            var category = FhirCategoryClassifier.Classify(_resources);
            return new FhirDocument(root, type, bundleType, _resources.AsReadOnly(), patient, category);
        }

        private static string ResourceTypeOf(JsonElement element, string path)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(path, $"a resource must be a JSON object, not {Describe(element.ValueKind)}");
            }

            if (!element.TryGetProperty("resourceType", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
            {
                throw new FhirValidationException(FhirErrorCodes.MissingResourceType, path, "the resource has no resourceType string");
            }

            var type = typeElement.GetString()!;
            if (!FhirResourceRules.SupportedTypes.Contains(type))
            {
                throw new FhirValidationException(
                    FhirErrorCodes.UnknownResourceType,
                    path + ".resourceType",
                    $"'{Truncate(type)}' is not a supported resource type");
            }

            return type;
        }

        private string ValidateBundle(JsonElement bundle)
        {
            foreach (var property in bundle.EnumerateObject())
            {
                if (!BundleElements.Contains(property.Name))
                {
                    throw Invalid("$." + property.Name, $"'{Truncate(property.Name)}' is not an element of Bundle");
                }
            }

            ValidateResourceCommon(bundle, "$", isContained: false, allowDomainResourceElements: false);
            if (!bundle.TryGetProperty("type", out var typeElement))
            {
                throw Missing("$.type", "Bundle.type is required");
            }

            CheckValue(typeElement, FieldRule.Code("type", true, KnownBundleTypes), "$.type");
            var bundleType = typeElement.GetString()!;
            if (Array.IndexOf(AcceptedBundleTypes, bundleType) < 0)
            {
                throw Invalid("$.type", $"Bundle.type '{bundleType}' is not accepted; use collection, document, transaction or batch");
            }

            CheckFields(bundle, [FieldRule.Optional1("identifier", FieldKind.Identifier), FieldRule.Optional1("timestamp", FieldKind.Instant)], "$");
            if (bundle.TryGetProperty("total", out _))
            {
                throw Invalid("$.total", "Bundle.total is only allowed in search and history Bundles");
            }

            var entries = default(JsonElement);
            var entryCount = 0;
            if (bundle.TryGetProperty("entry", out entries))
            {
                if (entries.ValueKind != JsonValueKind.Array)
                {
                    throw Invalid("$.entry", "Bundle.entry must be an array");
                }

                entryCount = entries.GetArrayLength();
                if (entryCount > FhirLimits.MaxBundleEntries)
                {
                    throw new FhirValidationException(
                        FhirErrorCodes.TooManyEntries,
                        "$.entry",
                        $"the Bundle has {entryCount} entries; the limit is {FhirLimits.MaxBundleEntries}");
                }
            }

            var isDocument = bundleType == "document";
            if (isDocument)
            {
                if (!bundle.TryGetProperty("identifier", out _))
                {
                    throw Missing("$.identifier", "a document Bundle needs an identifier");
                }

                if (!bundle.TryGetProperty("timestamp", out _))
                {
                    throw Missing("$.timestamp", "a document Bundle needs a timestamp");
                }

                if (entryCount == 0)
                {
                    throw Missing("$.entry", "a document Bundle needs a Composition as its first entry");
                }
            }

            if (entryCount == 0)
            {
                return bundleType;
            }

            // First pass: the fullUrls, so that references in any entry can be resolved against all of them.
            var fullUrls = new string?[entryCount];
            var index = 0;
            foreach (var entry in entries.EnumerateArray())
            {
                var path = EntryPath(index);
                if (entry.ValueKind != JsonValueKind.Object)
                {
                    throw Invalid(path, $"a Bundle entry must be an object, not {Describe(entry.ValueKind)}");
                }

                if (entry.TryGetProperty("fullUrl", out var fullUrlElement))
                {
                    var fullUrl = CheckFullUrl(fullUrlElement, path + ".fullUrl");
                    var resourceType = entry.TryGetProperty("resource", out var r) ? FhirJson.GetString(r, "resourceType") ?? string.Empty : string.Empty;
                    if (!_fullUrlTypes.TryAdd(fullUrl, resourceType))
                    {
                        throw Invalid(path + ".fullUrl", $"the fullUrl '{Truncate(fullUrl)}' appears in more than one entry");
                    }

                    fullUrls[index] = fullUrl;
                }

                index++;
            }

            index = 0;
            foreach (var entry in entries.EnumerateArray())
            {
                var path = EntryPath(index);
                foreach (var property in entry.EnumerateObject())
                {
                    switch (property.Name)
                    {
                        case "fullUrl":
                        case "resource":
                        case "link":
                        case "id":
                            break;
                        case "extension":
                        case "modifierExtension":
                            CheckExtensions(property.Value, path + "." + property.Name);
                            break;
                        case "request":
                            if (bundleType is not ("transaction" or "batch"))
                            {
                                throw Invalid(path + ".request", "entry.request is only allowed in transaction and batch Bundles");
                            }

                            CheckValue(property.Value, RequestRule, path + ".request");
                            break;
                        case "search":
                        case "response":
                            throw Invalid(path + "." + property.Name, $"entry.{property.Name} is not allowed in a {bundleType} Bundle");
                        default:
                            if (!EntryElements.Contains(property.Name))
                            {
                                throw Invalid(path + "." + property.Name, $"'{Truncate(property.Name)}' is not an element of Bundle.entry");
                            }

                            break;
                    }
                }

                if (bundleType is "transaction" or "batch" && !entry.TryGetProperty("request", out _))
                {
                    throw Missing(path + ".request", $"every entry of a {bundleType} Bundle needs a request");
                }

                if (!entry.TryGetProperty("resource", out var resource))
                {
                    throw Missing(path + ".resource", "every entry needs a resource");
                }

                var resourcePath = path + ".resource";
                var type = ResourceTypeOf(resource, resourcePath);
                if (type == "Bundle")
                {
                    throw Invalid(resourcePath + ".resourceType", "Bundles nested inside Bundles are not accepted");
                }

                if (isDocument && index == 0 && type != "Composition")
                {
                    throw Invalid(resourcePath + ".resourceType", "the first entry of a document Bundle must be a Composition");
                }

                ValidateResource(resource, resourcePath, type, new Scope(index, fullUrls[index], false, null));
                index++;
            }

            return bundleType;
        }

        private static string CheckFullUrl(JsonElement element, string path)
        {
            if (element.ValueKind != JsonValueKind.String || !FhirPrimitives.IsUri(element.GetString()!))
            {
                throw Invalid(path, "fullUrl must be a uri string");
            }

            var value = element.GetString()!;
            if (value.StartsWith("urn:uuid:", StringComparison.Ordinal))
            {
                if (!FhirPrimitives.IsUuid(value["urn:uuid:".Length..]))
                {
                    throw Invalid(path, "a urn:uuid: fullUrl must hold a UUID");
                }
            }
            else if (value.StartsWith("urn:oid:", StringComparison.Ordinal))
            {
                if (!FhirPrimitives.IsOid(value["urn:oid:".Length..]))
                {
                    throw Invalid(path, "a urn:oid: fullUrl must hold an OID");
                }
            }
            else if (!AbsoluteReferencePattern().IsMatch(value))
            {
                throw Invalid(path, "fullUrl must be urn:uuid:, urn:oid: or an absolute http(s) URL ending in Type/id");
            }
            else if (AbsoluteReferencePattern().Match(value).Groups[3].Success)
            {
                throw Invalid(path, "fullUrl must not be version-specific");
            }

            return value;
        }

        private void ValidateResource(JsonElement resource, string path, string type, Scope scope)
        {
            ValidateResourceCommon(resource, path, scope.IsContained, allowDomainResourceElements: true);

            HashSet<string>? containedIds = null;
            if (resource.TryGetProperty("contained", out var contained))
            {
                if (scope.IsContained)
                {
                    throw Invalid(path + ".contained", "contained resources must not contain resources");
                }

                if (contained.ValueKind != JsonValueKind.Array)
                {
                    throw Invalid(path + ".contained", "contained must be an array");
                }

                containedIds = new HashSet<string>(StringComparer.Ordinal);
                var i = 0;
                foreach (var item in contained.EnumerateArray())
                {
                    var itemPath = path + ".contained[" + i.ToString(CultureInfo.InvariantCulture) + "]";
                    var itemType = ResourceTypeOf(item, itemPath);
                    if (itemType == "Bundle")
                    {
                        throw Invalid(itemPath + ".resourceType", "a Bundle cannot be contained");
                    }

                    var id = FhirJson.GetString(item, "id") ?? throw Missing(itemPath + ".id", "a contained resource needs an id");
                    if (!containedIds.Add(id))
                    {
                        throw Invalid(itemPath + ".id", $"the contained id '{id}' is used twice");
                    }

                    i++;
                }

                i = 0;
                foreach (var item in contained.EnumerateArray())
                {
                    var itemPath = path + ".contained[" + i.ToString(CultureInfo.InvariantCulture) + "]";
                    ValidateResource(item, itemPath, FhirJson.GetString(item, "resourceType")!, new Scope(scope.EntryIndex, null, true, containedIds));
                    i++;
                }
            }

            CheckFields(resource, FhirResourceRules.Resources[type], Track(path));
            CheckInvariants(resource, path, type);
            Walk(resource, Track(path), scope.IsContained ? scope.ContainedIds : containedIds, isResourceRoot: true);

            if (scope.IsContained)
            {
                return;
            }

            var record = new FhirResource(type, FhirJson.GetString(resource, "id"), scope.FullUrl, scope.EntryIndex, resource);
            _resources.Add(record);
            if (type == "Patient")
            {
                _patients.Add(record);
            }

            foreach (var name in (ReadOnlySpan<string>)["subject", "patient"])
            {
                if (!resource.TryGetProperty(name, out var reference) || reference.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                var value = FhirJson.GetString(reference, "reference")
                    ?? throw new FhirValidationException(
                        FhirErrorCodes.InvalidReference,
                        path + "." + name,
                        $"{type}.{name} must carry a literal reference (reference), not only an identifier or display");
                _patientReferences.Add((value, path + "." + name + ".reference"));
            }
        }

        private static void CheckInvariants(JsonElement resource, string path, string type)
        {
            switch (type)
            {
                case "Organization" when !resource.TryGetProperty("identifier", out _) && !resource.TryGetProperty("name", out _):
                    throw Missing(path + ".name", "an Organization needs an identifier or a name (org-1)");
                case "Consent" when !resource.TryGetProperty("policy", out _) && !resource.TryGetProperty("policyRule", out _):
                    throw Missing(path + ".policyRule", "a Consent needs a policy or a policyRule (ppc-1)");
                default:
                    break;
            }
        }

        private void ValidateResourceCommon(JsonElement resource, string path, bool isContained, bool allowDomainResourceElements)
        {
            if (resource.TryGetProperty("id", out var id))
            {
                if (id.ValueKind != JsonValueKind.String || !FhirPrimitives.IsId(id.GetString()!))
                {
                    throw Invalid(path + ".id", "id must be 1 to 64 characters of A-Z, a-z, 0-9, '-' and '.'");
                }
            }

            CheckFields(
                resource,
                [MetaRule, FieldRule.Optional1("implicitRules", FieldKind.Uri), FieldRule.Optional1("language", FieldKind.Code)],
                Track(path));

            if (!allowDomainResourceElements)
            {
                foreach (var name in (ReadOnlySpan<string>)["text", "contained", "extension", "modifierExtension"])
                {
                    if (resource.TryGetProperty(name, out _))
                    {
                        throw Invalid(path + "." + name, $"a Bundle has no '{name}' element");
                    }
                }

                return;
            }

            if (resource.TryGetProperty("text", out var text))
            {
                CheckValue(text, NarrativeRule, Track(path + ".text"));
                var div = text.GetProperty("div").GetString()!;
                if (!div.StartsWith("<div", StringComparison.Ordinal))
                {
                    throw Invalid(path + ".text.div", "the narrative must be an XHTML <div> element");
                }

                if (isContained)
                {
                    throw Invalid(path + ".text", "contained resources must not have a narrative (dom-5)");
                }
            }
        }

        private void CheckFields(JsonElement obj, IReadOnlyList<FieldRule> rules, string? path)
        {
            foreach (var rule in rules)
            {
                if (rule.Choices is not null)
                {
                    CheckChoice(obj, rule, path);
                    continue;
                }

                if (!obj.TryGetProperty(rule.NameUtf8, out var value))
                {
                    if (rule.Required)
                    {
                        throw Missing(Child(path, rule.Name), $"'{rule.Name}' is required");
                    }

                    continue;
                }

                var fieldPath = Child(path, rule.Name);
                if (rule.Repeats)
                {
                    if (value.ValueKind != JsonValueKind.Array)
                    {
                        throw Invalid(fieldPath, $"'{rule.Name}' repeats and must be an array, not {Describe(value.ValueKind)}");
                    }

                    var i = 0;
                    foreach (var item in value.EnumerateArray())
                    {
                        var itemPath = Item(fieldPath, i);
                        if (item.ValueKind == JsonValueKind.Null)
                        {
                            // FHIR JSON allows null in arrays of primitives only, to align with the _name extension array.
                            if (!IsPrimitive(rule.Kind) || !obj.TryGetProperty(rule.ExtensionNameUtf8, out _))
                            {
                                throw Invalid(itemPath, "null array items are only allowed in primitive arrays with extensions");
                            }
                        }
                        else
                        {
                            CheckValue(item, rule, itemPath);
                        }

                        i++;
                    }
                }
                else
                {
                    if (value.ValueKind == JsonValueKind.Array)
                    {
                        throw Invalid(fieldPath, $"'{rule.Name}' does not repeat and must not be an array");
                    }

                    CheckValue(value, rule, fieldPath);
                }
            }
        }

        private void CheckChoice(JsonElement obj, FieldRule rule, string? path)
        {
            string? found = null;
            foreach (var property in obj.EnumerateObject())
            {
                // Compare the raw UTF-8 name first: materialising every property name as a string is the
                // validator's largest cost otherwise. Escaped names fall back to the decoded string.
                var raw = JsonMarshal.GetRawUtf8PropertyName(property);
                var prefix = rule.NameUtf8;
                var isChoice = raw.IndexOf((byte)'\\') >= 0
                    ? IsChoiceName(property.Name, rule.Name)
                    : raw.Length > prefix.Length && raw.StartsWith(prefix) && char.IsAsciiLetterUpper((char)raw[prefix.Length]);
                if (!isChoice)
                {
                    continue;
                }

                var name = property.Name;
                var suffix = name[rule.Name.Length..];
                FieldKind? kind = null;
                foreach (var (candidate, candidateKind) in rule.Choices!)
                {
                    if (candidate == suffix)
                    {
                        kind = candidateKind;
                        break;
                    }
                }

                if (kind is null)
                {
                    throw Invalid(Child(path, name), $"{rule.Name}[x] cannot be of type '{suffix}'");
                }

                if (found is not null)
                {
                    throw Invalid(Child(path, name), $"{rule.Name}[x] appears twice ({found} and {name})");
                }

                found = name;
                if (property.Value.ValueKind == JsonValueKind.Array)
                {
                    throw Invalid(Child(path, name), $"'{name}' does not repeat and must not be an array");
                }

                CheckValue(property.Value, kind.Value, null, null, Child(path, name));
            }

            if (found is null && rule.Required)
            {
                throw Missing(Child(path, rule.Name + "[x]"), $"'{rule.Name}[x]' is required");
            }
        }

        private static bool IsChoiceName(string name, string baseName) =>
            name.Length > baseName.Length
            && name.StartsWith(baseName, StringComparison.Ordinal)
            && char.IsAsciiLetterUpper(name[baseName.Length]);

        private void CheckValue(JsonElement value, FieldRule rule, string? path) =>
            CheckValue(value, rule.Kind, rule.Codes, rule.Children, path);

        private void CheckValue(
            JsonElement value,
            FieldKind kind,
            System.Collections.Frozen.FrozenSet<string>? codes,
            IReadOnlyList<FieldRule>? children,
            string? path)
        {
            switch (kind)
            {
                case FieldKind.String:
                    ExpectKind(value, JsonValueKind.String, path);
                    break;
                case FieldKind.Code:
                    ExpectKind(value, JsonValueKind.String, path);
                    var code = value.GetString()!;
                    if (!FhirPrimitives.IsCode(code))
                    {
                        throw Invalid(path, $"'{Truncate(code)}' is not a valid code");
                    }

                    if (codes is not null && !codes.Contains(code))
                    {
                        throw Invalid(path, $"'{Truncate(code)}' is not one of: {string.Join(", ", codes.Order(StringComparer.Ordinal))}");
                    }

                    break;
                case FieldKind.Uri:
                    ExpectKind(value, JsonValueKind.String, path);
                    if (!FhirPrimitives.IsUri(value.GetString()!))
                    {
                        throw Invalid(path, "a uri must not contain whitespace");
                    }

                    break;
                case FieldKind.Date:
                    ExpectKind(value, JsonValueKind.String, path);
                    if (!FhirPrimitives.IsDate(value.GetString()!))
                    {
                        throw Invalid(path, $"'{Truncate(value.GetString()!)}' is not a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD)");
                    }

                    break;
                case FieldKind.DateTime:
                    ExpectKind(value, JsonValueKind.String, path);
                    if (!FhirPrimitives.IsDateTime(value.GetString()!))
                    {
                        throw Invalid(path, $"'{Truncate(value.GetString()!)}' is not a FHIR dateTime");
                    }

                    break;
                case FieldKind.Instant:
                    ExpectKind(value, JsonValueKind.String, path);
                    if (!FhirPrimitives.IsInstant(value.GetString()!))
                    {
                        throw Invalid(path, $"'{Truncate(value.GetString()!)}' is not a FHIR instant (YYYY-MM-DDThh:mm:ss with time zone)");
                    }

                    break;
                case FieldKind.Boolean:
                    if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        throw Invalid(path, $"expected a boolean, not {Describe(value.ValueKind)}");
                    }

                    break;
                case FieldKind.Decimal:
                    ExpectKind(value, JsonValueKind.Number, path);
                    if (!value.TryGetDecimal(out _))
                    {
                        throw Invalid(path, "the number is out of the decimal range");
                    }

                    break;
                case FieldKind.Integer:
                case FieldKind.PositiveInt:
                case FieldKind.UnsignedInt:
                    ExpectKind(value, JsonValueKind.Number, path);
                    if (!value.TryGetInt32(out var number)
                        || (kind == FieldKind.PositiveInt && number < 1)
                        || (kind == FieldKind.UnsignedInt && number < 0))
                    {
                        throw Invalid(path, $"expected a 32-bit {(kind == FieldKind.Integer ? "integer" : kind == FieldKind.PositiveInt ? "positive integer" : "unsigned integer")}");
                    }

                    break;
                default:
                    ExpectKind(value, JsonValueKind.Object, path);
                    if (kind != FieldKind.Object)
                    {
                        CheckFields(value, FhirResourceRules.Datatypes[kind], path);
                    }

                    if (children is not null)
                    {
                        CheckFields(value, children, path);
                    }

                    break;
            }
        }

        private static bool IsPrimitive(FieldKind kind) => kind < FieldKind.Object;

        private static void ExpectKind(JsonElement value, JsonValueKind expected, string? path)
        {
            if (value.ValueKind != expected)
            {
                throw Invalid(path, $"expected {Describe(expected)}, not {Describe(value.ValueKind)}");
            }
        }

        private void CheckExtensions(JsonElement extensions, string? path)
        {
            if (extensions.ValueKind != JsonValueKind.Array)
            {
                throw Invalid(path, "extensions must be an array");
            }

            var i = 0;
            foreach (var extension in extensions.EnumerateArray())
            {
                var itemPath = Item(path, i);
                if (extension.ValueKind != JsonValueKind.Object)
                {
                    throw Invalid(itemPath, "an extension must be an object");
                }

                if (!extension.TryGetProperty("url", out var url))
                {
                    throw Missing(Child(itemPath, "url"), "an extension needs a url");
                }

                CheckValue(url, FieldKind.Uri, null, null, Child(itemPath, "url"));
                i++;
            }
        }

        /// <summary>
        /// The rules that hold anywhere inside a resource, whatever the element: references are well formed and
        /// recorded for resolution, extensions carry a url.
        /// </summary>
        private void Walk(JsonElement element, string? path, HashSet<string>? containedIds, bool isResourceRoot)
        {
            if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in element.EnumerateObject())
                {
                    // Names are compared as UTF-8 and only decoded when a path is tracked: this loop visits every
                    // element of every resource.
                    if (isResourceRoot && (property.NameEquals("contained"u8) || property.NameEquals("resourceType"u8)))
                    {
                        continue;
                    }

                    var value = property.Value;
                    var isExtension = property.NameEquals("extension"u8) || property.NameEquals("modifierExtension"u8);
                    if (isExtension)
                    {
                        CheckExtensions(value, Child(path, property.Name));
                    }

                    if (value.ValueKind == JsonValueKind.String)
                    {
                        if (property.NameEquals("reference"u8))
                        {
                            CheckReference(value.GetString()!, Child(path, "reference"), containedIds);
                        }

                        continue;
                    }

                    if (value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
                    {
                        continue;
                    }

                    var childPath = path is null ? null : path + "." + property.Name;
                    if (value.ValueKind == JsonValueKind.Array)
                    {
                        CheckNulls(element, property, childPath);
                    }

                    Walk(value, childPath, containedIds, isResourceRoot: false);
                }
            }
            else if (element.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (item.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                    {
                        Walk(item, Item(path, i), containedIds, isResourceRoot: false);
                    }

                    i++;
                }
            }
        }

        /// <summary>
        /// FHIR JSON allows null in an array only to line up a primitive array with its <c>_name</c> extension
        /// array: the sibling must exist with the same length, and no index may be null in both.
        /// </summary>
        private static void CheckNulls(JsonElement parent, JsonProperty property, string? path)
        {
            var array = property.Value;
            var i = 0;
            var hasNull = false;
            foreach (var item in array.EnumerateArray())
            {
                hasNull |= item.ValueKind == JsonValueKind.Null;
                i++;
            }

            if (!hasNull)
            {
                return;
            }

            var name = property.Name;
            var siblingName = name.StartsWith('_') ? name[1..] : "_" + name;
            if (!parent.TryGetProperty(siblingName, out var sibling)
                || sibling.ValueKind != JsonValueKind.Array
                || sibling.GetArrayLength() != i)
            {
                throw Invalid(path, $"null items are only allowed when '{siblingName}' is an array of the same length");
            }

            var index = 0;
            using var other = sibling.EnumerateArray().GetEnumerator();
            foreach (var item in array.EnumerateArray())
            {
                other.MoveNext();
                if (item.ValueKind == JsonValueKind.Null && other.Current.ValueKind == JsonValueKind.Null)
                {
                    throw Invalid(Item(path, index), $"'{name}' and '{siblingName}' are both null here");
                }

                index++;
            }
        }

        private void CheckReference(string value, string? path, HashSet<string>? containedIds)
        {
            if (value.StartsWith('#'))
            {
                var target = value[1..];
                if (target.Length > 0 && (containedIds is null || !containedIds.Contains(target)))
                {
                    throw BadReference(path, $"'{Truncate(value)}' does not match a contained resource");
                }

                return;
            }

            if (value.StartsWith("urn:uuid:", StringComparison.Ordinal))
            {
                if (!FhirPrimitives.IsUuid(value["urn:uuid:".Length..]))
                {
                    throw BadReference(path, "a urn:uuid: reference must hold a UUID");
                }

                _pendingReferences.Add((value, path));
                return;
            }

            if (value.StartsWith("urn:oid:", StringComparison.Ordinal))
            {
                if (!FhirPrimitives.IsOid(value["urn:oid:".Length..]))
                {
                    throw BadReference(path, "a urn:oid: reference must hold an OID");
                }

                _pendingReferences.Add((value, path));
                return;
            }

            if (value.StartsWith("http://", StringComparison.Ordinal) || value.StartsWith("https://", StringComparison.Ordinal))
            {
                if (!FhirPrimitives.IsUri(value) || !Uri.TryCreate(value, UriKind.Absolute, out _))
                {
                    throw BadReference(path, "the absolute reference is not a valid URL");
                }

                _pendingReferences.Add((value, path));
                return;
            }

            if (!RelativeReferencePattern().IsMatch(value))
            {
                throw BadReference(path, $"'{Truncate(value)}' is not a reference of the form Type/id, urn:uuid:…, urn:oid:…, #id or an absolute URL");
            }
        }

        private void ResolveReferences()
        {
            foreach (var (value, path) in _pendingReferences)
            {
                if (_fullUrlTypes.ContainsKey(value))
                {
                    continue;
                }

                if (value.StartsWith("urn:", StringComparison.Ordinal))
                {
                    if (!options.AllowUnresolvedUrnReferences)
                    {
                        throw BadReference(path, $"'{value}' does not resolve to the fullUrl of an entry in this document");
                    }
                }
                else if (!options.AllowExternalReferences)
                {
                    throw BadReference(path, $"'{Truncate(value)}' points outside this document; absolute references to other servers are not allowed");
                }
            }
        }

        private string? ResolvePatient()
        {
            var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
            string? patient = null;
            var patientPath = "$";
            foreach (var resource in _patients)
            {
                var canonical = resource.RelativeReference ?? resource.FullUrl ?? "#entry" + resource.EntryIndex.ToString(CultureInfo.InvariantCulture);
                if (resource.FullUrl is not null)
                {
                    aliases[resource.FullUrl] = canonical;
                    var match = AbsoluteReferencePattern().Match(resource.FullUrl);
                    if (match.Success && resource.Id is null)
                    {
                        aliases["Patient/" + match.Groups[2].Value] = canonical;
                    }
                }

                if (resource.RelativeReference is not null)
                {
                    aliases[resource.RelativeReference] = canonical;
                }

                Agree(ref patient, ref patientPath, canonical, resource.Path);
            }

            foreach (var (value, path) in _patientReferences)
            {
                Agree(ref patient, ref patientPath, CanonicalPatient(value, path, aliases), path);
            }

            return patient;
        }

        private static void Agree(ref string? patient, ref string patientPath, string candidate, string path)
        {
            if (patient is null)
            {
                patient = candidate;
                patientPath = path;
            }
            else if (patient != candidate)
            {
                throw new FhirValidationException(
                    FhirErrorCodes.PatientMismatch,
                    path,
                    $"this points to patient '{Truncate(candidate)}' but {patientPath} is about patient '{Truncate(patient)}'; one document holds one patient's data");
            }
        }

        private string CanonicalPatient(string value, string path, Dictionary<string, string> aliases)
        {
            var relative = RelativeReferencePattern().Match(value);
            if (relative.Success)
            {
                if (relative.Groups[1].Value != "Patient")
                {
                    throw BadReference(path, $"'{value}' must reference a Patient");
                }

                var unversioned = "Patient/" + relative.Groups[2].Value;
                return aliases.TryGetValue(unversioned, out var known) ? known : unversioned;
            }

            if (aliases.TryGetValue(value, out var canonical))
            {
                return canonical;
            }

            if (_fullUrlTypes.TryGetValue(value, out var targetType) || value.StartsWith('#'))
            {
                // Resolves inside the document, but not to a Patient (or to a contained resource, which MedLedger
                // does not accept as the subject of a record).
                throw BadReference(path, $"'{Truncate(value)}' must reference a Patient resource, not {targetType ?? "a contained resource"}");
            }

            var absolute = AbsoluteReferencePattern().Match(value);
            if (absolute.Success)
            {
                if (absolute.Groups[1].Value != "Patient")
                {
                    throw BadReference(path, $"'{Truncate(value)}' must reference a Patient");
                }

                return absolute.Groups[3].Success ? value[..absolute.Groups[3].Index] : value;
            }

            if (value.StartsWith("urn:", StringComparison.Ordinal))
            {
                // Unresolved urn (allowed by options, e.g. in a tier part): the urn itself names the patient.
                return value;
            }

            throw BadReference(path, $"'{Truncate(value)}' must reference a Patient");
        }

        private static string EntryPath(int index) => "$.entry[" + index.ToString(CultureInfo.InvariantCulture) + "]";
    }

    private static string Truncate(string value) => value.Length <= 80 ? value : string.Concat(value.AsSpan(0, 80), "…");

    /// <summary>Where a resource sits: its entry, fullUrl, whether it is contained, and the contained ids in reach.</summary>
    private readonly record struct Scope(int EntryIndex, string? FullUrl, bool IsContained, HashSet<string>? ContainedIds);
}
