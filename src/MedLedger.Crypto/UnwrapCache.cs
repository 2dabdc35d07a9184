using System.Collections.Concurrent;

namespace MedLedger.Crypto;

/// <summary>
/// The recipient's side of <see cref="KeyWrap.Unwrap"/> when the same sender keys recur: the ECDH secret between the
/// recipient's private key and each sender key is agreed once and kept, so opening an envelope costs a hash and one
/// AEAD decryption (microseconds) instead of a key agreement. Sender keys recur for a reader (every static envelope
/// comes from the holding organisation's key) and for a holding node (writers reuse their one-off keys,
/// <see cref="EphemeralWrapper"/>). The secrets are worth no more than the private keys they come from, which sit in
/// the same process. Bounded: when full, the cache is emptied and secrets are agreed again. Thread-safe.
/// </summary>
public sealed class UnwrapCache
{
    /// <summary>The default number of (recipient, sender) secrets kept.</summary>
    public const int DefaultCapacity = 16_384;

    private readonly ICryptoSuite _suite;
    private readonly int _capacity;
    private readonly ConcurrentDictionary<Core.Hash, byte[]> _secrets = new();

    // ConcurrentDictionary.Count takes every lock of the dictionary; an approximate count is enough for a bound.
    private int _count;

    /// <summary>Creates a cache of at most <paramref name="capacity"/> secrets.</summary>
    public UnwrapCache(ICryptoSuite suite, int capacity = DefaultCapacity)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _suite = suite;
        _capacity = capacity;
    }

    /// <summary>Secrets currently kept (approximate under concurrent use).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Opens an envelope of either form, as <see cref="KeyWrap.Unwrap"/> does (same result, same
    /// <see cref="CryptoException"/> for a malformed, altered, misbound or misaddressed envelope).
    /// </summary>
    public byte[] Unwrap(ISigningKey recipient, ReadOnlySpan<byte> envelope, ReadOnlySpan<byte> associatedData)
    {
        ArgumentNullException.ThrowIfNull(recipient);
        var (_, senderKey) = KeyWrap.ReadHeader(_suite, envelope);
        var secret = Secret(recipient, senderKey);
        return KeyWrap.UnwrapWithSecret(_suite, secret, recipient.PublicKey.Span, envelope, associatedData);
    }

    private byte[] Secret(ISigningKey recipient, byte[] senderKey)
    {
        // One slot per pair of public keys; the suite hash of both encodings names the pair without ambiguity, as
        // every key of a suite has the same length.
        var recipientKey = recipient.PublicKey.Span;
        var pair = new byte[recipientKey.Length + senderKey.Length];
        recipientKey.CopyTo(pair);
        senderKey.CopyTo(pair.AsSpan(recipientKey.Length));
        var slot = _suite.Hash(pair);
        if (_secrets.TryGetValue(slot, out var secret))
        {
            return secret;
        }

        // Throws CryptoException for a sender key off the curve; nothing is cached then.
        secret = _suite.DeriveSharedSecret(recipient, senderKey);
        if (Volatile.Read(ref _count) >= _capacity)
        {
            _secrets.Clear();
            Volatile.Write(ref _count, 0);
        }

        if (_secrets.TryAdd(slot, secret))
        {
            Interlocked.Increment(ref _count);
        }

        return secret;
    }
}
