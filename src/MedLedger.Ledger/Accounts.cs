using MedLedger.Core;

namespace MedLedger.Ledger;

/// <summary>
/// An account as held in state: a registered public key with a role, the sender's last nonce, and whether it
/// was revoked. Revoked accounts stay in state so that their earlier signatures remain verifiable.
/// </summary>
public sealed record Account(byte[] PublicKey, AccountRole Role, string Name, ulong Nonce, ulong RegisteredHeight, bool Revoked)
{
    private const byte Version = 1;

    /// <summary>Canonical encoding of the state value.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(128);
        writer.WriteByte(Version);
        writer.WriteBytes(PublicKey);
        writer.WriteByte((byte)Role);
        writer.WriteString(Name);
        writer.WriteUInt64(Nonce);
        writer.WriteUInt64(RegisteredHeight);
        writer.WriteBoolean(Revoked);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static Account Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        if (reader.ReadByte() != Version)
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

    /// <summary>Key of the current validator set.</summary>
    public static byte[] Validators() => "chain/validators"u8.ToArray();

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
