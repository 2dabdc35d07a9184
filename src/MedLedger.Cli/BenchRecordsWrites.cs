using System.Diagnostics;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Ledger;
using MedLedger.Sharing.Records;

namespace MedLedger.Cli;

/// <summary>
/// The write phase of <c>medledger bench records</c>. Every writer is a doctor with one upload in flight (so its
/// anchors reach the mempool in nonce order); per record it does what the SDK does — validate and split the FHIR
/// bundle (<see cref="RecordTiers.Split"/>), seal every tier and wrap its data key for the patient and the hospital
/// (<see cref="RecordWriter.Prepare"/>), have the patient co-sign (the patient's key is held here), sign the anchor
/// transaction, and upload it (<see cref="MedLedgerUserClient.UploadRecordAsync"/>, the request signed by the SDK's
/// handler) without waiting for the commit. Every n-th upload of a writer waits for its commit instead, to sample the
/// latency to commit. The phase ends when every anchor is committed (the mempool is empty), and that wait counts.
/// </summary>
internal static class BenchRecordsWrites
{
    public const int StageSplit = 0;
    public const int StageSeal = 1;
    public const int StageConsent = 2;
    public const int StageTransaction = 3;
    public const int StageUpload = 4;

    private const int MaxFailures = 100;
    private const int SampledTransactions = 32;

    public static async Task<WritePhaseResult> RunAsync(BenchRecordsWorld world, int total, int commitSample, int seed, CancellationToken cancellationToken, int uploadBatch = 1)
    {
        ArgumentNullException.ThrowIfNull(world);
        var writers = world.Consortium.Writers.Count;
        var stages = new StageClock("FHIR validate and tier split", "seal tiers, wrap data keys, author signature", "patient consent signature", "anchor transaction signature", "upload: request signature, send, node checks, stores and admits");
        var samples = new WriteSamples(total, new FailureTally(MaxFailures));
        var failures = samples.Failures;

        var before = await world.Api.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        var cpuBefore = BenchCpuSample.Take(world.Node);
        var started = Stopwatch.GetTimestamp();
        var offset = 0;
        var tasks = new List<Task>(writers);
        for (var w = 0; w < writers; w++)
        {
            var share = (total / writers) + (w < total % writers ? 1 : 0);
            var slice = new WriterSlice(w, offset, share, commitSample, seed, Math.Max(1, uploadBatch));
            offset += share;
            tasks.Add(Task.Run(() => slice.Batch > 1
                ? WriteBatchesAsync(world, slice, stages, samples, cancellationToken)
                : WriteAsync(world, slice, stages, samples, cancellationToken), cancellationToken));
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        var loadElapsed = Stopwatch.GetElapsedTime(started);

        // The anchors of uploads that did not wait are committed when the mempool is empty (nothing else is sent now).
        var after = await BenchRecordsWorld.WaitForEmptyMempoolAsync(world.Api, TimeSpan.FromMilliseconds(10), cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpu = BenchCpuSample.Take(world.Node).Since(cpuBefore);

        var records = samples.Written.OfType<WrittenRecord>().ToList();
        var blocks = await BenchRecordsWorld.CountBlockTransactionsAsync(world.Api, before.Height, after.Height, cancellationToken).ConfigureAwait(false);
        var fault = await CheckAsync(world, records, failures.Count, blocks, after, cancellationToken).ConfigureAwait(false);
        return new WritePhaseResult(
            records,
            failures.Count,
            failures.Codes,
            loadElapsed,
            elapsed,
            stages.MeanMicroseconds(),
            LatencySummary.Of(samples.Upload),
            LatencySummary.Of(samples.Commit),
            LatencySummary.Of(samples.CommitWithPrepare),
            blocks.Length,
            blocks.Sum(),
            cpu,
            fault);
    }

    private static async Task WriteAsync(BenchRecordsWorld world, WriterSlice slice, StageClock stages, WriteSamples samples, CancellationToken cancellationToken)
    {
        var consortium = world.Consortium;
        var client = world.WriterClients[slice.Writer];
        var patients = Enumerable.Range(0, consortium.Patients.Count).Where(p => p % consortium.Writers.Count == slice.Writer).ToArray();
        var random = new Random(HashCode.Combine(slice.Seed, slice.Writer, slice.Offset));
        for (var k = 0; k < slice.Count; k++)
        {
            var index = slice.Offset + k;
            var patientIndex = patients[(slice.Offset + k) % patients.Length];
            var patient = consortium.Patients[patientIndex];
            var document = world.Documents[random.Next(world.Documents.Count)];
            var waitForCommit = slice.CommitSample > 0 && k % slice.CommitSample == slice.CommitSample - 1;

            var began = Stopwatch.GetTimestamp();
            var (draft, request, sent) = PrepareRecord(world, slice.Writer, patient, document, stages, began);
            RecordUploadResponse response;
            try
            {
                response = await client.UploadRecordAsync(request, waitForCommit, cancellationToken).ConfigureAwait(false);
            }
            catch (MedLedgerApiException exception)
            {
                samples.Failures.Add(exception.Code ?? ((int)exception.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
                continue;
            }

            var answered = stages.Add(StageUpload, sent);
            samples.Acknowledge(index, patientIndex, draft, response.RecordId, response.TransactionId, response.Height, waitForCommit, began, sent, answered);
        }
    }

    /// <summary>
    /// What the SDK does for one record before its upload, each stage timed from <paramref name="began"/>: the FHIR split,
    /// sealing and wrapping (reusing the writer client's sender keys), the patient's consent and the anchor transaction.
    /// Returns the draft, its upload request and the time the preparation ended.
    /// </summary>
    private static (RecordDraft Draft, RecordUploadRequest Request, long Prepared) PrepareRecord(BenchRecordsWorld world, int writerIndex, BenchIdentity patient, byte[] document, StageClock stages, long began)
    {
        var consortium = world.Consortium;
        var writer = consortium.Writers[writerIndex];
        var parts = RecordTiers.Split(document);
        var at = stages.Add(StageSplit, began);
        var draft = RecordWriter.Prepare(consortium.Suite, writer.Key, BenchRecordsConsortium.ChainId, patient.KeyId, patient.Key.PublicKey.Span, BenchRecordsConsortium.Hospital, consortium.OrganisationKey, RecordCategory.Laboratory, parts, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), world.WriterClients[writerIndex].EnvelopeWrapper);
        at = stages.Add(StageSeal, at);
        draft = draft.SignConsent(consortium.Suite, patient.Key);
        at = stages.Add(StageConsent, at);
        var request = draft.ToUploadRequest(writer.Factory.AnchorRecord(draft.Anchor));
        return (draft, request, stages.Add(StageTransaction, at));
    }

    /// <summary>
    /// As <see cref="WriteAsync"/>, but a writer prepares <see cref="WriterSlice.Batch"/> records and uploads them in one
    /// request (<see cref="MedLedgerUserClient.UploadRecordBatchAsync"/>); every record's latency is its batch's. A
    /// batch waits for its commit when it holds a record whose index a single upload would have sampled.
    /// </summary>
    private static async Task WriteBatchesAsync(BenchRecordsWorld world, WriterSlice slice, StageClock stages, WriteSamples samples, CancellationToken cancellationToken)
    {
        var consortium = world.Consortium;
        var client = world.WriterClients[slice.Writer];
        var patients = Enumerable.Range(0, consortium.Patients.Count).Where(p => p % consortium.Writers.Count == slice.Writer).ToArray();
        var random = new Random(HashCode.Combine(slice.Seed, slice.Writer, slice.Offset));
        for (var first = 0; first < slice.Count; first += slice.Batch)
        {
            var count = Math.Min(slice.Batch, slice.Count - first);
            var drafts = new List<(RecordDraft Draft, int Index, int Patient)>(count);
            var requests = new List<RecordUploadRequest>(count);
            var began = Stopwatch.GetTimestamp();
            var waitForCommit = false;
            for (var k = first; k < first + count; k++)
            {
                var patientIndex = patients[(slice.Offset + k) % patients.Length];
                var patient = consortium.Patients[patientIndex];
                var document = world.Documents[random.Next(world.Documents.Count)];
                waitForCommit |= slice.CommitSample > 0 && k % slice.CommitSample == slice.CommitSample - 1;
                var (draft, request, _) = PrepareRecord(world, slice.Writer, patient, document, stages, Stopwatch.GetTimestamp());
                requests.Add(request);
                drafts.Add((draft, slice.Offset + k, patientIndex));
            }

            var sent = Stopwatch.GetTimestamp();
            RecordBatchUploadResponse response;
            try
            {
                response = await client.UploadRecordBatchAsync(new RecordBatchUploadRequest(requests), waitForCommit, cancellationToken).ConfigureAwait(false);
            }
            catch (MedLedgerApiException exception)
            {
                for (var k = 0; k < count; k++)
                {
                    samples.Failures.Add(exception.Code ?? ((int)exception.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                continue;
            }

            // The stage clock counts per call; spread the batch's upload over its records so the stage stays per record.
            var answered = Stopwatch.GetTimestamp();
            for (var k = 0; k < count; k++)
            {
                stages.Add(StageUpload, answered - ((answered - sent) / count));
            }

            for (var k = 0; k < count; k++)
            {
                var (draft, index, patientIndex) = drafts[k];
                var result = response.Results[k];
                if (result.Status == "rejected")
                {
                    samples.Failures.Add(result.Code ?? "rejected");
                    continue;
                }

                samples.Acknowledge(index, patientIndex, draft, result.RecordId, result.TransactionId, result.Height, waitForCommit, began, sent, answered);
            }
        }
    }

    /// <summary>The node's blocks since the phase began hold exactly the written anchors; a sample is served committed.</summary>
    private static async Task<string?> CheckAsync(BenchRecordsWorld world, List<WrittenRecord> records, int failed, int[] blocks, NodeStatus after, CancellationToken cancellationToken)
    {
        if (after.MempoolSize > 0)
        {
            return $"{after.MempoolSize} transaction(s) still wait in the mempool a minute after the last upload";
        }

        // A refused upload is logged on chain as a denied write, which adds an AccessLog transaction.
        var inBlocks = blocks.Sum();
        if (failed == 0 && inBlocks != records.Count)
        {
            return $"the new blocks hold {inBlocks} transactions, but {records.Count} anchors were uploaded";
        }

        for (var s = 0; s < Math.Min(SampledTransactions, records.Count); s++)
        {
            var record = records[Random.Shared.Next(records.Count)];
            var served = await world.Api.GetTransactionAsync(Hash.Parse(record.TransactionId), cancellationToken).ConfigureAwait(false);
            if (served is null || served.Status != "committed" || served.Proof is null)
            {
                return $"the anchor of record {record.RecordId} (transaction {record.TransactionId}) is not served as committed (status {served?.Status ?? "unknown"})";
            }
        }

        return null;
    }

    private sealed record WriterSlice(int Writer, int Offset, int Count, int CommitSample, int Seed, int Batch);
}

/// <summary>A record the benchmark wrote: id, patient (index into the consortium's patients), tier count, anchor id.</summary>
internal sealed record WrittenRecord(Hash RecordId, int Patient, int Tiers, string TransactionId);

/// <summary>What a write phase measured.</summary>
internal sealed record WritePhaseResult(
    IReadOnlyList<WrittenRecord> Records,
    int Failed,
    IReadOnlyDictionary<string, int> FailureCodes,
    TimeSpan LoadElapsed,
    TimeSpan Elapsed,
    IReadOnlyList<StageTime> ClientStages,
    LatencySummary UploadLatency,
    LatencySummary CommitLatency,
    LatencySummary CommitLatencyWithPrepare,
    int Blocks,
    int BlockTransactions,
    BenchCpuUsage Cpu,
    string? Fault);

/// <summary>Refusals by code, thread-safe; more than the limit aborts the run (something is wrong, not slow).</summary>
internal sealed class FailureTally(int limit)
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, int> _codes = new(StringComparer.Ordinal);

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _codes.Values.Sum();
            }
        }
    }

    public IReadOnlyDictionary<string, int> Codes
    {
        get
        {
            lock (_lock)
            {
                return new SortedDictionary<string, int>(_codes, StringComparer.Ordinal);
            }
        }
    }

    public void Add(string code)
    {
        lock (_lock)
        {
            _codes[code] = _codes.GetValueOrDefault(code) + 1;
            if (_codes.Values.Sum() > limit)
            {
                throw new BenchmarkFailedException($"More than {limit} requests were refused ({string.Join(", ", _codes.Select(pair => $"{pair.Key}: {pair.Value}"))}).");
            }
        }
    }
}

/// <summary>
/// What the writers of one phase record, one slot per record: latency samples (NaN where not measured), the written
/// record, and the failures.
/// </summary>
internal sealed class WriteSamples(int total, FailureTally failures)
{
    public double[] Upload { get; } = Filled(total);

    public double[] Commit { get; } = Filled(total);

    public double[] CommitWithPrepare { get; } = Filled(total);

    public WrittenRecord?[] Written { get; } = new WrittenRecord?[total];

    public FailureTally Failures { get; } = failures;

    /// <summary>
    /// An upload the node accepted (alone or in a batch request sent at <paramref name="sent"/> and answered at
    /// <paramref name="answered"/>): its latency to commit when it waited for it, else to admission, and the written
    /// record; a wait that ended uncommitted is a failure.
    /// </summary>
    public void Acknowledge(int index, int patientIndex, RecordDraft draft, string recordId, string transactionId, ulong? height, bool waitedForCommit, long began, long sent, long answered)
    {
        var latency = Stopwatch.GetElapsedTime(sent, answered).TotalMilliseconds;
        if (waitedForCommit)
        {
            if (height is null)
            {
                Failures.Add("NotCommittedInTime");
                return;
            }

            Commit[index] = latency;
            CommitWithPrepare[index] = Stopwatch.GetElapsedTime(began, answered).TotalMilliseconds;
        }
        else
        {
            Upload[index] = latency;
        }

        if (!string.Equals(recordId, draft.RecordId.ToString(), StringComparison.OrdinalIgnoreCase))
        {
            throw new BenchmarkFailedException($"The node acknowledged record {recordId} for an upload of {draft.RecordId}.");
        }

        Written[index] = new WrittenRecord(draft.RecordId, patientIndex, draft.Anchor.Tiers.Count, transactionId);
    }

    private static double[] Filled(int total)
    {
        var values = new double[total];
        Array.Fill(values, double.NaN);
        return values;
    }
}
