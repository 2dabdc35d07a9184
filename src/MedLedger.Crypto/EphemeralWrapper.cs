using System.Security.Cryptography;
using MedLedger.Core;

namespace MedLedger.Crypto;

/// <summary>
/// The writer's side of <see cref="KeyWrap.WrapEphemeral"/> for many records to the same recipients (a doctor writing
/// for a hospital, a system bulk-uploading): one one-off sender key per recipient is made and agreed once, and its
/// key-encryption key then seals up to <see cref="MaxWrapsPerKey"/> envelopes for at most <see cref="MaxKeyAge"/>,
/// each with a fresh random nonce; then a new one-off key is made. The envelopes are ordinary ephemeral-form envelopes
/// (form 1), which every reader and node opens with <see cref="KeyWrap.Unwrap"/> as before.
/// </summary>
/// <remarks>
/// Why this is as safe as a fresh key per envelope (ADR 0007 §10): the one-off private key is dropped as soon as the
/// secret is agreed, so only the recipient's private key, or this object's memory while the key is in use, opens the
/// envelopes — the same as before for the recipient, and the writer's memory holds the plaintext of those records
/// anyway. Reusing an AES-GCM key is safe while nonces do not repeat: with random 96-bit nonces and at most
/// <see cref="MaxAllowedWrapsPerKey"/> envelopes per key the chance of a repeat is below 2^-64 (NIST SP 800-38D
/// allows 2^32). Every envelope is still bound by its associated data to one record, tier and recipient key, so an
/// envelope cannot be moved to another record. What changes: envelopes to one recipient that share a sender key show
/// that one writer made them close in time — they are kept off chain, by the holding node, which knows the author.
/// Thread-safe.
/// </remarks>
public sealed class EphemeralWrapper : IDisposable
{
    /// <summary>The most envelopes one sender key may seal, whatever a caller asks for.</summary>
    public const int MaxAllowedWrapsPerKey = 1 << 16;

    /// <summary>The default number of envelopes per sender key.</summary>
    public const int DefaultMaxWrapsPerKey = 1_000;

    /// <summary>Recipients remembered at once; beyond, every sender key is dropped and made again when needed.</summary>
    public const int MaxRecipients = 4_096;

    private readonly ICryptoSuite _suite;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<byte[], SenderKey> _keys = new(ByteArrayComparer.Instance);
    private bool _disposed;

    /// <summary>Creates a wrapper that reuses a sender key for at most <paramref name="maxWrapsPerKey"/> envelopes and <paramref name="maxKeyAge"/> (default 5 minutes).</summary>
    public EphemeralWrapper(ICryptoSuite suite, int maxWrapsPerKey = DefaultMaxWrapsPerKey, TimeSpan? maxKeyAge = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWrapsPerKey, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxWrapsPerKey, MaxAllowedWrapsPerKey);
        var age = maxKeyAge ?? TimeSpan.FromMinutes(5);
        if (age <= TimeSpan.Zero || age > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(maxKeyAge), "A sender key lives more than nothing and at most an hour.");
        }

        _suite = suite;
        MaxWrapsPerKey = maxWrapsPerKey;
        MaxKeyAge = age;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Envelopes one sender key seals before a new one is made.</summary>
    public int MaxWrapsPerKey { get; }

    /// <summary>How long one sender key is used before a new one is made.</summary>
    public TimeSpan MaxKeyAge { get; }

    /// <summary>
    /// Wraps <paramref name="dataKey"/> for <paramref name="recipientPublicKey"/> in the ephemeral form, bound to
    /// <paramref name="associatedData"/>. Throws <see cref="CryptoException"/> for a key that is not on the suite's curve.
    /// </summary>
    public byte[] Wrap(ReadOnlySpan<byte> recipientPublicKey, ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> associatedData)
    {
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var lookup = _keys.GetAlternateLookup<ReadOnlySpan<byte>>();
            if (!lookup.TryGetValue(recipientPublicKey, out var key) || key.Uses >= MaxWrapsPerKey || _time.GetElapsedTime(key.Created, now) >= MaxKeyAge)
            {
                key?.Wipe();
                if (key is null && _keys.Count >= MaxRecipients)
                {
                    WipeAll();
                }

                key = NewSenderKey(recipientPublicKey, now);
                _keys[recipientPublicKey.ToArray()] = key;
            }

            key.Uses++;

            // Sealing under the lock keeps a key from being wiped by a rotation while another thread seals with it;
            // one AES-GCM of a 32-byte key takes about a microsecond.
            return KeyWrap.SealEphemeralWithKek(_suite, key.Kek, key.PublicKey, dataKey, associatedData);
        }
    }

    /// <summary>Wipes every key-encryption key; later wraps throw.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            WipeAll();
        }
    }

    private SenderKey NewSenderKey(ReadOnlySpan<byte> recipientPublicKey, long now)
    {
        var (publicKey, secret) = _suite.DeriveEphemeralSecret(recipientPublicKey);
        try
        {
            return new SenderKey(publicKey, KeyWrap.DeriveEphemeralKek(_suite, secret, publicKey, recipientPublicKey), now);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private void WipeAll()
    {
        foreach (var key in _keys.Values)
        {
            key.Wipe();
        }

        _keys.Clear();
    }

    private sealed class SenderKey(byte[] publicKey, byte[] kek, long created)
    {
        public byte[] PublicKey { get; } = publicKey;

        public byte[] Kek { get; } = kek;

        public long Created { get; } = created;

        public int Uses { get; set; }

        public void Wipe() => CryptographicOperations.ZeroMemory(Kek);
    }
}
