using MedLedger.Core;

namespace MedLedger.Simulation.Tests;

/// <summary>Hex helpers that keep golden expectations readable, field by field.</summary>
internal static class Hex
{
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public static byte[] Bytes(string hex) => Convert.FromHexString(hex);

    /// <summary><paramref name="byteHex"/> (one byte, two hex digits) repeated <paramref name="count"/> times.</summary>
    public static string Repeat(string byteHex, int count) => string.Concat(Enumerable.Repeat(byteHex, count));

    /// <summary>The hash whose 32 bytes all equal <paramref name="value"/>.</summary>
    public static Hash Filled(byte value) => new(Enumerable.Repeat(value, Hash.Size).ToArray());

    /// <summary><paramref name="count"/> bytes all equal to <paramref name="value"/>.</summary>
    public static byte[] FilledBytes(byte value, int count) => Enumerable.Repeat(value, count).ToArray();
}
