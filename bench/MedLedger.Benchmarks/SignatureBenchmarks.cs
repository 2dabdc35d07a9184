using BenchmarkDotNet.Attributes;
using MedLedger.Crypto;

namespace MedLedger.Benchmarks;

/// <summary>
/// ECDSA P-256 through the standard suite, as the node and its clients call it: signing a transaction-sized message
/// and verifying it with a public key the suite has already imported (its per-thread key cache).
/// </summary>
[MemoryDiagnoser]
public class SignatureBenchmarks : IDisposable
{
    private readonly ICryptoSuite _suite = CryptoSuites.Standard;
    private ISigningKey _key = null!;
    private byte[] _publicKey = null!;
    private byte[] _message = null!;
    private byte[] _signature = null!;

    [GlobalSetup]
    public void Setup()
    {
        _key = _suite.GenerateSigningKey();
        _publicKey = _key.PublicKey.ToArray();
        _message = new byte[150];
        System.Security.Cryptography.RandomNumberGenerator.Fill(_message);
        _signature = _key.Sign(_message);
    }

    [Benchmark(Description = "P-256 sign")]
    public byte[] Sign() => _key.Sign(_message);

    [Benchmark(Description = "P-256 verify")]
    public bool Verify() => _suite.Verify(_publicKey, _message, _signature);

    [GlobalCleanup]
    public void Dispose()
    {
        _key?.Dispose();
        GC.SuppressFinalize(this);
    }
}
