using MedLedger.Core;

namespace MedLedger.Ledger;

/// <summary>The kinds of member organisation (SPEC §1). Values are signed; add new values, never renumber.</summary>
public enum OrganisationKind : byte
{
    /// <summary>Not a valid kind.</summary>
    None = 0,

    /// <summary>A hospital (with a tier such as "tertiary").</summary>
    Hospital = 1,

    /// <summary>A clinic.</summary>
    Clinic = 2,

    /// <summary>An insurer.</summary>
    Insurer = 3,

    /// <summary>An elderly-care home.</summary>
    ElderlyCare = 4,

    /// <summary>A research institute.</summary>
    ResearchInstitute = 5,

    /// <summary>A regulator.</summary>
    Regulator = 6,
}

/// <summary>Whether an organisation is a member. Values are part of state; frozen.</summary>
public enum OrganisationStatus : byte
{
    /// <summary>Not a valid status.</summary>
    None = 0,

    /// <summary>A current member: its accounts may act.</summary>
    Active = 1,

    /// <summary>Removed by a vote: its accounts are refused; its history stays.</summary>
    Removed = 2,
}

/// <summary>What a membership proposal does. Values are signed; frozen.</summary>
public enum MembershipAction : byte
{
    /// <summary>Not a valid action.</summary>
    None = 0,

    /// <summary>Admit a new organisation with its first administrator.</summary>
    Admit = 1,

    /// <summary>Remove a member organisation.</summary>
    Remove = 2,
}

/// <summary>
/// A member organisation as held in state. <paramref name="EncryptionKey"/> is the public key record data keys are
/// wrapped for (its private half stays at the organisation's node); <paramref name="Endpoint"/> is the base address
/// of the node that holds the organisation's records.
/// </summary>
public sealed record Organisation(string Id, string Name, OrganisationKind Kind, string Tier, byte[] EncryptionKey, string Endpoint, OrganisationStatus Status, ulong AdmittedHeight)
{
    private const byte Version = 1;

    /// <summary>True when <paramref name="id"/> is 1..64 bytes of lowercase letters, digits and inner hyphens.</summary>
    public static bool IsValidId(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= Limits.MaxOrganisationIdBytes && id[0] != '-' && id[^1] != '-'
        && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');

    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(256);
        writer.WriteByte(Version);
        WriteSpec(writer, Id, Name, Kind, Tier, EncryptionKey, Endpoint);
        writer.WriteByte((byte)Status);
        writer.WriteUInt64(AdmittedHeight);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static Organisation Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        if (reader.ReadByte() != Version)
        {
            throw new DecodingException("Unknown organisation version.");
        }

        var spec = ReadSpec(ref reader);
        var organisation = spec with { Status = (OrganisationStatus)reader.ReadByte(), AdmittedHeight = reader.ReadUInt64() };
        reader.EnsureEnd();
        return organisation;
    }

    /// <summary>Writes the fields a proposal carries.</summary>
    internal static void WriteSpec(CanonicalWriter writer, string id, string name, OrganisationKind kind, string tier, byte[] encryptionKey, string endpoint)
    {
        writer.WriteString(id);
        writer.WriteString(name);
        writer.WriteByte((byte)kind);
        writer.WriteString(tier);
        writer.WriteBytes(encryptionKey);
        writer.WriteString(endpoint);
    }

    /// <summary>Reads the fields a proposal carries; status and height are left unset.</summary>
    internal static Organisation ReadSpec(ref CanonicalReader reader) => new(
        reader.ReadString(Limits.MaxOrganisationIdBytes),
        reader.ReadString(Limits.MaxNameBytes),
        (OrganisationKind)reader.ReadByte(),
        reader.ReadString(Limits.MaxLabelBytes),
        reader.ReadBytes(Limits.MaxPublicKeyBytes),
        reader.ReadString(Limits.MaxLabelBytes),
        OrganisationStatus.None,
        0);
}

/// <summary>The sorted ids of the active member organisations (state key <c>chain/orgs</c>).</summary>
public static class OrganisationList
{
    /// <summary>Canonical encoding of a sorted, distinct list.</summary>
    public static byte[] Encode(IReadOnlyList<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var writer = new CanonicalWriter(16 * ids.Count + 4);
        writer.WriteCount(ids.Count);
        foreach (var id in ids)
        {
            writer.WriteString(id);
        }

        return writer.ToArray();
    }

    /// <summary>Strict decoding; the list must be sorted ordinally and distinct.</summary>
    public static List<string> Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var count = reader.ReadCount(Limits.MaxOrganisations);
        var ids = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var id = reader.ReadString(Limits.MaxOrganisationIdBytes);
            if (i > 0 && string.CompareOrdinal(ids[^1], id) >= 0)
            {
                throw new DecodingException("The organisation list is not sorted and distinct.");
            }

            ids.Add(id);
        }

        reader.EnsureEnd();
        return ids;
    }
}

/// <summary>
/// Payload of <see cref="TransactionType.OrganisationPropose"/>. For <see cref="MembershipAction.Admit"/> it carries
/// the organisation's fields and its first administrator's key and name; for <see cref="MembershipAction.Remove"/>
/// only the id is used (the other fields must be empty).
/// </summary>
public sealed record OrganisationProposePayload(MembershipAction Action, Organisation Organisation, byte[] AdminPublicKey, string AdminName)
{
    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(384);
        writer.WriteByte((byte)Action);
        Organisation.WriteSpec(writer, Organisation.Id, Organisation.Name, Organisation.Kind, Organisation.Tier, Organisation.EncryptionKey, Organisation.Endpoint);
        writer.WriteBytes(AdminPublicKey);
        writer.WriteString(AdminName);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static OrganisationProposePayload Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var action = (MembershipAction)reader.ReadByte();
        var organisation = Organisation.ReadSpec(ref reader);
        var payload = new OrganisationProposePayload(action, organisation, reader.ReadBytes(Limits.MaxPublicKeyBytes), reader.ReadString(Limits.MaxNameBytes));
        reader.EnsureEnd();
        return payload;
    }
}

/// <summary>Payload of <see cref="TransactionType.OrganisationVote"/>: the proposal voted for.</summary>
public sealed record OrganisationVotePayload(Hash ProposalId)
{
    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(Hash.Size);
        writer.WriteHash(ProposalId);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static OrganisationVotePayload Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var payload = new OrganisationVotePayload(reader.ReadHash());
        reader.EnsureEnd();
        return payload;
    }
}

/// <summary>Whether a membership proposal is still open. Values are part of state; frozen.</summary>
public enum ProposalStatus : byte
{
    /// <summary>Not a valid status.</summary>
    None = 0,

    /// <summary>Collecting votes.</summary>
    Open = 1,

    /// <summary>Reached 2/3 of the members and took effect.</summary>
    Executed = 2,
}

/// <summary>
/// A membership proposal in state: the proposal, the proposing organisation, the organisations that voted for it
/// (sorted, the proposer's first), when it expires and whether it took effect.
/// </summary>
public sealed record MembershipProposal(Hash Id, OrganisationProposePayload Proposal, string ProposedBy, IReadOnlyList<string> Votes, long ExpiresUnixMilliseconds, ProposalStatus Status)
{
    private const byte Version = 1;

    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(512);
        writer.WriteByte(Version);
        writer.WriteHash(Id);
        writer.WriteBytes(Proposal.Encode());
        writer.WriteString(ProposedBy);
        writer.WriteBytes(OrganisationList.Encode(Votes));
        writer.WriteInt64(ExpiresUnixMilliseconds);
        writer.WriteByte((byte)Status);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static MembershipProposal Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        if (reader.ReadByte() != Version)
        {
            throw new DecodingException("Unknown proposal version.");
        }

        var proposal = new MembershipProposal(
            reader.ReadHash(),
            OrganisationProposePayload.Decode(reader.ReadBytesSpan(Limits.MaxTransactionPayloadBytes)),
            reader.ReadString(Limits.MaxOrganisationIdBytes),
            OrganisationList.Decode(reader.ReadBytesSpan(Limits.MaxStateValueBytes)),
            reader.ReadInt64(),
            (ProposalStatus)reader.ReadByte());
        reader.EnsureEnd();
        return proposal;
    }
}
