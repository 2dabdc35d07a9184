using System.Diagnostics;
using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Cli;

/// <summary>
/// Measures this machine's P-256 verification rate, on one thread and on every core at once, through the same
/// <see cref="ICryptoSuite.Verify"/> the node calls. A node verifies each transaction once, so the all-core rate
/// is the ceiling of its throughput (DEPENDENCIES.md, "The machine's limits").
/// </summary>
internal static class BenchCryptoRates
{
    private const int SignatureCount = 4_000;
    private const int WarmUpVerifications = 200;

    public static VerifyRates Measure(ICryptoSuite suite, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(suite);
        using var key = suite.GenerateSigningKey();
        var publicKey = key.PublicKey.ToArray();
        var messages = new byte[SignatureCount][];
        var signatures = new byte[SignatureCount][];
        for (var i = 0; i < SignatureCount; i++)
        {
            // Message shaped like a transaction's signing bytes (about 150 bytes).
            messages[i] = new byte[150];
            System.Security.Cryptography.RandomNumberGenerator.Fill(messages[i]);
            signatures[i] = key.Sign(messages[i]);
        }

        var samples = new Samples(suite, publicKey, messages, signatures);
        var single = RunThreads(samples, 1, duration);
        var allCores = RunThreads(samples, Environment.ProcessorCount, duration);
        return new VerifyRates(single, allCores, Environment.ProcessorCount);
    }

    /// <summary>Runs <paramref name="threads"/> dedicated threads that verify until the duration ends; the summed rate.</summary>
    private static double RunThreads(Samples samples, int threads, TimeSpan duration)
    {
        var rates = new double[threads];
        using var barrier = new Barrier(threads);
        var workers = new Thread[threads];
        for (var t = 0; t < threads; t++)
        {
            var index = t;
            workers[t] = new Thread(() => rates[index] = VerifyFor(samples, index * (SignatureCount / threads), duration, barrier))
            {
                IsBackground = true,
                Name = $"bench verify {index}",
            };
            workers[t].Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        return rates.Sum();
    }

    private static double VerifyFor(Samples samples, int start, TimeSpan duration, Barrier barrier)
    {
        // Warm up (the suite caches the imported public key per thread, as the node's admission threads do).
        var i = start;
        for (var w = 0; w < WarmUpVerifications; w++)
        {
            VerifyOne(samples, ref i);
        }

        barrier.SignalAndWait();
        var started = Stopwatch.GetTimestamp();
        var stop = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long count = 0;
        while (Stopwatch.GetTimestamp() < stop)
        {
            for (var j = 0; j < 32; j++)
            {
                VerifyOne(samples, ref i);
            }

            count += 32;
        }

        return count / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static void VerifyOne(Samples samples, ref int index)
    {
        Invariant.Check(samples.Suite.Verify(samples.PublicKey, samples.Messages[index], samples.Signatures[index]), "a freshly made signature verifies");
        index = (index + 1) % SignatureCount;
    }

    private sealed record Samples(ICryptoSuite Suite, byte[] PublicKey, byte[][] Messages, byte[][] Signatures);
}

/// <summary>Verifications per second on one thread and on all cores.</summary>
internal sealed record VerifyRates(double SingleThreadPerSecond, double AllCoresPerSecond, int Cores);
