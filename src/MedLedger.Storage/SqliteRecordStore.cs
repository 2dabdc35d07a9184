using System.Text;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using Microsoft.Data.Sqlite;

namespace MedLedger.Storage;

/// <summary>
/// The embedded off-chain store (ARCHITECTURE §6, §8): one SQLite file (conventionally <c>records.db</c>) in WAL
/// mode with <c>synchronous=FULL</c> and <c>secure_delete=ON</c>, holding the ciphertext and key envelopes of the
/// records this node's organisation holds, the custodial vaults and master patient index of its users, and an
/// index of the chain. The schema and what each column holds in plain form is in <c>docs/offchain-store.md</c>.
/// <para>
/// Threads: one write connection used under a lock (so writes are serialised, whichever thread calls), and pooled
/// read-only connections for reads, each reading one consistent WAL snapshot: readers never wait for the writer and
/// never see half of a <see cref="PutRecord"/>, <see cref="Shred"/> or <see cref="Index"/>.
/// <see cref="IndexedHeight"/> is kept in memory and moves only after an index batch has committed.
/// </para>
/// <para>
/// Shredding: <see cref="Shred"/> deletes a record's ciphertext and envelopes in one transaction; with
/// <c>secure_delete</c> SQLite overwrites the freed cells and pages with zeros, and a <c>TRUNCATE</c> checkpoint then
/// copies the zeroed pages into the database file and empties the WAL, which still held the earlier page images.
/// When a reader's snapshot blocks that checkpoint, <see cref="ShredCheckpointPending"/> stays true and every later
/// write retries it (so does closing the store). Copies outside the file (backups, filesystem snapshots, blocks the
/// filesystem or device has remapped) are beyond its reach; see the document.
/// </para>
/// <para>
/// Reads return what is stored without judging it: a ciphertext that no longer hashes to its address comes back as
/// it is, so that the integrity audit (SPEC F21, over <see cref="EnumerateBlobs"/>) and each reader's check against
/// the on-chain commitment can report and log the mismatch. Structural damage (a hash column that is not 32 bytes,
/// a blob without its envelopes, an unreadable file) throws <see cref="StoreCorruptedException"/>.
/// </para>
/// </summary>
public sealed partial class SqliteRecordStore : IRecordStore
{
    /// <summary>The schema version this build creates and reads.</summary>
    public const int SchemaVersion = 1;

    /// <summary>The most rows one query returns; larger limits are clamped to it, smaller than 1 raised to 1.</summary>
    public const int MaxQueryLimit = 1_000;

    /// <summary>The most patient pseudonyms one query may name.</summary>
    public const int MaxQueryPatients = 1_000;

    private const string CreateSchemaSql = """
        CREATE TABLE IF NOT EXISTS meta (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            schema_version INTEGER NOT NULL,
            indexed_height INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS blobs (
            address BLOB PRIMARY KEY,
            record_id BLOB NOT NULL,
            tier INTEGER NOT NULL,
            ciphertext BLOB NOT NULL,
            UNIQUE (record_id, tier));
        CREATE TABLE IF NOT EXISTS envelopes (
            record_id BLOB NOT NULL,
            tier INTEGER NOT NULL,
            patient_envelope BLOB NOT NULL,
            organisation_envelope BLOB NOT NULL,
            PRIMARY KEY (record_id, tier)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS custodial_accounts (
            username_key TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            user_id BLOB NOT NULL UNIQUE,
            role INTEGER NOT NULL,
            organisation TEXT NOT NULL,
            vault BLOB NOT NULL,
            created INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS empi_entries (
            username_key TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            national_id_token BLOB NOT NULL,
            name_birth_date_token BLOB NOT NULL,
            sealed_demographics BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS empi_by_national_id ON empi_entries (national_id_token);
        CREATE INDEX IF NOT EXISTS empi_by_name_birth_date ON empi_entries (name_birth_date_token);
        CREATE TABLE IF NOT EXISTS empi_pseudonyms (
            pseudonym BLOB PRIMARY KEY,
            username_key TEXT NOT NULL,
            position INTEGER NOT NULL,
            UNIQUE (username_key, position));
        CREATE TABLE IF NOT EXISTS indexed_records (
            record_id BLOB PRIMARY KEY,
            patient BLOB NOT NULL,
            author BLOB NOT NULL,
            organisation TEXT NOT NULL,
            category INTEGER NOT NULL,
            created INTEGER NOT NULL,
            height INTEGER NOT NULL,
            erased INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS records_by_patient ON indexed_records (patient, created, height);
        CREATE INDEX IF NOT EXISTS records_by_author ON indexed_records (author, created, height);
        CREATE TABLE IF NOT EXISTS access_entries (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            height INTEGER NOT NULL,
            transaction_id BLOB NOT NULL,
            organisation TEXT NOT NULL,
            time INTEGER NOT NULL,
            actor BLOB NOT NULL,
            patient BLOB NOT NULL,
            record_id BLOB NOT NULL,
            action INTEGER NOT NULL,
            purpose INTEGER NOT NULL,
            outcome INTEGER NOT NULL,
            reason INTEGER NOT NULL,
            grant_id BLOB NOT NULL,
            request_hash BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS access_by_actor ON access_entries (actor, sequence);
        CREATE INDEX IF NOT EXISTS access_by_patient ON access_entries (patient, sequence);
        CREATE INDEX IF NOT EXISTS access_by_record ON access_entries (record_id, sequence);
        CREATE INDEX IF NOT EXISTS access_by_time ON access_entries (time);
        CREATE INDEX IF NOT EXISTS access_by_outcome ON access_entries (outcome, sequence);
        CREATE TABLE IF NOT EXISTS pending_writes (
            record_id BLOB PRIMARY KEY,
            expires_height INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS pending_writes_by_expiry ON pending_writes (expires_height);
        INSERT OR IGNORE INTO meta (id, schema_version, indexed_height) VALUES (1, 1, 0);
        """;

    // How long the TRUNCATE checkpoint after a shred waits for readers to leave their snapshots. Reads are short
    // (EnumerateBlobs reads in pages), so this is rarely reached; when it is, the checkpoint is retried later.
    private const int CheckpointBusyTimeoutMilliseconds = 1_000;

    // EnumerateBlobs reads at most this many blobs, or this many ciphertext bytes, per snapshot.
    private const int EnumerationPageBlobs = 64;
    private const int EnumerationPageBytes = 4 * 1024 * 1024;

    // SQLite result codes: a constraint failed; the file is damaged or is not a database.
    private const int SqliteConstraint = 19;
    private const int SqliteCorrupt = 11;
    private const int SqliteNotADatabase = 26;

    private readonly ICryptoSuite _suite;
    private readonly string _readConnectionString;
    private readonly Lock _writeLock = new();
    private readonly Lock _queueLock = new();
    private readonly SqliteConnection _writer;

    // Writes waiting for the next group commit (see Write); swapped out under _queueLock.
    private List<QueuedWrite> _queue = [];

    // Written only under _writeLock; _indexedHeight is also read without it, hence Volatile.
    private ulong _indexedHeight;
    private volatile bool _shredCheckpointPending;
    private volatile bool _disposed;

    /// <summary>
    /// Opens the store in the SQLite file at <paramref name="path"/>, creating the file and its schema if needed.
    /// <paramref name="suite"/> is the chain's crypto suite: a blob's address is its hash under it.
    /// Throws <see cref="StoreCorruptedException"/> when the file is not a readable MedLedger record store.
    /// </summary>
    public SqliteRecordStore(string path, ICryptoSuite suite)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _suite = suite ?? throw new ArgumentNullException(nameof(suite));
        Path = System.IO.Path.GetFullPath(path);

        // As in SqliteChainStore: the writer is not pooled, so that disposing the store really closes the file
        // (SQLite then checkpoints and removes the WAL); readers are pooled and read-only.
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
        }
        catch (SqliteException exception) when (IsCorruption(exception))
        {
            _writer.Dispose();
            throw new StoreCorruptedException($"The record store {Path} is not a readable SQLite database: {exception.Message}", exception);
        }
        catch
        {
            _writer.Dispose();
            throw;
        }
    }

    /// <summary>Full path of the SQLite file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public ulong IndexedHeight => Volatile.Read(ref _indexedHeight);

    /// <summary>
    /// True while the WAL may still hold page images of shredded or replaced secrets: the checkpoint after a
    /// <see cref="Shred"/>, <see cref="UpdateVault"/> or <see cref="PutEmpiEntry"/> was blocked by a reader.
    /// Every later write, and closing the store, retries it.
    /// </summary>
    public bool ShredCheckpointPending => _shredCheckpointPending;

    /// <summary>Opens the store in the SQLite file at <paramref name="path"/>; see the constructor.</summary>
    public static SqliteRecordStore Open(string path, ICryptoSuite suite) => new(path, suite);

    /// <inheritdoc />
    /// <remarks>
    /// Every tier needs a defined <see cref="SensitivityTier"/> (each at most once), a non-empty ciphertext whose
    /// suite hash is its address, and non-empty envelopes; otherwise <see cref="ArgumentException"/>, before anything
    /// is written. A tier already held with the same address and envelopes is skipped; one held with different
    /// content, or a ciphertext held for another record or tier, is refused with
    /// <see cref="InvalidOperationException"/>, and then nothing of the record is written.
    /// </remarks>
    public void PutRecord(StoredRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        ValidateTiers(record);

        // Hashing is the CPU work of a put and touches nothing shared, so it runs before taking the write lock.
        ValidateAddresses(record);

        Write(() => InsertRecord(record));
    }

    /// <inheritdoc />
    /// <remarks>
    /// The records are queued together, so they share one transaction and one fsync (with any other writes queued at
    /// the time), each under its own savepoint: a record refused as <see cref="PutRecord"/> would refuse it is rolled
    /// back alone and its exception is its slot of the result.
    /// </remarks>
    public IReadOnlyList<Exception?> PutRecords(IReadOnlyList<StoredRecord> records) => PutRecords(records, []);

    private void InsertRecord(StoredRecord record)
    {
        var recordId = record.RecordId.ToArray();
        foreach (var tier in record.Tiers)
        {
            var address = tier.Address.ToArray();
            using var existing = _writer.CreateCommand();
            existing.CommandText = """
                SELECT b.address, e.patient_envelope, e.organisation_envelope
                FROM blobs b LEFT JOIN envelopes e ON e.record_id = b.record_id AND e.tier = b.tier
                WHERE b.record_id = $record AND b.tier = $tier
                """;
            existing.Parameters.AddWithValue("$record", recordId);
            existing.Parameters.AddWithValue("$tier", (long)tier.Tier);
            using (var reader = existing.ExecuteReader())
            {
                if (reader.Read())
                {
                    var same = reader.GetFieldValue<byte[]>(0).AsSpan().SequenceEqual(address)
                        && !reader.IsDBNull(1) && reader.GetFieldValue<byte[]>(1).AsSpan().SequenceEqual(tier.PatientEnvelope)
                        && !reader.IsDBNull(2) && reader.GetFieldValue<byte[]>(2).AsSpan().SequenceEqual(tier.OrganisationEnvelope);
                    if (!same)
                    {
                        throw new InvalidOperationException($"Record {record.RecordId.ToShortString()} already holds a different {tier.Tier} tier.");
                    }

                    continue;
                }
            }

            using var held = _writer.CreateCommand();
            held.CommandText = "SELECT EXISTS (SELECT 1 FROM blobs WHERE address = $address)";
            held.Parameters.AddWithValue("$address", address);
            if ((long)held.ExecuteScalar()! != 0)
            {
                throw new InvalidOperationException($"The ciphertext {tier.Address.ToShortString()} is already held for another record or tier.");
            }

            using var insertBlob = _writer.CreateCommand();
            insertBlob.CommandText = "INSERT INTO blobs (address, record_id, tier, ciphertext) VALUES ($address, $record, $tier, $ciphertext)";
            insertBlob.Parameters.AddWithValue("$address", address);
            insertBlob.Parameters.AddWithValue("$record", recordId);
            insertBlob.Parameters.AddWithValue("$tier", (long)tier.Tier);
            insertBlob.Parameters.AddWithValue("$ciphertext", tier.Ciphertext);
            insertBlob.ExecuteNonQuery();

            using var insertEnvelopes = _writer.CreateCommand();
            insertEnvelopes.CommandText = """
                INSERT INTO envelopes (record_id, tier, patient_envelope, organisation_envelope)
                VALUES ($record, $tier, $patient, $organisation)
                """;
            insertEnvelopes.Parameters.AddWithValue("$record", recordId);
            insertEnvelopes.Parameters.AddWithValue("$tier", (long)tier.Tier);
            insertEnvelopes.Parameters.AddWithValue("$patient", tier.PatientEnvelope);
            insertEnvelopes.Parameters.AddWithValue("$organisation", tier.OrganisationEnvelope);
            insertEnvelopes.ExecuteNonQuery();
        }
    }

    /// <inheritdoc />
    /// <remarks>The bytes as stored; the caller checks them against the address and the on-chain commitment.</remarks>
    public byte[]? GetBlob(Hash address) => Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT ciphertext FROM blobs WHERE address = $address";
        command.Parameters.AddWithValue("$address", address.ToArray());
        using var reader = command.ExecuteReader();
        return reader.Read() ? reader.GetFieldValue<byte[]>(0) : null;
    });

    /// <inheritdoc />
    /// <remarks>Tiers come in tier order, read from one snapshot.</remarks>
    public IReadOnlyList<StoredTier> GetRecord(Hash recordId) => Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT b.tier, b.address, b.ciphertext, e.patient_envelope, e.organisation_envelope
            FROM blobs b LEFT JOIN envelopes e ON e.record_id = b.record_id AND e.tier = b.tier
            WHERE b.record_id = $record
            ORDER BY b.tier
            """;
        command.Parameters.AddWithValue("$record", recordId.ToArray());
        using var reader = command.ExecuteReader();
        var tiers = new List<StoredTier>();
        while (reader.Read())
        {
            var tier = (SensitivityTier)reader.GetInt64(0);
            if (reader.IsDBNull(3) || reader.IsDBNull(4))
            {
                throw Corrupted($"the {tier} tier of record {recordId.ToShortString()} has ciphertext but no key envelopes");
            }

            tiers.Add(new StoredTier(tier, ReadHash(reader, 1), reader.GetFieldValue<byte[]>(2), reader.GetFieldValue<byte[]>(3), reader.GetFieldValue<byte[]>(4)));
        }

        return tiers;
    });

    /// <summary>
    /// Every held blob, in address order. The blobs are read in pages of a few MiB, each from its own snapshot, so
    /// a slow consumer neither holds a large amount of memory nor keeps the WAL from being checkpointed (which a
    /// <see cref="Shred"/> needs); a blob put or shredded during the enumeration may or may not appear.
    /// The ciphertext is returned as stored, unjudged: comparing it with its address is the audit's job.
    /// </summary>
    public IEnumerable<HeldBlob> EnumerateBlobs()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Stream();

        IEnumerable<HeldBlob> Stream()
        {
            byte[]? after = null;
            while (true)
            {
                var page = ReadBlobPage(after);
                if (page.Count == 0)
                {
                    yield break;
                }

                foreach (var blob in page)
                {
                    yield return blob;
                }

                after = page[^1].Address.ToArray();
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Deletes the ciphertext and both envelopes of every tier in one transaction (SQLite overwrites the freed space
    /// with zeros), then checkpoints the WAL with <c>TRUNCATE</c> so that no earlier page image of the record stays in
    /// it; see <see cref="ShredCheckpointPending"/> for when a reader delays that.
    /// </remarks>
    public bool Shred(Hash recordId)
    {
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var deleted = 0;
            Guard(() =>
            {
                using var transaction = _writer.BeginTransaction();
                deleted = DeleteRecordRows(recordId);
                transaction.Commit();
            });

            if (deleted > 0)
            {
                _shredCheckpointPending = true;
            }

            RetryShredCheckpoint();
            return deleted > 0;
        }
    }

    // Runs inside a write transaction: deletes a record's ciphertexts and envelopes (secure_delete overwrites them);
    // returns how many rows went.
    private int DeleteRecordRows(Hash recordId)
    {
        using var command = _writer.CreateCommand();
        command.Parameters.AddWithValue("$record", recordId.ToArray());
        command.CommandText = "DELETE FROM envelopes WHERE record_id = $record";
        var deleted = command.ExecuteNonQuery();
        command.CommandText = "DELETE FROM blobs WHERE record_id = $record";
        return deleted + command.ExecuteNonQuery();
    }

    /// <summary>
    /// Closes the file. Pooled read connections are cleared first, so that the writer is the file's last connection:
    /// SQLite then checkpoints the WAL into the database file and deletes it (which also completes a pending shred
    /// checkpoint), and the file can be moved or deleted afterwards.
    /// </summary>
    public void Dispose()
    {
        lock (_writeLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            using (var pooled = new SqliteConnection(_readConnectionString))
            {
                SqliteConnection.ClearPool(pooled);
            }

            _writer.Dispose();
        }
    }

    private static bool IsCorruption(SqliteException exception) =>
        exception.SqliteErrorCode is SqliteCorrupt or SqliteNotADatabase;

    private static bool IsConstraint(SqliteException exception) => exception.SqliteErrorCode == SqliteConstraint;

    private static void ValidateTiers(StoredRecord record)
    {
        if (record.Tiers is null || record.Tiers.Count == 0)
        {
            throw new ArgumentException($"Record {record.RecordId.ToShortString()} has no tiers to store.", nameof(record));
        }

        var seenTiers = new HashSet<SensitivityTier>();
        var seenAddresses = new HashSet<Hash>();
        foreach (var tier in record.Tiers)
        {
            if (tier is null)
            {
                throw new ArgumentException($"Record {record.RecordId.ToShortString()} has a null tier.", nameof(record));
            }

            if (tier.Tier == SensitivityTier.None || !Enum.IsDefined(tier.Tier))
            {
                throw new ArgumentException($"Record {record.RecordId.ToShortString()} has an invalid tier {(int)tier.Tier}.", nameof(record));
            }

            if (!seenTiers.Add(tier.Tier))
            {
                throw new ArgumentException($"Record {record.RecordId.ToShortString()} names the {tier.Tier} tier twice.", nameof(record));
            }

            if (!seenAddresses.Add(tier.Address))
            {
                throw new ArgumentException($"Record {record.RecordId.ToShortString()} holds the ciphertext {tier.Address.ToShortString()} in two tiers.", nameof(record));
            }

            if (tier.Ciphertext is not { Length: > 0 } || tier.PatientEnvelope is not { Length: > 0 } || tier.OrganisationEnvelope is not { Length: > 0 })
            {
                throw new ArgumentException($"The {tier.Tier} tier of record {record.RecordId.ToShortString()} lacks its ciphertext or an envelope.", nameof(record));
            }
        }
    }

    private void ValidateAddresses(StoredRecord record)
    {
        foreach (var tier in record.Tiers)
        {
            var actual = _suite.Hash(tier.Ciphertext);
            if (actual != tier.Address)
            {
                throw new ArgumentException($"The {tier.Tier} ciphertext of record {record.RecordId.ToShortString()} hashes to {actual.ToShortString()}, not to its address {tier.Address.ToShortString()}.", nameof(record));
            }
        }
    }

    private List<HeldBlob> ReadBlobPage(byte[]? after) => Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = after is null
            ? "SELECT address, record_id, tier, ciphertext FROM blobs ORDER BY address LIMIT $limit"
            : "SELECT address, record_id, tier, ciphertext FROM blobs WHERE address > $after ORDER BY address LIMIT $limit";
        command.Parameters.AddWithValue("$limit", EnumerationPageBlobs);
        if (after is not null)
        {
            command.Parameters.AddWithValue("$after", after);
        }

        using var reader = command.ExecuteReader();
        var page = new List<HeldBlob>();
        var bytes = 0L;
        while (bytes < EnumerationPageBytes && reader.Read())
        {
            var ciphertext = reader.GetFieldValue<byte[]>(3);
            bytes += ciphertext.Length;
            page.Add(new HeldBlob(ReadHash(reader, 1), (SensitivityTier)reader.GetInt64(2), ReadHash(reader, 0), ciphertext));
        }

        return page;
    });

    private void ConfigureWriter()
    {
        using var command = _writer.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL";
        var journalMode = command.ExecuteScalar() as string;
        if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"SQLite refused WAL mode for {Path} (journal mode '{journalMode}').");
        }

        // FULL: the WAL is synced at every commit, so a stored record, account or index batch survives power loss.
        command.CommandText = "PRAGMA synchronous = FULL";
        command.ExecuteNonQuery();
        command.CommandText = "PRAGMA synchronous";
        if (command.ExecuteScalar() is not 2L)
        {
            throw new InvalidOperationException($"SQLite refused synchronous=FULL for {Path}.");
        }

        // ON: deleted and overwritten content (shredded records, replaced vaults and EMPI entries) is overwritten
        // with zeros in the page, and freed pages are zeroed, instead of lingering in free space. Only the writer
        // deletes, so only the writer needs it.
        command.CommandText = "PRAGMA secure_delete = ON";
        command.ExecuteNonQuery();
        command.CommandText = "PRAGMA secure_delete";
        if (command.ExecuteScalar() is not 1L)
        {
            throw new InvalidOperationException($"SQLite refused secure_delete=ON for {Path}.");
        }

        // Lets the TRUNCATE checkpoint after a shred wait briefly for readers; the writer never waits otherwise,
        // since it is the only connection that writes.
        command.CommandText = $"PRAGMA busy_timeout = {CheckpointBusyTimeoutMilliseconds}";
        command.ExecuteNonQuery();

        using var transaction = _writer.BeginTransaction();
        command.Transaction = transaction;
        command.CommandText = CreateSchemaSql;
        command.ExecuteNonQuery();
        transaction.Commit();
    }

    private void ReadMeta()
    {
        using var command = _writer.CreateCommand();
        command.CommandText = """
            SELECT schema_version, indexed_height,
                (SELECT MAX(height) FROM indexed_records), (SELECT MAX(height) FROM access_entries)
            FROM meta WHERE id = 1
            """;
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw new StoreCorruptedException($"The record store {Path} has no meta row.");
        }

        var version = reader.GetInt64(0);
        if (version != SchemaVersion)
        {
            throw new StoreCorruptedException($"The record store {Path} has schema version {version}; this build reads version {SchemaVersion}.");
        }

        var height = reader.GetInt64(1);
        var maxRecord = reader.IsDBNull(2) ? 0 : reader.GetInt64(2);
        var maxAccess = reader.IsDBNull(3) ? 0 : reader.GetInt64(3);
        if (height < 0 || maxRecord > height || maxAccess > height)
        {
            throw new StoreCorruptedException($"The record store {Path} records indexed height {height} but indexes entries up to height {Math.Max(maxRecord, maxAccess)}.");
        }

        _indexedHeight = (ulong)height;
    }

    /// <summary>
    /// Runs <paramref name="write"/> in a write transaction under the write lock; an exception it throws undoes all of
    /// its changes and reaches the caller. <paramref name="replacesSecrets"/>: the write overwrites sealed data (a vault,
    /// sealed demographics) whose old page images should not stay in the WAL either, so it is followed by the same
    /// checkpoint as a shred.
    /// <para>
    /// Group commit: writers that arrive while another holds the lock queue up, and the next to get the lock commits
    /// everything queued in one transaction, each write under its own savepoint — one fsync for the group instead of
    /// one per upload, and a write that throws is rolled back to its savepoint without touching the others. Every
    /// caller returns only after the transaction holding its write is durable.
    /// </para>
    /// </summary>
    private void Write(Action write, bool replacesSecrets = false)
    {
        var mine = new QueuedWrite(write, replacesSecrets);
        WriteAll([mine]);
        mine.Error?.Throw();
    }

    /// <summary>Queues <paramref name="writes"/> together and returns once each is done (its error, if any, in it).</summary>
    private void WriteAll(List<QueuedWrite> writes)
    {
        if (writes.Count == 0)
        {
            return;
        }

        lock (_queueLock)
        {
            _queue.AddRange(writes);
        }

        lock (_writeLock)
        {
            // The last of ours is queued last, so when it is done all of ours are.
            if (!writes[^1].Done)
            {
                List<QueuedWrite> group;
                lock (_queueLock)
                {
                    group = _queue;
                    _queue = [];
                }

                CommitGroup(group);
            }
        }
    }

    // Runs under _writeLock; marks every write of the group done, with its own error or the group's.
    private void CommitGroup(List<QueuedWrite> group)
    {
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Guard(() =>
            {
                using var transaction = _writer.BeginTransaction();
                foreach (var write in group)
                {
                    transaction.Save("queued_write");
                    try
                    {
                        write.Run();
                        transaction.Release("queued_write");
                    }
                    catch (SqliteException exception) when (IsCorruption(exception))
                    {
                        throw;
                    }
#pragma warning disable CA1031 // The write's own failure goes back to its caller (rethrown in Write); the group goes on.
                    catch (Exception exception)
#pragma warning restore CA1031
                    {
                        transaction.Rollback("queued_write");
                        transaction.Release("queued_write");
                        write.Error = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(exception);
                    }
                }

                transaction.Commit();
            });
        }
#pragma warning disable CA1031 // A failed group (disposed store, corruption, I/O) fails every write in it, each in its caller.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            var error = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(exception);
            foreach (var write in group)
            {
                write.Error ??= error;
                write.Done = true;
            }

            return;
        }

        foreach (var write in group)
        {
            write.Done = true;
            if (write.ReplacesSecrets && write.Error is null)
            {
                _shredCheckpointPending = true;
            }
        }

        RetryShredCheckpoint();
    }

    /// <summary>Runs <paramref name="read"/> on a pooled read-only connection.</summary>
    private T Read<T>(Func<SqliteConnection, T> read)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            using var connection = new SqliteConnection(_readConnectionString);
            connection.Open();
            return read(connection);
        }
        catch (SqliteException exception) when (IsCorruption(exception))
        {
            throw Corrupted(exception.Message, exception);
        }
    }

    private void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (SqliteException exception) when (IsCorruption(exception))
        {
            throw Corrupted(exception.Message, exception);
        }
    }

    /// <summary>
    /// Under the write lock: when a shred's checkpoint is outstanding, copies every WAL frame into the database
    /// file and truncates the WAL to zero bytes. A reader holding an older snapshot makes SQLite give up after
    /// <see cref="CheckpointBusyTimeoutMilliseconds"/>; the checkpoint then stays pending for the next write.
    /// </summary>
    private void RetryShredCheckpoint()
    {
        if (!_shredCheckpointPending)
        {
            return;
        }

        Guard(() =>
        {
            using var command = _writer.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            using var reader = command.ExecuteReader();
            Invariant.Check(reader.Read(), "wal_checkpoint returns one row");
            if (reader.GetInt64(0) == 0)
            {
                _shredCheckpointPending = false;
            }
        });
    }

    private Hash ReadHash(SqliteDataReader reader, int ordinal)
    {
        var bytes = reader.GetFieldValue<byte[]>(ordinal);
        return bytes.Length == Hash.Size
            ? new Hash(bytes)
            : throw Corrupted($"its column {reader.GetName(ordinal)} holds {bytes.Length} bytes, not a {Hash.Size}-byte hash");
    }

    private StoreCorruptedException Corrupted(string reason, Exception? inner = null)
    {
        var message = $"The record store {Path} is corrupted: {reason}.";
        return inner is null ? new StoreCorruptedException(message) : new StoreCorruptedException(message, inner);
    }

    private static int Utf8Length(string text) => Encoding.UTF8.GetByteCount(text);

    /// <summary>A write waiting for, or done by, a group commit; <see cref="Done"/> and <see cref="Error"/> change under the write lock.</summary>
    private sealed class QueuedWrite(Action run, bool replacesSecrets)
    {
        public Action Run { get; } = run;

        public bool ReplacesSecrets { get; } = replacesSecrets;

        public bool Done { get; set; }

        public System.Runtime.ExceptionServices.ExceptionDispatchInfo? Error { get; set; }
    }
}
