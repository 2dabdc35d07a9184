using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Consensus;

/// <summary>The kinds of consensus message between nodes; the first byte of every encoding. Frozen.</summary>
public enum ConsensusMessageType : byte
{
    /// <summary>A signed proposal with the block it proposes.</summary>
    Proposal = 1,

    /// <summary>A signed prevote or precommit.</summary>
    Vote = 2,

    /// <summary>A request for the block and commit certificate of one height (block sync).</summary>
    CommitRequest = 3,

    /// <summary>A committed block with its certificate (block sync).</summary>
    CommitResponse = 4,

    /// <summary>A signed proposal with its block's header and transaction ids only (peers hold the transactions).</summary>
    CompactProposal = 5,

    /// <summary>Asks the proposer for the full proposal of a block (a compact one named transactions the asker lacks).</summary>
    ProposalRequest = 6,
}

/// <summary>A consensus message between nodes.</summary>
public abstract record ConsensusMessage
{
    /// <summary>The message's kind.</summary>
    public abstract ConsensusMessageType Type { get; }
}

/// <summary>A proposal and the block it proposes (the header must hash to the proposal's block hash).</summary>
public sealed record ProposalMessage(SignedProposal Proposal, BlockHeader Header, IReadOnlyList<Transaction> Transactions) : ConsensusMessage
{
    /// <inheritdoc />
    public override ConsensusMessageType Type => ConsensusMessageType.Proposal;
}

/// <summary>One vote.</summary>
public sealed record VoteMessage(SignedVote Vote) : ConsensusMessage
{
    /// <inheritdoc />
    public override ConsensusMessageType Type => ConsensusMessageType.Vote;
}

/// <summary>Asks a peer for the committed block of <paramref name="Height"/>.</summary>
public sealed record CommitRequest(ulong Height) : ConsensusMessage
{
    /// <inheritdoc />
    public override ConsensusMessageType Type => ConsensusMessageType.CommitRequest;
}

/// <summary>A committed block: header, transactions and the certificate that committed it.</summary>
public sealed record CommitResponse(BlockHeader Header, IReadOnlyList<Transaction> Transactions, CommitCertificate Certificate) : ConsensusMessage
{
    /// <inheritdoc />
    public override ConsensusMessageType Type => ConsensusMessageType.CommitResponse;
}

/// <summary>
/// A proposal whose block travels as its header and the ids of its transactions, in block order: the receiver rebuilds
/// the block from its mempool (the transactions reached it by gossip) and checks the rebuilt transactions against the
/// header's transactions root; a receiver that lacks any of them asks for the full proposal (<see cref="ProposalRequest"/>).
/// </summary>
public sealed record CompactProposalMessage(SignedProposal Proposal, BlockHeader Header, IReadOnlyList<Hash> TransactionIds) : ConsensusMessage
{
    /// <inheritdoc />
    public override ConsensusMessageType Type => ConsensusMessageType.CompactProposal;
}

/// <summary>Asks the proposer of <paramref name="BlockHash"/> (height, round) to send the full <see cref="ProposalMessage"/>.</summary>
public sealed record ProposalRequest(ulong Height, uint Round, Hash BlockHash) : ConsensusMessage
{
    /// <inheritdoc />
    public override ConsensusMessageType Type => ConsensusMessageType.ProposalRequest;
}

/// <summary>
/// The canonical binary encoding of consensus messages (docs/consensus.md, "Messages"): a type byte, a version byte,
/// then the fields in <see cref="CanonicalWriter"/> form. Decoding is strict — unknown type or version, any field over
/// its limit, a truncated or oversized input, or trailing bytes throw <see cref="DecodingException"/> — so that a peer's
/// bytes either decode to exactly one message or are refused. Signatures and hashes are not checked here: the engine
/// verifies signatures, and the driver checks that a block's header hashes to the hash its proposal or certificate names.
/// </summary>
public static class ConsensusMessageCodec
{
    /// <summary>The only message version this build writes and reads.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>Largest encoded block header accepted inside a message.</summary>
    public const int MaxHeaderBytes = 4096;

    /// <summary>Largest encoded commit certificate: every validator's key id and largest signature, plus framing.</summary>
    public const int MaxCertificateBytes = 64 + (Limits.MaxValidators * (Hash.Size + 4 + Limits.MaxSignatureBytes));

    /// <summary>Largest vote message.</summary>
    public const int MaxVoteBytes = 2 + Hash.Size + 1 + 8 + 4 + Hash.Size + 4 + Limits.MaxSignatureBytes;

    /// <summary>Largest compact proposal: the signed proposal, a header and one id per transaction of a full block.</summary>
    public const int MaxCompactProposalBytes = 2 + Hash.Size + 8 + 4 + Hash.Size + 1 + 4 + 4 + Limits.MaxSignatureBytes + 4 + MaxHeaderBytes + 4 + (Limits.MaxTransactionsPerBlock * Hash.Size);

    /// <summary>Size of a proposal request.</summary>
    public const int ProposalRequestBytes = 2 + 8 + 4 + Hash.Size;

    /// <summary>Largest message of any kind: a full block with its framing, header and certificate.</summary>
    public const int MaxMessageBytes = Limits.MaxBlockBytes + (Limits.MaxTransactionsPerBlock * 4) + MaxHeaderBytes + MaxCertificateBytes + 1024;

    /// <summary>Encodes a message.</summary>
    public static byte[] Encode(ConsensusMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var writer = new CanonicalWriter(message is VoteMessage ? MaxVoteBytes : 1024);
        writer.WriteByte((byte)message.Type);
        writer.WriteByte(CurrentVersion);
        switch (message)
        {
            case VoteMessage vote:
                WriteVote(writer, vote.Vote);
                break;
            case ProposalMessage proposal:
                WriteProposal(writer, proposal.Proposal);
                WriteBlock(writer, proposal.Header, proposal.Transactions);
                break;
            case CommitRequest request:
                writer.WriteUInt64(request.Height);
                break;
            case CompactProposalMessage compact:
                WriteProposal(writer, compact.Proposal);
                writer.WriteBytes(compact.Header.Encode());
                writer.WriteCount(compact.TransactionIds.Count);
                foreach (var id in compact.TransactionIds)
                {
                    writer.WriteHash(id);
                }

                break;
            case ProposalRequest request:
                writer.WriteUInt64(request.Height);
                writer.WriteUInt32(request.Round);
                writer.WriteHash(request.BlockHash);
                break;
            case CommitResponse response:
                WriteBlock(writer, response.Header, response.Transactions);
                writer.WriteBytes(response.Certificate.Encode());
                break;
            default:
                throw new ArgumentException($"Unknown consensus message {message.GetType().Name}.", nameof(message));
        }

        Invariant.Check(writer.Length <= MaxMessageBytes, "an encoded message fits the decoder's limit");
        return writer.ToArray();
    }

    /// <summary>Decodes a message strictly; throws <see cref="DecodingException"/>.</summary>
    public static ConsensusMessage Decode(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length > MaxMessageBytes)
        {
            throw new DecodingException($"A consensus message of {encoded.Length} bytes exceeds the limit of {MaxMessageBytes}.");
        }

        var reader = new CanonicalReader(encoded);
        var type = (ConsensusMessageType)reader.ReadByte();
        if (type == ConsensusMessageType.Vote && encoded.Length > MaxVoteBytes)
        {
            throw new DecodingException($"A vote message of {encoded.Length} bytes exceeds the limit of {MaxVoteBytes}.");
        }

        var version = reader.ReadByte();
        if (version != CurrentVersion)
        {
            throw new DecodingException($"Unknown consensus message version {version}.");
        }

        ConsensusMessage message;
        switch (type)
        {
            case ConsensusMessageType.Vote:
                message = new VoteMessage(ReadVote(ref reader));
                break;
            case ConsensusMessageType.Proposal:
                {
                    var proposal = ReadProposal(ref reader);
                    var (header, transactions) = ReadBlock(ref reader);
                    if (header.Height != proposal.Height)
                    {
                        throw new DecodingException("The proposed block's height is not the proposal's.");
                    }

                    message = new ProposalMessage(proposal, header, transactions);
                    break;
                }

            case ConsensusMessageType.CommitRequest:
                message = new CommitRequest(reader.ReadUInt64());
                break;
            case ConsensusMessageType.CompactProposal:
                {
                    var proposal = ReadProposal(ref reader);
                    var header = BlockHeader.Decode(reader.ReadBytesSpan(MaxHeaderBytes));
                    if (header.Height != proposal.Height)
                    {
                        throw new DecodingException("The proposed block's height is not the proposal's.");
                    }

                    var count = reader.ReadCount(Limits.MaxTransactionsPerBlock);
                    if (count != header.TransactionCount)
                    {
                        throw new DecodingException($"The header counts {header.TransactionCount} transaction(s), the message names {count}.");
                    }

                    var ids = new Hash[count];
                    for (var i = 0; i < count; i++)
                    {
                        ids[i] = reader.ReadHash();
                    }

                    message = new CompactProposalMessage(proposal, header, ids);
                    break;
                }

            case ConsensusMessageType.ProposalRequest:
                message = new ProposalRequest(reader.ReadUInt64(), reader.ReadUInt32(), reader.ReadHash());
                break;
            case ConsensusMessageType.CommitResponse:
                {
                    var (header, transactions) = ReadBlock(ref reader);
                    var certificate = CommitCertificate.Decode(reader.ReadBytesSpan(MaxCertificateBytes));
                    if (certificate.Height != header.Height)
                    {
                        throw new DecodingException("The certificate's height is not the block's.");
                    }

                    message = new CommitResponse(header, transactions, certificate);
                    break;
                }

            default:
                throw new DecodingException($"Unknown consensus message type {(byte)type}.");
        }

        reader.EnsureEnd();
        return message;
    }

    private static void WriteVote(CanonicalWriter writer, SignedVote vote)
    {
        writer.WriteHash(vote.Validator);
        writer.WriteByte((byte)vote.Type);
        writer.WriteUInt64(vote.Height);
        writer.WriteUInt32(vote.Round);
        writer.WriteHash(vote.BlockHash);
        writer.WriteBytes(vote.Signature);
    }

    private static SignedVote ReadVote(ref CanonicalReader reader)
    {
        var validator = reader.ReadHash();
        var type = (VoteType)reader.ReadByte();
        if (!Enum.IsDefined(type))
        {
            throw new DecodingException($"Unknown vote type {(byte)type}.");
        }

        return new SignedVote(validator, type, reader.ReadUInt64(), reader.ReadUInt32(), reader.ReadHash(), reader.ReadBytes(Limits.MaxSignatureBytes));
    }

    private static void WriteProposal(CanonicalWriter writer, SignedProposal proposal)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(proposal.ProofOfLockRound, -1);
        writer.WriteHash(proposal.Proposer);
        writer.WriteUInt64(proposal.Height);
        writer.WriteUInt32(proposal.Round);
        writer.WriteHash(proposal.BlockHash);
        writer.WriteBoolean(proposal.ProofOfLockRound >= 0);
        if (proposal.ProofOfLockRound >= 0)
        {
            writer.WriteUInt32((uint)proposal.ProofOfLockRound);
        }

        writer.WriteBytes(proposal.Signature);
    }

    private static SignedProposal ReadProposal(ref CanonicalReader reader)
    {
        var proposer = reader.ReadHash();
        var height = reader.ReadUInt64();
        var round = reader.ReadUInt32();
        var blockHash = reader.ReadHash();
        var proofOfLockRound = -1;
        if (reader.ReadBoolean())
        {
            var value = reader.ReadUInt32();
            if (value >= round || value > int.MaxValue)
            {
                throw new DecodingException("A proof-of-lock round must lie before the proposal's round.");
            }

            proofOfLockRound = (int)value;
        }

        return new SignedProposal(proposer, height, round, blockHash, proofOfLockRound, reader.ReadBytes(Limits.MaxSignatureBytes));
    }

    private static void WriteBlock(CanonicalWriter writer, BlockHeader header, IReadOnlyList<Transaction> transactions)
    {
        writer.WriteBytes(header.Encode());
        writer.WriteCount(transactions.Count);
        foreach (var transaction in transactions)
        {
            writer.WriteBytes(transaction.Encoded.Span);
        }
    }

    private static (BlockHeader Header, List<Transaction> Transactions) ReadBlock(ref CanonicalReader reader)
    {
        var header = BlockHeader.Decode(reader.ReadBytesSpan(MaxHeaderBytes));
        var count = reader.ReadCount(Limits.MaxTransactionsPerBlock);
        if (count != header.TransactionCount)
        {
            throw new DecodingException($"The header counts {header.TransactionCount} transaction(s), the message carries {count}.");
        }

        var transactions = new List<Transaction>(Math.Min(count, 1024));
        long bytes = 0;
        for (var i = 0; i < count; i++)
        {
            var encoded = reader.ReadBytesSpan(Limits.MaxTransactionBytes);
            bytes += encoded.Length;
            if (bytes > Limits.MaxBlockBytes)
            {
                throw new DecodingException($"The block's transactions exceed {Limits.MaxBlockBytes} bytes.");
            }

            transactions.Add(Transaction.Decode(encoded));
        }

        return (header, transactions);
    }
}
