using System.Globalization;
using System.Text.Json.Nodes;
using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Sharing.Fhir;

/// <summary>
/// FHIR R4 exports of the access log (AuditEvent, SPEC F20) and of grants (Consent, SPEC F17, F37). Inputs are
/// checked first (<see cref="ArgumentException"/> names the bad field); the output always passes
/// <see cref="FhirValidator"/>. Codes and systems are listed in docs/fhir.md.
/// </summary>
public static class FhirExport
{
    /// <summary>Identifier system of user key ids.</summary>
    public const string KeyIdSystem = "urn:medledger:key";

    /// <summary>Identifier system of organisation ids.</summary>
    public const string OrganizationSystem = "urn:medledger:organization";

    /// <summary>Identifier system of roles.</summary>
    public const string RoleSystem = "urn:medledger:role";

    /// <summary>Identifier system of record ids.</summary>
    public const string RecordSystem = "urn:medledger:record";

    /// <summary>Identifier system of nodes.</summary>
    public const string NodeSystem = "urn:medledger:node";

    /// <summary>Prefix of grant URIs in AuditEvent.agent.policy.</summary>
    public const string GrantUriPrefix = "urn:medledger:grant:";

    /// <summary>Code system of actor roles.</summary>
    public const string RoleCodeSystem = "https://medledger.org/fhir/CodeSystem/role";

    /// <summary>Code system of record categories (Consent.provision.class).</summary>
    public const string CategoryCodeSystem = "https://medledger.org/fhir/CodeSystem/record-category";

    /// <summary>Code system of sensitivity tiers (Consent.provision.securityLabel).</summary>
    public const string TierCodeSystem = "https://medledger.org/fhir/CodeSystem/sensitivity-tier";

    /// <summary>Code system of grant actions (Consent.provision.action).</summary>
    public const string GrantActionCodeSystem = "https://medledger.org/fhir/CodeSystem/grant-action";

    private const string ActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
    private const int MaxTextLength = 1024;
    private const int MaxValueLength = 256;

    /// <summary>The AuditEvent JSON of one access-log entry.</summary>
    public static byte[] AuditEvent(AuditEventInput input) => Validated(AuditEventNode(input));

    /// <summary>A collection Bundle of AuditEvents (at most <see cref="FhirLimits.MaxBundleEntries"/>; page larger logs).</summary>
    public static byte[] AuditEventBundle(IReadOnlyList<AuditEventInput> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count > FhirLimits.MaxBundleEntries)
        {
            throw new ArgumentException($"At most {FhirLimits.MaxBundleEntries} events fit in one Bundle; export in pages.", nameof(inputs));
        }

        var bundle = new JsonObject { ["resourceType"] = "Bundle", ["type"] = "collection" };
        if (inputs.Count > 0)
        {
            bundle["entry"] = new JsonArray(inputs.Select(input => (JsonNode)new JsonObject { ["resource"] = AuditEventNode(input) }).ToArray());
        }

        var bytes = FhirJson.Serialize(bundle);
        if (bytes.Length > FhirLimits.MaxDocumentBytes)
        {
            throw new ArgumentException("The events do not fit in one document; export in smaller pages.", nameof(inputs));
        }

        return Validated(bytes);
    }

    /// <summary>The Consent JSON of one grant.</summary>
    public static byte[] Consent(ConsentInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        RequireId(input.Id, nameof(input.Id));
        RequireId(input.GrantorPseudonym, nameof(input.GrantorPseudonym));
        RequireToken(input.ActorValue, nameof(input.ActorValue));
        if (!Enum.IsDefined(input.ActorKind) || !Enum.IsDefined(input.Purpose) || !Enum.IsDefined(input.Status))
        {
            throw new ArgumentException("ActorKind, Purpose and Status must be defined values.", nameof(input));
        }

        if (input.Actions == ConsentActions.None || (input.Actions & ~(ConsentActions.Read | ConsentActions.Append)) != 0)
        {
            throw new ArgumentException("Actions must be Read, Append or both.", nameof(input));
        }

        if (input.PeriodEnd is { } end && end < input.PeriodStart)
        {
            throw new ArgumentException("PeriodEnd is before PeriodStart.", nameof(input));
        }

        foreach (var recordId in input.RecordIds)
        {
            RequireToken(recordId, nameof(input.RecordIds));
        }

        var period = new JsonObject { ["start"] = Instant(input.PeriodStart) };
        if (input.PeriodEnd is { } periodEnd)
        {
            period["end"] = Instant(periodEnd);
        }

        var (referenceType, system) = input.ActorKind switch
        {
            ConsentActorKind.User => ((string?)null, KeyIdSystem),
            ConsentActorKind.Organization => ("Organization", OrganizationSystem),
            _ => ("PractitionerRole", RoleSystem),
        };
        var actorReference = new JsonObject();
        if (referenceType is not null)
        {
            actorReference["type"] = referenceType;
        }

        actorReference["identifier"] = new JsonObject { ["system"] = system, ["value"] = input.ActorValue };

        var actions = new JsonArray();
        if (input.Actions.HasFlag(ConsentActions.Read))
        {
            actions.Add(Concept(
                ("http://terminology.hl7.org/CodeSystem/consentaction", "access", "Access"),
                (GrantActionCodeSystem, "read", "Read records")));
        }

        if (input.Actions.HasFlag(ConsentActions.Append))
        {
            actions.Add(Concept(
                ("http://terminology.hl7.org/CodeSystem/consentaction", "correct", "Access and Correct"),
                (GrantActionCodeSystem, "append", "Append records")));
        }

        var provision = new JsonObject
        {
            ["type"] = "permit",
            ["period"] = period,
            ["actor"] = new JsonArray(new JsonObject
            {
                ["role"] = Concept(("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP", "information recipient")),
                ["reference"] = actorReference,
            }),
            ["action"] = actions,
        };

        if (input.Tiers.Count > 0)
        {
            provision["securityLabel"] = new JsonArray(input.Tiers.Distinct().Order()
                .Select(tier => (JsonNode)Coding(TierCodeSystem, TierCode(tier), tier.ToString()))
                .ToArray());
        }

        provision["purpose"] = new JsonArray(Coding(ActReason, PurposeCode(input.Purpose), PurposeDisplay(input.Purpose)));
        if (input.Categories.Count > 0)
        {
            provision["class"] = new JsonArray(input.Categories.Distinct().Order()
                .Select(category => (JsonNode)Coding(CategoryCodeSystem, CategoryCode(category), category.ToString()))
                .ToArray());
        }

        if (input.RecordIds.Count > 0)
        {
            provision["data"] = new JsonArray(input.RecordIds.Distinct(StringComparer.Ordinal).Select(recordId => (JsonNode)new JsonObject
            {
                ["meaning"] = "instance",
                ["reference"] = new JsonObject { ["identifier"] = new JsonObject { ["system"] = RecordSystem, ["value"] = recordId } },
            }).ToArray());
        }

        var consent = new JsonObject
        {
            ["resourceType"] = "Consent",
            ["id"] = input.Id,
            ["status"] = input.Status == ConsentStatus.Active ? "active" : "inactive",
            ["scope"] = Concept(("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy", "Privacy Consent")),
            ["category"] = new JsonArray(Concept(("http://loinc.org", "59284-0", "Patient Consent"))),
            ["patient"] = new JsonObject { ["reference"] = "Patient/" + input.GrantorPseudonym },
            ["dateTime"] = Instant(input.PeriodStart),
            ["policyRule"] = Concept(("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN", "opt-in")),
            ["provision"] = provision,
        };
        return Validated(consent);
    }

    /// <summary>The code of a record category in <see cref="CategoryCodeSystem"/> (e.g. <c>patient-evaluation</c>).</summary>
    public static string CategoryCode(RecordCategory category) => category switch
    {
        RecordCategory.Demographics => "demographics",
        RecordCategory.Encounter => "encounter",
        RecordCategory.Examination => "examination",
        RecordCategory.Allergy => "allergy",
        RecordCategory.Procedure => "procedure",
        RecordCategory.Hospitalisation => "hospitalisation",
        RecordCategory.Medication => "medication",
        RecordCategory.Laboratory => "laboratory",
        RecordCategory.Imaging => "imaging",
        RecordCategory.Billing => "billing",
        RecordCategory.PatientEvaluation => "patient-evaluation",
        _ => throw new ArgumentOutOfRangeException(nameof(category), category, "Not a record category."),
    };

    /// <summary>The code of a tier in <see cref="TierCodeSystem"/> (<c>identity</c>, <c>general-clinical</c>, <c>sensitive</c>).</summary>
    public static string TierCode(SensitivityTier tier) => tier switch
    {
        SensitivityTier.Identity => "identity",
        SensitivityTier.GeneralClinical => "general-clinical",
        SensitivityTier.Sensitive => "sensitive",
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, "Not a sensitivity tier."),
    };

    /// <summary>The v3 ActReason code of a purpose.</summary>
    public static string PurposeCode(PurposeOfUse purpose) => purpose switch
    {
        PurposeOfUse.Treatment => "TREAT",
        PurposeOfUse.Payment => "HPAYMT",
        PurposeOfUse.Research => "HRESCH",
        PurposeOfUse.Emergency => "ETREAT",
        PurposeOfUse.Operations => "HOPERAT",
        _ => throw new ArgumentOutOfRangeException(nameof(purpose), purpose, "Not a purpose of use."),
    };

    private static string PurposeDisplay(PurposeOfUse purpose) => purpose switch
    {
        PurposeOfUse.Treatment => "treatment",
        PurposeOfUse.Payment => "healthcare payment",
        PurposeOfUse.Research => "healthcare research",
        PurposeOfUse.Operations => "healthcare operations",
        _ => "emergency treatment",
    };

    private static JsonObject AuditEventNode(AuditEventInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        RequireId(input.Id, nameof(input.Id));
        if (!IsHex(input.ActorKeyId))
        {
            throw new ArgumentException("ActorKeyId must be non-empty hexadecimal.", nameof(input));
        }

        RequireCode(input.ActorRole, nameof(input.ActorRole));
        RequireToken(input.ObserverNodeId, nameof(input.ObserverNodeId));
        if (input.ActorOrganizationId is not null)
        {
            RequireToken(input.ActorOrganizationId, nameof(input.ActorOrganizationId));
        }

        if (input.PatientPseudonym is not null)
        {
            RequireId(input.PatientPseudonym, nameof(input.PatientPseudonym));
        }

        if (input.RecordId is not null)
        {
            RequireToken(input.RecordId, nameof(input.RecordId));
        }

        if (input.GrantId is not null)
        {
            RequireToken(input.GrantId, nameof(input.GrantId));
        }

        if (!Enum.IsDefined(input.Action) || !Enum.IsDefined(input.Purpose))
        {
            throw new ArgumentException("Action and Purpose must be defined values.", nameof(input));
        }

        if (!input.Success && string.IsNullOrWhiteSpace(input.FailureReason))
        {
            throw new ArgumentException("A failed event needs a FailureReason.", nameof(input));
        }

        if (input.FailureReason is { Length: > MaxTextLength })
        {
            throw new ArgumentException($"FailureReason is longer than {MaxTextLength} characters.", nameof(input));
        }

        var (actionCode, interaction) = input.Action switch
        {
            AuditAction.Create => ("C", "create"),
            AuditAction.Read => ("R", "read"),
            AuditAction.Update => ("U", "update"),
            AuditAction.Delete => ("D", "delete"),
            _ => ("E", "operation"),
        };

        var requestor = new JsonObject
        {
            ["type"] = Concept((RoleCodeSystem, input.ActorRole, input.ActorRole)),
            ["who"] = new JsonObject { ["identifier"] = new JsonObject { ["system"] = KeyIdSystem, ["value"] = input.ActorKeyId } },
            ["requestor"] = true,
        };
        if (input.GrantId is not null)
        {
            requestor["policy"] = new JsonArray(GrantUriPrefix + input.GrantId);
        }

        requestor["purposeOfUse"] = new JsonArray(Concept((ActReason, PurposeCode(input.Purpose), PurposeDisplay(input.Purpose))));
        var agents = new JsonArray(requestor);
        if (input.ActorOrganizationId is not null)
        {
            agents.Add(new JsonObject
            {
                ["type"] = Concept(("http://terminology.hl7.org/CodeSystem/v3-RoleClass", "PROV", "healthcare provider")),
                ["who"] = new JsonObject
                {
                    ["type"] = "Organization",
                    ["identifier"] = new JsonObject { ["system"] = OrganizationSystem, ["value"] = input.ActorOrganizationId },
                },
                ["requestor"] = false,
            });
        }

        var auditEvent = new JsonObject
        {
            ["resourceType"] = "AuditEvent",
            ["id"] = input.Id,
            ["type"] = Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation"),
            ["subtype"] = new JsonArray(Coding("http://hl7.org/fhir/restful-interaction", interaction, interaction)),
            ["action"] = actionCode,
            ["recorded"] = Instant(input.Time),
            ["outcome"] = input.Success ? "0" : "4",
        };
        if (!input.Success)
        {
            auditEvent["outcomeDesc"] = input.FailureReason!.Trim();
        }

        auditEvent["purposeOfEvent"] = new JsonArray(Concept((ActReason, PurposeCode(input.Purpose), PurposeDisplay(input.Purpose))));
        auditEvent["agent"] = agents;
        auditEvent["source"] = new JsonObject
        {
            ["site"] = "MedLedger",
            ["observer"] = new JsonObject { ["identifier"] = new JsonObject { ["system"] = NodeSystem, ["value"] = input.ObserverNodeId } },
            ["type"] = new JsonArray(Coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server")),
        };

        var entities = new JsonArray();
        if (input.PatientPseudonym is not null)
        {
            entities.Add(new JsonObject
            {
                ["what"] = new JsonObject { ["reference"] = "Patient/" + input.PatientPseudonym },
                ["type"] = Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"),
                ["role"] = Coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient"),
            });
        }

        if (input.RecordId is not null)
        {
            entities.Add(new JsonObject
            {
                ["what"] = new JsonObject { ["identifier"] = new JsonObject { ["system"] = RecordSystem, ["value"] = input.RecordId } },
                ["type"] = Coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"),
                ["role"] = Coding("http://terminology.hl7.org/CodeSystem/object-role", "4", "Domain Resource"),
            });
        }

        if (entities.Count > 0)
        {
            auditEvent["entity"] = entities;
        }

        return auditEvent;
    }

    private static byte[] Validated(JsonObject resource) => Validated(FhirJson.Serialize(resource));

    private static byte[] Validated(byte[] bytes)
    {
        try
        {
            _ = FhirValidator.Validate(bytes);
        }
        catch (FhirValidationException exception)
        {
            // Every input was checked above; an invalid export is a bug here.
            Invariant.Check(false, $"FHIR export does not validate: {exception.Message}");
        }

        return bytes;
    }

    private static string Instant(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static JsonObject Coding(string system, string code, string display) =>
        new() { ["system"] = system, ["code"] = code, ["display"] = display };

    private static JsonObject Concept(params (string System, string Code, string Display)[] codings) =>
        new() { ["coding"] = new JsonArray(codings.Select(coding => (JsonNode)Coding(coding.System, coding.Code, coding.Display)).ToArray()) };

    private static void RequireId(string? value, string name)
    {
        if (value is null || !FhirPrimitives.IsId(value))
        {
            throw new ArgumentException($"{name} must be a FHIR id: 1 to 64 characters of A-Z, a-z, 0-9, '-' and '.'.", name);
        }
    }

    private static void RequireCode(string? value, string name)
    {
        if (value is null || value.Length > MaxValueLength || !FhirPrimitives.IsCode(value))
        {
            throw new ArgumentException($"{name} must be a code: no leading, trailing or double whitespace, at most {MaxValueLength} characters.", name);
        }
    }

    private static void RequireToken(string? value, string name)
    {
        if (value is null || value.Length > MaxValueLength || !FhirPrimitives.IsUri(value))
        {
            throw new ArgumentException($"{name} must be 1 to {MaxValueLength} characters without whitespace.", name);
        }
    }

    private static bool IsHex(string? value) =>
        value is { Length: > 0 and <= MaxValueLength } && value.All(char.IsAsciiHexDigit);
}
