using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Ledger;

/// <summary>
/// The signed envelope of every ledger change (docs/encoding.md, "Transaction"). The signature covers the
/// domain tag and every other field, so a transaction cannot be moved to another chain, type, sender or nonce.
/// The id is the hash of the whole encoding, signature included. Instances are immutable.
/// </summary>
public sealed class Transaction
{
    /// <summary>The only envelope version this build writes and reads.</summary>
    public const byte CurrentVersion = 1;

    private static readonly byte[] SigningDomain = "MedLedger/transaction/v1\0"u8.ToArray();

    private readonly byte[] _encoded;

    // The id of the encoding under the last suite asked; a reference, so that threads read it whole or not at all.
    private CachedId? _id;

    private Transaction(string chainId, TransactionType type, Hash sender, ulong nonce, ulong expiryHeight, byte[] payload, byte[] signature, byte[] encoded)
    {
        ChainId = chainId;
        Type = type;
        Sender = sender;
        Nonce = nonce;
        ExpiryHeight = expiryHeight;
        Payload = payload;
        Signature = signature;
        _encoded = encoded;
    }

    /// <summary>The chain this transaction is meant for.</summary>
    public string ChainId { get; }

    /// <summary>What the transaction does.</summary>
    public TransactionType Type { get; }

    /// <summary>The sender's key id: the hash of its public key.</summary>
    public Hash Sender { get; }

    /// <summary>Per-sender sequence number; must exceed the sender's last executed nonce.</summary>
    public ulong Nonce { get; }

    /// <summary>The last height at which the transaction may be included.</summary>
    public ulong ExpiryHeight { get; }

    /// <summary>The type-specific payload.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The sender's signature over <see cref="EncodeSigningBytes()"/>.</summary>
    public ReadOnlyMemory<byte> Signature { get; }

    /// <summary>The canonical encoding, signature included.</summary>
    public ReadOnlyMemory<byte> Encoded => _encoded;

    /// <summary>Size of the canonical encoding.</summary>
    public int EncodedLength => _encoded.Length;

    /// <summary>Creates and signs a transaction.</summary>
    public static Transaction Create(ICryptoSuite suite, ISigningKey key, string chainId, TransactionType type, ulong nonce, ulong expiryHeight, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(chainId);
        var sender = suite.Hash(key.PublicKey.Span);
        var signingBytes = EncodeSigningBytes(chainId, type, sender, nonce, expiryHeight, payload);
        var signature = key.Sign(signingBytes);
        return FromParts(chainId, type, sender, nonce, expiryHeight, payload.ToArray(), signature);
    }

    /// <summary>Assembles a transaction from its parts (the signature is not checked here).</summary>
    public static Transaction FromParts(string chainId, TransactionType type, Hash sender, ulong nonce, ulong expiryHeight, byte[] payload, byte[] signature)
    {
        ArgumentNullException.ThrowIfNull(chainId);
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(signature);
        var writer = new CanonicalWriter(64 + payload.Length + signature.Length);
        WriteUnsignedFields(writer, chainId, type, sender, nonce, expiryHeight, payload);
        writer.WriteBytes(signature);
        return new Transaction(chainId, type, sender, nonce, expiryHeight, payload, signature, writer.ToArray());
    }

    /// <summary>The bytes the sender signs: a domain tag followed by every field but the signature.</summary>
    public byte[] EncodeSigningBytes() => EncodeSigningBytes(ChainId, Type, Sender, Nonce, ExpiryHeight, Payload.Span);

    /// <summary>The transaction's id: the suite hash of its canonical encoding.</summary>
    public Hash ComputeId(ICryptoSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var cached = Volatile.Read(ref _id);
        if (cached is not null && ReferenceEquals(cached.Suite, suite))
        {
            return cached.Id;
        }

        var id = suite.Hash(_encoded);
        Volatile.Write(ref _id, new CachedId(suite, id));
        return id;
    }

    /// <summary>
    /// Decodes a transaction strictly: the version must be known, every field within its limit, and no byte may
    /// follow the signature. Throws <see cref="DecodingException"/>.
    /// </summary>
    public static Transaction Decode(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length > Limits.MaxTransactionBytes)
        {
            throw new DecodingException($"A transaction of {encoded.Length} bytes exceeds the limit of {Limits.MaxTransactionBytes}.");
        }

        var reader = new CanonicalReader(encoded);
        var version = reader.ReadByte();
        if (version != CurrentVersion)
        {
            throw new DecodingException($"Unknown transaction version {version}.");
        }

        var chainId = reader.ReadString(Limits.MaxChainIdBytes);
        var type = (TransactionType)reader.ReadUInt16();
        var sender = reader.ReadHash();
        var nonce = reader.ReadUInt64();
        var expiryHeight = reader.ReadUInt64();
        var payload = reader.ReadBytes(Limits.MaxTransactionPayloadBytes);
        var signature = reader.ReadBytes(Limits.MaxSignatureBytes);
        reader.EnsureEnd();
        return new Transaction(chainId, type, sender, nonce, expiryHeight, payload, signature, encoded.ToArray());
    }

    private static byte[] EncodeSigningBytes(string chainId, TransactionType type, Hash sender, ulong nonce, ulong expiryHeight, ReadOnlySpan<byte> payload)
    {
        var writer = new CanonicalWriter(SigningDomain.Length + 64 + payload.Length);
        writer.WriteRaw(SigningDomain);
        WriteUnsignedFields(writer, chainId, type, sender, nonce, expiryHeight, payload);
        return writer.ToArray();
    }

    private static void WriteUnsignedFields(CanonicalWriter writer, string chainId, TransactionType type, Hash sender, ulong nonce, ulong expiryHeight, ReadOnlySpan<byte> payload)
    {
        writer.WriteByte(CurrentVersion);
        writer.WriteString(chainId);
        writer.WriteUInt16((ushort)type);
        writer.WriteHash(sender);
        writer.WriteUInt64(nonce);
        writer.WriteUInt64(expiryHeight);
        writer.WriteBytes(payload);
    }

    private sealed record CachedId(ICryptoSuite Suite, Hash Id);
}
