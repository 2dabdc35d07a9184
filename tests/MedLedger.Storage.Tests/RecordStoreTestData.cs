using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using Microsoft.Data.Sqlite;

namespace MedLedger.Storage.Tests;

/// <summary>
/// Builds deterministic test data for <see cref="SqliteRecordStore"/> from a seed: records whose tiers hold random
/// "ciphertext" correctly addressed under the standard suite, hashes, index batches and access entries; and reads the
/// store's files raw for the shredding tests.
/// </summary>
internal sealed class RecordStoreTestData
{
    private readonly Random _random;

    public RecordStoreTestData(int seed)
    {
        Seed = seed;
        _random = new Random(seed);
    }

    public int Seed { get; }

    public ICryptoSuite Suite { get; } = CryptoSuites.Standard;

    public byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    public Hash NextHash() => new(Bytes(Hash.Size));

    /// <summary>A tier with <paramref name="ciphertextBytes"/> random bytes at their true address, and random envelopes.</summary>
    public StoredTier Tier(SensitivityTier tier, int ciphertextBytes = 300)
    {
        var ciphertext = Bytes(ciphertextBytes);
        return new StoredTier(tier, Suite.Hash(ciphertext), ciphertext, Bytes(113), Bytes(113));
    }

    /// <summary>A record with the given tiers (by default all three), each with <paramref name="ciphertextBytes"/> bytes.</summary>
    public StoredRecord Record(int ciphertextBytes = 300, params SensitivityTier[] tiers)
    {
        if (tiers.Length == 0)
        {
            tiers = [SensitivityTier.Identity, SensitivityTier.GeneralClinical, SensitivityTier.Sensitive];
        }

        return new StoredRecord(NextHash(), [.. tiers.Select(t => Tier(t, ciphertextBytes))]);
    }

    public IndexedRecord IndexedRecord(ulong height, Hash patient, Hash author, long created, string organisation = "hospital-a") =>
        new(NextHash(), patient, author, organisation, RecordCategory.Laboratory, created, height, Erased: false);

    /// <summary>An access entry with every field drawn from small sets, so that filters select proper subsets.</summary>
    public (Hash TransactionId, string Organisation, AccessLogEntry Entry) Access(IReadOnlyList<Hash> actors, IReadOnlyList<Hash> patients, IReadOnlyList<Hash> records, long time)
    {
        var entry = new AccessLogEntry(
            time,
            actors[_random.Next(actors.Count)],
            patients[_random.Next(patients.Count)],
            records[_random.Next(records.Count)],
            (AccessAction)_random.Next(1, 9),
            (AccessPurpose)_random.Next(1, 6),
            (AccessOutcome)_random.Next(1, 3),
            (AccessDenialReason)_random.Next(0, 14),
            NextHash(),
            NextHash());
        return (NextHash(), _random.Next(2) == 0 ? "hospital-a" : "clinic-b", entry);
    }

    public int Next(int maxExclusive) => _random.Next(maxExclusive);

    public static void AssertSameTiers(IReadOnlyList<StoredTier> expected, IReadOnlyList<StoredTier> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        var ordered = expected.OrderBy(t => t.Tier).ToList();
        for (var i = 0; i < ordered.Count; i++)
        {
            Assert.Equal(ordered[i].Tier, actual[i].Tier);
            Assert.Equal(ordered[i].Address, actual[i].Address);
            Assert.Equal(ordered[i].Ciphertext, actual[i].Ciphertext);
            Assert.Equal(ordered[i].PatientEnvelope, actual[i].PatientEnvelope);
            Assert.Equal(ordered[i].OrganisationEnvelope, actual[i].OrganisationEnvelope);
        }
    }

    /// <summary>Names of the store's files that hold <paramref name="needle"/> in their raw bytes (the database, its WAL and its shared-memory index).</summary>
    public static List<string> FilesContaining(string databasePath, ReadOnlySpan<byte> needle)
    {
        var found = new List<string>();
        foreach (var suffix in new[] { string.Empty, "-wal", "-shm" })
        {
            var path = databasePath + suffix;
            if (!File.Exists(path))
            {
                continue;
            }

            // SQLite keeps the files open; share everything so that reading them never interferes.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            if (copy.GetBuffer().AsSpan(0, (int)copy.Length).IndexOf(needle) >= 0)
            {
                found.Add(System.IO.Path.GetFileName(path));
            }
        }

        return found;
    }

    /// <summary>A read-write connection of its own, to tamper with the file or hold a snapshot behind the store's back.</summary>
    public static SqliteConnection OpenRawConnection(string databasePath)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    public static int Execute(string databasePath, string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = OpenRawConnection(databasePath);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command.ExecuteNonQuery();
    }
}
