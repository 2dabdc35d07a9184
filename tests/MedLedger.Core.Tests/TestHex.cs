namespace MedLedger.Core.Tests;

/// <summary>Hex helpers that keep golden expectations readable, field by field.</summary>
internal static class TestHex
{
    /// <summary>Lower-case hex of <paramref name="bytes"/>.</summary>
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>Bytes of a hex string.</summary>
    public static byte[] Bytes(string hex) => Convert.FromHexString(hex);

    /// <summary><paramref name="byteHex"/> (one byte, two hex digits) repeated <paramref name="count"/> times.</summary>
    public static string Repeat(string byteHex, int count) => string.Concat(Enumerable.Repeat(byteHex, count));
}
