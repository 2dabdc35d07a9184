using MedLedger.Core;

namespace MedLedger.Ledger;

/// <summary>
/// One encrypted tier of a record on chain: where its ciphertext is (the pointer is the hash of the ciphertext,
/// which also addresses it in the holding node's blob store), the salted commitment to its plaintext, and its size.
/// </summary>
public sealed record RecordTierAnchor(SensitivityTier Tier, Hash ContentAddress, Hash Commitment, uint CiphertextBytes)
{
    internal void Write(CanonicalWriter writer)
    {
        writer.WriteByte((byte)Tier);
        writer.WriteHash(ContentAddress);
        writer.WriteHash(Commitment);
        writer.WriteUInt32(CiphertextBytes);
    }

    internal static RecordTierAnchor Read(ref CanonicalReader reader) =>
        new((SensitivityTier)reader.ReadByte(), reader.ReadHash(), reader.ReadHash(), reader.ReadUInt32());
}

/// <summary>How a record write is authorised (SPEC F15). Values are signed; frozen.</summary>
public enum WriteAuthorisation : byte
{
    /// <summary>Not valid.</summary>
    None = 0,

    /// <summary>The patient co-signed the write.</summary>
    PatientSignature = 1,

    /// <summary>A grant of the patient's gives the author append access.</summary>
    Grant = 2,

    /// <summary>The patient is the author (their own evaluation).</summary>
    PatientAuthor = 3,
}

/// <summary>
/// Payload of <see cref="TransactionType.RecordAnchor"/>: everything the ledger keeps about a record — and nothing
/// that reveals its content. <paramref name="Patient"/> is the patient's pseudonym (a user id) at
/// <paramref name="Organisation"/>, the holding organisation. The author signs <see cref="EncodeAuthorStatement"/>,
/// the patient (when <paramref name="Authorisation"/> says so) <see cref="EncodeConsentStatement"/>.
/// </summary>
public sealed record RecordAnchorPayload(
    Hash RecordId,
    Hash Patient,
    Hash Author,
    string Organisation,
    RecordCategory Category,
    long CreatedUnixMilliseconds,
    IReadOnlyList<RecordTierAnchor> Tiers,
    byte[] AuthorSignature,
    WriteAuthorisation Authorisation,
    Hash ConsentSigner,
    byte[] ConsentSignature,
    Hash GrantId)
{
    private static readonly byte[] AuthorDomain = "MedLedger/record-author/v1\0"u8.ToArray();
    private static readonly byte[] ConsentDomain = "MedLedger/record-consent/v1\0"u8.ToArray();

    /// <summary>Most tiers in one record: one per <see cref="SensitivityTier"/>.</summary>
    public const int MaxTiers = 3;

    /// <summary>
    /// The author's statement: the salted commitments (in place of the data's hash, which would let anyone holding a
    /// guess confirm it through the signature), the pseudonym and the time, bound to the chain and record.
    /// </summary>
    public byte[] EncodeAuthorStatement(string chainId) => EncodeStatement(AuthorDomain, chainId, Hash.Zero);

    /// <summary>The patient's consent to this write by this author.</summary>
    public byte[] EncodeConsentStatement(string chainId) => EncodeStatement(ConsentDomain, chainId, Author);

    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(512);
        WriteBody(writer);
        writer.WriteBytes(AuthorSignature);
        writer.WriteByte((byte)Authorisation);
        writer.WriteHash(ConsentSigner);
        writer.WriteBytes(ConsentSignature);
        writer.WriteHash(GrantId);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static RecordAnchorPayload Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var recordId = reader.ReadHash();
        var patient = reader.ReadHash();
        var author = reader.ReadHash();
        var organisation = reader.ReadString(Limits.MaxOrganisationIdBytes);
        var category = (RecordCategory)reader.ReadByte();
        var created = reader.ReadInt64();
        var count = reader.ReadCount(MaxTiers);
        var tiers = new RecordTierAnchor[count];
        for (var i = 0; i < count; i++)
        {
            tiers[i] = RecordTierAnchor.Read(ref reader);
        }

        var payload = new RecordAnchorPayload(
            recordId,
            patient,
            author,
            organisation,
            category,
            created,
            tiers,
            reader.ReadBytes(Limits.MaxSignatureBytes),
            (WriteAuthorisation)reader.ReadByte(),
            reader.ReadHash(),
            reader.ReadBytes(Limits.MaxSignatureBytes),
            reader.ReadHash());
        reader.EnsureEnd();
        return payload;
    }

    private byte[] EncodeStatement(byte[] domain, string chainId, Hash author)
    {
        ArgumentNullException.ThrowIfNull(chainId);
        var writer = new CanonicalWriter(domain.Length + 384);
        writer.WriteRaw(domain);
        writer.WriteString(chainId);
        WriteBody(writer);
        writer.WriteHash(author);
        return writer.ToArray();
    }

    private void WriteBody(CanonicalWriter writer)
    {
        writer.WriteHash(RecordId);
        writer.WriteHash(Patient);
        writer.WriteHash(Author);
        writer.WriteString(Organisation);
        writer.WriteByte((byte)Category);
        writer.WriteInt64(CreatedUnixMilliseconds);
        writer.WriteCount(Tiers.Count);
        foreach (var tier in Tiers)
        {
            tier.Write(writer);
        }
    }
}

/// <summary>Whether a record's content still exists. Values are part of state; frozen.</summary>
public enum RecordStatus : byte
{
    /// <summary>Not valid.</summary>
    None = 0,

    /// <summary>Readable under the policy.</summary>
    Active = 1,

    /// <summary>Erased: keys and ciphertext destroyed; the anchor stays as a tombstone (SPEC F23).</summary>
    Erased = 2,
}

/// <summary>A record anchor as held in state (signatures stay in the block that carried them).</summary>
public sealed record RecordEntry(
    Hash RecordId,
    Hash Patient,
    Hash Author,
    Hash AuthorUserId,
    string Organisation,
    RecordCategory Category,
    long CreatedUnixMilliseconds,
    IReadOnlyList<RecordTierAnchor> Tiers,
    WriteAuthorisation Authorisation,
    Hash GrantId,
    ulong AnchoredHeight,
    RecordStatus Status,
    ulong ErasedHeight)
{
    private const byte Version = 1;

    /// <summary>The tier anchor of <paramref name="tier"/>, or null when the record has no such part.</summary>
    public RecordTierAnchor? FindTier(SensitivityTier tier) => Tiers.FirstOrDefault(t => t.Tier == tier);

    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(384);
        writer.WriteByte(Version);
        writer.WriteHash(RecordId);
        writer.WriteHash(Patient);
        writer.WriteHash(Author);
        writer.WriteHash(AuthorUserId);
        writer.WriteString(Organisation);
        writer.WriteByte((byte)Category);
        writer.WriteInt64(CreatedUnixMilliseconds);
        writer.WriteCount(Tiers.Count);
        foreach (var tier in Tiers)
        {
            tier.Write(writer);
        }

        writer.WriteByte((byte)Authorisation);
        writer.WriteHash(GrantId);
        writer.WriteUInt64(AnchoredHeight);
        writer.WriteByte((byte)Status);
        writer.WriteUInt64(ErasedHeight);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static RecordEntry Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        if (reader.ReadByte() != Version)
        {
            throw new DecodingException("Unknown record version.");
        }

        var recordId = reader.ReadHash();
        var patient = reader.ReadHash();
        var author = reader.ReadHash();
        var authorUser = reader.ReadHash();
        var organisation = reader.ReadString(Limits.MaxOrganisationIdBytes);
        var category = (RecordCategory)reader.ReadByte();
        var created = reader.ReadInt64();
        var count = reader.ReadCount(RecordAnchorPayload.MaxTiers);
        var tiers = new RecordTierAnchor[count];
        for (var i = 0; i < count; i++)
        {
            tiers[i] = RecordTierAnchor.Read(ref reader);
        }

        var entry = new RecordEntry(recordId, patient, author, authorUser, organisation, category, created, tiers, (WriteAuthorisation)reader.ReadByte(), reader.ReadHash(), reader.ReadUInt64(), (RecordStatus)reader.ReadByte(), reader.ReadUInt64());
        reader.EnsureEnd();
        return entry;
    }
}

/// <summary>Payload of <see cref="TransactionType.RecordErase"/>: the record whose content the patient erases.</summary>
public sealed record RecordErasePayload(Hash RecordId)
{
    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(Hash.Size);
        writer.WriteHash(RecordId);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static RecordErasePayload Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var payload = new RecordErasePayload(reader.ReadHash());
        reader.EnsureEnd();
        return payload;
    }
}
