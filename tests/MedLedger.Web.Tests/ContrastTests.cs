using System.Globalization;
using System.Text.RegularExpressions;

namespace MedLedger.Web.Tests;

/// <summary>
/// WCAG AA contrast of the colour pairs the stylesheet uses, computed from the embedded site.css itself (its custom
/// properties and literal colours), so a colour edited in the stylesheet is checked here: text needs 4.5:1, the focus
/// ring and other non-text indicators 3:1 (WCAG 2.2, 1.4.3 and 1.4.11). The browser tests check the same on the
/// rendered pages, element by element.
/// </summary>
public sealed class ContrastTests
{
    // Foreground, background, minimum ratio, where the stylesheet uses the pair. Names are custom properties of :root
    // (without the dashes) or literal colours.
    public static TheoryData<string, string, double, string> Pairs() => new()
    {
        { "ink", "#fff", 4.5, "body text" },
        { "muted", "#fff", 4.5, "hints, card labels, figcaptions" },
        { "link", "#fff", 4.5, "links" },
        { "#fff", "accent", 4.5, "header text and links, primary buttons" },
        { "accent", "#fff", 4.5, "secondary buttons, the sign-out button" },
        { "#fff", "bad", 4.5, "danger buttons" },
        { "ink", "soft", 4.5, "table headers, badges, code blocks" },
        { "muted", "soft", 4.5, "muted text in table headers" },
        { "ink", "#e7f1fb", 4.5, "the one-shot message" },
        { "bad", "#fbeaea", 4.5, "errors, access denied, denied badges" },
        { "good", "#eaf6ee", 4.5, "allowed and active badges" },
        { "focus", "#fff", 3.0, "focus ring on the page" },
        { "focus", "soft", 3.0, "focus ring on table headers" },
        { "#fff", "accent", 3.0, "focus ring in the header" },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void StylesheetColourPair_MeetsWcagAA(string foreground, string background, double minimum, string usedFor)
    {
        var css = Stylesheet();
        var ratio = ContrastRatio(Resolve(css, foreground), Resolve(css, background));
        Assert.True(ratio >= minimum, $"{foreground} on {background} ({usedFor}) has contrast {ratio:0.00}:1, below {minimum}:1.");
    }

    [Fact]
    public void Stylesheet_UsesEveryBackgroundOfTheCheckedPairs()
    {
        // The pairs above are the ones the stylesheet declares: every literal background checked here occurs in it, so
        // a restyled component cannot leave this list checking a colour nobody uses any more.
        var css = Stylesheet();
        foreach (var literal in new[] { "#e7f1fb", "#fbeaea", "#eaf6ee" })
        {
            Assert.Contains(literal, css, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Contains(":focus-visible", css, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("#000", "#fff", 21.0)]
    [InlineData("#fff", "#fff", 1.0)]
    [InlineData("#777777", "#ffffff", 4.48)]
    public void ContrastRatio_MatchesTheWcagFormula(string foreground, string background, double expected)
    {
        // Known values: black on white is 21:1, equal colours 1:1, #777 on white 4.48:1 (just failing AA).
        Assert.Equal(expected, ContrastRatio(Parse(foreground), Parse(background)), 2);
    }

    /// <summary>WCAG 2 contrast ratio of two sRGB colours (0–255 channels).</summary>
    public static double ContrastRatio((int R, int G, int B) foreground, (int R, int G, int B) background)
    {
        var a = Luminance(foreground);
        var b = Luminance(background);
        return (Math.Max(a, b) + 0.05) / (Math.Min(a, b) + 0.05);
    }

    /// <summary>Relative luminance (WCAG 2).</summary>
    public static double Luminance((int R, int G, int B) colour)
    {
        static double Channel(int value)
        {
            var c = value / 255.0;
            return c <= 0.04045 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
        }

        return (0.2126 * Channel(colour.R)) + (0.7152 * Channel(colour.G)) + (0.0722 * Channel(colour.B));
    }

    /// <summary>Parses #rgb or #rrggbb.</summary>
    public static (int R, int G, int B) Parse(string hex)
    {
        var digits = hex.TrimStart('#');
        if (digits.Length == 3)
        {
            digits = string.Concat(digits.Select(d => new string(d, 2)));
        }

        Assert.Equal(6, digits.Length);
        var value = int.Parse(digits, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return ((value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff);
    }

    private static (int R, int G, int B) Resolve(string css, string name)
    {
        if (name.StartsWith('#'))
        {
            return Parse(name);
        }

        var match = Regex.Match(css, "--" + Regex.Escape(name) + @":\s*(#[0-9a-fA-F]{3,6})\s*;");
        Assert.True(match.Success, $"site.css defines no custom property --{name}.");
        return Parse(match.Groups[1].Value);
    }

    private static string Stylesheet()
    {
        using var stream = typeof(WebUi).Assembly.GetManifestResourceStream("MedLedger.Web.site.css");
        Assert.NotNull(stream);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
