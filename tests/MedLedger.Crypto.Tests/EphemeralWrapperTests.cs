using System.Security.Cryptography;

namespace MedLedger.Crypto.Tests;

/// <summary>
/// <see cref="EphemeralWrapper"/> (ADR 0007 §10): ephemeral-form envelopes whose one-off sender key is reused per
/// recipient for a bounded number of wraps and a bounded time. They open with the plain <see cref="KeyWrap.Unwrap"/>
/// (so every existing reader and node opens them), only for their recipient and their associated data, and any
/// alteration still fails.
/// </summary>
public sealed class EphemeralWrapperTests : IDisposable
{
    private static readonly byte[] AssociatedData = "record 1 / tier GeneralClinical / recipient"u8.ToArray();

    private readonly ICryptoSuite _suite = CryptoSuites.Standard;
    private readonly ISigningKey _organisation = CryptoSuites.Standard.GenerateSigningKey();
    private readonly ISigningKey _patient = CryptoSuites.Standard.GenerateSigningKey();
    private readonly ISigningKey _stranger = CryptoSuites.Standard.GenerateSigningKey();
    private readonly byte[] _dataKey = RandomNumberGenerator.GetBytes(32);

    public void Dispose()
    {
        _organisation.Dispose();
        _patient.Dispose();
        _stranger.Dispose();
    }

    // Proves envelopes to one recipient share the sender key but not the nonce, are form 1 (ephemeral), and open with
    // the unchanged KeyWrap.Unwrap; another recipient gets its own sender key.
    [Fact]
    public void Wraps_ToOneRecipient_ShareTheSenderKey_AndOpenWithThePlainUnwrap()
    {
        using var wrapper = new EphemeralWrapper(_suite);
        var first = wrapper.Wrap(_organisation.PublicKey.Span, _dataKey, AssociatedData);
        var otherKey = RandomNumberGenerator.GetBytes(32);
        var second = wrapper.Wrap(_organisation.PublicKey.Span, otherKey, AssociatedData);
        var forPatient = wrapper.Wrap(_patient.PublicKey.Span, _dataKey, AssociatedData);

        Assert.Equal(1, first[0]);
        Assert.Equal(KeyWrap.ReadSenderKey(_suite, first), KeyWrap.ReadSenderKey(_suite, second));
        Assert.NotEqual(first[70..82], second[70..82]);
        Assert.NotEqual(KeyWrap.ReadSenderKey(_suite, first), KeyWrap.ReadSenderKey(_suite, forPatient));
        Assert.NotEqual(_organisation.PublicKey.ToArray(), KeyWrap.ReadSenderKey(_suite, first));

        Assert.Equal(_dataKey, KeyWrap.Unwrap(_suite, _organisation, first, AssociatedData));
        Assert.Equal(otherKey, KeyWrap.Unwrap(_suite, _organisation, second, AssociatedData));
        Assert.Equal(_dataKey, KeyWrap.Unwrap(_suite, _patient, forPatient, AssociatedData));
    }

    // Proves a reused-key envelope opens only for its recipient and its associated data: another key (even one that
    // received an envelope from the same wrapper) and other associated data fail with CryptoException.
    [Fact]
    public void ReusedKeyEnvelope_OpensOnlyForItsRecipient_AndItsContext()
    {
        using var wrapper = new EphemeralWrapper(_suite);
        var envelope = wrapper.Wrap(_organisation.PublicKey.Span, _dataKey, AssociatedData);
        _ = wrapper.Wrap(_patient.PublicKey.Span, _dataKey, AssociatedData);

        Assert.Throws<CryptoException>(() => KeyWrap.Unwrap(_suite, _patient, envelope, AssociatedData));
        Assert.Throws<CryptoException>(() => KeyWrap.Unwrap(_suite, _stranger, envelope, AssociatedData));
        Assert.Throws<CryptoException>(() => KeyWrap.Unwrap(_suite, _organisation, envelope, "record 2 / tier GeneralClinical / recipient"u8));
    }

    // Proves that flipping any single byte of a reused-key envelope (form, length, sender key, nonce, ciphertext or
    // tag) makes it fail to open, as for a fresh-key envelope.
    [Fact]
    public void EveryAlteredByte_FailsToOpen()
    {
        using var wrapper = new EphemeralWrapper(_suite);
        _ = wrapper.Wrap(_organisation.PublicKey.Span, _dataKey, AssociatedData);
        var envelope = wrapper.Wrap(_organisation.PublicKey.Span, _dataKey, AssociatedData);
        for (var i = 0; i < envelope.Length; i++)
        {
            var altered = (byte[])envelope.Clone();
            altered[i] ^= 0x01;
            Assert.Throws<CryptoException>(() => KeyWrap.Unwrap(_suite, _organisation, altered, AssociatedData));
        }
    }

    // Proves a sender key seals at most MaxWrapsPerKey envelopes: with a bound of 3, the fourth envelope names a new
    // sender key, and envelopes of both keys open.
    [Fact]
    public void SenderKey_IsReplaced_AfterMaxWraps()
    {
        using var wrapper = new EphemeralWrapper(_suite, maxWrapsPerKey: 3);
        var envelopes = Enumerable.Range(0, 7).Select(_ => wrapper.Wrap(_organisation.PublicKey.Span, _dataKey, AssociatedData)).ToList();
        var senders = envelopes.Select(e => Convert.ToHexString(KeyWrap.ReadSenderKey(_suite, e))).ToList();

        Assert.Equal(senders[0], senders[1]);
        Assert.Equal(senders[0], senders[2]);
        Assert.NotEqual(senders[2], senders[3]);
        Assert.Equal(senders[3], senders[5]);
        Assert.NotEqual(senders[5], senders[6]);
        Assert.Equal(3, senders.Distinct().Count());
        Assert.All(envelopes, e => Assert.Equal(_dataKey, KeyWrap.Unwrap(_suite, _organisation, e, AssociatedData)));
    }

    // Proves a sender key is used for at most MaxKeyAge: on a manual clock, a wrap just before the age keeps the key,
    // one at the age makes a new one.
    [Fact]
    public void SenderKey_IsReplaced_AfterMaxAge()
    {
        var clock = new SteppedClock();
        using var wrapper = new EphemeralWrapper(_suite, maxKeyAge: TimeSpan.FromSeconds(60), timeProvider: clock);
        var first = KeyWrap.ReadSenderKey(_suite, wrapper.Wrap(_organisation.PublicKey.Span, _dataKey, AssociatedData));
        clock.Advance(TimeSpan.FromSeconds(59));
        var second = KeyWrap.ReadSenderKey(_suite, wrapper.Wrap(_organisation.PublicKey.Span, _dataKey, AssociatedData));
        clock.Advance(TimeSpan.FromSeconds(1));
        var third = KeyWrap.ReadSenderKey(_suite, wrapper.Wrap(_organisation.PublicKey.Span, _dataKey, AssociatedData));

        Assert.Equal(first, second);
        Assert.NotEqual(second, third);
    }

    // Proves the bounds: wraps per key 1..MaxAllowedWrapsPerKey and an age above zero and at most an hour; a recipient
    // key off the curve throws CryptoException; a disposed wrapper refuses to wrap.
    [Fact]
    public void Bounds_BadKeys_AndDisposal_AreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EphemeralWrapper(_suite, maxWrapsPerKey: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EphemeralWrapper(_suite, maxWrapsPerKey: EphemeralWrapper.MaxAllowedWrapsPerKey + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EphemeralWrapper(_suite, maxKeyAge: TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EphemeralWrapper(_suite, maxKeyAge: TimeSpan.FromHours(2)));

        var wrapper = new EphemeralWrapper(_suite);
        var offCurve = _organisation.PublicKey.ToArray();
        offCurve[^1] ^= 0x01;
        Assert.Throws<CryptoException>(() => wrapper.Wrap(offCurve, _dataKey, AssociatedData));
        Assert.Throws<CryptoException>(() => wrapper.Wrap([], _dataKey, AssociatedData));

        wrapper.Dispose();
        Assert.Throws<ObjectDisposedException>(() => wrapper.Wrap(_organisation.PublicKey.Span, _dataKey, AssociatedData));
    }

    // Proves concurrent wraps from several threads to a few recipients all open, with the per-key bound kept: with a
    // bound of 50 and 400 envelopes to one recipient, no sender key names more than 50 envelopes.
    [Fact]
    public async Task ConcurrentWraps_AllOpen_AndKeepTheBound()
    {
        using var wrapper = new EphemeralWrapper(_suite, maxWrapsPerKey: 50);
        var envelopes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 50).Select(_ => wrapper.Wrap(_organisation.PublicKey.Span, _dataKey, AssociatedData)).ToList())));
        var all = envelopes.SelectMany(e => e).ToList();

        Assert.Equal(400, all.Count);
        Assert.All(all.GroupBy(e => Convert.ToHexString(KeyWrap.ReadSenderKey(_suite, e))), group => Assert.True(group.Count() <= 50));
        Assert.All(all, e => Assert.Equal(_dataKey, KeyWrap.Unwrap(_suite, _organisation, e, AssociatedData)));
    }

    private sealed class SteppedClock : TimeProvider
    {
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
