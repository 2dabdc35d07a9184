using Microsoft.AspNetCore.Http;

namespace MedLedger.Web.Security;

/// <summary>
/// The response headers of every UI page and file (docs/web.md "Security headers"): a strict Content-Security-Policy
/// (only this origin's stylesheet and images; no script at all, no inline style, no framing, forms post only here),
/// no MIME sniffing, no referrer, no caching of pages that show personal data, and a minimal permissions policy.
/// </summary>
public static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Sets the headers on a response before it starts.</summary>
    public static void Apply(HttpResponse response, bool cacheable = false)
    {
        ArgumentNullException.ThrowIfNull(response);
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
        headers.CacheControl = cacheable ? "public, max-age=3600" : "no-store";
        if (!cacheable)
        {
            headers.Pragma = "no-cache";
        }
    }
}
