using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Node.Consortium;

/// <summary>
/// The durable copy of the BFT engine's lock (<see cref="SaveLock"/>) with the locked block (ADR 0008): a validator that
/// precommitted a block must still be locked on it after a restart, or it could prevote another block and help fork the
/// chain; it also needs the block itself to propose it again. Written to a temporary file, flushed and renamed before the
/// precommit it protects is signed. A damaged file stops the node (it cannot know what it locked on).
/// </summary>
/// <remarks>
/// Format: version byte, height u64, round u32, block hash, count and that many vote encodings
/// (<see cref="ConsensusMessageCodec"/>), the block header (bytes), count and that many transactions (bytes), then the
/// hash of everything before it.
/// </remarks>
public sealed class ConsensusLockFile
{
    private const byte Version = 1;
    private readonly string _path;
    private readonly ICryptoSuite _suite;

    public ConsensusLockFile(string path, ICryptoSuite suite)
    {
        _path = path;
        _suite = suite;
    }

    /// <summary>Saves the lock and its block durably, replacing any earlier lock.</summary>
    public void Save(ConsensusLock consensusLock, BlockHeader header, IReadOnlyList<Transaction> transactions)
    {
        ArgumentNullException.ThrowIfNull(consensusLock);
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(transactions);
        Invariant.Check(header.Height == consensusLock.Height && header.ComputeHash(_suite) == consensusLock.BlockHash, "the saved block is the locked one");
        var writer = new CanonicalWriter(4096 + transactions.Sum(t => t.EncodedLength + 4));
        writer.WriteByte(Version);
        writer.WriteUInt64(consensusLock.Height);
        writer.WriteUInt32(consensusLock.Round);
        writer.WriteHash(consensusLock.BlockHash);
        writer.WriteCount(consensusLock.Prevotes.Count);
        foreach (var vote in consensusLock.Prevotes)
        {
            writer.WriteBytes(ConsensusMessageCodec.Encode(new VoteMessage(vote)));
        }

        writer.WriteBytes(header.Encode());
        writer.WriteCount(transactions.Count);
        foreach (var transaction in transactions)
        {
            writer.WriteBytes(transaction.Encoded.Span);
        }

        writer.WriteHash(_suite.Hash(writer.WrittenSpan));
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        SecureFile.WriteAllBytes(_path, writer.WrittenSpan);
    }

    /// <summary>The saved lock with its block, or null when there is none. Throws <see cref="NodeSetupException"/> when damaged.</summary>
    public (ConsensusLock Lock, BlockHeader Header, IReadOnlyList<Transaction> Transactions)? Load()
    {
        if (!File.Exists(_path))
        {
            return null;
        }

        var bytes = File.ReadAllBytes(_path);
        try
        {
            if (bytes.Length < Hash.Size + 1 || new Hash(bytes.AsSpan(bytes.Length - Hash.Size)) != _suite.Hash(bytes.AsSpan(0, bytes.Length - Hash.Size)))
            {
                throw new DecodingException("checksum mismatch");
            }

            var reader = new CanonicalReader(bytes.AsSpan(0, bytes.Length - Hash.Size));
            if (reader.ReadByte() != Version)
            {
                throw new DecodingException("unknown version");
            }

            var height = reader.ReadUInt64();
            var round = reader.ReadUInt32();
            var blockHash = reader.ReadHash();
            var voteCount = reader.ReadCount(Limits.MaxValidators);
            var votes = new List<SignedVote>(voteCount);
            for (var i = 0; i < voteCount; i++)
            {
                if (ConsensusMessageCodec.Decode(reader.ReadBytesSpan(ConsensusMessageCodec.MaxVoteBytes)) is not VoteMessage vote)
                {
                    throw new DecodingException("a lock holds votes");
                }

                votes.Add(vote.Vote);
            }

            var header = BlockHeader.Decode(reader.ReadBytesSpan(ConsensusMessageCodec.MaxHeaderBytes));
            var count = reader.ReadCount(Limits.MaxTransactionsPerBlock);
            var transactions = new List<Transaction>(count);
            for (var i = 0; i < count; i++)
            {
                transactions.Add(Transaction.Decode(reader.ReadBytesSpan(Limits.MaxTransactionBytes)));
            }

            reader.EnsureEnd();
            if (header.Height != height || header.ComputeHash(_suite) != blockHash)
            {
                throw new DecodingException("the saved block is not the locked one");
            }

            return (new ConsensusLock(height, round, blockHash, votes), header, transactions);
        }
        catch (DecodingException exception)
        {
            throw new NodeSetupException($"The consensus lock '{_path}' is damaged ({exception.Message}); a validator that forgot its lock could help fork the chain.", exception);
        }
    }
}
