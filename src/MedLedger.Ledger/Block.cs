using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Ledger;

/// <summary>
/// A block header (SPEC F6, docs/encoding.md "Block header"). The block hash is the suite hash of its encoding.
/// <see cref="StateRoot"/> is the state root after this block's transactions; <see cref="TransactionsRoot"/> is
/// the Merkle root over the leaf hashes of their encodings, in block order.
/// </summary>
public sealed record BlockHeader(
    string ChainId,
    ulong Height,
    long TimeUnixMilliseconds,
    Hash PreviousBlockHash,
    Hash TransactionsRoot,
    Hash StateRoot,
    Hash Proposer,
    Hash ValidatorSetHash,
    uint TransactionCount)
{
    /// <summary>The only header version this build writes and reads.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>Canonical encoding.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(256);
        writer.WriteByte(CurrentVersion);
        writer.WriteString(ChainId);
        writer.WriteUInt64(Height);
        writer.WriteInt64(TimeUnixMilliseconds);
        writer.WriteHash(PreviousBlockHash);
        writer.WriteHash(TransactionsRoot);
        writer.WriteHash(StateRoot);
        writer.WriteHash(Proposer);
        writer.WriteHash(ValidatorSetHash);
        writer.WriteUInt32(TransactionCount);
        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static BlockHeader Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        var version = reader.ReadByte();
        if (version != CurrentVersion)
        {
            throw new DecodingException($"Unknown block header version {version}.");
        }

        var header = new BlockHeader(
            reader.ReadString(Limits.MaxChainIdBytes),
            reader.ReadUInt64(),
            reader.ReadInt64(),
            reader.ReadHash(),
            reader.ReadHash(),
            reader.ReadHash(),
            reader.ReadHash(),
            reader.ReadHash(),
            reader.ReadUInt32());
        reader.EnsureEnd();
        if (header.TransactionCount > Limits.MaxTransactionsPerBlock)
        {
            throw new DecodingException($"A block of {header.TransactionCount} transactions exceeds the limit of {Limits.MaxTransactionsPerBlock}.");
        }

        return header;
    }

    /// <summary>The block hash.</summary>
    public Hash ComputeHash(ICryptoSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        return suite.Hash(Encode());
    }
}

/// <summary>One validator's precommit signature in a commit certificate.</summary>
public sealed record CommitSignature(Hash Validator, byte[] Signature);

/// <summary>
/// Proof that a block was committed: precommit signatures for (height, round, block hash) from validators
/// holding more than two thirds of the power of the set named in the header.
/// </summary>
public sealed record CommitCertificate(ulong Height, uint Round, Hash BlockHash, IReadOnlyList<CommitSignature> Signatures)
{
    private const byte Version = 1;

    /// <summary>Canonical encoding; signatures in validator key-id order.</summary>
    public byte[] Encode()
    {
        var writer = new CanonicalWriter(64 + (Signatures.Count * 112));
        writer.WriteByte(Version);
        writer.WriteUInt64(Height);
        writer.WriteUInt32(Round);
        writer.WriteHash(BlockHash);
        writer.WriteCount(Signatures.Count);
        foreach (var signature in Signatures.OrderBy(s => s.Validator))
        {
            writer.WriteHash(signature.Validator);
            writer.WriteBytes(signature.Signature);
        }

        return writer.ToArray();
    }

    /// <summary>Strict decoding; throws <see cref="DecodingException"/>.</summary>
    public static CommitCertificate Decode(ReadOnlySpan<byte> encoded)
    {
        var reader = new CanonicalReader(encoded);
        if (reader.ReadByte() != Version)
        {
            throw new DecodingException("Unknown commit certificate version.");
        }

        var height = reader.ReadUInt64();
        var round = reader.ReadUInt32();
        var blockHash = reader.ReadHash();
        var count = reader.ReadCount(Limits.MaxValidators);
        var signatures = new List<CommitSignature>(count);
        for (var i = 0; i < count; i++)
        {
            var validator = reader.ReadHash();
            if (i > 0 && validator <= signatures[i - 1].Validator)
            {
                throw new DecodingException("Commit signatures are not in strictly increasing validator key-id order.");
            }

            signatures.Add(new CommitSignature(validator, reader.ReadBytes(Limits.MaxSignatureBytes)));
        }

        reader.EnsureEnd();
        return new CommitCertificate(height, round, blockHash, signatures);
    }
}

/// <summary>A committed block: header, transactions and the certificate that committed it.</summary>
public sealed record Block(BlockHeader Header, IReadOnlyList<Transaction> Transactions, CommitCertificate Certificate)
{
    /// <summary>Leaf hashes of the transactions, in block order.</summary>
    public static IReadOnlyList<Hash> TransactionLeaves(ICryptoSuite suite, IReadOnlyList<Transaction> transactions)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        var leaves = new Hash[transactions.Count];
        for (var i = 0; i < leaves.Length; i++)
        {
            leaves[i] = MerkleTree.HashLeaf(suite, transactions[i].Encoded.Span);
        }

        return leaves;
    }

    /// <summary>The Merkle root of <paramref name="transactions"/>.</summary>
    public static Hash ComputeTransactionsRoot(ICryptoSuite suite, IReadOnlyList<Transaction> transactions) =>
        MerkleTree.ComputeRoot(suite, TransactionLeaves(suite, transactions));
}
