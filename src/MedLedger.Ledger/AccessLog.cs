using MedLedger.Core;

namespace MedLedger.Ledger;

/// <summary>What an accessor did or tried (FHIR AuditEvent action). Values are signed; frozen.</summary>
public enum AccessAction : byte
{
    /// <summary>Not valid.</summary>
    None = 0,

    /// <summary>Read a record's content.</summary>
    Read = 1,

    /// <summary>Wrote (anchored) a record.</summary>
    Write = 2,

    /// <summary>Granted access.</summary>
    Grant = 3,

    /// <summary>Revoked a grant.</summary>
    Revoke = 4,

    /// <summary>Searched the master patient index.</summary>
    Search = 5,

    /// <summary>Erased a record.</summary>
    Erase = 6,

    /// <summary>Received de-identified data under the consortium policy.</summary>
    Deidentified = 7,

    /// <summary>Checked the integrity of stored ciphertext.</summary>
    IntegrityCheck = 8,
}

/// <summary>Whether an access was served. Values are signed; frozen.</summary>
public enum AccessOutcome : byte
{
    /// <summary>Not valid.</summary>
    None = 0,

    /// <summary>Served.</summary>
    Allowed = 1,

    /// <summary>Refused; the reason says why.</summary>
    Denied = 2,
}

/// <summary>Why an access was refused (or, for integrity checks, failed). Values are signed; frozen.</summary>
public enum AccessDenialReason : byte
{
    /// <summary>Not refused.</summary>
    None = 0,

    /// <summary>The requesting key is not registered.</summary>
    UnknownKey = 1,

    /// <summary>The request's signature does not verify.</summary>
    InvalidSignature = 2,

    /// <summary>The request was seen before (its nonce) or lies outside its time window.</summary>
    Replay = 3,

    /// <summary>The requester's key or organisation was revoked, rotated or removed.</summary>
    ActorRevoked = 4,

    /// <summary>No grant covers the request.</summary>
    NoGrant = 5,

    /// <summary>The grant that would cover the request has expired or is not yet valid.</summary>
    GrantExpired = 6,

    /// <summary>The grant that would cover the request was revoked.</summary>
    GrantRevoked = 7,

    /// <summary>The stored ciphertext does not match its on-chain pointer, or the plaintext its commitment.</summary>
    IntegrityFailure = 8,

    /// <summary>The request or document is malformed or too large.</summary>
    Malformed = 9,

    /// <summary>The record does not exist (or is not held here).</summary>
    NotFound = 10,

    /// <summary>The record was erased.</summary>
    Erased = 11,

    /// <summary>The role may not do this at all (e.g. an auditor asking for content).</summary>
    RoleNotPermitted = 12,

    /// <summary>The write lacked the patient's consent.</summary>
    ConsentMissing = 13,
}

/// <summary>
/// One entry of the access log (SPEC F20): when, who (the key id that asked — registered or not), about which
/// patient pseudonym and record (zero when unknown), what, why, the outcome and reason, the grant relied on (zero:
/// none), and the hash of the signed request (zero: not a signed request), which ties the entry to the request the
/// node holds as evidence.
/// </summary>
public sealed record AccessLogEntry(
    long TimeUnixMilliseconds,
    Hash Actor,
    Hash Patient,
    Hash RecordId,
    AccessAction Action,
    AccessPurpose Purpose,
    AccessOutcome Outcome,
    AccessDenialReason Reason,
    Hash GrantId,
    Hash RequestHash)
{
    /// <summary>Encoded size of one entry.</summary>
    public const int EncodedBytes = 8 + (5 * Hash.Size) + 4;

    internal void Write(CanonicalWriter writer)
    {
        writer.WriteInt64(TimeUnixMilliseconds);
        writer.WriteHash(Actor);
        writer.WriteHash(Patient);
        writer.WriteHash(RecordId);
        writer.WriteByte((byte)Action);
        writer.WriteByte((byte)Purpose);
        writer.WriteByte((byte)Outcome);
        writer.WriteByte((byte)Reason);
        writer.WriteHash(GrantId);
        writer.WriteHash(RequestHash);
    }

    internal static AccessLogEntry Read(ref CanonicalReader reader) => new(
        reader.ReadInt64(),
        reader.ReadHash(),
        reader.ReadHash(),
        reader.ReadHash(),
        (AccessAction)reader.ReadByte(),
        (AccessPurpose)reader.ReadByte(),
        (AccessOutcome)reader.ReadByte(),
        (AccessDenialReason)reader.ReadByte(),
        reader.ReadHash(),
        reader.ReadHash());
}

/// <summary>Payload of <see cref="TransactionType.AccessLog"/>: a batch of entries from the sending node.</summary>
public sealed record AccessLogPayload(IReadOnlyList<AccessLogEntry> Entries)
{
    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(4 + (AccessLogEntry.EncodedBytes * Entries.Count));
        writer.WriteCount(Entries.Count);
        foreach (var entry in Entries)
        {
            entry.Write(writer);
        }

        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static AccessLogPayload Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var entries = new AccessLogEntry[reader.ReadCount(Limits.MaxAccessLogEntries)];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = AccessLogEntry.Read(ref reader);
        }

        reader.EnsureEnd();
        return new AccessLogPayload(entries);
    }
}
