using System.Collections.Concurrent;
using System.Diagnostics;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Sharing.Records;
using Microsoft.Data.Sqlite;

namespace MedLedger.Cli;

/// <summary>
/// The baseline of <c>medledger bench records</c>: the same FHIR bundles, sealed by the same code
/// (<see cref="RecordWriter.Prepare"/>: ciphertext and both key envelopes per tier), written straight into a fresh
/// SQLite file without any ledger, signature or API — one row per bundle, on one thread, with the settings of the
/// node's record store (<c>SqliteRecordStore</c>: WAL, <c>synchronous=FULL</c>, <c>secure_delete=ON</c>). It runs
/// twice: one transaction per bundle, as the node commits each upload before acknowledging it, and in batches the
/// size of the node's blocks in the write phase, as the node commits anchors.
/// </summary>
internal static class BenchRecordsBaseline
{
    private static readonly TimeSpan MaxInsertTime = TimeSpan.FromSeconds(30);

    /// <summary>Seals <paramref name="count"/> bundles on all cores (not timed): one row each, with a random record id.</summary>
    public static IReadOnlyList<BaselineRow> Seal(ICryptoSuite suite, IReadOnlyList<byte[]> documents, byte[] organisationKey, int count)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(documents);
        var rows = new BaselineRow[count];
        var keys = new ConcurrentBag<ISigningKey>();
        try
        {
            Parallel.For(
                0,
                count,
                () =>
                {
                    // A key per worker thread: a platform key object is not promised to be safe on two threads at once.
                    var author = suite.GenerateSigningKey();
                    keys.Add(author);
                    return (Author: author, Patient: suite.GenerateSigningKey());
                },
                (i, _, local) =>
                {
                    var patientKey = local.Patient.PublicKey.Span;
                    var draft = RecordWriter.Prepare(suite, local.Author, BenchRecordsConsortium.ChainId, suite.Hash(patientKey), patientKey, BenchRecordsConsortium.Hospital, organisationKey, RecordCategory.Laboratory, RecordTiers.Split(documents[i % documents.Count]), 0);
                    rows[i] = new BaselineRow(draft.RecordId.ToArray(), Encode(draft));
                    return local;
                },
                local => local.Patient.Dispose());
        }
        finally
        {
            foreach (var key in keys)
            {
                key.Dispose();
            }
        }

        return rows;
    }

    /// <summary>
    /// Inserts the rows into a new SQLite file at <paramref name="path"/>, <paramref name="batch"/> per transaction,
    /// for at most <see cref="MaxInsertTime"/>; the rate is of the rows inserted by then.
    /// </summary>
    public static BaselineResult Insert(string path, IReadOnlyList<BaselineRow> rows, int batch)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            // As SqliteRecordStore configures its writer.
            setup.CommandText = """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = FULL;
                PRAGMA secure_delete = ON;
                CREATE TABLE bundles (record_id BLOB PRIMARY KEY, sealed BLOB NOT NULL);
                """;
            setup.ExecuteNonQuery();
        }

        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO bundles (record_id, sealed) VALUES ($id, $sealed)";
        var id = insert.Parameters.Add("$id", SqliteType.Blob);
        var sealedBytes = insert.Parameters.Add("$sealed", SqliteType.Blob);
        var started = Stopwatch.GetTimestamp();
        var inserted = 0;
        while (inserted < rows.Count && Stopwatch.GetElapsedTime(started) < MaxInsertTime)
        {
            using var transaction = connection.BeginTransaction();
            insert.Transaction = transaction;
            for (var end = Math.Min(inserted + batch, rows.Count); inserted < end; inserted++)
            {
                id.Value = rows[inserted].RecordId;
                sealedBytes.Value = rows[inserted].Sealed;
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        return new BaselineResult(batch, inserted, elapsed, inserted / elapsed.TotalSeconds);
    }

    /// <summary>The stored form of a sealed bundle: per tier, its tier, ciphertext and both envelopes (canonical encoding).</summary>
    private static byte[] Encode(RecordDraft draft)
    {
        var tiers = draft.Tiers.Select(t => (t.Tier, Ciphertext: Convert.FromBase64String(t.Ciphertext), Patient: Convert.FromBase64String(t.PatientEnvelope), Organisation: Convert.FromBase64String(t.OrganisationEnvelope))).ToList();
        var writer = new CanonicalWriter(tiers.Sum(t => t.Ciphertext.Length + t.Patient.Length + t.Organisation.Length + 64));
        writer.WriteByte((byte)tiers.Count);
        foreach (var tier in tiers)
        {
            writer.WriteString(tier.Tier);
            writer.WriteBytes(tier.Ciphertext);
            writer.WriteBytes(tier.Patient);
            writer.WriteBytes(tier.Organisation);
        }

        return writer.ToArray();
    }
}

/// <summary>One sealed bundle as the baseline stores it.</summary>
internal sealed record BaselineRow(byte[] RecordId, byte[] Sealed);

/// <summary>A baseline run: rows per transaction, rows inserted, wall time, rows per second.</summary>
internal sealed record BaselineResult(int Batch, int Rows, TimeSpan Elapsed, double RowsPerSecond);
