using System.Globalization;
using System.Net;

namespace MedLedger.Network;

/// <summary>Parses the <c>host:port</c> addresses of seeds: an IPv4 or bracketed IPv6 literal, or a DNS name.</summary>
internal static class PeerAddress
{
    public static bool TryParse(string? text, out EndPoint endPoint)
    {
        endPoint = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        if (IPEndPoint.TryParse(text, out var ip) && ip.Port != 0 && (text.Contains(']', StringComparison.Ordinal) || ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork))
        {
            endPoint = ip;
            return true;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            return false;
        }

        var host = text[..colon];
        if (host.Contains(':', StringComparison.Ordinal) || Uri.CheckHostName(host) != UriHostNameType.Dns)
        {
            return false;
        }

        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > IPEndPoint.MaxPort)
        {
            return false;
        }

        endPoint = new DnsEndPoint(host, port);
        return true;
    }
}
