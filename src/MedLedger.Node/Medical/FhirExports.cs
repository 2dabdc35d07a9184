using MedLedger.Ledger;
using MedLedger.Sharing.Fhir;
using MedLedger.Storage;

namespace MedLedger.Node.Medical;

/// <summary>The on-chain access log and grants as FHIR R4 AuditEvent and Consent (SPEC F17, F20, F37).</summary>
public static class FhirExports
{
    /// <summary>A Bundle of AuditEvents for access-log entries; roles come from the committed accounts.</summary>
    public static byte[] AuditEvents(IReadOnlyList<IndexedAccess> entries, LedgerStateMachine ledger, string nodeId)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(ledger);
        var inputs = entries.Select(access =>
        {
            var entry = access.Entry;
            var actor = ledger.GetAccount(entry.Actor);
            return new AuditEventInput
            {
                Id = $"{access.TransactionId.ToShortString()}-{access.Sequence}",
                Time = DateTimeOffset.FromUnixTimeMilliseconds(entry.TimeUnixMilliseconds),
                Action = entry.Action switch
                {
                    AccessAction.Read or AccessAction.Deidentified => AuditAction.Read,
                    AccessAction.Write or AccessAction.Grant => AuditAction.Create,
                    AccessAction.Revoke => AuditAction.Update,
                    AccessAction.Erase => AuditAction.Delete,
                    _ => AuditAction.Execute,
                },
                Success = entry.Outcome == AccessOutcome.Allowed,
                FailureReason = entry.Outcome == AccessOutcome.Allowed ? null : Json.Name(entry.Reason),
                Purpose = Purpose(entry.Purpose),
                ActorKeyId = entry.Actor.ToString(),
                ActorRole = actor is null ? "unregistered" : Json.Name(actor.Role),
                ActorOrganizationId = actor is { Organisation.Length: > 0 } ? actor.Organisation : null,
                PatientPseudonym = entry.Patient.IsZero ? null : entry.Patient.ToString(),
                RecordId = entry.RecordId.IsZero ? null : entry.RecordId.ToString(),
                GrantId = entry.GrantId.IsZero ? null : entry.GrantId.ToString(),
                ObserverNodeId = nodeId,
            };
        }).ToList();
        return FhirExport.AuditEventBundle(inputs);
    }

    /// <summary>A grant as a FHIR Consent, with its status at <paramref name="now"/>.</summary>
    public static byte[] Consent(Grant grant, long now)
    {
        ArgumentNullException.ThrowIfNull(grant);
        var terms = grant.Terms;
        var actions = ConsentActions.None;
        if ((terms.Actions & GrantActions.Read) != 0)
        {
            actions |= ConsentActions.Read;
        }

        if ((terms.Actions & GrantActions.Append) != 0)
        {
            actions |= ConsentActions.Append;
        }

        return FhirExport.Consent(new ConsentInput
        {
            Id = grant.Id.ToString(),
            GrantorPseudonym = terms.Patient.ToString(),
            ActorKind = terms.Actor.Kind switch
            {
                GrantActorKind.User => ConsentActorKind.User,
                GrantActorKind.Organisation => ConsentActorKind.Organization,
                _ => ConsentActorKind.Role,
            },
            ActorValue = terms.Actor.Kind switch
            {
                GrantActorKind.User => terms.Actor.User.ToString(),
                GrantActorKind.Organisation => terms.Actor.Organisation,
                _ => Json.Name(terms.Actor.Role),
            },
            Actions = actions,
            Purpose = Purpose(terms.Purpose),
            Categories = terms.Categories,
            Tiers = terms.Tiers,
            RecordIds = terms.Records.Select(r => r.ToString()).ToList(),
            PeriodStart = DateTimeOffset.FromUnixTimeMilliseconds(terms.ValidFromUnixMilliseconds),
            PeriodEnd = DateTimeOffset.FromUnixTimeMilliseconds(terms.ValidUntilUnixMilliseconds),
            Status = grant.IsInForce(now) ? ConsentStatus.Active : ConsentStatus.Inactive,
        });
    }

    private static PurposeOfUse Purpose(AccessPurpose purpose) => purpose switch
    {
        AccessPurpose.Treatment => PurposeOfUse.Treatment,
        AccessPurpose.Insurance => PurposeOfUse.Payment,
        AccessPurpose.Research => PurposeOfUse.Research,
        AccessPurpose.Emergency => PurposeOfUse.Emergency,
        _ => PurposeOfUse.Operations,
    };
}
