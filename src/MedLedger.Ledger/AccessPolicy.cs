using MedLedger.Core;

namespace MedLedger.Ledger;

/// <summary>The answer to "may this account read this record": which tiers, under which grant, or why not.</summary>
public sealed record ReadDecision(AccessOutcome Outcome, AccessDenialReason Reason, IReadOnlyList<SensitivityTier> Tiers, Hash GrantId, AccessPurpose Purpose)
{
    /// <summary>True when allowed.</summary>
    public bool IsAllowed => Outcome == AccessOutcome.Allowed;

    /// <summary>A refusal.</summary>
    public static ReadDecision Deny(AccessDenialReason reason, AccessPurpose purpose) => new(AccessOutcome.Denied, reason, [], Hash.Zero, purpose);
}

/// <summary>
/// The access rules (SPEC F17–F19), as pure functions of state and a time, so every node decides the same way and
/// a decision can be re-checked by an auditor from the chain. Reading: the patient reads every tier of their
/// records; the author reads what they wrote; anyone else needs a grant of the patient in force that names them
/// (as user, organisation or role), includes reading, covers the record's category (or the record itself) and
/// at least one of its tiers; auditors and researchers never read content. Appending under a grant needs the same
/// with the append action and every tier written.
/// </summary>
public static class AccessPolicy
{
    /// <summary>Decides a read of <paramref name="record"/> by the account <paramref name="readerKeyId"/> at a time.</summary>
    /// <param name="state">Committed state.</param>
    /// <param name="readerKeyId">The key id that signed the request.</param>
    /// <param name="reader">Its account.</param>
    /// <param name="record">The record asked for.</param>
    /// <param name="purpose">The purpose the reader states, or <see cref="AccessPurpose.None"/> to accept any grant's.</param>
    /// <param name="unixMilliseconds">The time the decision is made at.</param>
    public static ReadDecision DecideRead(IStateReader state, Hash readerKeyId, Account reader, RecordEntry record, AccessPurpose purpose, long unixMilliseconds)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(record);
        if (!reader.IsActive || (reader.Organisation.Length != 0 && !IsActive(state, reader.Organisation)))
        {
            return ReadDecision.Deny(AccessDenialReason.ActorRevoked, purpose);
        }

        if (record.Status == RecordStatus.Erased)
        {
            return ReadDecision.Deny(AccessDenialReason.Erased, purpose);
        }

        var allTiers = record.Tiers.Select(t => t.Tier).ToArray();
        var userId = reader.EffectiveUserId(readerKeyId);
        if (reader.Role == AccountRole.Patient && userId == record.Patient)
        {
            return new ReadDecision(AccessOutcome.Allowed, AccessDenialReason.None, allTiers, Hash.Zero, purpose == AccessPurpose.None ? AccessPurpose.Treatment : purpose);
        }

        if (reader.Role is not (AccountRole.Doctor or AccountRole.InsurerAgent))
        {
            return ReadDecision.Deny(AccessDenialReason.RoleNotPermitted, purpose);
        }

        if (reader.Role == AccountRole.Doctor && userId == record.AuthorUserId)
        {
            return new ReadDecision(AccessOutcome.Allowed, AccessDenialReason.None, allTiers, Hash.Zero, purpose == AccessPurpose.None ? AccessPurpose.Treatment : purpose);
        }

        Grant? best = null;
        SensitivityTier[] bestTiers = [];
        var sawRevoked = false;
        var sawExpired = false;
        foreach (var grant in GrantsOf(state, record.Patient))
        {
            var terms = grant.Terms;
            if ((terms.Actions & GrantActions.Read) == 0 || !terms.Actor.Matches(reader, userId) || !terms.Covers(record.Category, record.RecordId)
                || (purpose != AccessPurpose.None && terms.Purpose != purpose))
            {
                continue;
            }

            var tiers = allTiers.Where(terms.Tiers.Contains).ToArray();
            if (tiers.Length == 0)
            {
                continue;
            }

            if (grant.IsRevoked)
            {
                sawRevoked = true;
                continue;
            }

            if (!grant.IsInForce(unixMilliseconds))
            {
                sawExpired = true;
                continue;
            }

            if (tiers.Length > bestTiers.Length)
            {
                best = grant;
                bestTiers = tiers;
            }
        }

        if (best is not null)
        {
            return new ReadDecision(AccessOutcome.Allowed, AccessDenialReason.None, bestTiers, best.Id, best.Terms.Purpose);
        }

        var reason = sawRevoked ? AccessDenialReason.GrantRevoked : sawExpired ? AccessDenialReason.GrantExpired : AccessDenialReason.NoGrant;
        return ReadDecision.Deny(reason, purpose);
    }

    /// <summary>
    /// True when grant <paramref name="grantId"/> of <paramref name="patient"/> is in force at the time and lets the
    /// author append records of this category with every one of these tiers.
    /// </summary>
    public static bool PermitsAppend(IStateReader state, Account author, Hash authorUserId, Hash patient, RecordCategory category, IEnumerable<SensitivityTier> tiers, Hash grantId, long unixMilliseconds)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(author);
        ArgumentNullException.ThrowIfNull(tiers);
        var value = state.GetValue(StateKeys.Grant(grantId));
        if (value is null)
        {
            return false;
        }

        var grant = Grant.Decode(value);
        var terms = grant.Terms;
        return terms.Patient == patient && (terms.Actions & GrantActions.Append) != 0 && terms.Actor.Matches(author, authorUserId)
            && grant.IsInForce(unixMilliseconds) && (terms.Categories.Count == 0 || terms.Categories.Contains(category)) && tiers.All(terms.Tiers.Contains);
    }

    /// <summary>
    /// True when the patient has a grant in force naming this account (any action): what lets a doctor find the
    /// patient in the master patient index (SPEC F5).
    /// </summary>
    public static bool HasGrantInForce(IStateReader state, Hash readerKeyId, Account reader, Hash patient, long unixMilliseconds)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var userId = reader.EffectiveUserId(readerKeyId);
        return reader.IsActive && GrantsOf(state, patient).Any(g => g.IsInForce(unixMilliseconds) && g.Terms.Actor.Matches(reader, userId));
    }

    /// <summary>The consortium policy rules that give a role de-identified access for a purpose (SPEC F18).</summary>
    public static IReadOnlyList<PolicyRule> PolicyFor(IStateReader state, AccountRole role, AccessPurpose purpose)
    {
        ArgumentNullException.ThrowIfNull(state);
        var value = state.GetValue(StateKeys.Policy());
        return value is null ? [] : PolicyRule.DecodeList(value).Where(r => r.Role == role && r.Purpose == purpose).ToList();
    }

    /// <summary>Every grant the patient holds (in force or not), in the order they were made.</summary>
    public static IEnumerable<Grant> GrantsOf(IStateReader state, Hash patient)
    {
        ArgumentNullException.ThrowIfNull(state);
        var list = state.GetValue(StateKeys.PatientGrants(patient));
        if (list is null)
        {
            yield break;
        }

        foreach (var id in HashList.Decode(list, Limits.MaxGrantsPerPatient))
        {
            if (state.GetValue(StateKeys.Grant(id)) is { } value)
            {
                yield return Grant.Decode(value);
            }
        }
    }

    private static bool IsActive(IStateReader state, string organisationId)
    {
        var value = state.GetValue(StateKeys.Organisation(organisationId));
        return value is not null && Organisation.Decode(value).Status == OrganisationStatus.Active;
    }
}
