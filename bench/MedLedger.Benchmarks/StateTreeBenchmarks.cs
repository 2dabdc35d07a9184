using BenchmarkDotNet.Attributes;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Benchmarks;

/// <summary>
/// Staging and installing one block's state changes (<see cref="StateTree.Prepare"/> then <see cref="StateTree.Apply"/>)
/// over a state of 100,000 anchor entries. Each invocation rewrites <see cref="Changes"/> existing entries, alternating
/// between two values, so the state keeps its size however many times the benchmark runs.
/// </summary>
[MemoryDiagnoser]
public class StateTreeBenchmarks
{
    private const int StateEntries = 100_000;

    private readonly ICryptoSuite _suite = CryptoSuites.Standard;
    private StateTree _state = null!;
    private WriteSet[] _changeSets = null!;
    private int _next;

    [Params(1_000, 10_000)]
    public int Changes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var keys = Enumerable.Range(0, StateEntries).Select(i => StateKeys.Anchor(_suite.Hash(BitConverter.GetBytes(i)))).ToArray();
        var sender = _suite.Hash("benchmark sender"u8);
        _state = new StateTree(_suite);
        _state.Load(keys.Select(key => new KeyValuePair<byte[], byte[]>(key, new AnchorRecord(sender, 1).Encode())));

        // Two change sets over the same keys (spread over the whole state), applied alternately.
        _changeSets = new WriteSet[2];
        for (var set = 0; set < _changeSets.Length; set++)
        {
            _changeSets[set] = new WriteSet();
            for (var i = 0; i < Changes; i++)
            {
                _changeSets[set].Set(keys[(int)((long)i * StateEntries / Changes)], new AnchorRecord(sender, 2 + (ulong)set).Encode());
            }
        }
    }

    [Benchmark(Description = "StateTree.Prepare + Apply")]
    public Hash PrepareAndApply()
    {
        var prepared = _state.Prepare(_changeSets[_next]);
        _state.Apply(prepared);
        _next ^= 1;
        return _state.Root;
    }
}
