using System.Runtime.InteropServices;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using Microsoft.Data.Sqlite;

namespace MedLedger.Storage;

/// <summary>
/// The embedded chain store (ARCHITECTURE §8): one SQLite file in WAL mode with <c>synchronous=FULL</c>, so a
/// block that <see cref="SaveBlock"/> returned from survives a crash or a power loss, and a crash during a save
/// leaves the previous commit (SQLite rolls the unfinished transaction back when the file is next opened).
/// <para>Schema (version 1):</para>
/// <code>
/// meta(id INTEGER PRIMARY KEY CHECK (id = 1),       -- exactly one row
///      schema_version INTEGER NOT NULL,             -- 1
///      genesis_hash BLOB,                           -- 32 bytes; NULL until Initialize
///      height INTEGER NOT NULL)                     -- height of the last saved block, 0 at genesis
/// blocks(height INTEGER PRIMARY KEY,                -- 1, 2, 3, ... without gaps
///        hash BLOB NOT NULL,                        -- header.ComputeHash(suite), as computed at write time
///        header BLOB NOT NULL,                      -- BlockHeader.Encode()
///        certificate BLOB NOT NULL)                 -- CommitCertificate.Encode()
/// transactions(id BLOB PRIMARY KEY,                 -- Transaction.ComputeId(suite), as computed at write time
///              height INTEGER NOT NULL,             -- the block that holds it
///              position INTEGER NOT NULL,           -- its index in the block, from 0
///              body BLOB NOT NULL)                  -- Transaction.Encoded
///   UNIQUE INDEX transactions_by_position ON transactions(height, position)
/// state(key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID   -- the committed state, genesis included
/// </code>
/// <para>
/// Threads: one writer (the consensus driver) and any number of readers. Writes go through one connection under
/// a lock, with statements prepared once and reused. Each read opens a pooled read-only connection and reads one
/// consistent WAL snapshot, so readers never wait for the writer and never see half a block. <see cref="Height"/>
/// is kept in memory and moves only after a save has committed. A background thread with its own connection
/// checkpoints the WAL into the database file after each save, so that copy is not on the consensus path.
/// </para>
/// <para>
/// Data is checked on both sides of the disk: before writing, that the certificate, transaction count and
/// transactions root belong to the header and that the block links to the last saved one (a mismatch is a bug in
/// the caller and stops the process through <see cref="Invariant"/>); after reading, that every hash and id still
/// matches what was recorded (a mismatch means the file was altered or damaged: <see cref="StoreCorruptedException"/>).
/// </para>
/// </summary>
public sealed class SqliteChainStore : IChainStore
{
    /// <summary>The schema version this build creates and reads.</summary>
    public const int SchemaVersion = 1;

    private const string CreateSchemaSql = """
        CREATE TABLE IF NOT EXISTS meta (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            schema_version INTEGER NOT NULL,
            genesis_hash BLOB,
            height INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS blocks (
            height INTEGER PRIMARY KEY,
            hash BLOB NOT NULL,
            header BLOB NOT NULL,
            certificate BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS transactions (
            id BLOB PRIMARY KEY,
            height INTEGER NOT NULL,
            position INTEGER NOT NULL,
            body BLOB NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS transactions_by_position ON transactions (height, position);
        CREATE TABLE IF NOT EXISTS state (
            key BLOB PRIMARY KEY,
            value BLOB NOT NULL) WITHOUT ROWID;
        INSERT OR IGNORE INTO meta (id, schema_version, genesis_hash, height) VALUES (1, 1, NULL, 0);
        """;

    // The writer checkpoints by itself only when the WAL reaches this many pages (64 MiB of 4 KiB pages), i.e.
    // when the background checkpointer has fallen far behind; normally the WAL stays near one block's size.
    private const int BackstopCheckpointPages = 16_384;

    // SQLITE_CORRUPT and SQLITE_NOTADB: the file itself is damaged or is not a database.
    private const int SqliteCorrupt = 11;
    private const int SqliteNotADatabase = 26;

    // Below this many transactions, hashing the root on another thread costs more than it saves.
    private const int ParallelRootThreshold = 256;

    private readonly ICryptoSuite _suite;
    private readonly string _readConnectionString;
    private readonly Lock _writeLock = new();
    private readonly SqliteConnection _writer;
    private readonly SqliteCommand _insertBlock;
    private readonly SqliteCommand _insertTransaction;
    private readonly SqliteCommand _upsertState;
    private readonly SqliteCommand _deleteState;
    private readonly SqliteCommand _updateHeight;
    private readonly SqliteConnection _checkpointer;
    private readonly SqliteCommand _checkpoint;
    private readonly AutoResetEvent _checkpointWanted = new(initialState: false);
    private readonly Thread _checkpointThread;
    private volatile Exception? _checkpointFailure;

    // Written only under _writeLock; _height is also read without it, hence Volatile.
    private ulong _height;
    private Hash? _genesisHash;
    private Hash _lastBlockHash;
    private volatile bool _disposed;

    /// <summary>
    /// Opens the store in the SQLite file at <paramref name="path"/>, creating the file and its schema if needed.
    /// Throws <see cref="StoreCorruptedException"/> when the file is not a readable MedLedger store.
    /// </summary>
    public SqliteChainStore(string path, ICryptoSuite suite)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _suite = suite ?? throw new ArgumentNullException(nameof(suite));
        Path = System.IO.Path.GetFullPath(path);

        // The writer is not pooled, so that disposing the store really closes the file (SQLite then checkpoints
        // and removes the WAL). Readers are pooled and read-only: a read path can never write.
        _writer = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        _readConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = true,
        }.ToString();

        try
        {
            _writer.Open();
            ConfigureWriter();
            ReadMeta();
            _insertBlock = Prepare(
                "INSERT INTO blocks (height, hash, header, certificate) VALUES ($height, $hash, $header, $certificate)",
                ("$height", SqliteType.Integer),
                ("$hash", SqliteType.Blob),
                ("$header", SqliteType.Blob),
                ("$certificate", SqliteType.Blob));
            _insertTransaction = Prepare(
                "INSERT INTO transactions (id, height, position, body) VALUES ($id, $height, $position, $body)",
                ("$id", SqliteType.Blob),
                ("$height", SqliteType.Integer),
                ("$position", SqliteType.Integer),
                ("$body", SqliteType.Blob));
            _upsertState = Prepare(
                "INSERT INTO state (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                ("$key", SqliteType.Blob),
                ("$value", SqliteType.Blob));
            _deleteState = Prepare("DELETE FROM state WHERE key = $key", ("$key", SqliteType.Blob));
            _updateHeight = Prepare("UPDATE meta SET height = $height WHERE id = 1", ("$height", SqliteType.Integer));

            _checkpointer = new SqliteConnection(new SqliteConnectionStringBuilder
            {
                DataSource = Path,
                Mode = SqliteOpenMode.ReadWrite,
                Pooling = false,
            }.ToString());
            _checkpointer.Open();
            _checkpoint = _checkpointer.CreateCommand();
            _checkpoint.CommandText = "PRAGMA synchronous = FULL";
            _checkpoint.ExecuteNonQuery();
            _checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
            _checkpointThread = new Thread(RunCheckpoints) { IsBackground = true, Name = "MedLedger chain store checkpoint" };
            _checkpointThread.Start();
        }
        catch (SqliteException exception) when (IsCorruption(exception))
        {
            _checkpointer?.Dispose();
            _writer.Dispose();
            _checkpointWanted.Dispose();
            throw new StoreCorruptedException($"The chain store {Path} is not a readable SQLite database: {exception.Message}", exception);
        }
        catch
        {
            _checkpointer?.Dispose();
            _writer.Dispose();
            _checkpointWanted.Dispose();
            throw;
        }
    }

    /// <summary>Full path of the SQLite file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public ulong Height => Volatile.Read(ref _height);

    /// <summary>Opens the store in the SQLite file at <paramref name="path"/>; see the constructor.</summary>
    public static SqliteChainStore Open(string path, ICryptoSuite suite) => new(path, suite);

    /// <inheritdoc />
    public void Initialize(Hash genesisHash) => Bind(genesisHash, genesisState: null);

    /// <inheritdoc />
    public void Initialize(GenesisDocument genesis)
    {
        ArgumentNullException.ThrowIfNull(genesis);
        if (genesis.Suite != _suite.Name)
        {
            throw new ArgumentException($"The genesis uses suite '{genesis.Suite}', this store was opened with '{_suite.Name}'.", nameof(genesis));
        }

        Bind(genesis.ComputeHash(_suite), genesis.CreateInitialState(_suite));
    }

    /// <inheritdoc />
    public void SaveBlock(Block block, WriteSet changes)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(changes);
        var header = block.Header;
        var transactions = block.Transactions;

        // Hashing is most of the CPU work of a save and touches nothing shared, so it runs before taking the lock,
        // and the transactions root (a second pass over every transaction) on another core while ids are computed.
        var hash = header.ComputeHash(_suite);
        Invariant.Check(block.Certificate.Height == header.Height && block.Certificate.BlockHash == hash, "a saved block's certificate commits to its header");
        Invariant.Check(header.TransactionCount == transactions.Count, "a saved block holds the transaction count its header names");
        var transactionsRoot = transactions.Count < ParallelRootThreshold
            ? Task.FromResult(Block.ComputeTransactionsRoot(_suite, transactions))
            : Task.Run(() => Block.ComputeTransactionsRoot(_suite, transactions));
        var ids = new byte[transactions.Count][];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = transactions[i].ComputeId(_suite).ToArray();
        }

        // Rows go into the id index in id order: neighbouring inserts then touch neighbouring pages.
        var order = new int[ids.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (x, y) => ids[x].AsSpan().SequenceCompareTo(ids[y]));
        Invariant.Check(transactionsRoot.GetAwaiter().GetResult() == header.TransactionsRoot, "a saved block's transactions hash to its header's transactions root");

        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_checkpointFailure is { } failure)
            {
                throw new IOException($"Checkpointing the WAL of {Path} failed, so the store accepts no more blocks: {failure.Message}", failure);
            }

            if (_genesisHash is null)
            {
                throw new InvalidOperationException("The store is not bound to a chain yet: call Initialize first.");
            }

            if (header.Height != _height + 1)
            {
                throw new InvalidOperationException($"Block {header.Height} cannot be saved: the store is at height {_height}, so the next block is {_height + 1}.");
            }

            Invariant.Check(header.PreviousBlockHash == _lastBlockHash, "a saved block links to the last saved block");

            // One transaction for everything: if any statement fails, disposing it unsaved rolls all of it back.
            using (var transaction = _writer.BeginTransaction())
            {
                var height = (long)header.Height;
                _insertBlock.Transaction = transaction;
                _insertBlock.Parameters[0].Value = height;
                _insertBlock.Parameters[1].Value = hash.ToArray();
                _insertBlock.Parameters[2].Value = header.Encode();
                _insertBlock.Parameters[3].Value = block.Certificate.Encode();
                _insertBlock.ExecuteNonQuery();

                ApplyChanges(transaction, changes);

                _insertTransaction.Transaction = transaction;
                _insertTransaction.Parameters[1].Value = height;
                foreach (var i in order)
                {
                    _insertTransaction.Parameters[0].Value = ids[i];
                    _insertTransaction.Parameters[2].Value = i;
                    _insertTransaction.Parameters[3].Value = AsArray(transactions[i].Encoded);
                    _insertTransaction.ExecuteNonQuery();
                }

                _updateHeight.Transaction = transaction;
                _updateHeight.Parameters[0].Value = height;
                Invariant.Check(_updateHeight.ExecuteNonQuery() == 1, "the meta row exists");

                transaction.Commit();
            }

            _lastBlockHash = hash;
            Volatile.Write(ref _height, header.Height);
            _checkpointWanted.Set();
        }
    }

    /// <inheritdoc />
    public Block? LoadBlock(ulong height)
    {
        var stored = LoadStoredBlock(height);
        return stored is null ? null : DecodeBlock(stored);
    }

    /// <inheritdoc />
    public BlockHeader? LoadHeader(ulong height)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (height is 0 or > long.MaxValue)
        {
            return null;
        }

        try
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT hash, header FROM blocks WHERE height = $height";
            command.Parameters.AddWithValue("$height", (long)height);
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            var recordedHash = ReadHash(reader, 0, height);
            return DecodeHeader(height, recordedHash, reader.GetFieldValue<byte[]>(1));
        }
        catch (SqliteException exception) when (IsCorruption(exception))
        {
            throw Corrupted(height, exception.Message, exception);
        }
    }

    /// <inheritdoc />
    public StoredBlock? LoadStoredBlock(ulong height)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (height is 0 or > long.MaxValue)
        {
            return null;
        }

        try
        {
            using var connection = OpenReader();

            // A deferred transaction makes both selects read the same snapshot.
            using var transaction = connection.BeginTransaction(deferred: true);
            using var blockCommand = connection.CreateCommand();
            blockCommand.CommandText = "SELECT hash, header, certificate FROM blocks WHERE height = $height";
            blockCommand.Parameters.AddWithValue("$height", (long)height);
            Hash recordedHash;
            byte[] header;
            byte[] certificate;
            using (var reader = blockCommand.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return null;
                }

                recordedHash = ReadHash(reader, 0, height);
                header = reader.GetFieldValue<byte[]>(1);
                certificate = reader.GetFieldValue<byte[]>(2);
            }

            using var transactionsCommand = connection.CreateCommand();
            transactionsCommand.CommandText = "SELECT id, body FROM transactions WHERE height = $height ORDER BY position";
            transactionsCommand.Parameters.AddWithValue("$height", (long)height);
            var transactions = new List<StoredTransaction>();
            using (var reader = transactionsCommand.ExecuteReader())
            {
                while (reader.Read())
                {
                    transactions.Add(new StoredTransaction(ReadHash(reader, 0, height), reader.GetFieldValue<byte[]>(1)));
                }
            }

            return new StoredBlock(height, recordedHash, header, certificate, transactions);
        }
        catch (SqliteException exception) when (IsCorruption(exception))
        {
            throw Corrupted(height, exception.Message, exception);
        }
    }

    /// <inheritdoc />
    public TransactionLocation? FindTransaction(Hash transactionId)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT height, position FROM transactions WHERE id = $id";
        command.Parameters.AddWithValue("$id", transactionId.ToArray());
        using var reader = command.ExecuteReader();
        return reader.Read() ? new TransactionLocation((ulong)reader.GetInt64(0), reader.GetInt32(1)) : null;
    }

    /// <summary>
    /// Streams every committed state entry from one snapshot. The read connection is held until the enumeration
    /// ends or is disposed (as <c>foreach</c> and LINQ do when a caller stops early); while it is held, SQLite cannot
    /// checkpoint past that snapshot, so enumerate promptly.
    /// </summary>
    public IEnumerable<KeyValuePair<byte[], byte[]>> LoadState()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Stream();

        IEnumerable<KeyValuePair<byte[], byte[]>> Stream()
        {
            using var connection = OpenReader();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT key, value FROM state";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                yield return new KeyValuePair<byte[], byte[]>(reader.GetFieldValue<byte[]>(0), reader.GetFieldValue<byte[]>(1));
            }
        }
    }

    /// <summary>Closes the file. Pooled read connections are cleared first, so the file can be moved or deleted afterwards.</summary>
    public void Dispose()
    {
        lock (_writeLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _checkpointWanted.Set();
            _checkpointThread.Join();
            _checkpoint.Dispose();
            _checkpointer.Dispose();
            _checkpointWanted.Dispose();
            _insertBlock.Dispose();
            _insertTransaction.Dispose();
            _upsertState.Dispose();
            _deleteState.Dispose();
            _updateHeight.Dispose();
            using (var pooled = new SqliteConnection(_readConnectionString))
            {
                SqliteConnection.ClearPool(pooled);
            }

            // Closed last, so that the writer is the file's last connection and SQLite checkpoints the WAL into it.
            _writer.Dispose();
        }
    }

    private static bool IsCorruption(SqliteException exception) =>
        exception.SqliteErrorCode is SqliteCorrupt or SqliteNotADatabase;

    private static byte[] AsArray(ReadOnlyMemory<byte> memory) =>
        MemoryMarshal.TryGetArray(memory, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : memory.ToArray();

    private static Hash ReadHash(SqliteDataReader reader, int ordinal, ulong height)
    {
        var bytes = reader.GetFieldValue<byte[]>(ordinal);
        return bytes.Length == Hash.Size ? new Hash(bytes) : throw Corrupted(height, $"a recorded hash is {bytes.Length} bytes long, not {Hash.Size}");
    }

    private static StoreCorruptedException Corrupted(ulong height, string reason, Exception? inner = null)
    {
        var message = $"Block {height} in the chain store is corrupted: {reason}.";
        return inner is null ? new StoreCorruptedException(message) : new StoreCorruptedException(message, inner);
    }

    private void ConfigureWriter()
    {
        using var command = _writer.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL";
        var journalMode = command.ExecuteScalar() as string;
        if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"SQLite refused WAL mode for {Path} (journal mode '{journalMode}').");
        }

        // FULL: the WAL is synced at every commit, so an acknowledged block survives power loss. NORMAL would be
        // eight times faster here (DEPENDENCIES.md) but may lose the last commits, which consensus already signed.
        command.CommandText = "PRAGMA synchronous = FULL";
        command.ExecuteNonQuery();
        command.CommandText = "PRAGMA synchronous";
        if (command.ExecuteScalar() is not 2L)
        {
            throw new InvalidOperationException($"SQLite refused synchronous=FULL for {Path}.");
        }

        // A checkpoint copies the WAL into the database file and syncs it: at 10,000 transactions a block that
        // is as long as the commit itself. It runs on a background connection instead (RunCheckpoints), so
        // SaveBlock returns as soon as the commit is durable in the WAL.
        command.CommandText = $"PRAGMA wal_autocheckpoint = {BackstopCheckpointPages}";
        command.ExecuteNonQuery();

        // Transaction ids are random, so each block inserts into pages all over the id index; with the default
        // 2 MiB page cache most of them are read back from the OS (pread) at every block.
        command.CommandText = "PRAGMA cache_size = -65536";
        command.ExecuteNonQuery();

        using var transaction = _writer.BeginTransaction();
        command.Transaction = transaction;
        command.CommandText = CreateSchemaSql;
        command.ExecuteNonQuery();
        transaction.Commit();
    }

    /// <summary>
    /// The background checkpointer: after each commit it copies what it can of the WAL into the database file
    /// (PASSIVE: it never waits for, or blocks, the writer or a reader). A failure stops it and makes the next
    /// <see cref="SaveBlock"/> throw, rather than letting the WAL grow unnoticed.
    /// </summary>
    private void RunCheckpoints()
    {
        while (true)
        {
            _checkpointWanted.WaitOne();
            if (_disposed)
            {
                return;
            }

            try
            {
                _checkpoint.ExecuteNonQuery();
            }
            catch (SqliteException exception)
            {
                _checkpointFailure = exception;
                return;
            }
        }
    }

    private void ReadMeta()
    {
        using var command = _writer.CreateCommand();
        command.CommandText = "SELECT schema_version, genesis_hash, height, (SELECT MAX(height) FROM blocks) FROM meta WHERE id = 1";
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw new StoreCorruptedException($"The chain store {Path} has no meta row.");
        }

        var version = reader.GetInt64(0);
        if (version != SchemaVersion)
        {
            throw new StoreCorruptedException($"The chain store {Path} has schema version {version}; this build reads version {SchemaVersion}.");
        }

        var height = reader.GetInt64(2);
        var maxBlock = reader.IsDBNull(3) ? 0 : reader.GetInt64(3);
        if (height < 0 || height != maxBlock)
        {
            throw new StoreCorruptedException($"The chain store {Path} records height {height} but its last block is {maxBlock}.");
        }

        _height = (ulong)height;
        if (!reader.IsDBNull(1))
        {
            var genesis = reader.GetFieldValue<byte[]>(1);
            if (genesis.Length != Hash.Size)
            {
                throw new StoreCorruptedException($"The chain store {Path} records a genesis hash of {genesis.Length} bytes.");
            }

            _genesisHash = new Hash(genesis);
        }
        else if (_height > 0)
        {
            throw new StoreCorruptedException($"The chain store {Path} holds blocks but no genesis hash.");
        }

        _lastBlockHash = _height == 0 ? _genesisHash.GetValueOrDefault() : LastBlockHashOnOpen();
    }

    private Hash LastBlockHashOnOpen()
    {
        using var command = _writer.CreateCommand();
        command.CommandText = "SELECT hash FROM blocks WHERE height = $height";
        command.Parameters.AddWithValue("$height", (long)_height);
        using var reader = command.ExecuteReader();
        Invariant.Check(reader.Read(), "the last block exists; ReadMeta checked MAX(height)");
        return ReadHash(reader, 0, _height);
    }

    private void Bind(Hash genesisHash, WriteSet? genesisState)
    {
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_genesisHash is { } recorded && recorded != genesisHash)
            {
                throw new StoreCorruptedException($"The chain store {Path} belongs to another chain: its genesis is {recorded}, not {genesisHash}.");
            }

            using (var transaction = _writer.BeginTransaction())
            {
                if (_genesisHash is null)
                {
                    using var command = _writer.CreateCommand();
                    command.Transaction = transaction;
                    command.CommandText = "UPDATE meta SET genesis_hash = $hash WHERE id = 1";
                    command.Parameters.AddWithValue("$hash", genesisHash.ToArray());
                    Invariant.Check(command.ExecuteNonQuery() == 1, "the meta row exists");
                }

                // The genesis state is written once, before any block; an initialisation by hash alone may precede it.
                if (genesisState is not null && _height == 0 && IsStateEmpty(transaction))
                {
                    ApplyChanges(transaction, genesisState);
                }

                transaction.Commit();
            }

            if (_genesisHash is null)
            {
                _genesisHash = genesisHash;
                _lastBlockHash = genesisHash;
            }
        }
    }

    private bool IsStateEmpty(SqliteTransaction transaction)
    {
        using var command = _writer.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT NOT EXISTS (SELECT 1 FROM state)";
        return (long)command.ExecuteScalar()! == 1;
    }

    private void ApplyChanges(SqliteTransaction transaction, WriteSet changes)
    {
        _upsertState.Transaction = transaction;
        _deleteState.Transaction = transaction;
        foreach (var change in changes.Changes)
        {
            if (change.Value is null)
            {
                _deleteState.Parameters[0].Value = change.Key;
                _deleteState.ExecuteNonQuery();
            }
            else
            {
                _upsertState.Parameters[0].Value = change.Key;
                _upsertState.Parameters[1].Value = change.Value;
                _upsertState.ExecuteNonQuery();
            }
        }
    }

    private SqliteCommand Prepare(string sql, params (string Name, SqliteType Type)[] parameters)
    {
        var command = _writer.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, type) in parameters)
        {
            command.Parameters.Add(name, type);
        }

        command.Prepare();
        return command;
    }

    private SqliteConnection OpenReader()
    {
        var connection = new SqliteConnection(_readConnectionString);
        connection.Open();
        return connection;
    }

    private Block DecodeBlock(StoredBlock stored)
    {
        var height = stored.Height;
        try
        {
            var header = DecodeHeader(height, stored.RecordedHash, stored.Header);
            var certificate = CommitCertificate.Decode(stored.Certificate);
            if (certificate.Height != height || certificate.BlockHash != stored.RecordedHash)
            {
                throw Corrupted(height, "its certificate is for another block");
            }

            if (stored.Transactions.Count != header.TransactionCount)
            {
                throw Corrupted(height, $"it holds {stored.Transactions.Count} transactions, its header names {header.TransactionCount}");
            }

            var transactions = new Transaction[stored.Transactions.Count];
            for (var i = 0; i < transactions.Length; i++)
            {
                transactions[i] = Transaction.Decode(stored.Transactions[i].Encoded);
                if (transactions[i].ComputeId(_suite) != stored.Transactions[i].RecordedId)
                {
                    throw Corrupted(height, $"transaction {i} does not hash to its recorded id {stored.Transactions[i].RecordedId.ToShortString()}");
                }
            }

            if (Block.ComputeTransactionsRoot(_suite, transactions) != header.TransactionsRoot)
            {
                throw Corrupted(height, "its transactions do not hash to its header's transactions root");
            }

            return new Block(header, transactions, certificate);
        }
        catch (DecodingException exception)
        {
            throw Corrupted(height, exception.Message, exception);
        }
    }

    private BlockHeader DecodeHeader(ulong height, Hash recordedHash, byte[] encoded)
    {
        BlockHeader header;
        try
        {
            header = BlockHeader.Decode(encoded);
        }
        catch (DecodingException exception)
        {
            throw Corrupted(height, $"its header does not decode: {exception.Message}", exception);
        }

        if (header.Height != height)
        {
            throw Corrupted(height, $"its header names height {header.Height}");
        }

        if (header.ComputeHash(_suite) != recordedHash)
        {
            throw Corrupted(height, $"its header does not hash to the recorded block hash {recordedHash.ToShortString()}");
        }

        return header;
    }
}
