using BenchmarkDotNet.Attributes;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Benchmarks;

/// <summary>The RFC 6962 root over already-hashed leaves, as for a block's transactions root.</summary>
[MemoryDiagnoser]
public class MerkleTreeBenchmarks
{
    private readonly ICryptoSuite _suite = CryptoSuites.Standard;
    private Hash[] _leaves = null!;

    [Params(1_000, 10_000)]
    public int Leaves { get; set; }

    [GlobalSetup]
    public void Setup() =>
        _leaves = [.. Enumerable.Range(0, Leaves).Select(i => MerkleTree.HashLeaf(_suite, BitConverter.GetBytes(i)))];

    [Benchmark(Description = "MerkleTree.ComputeRoot")]
    public Hash ComputeRoot() => MerkleTree.ComputeRoot(_suite, _leaves);
}
