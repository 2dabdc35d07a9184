using System.Security.Cryptography;

namespace MedLedger.Crypto.Tests;

/// <summary>
/// <see cref="UnwrapCache"/>: opens envelopes of both forms exactly as <see cref="KeyWrap.Unwrap"/> does (including
/// envelopes written before sender keys were reused), agrees one secret per (recipient, sender) pair, and still
/// refuses an altered envelope, another recipient's envelope or other associated data after the secret is cached.
/// </summary>
public sealed class UnwrapCacheTests : IDisposable
{
    private static readonly byte[] AssociatedData = "record 9 / tier GeneralClinical / recipient"u8.ToArray();

    private readonly ICryptoSuite _suite = CryptoSuites.Standard;
    private readonly ISigningKey _organisation = CryptoSuites.Standard.GenerateSigningKey();
    private readonly ISigningKey _reader = CryptoSuites.Standard.GenerateSigningKey();
    private readonly ISigningKey _stranger = CryptoSuites.Standard.GenerateSigningKey();
    private readonly byte[] _dataKey = RandomNumberGenerator.GetBytes(32);

    public void Dispose()
    {
        _organisation.Dispose();
        _reader.Dispose();
        _stranger.Dispose();
    }

    // Proves the cache opens a fresh-key ephemeral envelope (as written before reuse), reused-key envelopes and a
    // static envelope, with one cached secret per distinct sender key.
    [Fact]
    public void OpensEveryForm_WithOneSecretPerSender()
    {
        var cache = new UnwrapCache(_suite);
        var fresh = KeyWrap.WrapEphemeral(_suite, _reader.PublicKey.Span, _dataKey, AssociatedData);
        Assert.Equal(_dataKey, cache.Unwrap(_reader, fresh, AssociatedData));
        Assert.Equal(1, cache.Count);

        using var wrapper = new EphemeralWrapper(_suite);
        for (var i = 0; i < 5; i++)
        {
            var key = RandomNumberGenerator.GetBytes(32);
            Assert.Equal(key, cache.Unwrap(_reader, wrapper.Wrap(_reader.PublicKey.Span, key, AssociatedData), AssociatedData));
        }

        Assert.Equal(2, cache.Count);

        var secret = KeyWrap.DeriveStaticSecret(_suite, _organisation, _reader.PublicKey.Span);
        var staticEnvelope = KeyWrap.WrapStatic(_suite, secret, _organisation.PublicKey.Span, _reader.PublicKey.Span, _dataKey, AssociatedData);
        Assert.Equal(_dataKey, cache.Unwrap(_reader, staticEnvelope, AssociatedData));
        Assert.Equal(_dataKey, cache.Unwrap(_reader, KeyWrap.WrapStatic(_suite, secret, _organisation.PublicKey.Span, _reader.PublicKey.Span, _dataKey, AssociatedData), AssociatedData));
        Assert.Equal(3, cache.Count);
    }

    // Proves a cached secret does not weaken the checks: after the pair's secret is cached, an altered byte, other
    // associated data, or the same envelope offered to another recipient key all fail with CryptoException.
    [Fact]
    public void CachedSecret_StillRefusesAlteredMisboundOrMisaddressedEnvelopes()
    {
        var cache = new UnwrapCache(_suite);
        using var wrapper = new EphemeralWrapper(_suite);
        _ = cache.Unwrap(_reader, wrapper.Wrap(_reader.PublicKey.Span, _dataKey, AssociatedData), AssociatedData);
        var envelope = wrapper.Wrap(_reader.PublicKey.Span, _dataKey, AssociatedData);

        for (var i = 0; i < envelope.Length; i++)
        {
            var altered = (byte[])envelope.Clone();
            altered[i] ^= 0x80;
            Assert.Throws<CryptoException>(() => cache.Unwrap(_reader, altered, AssociatedData));
        }

        Assert.Throws<CryptoException>(() => cache.Unwrap(_reader, envelope, "record 10 / tier GeneralClinical / recipient"u8));
        Assert.Throws<CryptoException>(() => cache.Unwrap(_stranger, envelope, AssociatedData));
        Assert.Equal(_dataKey, cache.Unwrap(_reader, envelope, AssociatedData));
    }

    // Proves a sender key off the curve and a truncated envelope fail cleanly and cache nothing.
    [Fact]
    public void MalformedEnvelope_FailsAndCachesNothing()
    {
        var cache = new UnwrapCache(_suite);
        var envelope = KeyWrap.WrapEphemeral(_suite, _reader.PublicKey.Span, _dataKey, AssociatedData);
        var offCurve = (byte[])envelope.Clone();
        offCurve[69] ^= 0x01; // last byte of the sender key's Y coordinate

        Assert.Throws<CryptoException>(() => cache.Unwrap(_reader, offCurve, AssociatedData));
        Assert.Throws<CryptoException>(() => cache.Unwrap(_reader, envelope.AsSpan(0, 40), AssociatedData));
        Assert.Throws<CryptoException>(() => cache.Unwrap(_reader, [], AssociatedData));
        Assert.Equal(0, cache.Count);
    }

    // Proves the bound: a cache of two secrets that sees five senders never holds more than two, and still opens
    // every envelope (secrets dropped are agreed again).
    [Fact]
    public void Capacity_IsBounded()
    {
        var cache = new UnwrapCache(_suite, capacity: 2);
        for (var i = 0; i < 5; i++)
        {
            var envelope = KeyWrap.WrapEphemeral(_suite, _reader.PublicKey.Span, _dataKey, AssociatedData);
            Assert.Equal(_dataKey, cache.Unwrap(_reader, envelope, AssociatedData));
            Assert.InRange(cache.Count, 1, 2);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => new UnwrapCache(_suite, capacity: 0));
    }
}
