using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MedLedger.Cli;

/// <summary>The result of one <c>medledger bench records</c> run; <c>--json</c> prints it as one object.</summary>
internal sealed record BenchRecordsReport
{
    /// <summary>Targets of the issue, on one node.</summary>
    public const double TargetWritesPerSecond = 2_000;
    public const double TargetReadsPerSecond = 5_000;
    public const double TargetReadP99Milliseconds = 20;
    public const double TargetBaselineRatio = 0.5;

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public required BenchMachine Machine { get; init; }

    /// <summary>The one-minute load average when the run began.</summary>
    public required double? LoadAverageBefore { get; init; }

    public required int Seed { get; init; }

    public required int Patients { get; init; }

    /// <summary>Distinct FHIR bundles records are written from, and their mean size in bytes.</summary>
    public required int Bundles { get; init; }

    public required int MeanBundleBytes { get; init; }

    public required RecordPathCosts Costs { get; init; }

    public required WriteReport Writes { get; init; }

    /// <summary>The second write phase, records uploaded several per request (<c>--upload-batch</c>), or null.</summary>
    public WriteReport? BatchedWrites { get; init; }

    public required IReadOnlyList<ReadReport> Reads { get; init; }

    public required AccessLogReport AccessLog { get; init; }

    public required IReadOnlyList<BaselineReport> Baseline { get; init; }

    public required string? DataDirectory { get; init; }

    /// <summary>The issue's targets, each met or not in this run.</summary>
    public TargetReport Targets => new(
        Writes.WritesPerSecond >= TargetWritesPerSecond,
        Reads.Count > 0 && Reads.Min(r => r.ReadsPerSecond) >= TargetReadsPerSecond,
        Reads.Count > 0 && Reads.Max(r => r.Latency.P99Milliseconds) <= TargetReadP99Milliseconds,
        Baseline.Count > 0 && Baseline.Min(b => b.WriteRatio) >= TargetBaselineRatio);

    /// <summary>Nothing refused, every anchor committed and found, sampled reads in the access log.</summary>
    [JsonIgnore]
    public bool IsClean => Writes.Failed == 0 && Writes.Fault is null && BatchedWrites is not { Failed: > 0 } && BatchedWrites?.Fault is null && Reads.All(r => r.Failed == 0) && AccessLog.SampledFound == AccessLog.SampledChecked && AccessLog.Fault is null;

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public void WriteText(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var c = CultureInfo.InvariantCulture;
        output.WriteLine();
        output.WriteLine($"Machine            {Machine.Cores} cores, {Machine.Cpu}, {Machine.Runtime}; load average {LoadAverageBefore?.ToString("0.00", c) ?? "unknown"} when the run began");
        output.WriteLine($"Records            {Bundles} distinct FHIR bundles of {MeanBundleBytes.ToString("N0", c)} bytes on average, {Costs.TiersPerRecord} tier(s) each; {Patients.ToString("N0", c)} patients; seed {Seed}");
        output.WriteLine($"One thread, idle   sign {F(Costs.SignMicroseconds)} us, verify {F(Costs.VerifyMicroseconds)} us, ECDH {F(Costs.KeyAgreementMicroseconds)} us, ephemeral wrap {F(Costs.WrapEphemeralMicroseconds)} us, unwrap {F(Costs.UnwrapMicroseconds)} us, reused-key wrap {F(Costs.WrapReusedMicroseconds)} us, cached unwrap {F(Costs.UnwrapCachedMicroseconds)} us, static wrap {F(Costs.WrapStaticMicroseconds)} us");
        output.WriteLine($"                   AES-GCM of the bundle {F(Costs.SealBundleMicroseconds)} us, SHA-256 {F(Costs.HashBundleMicroseconds)} us, FHIR validate+split {F(Costs.FhirSplitMicroseconds)} us, node FHIR check {F(Costs.FhirCheckMicroseconds)} us");
        output.WriteLine($"                   client prepare per record {F(Costs.ClientPrepareMicroseconds)} us; floors: node {F(Costs.NodeWriteFloorMicroseconds)} us per write, {F(Costs.NodeReadFloorMicroseconds)} us per read; client {F(Costs.ClientWriteFloorMicroseconds)} us per write, {F(Costs.ClientReadFloorMicroseconds)} us per verified read");

        WriteSection(Writes, "Writes           ");
        if (BatchedWrites is { } batched)
        {
            WriteSection(batched, $"Writes, {batched.UploadBatch} per request".PadRight(17));
        }

        void WriteSection(WriteReport w, string title)
        {
            output.WriteLine();
            output.WriteLine($"{title}  {w.WritesPerSecond.ToString("N0", c)} records/s  ({w.Records.ToString("N0", c)} records from {w.Writers} writers in {w.ElapsedSeconds.ToString("0.00", c)} s, of which {w.CommitWaitSeconds.ToString("0.00", c)} s waiting for the last anchors to commit; {w.WarmupRecords.ToString("N0", c)} warm-up records before)");
            output.WriteLine(w.UploadLatency.Count == 0
                ? "  upload           not sampled in this phase (the to-commit latency below covers every record)"
                : $"  upload           p50 {F(w.UploadLatency.P50Milliseconds)} ms, p99 {F(w.UploadLatency.P99Milliseconds)} ms (request sent -> stored and admitted, not waiting for commit)");
            output.WriteLine($"  to commit        p50 {F(w.CommitLatency.P50Milliseconds)} ms, p99 {F(w.CommitLatency.P99Milliseconds)} ms, max {F(w.CommitLatency.MaxMilliseconds)} ms (sample of {w.CommitLatency.Count}: sent -> committed); with client preparation p50 {F(w.CommitLatencyWithPrepare.P50Milliseconds)} ms, p99 {F(w.CommitLatencyWithPrepare.P99Milliseconds)} ms");
            output.WriteLine($"  client stages    {string.Join("; ", w.ClientStages.Select(s => $"{s.Stage} {F(s.MeanMicroseconds)} us"))} (wall time under load)");
            output.WriteLine($"  blocks           {w.Blocks.ToString("N0", c)}, {F(w.MeanAnchorsPerBlock)} anchors per block");
            output.WriteLine($"  CPU              node {F(w.NodeCpuMicrosecondsPerWrite)} us per record, client {F(w.ClientCpuMicrosecondsPerWrite)} us per record; {CpuLine(w.Cpu)}");
            output.WriteLine(w.Fault is null
                ? $"  check            OK: the new blocks hold exactly the uploaded anchors; sampled anchors are served committed; refused: {w.Failed}{Codes(w.FailureCodes)}"
                : $"  check            FAILED: {w.Fault}; refused: {w.Failed}{Codes(w.FailureCodes)}");
        }

        foreach (var r in Reads)
        {
            output.WriteLine();
            var what = r.Mode == ReadMode.Fetch ? "fetch (node work; client signs the request and parses the answer)" : "fetch + verify + decrypt in the client (the SDK's ReadRecordAsync)";
            output.WriteLine($"Reads, {what}");
            output.WriteLine($"                   {r.ReadsPerSecond.ToString("N0", c)} reads/s  ({r.Reads.ToString("N0", c)} reads by {r.Readers} readers, half patients, half granted doctors, in {r.ElapsedSeconds.ToString("0.00", c)} s)");
            output.WriteLine($"  latency          p50 {F(r.Latency.P50Milliseconds)} ms, p99 {F(r.Latency.P99Milliseconds)} ms, max {F(r.Latency.MaxMilliseconds)} ms{(r.Mode == ReadMode.FetchAndOpen ? $" (of which the fetch: p50 {F(r.FetchLatency.P50Milliseconds)} ms, p99 {F(r.FetchLatency.P99Milliseconds)} ms)" : string.Empty)}");
            output.WriteLine($"  CPU              node {F(r.NodeCpuMicrosecondsPerRead)} us per read, client {F(r.ClientCpuMicrosecondsPerRead)} us per read; {CpuLine(r.Cpu)}");
            output.WriteLine($"  access log       {r.AccessLogTransactions.ToString("N0", c)} AccessLog transactions ({F(r.ReadsPerAccessLogTransaction)} reads each), all committed {F(r.AccessLogDrainSeconds)} s after the last read; refused: {r.Failed}{Codes(r.FailureCodes)}");
        }

        output.WriteLine(AccessLog.Fault is null
            ? $"Access log check   {AccessLog.SampledFound} of {AccessLog.SampledChecked} sampled reads found in the on-chain access log with their request hash"
            : $"Access log check   FAILED: {AccessLog.Fault}");

        output.WriteLine();
        foreach (var b in Baseline)
        {
            output.WriteLine($"Baseline SQLite    {b.RowsPerSecond.ToString("N0", c)} bundles/s with {(b.Batch == 1 ? "one transaction per bundle" : $"{b.Batch} bundles per transaction")} ({b.Rows.ToString("N0", c)} rows in {b.ElapsedSeconds.ToString("0.00", c)} s, WAL, synchronous=FULL, one thread); node writes are {(b.WriteRatio * 100).ToString("0.0", c)} % of it");
        }

        var t = Targets;
        output.WriteLine();
        output.WriteLine($"Targets            writes >= {TargetWritesPerSecond:N0}/s: {Verdict(t.Writes)}{(BatchedWrites is { } bw ? $" (batched: {Verdict(bw.WritesPerSecond >= TargetWritesPerSecond)})" : string.Empty)}; reads >= {TargetReadsPerSecond:N0}/s: {Verdict(t.Reads)}; read p99 <= {TargetReadP99Milliseconds} ms: {Verdict(t.ReadLatency)}; writes >= {TargetBaselineRatio * 100:0} % of SQLite: {Verdict(t.BaselineRatio)}");
        if (LoadAverageBefore is > 1.5 || Reads.Any(r => r.Cpu.Other > 0.1 * r.Cpu.Available) || Writes.Cpu.Other > 0.1 * Writes.Cpu.Available)
        {
            output.WriteLine("Warning            other processes shared the two cores: throughput understates the node; CPU per operation is the steadier figure");
        }

        if (DataDirectory is not null)
        {
            output.WriteLine($"Folder             {DataDirectory} (kept)");
        }

        string F(double value) => value.ToString(value >= 100 ? "N0" : "0.0#", c);
    }

    private static string Verdict(bool met) => met ? "met" : "NOT met";

    private static string Codes(IReadOnlyDictionary<string, int> codes) =>
        codes.Count == 0 ? string.Empty : " (" + string.Join(", ", codes.Select(pair => $"{pair.Key}: {pair.Value}")) + ")";

    private static string CpuLine(CpuReport cpu)
    {
        var c = CultureInfo.InvariantCulture;
        return $"CPU-seconds: node {cpu.Node.ToString("0.00", c)}, client {cpu.Client.ToString("0.00", c)}, other processes {(cpu.Other is { } other ? other.ToString("0.00", c) : "unknown")}, of {cpu.Available.ToString("0.00", c)} available";
    }
}

/// <summary>CPU-seconds of a phase: available (wall × cores), node, client, everything else.</summary>
internal sealed record CpuReport(double Available, double Node, double Client, double? Other)
{
    public static CpuReport From(BenchCpuUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        return new CpuReport(Math.Round(usage.Available, 2), Math.Round(usage.Node, 2), Math.Round(usage.Client, 2), usage.Other is { } other ? Math.Round(other, 2) : null);
    }
}

/// <summary>The write phase: throughput (including the wait for the last anchors), latencies, client stages, CPU.</summary>
internal sealed record WriteReport(
    int Writers,
    int WarmupRecords,
    int Records,
    int Failed,
    IReadOnlyDictionary<string, int> FailureCodes,
    double ElapsedSeconds,
    double CommitWaitSeconds,
    double WritesPerSecond,
    IReadOnlyList<StageTime> ClientStages,
    double ClientPrepareMicroseconds,
    LatencySummary UploadLatency,
    LatencySummary CommitLatency,
    LatencySummary CommitLatencyWithPrepare,
    int Blocks,
    double MeanAnchorsPerBlock,
    CpuReport Cpu,
    double NodeCpuMicrosecondsPerWrite,
    double ClientCpuMicrosecondsPerWrite,
    string? Fault,
    int UploadBatch = 1);

/// <summary>A read phase; <see cref="Latency"/> is the whole read as the reader sees it (with opening, in that mode).</summary>
internal sealed record ReadReport(
    ReadMode Mode,
    int Readers,
    int Reads,
    int Failed,
    IReadOnlyDictionary<string, int> FailureCodes,
    double ElapsedSeconds,
    double ReadsPerSecond,
    LatencySummary Latency,
    LatencySummary FetchLatency,
    CpuReport Cpu,
    double NodeCpuMicrosecondsPerRead,
    double ClientCpuMicrosecondsPerRead,
    int AccessLogTransactions,
    double ReadsPerAccessLogTransaction,
    double AccessLogDrainSeconds);

/// <summary>Sampled reads looked up in the on-chain access log.</summary>
internal sealed record AccessLogReport(int SampledChecked, int SampledFound, string? Fault);

/// <summary>A baseline run and the node's write throughput as a share of it.</summary>
internal sealed record BaselineReport(int Batch, int Rows, double ElapsedSeconds, double RowsPerSecond, double WriteRatio);

/// <summary>Whether each target of the issue was met.</summary>
internal sealed record TargetReport(bool Writes, bool Reads, bool ReadLatency, bool BaselineRatio);
