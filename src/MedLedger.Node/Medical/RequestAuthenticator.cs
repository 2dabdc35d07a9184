using System.Collections.Concurrent;
using System.Globalization;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Ledger;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace MedLedger.Node.Medical;

/// <summary>A request whose signature, window, nonce and key were checked.</summary>
/// <param name="KeyId">The signing key id.</param>
/// <param name="Account">Its committed account.</param>
/// <param name="UserId">The user the key belongs to.</param>
/// <param name="RequestHash">Hash of the signed bytes: the request's identity in the access log.</param>
/// <param name="Body">The request body as signed.</param>
public sealed record Caller(Hash KeyId, Account Account, Hash UserId, Hash RequestHash, byte[] Body);

/// <summary>Why a request was not authenticated; logged on chain as a denied attempt.</summary>
/// <param name="Reason">The access-log reason.</param>
/// <param name="ClaimedKey">The key id the request named (zero if none could be read).</param>
/// <param name="RequestHash">Hash of the bytes that were (claimed to be) signed, or zero.</param>
/// <param name="Status">HTTP status to answer with.</param>
/// <param name="Code">Stable problem code.</param>
/// <param name="Detail">One-line reason for the caller.</param>
public sealed record AuthenticationFailure(AccessDenialReason Reason, Hash ClaimedKey, Hash RequestHash, int Status, string Code, string Detail);

/// <summary>
/// Checks signed API requests (docs/api.md "Signed requests", SPEC F19): the five headers, the body hash, a window of
/// at most five minutes containing the node's clock, the signature under the committed key, a nonce never seen in
/// the window (a replay cache bounded by the window), and that the key, its user and its organisation are active.
/// The nonce is remembered only after the signature verifies, so forged requests cannot burn nonces.
/// </summary>
public sealed class RequestAuthenticator
{
    private const int MaxRememberedNonces = 2_000_000;

    private readonly LedgerStateMachine _ledger;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<(Hash Key, string Nonce), long> _seen = new();
    private long _nextPurge;

    // ConcurrentDictionary.Count takes every lock of the dictionary on every request; an approximate count kept
    // alongside is enough for the bound.
    private int _seenCount;

    public RequestAuthenticator(LedgerStateMachine ledger, TimeProvider clock)
    {
        _ledger = ledger;
        _clock = clock;
    }

    /// <summary>Reads the body (at most <paramref name="maxBodyBytes"/>) and authenticates the request.</summary>
    public async Task<(Caller? Caller, AuthenticationFailure? Failure)> AuthenticateAsync(HttpRequest request, int maxBodyBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = await ReadBodyAsync(request, maxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return (null, new AuthenticationFailure(AccessDenialReason.Malformed, Hash.Zero, Hash.Zero, StatusCodes.Status413PayloadTooLarge, "TooLarge", $"The request body exceeds {maxBodyBytes} bytes."));
        }

        var headers = request.Headers;
        string? keyText = headers[RequestSignature.KeyHeader], createdText = headers[RequestSignature.CreatedHeader], expiresText = headers[RequestSignature.ExpiresHeader];
        string? nonce = headers[RequestSignature.NonceHeader], signatureText = headers[RequestSignature.SignatureHeader];
        if (keyText is null && signatureText is null)
        {
            return (null, new AuthenticationFailure(AccessDenialReason.InvalidSignature, Hash.Zero, Hash.Zero, StatusCodes.Status401Unauthorized, "Unauthenticated", "This endpoint needs a signed request (the X-MedLedger-* headers)."));
        }

        if (!Hash.TryParse(keyText, out var keyId) || !long.TryParse(createdText, NumberStyles.None, CultureInfo.InvariantCulture, out var created)
            || !long.TryParse(expiresText, NumberStyles.None, CultureInfo.InvariantCulture, out var expires) || !RequestSignature.IsWellFormedNonce(nonce)
            || !TryBase64(signatureText, out var signature))
        {
            return (null, new AuthenticationFailure(AccessDenialReason.Malformed, keyId, Hash.Zero, StatusCodes.Status401Unauthorized, "MalformedSignature", "The signature headers are missing or malformed."));
        }

        // The target exactly as the client sent it (escaped, with any proxy prefix), which is what the client signed.
        var target = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw ? raw : (request.PathBase + request.Path + request.QueryString).ToString();
        var signed = RequestSignature.EncodeSigningBytes(_ledger.ChainId, request.Method, target, created, expires, nonce!, _ledger.Suite.Hash(body));
        var requestHash = _ledger.Suite.Hash(signed);
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (expires <= created || expires - created > RequestSignature.MaxWindowMilliseconds
            || created > now + RequestSignature.MaxClockSkewMilliseconds || expires < now - RequestSignature.MaxClockSkewMilliseconds)
        {
            return (null, new AuthenticationFailure(AccessDenialReason.Replay, keyId, requestHash, StatusCodes.Status401Unauthorized, "RequestExpired", "The request is outside its validity window (at most 5 minutes, containing the node's clock)."));
        }

        var account = _ledger.GetAccount(keyId);
        if (account is null)
        {
            return (null, new AuthenticationFailure(AccessDenialReason.UnknownKey, keyId, requestHash, StatusCodes.Status401Unauthorized, "UnknownKey", "The signing key is not registered on chain."));
        }

        if (!_ledger.Suite.Verify(account.PublicKey, signed, signature))
        {
            return (null, new AuthenticationFailure(AccessDenialReason.InvalidSignature, keyId, requestHash, StatusCodes.Status401Unauthorized, "InvalidSignature", "The request signature does not verify under the key's public key."));
        }

        PurgeExpired(now);
        if (Volatile.Read(ref _seenCount) >= MaxRememberedNonces || !_seen.TryAdd((keyId, nonce!), expires + RequestSignature.MaxClockSkewMilliseconds))
        {
            return (null, new AuthenticationFailure(AccessDenialReason.Replay, keyId, requestHash, StatusCodes.Status401Unauthorized, "Replay", "This request (its nonce) was already used."));
        }

        Interlocked.Increment(ref _seenCount);

        if (!account.IsActive || (account.Organisation.Length != 0 && _ledger.GetOrganisation(account.Organisation)?.Status != OrganisationStatus.Active))
        {
            return (null, new AuthenticationFailure(AccessDenialReason.ActorRevoked, keyId, requestHash, StatusCodes.Status403Forbidden, "KeyRevoked", "The signing key, or its organisation, was revoked or replaced."));
        }

        return (new Caller(keyId, account, account.EffectiveUserId(keyId), requestHash, body), null);
    }

    private void PurgeExpired(long now)
    {
        var next = Interlocked.Read(ref _nextPurge);
        if (now < next || Interlocked.CompareExchange(ref _nextPurge, now + 10_000, next) != next)
        {
            return;
        }

        foreach (var entry in _seen)
        {
            if (entry.Value < now && _seen.TryRemove(entry.Key, out _))
            {
                Interlocked.Decrement(ref _seenCount);
            }
        }
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int maxBodyBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBodyBytes)
        {
            return null;
        }

        // With a declared length (the SDK always sends one) the body is read into one array of that size: a batch
        // upload's body of several hundred KB would otherwise be copied through a growing stream and copied again, all
        // on the large-object heap. The server ends the body at the declared length.
        if (request.ContentLength is { } declared)
        {
            var exact = new byte[declared];
            var filled = 0;
            while (filled < exact.Length)
            {
                var got = await request.Body.ReadAsync(exact.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (got == 0)
                {
                    return exact[..filled];
                }

                filled += got;
            }

            return exact;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static bool TryBase64(string? text, out byte[] bytes)
    {
        bytes = [];
        if (text is null || text.Length > 4 * Limits.MaxSignatureBytes)
        {
            return false;
        }

        try
        {
            bytes = Convert.FromBase64String(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
