using MedLedger.Core;

namespace MedLedger.Ledger;

/// <summary>The state of a record write request. Values are part of the state encoding; frozen.</summary>
public enum WriteRequestStatus : byte
{
    /// <summary>Not valid.</summary>
    None = 0,

    /// <summary>Waiting for the patient's answer (expired once the chain passes its expiry height).</summary>
    Open = 1,

    /// <summary>The patient co-signed: the record is anchored.</summary>
    Approved = 2,

    /// <summary>The patient declined: no record exists.</summary>
    Declined = 3,
}

/// <summary>
/// Payload of <see cref="TransactionType.RecordWriteRequest"/>: the author (a doctor) asks the patient to approve a
/// record write in their portal. <paramref name="Record"/> is the complete anchor the write would be — author signature
/// included, <see cref="WriteAuthorisation.PatientSignature"/>, but with no consent signer, consent signature or grant
/// yet; the patient's <see cref="TransactionType.RecordWriteRespond"/> adds the consent. The request lapses after block
/// <paramref name="ExpiresAtHeight"/>.
/// </summary>
public sealed record RecordWriteRequestPayload(RecordAnchorPayload Record, ulong ExpiresAtHeight)
{
    /// <summary>The farthest ahead (in blocks) a request may set its expiry height (as for access requests).</summary>
    public const ulong MaxLifetimeBlocks = AccessRequestPayload.MaxLifetimeBlocks;

    /// <summary>The longest anchor encoding a request carries (a full anchor is about 720 bytes).</summary>
    public const int MaxRecordBytes = 1024;

    /// <summary>True when <see cref="Record"/> has the shape of a request: co-signature authorisation, no consent or grant yet.</summary>
    public bool IsWellFormed =>
        Record.Authorisation == WriteAuthorisation.PatientSignature && Record.ConsentSigner.IsZero && Record.ConsentSignature.Length == 0 && Record.GrantId.IsZero;

    /// <summary>Canonical encoding: the anchor payload's encoding as <c>bytes</c>, expiry height (u64).</summary>
    public byte[] Encode()
    {
        ArgumentNullException.ThrowIfNull(Record);
        var record = Record.Encode();
        var writer = new CanonicalWriter(record.Length + 12);
        writer.WriteBytes(record);
        writer.WriteUInt64(ExpiresAtHeight);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static RecordWriteRequestPayload Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var payload = Read(ref reader);
        reader.EnsureEnd();
        return payload;
    }

    internal static RecordWriteRequestPayload Read(ref CanonicalReader reader)
    {
        var record = RecordAnchorPayload.Decode(reader.ReadBytes(MaxRecordBytes));
        return new RecordWriteRequestPayload(record, reader.ReadUInt64());
    }
}

/// <summary>
/// Payload of <see cref="TransactionType.RecordWriteRespond"/>: the patient answers the write request of record
/// <paramref name="RecordId"/> with their signature over the request's
/// <see cref="RecordAnchorPayload.EncodeConsentStatement"/> (approve), or with none (decline).
/// </summary>
public sealed record RecordWriteRespondPayload(Hash RecordId, byte[] ConsentSignature)
{
    /// <summary>True when the answer declines.</summary>
    public bool Declines => ConsentSignature.Length == 0;

    /// <summary>Canonical encoding: record id, consent signature <c>bytes</c> (empty: declined).</summary>
    public byte[] Encode()
    {
        ArgumentNullException.ThrowIfNull(ConsentSignature);
        var writer = new CanonicalWriter(Hash.Size + 4 + ConsentSignature.Length);
        writer.WriteHash(RecordId);
        writer.WriteBytes(ConsentSignature);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static RecordWriteRespondPayload Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var payload = new RecordWriteRespondPayload(reader.ReadHash(), reader.ReadBytes(Limits.MaxSignatureBytes));
        reader.EnsureEnd();
        return payload;
    }
}

/// <summary>
/// A record write request as held in state (key <c>wreq/ ‖ record id</c>): the author's user id, the request (the
/// anchor without consent, and the expiry height), the height it was made, its status, the answer's height and the
/// key id that consented (zero unless approved). An answered request stays, so its record id is never reused.
/// </summary>
public sealed record WriteRequest(Hash AuthorUserId, RecordWriteRequestPayload Request, ulong CreatedHeight, WriteRequestStatus Status, ulong AnsweredHeight, Hash ConsentSigner)
{
    /// <summary>At most this many open write requests wait for one patient pseudonym (state key <c>wreqp/</c>).</summary>
    public const int MaxOpenPerPatient = AccessRequest.MaxOpenPerPatient;

    /// <summary>At most this many write requests are listed for one author (state key <c>wreqa/</c>); the oldest answered or expired ones make room.</summary>
    public const int MaxPerAuthor = AccessRequest.MaxPerRequester;

    private const byte Version = 1;

    /// <summary>The record id (the state key's suffix).</summary>
    public Hash RecordId => Request.Record.RecordId;

    /// <summary>The patient pseudonym asked.</summary>
    public Hash Patient => Request.Record.Patient;

    /// <summary>True when still open but past its expiry height at <paramref name="height"/>.</summary>
    public bool IsExpiredAt(ulong height) => Status == WriteRequestStatus.Open && height > Request.ExpiresAtHeight;

    /// <summary>True when open and not expired at <paramref name="height"/>.</summary>
    public bool IsOpenAt(ulong height) => Status == WriteRequestStatus.Open && height <= Request.ExpiresAtHeight;

    /// <summary>Canonical encoding: version 1, author user id, the request as <c>bytes</c>, created height, status (u8), answered height, consent signer.</summary>
    public byte[] Encode()
    {
        var request = Request.Encode();
        var writer = new CanonicalWriter(request.Length + 96);
        writer.WriteByte(Version);
        writer.WriteHash(AuthorUserId);
        writer.WriteBytes(request);
        writer.WriteUInt64(CreatedHeight);
        writer.WriteByte((byte)Status);
        writer.WriteUInt64(AnsweredHeight);
        writer.WriteHash(ConsentSigner);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static WriteRequest Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        if (reader.ReadByte() != Version)
        {
            throw new DecodingException("Unknown write request version.");
        }

        var author = reader.ReadHash();
        var request = RecordWriteRequestPayload.Decode(reader.ReadBytes(RecordWriteRequestPayload.MaxRecordBytes + 16));
        var value = new WriteRequest(author, request, reader.ReadUInt64(), (WriteRequestStatus)reader.ReadByte(), reader.ReadUInt64(), reader.ReadHash());
        reader.EnsureEnd();
        return value;
    }
}
