using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Node;

/// <summary>
/// The consensus write-ahead record of the block being decided. The driver writes a proposal here, durably,
/// before the engine may sign for it; if the node dies between signing and saving the block, the restarted node
/// finds the proposal here and decides that same block again instead of a different one, which the double-sign
/// guard would (rightly) refuse to sign.
/// </summary>
public sealed class ProposalJournal
{
    private const byte Version = 1;
    private readonly string _path;
    private readonly ICryptoSuite _suite;

    public ProposalJournal(string path, ICryptoSuite suite)
    {
        _path = path;
        _suite = suite;
    }

    public void Save(BlockHeader header, IReadOnlyList<Transaction> transactions)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(transactions);
        var writer = new CanonicalWriter(1024 + transactions.Sum(t => t.EncodedLength + 4));
        writer.WriteByte(Version);
        writer.WriteBytes(header.Encode());
        writer.WriteCount(transactions.Count);
        foreach (var transaction in transactions)
        {
            writer.WriteBytes(transaction.Encoded.Span);
        }

        writer.WriteHash(_suite.Hash(writer.WrittenSpan));
        SecureFile.WriteAllBytes(_path, writer.WrittenSpan);
    }

    /// <summary>The journalled proposal for <paramref name="height"/>, or null if there is none (or it is damaged).</summary>
    public (BlockHeader Header, IReadOnlyList<Transaction> Transactions)? Load(ulong height)
    {
        if (!File.Exists(_path))
        {
            return null;
        }

        var bytes = File.ReadAllBytes(_path);
        try
        {
            if (bytes.Length < Hash.Size || new Hash(bytes.AsSpan(bytes.Length - Hash.Size)) != _suite.Hash(bytes.AsSpan(0, bytes.Length - Hash.Size)))
            {
                return null;
            }

            var reader = new CanonicalReader(bytes.AsSpan(0, bytes.Length - Hash.Size));
            if (reader.ReadByte() != Version)
            {
                return null;
            }

            var header = BlockHeader.Decode(reader.ReadBytesSpan(4096));
            var count = reader.ReadCount(Limits.MaxTransactionsPerBlock);
            var transactions = new List<Transaction>(count);
            for (var i = 0; i < count; i++)
            {
                transactions.Add(Transaction.Decode(reader.ReadBytesSpan(Limits.MaxTransactionBytes)));
            }

            reader.EnsureEnd();
            return header.Height == height ? (header, transactions) : null;
        }
        catch (DecodingException)
        {
            return null;
        }
    }
}
