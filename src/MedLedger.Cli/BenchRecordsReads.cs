using System.Diagnostics;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Cli;

/// <summary>
/// The read phases of <c>medledger bench records</c>. Half of the readers are patients reading their own records, half
/// are doctors reading records of the patients who granted them; each picks records at random and has one read in
/// flight. A read is <c>GET /api/v1/records/{id}?purpose=treatment</c>, signed by the SDK's handler: the node checks the
/// signature, decides with the on-chain policy, re-wraps each tier's data key for the reader and answers once the
/// read's access-log entry is admitted to its mempool. In the <see cref="ReadMode.FetchAndOpen"/> phase the reader
/// also verifies and decrypts what it got (<see cref="RecordReader.Open"/>: unwrap, content address, commitment).
/// </summary>
internal static class BenchRecordsReads
{
    private const int MaxFailures = 100;
    private const int LoggedSamples = 16;

    /// <summary>The readers: the first <c>readers / 2</c> patients, then as many reading doctors as there are left.</summary>
    public static IReadOnlyList<BenchReader> CreateReaders(BenchRecordsWorld world, int readers, IReadOnlyList<WrittenRecord> records)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(records);
        var consortium = world.Consortium;
        var byPatient = records.GroupBy(r => r.Patient).ToDictionary(g => g.Key, g => g.ToArray());
        var result = new List<BenchReader>(readers);
        var patientReaders = readers / 2;
        for (var p = 0; p < patientReaders; p++)
        {
            var own = byPatient.GetValueOrDefault(p) ?? throw new BenchmarkFailedException($"Patient {p} has no record to read.");
            result.Add(new BenchReader(true, consortium.Patients[p], world.PatientClient(p), own));
        }

        var doctors = consortium.ReadingDoctors.Count;
        for (var d = 0; d < readers - patientReaders; d++)
        {
            var granted = records.Where(r => r.Patient % doctors == d).ToArray();
            if (granted.Length == 0)
            {
                throw new BenchmarkFailedException($"No patient who granted reading doctor {d} has a record.");
            }

            result.Add(new BenchReader(false, consortium.ReadingDoctors[d], world.ReadingDoctorClients[d], granted));
        }

        return result;
    }

    public static async Task<ReadPhaseResult> RunAsync(BenchRecordsWorld world, IReadOnlyList<BenchReader> readers, int total, ReadMode mode, int seed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(readers);
        var fetchLatencies = new double[total];
        var totalLatencies = new double[total];
        Array.Fill(fetchLatencies, double.NaN);
        Array.Fill(totalLatencies, double.NaN);
        var failures = new FailureTally(MaxFailures);
        var logged = new List<LoggedRead>();
        var next = -1;

        var before = await world.Api.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        var cpuBefore = BenchCpuSample.Take(world.Node);
        var started = Stopwatch.GetTimestamp();
        var tasks = readers.Select((reader, r) => Task.Run(async () =>
        {
            var random = new Random(HashCode.Combine(seed, r, (int)mode));
            int n;
            while ((n = Interlocked.Increment(ref next)) < total)
            {
                var record = reader.Records[random.Next(reader.Records.Count)];
                var sent = Stopwatch.GetTimestamp();
                RecordContentResponse response;
                try
                {
                    response = await reader.Client.GetRecordContentAsync(record.RecordId, AccessPurpose.Treatment, cancellationToken).ConfigureAwait(false);
                }
                catch (MedLedgerApiException exception)
                {
                    failures.Add(exception.Code ?? ((int)exception.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    continue;
                }

                var fetched = Stopwatch.GetTimestamp();
                fetchLatencies[n] = Stopwatch.GetElapsedTime(sent, fetched).TotalMilliseconds;
                if (mode == ReadMode.FetchAndOpen)
                {
                    // Throws RecordIntegrityException or CryptoException when anything does not match: the run fails.
                    var opened = RecordReader.Open(world.Suite, reader.Identity.Key, record.RecordId, response, merge: null, reader.Client.EnvelopeSecrets);
                    if (opened.Parts.Count != record.Tiers)
                    {
                        throw new BenchmarkFailedException($"A read of record {record.RecordId} opened {opened.Parts.Count} of its {record.Tiers} tiers.");
                    }

                    totalLatencies[n] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                }
                else if (response.Tiers.Count != record.Tiers || !string.Equals(response.Record.RecordId, record.RecordId.ToString(), StringComparison.OrdinalIgnoreCase))
                {
                    throw new BenchmarkFailedException($"A read of record {record.RecordId} was answered with {response.Tiers.Count} of its {record.Tiers} tiers for record {response.Record.RecordId}.");
                }

                if (reader.IsPatient)
                {
                    lock (logged)
                    {
                        if (logged.Count < LoggedSamples)
                        {
                            logged.Add(new LoggedRead(reader, record.RecordId, response.RequestHash));
                        }
                    }
                }
            }
        }, cancellationToken)).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpu = BenchCpuSample.Take(world.Node).Since(cpuBefore);
        var after = await world.Api.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        return new ReadPhaseResult(
            mode,
            total - failures.Count,
            failures.Count,
            failures.Codes,
            elapsed,
            LatencySummary.Of(fetchLatencies),
            mode == ReadMode.FetchAndOpen ? LatencySummary.Of(totalLatencies) : null,
            cpu,
            before.Height,
            after.Height,
            logged);
    }

    /// <summary>
    /// Checks that sampled reads are in the on-chain access log: each patient asks the log for the record and finds an
    /// allowed read whose request hash is the one the node answered with.
    /// </summary>
    public static async Task<(int Checked, int Found)> CheckLoggedAsync(IEnumerable<LoggedRead> reads, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reads);
        var checkedCount = 0;
        var found = 0;
        foreach (var read in reads)
        {
            checkedCount++;
            var log = await read.Reader.Client.GetAccessLogAsync(new AccessLogQuery(RecordId: read.RecordId, Action: AccessAction.Read, Limit: 1000), cancellationToken).ConfigureAwait(false);
            if (log.Entries.Any(e => string.Equals(e.RequestHash, read.RequestHash, StringComparison.OrdinalIgnoreCase) && e.Outcome == "allowed"))
            {
                found++;
            }
        }

        return (checkedCount, found);
    }
}

/// <summary>What a read phase does per read.</summary>
internal enum ReadMode
{
    /// <summary>Fetch only: the node's work (policy, access log, re-wrap); the client signs the request and parses JSON.</summary>
    Fetch = 1,

    /// <summary>Fetch, then verify and decrypt in the client, as <see cref="MedLedgerUserClient.ReadRecordAsync"/> does.</summary>
    FetchAndOpen = 2,
}

/// <summary>One reader: a patient (own records) or a doctor (granted records), with its signing client.</summary>
internal sealed record BenchReader(bool IsPatient, BenchIdentity Identity, MedLedgerUserClient Client, IReadOnlyList<WrittenRecord> Records);

/// <summary>A read whose access-log entry is checked afterwards.</summary>
internal sealed record LoggedRead(BenchReader Reader, Hash RecordId, string RequestHash);

/// <summary>What a read phase measured.</summary>
internal sealed record ReadPhaseResult(
    ReadMode Mode,
    int Served,
    int Failed,
    IReadOnlyDictionary<string, int> FailureCodes,
    TimeSpan Elapsed,
    LatencySummary FetchLatency,
    LatencySummary? OpenedLatency,
    BenchCpuUsage Cpu,
    ulong HeightBefore,
    ulong HeightAfter,
    IReadOnlyList<LoggedRead> Logged);
