using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MedLedger.Cli;

/// <summary>The result of one <c>medledger bench</c> run; <c>--json</c> prints it as one object.</summary>
internal sealed record BenchReport
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public required BenchMachine Machine { get; init; }

    public required int Clients { get; init; }

    public required int BatchSize { get; init; }

    /// <summary>Transactions sent before the timed phase and not counted.</summary>
    public required int WarmUpTransactions { get; init; }

    /// <summary>Warm-up transactions the node refused (0 in a clean run).</summary>
    public required int WarmUpRejected { get; init; }

    public required int Submitted { get; init; }

    public required int Committed { get; init; }

    /// <summary>Admitted but not committed when the request's 30 s wait ended.</summary>
    public required int Pending { get; init; }

    public required int Rejected { get; init; }

    public required IReadOnlyDictionary<string, int> RejectionCodes { get; init; }

    /// <summary>Wall time of the timed phase: first request sent to last response read.</summary>
    public required double ElapsedSeconds { get; init; }

    public required double TransactionsPerSecond { get; init; }

    public required double LatencyP50Milliseconds { get; init; }

    public required double LatencyP99Milliseconds { get; init; }

    public required double LatencyMaxMilliseconds { get; init; }

    public required ulong Blocks { get; init; }

    public required double MeanTransactionsPerBlock { get; init; }

    public required int MaxTransactionsPerBlock { get; init; }

    public required double VerifySingleThreadPerSecond { get; init; }

    public required double VerifyAllCoresPerSecond { get; init; }

    /// <summary>Throughput divided by the all-core verification rate: the share of the machine's bound reached.</summary>
    public required double VerifyBoundRatio { get; init; }

    /// <summary>Client-side pre-signing (not timed): signatures per second on all cores.</summary>
    public required double PreSignPerSecond { get; init; }

    /// <summary>Wall time of the timed phase times the number of cores.</summary>
    public required double CpuSecondsAvailable { get; init; }

    /// <summary>CPU time the node process used in the timed phase.</summary>
    public required double NodeCpuSeconds { get; init; }

    /// <summary>CPU time this client process used in the timed phase.</summary>
    public required double ClientCpuSeconds { get; init; }

    /// <summary>CPU time everything else on the machine used in the timed phase (null where /proc/stat is missing).</summary>
    public required double? OtherCpuSeconds { get; init; }

    /// <summary>The node's CPU cost of one committed transaction, whatever else ran on the machine.</summary>
    public required double NodeCpuMicrosecondsPerTransaction { get; init; }

    /// <summary>CPU time of the nodes' tiered-compilation threads in the timed phase (JIT tier-up left over from start-up).</summary>
    public double? NodeJitCpuSeconds { get; init; }

    /// <summary>The node CPU per committed transaction without the tiered-compilation threads: the steady-state cost.</summary>
    public double? NodeCpuMicrosecondsPerTransactionWithoutJit { get; init; }

    /// <summary>The one-minute load average when the run began (other work on the machine skews every figure).</summary>
    public required double? LoadAverageBefore { get; init; }

    /// <summary>The node's blocks hold exactly the accepted transactions, and the sampled ones are served as committed.</summary>
    public required bool LedgerVerified { get; init; }

    public required int SampledTransactions { get; init; }

    public required string? VerificationFault { get; init; }

    public required string? DataDirectory { get; init; }

    /// <summary>Validator nodes, each its own process (1: the single-node bench).</summary>
    public int Nodes { get; init; } = 1;

    /// <summary>
    /// For a consortium: throughput times the number of nodes over the all-core verification rate. Every node verifies
    /// every transaction, and all of them share this machine's cores, so the consortium's bound here is the rate / N.
    /// </summary>
    public double? ConsortiumVerifyBoundRatio { get; init; }

    /// <summary>For a consortium: every node holds the same block hash at every new height (null for one node).</summary>
    public bool? SameBlocksOnAllNodes { get; init; }

    /// <summary>Why the nodes' blocks differ, when they do.</summary>
    public string? ConsistencyFault { get; init; }

    /// <summary>True for a clean run: nothing rejected or left pending, the ledger matches, and no node forked.</summary>
    [JsonIgnore]
    public bool IsClean => LedgerVerified && Rejected == 0 && WarmUpRejected == 0 && Committed + Pending == Submitted && SameBlocksOnAllNodes != false;

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public void WriteText(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var c = CultureInfo.InvariantCulture;
        output.WriteLine();
        output.WriteLine($"Machine           {Machine.Cores} cores, {Machine.Cpu}, {Machine.Runtime}, {Machine.OperatingSystem}");
        output.WriteLine($"Load              {Clients} client(s), {Submitted.ToString("N0", c)} transactions, {BatchSize} per request, ?wait=commit, after {WarmUpTransactions.ToString("N0", c)} warm-up transactions");
        output.WriteLine($"Throughput        {TransactionsPerSecond.ToString("N0", c)} transactions/s ({Committed.ToString("N0", c)} committed in {ElapsedSeconds.ToString("0.00", c)} s)");
        output.WriteLine($"Commit latency    p50 {LatencyP50Milliseconds.ToString("0.0", c)} ms, p99 {LatencyP99Milliseconds.ToString("0.0", c)} ms, max {LatencyMaxMilliseconds.ToString("0.0", c)} ms (batch sent -> commit response)");
        output.WriteLine($"Blocks            {Blocks.ToString("N0", c)}, {MeanTransactionsPerBlock.ToString("0.0", c)} transactions per block on average, {MaxTransactionsPerBlock.ToString("N0", c)} at most");
        output.WriteLine($"P-256 verify      {VerifySingleThreadPerSecond.ToString("N0", c)}/s on one thread, {VerifyAllCoresPerSecond.ToString("N0", c)}/s on {Machine.Cores} cores");
        if (Nodes > 1)
        {
            output.WriteLine($"Consortium        {Nodes} validators, each its own process on this machine; clients spread over them; ledger checked at node1");
            output.WriteLine($"Verify bound      throughput is {(VerifyBoundRatio * 100).ToString("0.0", c)} % of the all-core verification rate; every node verifies every transaction, so the {Nodes} nodes' bound on this machine is that rate / {Nodes}, of which this is {((ConsortiumVerifyBoundRatio ?? 0) * 100).ToString("0.0", c)} %");
            output.WriteLine(SameBlocksOnAllNodes == true
                ? $"Fork check        OK: all {Nodes} nodes hold the same block hash at every new height"
                : $"Fork check        FAILED: {ConsistencyFault}");
        }
        else
        {
            output.WriteLine($"Verify bound      throughput is {(VerifyBoundRatio * 100).ToString("0.0", c)} % of the all-core verification rate (each transaction is verified once by the node)");
        }
        output.WriteLine($"CPU in timed phase node {NodeCpuSeconds.ToString("0.00", c)} s, client {ClientCpuSeconds.ToString("0.00", c)} s, other processes {(OtherCpuSeconds is { } other ? other.ToString("0.00", c) + " s" : "unknown")}, of {CpuSecondsAvailable.ToString("0.00", c)} s available");
        output.WriteLine($"Node CPU          {NodeCpuMicrosecondsPerTransaction.ToString("0.0", c)} us per committed transaction (one P-256 verify is {(1e6 / VerifySingleThreadPerSecond).ToString("0.0", c)} us here)");
        if (NodeJitCpuSeconds is { } jit && NodeCpuMicrosecondsPerTransactionWithoutJit is { } withoutJit)
        {
            output.WriteLine($"JIT tier-up       {jit.ToString("0.00", c)} s of node CPU in the tiered-compilation thread(s); without it {withoutJit.ToString("0.0", c)} us per committed transaction");
        }

        if (OtherCpuSeconds is { } others ? others > 0.05 * CpuSecondsAvailable : LoadAverageBefore is > 1)
        {
            output.WriteLine($"Warning           other processes shared the cores (load average {LoadAverageBefore?.ToString("0.00", c) ?? "unknown"} when the run began): the figures understate the node; its CPU per transaction is the steadiest of them");
        }

        output.WriteLine($"Client signing    {PreSignPerSecond.ToString("N0", c)} signatures/s on all cores, done before the timed phase: signing is the client's cost, not the node's");
        output.WriteLine($"Rejected          {Rejected.ToString("N0", c)}{(RejectionCodes.Count == 0 ? string.Empty : " (" + string.Join(", ", RejectionCodes.Select(pair => $"{pair.Key}: {pair.Value}")) + ")")}; pending after the wait: {Pending.ToString("N0", c)}; rejected in the warm-up: {WarmUpRejected.ToString("N0", c)}");
        output.WriteLine(LedgerVerified
            ? $"Ledger check      OK: the new blocks hold exactly the {(Committed + Pending).ToString("N0", c)} accepted transactions; {SampledTransactions} sampled transactions are served as committed with their proofs"
            : $"Ledger check      FAILED: {VerificationFault}");
        if (DataDirectory is not null)
        {
            output.WriteLine($"{(Nodes > 1 ? "Consortium folder" : "Node folder      ")} {DataDirectory} (kept)");
        }
    }
}

/// <summary>Where the benchmark ran.</summary>
internal sealed record BenchMachine(int Cores, string Cpu, string Runtime, string OperatingSystem)
{
    public static BenchMachine Current() => new(
        Environment.ProcessorCount,
        CpuModel(),
        RuntimeInformation.FrameworkDescription,
        RuntimeInformation.OSDescription);

    /// <summary>The one-minute load average from /proc/loadavg, or null where there is none.</summary>
    public static double? LoadAverage()
    {
        const string LoadAverageFile = "/proc/loadavg";
        if (!File.Exists(LoadAverageFile))
        {
            return null;
        }

        var first = File.ReadAllText(LoadAverageFile).Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var load) ? load : null;
    }

    private static string CpuModel()
    {
        const string CpuInfo = "/proc/cpuinfo";
        if (File.Exists(CpuInfo))
        {
            foreach (var line in File.ReadLines(CpuInfo))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0)
                {
                    return line[(colon + 1)..].Trim();
                }
            }
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
