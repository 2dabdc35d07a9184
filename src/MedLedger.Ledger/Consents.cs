using MedLedger.Core;

namespace MedLedger.Ledger;

/// <summary>Who a grant is for. Values are signed; frozen.</summary>
public enum GrantActorKind : byte
{
    /// <summary>Not valid.</summary>
    None = 0,

    /// <summary>One user (by user id, which survives key rotation).</summary>
    User = 1,

    /// <summary>Every user of one organisation.</summary>
    Organisation = 2,

    /// <summary>Every user with one role.</summary>
    Role = 3,
}

/// <summary>What a grant allows. Values are signed; frozen.</summary>
[Flags]
public enum GrantActions : byte
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Read records.</summary>
    Read = 1,

    /// <summary>Append records without a co-signature per write.</summary>
    Append = 2,
}

/// <summary>Why access is given or asked for (FHIR purposeOfUse). Values are signed; frozen.</summary>
public enum AccessPurpose : byte
{
    /// <summary>Not valid.</summary>
    None = 0,

    /// <summary>Treatment (HL7 TREAT).</summary>
    Treatment = 1,

    /// <summary>Insurance and payment (HL7 HPAYMT).</summary>
    Insurance = 2,

    /// <summary>Research (HL7 HRESCH).</summary>
    Research = 3,

    /// <summary>Emergency treatment (HL7 ETREAT).</summary>
    Emergency = 4,

    /// <summary>Oversight by a regulator (HL7 HOPERAT / HSYSADMIN).</summary>
    Audit = 5,
}

/// <summary>The actor of a grant: a user id, an organisation id or a role, as <see cref="Kind"/> says.</summary>
public sealed record GrantActor(GrantActorKind Kind, Hash User, string Organisation, AccountRole Role)
{
    /// <summary>A grant to one user.</summary>
    public static GrantActor ForUser(Hash userId) => new(GrantActorKind.User, userId, string.Empty, AccountRole.None);

    /// <summary>A grant to an organisation's users.</summary>
    public static GrantActor ForOrganisation(string organisationId) => new(GrantActorKind.Organisation, Hash.Zero, organisationId, AccountRole.None);

    /// <summary>A grant to every user with a role.</summary>
    public static GrantActor ForRole(AccountRole role) => new(GrantActorKind.Role, Hash.Zero, string.Empty, role);

    /// <summary>True when the account (with its user id) is this actor.</summary>
    public bool Matches(Account account, Hash userId)
    {
        ArgumentNullException.ThrowIfNull(account);
        return Kind switch
        {
            GrantActorKind.User => User == userId,
            GrantActorKind.Organisation => account.Organisation.Length != 0 && string.Equals(Organisation, account.Organisation, StringComparison.Ordinal),
            GrantActorKind.Role => Role == account.Role,
            _ => false,
        };
    }

    internal void Write(CanonicalWriter writer)
    {
        writer.WriteByte((byte)Kind);
        switch (Kind)
        {
            case GrantActorKind.User:
                writer.WriteHash(User);
                break;
            case GrantActorKind.Organisation:
                writer.WriteString(Organisation);
                break;
            default:
                writer.WriteByte((byte)Role);
                break;
        }
    }

    internal static GrantActor Read(ref CanonicalReader reader)
    {
        var kind = (GrantActorKind)reader.ReadByte();
        return kind switch
        {
            GrantActorKind.User => ForUser(reader.ReadHash()),
            GrantActorKind.Organisation => ForOrganisation(reader.ReadString(Limits.MaxOrganisationIdBytes)),
            GrantActorKind.Role => ForRole((AccountRole)reader.ReadByte()),
            _ => throw new DecodingException("Unknown grant actor kind."),
        };
    }
}

/// <summary>
/// Payload of <see cref="TransactionType.ConsentGrant"/>, shaped like a FHIR Consent provision: the patient
/// pseudonym that grants, to whom, which actions, for what purpose, over which categories (empty: all), which tiers
/// (at least one), which single records (empty: all that match), and when (Unix milliseconds, inclusive).
/// </summary>
public sealed record ConsentGrantPayload(
    Hash Patient,
    GrantActor Actor,
    GrantActions Actions,
    AccessPurpose Purpose,
    IReadOnlyList<RecordCategory> Categories,
    IReadOnlyList<SensitivityTier> Tiers,
    IReadOnlyList<Hash> Records,
    long ValidFromUnixMilliseconds,
    long ValidUntilUnixMilliseconds)
{
    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(256);
        Write(writer);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static ConsentGrantPayload Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var payload = Read(ref reader);
        reader.EnsureEnd();
        return payload;
    }

    /// <summary>True when the grant covers a record of this category and id (tiers are checked separately).</summary>
    public bool Covers(RecordCategory category, Hash recordId) =>
        (Categories.Count == 0 || Categories.Contains(category)) && (Records.Count == 0 || Records.Contains(recordId));

    internal void Write(CanonicalWriter writer)
    {
        writer.WriteHash(Patient);
        Actor.Write(writer);
        writer.WriteByte((byte)Actions);
        writer.WriteByte((byte)Purpose);
        writer.WriteCount(Categories.Count);
        foreach (var category in Categories)
        {
            writer.WriteByte((byte)category);
        }

        writer.WriteCount(Tiers.Count);
        foreach (var tier in Tiers)
        {
            writer.WriteByte((byte)tier);
        }

        writer.WriteCount(Records.Count);
        foreach (var record in Records)
        {
            writer.WriteHash(record);
        }

        writer.WriteInt64(ValidFromUnixMilliseconds);
        writer.WriteInt64(ValidUntilUnixMilliseconds);
    }

    internal static ConsentGrantPayload Read(ref CanonicalReader reader)
    {
        var patient = reader.ReadHash();
        var actor = GrantActor.Read(ref reader);
        var actions = (GrantActions)reader.ReadByte();
        var purpose = (AccessPurpose)reader.ReadByte();
        var categories = new RecordCategory[reader.ReadCount(byte.MaxValue)];
        for (var i = 0; i < categories.Length; i++)
        {
            categories[i] = (RecordCategory)reader.ReadByte();
        }

        var tiers = new SensitivityTier[reader.ReadCount(RecordAnchorPayload.MaxTiers)];
        for (var i = 0; i < tiers.Length; i++)
        {
            tiers[i] = (SensitivityTier)reader.ReadByte();
        }

        var records = new Hash[reader.ReadCount(Limits.MaxRecordsPerGrant)];
        for (var i = 0; i < records.Length; i++)
        {
            records[i] = reader.ReadHash();
        }

        return new ConsentGrantPayload(patient, actor, actions, purpose, categories, tiers, records, reader.ReadInt64(), reader.ReadInt64());
    }
}

/// <summary>A grant as held in state: its id (the granting transaction's id), terms, and revocation if any.</summary>
public sealed record Grant(Hash Id, ConsentGrantPayload Terms, ulong CreatedHeight, ulong RevokedHeight, long RevokedUnixMilliseconds)
{
    private const byte Version = 1;

    /// <summary>True when revoked.</summary>
    public bool IsRevoked => RevokedHeight != 0;

    /// <summary>True when in force at <paramref name="unixMilliseconds"/>: not revoked and within its period.</summary>
    public bool IsInForce(long unixMilliseconds) =>
        !IsRevoked && unixMilliseconds >= Terms.ValidFromUnixMilliseconds && unixMilliseconds <= Terms.ValidUntilUnixMilliseconds;

    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(320);
        writer.WriteByte(Version);
        writer.WriteHash(Id);
        Terms.Write(writer);
        writer.WriteUInt64(CreatedHeight);
        writer.WriteUInt64(RevokedHeight);
        writer.WriteInt64(RevokedUnixMilliseconds);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static Grant Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        if (reader.ReadByte() != Version)
        {
            throw new DecodingException("Unknown grant version.");
        }

        var grant = new Grant(reader.ReadHash(), ConsentGrantPayload.Read(ref reader), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadInt64());
        reader.EnsureEnd();
        return grant;
    }
}

/// <summary>Payload of <see cref="TransactionType.ConsentRevoke"/>: the grant the patient withdraws.</summary>
public sealed record ConsentRevokePayload(Hash GrantId)
{
    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(Hash.Size);
        writer.WriteHash(GrantId);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static ConsentRevokePayload Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var payload = new ConsentRevokePayload(reader.ReadHash());
        reader.EnsureEnd();
        return payload;
    }
}

/// <summary>A list of hashes in insertion order (state key <c>pgrants/…</c>: a patient's grant ids).</summary>
public static class HashList
{
    /// <summary>Canonical encoding.</summary>
    public static byte[] Encode(IReadOnlyList<Hash> hashes)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        var writer = new CanonicalWriter(4 + (Hash.Size * hashes.Count));
        writer.WriteCount(hashes.Count);
        foreach (var hash in hashes)
        {
            writer.WriteHash(hash);
        }

        return writer.ToArray();
    }

    /// <summary>Strict decoding, at most <paramref name="maxCount"/> entries.</summary>
    public static List<Hash> Decode(ReadOnlySpan<byte> encoded, int maxCount)
    {
        var reader = new CanonicalReader(encoded);
        var count = reader.ReadCount(maxCount);
        var hashes = new List<Hash>(count);
        for (var i = 0; i < count; i++)
        {
            hashes.Add(reader.ReadHash());
        }

        reader.EnsureEnd();
        return hashes;
    }
}

/// <summary>
/// A consortium policy rule (SPEC F18): users with <paramref name="Role"/> may receive de-identified data of the
/// named categories (empty: all) and tiers for <paramref name="Purpose"/>, without asking each patient. The rule
/// set is fixed in genesis and kept in state under <c>chain/policy</c>.
/// </summary>
public sealed record PolicyRule(AccountRole Role, AccessPurpose Purpose, IReadOnlyList<RecordCategory> Categories, IReadOnlyList<SensitivityTier> Tiers)
{
    /// <summary>Canonical encoding of a rule list.</summary>
    public static byte[] EncodeList(IReadOnlyList<PolicyRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var writer = new CanonicalWriter(64 * rules.Count + 4);
        writer.WriteCount(rules.Count);
        foreach (var rule in rules)
        {
            writer.WriteByte((byte)rule.Role);
            writer.WriteByte((byte)rule.Purpose);
            writer.WriteCount(rule.Categories.Count);
            foreach (var category in rule.Categories)
            {
                writer.WriteByte((byte)category);
            }

            writer.WriteCount(rule.Tiers.Count);
            foreach (var tier in rule.Tiers)
            {
                writer.WriteByte((byte)tier);
            }
        }

        return writer.ToArray();
    }

    /// <summary>Strict decoding of a rule list.</summary>
    public static List<PolicyRule> DecodeList(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var rules = new List<PolicyRule>();
        var count = reader.ReadCount(Limits.MaxPolicyRules);
        for (var i = 0; i < count; i++)
        {
            var role = (AccountRole)reader.ReadByte();
            var purpose = (AccessPurpose)reader.ReadByte();
            var categories = new RecordCategory[reader.ReadCount(byte.MaxValue)];
            for (var c = 0; c < categories.Length; c++)
            {
                categories[c] = (RecordCategory)reader.ReadByte();
            }

            var tiers = new SensitivityTier[reader.ReadCount(RecordAnchorPayload.MaxTiers)];
            for (var t = 0; t < tiers.Length; t++)
            {
                tiers[t] = (SensitivityTier)reader.ReadByte();
            }

            rules.Add(new PolicyRule(role, purpose, categories, tiers));
        }

        reader.EnsureEnd();
        return rules;
    }
}
