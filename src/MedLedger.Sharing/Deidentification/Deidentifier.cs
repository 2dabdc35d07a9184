using System.Collections.Frozen;
using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedLedger.Core;
using MedLedger.Sharing.Fhir;

namespace MedLedger.Sharing.Deidentification;

/// <summary>A record cannot be released in de-identified form (see <see cref="Deidentifier.Deidentify"/>).</summary>
public sealed class DeidentificationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DeidentificationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public DeidentificationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public DeidentificationException()
    {
    }
}

/// <summary>
/// De-identifies validated FHIR documents before data leaves the treatment context (SPEC F14, F26, F27). Direct
/// identifiers are removed, quasi-identifiers generalised, ids and references replaced by per-release pseudonyms,
/// clinical codes and values kept. The output is FHIR R4 that passes <see cref="FhirValidator"/>. The rules are
/// listed in docs/fhir.md; in short:
/// <list type="bullet">
/// <item>Removed everywhere: identifier, name, telecom, address, photo, contact, link, narrative (text.div),
/// note, comment, description, conclusion, title, patientInstruction, valueString/valueMarkdown/valueAttachment,
/// presentedForm, attachment data and URLs, outcomeDesc, extensions, meta (except security labels),
/// reference display texts, birthDate.</item>
/// <item>Patient: birthDate becomes a 5-year age band at the reference date (90+ top-coded) in an extension
/// (<see cref="AgeBandExtensionUrl"/>), the address a 3-character postal prefix and country, deceased[x] a
/// boolean, multipleBirth[x] a boolean.</item>
/// <item>Every date and dateTime becomes its year; instants become 1 January of their year, 00:00:00Z.</item>
/// <item>Resource ids, fullUrls and references become keyed-hash pseudonyms (HMAC-SHA-256 under the release
/// key), so that references inside one release still match; DICOM UIDs become 2.25 UIDs of a pseudonym.</item>
/// <item>A Bundle becomes a collection Bundle without identifier, timestamp or request elements.</item>
/// </list>
/// </summary>
public static class Deidentifier
{
    /// <summary>Extension on a de-identified Patient holding the age band (valueRange in years, UCUM <c>a</c>).</summary>
    public const string AgeBandExtensionUrl = "https://medledger.org/fhir/StructureDefinition/age-band";

    /// <summary>Ages from this value up share one band (<c>90+</c>), as in the HIPAA safe harbour rule.</summary>
    public const int TopCodedAge = 90;

    private static readonly byte[] PseudonymDomain = "MedLedger/deidentification/pseudonym/v1\0"u8.ToArray();

    /// <summary>Elements dropped wherever they appear (direct identifiers and free text).</summary>
    private static readonly FrozenSet<string> RemovedElements = new[]
    {
        "identifier", "name", "telecom", "address", "photo", "contact", "link", "note", "comment", "description",
        "conclusion", "title", "patientInstruction", "valueString", "valueMarkdown", "valueAttachment", "presentedForm",
        "outcomeDesc", "extension", "modifierExtension", "implicitRules", "alias", "birthDate",
        "altId", "query", "signature", "lotNumber",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Elements of type instant: they keep full precision in form, reduced to the start of their year.</summary>
    private static readonly FrozenSet<string> InstantElements =
        new[] { "issued", "recorded", "lastUpdated", "timestamp", "effectiveInstant" }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly FrozenSet<string> AttachmentElements =
        new[] { "attachment", "sourceAttachment" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// De-identifies <paramref name="document"/>; throws <see cref="DeidentificationException"/> when a required
    /// element would be left empty (its only content was an extension or free text). The quasi-identifiers come from the document's Patient, or from
    /// <paramref name="patient"/> (the patient's Patient resource) when the record holds none; otherwise they are
    /// unknown.
    /// </summary>
    public static DeidentifiedRecord Deidentify(FhirDocument document, DeidentificationOptions options, FhirResource? patient = null)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(options);
        if (patient is not null && patient.ResourceType != "Patient")
        {
            throw new ArgumentException("The patient must be a Patient resource.", nameof(patient));
        }

        var run = new Run(document, options);
        var patientResource = document.Resources.FirstOrDefault(resource => resource.ResourceType == "Patient") ?? patient;
        var quasi = patientResource is null ? QuasiIdentifiers.None : QuasiIdentifiersOf(patientResource.Element, options.ReferenceDate);
        var pseudonym = document.PatientReference is null ? null : run.Pseudonym(document.PatientReference);

        JsonObject output;
        if (!document.IsBundle)
        {
            output = run.Resource(document.Resources[0]);
        }
        else
        {
            output = new JsonObject { ["resourceType"] = "Bundle" };
            if (FhirJson.GetString(document.Root, "id") is { } bundleId)
            {
                output["id"] = run.Pseudonym("Bundle/" + bundleId);
            }

            output["type"] = "collection";
            output["entry"] = document.Resources.Count == 0 ? null : new JsonArray(document.Resources.Select(resource =>
                {
                    var entry = new JsonObject();
                    if (resource.FullUrl is not null)
                    {
                        entry["fullUrl"] = run.FullUrl(resource.FullUrl);
                    }

                    entry["resource"] = run.Resource(resource);
                    return (JsonNode)entry;
                }).ToArray());
            if (output["entry"] is null)
            {
                output.Remove("entry");
            }
        }

        var bytes = FhirJson.Serialize(output);
        try
        {
            _ = FhirValidator.Validate(bytes);
        }
        catch (FhirValidationException exception) when (exception.Code == FhirErrorCodes.MissingField)
        {
            // A required element held nothing but what the rules remove (e.g. only an extension, or only free
            // text): the record cannot be released in de-identified form. A data condition, not a bug.
            throw new DeidentificationException(
                $"the record cannot be de-identified: a required element consists only of removed content ({exception.Message})",
                exception);
        }
        catch (FhirValidationException exception)
        {
            // The input was valid and every rule above keeps references, codes and formats valid; any other
            // failure is a bug in this class.
            Invariant.Check(false, $"de-identified output does not validate: {exception.Message}");
        }

        return new DeidentifiedRecord(bytes, pseudonym, quasi, document.SuggestedCategory);
    }

    /// <summary>The generalised quasi-identifiers of a Patient resource at <paramref name="referenceDate"/>.</summary>
    public static QuasiIdentifiers QuasiIdentifiersOf(JsonElement patient, DateOnly referenceDate)
    {
        var birthDate = FhirJson.GetString(patient, "birthDate");
        var ageBand = birthDate is not null && FhirPrimitives.IsDate(birthDate) ? AgeBand(birthDate, referenceDate) : QuasiIdentifiers.Unknown;
        var sex = FhirJson.GetString(patient, "gender") ?? QuasiIdentifiers.Unknown;
        return new QuasiIdentifiers(ageBand, sex, PostalPrefix(HomePostalCode(patient)));
    }

    /// <summary>
    /// The 5-year band (<c>0-4</c>, <c>5-9</c>, …, <c>85-89</c>, <c>90+</c>) of someone born on
    /// <paramref name="birthDate"/> (a FHIR date; a missing month or day counts as mid-year or mid-month).
    /// </summary>
    public static string AgeBand(string birthDate, DateOnly referenceDate)
    {
        var age = Age(birthDate, referenceDate);
        if (age >= TopCodedAge)
        {
            return TopCodedAge.ToString(CultureInfo.InvariantCulture) + "+";
        }

        var low = age / 5 * 5;
        return string.Create(CultureInfo.InvariantCulture, $"{low}-{low + 4}");
    }

    /// <summary>The first three letters or digits of a postal code, upper case; <see cref="QuasiIdentifiers.Unknown"/> when shorter.</summary>
    public static string PostalPrefix(string? postalCode)
    {
        if (postalCode is null)
        {
            return QuasiIdentifiers.Unknown;
        }

        var prefix = new StringBuilder(3);
        foreach (var c in postalCode)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                prefix.Append(char.ToUpperInvariant(c));
                if (prefix.Length == 3)
                {
                    return prefix.ToString();
                }
            }
        }

        return QuasiIdentifiers.Unknown;
    }

    private static int Age(string birthDate, DateOnly referenceDate)
    {
        var year = FhirPrimitives.Year(birthDate);
        var month = birthDate.Length >= 7 ? int.Parse(birthDate.AsSpan(5, 2), CultureInfo.InvariantCulture) : 7;
        var day = birthDate.Length >= 10 ? int.Parse(birthDate.AsSpan(8, 2), CultureInfo.InvariantCulture) : birthDate.Length >= 7 ? 15 : 1;
        var birth = new DateOnly(year, month, day);
        var age = referenceDate.Year - birth.Year;
        if (referenceDate < birth.AddYears(age))
        {
            age--;
        }

        return Math.Max(age, 0);
    }

    private static string? HomePostalCode(JsonElement patient)
    {
        if (!patient.TryGetProperty("address", out var addresses) || addresses.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        string? first = null;
        foreach (var address in addresses.EnumerateArray())
        {
            var postalCode = FhirJson.GetString(address, "postalCode");
            if (postalCode is null)
            {
                continue;
            }

            if (FhirJson.GetString(address, "use") == "home")
            {
                return postalCode;
            }

            first ??= postalCode;
        }

        return first;
    }

    private static string? Country(JsonElement patient, string? postalCode)
    {
        if (!patient.TryGetProperty("address", out var addresses) || addresses.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (var address in addresses.EnumerateArray())
        {
            if (FhirJson.GetString(address, "postalCode") == postalCode)
            {
                return FhirJson.GetString(address, "country");
            }
        }

        return null;
    }

    private static JsonObject YearsQuantity(int years) => new()
    {
        ["value"] = years,
        ["unit"] = "a",
        ["system"] = "http://unitsofmeasure.org",
        ["code"] = "a",
    };

    /// <summary>One de-identification: the document, the options and the pseudonym function.</summary>
    private sealed class Run(FhirDocument document, DeidentificationOptions options)
    {
        private readonly HashSet<string> _fullUrls = document.Resources
            .Where(resource => resource.FullUrl is not null)
            .Select(resource => resource.FullUrl!)
            .ToHashSet(StringComparer.Ordinal);

        public string Pseudonym(string value) => Convert.ToHexStringLower(PseudonymBytes(value));

        public string FullUrl(string fullUrl) => "urn:uuid:" + UuidOf(PseudonymBytes(CanonicalTarget(fullUrl)));

        public JsonObject Resource(FhirResource resource)
        {
            if (resource.ResourceType == "Patient")
            {
                return Patient(resource);
            }

            var node = (JsonObject)FhirJson.ToNode(resource.Element);
            Scrub(node, resource.ResourceType, isResourceRoot: true);
            RestoreRequired(node, resource.ResourceType);
            RemoveEmpty(node);
            return node;
        }

        /// <summary>Puts back required elements that the removal rules took, with values that identify nobody.</summary>
        private void RestoreRequired(JsonObject resource, string resourceType)
        {
            if (resourceType == "Organization" && !resource.ContainsKey("name"))
            {
                // org-1 needs an identifier or a name; both are identifying, so the name becomes a pseudonym.
                var id = FhirJson.AsString(resource["id"]) ?? string.Empty;
                resource["name"] = "Organization " + Pseudonym("Organization/" + id)[..12];
            }

            if (resourceType == "Composition")
            {
                resource["title"] = "De-identified document";
            }
        }

        private JsonObject Patient(FhirResource resource)
        {
            var patient = resource.Element;
            var output = new JsonObject { ["resourceType"] = "Patient" };
            if (resource.Id is not null)
            {
                output["id"] = Pseudonym("Patient/" + resource.Id);
            }

            if (patient.TryGetProperty("meta", out var meta) && meta.TryGetProperty("security", out var security))
            {
                output["meta"] = new JsonObject { ["security"] = FhirJson.ToNode(security) };
            }

            var birthDate = FhirJson.GetString(patient, "birthDate");
            if (birthDate is not null)
            {
                var age = Age(birthDate, options.ReferenceDate);
                var low = age >= TopCodedAge ? TopCodedAge : age / 5 * 5;
                var range = new JsonObject { ["low"] = YearsQuantity(low) };
                if (age < TopCodedAge)
                {
                    range["high"] = YearsQuantity(low + 4);
                }

                output["extension"] = new JsonArray(new JsonObject { ["url"] = AgeBandExtensionUrl, ["valueRange"] = range });
            }

            if (patient.TryGetProperty("active", out var active))
            {
                output["active"] = FhirJson.ToNode(active);
            }

            if (FhirJson.GetString(patient, "gender") is { } gender)
            {
                output["gender"] = gender;
            }

            if (patient.TryGetProperty("deceasedBoolean", out var deceased))
            {
                output["deceasedBoolean"] = FhirJson.ToNode(deceased);
            }
            else if (patient.TryGetProperty("deceasedDateTime", out _))
            {
                output["deceasedBoolean"] = true;
            }

            var postalCode = HomePostalCode(patient);
            if (postalCode is not null && PostalPrefix(postalCode) != QuasiIdentifiers.Unknown)
            {
                var address = new JsonObject { ["postalCode"] = PostalPrefix(postalCode) };
                if (Country(patient, postalCode) is { } country)
                {
                    address["country"] = country;
                }

                output["address"] = new JsonArray(address);
            }

            if (patient.TryGetProperty("multipleBirthBoolean", out var multipleBirth))
            {
                output["multipleBirthBoolean"] = FhirJson.ToNode(multipleBirth);
            }
            else if (patient.TryGetProperty("multipleBirthInteger", out _))
            {
                output["multipleBirthBoolean"] = true;
            }

            foreach (var name in (ReadOnlySpan<string>)["contained", "communication", "generalPractitioner", "managingOrganization"])
            {
                if (patient.TryGetProperty(name, out var value))
                {
                    // Scrubbed as elements of a Patient, so that contained resources get their own rules.
                    var holder = new JsonObject { [name] = FhirJson.ToNode(value) };
                    ScrubObject(holder, "Patient", isResourceRoot: false);
                    if (holder[name] is { } node)
                    {
                        holder.Remove(name);
                        output[name] = node;
                    }
                }
            }

            RemoveEmpty(output);
            return output;
        }

        private void Scrub(JsonNode? node, string resourceType, bool isResourceRoot)
        {
            switch (node)
            {
                case JsonObject obj:
                    ScrubObject(obj, resourceType, isResourceRoot);
                    break;
                case JsonArray array:
                    foreach (var item in array)
                    {
                        Scrub(item, resourceType, isResourceRoot: false);
                    }

                    break;
                default:
                    break;
            }
        }

        private void ScrubObject(JsonObject obj, string resourceType, bool isResourceRoot)
        {
            // A logical reference (identifier only) keeps a pseudonymous literal reference when its type is known.
            if (!isResourceRoot && obj["identifier"] is JsonObject logical && !obj.ContainsKey("reference"))
            {
                var type = FhirJson.AsString(obj["type"]);
                var key = FhirJson.AsString(logical["system"]) + "|" + FhirJson.AsString(logical["value"]);
                obj.Remove("identifier");
                if (type is not null && FhirValidator.RelativeReferencePattern().IsMatch(type + "/x"))
                {
                    obj["reference"] = type + "/" + Pseudonym(key);
                }
                else if (obj.Count == 0 || (obj.Count == 1 && obj.ContainsKey("type")) || obj.ContainsKey("display"))
                {
                    obj["display"] = "redacted";
                    obj.Remove("type");
                }
            }

            foreach (var (name, value) in obj.ToArray())
            {
                if (RemovedElements.Contains(name) || (name == "text" && value is JsonObject))
                {
                    obj.Remove(name);
                    continue;
                }

                if (name == "display" && !obj.ContainsKey("code"))
                {
                    // A Reference's display usually names a person. It goes; a Reference that has nothing else
                    // (display-only, or identifier-only above) keeps a neutral display so that it stays valid.
                    if (obj.ContainsKey("reference"))
                    {
                        obj.Remove(name);
                    }
                    else
                    {
                        obj[name] = "redacted";
                    }

                    continue;
                }

                if (isResourceRoot && name == "meta")
                {
                    if (value is JsonObject meta && meta["security"] is JsonArray security)
                    {
                        obj["meta"] = new JsonObject { ["security"] = security.DeepClone() };
                    }
                    else
                    {
                        obj.Remove(name);
                    }

                    continue;
                }

                if (AttachmentElements.Contains(name) && value is JsonObject attachment)
                {
                    // Attachments keep their content type only (the data, URL and title may hold anything).
                    obj[name] = new JsonObject
                    {
                        ["contentType"] = attachment["contentType"]?.DeepClone() ?? "application/octet-stream",
                    };
                    continue;
                }

                if (name == "deceasedDateTime")
                {
                    obj.Remove(name);
                    obj["deceasedBoolean"] = true;
                    continue;
                }

                var text = FhirJson.AsString(value);
                if (text is not null)
                {
                    var replacement = ScrubString(name, text, resourceType, isResourceRoot);
                    if (replacement is null)
                    {
                        obj.Remove(name);
                    }
                    else if (!ReferenceEquals(replacement, text))
                    {
                        obj[name] = replacement;
                    }

                    continue;
                }

                if (name == "contained" && value is JsonArray contained)
                {
                    foreach (var item in contained)
                    {
                        if (item is JsonObject containedResource && FhirJson.AsString(containedResource["resourceType"]) is { } containedType)
                        {
                            // Contained ids stay: '#id' references inside the resource point to them.
                            ScrubObject(containedResource, containedType, isResourceRoot: false);
                            RestoreRequired(containedResource, containedType);
                        }
                    }

                    continue;
                }

                if (name == "detail" && resourceType == "AuditEvent")
                {
                    // AuditEvent.entity.detail holds free-form name/value pairs.
                    obj.Remove(name);
                    continue;
                }

                Scrub(value, resourceType, isResourceRoot: false);
            }
        }

        /// <summary>The de-identified value of a string element; the same instance when unchanged, null to drop it.</summary>
        private string? ScrubString(string name, string value, string resourceType, bool isResourceRoot)
        {
            switch (name)
            {
                case "id" when isResourceRoot:
                    return Pseudonym(resourceType + "/" + value);
                case "reference":
                    return Reference(value);
                case "uid":
                    return "2.25." + new BigInteger(PseudonymBytes("uid|" + value), isUnsigned: true).ToString(CultureInfo.InvariantCulture);
                default:
                    break;
            }

            if (value.Length < 4 || !char.IsAsciiDigit(value[0]))
            {
                return value;
            }

            if (FhirPrimitives.IsInstant(value) && (InstantElements.Contains(name) || (resourceType == "DocumentReference" && name == "date")))
            {
                return value[..4] + "-01-01T00:00:00Z";
            }

            if (FhirPrimitives.IsDateTime(value) && value.Length > 4)
            {
                return value[..4];
            }

            return value;
        }

        private string Reference(string value)
        {
            if (value.StartsWith('#'))
            {
                return value;
            }

            if (_fullUrls.Contains(value))
            {
                return FullUrl(value);
            }

            var relative = FhirValidator.RelativeReferencePattern().Match(value);
            if (relative.Success)
            {
                return relative.Groups[1].Value + "/" + Pseudonym(relative.Groups[1].Value + "/" + relative.Groups[2].Value);
            }

            var absolute = FhirValidator.AbsoluteReferencePattern().Match(value);
            if (absolute.Success)
            {
                return absolute.Groups[1].Value + "/" + Pseudonym(absolute.Groups[1].Value + "/" + absolute.Groups[2].Value);
            }

            // An unresolved urn (only possible with relaxed validation options): keep it a urn, pseudonymised.
            return "urn:uuid:" + UuidOf(PseudonymBytes(value));
        }

        /// <summary>A fullUrl names the same resource as its Type/id when it ends in one; pseudonyms agree on both.</summary>
        private static string CanonicalTarget(string fullUrl)
        {
            var absolute = FhirValidator.AbsoluteReferencePattern().Match(fullUrl);
            return absolute.Success ? absolute.Groups[1].Value + "/" + absolute.Groups[2].Value : fullUrl;
        }

        private byte[] PseudonymBytes(string value)
        {
            var input = new byte[PseudonymDomain.Length + Encoding.UTF8.GetByteCount(value)];
            PseudonymDomain.CopyTo(input, 0);
            Encoding.UTF8.GetBytes(value, input.AsSpan(PseudonymDomain.Length));
            return HMACSHA256.HashData(options.ReleaseKey.Span, input)[..16];
        }

        private static string UuidOf(byte[] bytes)
        {
            // RFC 9562 version 8 (custom) layout, so the value is a well-formed UUID.
            var copy = (byte[])bytes.Clone();
            copy[6] = (byte)((copy[6] & 0x0F) | 0x80);
            copy[8] = (byte)((copy[8] & 0x3F) | 0x80);
            var hex = Convert.ToHexStringLower(copy);
            return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
        }

        private static bool RemoveEmpty(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (name, value) in obj.ToArray())
                    {
                        if (RemoveEmpty(value))
                        {
                            obj.Remove(name);
                        }
                    }

                    return obj.Count == 0;
                case JsonArray array:
                    for (var i = array.Count - 1; i >= 0; i--)
                    {
                        if (array[i] is not null && RemoveEmpty(array[i]))
                        {
                            array.RemoveAt(i);
                        }
                    }

                    // An array left with only nulls (a primitive extension array whose extensions went) is empty too.
                    return array.All(item => item is null);
                default:
                    return false;
            }
        }
    }
}
