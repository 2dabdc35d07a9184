using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Storage;

/// <summary>
/// Durable storage of a node's chain: committed blocks with their transactions and certificates, and the
/// committed state. <see cref="SaveBlock"/> is atomic: after a crash at any point the store holds either the
/// whole block with its state changes or nothing of it. Implemented by SQLite (default) and, later, PostgreSQL.
/// Readers may run concurrently with the single writer (the consensus driver).
/// </summary>
public interface IChainStore : IDisposable
{
    /// <summary>Height of the last committed block; 0 when only genesis exists.</summary>
    ulong Height { get; }

    /// <summary>
    /// Binds the store to a chain: records the genesis hash on first use, and afterwards throws
    /// <see cref="StoreCorruptedException"/> if the store belongs to another genesis.
    /// </summary>
    void Initialize(Hash genesisHash);

    /// <summary>
    /// Binds the store to the chain of <paramref name="genesis"/> like <see cref="Initialize(Hash)"/>, and while
    /// no block is stored also writes the state genesis creates (accounts, validator set), in one transaction.
    /// <see cref="SaveBlock"/> persists only each block's changes, so a store that is to restore a
    /// <c>LedgerStateMachine</c> from <see cref="LoadState"/> must be initialised this way: with the hash alone
    /// the genesis entries would be missing and the restored state would not match any block's state root.
    /// </summary>
    void Initialize(GenesisDocument genesis);

    /// <summary>
    /// Saves a committed block, its transactions, its certificate and the state changes it made, in one
    /// durable transaction. The block's height must be <see cref="Height"/> + 1.
    /// </summary>
    void SaveBlock(Block block, WriteSet changes);

    /// <summary>The block at <paramref name="height"/> decoded, or null if none. Throws <see cref="StoreCorruptedException"/> on undecodable bytes.</summary>
    Block? LoadBlock(ulong height);

    /// <summary>The header of the block at <paramref name="height"/>, or null.</summary>
    BlockHeader? LoadHeader(ulong height);

    /// <summary>The stored bytes of a block exactly as written, for verification; null if none.</summary>
    StoredBlock? LoadStoredBlock(ulong height);

    /// <summary>Where a committed transaction sits, or null.</summary>
    TransactionLocation? FindTransaction(Hash transactionId);

    /// <summary>Every committed state entry (in no particular order).</summary>
    IEnumerable<KeyValuePair<byte[], byte[]>> LoadState();
}

/// <summary>A committed transaction's block height and index within the block.</summary>
public sealed record TransactionLocation(ulong Height, int Index);

/// <summary>
/// A block's stored bytes: the hash recorded at write time, the encoded header and certificate, and each
/// transaction's id (as recorded) and encoding, in block order.
/// </summary>
public sealed record StoredBlock(ulong Height, Hash RecordedHash, byte[] Header, byte[] Certificate, IReadOnlyList<StoredTransaction> Transactions);

/// <summary>A stored transaction: the id recorded at write time and its encoding.</summary>
public sealed record StoredTransaction(Hash RecordedId, byte[] Encoded);

/// <summary>The store's contents are inconsistent or undecodable: it was altered or damaged outside the node.</summary>
public sealed class StoreCorruptedException : Exception
{
    public StoreCorruptedException(string message)
        : base(message)
    {
    }

    public StoreCorruptedException()
    {
    }

    public StoreCorruptedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
