using System.Text;
using MedLedger.Core;
using MedLedger.Ledger;
using Microsoft.Data.Sqlite;

namespace MedLedger.Storage;

/// <summary>The chain index: records by patient and author, and the access log (derived from committed blocks).</summary>
public sealed partial class SqliteRecordStore
{
    private const string IndexedRecordColumns = "record_id, patient, author, organisation, category, created, height, erased";

    private const string AccessColumns = """
        sequence, height, transaction_id, organisation, time, actor, patient, record_id, action, purpose, outcome,
        reason, grant_id, request_hash
        """;

    /// <inheritdoc />
    /// <remarks>
    /// Every record of the batch must carry the batch's height (<see cref="ArgumentException"/>). A record that is
    /// already indexed, or an erasure of a record that is not, means the batch does not follow the indexed chain:
    /// <see cref="InvalidOperationException"/>, and nothing of the batch is written. Erasures apply after the batch's
    /// records, so a record anchored and erased in the same block is indexed as erased. Accesses get increasing
    /// sequence numbers in batch order.
    /// </remarks>
    public void Index(IndexBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Records is null || batch.ErasedRecords is null || batch.Accesses is null)
        {
            throw new ArgumentException("An index batch needs its record, erasure and access lists (they may be empty).", nameof(batch));
        }

        if (batch.Height is 0 or > long.MaxValue)
        {
            throw new ArgumentException($"An index batch cannot have height {batch.Height}.", nameof(batch));
        }

        foreach (var record in batch.Records)
        {
            if (record is null || record.Height != batch.Height || record.Organisation is null)
            {
                throw new ArgumentException($"Every record of the batch at height {batch.Height} must be indexed at that height, with an organisation.", nameof(batch));
            }
        }

        foreach (var (_, organisation, entry) in batch.Accesses)
        {
            if (organisation is null || entry is null)
            {
                throw new ArgumentException("Every access of an index batch needs its organisation and entry.", nameof(batch));
            }
        }

        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (batch.Height != _indexedHeight + 1)
            {
                throw new InvalidOperationException($"Block {batch.Height} cannot be indexed: the index is at height {_indexedHeight}, so the next block is {_indexedHeight + 1}.");
            }

            Guard(() =>
            {
                using var transaction = _writer.BeginTransaction();
                var height = (long)batch.Height;
                InsertRecords(batch.Records);
                MarkErased(batch.ErasedRecords);
                InsertAccesses(height, batch.Accesses);

                using var update = _writer.CreateCommand();
                update.CommandText = "UPDATE meta SET indexed_height = $height WHERE id = 1";
                update.Parameters.AddWithValue("$height", height);
                Invariant.Check(update.ExecuteNonQuery() == 1, "the meta row exists");
                transaction.Commit();
            });

            Volatile.Write(ref _indexedHeight, batch.Height);
            RetryShredCheckpoint();
        }
    }

    /// <summary>
    /// Empties the chain index and sets <see cref="IndexedHeight"/> to 0, so that it can be rebuilt by indexing every
    /// committed block again from height 1 (after a bug in the indexer, or to add a new kind of entry). Stored
    /// records, accounts and the EMPI are kept. Access sequence numbers keep growing from where they were, so a
    /// paging cursor from before the rebuild never names an entry of the rebuilt log.
    /// </summary>
    public void ResetIndex()
    {
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Guard(() =>
            {
                using var transaction = _writer.BeginTransaction();
                using var command = _writer.CreateCommand();
                command.CommandText = "DELETE FROM indexed_records; DELETE FROM access_entries; UPDATE meta SET indexed_height = 0 WHERE id = 1;";
                command.ExecuteNonQuery();
                transaction.Commit();
            });

            Volatile.Write(ref _indexedHeight, 0UL);
            RetryShredCheckpoint();
        }
    }

    /// <inheritdoc />
    /// <remarks>Newest by creation time, then by height, then by record id; <paramref name="limit"/> is clamped to
    /// 1..<see cref="MaxQueryLimit"/>, and at most <see cref="MaxQueryPatients"/> patients may be named.</remarks>
    public IReadOnlyList<IndexedRecord> RecordsOfPatients(IReadOnlyCollection<Hash> patients, int limit)
    {
        ArgumentNullException.ThrowIfNull(patients);
        CheckPatientCount(patients, nameof(patients));
        if (patients.Count == 0)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return [];
        }

        var parameters = new List<(string, object)>();
        var list = PatientList(patients, parameters);
        return ReadRecords($"patient IN ({list})", limit, parameters);
    }

    /// <inheritdoc />
    /// <remarks>Ordered and limited as <see cref="RecordsOfPatients"/>.</remarks>
    public IReadOnlyList<IndexedRecord> RecordsByAuthor(Hash authorUser, int limit) =>
        ReadRecords("author = $author", limit, [("$author", authorUser.ToArray())]);

    /// <inheritdoc />
    /// <remarks>
    /// Every non-null field filters: <see cref="AccessQuery.Patients"/> matches any of its pseudonyms (an empty
    /// collection matches nothing; at most <see cref="MaxQueryPatients"/>), the time bounds are both inclusive, and
    /// <see cref="AccessQuery.BeforeSequence"/> keeps entries with a smaller sequence (pass the last sequence of a page
    /// to get the next). Newest first by sequence; <see cref="AccessQuery.Limit"/> is clamped to
    /// 1..<see cref="MaxQueryLimit"/>.
    /// </remarks>
    public IReadOnlyList<IndexedAccess> QueryAccess(AccessQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var conditions = new List<string>();
        var parameters = new List<(string, object)>();

        void Filter(string condition, string name, object value)
        {
            conditions.Add(condition);
            parameters.Add((name, value));
        }

        if (query.Actor is { } actor)
        {
            Filter("actor = $actor", "$actor", actor.ToArray());
        }

        if (query.Patients is { } patients)
        {
            CheckPatientCount(patients, nameof(query));
            if (patients.Count == 0)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return [];
            }

            conditions.Add($"patient IN ({PatientList(patients, parameters)})");
        }

        if (query.RecordId is { } recordId)
        {
            Filter("record_id = $record", "$record", recordId.ToArray());
        }

        if (query.Outcome is { } outcome)
        {
            Filter("outcome = $outcome", "$outcome", (long)outcome);
        }

        if (query.Purpose is { } purpose)
        {
            Filter("purpose = $purpose", "$purpose", (long)purpose);
        }

        if (query.Action is { } action)
        {
            Filter("action = $action", "$action", (long)action);
        }

        if (query.Organisation is { } organisation)
        {
            Filter("organisation = $organisation", "$organisation", organisation);
        }

        if (query.FromUnixMilliseconds is { } from)
        {
            Filter("time >= $from", "$from", from);
        }

        if (query.ToUnixMilliseconds is { } to)
        {
            Filter("time <= $to", "$to", to);
        }

        if (query.BeforeSequence is { } before)
        {
            Filter("sequence < $before", "$before", before);
        }

        var sql = new StringBuilder("SELECT ").Append(AccessColumns).Append(" FROM access_entries");
        if (conditions.Count > 0)
        {
            sql.Append(" WHERE ").AppendJoin(" AND ", conditions);
        }

        sql.Append(" ORDER BY sequence DESC LIMIT $limit");
        parameters.Add(("$limit", (long)Math.Clamp(query.Limit, 1, MaxQueryLimit)));
        return Read(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql.ToString();
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            using var reader = command.ExecuteReader();
            var accesses = new List<IndexedAccess>();
            while (reader.Read())
            {
                var entry = new AccessLogEntry(
                    reader.GetInt64(4),
                    ReadHash(reader, 5),
                    ReadHash(reader, 6),
                    ReadHash(reader, 7),
                    (AccessAction)reader.GetInt64(8),
                    (AccessPurpose)reader.GetInt64(9),
                    (AccessOutcome)reader.GetInt64(10),
                    (AccessDenialReason)reader.GetInt64(11),
                    ReadHash(reader, 12),
                    ReadHash(reader, 13));
                accesses.Add(new IndexedAccess(reader.GetInt64(0), (ulong)reader.GetInt64(1), ReadHash(reader, 2), reader.GetString(3), entry));
            }

            return accesses;
        });
    }

    private static void CheckPatientCount(IReadOnlyCollection<Hash> patients, string parameterName)
    {
        if (patients.Count > MaxQueryPatients)
        {
            throw new ArgumentException($"A query names at most {MaxQueryPatients} patients, not {patients.Count}.", parameterName);
        }
    }

    /// <summary>Adds one parameter per distinct patient and returns their names, comma-separated, for an IN list.</summary>
    private static string PatientList(IReadOnlyCollection<Hash> patients, List<(string, object)> parameters)
    {
        var names = new List<string>(patients.Count);
        foreach (var patient in patients.Distinct())
        {
            var name = $"$patient{names.Count}";
            names.Add(name);
            parameters.Add((name, patient.ToArray()));
        }

        return string.Join(", ", names);
    }

    private void InsertRecords(IReadOnlyList<IndexedRecord> records)
    {
        using var insert = _writer.CreateCommand();
        insert.CommandText = $"INSERT INTO indexed_records ({IndexedRecordColumns}) VALUES ($record, $patient, $author, $organisation, $category, $created, $height, $erased)";
        var recordId = insert.Parameters.Add("$record", SqliteType.Blob);
        var patient = insert.Parameters.Add("$patient", SqliteType.Blob);
        var author = insert.Parameters.Add("$author", SqliteType.Blob);
        var organisation = insert.Parameters.Add("$organisation", SqliteType.Text);
        var category = insert.Parameters.Add("$category", SqliteType.Integer);
        var created = insert.Parameters.Add("$created", SqliteType.Integer);
        var height = insert.Parameters.Add("$height", SqliteType.Integer);
        var erased = insert.Parameters.Add("$erased", SqliteType.Integer);
        foreach (var record in records)
        {
            recordId.Value = record.RecordId.ToArray();
            patient.Value = record.Patient.ToArray();
            author.Value = record.AuthorUser.ToArray();
            organisation.Value = record.Organisation;
            category.Value = (long)record.Category;
            created.Value = record.CreatedUnixMilliseconds;
            height.Value = (long)record.Height;
            erased.Value = record.Erased ? 1L : 0L;
            try
            {
                insert.ExecuteNonQuery();
            }
            catch (SqliteException exception) when (IsConstraint(exception))
            {
                throw new InvalidOperationException($"Record {record.RecordId.ToShortString()} is already indexed.", exception);
            }
        }
    }

    private void MarkErased(IReadOnlyList<Hash> erasedRecords)
    {
        using var update = _writer.CreateCommand();
        update.CommandText = "UPDATE indexed_records SET erased = 1 WHERE record_id = $record";
        var recordId = update.Parameters.Add("$record", SqliteType.Blob);
        foreach (var erased in erasedRecords)
        {
            recordId.Value = erased.ToArray();
            if (update.ExecuteNonQuery() == 0)
            {
                throw new InvalidOperationException($"Record {erased.ToShortString()} is erased but was never indexed.");
            }
        }
    }

    private void InsertAccesses(long height, IReadOnlyList<(Hash TransactionId, string Organisation, AccessLogEntry Entry)> accesses)
    {
        using var insert = _writer.CreateCommand();
        insert.CommandText = """
            INSERT INTO access_entries (height, transaction_id, organisation, time, actor, patient, record_id, action,
                purpose, outcome, reason, grant_id, request_hash)
            VALUES ($height, $transaction, $organisation, $time, $actor, $patient, $record, $action, $purpose, $outcome,
                $reason, $grant, $request)
            """;
        insert.Parameters.AddWithValue("$height", height);
        var transactionId = insert.Parameters.Add("$transaction", SqliteType.Blob);
        var organisation = insert.Parameters.Add("$organisation", SqliteType.Text);
        var time = insert.Parameters.Add("$time", SqliteType.Integer);
        var actor = insert.Parameters.Add("$actor", SqliteType.Blob);
        var patient = insert.Parameters.Add("$patient", SqliteType.Blob);
        var recordId = insert.Parameters.Add("$record", SqliteType.Blob);
        var action = insert.Parameters.Add("$action", SqliteType.Integer);
        var purpose = insert.Parameters.Add("$purpose", SqliteType.Integer);
        var outcome = insert.Parameters.Add("$outcome", SqliteType.Integer);
        var reason = insert.Parameters.Add("$reason", SqliteType.Integer);
        var grantId = insert.Parameters.Add("$grant", SqliteType.Blob);
        var requestHash = insert.Parameters.Add("$request", SqliteType.Blob);
        foreach (var (transaction, organisationId, entry) in accesses)
        {
            transactionId.Value = transaction.ToArray();
            organisation.Value = organisationId;
            time.Value = entry.TimeUnixMilliseconds;
            actor.Value = entry.Actor.ToArray();
            patient.Value = entry.Patient.ToArray();
            recordId.Value = entry.RecordId.ToArray();
            action.Value = (long)entry.Action;
            purpose.Value = (long)entry.Purpose;
            outcome.Value = (long)entry.Outcome;
            reason.Value = (long)entry.Reason;
            grantId.Value = entry.GrantId.ToArray();
            requestHash.Value = entry.RequestHash.ToArray();
            insert.ExecuteNonQuery();
        }
    }

    private List<IndexedRecord> ReadRecords(string condition, int limit, List<(string, object)> parameters) => Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {IndexedRecordColumns} FROM indexed_records WHERE {condition}
            ORDER BY created DESC, height DESC, record_id LIMIT $limit
            """;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.Parameters.AddWithValue("$limit", (long)Math.Clamp(limit, 1, MaxQueryLimit));
        using var reader = command.ExecuteReader();
        var records = new List<IndexedRecord>();
        while (reader.Read())
        {
            records.Add(new IndexedRecord(
                ReadHash(reader, 0),
                ReadHash(reader, 1),
                ReadHash(reader, 2),
                reader.GetString(3),
                (RecordCategory)reader.GetInt64(4),
                reader.GetInt64(5),
                (ulong)reader.GetInt64(6),
                reader.GetInt64(7) != 0));
        }

        return records;
    });
}
