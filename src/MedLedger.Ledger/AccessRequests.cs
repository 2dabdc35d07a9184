using MedLedger.Core;

namespace MedLedger.Ledger;

/// <summary>The state of an access request. Values are part of the state encoding; frozen.</summary>
public enum AccessRequestStatus : byte
{
    /// <summary>Not valid.</summary>
    None = 0,

    /// <summary>Waiting for the patient's answer (expired once the chain passes its expiry height).</summary>
    Open = 1,

    /// <summary>The patient answered with a matching grant.</summary>
    Granted = 2,

    /// <summary>The patient declined.</summary>
    Declined = 3,
}

/// <summary>
/// Payload of <see cref="TransactionType.AccessRequest"/>: a doctor asks the patient behind <paramref name="Patient"/>
/// (a pseudonym) for <paramref name="Actions"/> (read only) for <paramref name="Purpose"/> over the categories (empty:
/// all) and tiers (at least one), for <paramref name="ValidityDays"/> days; the request lapses after block
/// <paramref name="ExpiresAtHeight"/>. Coded values only: no free text is on chain.
/// </summary>
public sealed record AccessRequestPayload(
    Hash Patient,
    GrantActions Actions,
    AccessPurpose Purpose,
    IReadOnlyList<RecordCategory> Categories,
    IReadOnlyList<SensitivityTier> Tiers,
    ushort ValidityDays,
    ulong ExpiresAtHeight)
{
    /// <summary>The longest validity period a request may ask for.</summary>
    public const ushort MaxValidityDays = 365;

    /// <summary>The farthest ahead (in blocks) a request may set its expiry height.</summary>
    public const ulong MaxLifetimeBlocks = 1_000_000;

    /// <summary>Canonical encoding: patient, actions (u8), purpose (u8), categories (u32 count, u8 each), tiers (u32 count, u8 each), validity days (u16), expiry height (u64).</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(64 + Categories.Count + Tiers.Count);
        Write(writer);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static AccessRequestPayload Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var payload = Read(ref reader);
        reader.EnsureEnd();
        return payload;
    }

    internal void Write(CanonicalWriter writer)
    {
        ArgumentNullException.ThrowIfNull(Categories);
        ArgumentNullException.ThrowIfNull(Tiers);
        writer.WriteHash(Patient);
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

        writer.WriteUInt16(ValidityDays);
        writer.WriteUInt64(ExpiresAtHeight);
    }

    internal static AccessRequestPayload Read(ref CanonicalReader reader)
    {
        var patient = reader.ReadHash();
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

        return new AccessRequestPayload(patient, actions, purpose, categories, tiers, reader.ReadUInt16(), reader.ReadUInt64());
    }
}

/// <summary>
/// Payload of <see cref="TransactionType.AccessRequestRespond"/>: the patient answers request
/// <paramref name="RequestId"/> with the id of a matching grant they made, or with zero to decline.
/// </summary>
public sealed record AccessRequestRespondPayload(Hash RequestId, Hash GrantId)
{
    /// <summary>True when the answer declines.</summary>
    public bool Declines => GrantId.IsZero;

    /// <summary>Canonical encoding: request id, grant id (zero: declined).</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(2 * Hash.Size);
        writer.WriteHash(RequestId);
        writer.WriteHash(GrantId);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static AccessRequestRespondPayload Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var payload = new AccessRequestRespondPayload(reader.ReadHash(), reader.ReadHash());
        reader.EnsureEnd();
        return payload;
    }
}

/// <summary>
/// An access request as held in state (key <c>areq/ ‖ request id</c>, the id being the requesting transaction's id):
/// the requester's user id, the terms asked for, the height it was made, its status, and the answer's height and
/// grant id (zero while open or when declined).
/// </summary>
public sealed record AccessRequest(Hash Id, Hash Requester, AccessRequestPayload Terms, ulong CreatedHeight, AccessRequestStatus Status, ulong AnsweredHeight, Hash GrantId)
{
    /// <summary>At most this many open requests wait for one patient pseudonym (state key <c>areqp/</c>).</summary>
    public const int MaxOpenPerPatient = 32;

    /// <summary>At most this many requests are listed for one requester (state key <c>areqd/</c>); the oldest answered or expired ones make room.</summary>
    public const int MaxPerRequester = 64;

    private const byte Version = 1;

    /// <summary>True when still open but past its expiry height at <paramref name="height"/>.</summary>
    public bool IsExpiredAt(ulong height) => Status == AccessRequestStatus.Open && height > Terms.ExpiresAtHeight;

    /// <summary>True when open and not expired at <paramref name="height"/>.</summary>
    public bool IsOpenAt(ulong height) => Status == AccessRequestStatus.Open && height <= Terms.ExpiresAtHeight;

    /// <summary>Canonical encoding: version 1, id, requester, terms, created height, status (u8), answered height, grant id.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(192);
        writer.WriteByte(Version);
        writer.WriteHash(Id);
        writer.WriteHash(Requester);
        Terms.Write(writer);
        writer.WriteUInt64(CreatedHeight);
        writer.WriteByte((byte)Status);
        writer.WriteUInt64(AnsweredHeight);
        writer.WriteHash(GrantId);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static AccessRequest Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        if (reader.ReadByte() != Version)
        {
            throw new DecodingException("Unknown access request version.");
        }

        var value = new AccessRequest(reader.ReadHash(), reader.ReadHash(), AccessRequestPayload.Read(ref reader), reader.ReadUInt64(), (AccessRequestStatus)reader.ReadByte(), reader.ReadUInt64(), reader.ReadHash());
        reader.EnsureEnd();
        return value;
    }
}
