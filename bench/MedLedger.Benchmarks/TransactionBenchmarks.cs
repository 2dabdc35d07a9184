using BenchmarkDotNet.Attributes;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Benchmarks;

/// <summary>The transaction envelope: create (encode and sign), decode, and compute the id (a hash of the encoding).</summary>
[MemoryDiagnoser]
public class TransactionBenchmarks : IDisposable
{
    private readonly ICryptoSuite _suite = CryptoSuites.Standard;
    private ISigningKey _key = null!;
    private byte[] _payload = null!;
    private Transaction _transaction = null!;
    private byte[] _encoded = null!;

    [GlobalSetup]
    public void Setup()
    {
        _key = _suite.GenerateSigningKey();
        _payload = new CommitmentAnchorPayload(_suite.Hash("benchmark commitment"u8)).Encode();
        _transaction = Create();
        _encoded = _transaction.Encoded.ToArray();
    }

    [Benchmark(Description = "Transaction.Create (anchor, signs)")]
    public Transaction Create() => Transaction.Create(_suite, _key, "medledger-bench", TransactionType.CommitmentAnchor, 1, 1_000, _payload);

    [Benchmark(Description = "Transaction.Decode")]
    public Transaction Decode() => Transaction.Decode(_encoded);

    [Benchmark(Description = "Transaction.ComputeId")]
    public Hash ComputeId() => _transaction.ComputeId(_suite);

    [GlobalCleanup]
    public void Dispose()
    {
        _key?.Dispose();
        GC.SuppressFinalize(this);
    }
}
