using MedLedger.Core;

namespace MedLedger.Client;

/// <summary>
/// How the SDK and CLI sign each API request with the user's key (ARCHITECTURE §10; docs/api.md "Signed requests").
/// Five headers carry the key id, the creation and expiry times (Unix milliseconds), a random nonce and the
/// signature over <see cref="EncodeSigningBytes"/>. A node accepts a request once (nonce) and only inside its window,
/// which is at most <see cref="MaxWindowMilliseconds"/> long and must contain the node's clock give or take
/// <see cref="MaxClockSkewMilliseconds"/>.
/// </summary>
public static class RequestSignature
{
    /// <summary>Header with the signing key id (hex).</summary>
    public const string KeyHeader = "X-MedLedger-Key";

    /// <summary>Header with the creation time, Unix milliseconds.</summary>
    public const string CreatedHeader = "X-MedLedger-Created";

    /// <summary>Header with the expiry time, Unix milliseconds.</summary>
    public const string ExpiresHeader = "X-MedLedger-Expires";

    /// <summary>Header with the nonce: 32 lowercase hex characters (16 random bytes).</summary>
    public const string NonceHeader = "X-MedLedger-Nonce";

    /// <summary>Header with the signature, base64.</summary>
    public const string SignatureHeader = "X-MedLedger-Signature";

    /// <summary>Longest validity window of a request.</summary>
    public const long MaxWindowMilliseconds = 5 * 60 * 1000;

    /// <summary>Tolerated clock difference between client and node.</summary>
    public const long MaxClockSkewMilliseconds = 60 * 1000;

    private static readonly byte[] Domain = "MedLedger/request/v1\0"u8.ToArray();

    /// <summary>
    /// The signed bytes: domain tag, chain id, upper-case method, path and query exactly as sent, created, expires,
    /// nonce and the suite hash of the body (of the empty string when there is none).
    /// </summary>
    public static byte[] EncodeSigningBytes(string chainId, string method, string pathAndQuery, long createdUnixMilliseconds, long expiresUnixMilliseconds, string nonce, Hash bodyHash)
    {
        ArgumentNullException.ThrowIfNull(chainId);
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(pathAndQuery);
        ArgumentNullException.ThrowIfNull(nonce);
        var writer = new CanonicalWriter(Domain.Length + 256 + pathAndQuery.Length);
        writer.WriteRaw(Domain);
        writer.WriteString(chainId);
        writer.WriteString(method.ToUpperInvariant());
        writer.WriteString(pathAndQuery);
        writer.WriteInt64(createdUnixMilliseconds);
        writer.WriteInt64(expiresUnixMilliseconds);
        writer.WriteString(nonce);
        writer.WriteHash(bodyHash);
        return writer.ToArray();
    }

    /// <summary>True when <paramref name="nonce"/> has the required form.</summary>
    public static bool IsWellFormedNonce(string? nonce) =>
        nonce is { Length: 32 } && nonce.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
