using MedLedger.Core;
using Microsoft.Data.Sqlite;

namespace MedLedger.Storage;

/// <summary>
/// Pending writes (table <c>pending_writes</c>): the write requests whose sealed tiers this node holds before the
/// patient answers, by expiry height, so that the chain indexer can find the lapsed ones with one indexed range query
/// and destroy their ciphertext instead of leaving it for ever (docs/offchain-store.md, "Pending writes").
/// </summary>
public sealed partial class SqliteRecordStore
{
    /// <inheritdoc />
    /// <remarks>
    /// The records are queued together, so they share one transaction and one fsync (with any other writes queued at
    /// the time), each under its own savepoint: a record refused as <see cref="PutRecord"/> would refuse it is rolled
    /// back alone, with its pending write, and its exception is its slot of the result.
    /// </remarks>
    public IReadOnlyList<Exception?> PutRecords(IReadOnlyList<StoredRecord> records, IReadOnlyCollection<PendingWrite> pendingWrites)
    {
        ArgumentNullException.ThrowIfNull(records);
        var pending = PendingByRecord(pendingWrites, nameof(pendingWrites));
        foreach (var recordId in pending.Keys)
        {
            if (!records.Any(r => r is not null && r.RecordId == recordId))
            {
                throw new ArgumentException($"The pending write of record {recordId.ToShortString()} names no record of the batch.", nameof(pendingWrites));
            }
        }

        var errors = new Exception?[records.Count];
        var writes = new List<(int Index, QueuedWrite Write)>(records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            try
            {
                ArgumentNullException.ThrowIfNull(record, nameof(records));
                ValidateTiers(record);
                ValidateAddresses(record);
            }
            catch (ArgumentException exception)
            {
                errors[i] = exception;
                continue;
            }

            long? expires = pending.TryGetValue(record.RecordId, out var height) ? height : null;
            writes.Add((i, new QueuedWrite(
                () =>
                {
                    InsertRecord(record);
                    if (expires is { } value)
                    {
                        UpsertPendingWrite(record.RecordId, value);
                    }
                },
                replacesSecrets: false)));
        }

        WriteAll(writes.Select(w => w.Write).ToList());
        foreach (var (index, write) in writes)
        {
            errors[index] = write.Error?.SourceException;
        }

        return errors;
    }

    /// <inheritdoc />
    public void RegisterPendingWrites(IReadOnlyCollection<PendingWrite> pendingWrites)
    {
        var pending = PendingByRecord(pendingWrites, nameof(pendingWrites));
        if (pending.Count == 0)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return;
        }

        Write(() =>
        {
            foreach (var (recordId, expires) in pending)
            {
                UpsertPendingWrite(recordId, expires);
            }
        });
    }

    /// <inheritdoc />
    /// <remarks>
    /// One range scan of the <c>pending_writes_by_expiry</c> index, which holds the record ids too; <paramref name="limit"/>
    /// is clamped to 1..<see cref="MaxQueryLimit"/>. A height above <see cref="long.MaxValue"/> lists every registration.
    /// </remarks>
    public IReadOnlyList<PendingWrite> ExpiredPendingWrites(ulong height, int limit) => Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT record_id, expires_height FROM pending_writes
            WHERE {ExpiredBefore(height)}
            ORDER BY expires_height, record_id
            LIMIT $limit
            """;
        command.Parameters.AddWithValue("$height", (long)Math.Min(height, long.MaxValue));
        command.Parameters.AddWithValue("$limit", Math.Clamp(limit, 1, MaxQueryLimit));
        using var reader = command.ExecuteReader();
        var expired = new List<PendingWrite>();
        while (reader.Read())
        {
            var expires = reader.GetInt64(1);
            if (expires < 0)
            {
                throw Corrupted($"the pending write of record {ReadHash(reader, 0).ToShortString()} has expiry height {expires}");
            }

            expired.Add(new PendingWrite(ReadHash(reader, 0), (ulong)expires));
        }

        return expired;
    });

    /// <inheritdoc />
    /// <remarks>
    /// Destroys as <see cref="Shred"/> does: the rows are deleted under <c>secure_delete</c>, and when anything was
    /// deleted the WAL is checkpointed with <c>TRUNCATE</c> (see <see cref="ShredCheckpointPending"/>) — once for the
    /// whole call, however many records it shreds.
    /// </remarks>
    public IReadOnlyList<Hash> SettlePendingWrites(ulong height, IReadOnlyCollection<Hash> shred, IReadOnlyCollection<Hash> release)
    {
        ArgumentNullException.ThrowIfNull(shred);
        ArgumentNullException.ThrowIfNull(release);
        var toShred = shred.Distinct().ToList();
        var toRelease = release.Distinct().ToList();
        if (toShred.Intersect(toRelease).Any())
        {
            throw new ArgumentException("A pending write cannot be both shredded and released.", nameof(release));
        }

        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var shredded = new List<Hash>();
            Guard(() =>
            {
                using var transaction = _writer.BeginTransaction();
                using var due = _writer.CreateCommand();
                due.CommandText = $"SELECT EXISTS (SELECT 1 FROM pending_writes WHERE record_id = $record AND {ExpiredBefore(height)})";
                var dueRecord = due.Parameters.Add("$record", SqliteType.Blob);
                due.Parameters.AddWithValue("$height", (long)Math.Min(height, long.MaxValue));

                using var delete = _writer.CreateCommand();
                delete.CommandText = "DELETE FROM pending_writes WHERE record_id = $record";
                var deleteRecord = delete.Parameters.Add("$record", SqliteType.Blob);

                foreach (var recordId in toShred.Concat(toRelease))
                {
                    dueRecord.Value = deleteRecord.Value = recordId.ToArray();
                    if ((long)due.ExecuteScalar()! == 0)
                    {
                        continue;
                    }

                    if (toShred.Contains(recordId) && DeleteRecordRows(recordId) > 0)
                    {
                        shredded.Add(recordId);
                    }

                    delete.ExecuteNonQuery();
                }

                transaction.Commit();
            });

            if (shredded.Count > 0)
            {
                _shredCheckpointPending = true;
            }

            RetryShredCheckpoint();
            return shredded;
        }
    }

    // Runs inside a write transaction: registers the pending write, or raises its expiry height (never lowers it).
    private void UpsertPendingWrite(Hash recordId, long expiresHeight)
    {
        using var command = _writer.CreateCommand();
        command.CommandText = """
            INSERT INTO pending_writes (record_id, expires_height) VALUES ($record, $expires)
            ON CONFLICT (record_id) DO UPDATE SET expires_height = MAX(expires_height, excluded.expires_height)
            """;
        command.Parameters.AddWithValue("$record", recordId.ToArray());
        command.Parameters.AddWithValue("$expires", expiresHeight);
        command.ExecuteNonQuery();
    }

    // The pending writes by record id with their expiry as stored (a signed 64-bit integer); refuses null entries, an
    // expiry SQLite cannot hold, and two entries for one record.
    private static Dictionary<Hash, long> PendingByRecord(IReadOnlyCollection<PendingWrite> pendingWrites, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(pendingWrites, parameterName);
        var pending = new Dictionary<Hash, long>(pendingWrites.Count);
        foreach (var write in pendingWrites)
        {
            if (write is null)
            {
                throw new ArgumentException("A pending write is null.", parameterName);
            }

            if (write.ExpiresAtHeight > long.MaxValue)
            {
                throw new ArgumentOutOfRangeException(parameterName, write.ExpiresAtHeight, $"The expiry height of pending write {write.RecordId.ToShortString()} is beyond what the store holds.");
            }

            if (!pending.TryAdd(write.RecordId, (long)write.ExpiresAtHeight))
            {
                throw new ArgumentException($"Record {write.RecordId.ToShortString()} has two pending writes.", parameterName);
            }
        }

        return pending;
    }

    // The condition "expired at $height" (expiry height below it). Every stored expiry is at most long.MaxValue, so at a
    // height beyond that every registration has expired (and $height, which cannot hold it, is not compared).
    private static string ExpiredBefore(ulong height) => height > long.MaxValue ? "1" : "expires_height < $height";
}
