using System.Diagnostics;
using MedLedger.Client;
using MedLedger.Crypto;

namespace MedLedger.Cli;

/// <summary>
/// Everything the phases of <c>medledger bench records</c> share: the node, its public API, the consortium's people
/// with one signing SDK client each, and the pool of FHIR bundles records are written from.
/// </summary>
internal sealed class BenchRecordsWorld : IDisposable
{
    /// <summary>Creates the world once the consortium is enrolled; <paramref name="http"/> (anonymous, the node's address) is borrowed.</summary>
    public BenchRecordsWorld(NodeChildProcess node, HttpClient http, BenchRecordsConsortium consortium, IReadOnlyList<byte[]> documents)
    {
        Node = node;
        Api = new MedLedgerClient(http);
        Consortium = consortium;
        Documents = documents;
        var options = new RequestSigningOptions { ChainId = BenchRecordsConsortium.ChainId };
        WriterClients = consortium.Writers.Select(w => MedLedgerUserClient.Create(node.Address, consortium.Suite, w.Key, options)).ToArray();
        ReadingDoctorClients = consortium.ReadingDoctors.Select(d => MedLedgerUserClient.Create(node.Address, consortium.Suite, d.Key, options)).ToArray();
        PatientClients = new MedLedgerUserClient?[consortium.Patients.Count];
    }

    public NodeChildProcess Node { get; }

    public MedLedgerClient Api { get; }

    public BenchRecordsConsortium Consortium { get; }

    public ICryptoSuite Suite => Consortium.Suite;

    public IReadOnlyList<byte[]> Documents { get; }

    public IReadOnlyList<MedLedgerUserClient> WriterClients { get; }

    public IReadOnlyList<MedLedgerUserClient> ReadingDoctorClients { get; }

    /// <summary>Clients of the patients who read (created on first use).</summary>
    public MedLedgerUserClient?[] PatientClients { get; }

    public MedLedgerUserClient PatientClient(int patient) =>
        PatientClients[patient] ??= MedLedgerUserClient.Create(Node.Address, Suite, Consortium.Patients[patient].Key, new RequestSigningOptions { ChainId = BenchRecordsConsortium.ChainId });

    /// <summary>Polls the node until its mempool is empty (at most a minute); returns the last status.</summary>
    public static async Task<NodeStatus> WaitForEmptyMempoolAsync(MedLedgerClient api, TimeSpan poll, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(api);
        var status = await api.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        while (status.MempoolSize > 0 && Stopwatch.GetElapsedTime(started) < TimeSpan.FromMinutes(1))
        {
            await Task.Delay(poll, cancellationToken).ConfigureAwait(false);
            status = await api.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        }

        return status;
    }

    /// <summary>The number of transactions in each block above <paramref name="fromHeight"/> up to <paramref name="toHeight"/>.</summary>
    public static async Task<int[]> CountBlockTransactionsAsync(MedLedgerClient api, ulong fromHeight, ulong toHeight, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(api);
        var counts = new int[toHeight - fromHeight];
        await Parallel.ForAsync(0, counts.Length, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (k, token) =>
        {
            var height = fromHeight + 1 + (ulong)k;
            var block = await api.GetBlockAsync(height, token).ConfigureAwait(false)
                ?? throw new BenchmarkFailedException($"Block {height} is missing below the node's height {toHeight}.");
            counts[k] = block.TransactionIds.Count;
        }).ConfigureAwait(false);
        return counts;
    }

    public void Dispose()
    {
        foreach (var client in WriterClients.Concat(ReadingDoctorClients).Concat(PatientClients.OfType<MedLedgerUserClient>()))
        {
            client.Dispose();
        }
    }
}
