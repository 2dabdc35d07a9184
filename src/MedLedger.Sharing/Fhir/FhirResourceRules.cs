using System.Collections.Frozen;

namespace MedLedger.Sharing.Fhir;

/// <summary>The JSON shape and format a checked element must have.</summary>
internal enum FieldKind
{
    String,
    Code,
    Uri,
    Date,
    DateTime,
    Instant,
    Boolean,
    Decimal,
    Integer,
    PositiveInt,
    UnsignedInt,

    /// <summary>Any object; its children (if given) are checked.</summary>
    Object,
    CodeableConcept,
    Coding,
    Reference,
    Period,
    Identifier,
    Quantity,
    Money,
    Attachment,
    Annotation,
    HumanName,
    ContactPoint,
    Address,
}

/// <summary>One checked element of a resource or datatype: name, cardinality, kind, allowed codes, children.</summary>
internal sealed class FieldRule
{
    private FieldRule(string name, bool required, bool repeats, FieldKind kind)
    {
        Name = name;
        NameUtf8 = System.Text.Encoding.UTF8.GetBytes(name);
        ExtensionNameUtf8 = System.Text.Encoding.UTF8.GetBytes("_" + name);
        Required = required;
        Repeats = repeats;
        Kind = kind;
    }

    /// <summary>Element name; for a choice element, the name without <c>[x]</c>.</summary>
    public string Name { get; }

    /// <summary><see cref="Name"/> in UTF-8, for lookups without transcoding.</summary>
    public byte[] NameUtf8 { get; }

    /// <summary>The name of the primitive extension sibling (<c>_name</c>) in UTF-8.</summary>
    public byte[] ExtensionNameUtf8 { get; }

    /// <summary>Minimum cardinality 1.</summary>
    public bool Required { get; }

    /// <summary>Maximum cardinality * (a JSON array).</summary>
    public bool Repeats { get; }

    public FieldKind Kind { get; }

    /// <summary>For codes with a required binding: the allowed values.</summary>
    public FrozenSet<string>? Codes { get; private init; }

    /// <summary>For backbone elements: rules of the children.</summary>
    public IReadOnlyList<FieldRule>? Children { get; private init; }

    /// <summary>For choice elements <c>name[x]</c>: allowed type suffixes (e.g. <c>CodeableConcept</c>) and their kinds.</summary>
    public IReadOnlyList<(string Suffix, FieldKind Kind)>? Choices { get; private init; }

    public static FieldRule Required1(string name, FieldKind kind) => new(name, true, false, kind);

    public static FieldRule Optional1(string name, FieldKind kind) => new(name, false, false, kind);

    public static FieldRule RequiredMany(string name, FieldKind kind) => new(name, true, true, kind);

    public static FieldRule OptionalMany(string name, FieldKind kind) => new(name, false, true, kind);

    public static FieldRule Code(string name, bool required, params string[] codes) =>
        new(name, required, false, FieldKind.Code) { Codes = codes.ToFrozenSet(StringComparer.Ordinal) };

    public static FieldRule CodeMany(string name, bool required, params string[] codes) =>
        new(name, required, true, FieldKind.Code) { Codes = codes.ToFrozenSet(StringComparer.Ordinal) };

    public static FieldRule Backbone(string name, bool required, bool repeats, params FieldRule[] children) =>
        new(name, required, repeats, FieldKind.Object) { Children = children };

    public static FieldRule Choice(string name, bool required, params (string Suffix, FieldKind Kind)[] choices) =>
        new(name, required, false, FieldKind.Object) { Choices = choices };
}

/// <summary>
/// The elements MedLedger checks in each supported FHIR R4 resource: every element with minimum cardinality 1,
/// required code bindings (status, intent, use…), and the types of commonly used optional elements. Elements not
/// listed are accepted unchecked (apart from the generic rules in <see cref="FhirValidator"/>). docs/fhir.md lists
/// the same table for readers.
/// </summary>
internal static class FhirResourceRules
{
    /// <summary>Resource types MedLedger accepts, in the order of docs/fhir.md.</summary>
    public static readonly FrozenSet<string> SupportedTypes = new[]
    {
        "Patient", "Encounter", "Condition", "Observation", "AllergyIntolerance", "Procedure", "MedicationRequest",
        "MedicationStatement", "DiagnosticReport", "ImagingStudy", "Immunization", "CarePlan", "Claim",
        "ExplanationOfBenefit", "QuestionnaireResponse", "DocumentReference", "Practitioner", "Organization", "Bundle",
        "Consent", "AuditEvent", "Composition",
    }.ToFrozenSet(StringComparer.Ordinal);

    public static readonly FrozenDictionary<string, IReadOnlyList<FieldRule>> Resources = BuildResources();

    public static readonly FrozenDictionary<FieldKind, IReadOnlyList<FieldRule>> Datatypes = BuildDatatypes();

    private static FrozenDictionary<FieldKind, IReadOnlyList<FieldRule>> BuildDatatypes()
    {
        var rules = new Dictionary<FieldKind, IReadOnlyList<FieldRule>>
        {
            [FieldKind.CodeableConcept] =
            [
                FieldRule.OptionalMany("coding", FieldKind.Coding),
                FieldRule.Optional1("text", FieldKind.String),
            ],
            [FieldKind.Coding] =
            [
                FieldRule.Optional1("system", FieldKind.Uri),
                FieldRule.Optional1("version", FieldKind.String),
                FieldRule.Optional1("code", FieldKind.Code),
                FieldRule.Optional1("display", FieldKind.String),
                FieldRule.Optional1("userSelected", FieldKind.Boolean),
            ],
            [FieldKind.Reference] =
            [
                FieldRule.Optional1("reference", FieldKind.String),
                FieldRule.Optional1("type", FieldKind.Uri),
                FieldRule.Optional1("identifier", FieldKind.Identifier),
                FieldRule.Optional1("display", FieldKind.String),
            ],
            [FieldKind.Period] =
            [
                FieldRule.Optional1("start", FieldKind.DateTime),
                FieldRule.Optional1("end", FieldKind.DateTime),
            ],
            [FieldKind.Identifier] =
            [
                FieldRule.Code("use", false, "usual", "official", "temp", "secondary", "old"),
                FieldRule.Optional1("type", FieldKind.CodeableConcept),
                FieldRule.Optional1("system", FieldKind.Uri),
                FieldRule.Optional1("value", FieldKind.String),
                FieldRule.Optional1("period", FieldKind.Period),
                FieldRule.Optional1("assigner", FieldKind.Reference),
            ],
            [FieldKind.Quantity] =
            [
                FieldRule.Optional1("value", FieldKind.Decimal),
                FieldRule.Code("comparator", false, "<", "<=", ">=", ">"),
                FieldRule.Optional1("unit", FieldKind.String),
                FieldRule.Optional1("system", FieldKind.Uri),
                FieldRule.Optional1("code", FieldKind.Code),
            ],
            [FieldKind.Money] =
            [
                FieldRule.Optional1("value", FieldKind.Decimal),
                FieldRule.Optional1("currency", FieldKind.Code),
            ],
            [FieldKind.Attachment] =
            [
                FieldRule.Optional1("contentType", FieldKind.Code),
                FieldRule.Optional1("language", FieldKind.Code),
                FieldRule.Optional1("data", FieldKind.String),
                FieldRule.Optional1("url", FieldKind.Uri),
                FieldRule.Optional1("size", FieldKind.UnsignedInt),
                FieldRule.Optional1("title", FieldKind.String),
                FieldRule.Optional1("creation", FieldKind.DateTime),
            ],
            [FieldKind.Annotation] =
            [
                FieldRule.Choice("author", false, ("Reference", FieldKind.Reference), ("String", FieldKind.String)),
                FieldRule.Optional1("time", FieldKind.DateTime),
                FieldRule.Required1("text", FieldKind.String),
            ],
            [FieldKind.HumanName] =
            [
                FieldRule.Code("use", false, "usual", "official", "temp", "nickname", "anonymous", "old", "maiden"),
                FieldRule.Optional1("text", FieldKind.String),
                FieldRule.Optional1("family", FieldKind.String),
                FieldRule.OptionalMany("given", FieldKind.String),
                FieldRule.OptionalMany("prefix", FieldKind.String),
                FieldRule.OptionalMany("suffix", FieldKind.String),
                FieldRule.Optional1("period", FieldKind.Period),
            ],
            [FieldKind.ContactPoint] =
            [
                FieldRule.Code("system", false, "phone", "fax", "email", "pager", "url", "sms", "other"),
                FieldRule.Optional1("value", FieldKind.String),
                FieldRule.Code("use", false, "home", "work", "temp", "old", "mobile"),
                FieldRule.Optional1("rank", FieldKind.PositiveInt),
                FieldRule.Optional1("period", FieldKind.Period),
            ],
            [FieldKind.Address] =
            [
                FieldRule.Code("use", false, "home", "work", "temp", "old", "billing"),
                FieldRule.Code("type", false, "postal", "physical", "both"),
                FieldRule.Optional1("text", FieldKind.String),
                FieldRule.OptionalMany("line", FieldKind.String),
                FieldRule.Optional1("city", FieldKind.String),
                FieldRule.Optional1("district", FieldKind.String),
                FieldRule.Optional1("state", FieldKind.String),
                FieldRule.Optional1("postalCode", FieldKind.String),
                FieldRule.Optional1("country", FieldKind.String),
                FieldRule.Optional1("period", FieldKind.Period),
            ],
        };
        return rules.ToFrozenDictionary();
    }

    private static FrozenDictionary<string, IReadOnlyList<FieldRule>> BuildResources()
    {
        var valueChoices = new[]
        {
            ("Quantity", FieldKind.Quantity), ("CodeableConcept", FieldKind.CodeableConcept), ("String", FieldKind.String),
            ("Boolean", FieldKind.Boolean), ("Integer", FieldKind.Integer), ("Range", FieldKind.Object),
            ("Ratio", FieldKind.Object), ("SampledData", FieldKind.Object), ("Time", FieldKind.String),
            ("DateTime", FieldKind.DateTime), ("Period", FieldKind.Period),
        };
        var onsetChoices = new[]
        {
            ("DateTime", FieldKind.DateTime), ("Age", FieldKind.Quantity), ("Period", FieldKind.Period),
            ("Range", FieldKind.Object), ("String", FieldKind.String),
        };
        var medicationChoices = new[] { ("CodeableConcept", FieldKind.CodeableConcept), ("Reference", FieldKind.Reference) };

        var rules = new Dictionary<string, IReadOnlyList<FieldRule>>(StringComparer.Ordinal)
        {
            ["Patient"] =
            [
                FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                FieldRule.Optional1("active", FieldKind.Boolean),
                FieldRule.OptionalMany("name", FieldKind.HumanName),
                FieldRule.OptionalMany("telecom", FieldKind.ContactPoint),
                FieldRule.Code("gender", false, "male", "female", "other", "unknown"),
                FieldRule.Optional1("birthDate", FieldKind.Date),
                FieldRule.Choice("deceased", false, ("Boolean", FieldKind.Boolean), ("DateTime", FieldKind.DateTime)),
                FieldRule.OptionalMany("address", FieldKind.Address),
                FieldRule.Optional1("maritalStatus", FieldKind.CodeableConcept),
                FieldRule.Choice("multipleBirth", false, ("Boolean", FieldKind.Boolean), ("Integer", FieldKind.Integer)),
                FieldRule.OptionalMany("photo", FieldKind.Attachment),
                FieldRule.Backbone(
                    "contact",
                    false,
                    true,
                    FieldRule.OptionalMany("relationship", FieldKind.CodeableConcept),
                    FieldRule.Optional1("name", FieldKind.HumanName),
                    FieldRule.OptionalMany("telecom", FieldKind.ContactPoint),
                    FieldRule.Optional1("address", FieldKind.Address),
                    FieldRule.Code("gender", false, "male", "female", "other", "unknown")),
                FieldRule.Backbone(
                    "communication",
                    false,
                    true,
                    FieldRule.Required1("language", FieldKind.CodeableConcept),
                    FieldRule.Optional1("preferred", FieldKind.Boolean)),
                FieldRule.OptionalMany("generalPractitioner", FieldKind.Reference),
                FieldRule.Optional1("managingOrganization", FieldKind.Reference),
                FieldRule.Backbone(
                    "link",
                    false,
                    true,
                    FieldRule.Required1("other", FieldKind.Reference),
                    FieldRule.Code("type", true, "replaced-by", "replaces", "refer", "seealso")),
            ],
            ["Encounter"] =
            [
                FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                FieldRule.Code(
                    "status", true, "planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
                    "entered-in-error", "unknown"),
                FieldRule.Required1("class", FieldKind.Coding),
                FieldRule.OptionalMany("type", FieldKind.CodeableConcept),
                FieldRule.Optional1("serviceType", FieldKind.CodeableConcept),
                FieldRule.Optional1("priority", FieldKind.CodeableConcept),
                FieldRule.Optional1("subject", FieldKind.Reference),
                FieldRule.Backbone(
                    "participant",
                    false,
                    true,
                    FieldRule.OptionalMany("type", FieldKind.CodeableConcept),
                    FieldRule.Optional1("period", FieldKind.Period),
                    FieldRule.Optional1("individual", FieldKind.Reference)),
                FieldRule.Optional1("period", FieldKind.Period),
                FieldRule.OptionalMany("reasonCode", FieldKind.CodeableConcept),
                FieldRule.OptionalMany("reasonReference", FieldKind.Reference),
                FieldRule.Backbone(
                    "diagnosis",
                    false,
                    true,
                    FieldRule.Required1("condition", FieldKind.Reference),
                    FieldRule.Optional1("use", FieldKind.CodeableConcept),
                    FieldRule.Optional1("rank", FieldKind.PositiveInt)),
                FieldRule.Backbone(
                    "hospitalization",
                    false,
                    false,
                    FieldRule.Optional1("preAdmissionIdentifier", FieldKind.Identifier),
                    FieldRule.Optional1("admitSource", FieldKind.CodeableConcept),
                    FieldRule.Optional1("reAdmission", FieldKind.CodeableConcept),
                    FieldRule.Optional1("dischargeDisposition", FieldKind.CodeableConcept)),
                FieldRule.Backbone(
                    "location",
                    false,
                    true,
                    FieldRule.Required1("location", FieldKind.Reference),
                    FieldRule.Code("status", false, "planned", "active", "reserved", "completed"),
                    FieldRule.Optional1("period", FieldKind.Period)),
                FieldRule.Optional1("serviceProvider", FieldKind.Reference),
                FieldRule.Optional1("partOf", FieldKind.Reference),
            ],
            ["Condition"] =
            [
                FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                FieldRule.Optional1("clinicalStatus", FieldKind.CodeableConcept),
                FieldRule.Optional1("verificationStatus", FieldKind.CodeableConcept),
                FieldRule.OptionalMany("category", FieldKind.CodeableConcept),
                FieldRule.Optional1("severity", FieldKind.CodeableConcept),
                FieldRule.Optional1("code", FieldKind.CodeableConcept),
                FieldRule.OptionalMany("bodySite", FieldKind.CodeableConcept),
                FieldRule.Required1("subject", FieldKind.Reference),
                FieldRule.Optional1("encounter", FieldKind.Reference),
                FieldRule.Choice("onset", false, onsetChoices),
                FieldRule.Choice("abatement", false, onsetChoices),
                FieldRule.Optional1("recordedDate", FieldKind.DateTime),
                FieldRule.Optional1("recorder", FieldKind.Reference),
                FieldRule.Optional1("asserter", FieldKind.Reference),
                FieldRule.OptionalMany("note", FieldKind.Annotation),
            ],
            ["Observation"] =
            [
                FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                FieldRule.OptionalMany("basedOn", FieldKind.Reference),
                FieldRule.Code(
                    "status", true, "registered", "preliminary", "final", "amended", "corrected", "cancelled",
                    "entered-in-error", "unknown"),
                FieldRule.OptionalMany("category", FieldKind.CodeableConcept),
                FieldRule.Required1("code", FieldKind.CodeableConcept),
                FieldRule.Optional1("subject", FieldKind.Reference),
                FieldRule.Optional1("encounter", FieldKind.Reference),
                FieldRule.Choice(
                    "effective", false, ("DateTime", FieldKind.DateTime), ("Period", FieldKind.Period),
                    ("Timing", FieldKind.Object), ("Instant", FieldKind.Instant)),
                FieldRule.Optional1("issued", FieldKind.Instant),
                FieldRule.OptionalMany("performer", FieldKind.Reference),
                FieldRule.Choice("value", false, valueChoices),
                FieldRule.Optional1("dataAbsentReason", FieldKind.CodeableConcept),
                FieldRule.OptionalMany("interpretation", FieldKind.CodeableConcept),
                FieldRule.OptionalMany("note", FieldKind.Annotation),
                FieldRule.Optional1("bodySite", FieldKind.CodeableConcept),
                FieldRule.Optional1("method", FieldKind.CodeableConcept),
                FieldRule.Backbone(
                    "referenceRange",
                    false,
                    true,
                    FieldRule.Optional1("low", FieldKind.Quantity),
                    FieldRule.Optional1("high", FieldKind.Quantity),
                    FieldRule.Optional1("type", FieldKind.CodeableConcept),
                    FieldRule.Optional1("text", FieldKind.String)),
                FieldRule.OptionalMany("hasMember", FieldKind.Reference),
                FieldRule.OptionalMany("derivedFrom", FieldKind.Reference),
                FieldRule.Backbone(
                    "component",
                    false,
                    true,
                    FieldRule.Required1("code", FieldKind.CodeableConcept),
                    FieldRule.Choice("value", false, valueChoices),
                    FieldRule.Optional1("dataAbsentReason", FieldKind.CodeableConcept),
                    FieldRule.OptionalMany("interpretation", FieldKind.CodeableConcept)),
            ],
            ["AllergyIntolerance"] =
            [
                FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                FieldRule.Optional1("clinicalStatus", FieldKind.CodeableConcept),
                FieldRule.Optional1("verificationStatus", FieldKind.CodeableConcept),
                FieldRule.Code("type", false, "allergy", "intolerance"),
                FieldRule.CodeMany("category", false, "food", "medication", "environment", "biologic"),
                FieldRule.Code("criticality", false, "low", "high", "unable-to-assess"),
                FieldRule.Optional1("code", FieldKind.CodeableConcept),
                FieldRule.Required1("patient", FieldKind.Reference),
                FieldRule.Optional1("encounter", FieldKind.Reference),
                FieldRule.Choice("onset", false, onsetChoices),
                FieldRule.Optional1("recordedDate", FieldKind.DateTime),
                FieldRule.Optional1("recorder", FieldKind.Reference),
                FieldRule.Optional1("asserter", FieldKind.Reference),
                FieldRule.Optional1("lastOccurrence", FieldKind.DateTime),
                FieldRule.OptionalMany("note", FieldKind.Annotation),
                FieldRule.Backbone(
                    "reaction",
                    false,
                    true,
                    FieldRule.Optional1("substance", FieldKind.CodeableConcept),
                    FieldRule.RequiredMany("manifestation", FieldKind.CodeableConcept),
                    FieldRule.Optional1("description", FieldKind.String),
                    FieldRule.Optional1("onset", FieldKind.DateTime),
                    FieldRule.Code("severity", false, "mild", "moderate", "severe")),
            ],
            ["Procedure"] =
            [
                FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                FieldRule.Code(
                    "status", true, "preparation", "in-progress", "not-done", "on-hold", "stopped", "completed",
                    "entered-in-error", "unknown"),
                FieldRule.Optional1("category", FieldKind.CodeableConcept),
                FieldRule.Optional1("code", FieldKind.CodeableConcept),
                FieldRule.Required1("subject", FieldKind.Reference),
                FieldRule.Optional1("encounter", FieldKind.Reference),
                FieldRule.Choice(
                    "performed", false, ("DateTime", FieldKind.DateTime), ("Period", FieldKind.Period),
                    ("String", FieldKind.String), ("Age", FieldKind.Quantity), ("Range", FieldKind.Object)),
                FieldRule.Backbone(
                    "performer",
                    false,
                    true,
                    FieldRule.Optional1("function", FieldKind.CodeableConcept),
                    FieldRule.Required1("actor", FieldKind.Reference),
                    FieldRule.Optional1("onBehalfOf", FieldKind.Reference)),
                FieldRule.OptionalMany("reasonCode", FieldKind.CodeableConcept),
                FieldRule.OptionalMany("reasonReference", FieldKind.Reference),
                FieldRule.OptionalMany("bodySite", FieldKind.CodeableConcept),
                FieldRule.Optional1("outcome", FieldKind.CodeableConcept),
                FieldRule.OptionalMany("note", FieldKind.Annotation),
            ],
            ["MedicationRequest"] =
            [
                FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                FieldRule.Code(
                    "status", true, "active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped",
                    "draft", "unknown"),
                FieldRule.Optional1("statusReason", FieldKind.CodeableConcept),
                FieldRule.Code(
                    "intent", true, "proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
                    "instance-order", "option"),
                FieldRule.OptionalMany("category", FieldKind.CodeableConcept),
                FieldRule.Code("priority", false, "routine", "urgent", "asap", "stat"),
                FieldRule.Choice("medication", true, medicationChoices),
                FieldRule.Required1("subject", FieldKind.Reference),
                FieldRule.Optional1("encounter", FieldKind.Reference),
                FieldRule.Optional1("authoredOn", FieldKind.DateTime),
                FieldRule.Optional1("requester", FieldKind.Reference),
                FieldRule.OptionalMany("reasonCode", FieldKind.CodeableConcept),
                FieldRule.OptionalMany("reasonReference", FieldKind.Reference),
                FieldRule.OptionalMany("note", FieldKind.Annotation),
                FieldRule.OptionalMany("dosageInstruction", FieldKind.Object),
                FieldRule.Optional1("dispenseRequest", FieldKind.Object),
            ],
            ["MedicationStatement"] =
            [
                FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                FieldRule.Code(
                    "status", true, "active", "completed", "entered-in-error", "intended", "stopped", "on-hold",
                    "unknown", "not-taken"),
                FieldRule.OptionalMany("category", FieldKind.CodeableConcept),
                FieldRule.Choice("medication", true, medicationChoices),
                FieldRule.Required1("subject", FieldKind.Reference),
                FieldRule.Optional1("context", FieldKind.Reference),
                FieldRule.Choice("effective", false, ("DateTime", FieldKind.DateTime), ("Period", FieldKind.Period)),
                FieldRule.Optional1("dateAsserted", FieldKind.DateTime),
                FieldRule.OptionalMany("reasonCode", FieldKind.CodeableConcept),
                FieldRule.OptionalMany("note", FieldKind.Annotation),
                FieldRule.OptionalMany("dosage", FieldKind.Object),
            ],
            ["DiagnosticReport"] =
            [
                FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                FieldRule.OptionalMany("basedOn", FieldKind.Reference),
                FieldRule.Code(
                    "status", true, "registered", "partial", "preliminary", "final", "amended", "corrected", "appended",
                    "cancelled", "entered-in-error", "unknown"),
                FieldRule.OptionalMany("category", FieldKind.CodeableConcept),
                FieldRule.Required1("code", FieldKind.CodeableConcept),
                FieldRule.Optional1("subject", FieldKind.Reference),
                FieldRule.Optional1("encounter", FieldKind.Reference),
                FieldRule.Choice("effective", false, ("DateTime", FieldKind.DateTime), ("Period", FieldKind.Period)),
                FieldRule.Optional1("issued", FieldKind.Instant),
                FieldRule.OptionalMany("performer", FieldKind.Reference),
                FieldRule.OptionalMany("result", FieldKind.Reference),
                FieldRule.OptionalMany("imagingStudy", FieldKind.Reference),
                FieldRule.Optional1("conclusion", FieldKind.String),
                FieldRule.OptionalMany("conclusionCode", FieldKind.CodeableConcept),
                FieldRule.OptionalMany("presentedForm", FieldKind.Attachment),
            ],
            ["ImagingStudy"] =
            [
                FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                FieldRule.Code("status", true, "registered", "available", "cancelled", "entered-in-error", "unknown"),
                FieldRule.OptionalMany("modality", FieldKind.Coding),
                FieldRule.Required1("subject", FieldKind.Reference),
                FieldRule.Optional1("encounter", FieldKind.Reference),
                FieldRule.Optional1("started", FieldKind.DateTime),
                FieldRule.Optional1("numberOfSeries", FieldKind.UnsignedInt),
                FieldRule.Optional1("numberOfInstances", FieldKind.UnsignedInt),
                FieldRule.Optional1("description", FieldKind.String),
                FieldRule.Backbone(
                    "series",
                    false,
                    true,
                    FieldRule.Required1("uid", FieldKind.String),
                    FieldRule.Optional1("number", FieldKind.UnsignedInt),
                    FieldRule.Required1("modality", FieldKind.Coding),
                    FieldRule.Optional1("description", FieldKind.String),
                    FieldRule.Optional1("numberOfInstances", FieldKind.UnsignedInt),
                    FieldRule.Optional1("bodySite", FieldKind.Coding),
                    FieldRule.Optional1("started", FieldKind.DateTime),
                    FieldRule.Backbone(
                        "instance",
                        false,
                        true,
                        FieldRule.Required1("uid", FieldKind.String),
                        FieldRule.Required1("sopClass", FieldKind.Coding),
                        FieldRule.Optional1("number", FieldKind.UnsignedInt),
                        FieldRule.Optional1("title", FieldKind.String))),
            ],
            ["Immunization"] =
            [
                FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                FieldRule.Code("status", true, "completed", "entered-in-error", "not-done"),
                FieldRule.Required1("vaccineCode", FieldKind.CodeableConcept),
                FieldRule.Required1("patient", FieldKind.Reference),
                FieldRule.Optional1("encounter", FieldKind.Reference),
                FieldRule.Choice("occurrence", true, ("DateTime", FieldKind.DateTime), ("String", FieldKind.String)),
                FieldRule.Optional1("recorded", FieldKind.DateTime),
                FieldRule.Optional1("primarySource", FieldKind.Boolean),
                FieldRule.Optional1("lotNumber", FieldKind.String),
                FieldRule.Optional1("expirationDate", FieldKind.Date),
                FieldRule.OptionalMany("note", FieldKind.Annotation),
            ],
            ["CarePlan"] =
            [
                FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                FieldRule.Code("status", true, "draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"),
                FieldRule.Code("intent", true, "proposal", "plan", "order", "option"),
                FieldRule.OptionalMany("category", FieldKind.CodeableConcept),
                FieldRule.Optional1("title", FieldKind.String),
                FieldRule.Optional1("description", FieldKind.String),
                FieldRule.Required1("subject", FieldKind.Reference),
                FieldRule.Optional1("encounter", FieldKind.Reference),
                FieldRule.Optional1("period", FieldKind.Period),
                FieldRule.Optional1("created", FieldKind.DateTime),
                FieldRule.Optional1("author", FieldKind.Reference),
                FieldRule.OptionalMany("addresses", FieldKind.Reference),
                FieldRule.OptionalMany("goal", FieldKind.Reference),
                FieldRule.OptionalMany("activity", FieldKind.Object),
                FieldRule.OptionalMany("note", FieldKind.Annotation),
            ],
            ["Claim"] =
            [
                FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                FieldRule.Code("status", true, "active", "cancelled", "draft", "entered-in-error"),
                FieldRule.Required1("type", FieldKind.CodeableConcept),
                FieldRule.Code("use", true, "claim", "preauthorization", "predetermination"),
                FieldRule.Required1("patient", FieldKind.Reference),
                FieldRule.Optional1("billablePeriod", FieldKind.Period),
                FieldRule.Required1("created", FieldKind.DateTime),
                FieldRule.Optional1("enterer", FieldKind.Reference),
                FieldRule.Optional1("insurer", FieldKind.Reference),
                FieldRule.Required1("provider", FieldKind.Reference),
                FieldRule.Required1("priority", FieldKind.CodeableConcept),
                FieldRule.Backbone(
                    "diagnosis",
                    false,
                    true,
                    FieldRule.Required1("sequence", FieldKind.PositiveInt),
                    FieldRule.Choice("diagnosis", true, ("CodeableConcept", FieldKind.CodeableConcept), ("Reference", FieldKind.Reference)),
                    FieldRule.OptionalMany("type", FieldKind.CodeableConcept)),
                FieldRule.Backbone(
                    "procedure",
                    false,
                    true,
                    FieldRule.Required1("sequence", FieldKind.PositiveInt),
                    FieldRule.Choice("procedure", true, ("CodeableConcept", FieldKind.CodeableConcept), ("Reference", FieldKind.Reference)),
                    FieldRule.Optional1("date", FieldKind.DateTime)),
                FieldRule.Backbone(
                    "insurance",
                    true,
                    true,
                    FieldRule.Required1("sequence", FieldKind.PositiveInt),
                    FieldRule.Required1("focal", FieldKind.Boolean),
                    FieldRule.Required1("coverage", FieldKind.Reference)),
                FieldRule.Backbone(
                    "item",
                    false,
                    true,
                    FieldRule.Required1("sequence", FieldKind.PositiveInt),
                    FieldRule.Required1("productOrService", FieldKind.CodeableConcept),
                    FieldRule.Choice("serviced", false, ("Date", FieldKind.Date), ("Period", FieldKind.Period)),
                    FieldRule.Optional1("quantity", FieldKind.Quantity),
                    FieldRule.Optional1("unitPrice", FieldKind.Money),
                    FieldRule.Optional1("net", FieldKind.Money)),
                FieldRule.Optional1("total", FieldKind.Money),
            ],
            ["ExplanationOfBenefit"] =
            [
                FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                FieldRule.Code("status", true, "active", "cancelled", "draft", "entered-in-error"),
                FieldRule.Required1("type", FieldKind.CodeableConcept),
                FieldRule.Code("use", true, "claim", "preauthorization", "predetermination"),
                FieldRule.Required1("patient", FieldKind.Reference),
                FieldRule.Optional1("billablePeriod", FieldKind.Period),
                FieldRule.Required1("created", FieldKind.DateTime),
                FieldRule.Required1("insurer", FieldKind.Reference),
                FieldRule.Required1("provider", FieldKind.Reference),
                FieldRule.Optional1("claim", FieldKind.Reference),
                FieldRule.Code("outcome", true, "queued", "complete", "error", "partial"),
                FieldRule.Backbone(
                    "insurance",
                    true,
                    true,
                    FieldRule.Required1("focal", FieldKind.Boolean),
                    FieldRule.Required1("coverage", FieldKind.Reference)),
                FieldRule.Backbone(
                    "item",
                    false,
                    true,
                    FieldRule.Required1("sequence", FieldKind.PositiveInt),
                    FieldRule.Required1("productOrService", FieldKind.CodeableConcept),
                    FieldRule.Optional1("net", FieldKind.Money),
                    FieldRule.Backbone(
                        "adjudication",
                        false,
                        true,
                        FieldRule.Required1("category", FieldKind.CodeableConcept),
                        FieldRule.Optional1("amount", FieldKind.Money),
                        FieldRule.Optional1("value", FieldKind.Decimal))),
                FieldRule.Backbone(
                    "total",
                    false,
                    true,
                    FieldRule.Required1("category", FieldKind.CodeableConcept),
                    FieldRule.Required1("amount", FieldKind.Money)),
                FieldRule.Backbone(
                    "payment",
                    false,
                    false,
                    FieldRule.Optional1("type", FieldKind.CodeableConcept),
                    FieldRule.Optional1("date", FieldKind.Date),
                    FieldRule.Optional1("amount", FieldKind.Money)),
            ],
            ["QuestionnaireResponse"] =
            [
                FieldRule.Optional1("identifier", FieldKind.Identifier),
                FieldRule.Optional1("questionnaire", FieldKind.Uri),
                FieldRule.Code("status", true, "in-progress", "completed", "amended", "entered-in-error", "stopped"),
                FieldRule.Optional1("subject", FieldKind.Reference),
                FieldRule.Optional1("encounter", FieldKind.Reference),
                FieldRule.Optional1("authored", FieldKind.DateTime),
                FieldRule.Optional1("author", FieldKind.Reference),
                FieldRule.Optional1("source", FieldKind.Reference),
                FieldRule.Backbone(
                    "item",
                    false,
                    true,
                    FieldRule.Required1("linkId", FieldKind.String),
                    FieldRule.Optional1("definition", FieldKind.Uri),
                    FieldRule.Optional1("text", FieldKind.String),
                    FieldRule.OptionalMany("answer", FieldKind.Object),
                    FieldRule.OptionalMany("item", FieldKind.Object)),
            ],
            ["DocumentReference"] =
            [
                FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                FieldRule.Code("status", true, "current", "superseded", "entered-in-error"),
                FieldRule.Code("docStatus", false, "preliminary", "final", "amended", "entered-in-error"),
                FieldRule.Optional1("type", FieldKind.CodeableConcept),
                FieldRule.OptionalMany("category", FieldKind.CodeableConcept),
                FieldRule.Optional1("subject", FieldKind.Reference),
                FieldRule.Optional1("date", FieldKind.Instant),
                FieldRule.OptionalMany("author", FieldKind.Reference),
                FieldRule.Optional1("description", FieldKind.String),
                FieldRule.Backbone(
                    "content",
                    true,
                    true,
                    FieldRule.Required1("attachment", FieldKind.Attachment),
                    FieldRule.Optional1("format", FieldKind.Coding)),
                FieldRule.Optional1("context", FieldKind.Object),
            ],
            ["Practitioner"] =
            [
                FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                FieldRule.Optional1("active", FieldKind.Boolean),
                FieldRule.OptionalMany("name", FieldKind.HumanName),
                FieldRule.OptionalMany("telecom", FieldKind.ContactPoint),
                FieldRule.OptionalMany("address", FieldKind.Address),
                FieldRule.Code("gender", false, "male", "female", "other", "unknown"),
                FieldRule.Optional1("birthDate", FieldKind.Date),
                FieldRule.OptionalMany("photo", FieldKind.Attachment),
                FieldRule.Backbone(
                    "qualification",
                    false,
                    true,
                    FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                    FieldRule.Required1("code", FieldKind.CodeableConcept),
                    FieldRule.Optional1("period", FieldKind.Period),
                    FieldRule.Optional1("issuer", FieldKind.Reference)),
                FieldRule.OptionalMany("communication", FieldKind.CodeableConcept),
            ],
            ["Organization"] =
            [
                FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                FieldRule.Optional1("active", FieldKind.Boolean),
                FieldRule.OptionalMany("type", FieldKind.CodeableConcept),
                FieldRule.Optional1("name", FieldKind.String),
                FieldRule.OptionalMany("alias", FieldKind.String),
                FieldRule.OptionalMany("telecom", FieldKind.ContactPoint),
                FieldRule.OptionalMany("address", FieldKind.Address),
                FieldRule.Optional1("partOf", FieldKind.Reference),
            ],
            ["Consent"] =
            [
                FieldRule.OptionalMany("identifier", FieldKind.Identifier),
                FieldRule.Code("status", true, "draft", "proposed", "active", "rejected", "inactive", "entered-in-error"),
                FieldRule.Required1("scope", FieldKind.CodeableConcept),
                FieldRule.RequiredMany("category", FieldKind.CodeableConcept),
                FieldRule.Optional1("patient", FieldKind.Reference),
                FieldRule.Optional1("dateTime", FieldKind.DateTime),
                FieldRule.OptionalMany("performer", FieldKind.Reference),
                FieldRule.OptionalMany("organization", FieldKind.Reference),
                FieldRule.Choice("source", false, ("Attachment", FieldKind.Attachment), ("Reference", FieldKind.Reference)),
                FieldRule.Backbone(
                    "policy",
                    false,
                    true,
                    FieldRule.Optional1("authority", FieldKind.Uri),
                    FieldRule.Optional1("uri", FieldKind.Uri)),
                FieldRule.Optional1("policyRule", FieldKind.CodeableConcept),
                FieldRule.Backbone(
                    "verification",
                    false,
                    true,
                    FieldRule.Required1("verified", FieldKind.Boolean),
                    FieldRule.Optional1("verifiedWith", FieldKind.Reference),
                    FieldRule.Optional1("verificationDate", FieldKind.DateTime)),
                FieldRule.Backbone(
                    "provision",
                    false,
                    false,
                    FieldRule.Code("type", false, "deny", "permit"),
                    FieldRule.Optional1("period", FieldKind.Period),
                    FieldRule.Backbone(
                        "actor",
                        false,
                        true,
                        FieldRule.Required1("role", FieldKind.CodeableConcept),
                        FieldRule.Required1("reference", FieldKind.Reference)),
                    FieldRule.OptionalMany("action", FieldKind.CodeableConcept),
                    FieldRule.OptionalMany("securityLabel", FieldKind.Coding),
                    FieldRule.OptionalMany("purpose", FieldKind.Coding),
                    FieldRule.OptionalMany("class", FieldKind.Coding),
                    FieldRule.OptionalMany("code", FieldKind.CodeableConcept),
                    FieldRule.Optional1("dataPeriod", FieldKind.Period),
                    FieldRule.Backbone(
                        "data",
                        false,
                        true,
                        FieldRule.Code("meaning", true, "instance", "related", "dependents", "authoredby"),
                        FieldRule.Required1("reference", FieldKind.Reference)),
                    FieldRule.OptionalMany("provision", FieldKind.Object)),
            ],
            ["AuditEvent"] =
            [
                FieldRule.Required1("type", FieldKind.Coding),
                FieldRule.OptionalMany("subtype", FieldKind.Coding),
                FieldRule.Code("action", false, "C", "R", "U", "D", "E"),
                FieldRule.Optional1("period", FieldKind.Period),
                FieldRule.Required1("recorded", FieldKind.Instant),
                FieldRule.Code("outcome", false, "0", "4", "8", "12"),
                FieldRule.Optional1("outcomeDesc", FieldKind.String),
                FieldRule.OptionalMany("purposeOfEvent", FieldKind.CodeableConcept),
                FieldRule.Backbone(
                    "agent",
                    true,
                    true,
                    FieldRule.Optional1("type", FieldKind.CodeableConcept),
                    FieldRule.OptionalMany("role", FieldKind.CodeableConcept),
                    FieldRule.Optional1("who", FieldKind.Reference),
                    FieldRule.Optional1("altId", FieldKind.String),
                    FieldRule.Optional1("name", FieldKind.String),
                    FieldRule.Required1("requestor", FieldKind.Boolean),
                    FieldRule.Optional1("location", FieldKind.Reference),
                    FieldRule.OptionalMany("policy", FieldKind.Uri),
                    FieldRule.OptionalMany("purposeOfUse", FieldKind.CodeableConcept)),
                FieldRule.Backbone(
                    "source",
                    true,
                    false,
                    FieldRule.Optional1("site", FieldKind.String),
                    FieldRule.Required1("observer", FieldKind.Reference),
                    FieldRule.OptionalMany("type", FieldKind.Coding)),
                FieldRule.Backbone(
                    "entity",
                    false,
                    true,
                    FieldRule.Optional1("what", FieldKind.Reference),
                    FieldRule.Optional1("type", FieldKind.Coding),
                    FieldRule.Optional1("role", FieldKind.Coding),
                    FieldRule.Optional1("lifecycle", FieldKind.Coding),
                    FieldRule.OptionalMany("securityLabel", FieldKind.Coding),
                    FieldRule.Optional1("name", FieldKind.String),
                    FieldRule.Optional1("description", FieldKind.String),
                    FieldRule.Backbone(
                        "detail",
                        false,
                        true,
                        FieldRule.Required1("type", FieldKind.String),
                        FieldRule.Choice("value", true, ("String", FieldKind.String), ("Base64Binary", FieldKind.String)))),
            ],
            ["Composition"] =
            [
                FieldRule.Optional1("identifier", FieldKind.Identifier),
                FieldRule.Code("status", true, "preliminary", "final", "amended", "entered-in-error"),
                FieldRule.Required1("type", FieldKind.CodeableConcept),
                FieldRule.OptionalMany("category", FieldKind.CodeableConcept),
                FieldRule.Optional1("subject", FieldKind.Reference),
                FieldRule.Optional1("encounter", FieldKind.Reference),
                FieldRule.Required1("date", FieldKind.DateTime),
                FieldRule.RequiredMany("author", FieldKind.Reference),
                FieldRule.Required1("title", FieldKind.String),
                FieldRule.Code("confidentiality", false, "U", "L", "M", "N", "R", "V"),
                FieldRule.Optional1("custodian", FieldKind.Reference),
                FieldRule.OptionalMany("section", FieldKind.Object),
            ],
        };
        return rules.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
