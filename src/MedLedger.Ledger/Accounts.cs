using MedLedger.Core;

namespace MedLedger.Ledger;

/// <summary>
/// An account as held in state: a registered public key with a role, the sender's last nonce, and whether it
/// was revoked. Revoked and rotated accounts stay in state so that their earlier signatures remain verifiable.
/// <paramref name="Organisation"/> is the member organisation the account belongs to ("" for consortium-level
/// accounts); <paramref name="UserId"/> is the stable id of the user across key rotations (zero: the account's own
/// key id, i.e. a first key); <paramref name="Successor"/> is the key id that replaced this key (zero: current).
/// </summary>
public sealed record Account(byte[] PublicKey, AccountRole Role, string Name, ulong Nonce, ulong RegisteredHeight, bool Revoked, string Organisation = "", Hash UserId = default, Hash Successor = default)
{
    // Version 1 is written when the organisation, user id and successor are all unset, so state written before they
    // existed keeps its bytes (and its state root); version 2 carries them.
    private const byte Version1 = 1;
    private const byte Version2 = 2;

    /// <summary>True when the account's key may still sign: neither revoked nor replaced.</summary>
    public bool IsActive => !Revoked && Successor.IsZero;

    /// <summary>The user this key belongs to, given the key's own id.</summary>
    public Hash EffectiveUserId(Hash keyId) => UserId.IsZero ? keyId : UserId;

    /// <summary>Canonical encoding of the state value.</summary>
    public byte[] Encode()
    {
        var extended = Organisation.Length != 0 || !UserId.IsZero || !Successor.IsZero;
        var writer = new CanonicalWriter(192);
        writer.WriteByte(extended ? Version2 : Version1);
        writer.WriteBytes(PublicKey);
        writer.WriteByte((byte)Role);
        writer.WriteString(Name);
        writer.WriteUInt64(Nonce);
        writer.WriteUInt64(RegisteredHeight);
        writer.WriteBoolean(Revoked);
        if (extended)
        {
            writer.WriteString(Organisation);
            writer.WriteHash(UserId);
            writer.WriteHash(Successor);
        }

        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static Account Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var version = reader.ReadByte();
        if (version is not Version1 and not Version2)
        {
            throw new DecodingException("Unknown account version.");
        }

        var account = new Account(
            reader.ReadBytes(Limits.MaxPublicKeyBytes),
            (AccountRole)reader.ReadByte(),
            reader.ReadString(Limits.MaxNameBytes),
            reader.ReadUInt64(),
            reader.ReadUInt64(),
            reader.ReadBoolean());
        if (version == Version2)
        {
            account = account with { Organisation = reader.ReadString(Limits.MaxOrganisationIdBytes), UserId = reader.ReadHash(), Successor = reader.ReadHash() };
            if (account.Organisation.Length == 0 && account.UserId.IsZero && account.Successor.IsZero)
            {
                throw new DecodingException("A version 2 account must use its extension fields (else it is written as version 1).");
            }
        }

        reader.EnsureEnd();
        return account;
    }
}

/// <summary>Payload of <see cref="TransactionType.AccountRegister"/>.</summary>
public sealed record AccountRegisterPayload(byte[] PublicKey, AccountRole Role, string Name)
{
    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(128);
        writer.WriteBytes(PublicKey);
        writer.WriteByte((byte)Role);
        writer.WriteString(Name);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static AccountRegisterPayload Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var payload = new AccountRegisterPayload(reader.ReadBytes(Limits.MaxPublicKeyBytes), (AccountRole)reader.ReadByte(), reader.ReadString(Limits.MaxNameBytes));
        reader.EnsureEnd();
        return payload;
    }
}

/// <summary>Payload of <see cref="TransactionType.AccountRevoke"/>.</summary>
public sealed record AccountRevokePayload(Hash Account)
{
    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(Hash.Size);
        writer.WriteHash(Account);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static AccountRevokePayload Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var payload = new AccountRevokePayload(reader.ReadHash());
        reader.EnsureEnd();
        return payload;
    }
}

/// <summary>
/// Payload of <see cref="TransactionType.CommitmentAnchor"/>: a 32-byte commitment the sender vouches for.
/// The commitment must be salted by its author (it is public); the ledger only records who anchored it and when.
/// </summary>
public sealed record CommitmentAnchorPayload(Hash Commitment)
{
    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(Hash.Size);
        writer.WriteHash(Commitment);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static CommitmentAnchorPayload Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var payload = new CommitmentAnchorPayload(reader.ReadHash());
        reader.EnsureEnd();
        return payload;
    }
}

/// <summary>State value of an anchored commitment: who anchored it, at which height.</summary>
public sealed record AnchorRecord(Hash Sender, ulong Height)
{
    private const byte Version = 1;

    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(48);
        writer.WriteByte(Version);
        writer.WriteHash(Sender);
        writer.WriteUInt64(Height);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static AnchorRecord Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        if (reader.ReadByte() != Version)
        {
            throw new DecodingException("Unknown anchor version.");
        }

        var record = new AnchorRecord(reader.ReadHash(), reader.ReadUInt64());
        reader.EnsureEnd();
        return record;
    }
}

/// <summary>The state key layout (docs/state.md). Prefixes are frozen by golden tests.</summary>
public static class StateKeys
{
    /// <summary>Key of an account: <c>"acct/" ‖ key id</c>.</summary>
    public static byte[] Account(Hash keyId) => Prefixed("acct/"u8, keyId);

    /// <summary>Key of an anchored commitment: <c>"anch/" ‖ commitment</c>.</summary>
    public static byte[] Anchor(Hash commitment) => Prefixed("anch/"u8, commitment);

    /// <summary>Key of a user's current key id: <c>"user/" ‖ user id</c>.</summary>
    public static byte[] UserKey(Hash userId) => Prefixed("user/"u8, userId);

    /// <summary>Key of a member organisation: <c>"org/" ‖ organisation id (UTF-8)</c>.</summary>
    public static byte[] Organisation(string organisationId) => [.. "org/"u8, .. System.Text.Encoding.UTF8.GetBytes(organisationId)];

    /// <summary>Key of the list of active member organisations.</summary>
    public static byte[] Organisations() => "chain/orgs"u8.ToArray();

    /// <summary>Key of the consortium's access policy (SPEC F18).</summary>
    public static byte[] Policy() => "chain/policy"u8.ToArray();

    /// <summary>Key of a membership proposal: <c>"prop/" ‖ proposal id</c>.</summary>
    public static byte[] Proposal(Hash proposalId) => Prefixed("prop/"u8, proposalId);

    /// <summary>Key of a record anchor: <c>"rec/" ‖ record id</c>.</summary>
    public static byte[] Record(Hash recordId) => Prefixed("rec/"u8, recordId);

    /// <summary>Key of a grant: <c>"grant/" ‖ grant id</c>.</summary>
    public static byte[] Grant(Hash grantId) => Prefixed("grant/"u8, grantId);

    /// <summary>Key of the list of a patient's grants: <c>"pgrants/" ‖ patient user id</c>.</summary>
    public static byte[] PatientGrants(Hash patientUserId) => Prefixed("pgrants/"u8, patientUserId);

    /// <summary>Key of the current validator set.</summary>
    public static byte[] Validators() => "chain/validators"u8.ToArray();

    /// <summary>Key of a node's credit: <c>"credit/" ‖ key id</c> (credit chains only).</summary>
    public static byte[] Credit(Hash keyId) => Prefixed("credit/"u8, keyId);

    /// <summary>Key of the sorted list of tracked node key ids (credit chains only).</summary>
    public static byte[] CreditNodes() => "chain/nodes"u8.ToArray();

    /// <summary>Key of the current epoch (credit chains only).</summary>
    public static byte[] Epoch() => "chain/epoch"u8.ToArray();

    /// <summary>Key of the height of the last block whose certificate a commit report paid (credit chains only).</summary>
    public static byte[] LastReportedHeight() => "chain/reported"u8.ToArray();

    /// <summary>Key of the heights from which the validator sets of the history apply (credit chains only).</summary>
    public static byte[] ValidatorHistory() => "chain/vsets"u8.ToArray();

    /// <summary>Key of the validator set that applies from <paramref name="sinceHeight"/>: <c>"vset/" ‖ u64 big-endian</c>.</summary>
    public static byte[] ValidatorSetSince(ulong sinceHeight)
    {
        var key = new byte[5 + 8];
        "vset/"u8.CopyTo(key);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(5), sinceHeight);
        return key;
    }

    /// <summary>Key of a punished offence: <c>"offence/" ‖ offence id</c> (credit chains only).</summary>
    public static byte[] Offence(Hash offenceId) => Prefixed("offence/"u8, offenceId);

    /// <summary>Key of a patient pseudonym's emergency contacts: <c>"emerg/" ‖ patient user id</c>.</summary>
    public static byte[] EmergencyContacts(Hash patientUserId) => Prefixed("emerg/"u8, patientUserId);

    /// <summary>Key of an access request: <c>"areq/" ‖ request id</c>.</summary>
    public static byte[] AccessRequest(Hash requestId) => Prefixed("areq/"u8, requestId);

    /// <summary>Key of the ids of the open access requests to a patient pseudonym: <c>"areqp/" ‖ patient user id</c>.</summary>
    public static byte[] PatientAccessRequests(Hash patientUserId) => Prefixed("areqp/"u8, patientUserId);

    /// <summary>Key of the ids of a requester's latest access requests: <c>"areqd/" ‖ requester user id</c>.</summary>
    public static byte[] RequesterAccessRequests(Hash requesterUserId) => Prefixed("areqd/"u8, requesterUserId);

    /// <summary>Key of a pending (or answered) record write request: <c>"wreq/" ‖ record id</c>.</summary>
    public static byte[] WriteRequest(Hash recordId) => Prefixed("wreq/"u8, recordId);

    /// <summary>Key of the record ids of the open write requests to a patient pseudonym: <c>"wreqp/" ‖ patient user id</c>.</summary>
    public static byte[] PatientWriteRequests(Hash patientUserId) => Prefixed("wreqp/"u8, patientUserId);

    /// <summary>Key of the record ids of an author's latest write requests: <c>"wreqa/" ‖ author user id</c>.</summary>
    public static byte[] AuthorWriteRequests(Hash authorUserId) => Prefixed("wreqa/"u8, authorUserId);

    /// <summary>Key of the genesis hash.</summary>
    public static byte[] GenesisHash() => "chain/genesis"u8.ToArray();

    private static byte[] Prefixed(ReadOnlySpan<byte> prefix, Hash id)
    {
        var key = new byte[prefix.Length + Hash.Size];
        prefix.CopyTo(key);
        id.CopyTo(key.AsSpan(prefix.Length));
        return key;
    }
}
