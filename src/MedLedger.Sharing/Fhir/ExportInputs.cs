using MedLedger.Ledger;

namespace MedLedger.Sharing.Fhir;

/// <summary>The access-log action of an audit event (FHIR AuditEvent.action).</summary>
public enum AuditAction
{
    /// <summary>C: a record, grant or account was created (e.g. a record appended).</summary>
    Create,

    /// <summary>R: a record was read.</summary>
    Read,

    /// <summary>U: something was updated (e.g. a grant changed).</summary>
    Update,

    /// <summary>D: something was deleted or revoked.</summary>
    Delete,

    /// <summary>E: an operation was executed (e.g. an emergency request, an integrity audit, a query).</summary>
    Execute,
}

/// <summary>Why data is used (SPEC F17); exported as v3 ActReason codes.</summary>
public enum PurposeOfUse
{
    /// <summary>TREAT: treatment.</summary>
    Treatment,

    /// <summary>HPAYMT: insurance and payment.</summary>
    Payment,

    /// <summary>HRESCH: research.</summary>
    Research,

    /// <summary>ETREAT: emergency treatment.</summary>
    Emergency,

    /// <summary>HOPERAT: healthcare operations — oversight, audits and other non-treatment uses.</summary>
    Operations,
}

/// <summary>Who a grant is for.</summary>
public enum ConsentActorKind
{
    /// <summary>One user, named by the hexadecimal id of their key.</summary>
    User,

    /// <summary>A member organisation, named by its id.</summary>
    Organization,

    /// <summary>Everyone holding a role (e.g. <c>doctor</c>).</summary>
    Role,
}

/// <summary>What a grant allows.</summary>
[Flags]
public enum ConsentActions
{
    /// <summary>Nothing (not valid in a grant).</summary>
    None = 0,

    /// <summary>Read records.</summary>
    Read = 1,

    /// <summary>Append records.</summary>
    Append = 2,
}

/// <summary>Whether a grant is in force.</summary>
public enum ConsentStatus
{
    /// <summary>In force.</summary>
    Active,

    /// <summary>Revoked or expired.</summary>
    Inactive,
}

/// <summary>One access-log entry, neutral of the ledger's encoding, to be exported as a FHIR AuditEvent (SPEC F20).</summary>
public sealed record AuditEventInput
{
    /// <summary>The event's id (e.g. the access-log transaction id in hex); a FHIR id, at most 64 characters.</summary>
    public required string Id { get; init; }

    /// <summary>When it happened.</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>What was done.</summary>
    public required AuditAction Action { get; init; }

    /// <summary>True when the action succeeded; false for a refused or failed attempt.</summary>
    public required bool Success { get; init; }

    /// <summary>Why it failed (required when <see cref="Success"/> is false, at most 1,024 characters).</summary>
    public string? FailureReason { get; init; }

    /// <summary>The purpose the actor declared.</summary>
    public required PurposeOfUse Purpose { get; init; }

    /// <summary>The acting user's key id, hexadecimal.</summary>
    public required string ActorKeyId { get; init; }

    /// <summary>The actor's role, a code such as <c>doctor</c>, <c>patient</c>, <c>auditor</c>, <c>researcher</c>.</summary>
    public required string ActorRole { get; init; }

    /// <summary>The actor's organisation id, when they act for one.</summary>
    public string? ActorOrganizationId { get; init; }

    /// <summary>The patient's pseudonym (a FHIR id), when the event concerns a patient.</summary>
    public string? PatientPseudonym { get; init; }

    /// <summary>The record's id, when the event concerns one record.</summary>
    public string? RecordId { get; init; }

    /// <summary>The grant that allowed the action, when one did.</summary>
    public string? GrantId { get; init; }

    /// <summary>The node that observed and logged the event.</summary>
    public string ObserverNodeId { get; init; } = "medledger";
}

/// <summary>A grant (SPEC F17), neutral of the ledger's encoding, to be exported as a FHIR Consent.</summary>
public sealed record ConsentInput
{
    /// <summary>The grant's id; a FHIR id, at most 64 characters.</summary>
    public required string Id { get; init; }

    /// <summary>The granting patient's pseudonym (a FHIR id).</summary>
    public required string GrantorPseudonym { get; init; }

    /// <summary>Whom the grant is for.</summary>
    public required ConsentActorKind ActorKind { get; init; }

    /// <summary>Key id (hex), organisation id or role code, according to <see cref="ActorKind"/>.</summary>
    public required string ActorValue { get; init; }

    /// <summary>What is allowed (at least one action).</summary>
    public required ConsentActions Actions { get; init; }

    /// <summary>For what purpose.</summary>
    public required PurposeOfUse Purpose { get; init; }

    /// <summary>The categories covered; empty means every category.</summary>
    public IReadOnlyList<RecordCategory> Categories { get; init; } = [];

    /// <summary>The tiers covered; empty means every tier.</summary>
    public IReadOnlyList<SensitivityTier> Tiers { get; init; } = [];

    /// <summary>Single records covered; empty means every record matching the categories and tiers.</summary>
    public IReadOnlyList<string> RecordIds { get; init; } = [];

    /// <summary>When the grant starts.</summary>
    public required DateTimeOffset PeriodStart { get; init; }

    /// <summary>When it ends; null for no end.</summary>
    public DateTimeOffset? PeriodEnd { get; init; }

    /// <summary>Active or inactive (revoked, expired).</summary>
    public required ConsentStatus Status { get; init; }
}
