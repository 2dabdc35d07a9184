using MedLedger.Core;

namespace MedLedger.Ledger;

/// <summary>
/// Payload of <see cref="TransactionType.UserRegister"/>: a user of <paramref name="Organisation"/> with a role
/// (SPEC F3). Patients are registered without a name: on chain a patient is only a pseudonym (SPEC F5).
/// </summary>
public sealed record UserRegisterPayload(byte[] PublicKey, AccountRole Role, string Organisation, string Name)
{
    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(160);
        writer.WriteBytes(PublicKey);
        writer.WriteByte((byte)Role);
        writer.WriteString(Organisation);
        writer.WriteString(Name);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static UserRegisterPayload Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var payload = new UserRegisterPayload(
            reader.ReadBytes(Limits.MaxPublicKeyBytes),
            (AccountRole)reader.ReadByte(),
            reader.ReadString(Limits.MaxOrganisationIdBytes),
            reader.ReadString(Limits.MaxNameBytes));
        reader.EnsureEnd();
        return payload;
    }
}

/// <summary>
/// Payload of <see cref="TransactionType.KeyRotate"/>: the sender's replacement key and the new key's signature
/// over <see cref="EncodeProofBytes"/>, which proves the sender holds it.
/// </summary>
public sealed record KeyRotatePayload(byte[] NewPublicKey, byte[] ProofSignature)
{
    private static readonly byte[] ProofDomain = "MedLedger/key-rotation/v1\0"u8.ToArray();

    /// <summary>What the new key signs: domain, chain id and the key id it replaces.</summary>
    public static byte[] EncodeProofBytes(string chainId, Hash oldKeyId)
    {
        ArgumentNullException.ThrowIfNull(chainId);
        var writer = new CanonicalWriter(ProofDomain.Length + 104);
        writer.WriteRaw(ProofDomain);
        writer.WriteString(chainId);
        writer.WriteHash(oldKeyId);
        return writer.ToArray();
    }

    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(160);
        writer.WriteBytes(NewPublicKey);
        writer.WriteBytes(ProofSignature);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static KeyRotatePayload Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var payload = new KeyRotatePayload(reader.ReadBytes(Limits.MaxPublicKeyBytes), reader.ReadBytes(Limits.MaxSignatureBytes));
        reader.EnsureEnd();
        return payload;
    }
}
