using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Network;

namespace MedLedger.Node.Consortium;

/// <summary>
/// The node's application messages on the peer network (docs/network.md, "Node message types"): their codes, how they
/// travel and their limits, and the encodings of the block-sync and status messages. Transactions are the ledger's own
/// encoding; proposals and votes are <see cref="ConsensusMessageCodec"/>'s. Codes and encodings are frozen.
/// </summary>
public static class PeerProtocol
{
    /// <summary>A transaction admitted to the sender's mempool (gossip: relayed once by every node that admits it).</summary>
    public const byte TransactionType = 16;

    /// <summary>A signed proposal with its block (direct: the engine re-sends its own messages, so relaying is not needed).</summary>
    public const byte ProposalType = 17;

    /// <summary>A signed prevote or precommit (direct).</summary>
    public const byte VoteType = 18;

    /// <summary>A block-sync request: committed blocks from a height (direct).</summary>
    public const byte BlocksRequestType = 19;

    /// <summary>A block-sync response: consecutive committed blocks with their certificates (direct).</summary>
    public const byte BlocksResponseType = 20;

    /// <summary>The sender's committed height (direct), sent on connect and after each commit.</summary>
    public const byte StatusType = 21;

    /// <summary>
    /// Many transactions admitted to the sender's mempool, in one frame (direct: the receiving node relays what it newly
    /// admits in batches of its own). Replaces one <see cref="TransactionType"/> frame per transaction and peer.
    /// </summary>
    public const byte TransactionBatchType = 22;

    /// <summary>A signed proposal with its block's header and transaction ids (direct; see <see cref="CompactProposalMessage"/>).</summary>
    public const byte CompactProposalType = 23;

    /// <summary>Asks the proposer for the full proposal (type <see cref="ProposalType"/>) of a compact one (direct).</summary>
    public const byte ProposalRequestType = 24;

    /// <summary>Most transactions in one batch frame.</summary>
    public const int MaxTransactionsPerBatch = 4096;

    /// <summary>Largest batch payload accepted: a full batch of the largest transactions would exceed it, so senders also stop at this size.</summary>
    public const int MaxTransactionBatchBytes = 4 * 1024 * 1024;

    /// <summary>Most blocks in one block-sync response.</summary>
    public const int MaxBlocksPerResponse = 256;

    /// <summary>
    /// Most payload bytes a server puts in one response (a single larger block is still sent alone): large enough that
    /// a round trip per batch costs little, small enough to stay well under the send queue's byte limit.
    /// </summary>
    public const int ResponseTargetBytes = 8 * 1024 * 1024;

    /// <summary>Largest frame the node's network accepts: the largest consensus message plus room for framing.</summary>
    public const int MaxFrameBytes = ConsensusMessageCodec.MaxMessageBytes + (64 * 1024);

    private const byte Version = 1;

    /// <summary>The message types the node registers with its <see cref="PeerNetwork"/>.</summary>
    public static IReadOnlyList<MessageTypeDefinition> MessageTypes { get; } =
    [
        new(TransactionType, "transaction", MessageDelivery.Gossip, Limits.MaxTransactionBytes),
        new(ProposalType, "proposal", MessageDelivery.Direct, ConsensusMessageCodec.MaxMessageBytes),
        new(VoteType, "vote", MessageDelivery.Direct, ConsensusMessageCodec.MaxVoteBytes),
        new(BlocksRequestType, "blocks-request", MessageDelivery.Direct, 16),
        new(BlocksResponseType, "blocks-response", MessageDelivery.Direct, MaxFrameBytes - 1),
        new(StatusType, "status", MessageDelivery.Direct, 16),
        new(TransactionBatchType, "transaction-batch", MessageDelivery.Direct, MaxTransactionBatchBytes),
        new(CompactProposalType, "compact-proposal", MessageDelivery.Direct, ConsensusMessageCodec.MaxCompactProposalBytes),
        new(ProposalRequestType, "proposal-request", MessageDelivery.Direct, ConsensusMessageCodec.ProposalRequestBytes),
    ];

    /// <summary>Bytes a transaction adds to a batch payload (its length prefix and encoding).</summary>
    public static int BatchEntryBytes(Transaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        return 4 + transaction.EncodedLength;
    }

    /// <summary>Bytes of a batch payload before its transactions (version and count).</summary>
    public const int BatchOverheadBytes = 1 + 4;

    /// <summary>
    /// Batch: version, count (1..<see cref="MaxTransactionsPerBatch"/>), then each transaction's encoding (length-prefixed).
    /// The caller keeps within <see cref="MaxTransactionBatchBytes"/> (<see cref="BatchEntryBytes"/>).
    /// </summary>
    public static byte[] EncodeTransactionBatch(IReadOnlyList<Transaction> transactions)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        ArgumentOutOfRangeException.ThrowIfZero(transactions.Count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(transactions.Count, MaxTransactionsPerBatch);
        var size = BatchOverheadBytes + transactions.Sum(BatchEntryBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, MaxTransactionBatchBytes);
        var writer = new CanonicalWriter(size);
        writer.WriteByte(Version);
        writer.WriteCount(transactions.Count);
        foreach (var transaction in transactions)
        {
            writer.WriteBytes(transaction.Encoded.Span);
        }

        return writer.ToArray();
    }

    /// <summary>
    /// Decodes a batch strictly: a known version, 1..<see cref="MaxTransactionsPerBatch"/> transactions that each decode,
    /// no trailing bytes. Any flaw refuses the whole batch (<see cref="DecodingException"/>): a well-behaved node never
    /// sends one, so the sender is treated as sending garbage.
    /// </summary>
    public static IReadOnlyList<Transaction> DecodeTransactionBatch(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxTransactionBatchBytes)
        {
            throw new DecodingException($"a transaction batch of {payload.Length} bytes exceeds {MaxTransactionBatchBytes}");
        }

        var reader = new CanonicalReader(payload);
        RequireVersion(reader.ReadByte());
        var count = reader.ReadCount(MaxTransactionsPerBatch);
        if (count == 0)
        {
            throw new DecodingException("a transaction batch holds at least one transaction");
        }

        var transactions = new Transaction[count];
        for (var i = 0; i < count; i++)
        {
            transactions[i] = Transaction.Decode(reader.ReadBytesSpan(Limits.MaxTransactionBytes));
        }

        reader.EnsureEnd();
        return transactions;
    }

    /// <summary>
    /// Rebuilds the block of a compact proposal from transactions this node holds (<paramref name="find"/>, by id).
    /// <see cref="CompactProposalResult.Block"/> is the full proposal when every transaction was found and together they
    /// match the header's transactions root; <see cref="CompactProposalResult.Missing"/> counts those not held (ask the
    /// proposer for the full proposal); <see cref="CompactProposalResult.Invalid"/> says why the message is a lie (the
    /// header does not hash to the proposed hash, or the named transactions do not make the header's root).
    /// </summary>
    public static CompactProposalResult RebuildProposal(CompactProposalMessage compact, Func<Hash, Transaction?> find, ICryptoSuite suite)
    {
        ArgumentNullException.ThrowIfNull(compact);
        ArgumentNullException.ThrowIfNull(find);
        ArgumentNullException.ThrowIfNull(suite);
        if (compact.Header.ComputeHash(suite) != compact.Proposal.BlockHash)
        {
            return new CompactProposalResult(null, 0, "a compact proposal whose header does not hash to the proposed hash");
        }

        var transactions = new Transaction[compact.TransactionIds.Count];
        var missing = 0;
        for (var i = 0; i < transactions.Length; i++)
        {
            var found = find(compact.TransactionIds[i]);
            if (found is null)
            {
                missing++;
            }
            else
            {
                transactions[i] = found;
            }
        }

        if (missing > 0)
        {
            return new CompactProposalResult(null, missing, null);
        }

        // The ids are only names: what counts is that the transactions found under them make the header's root (an id
        // is the hash of a transaction's encoding, so an honest proposer's ids always do).
        if (transactions.Length != compact.Header.TransactionCount || Block.ComputeTransactionsRoot(suite, transactions) != compact.Header.TransactionsRoot)
        {
            return new CompactProposalResult(null, 0, "a compact proposal whose transactions do not match its header's transactions root");
        }

        return new CompactProposalResult(new ProposalMessage(compact.Proposal, compact.Header, transactions), 0, null);
    }

    /// <summary>Request: version, first height wanted (≥ 1).</summary>
    public static byte[] EncodeBlocksRequest(ulong fromHeight)
    {
        var writer = new CanonicalWriter(16);
        writer.WriteByte(Version);
        writer.WriteUInt64(fromHeight);
        return writer.ToArray();
    }

    /// <summary>Decodes a request; throws <see cref="DecodingException"/>.</summary>
    public static ulong DecodeBlocksRequest(ReadOnlySpan<byte> payload)
    {
        var reader = new CanonicalReader(payload);
        RequireVersion(reader.ReadByte());
        var height = reader.ReadUInt64();
        reader.EnsureEnd();
        return height >= 1 ? height : throw new DecodingException("block sync starts at height 1");
    }

    /// <summary>
    /// Response: version, a flag saying whether the server holds blocks after the last one sent, a count, then each block
    /// as a <see cref="CommitResponse"/> encoding (length-prefixed). Blocks are consecutive from the requested height.
    /// </summary>
    public static byte[] EncodeBlocksResponse(IReadOnlyList<Block> blocks, bool more)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var encoded = blocks.Select(b => ConsensusMessageCodec.Encode(new CommitResponse(b.Header, b.Transactions, b.Certificate))).ToList();
        var writer = new CanonicalWriter(16 + encoded.Sum(e => e.Length + 4));
        writer.WriteByte(Version);
        writer.WriteBoolean(more);
        writer.WriteCount(encoded.Count);
        foreach (var block in encoded)
        {
            writer.WriteBytes(block);
        }

        return writer.ToArray();
    }

    /// <summary>Decodes a response strictly (consecutive heights, each header hashing to its certificate); throws <see cref="DecodingException"/>.</summary>
    public static (IReadOnlyList<Block> Blocks, bool More) DecodeBlocksResponse(ReadOnlySpan<byte> payload, ICryptoSuite suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var reader = new CanonicalReader(payload);
        RequireVersion(reader.ReadByte());
        var more = reader.ReadBoolean();
        var count = reader.ReadCount(MaxBlocksPerResponse);
        var blocks = new List<Block>(count);
        for (var i = 0; i < count; i++)
        {
            if (ConsensusMessageCodec.Decode(reader.ReadBytesSpan(ConsensusMessageCodec.MaxMessageBytes)) is not CommitResponse response)
            {
                throw new DecodingException("a block-sync response holds only committed blocks");
            }

            if (i > 0 && response.Header.Height != blocks[i - 1].Header.Height + 1)
            {
                throw new DecodingException("block-sync blocks are consecutive");
            }

            if (response.Certificate.Height != response.Header.Height || response.Header.ComputeHash(suite) != response.Certificate.BlockHash)
            {
                throw new DecodingException("a block's certificate names another block");
            }

            // The certificate covers the header only; the body must be the one the header commits to, or a peer could
            // pair a real certificate with other transactions.
            if (response.Transactions.Count != response.Header.TransactionCount || Block.ComputeTransactionsRoot(suite, response.Transactions) != response.Header.TransactionsRoot)
            {
                throw new DecodingException("a block's transactions do not match its header's transactions root");
            }

            blocks.Add(new Block(response.Header, response.Transactions, response.Certificate));
        }

        reader.EnsureEnd();
        return (blocks, more);
    }

    /// <summary>Status: version, committed height.</summary>
    public static byte[] EncodeStatus(ulong height)
    {
        var writer = new CanonicalWriter(16);
        writer.WriteByte(Version);
        writer.WriteUInt64(height);
        return writer.ToArray();
    }

    /// <summary>Decodes a status; throws <see cref="DecodingException"/>.</summary>
    public static ulong DecodeStatus(ReadOnlySpan<byte> payload)
    {
        var reader = new CanonicalReader(payload);
        RequireVersion(reader.ReadByte());
        var height = reader.ReadUInt64();
        reader.EnsureEnd();
        return height;
    }

    private static void RequireVersion(byte version)
    {
        if (version != Version)
        {
            throw new DecodingException($"unknown peer message version {version}");
        }
    }
}

/// <summary>The outcome of <see cref="PeerProtocol.RebuildProposal"/>: the full proposal, a count of missing transactions, or why it is invalid.</summary>
public sealed record CompactProposalResult(ProposalMessage? Block, int Missing, string? Invalid);
