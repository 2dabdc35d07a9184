using System.Globalization;

namespace MedLedger.Sharing.Demo;

/// <summary>
/// SplitMix64: a tiny, fully specified generator, so demo data is the same on every runtime and version (unlike
/// <see cref="Random"/>, whose seeded algorithm is an implementation detail). Not for anything secret.
/// </summary>
internal sealed class DemoRandom(ulong seed)
{
    private ulong _state = seed;

    /// <summary>A generator for item <paramref name="index"/> of seed <paramref name="seed"/>, independent of the others.</summary>
    public static DemoRandom For(int seed, int index, ulong stream) =>
        new(unchecked(((ulong)(uint)seed << 32) ^ (uint)index ^ (stream * 0xD1B54A32D192ED03UL)));

    public ulong NextUInt64()
    {
        unchecked
        {
            _state += 0x9E3779B97F4A7C15UL;
            var z = _state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>Uniform in [0, <paramref name="maxExclusive"/>) (modulo bias is irrelevant for demo data).</summary>
    public int Next(int maxExclusive) => (int)(NextUInt64() % (ulong)maxExclusive);

    public int Next(int minInclusive, int maxExclusive) => minInclusive + Next(maxExclusive - minInclusive);

    public bool Chance(int percent) => Next(100) < percent;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>A decimal in [min, max] with <paramref name="decimals"/> digits after the point.</summary>
    public decimal Decimal(decimal min, decimal max, int decimals)
    {
        var scale = (decimal)Math.Pow(10, decimals);
        var steps = (int)((max - min) * scale);
        var value = min + (Next(steps + 1) / scale);
        return Math.Round(value, decimals);
    }

    public string Digits(int count)
    {
        var digits = new char[count];
        for (var i = 0; i < count; i++)
        {
            digits[i] = (char)('0' + Next(10));
        }

        return new string(digits);
    }

    public string Hex(int count)
    {
        var text = new System.Text.StringBuilder(count);
        while (text.Length < count)
        {
            text.Append(NextUInt64().ToString("x16", CultureInfo.InvariantCulture));
        }

        return text.ToString(0, count);
    }

    /// <summary>A version-4-shaped UUID string from the generator.</summary>
    public string Uuid()
    {
        var hex = Hex(32).ToCharArray();
        hex[12] = '4';
        hex[16] = "89ab"[Next(4)];
        var text = new string(hex);
        return $"{text[..8]}-{text[8..12]}-{text[12..16]}-{text[16..20]}-{text[20..]}";
    }
}
