using System.Globalization;
using System.Net;
using System.Text;
using MedLedger.Web.Services;

namespace MedLedger.Web.Charts;

/// <summary>
/// Draws the access-volume chart (SPEC F30) as an SVG document on the server: one stacked bar per time bucket, one
/// colour per series (organisation · purpose), a y axis with a rounded scale, and a legend. No script, no inline style
/// (colours are CSS classes <c>series-0</c>… from the site stylesheet), so it passes the strict CSP. Every label is
/// XML-escaped; the chart carries a title and description for screen readers, and each bar segment a tooltip.
/// </summary>
public static class AccessChart
{
    public const int MaxSeries = 8;
    private const int Width = 720;
    private const int Height = 320;
    private const int Left = 48;
    private const int Right = 12;
    private const int Top = 16;
    private const int Bottom = 56;

    /// <summary>The SVG markup (an &lt;svg&gt; element to embed in a page).</summary>
    public static string Render(AccessVolume volume, string title)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var c = CultureInfo.InvariantCulture;
        var series = Fold(volume.Series, volume.Buckets.Count);
        var totals = Enumerable.Range(0, volume.Buckets.Count).Select(i => series.Sum(s => s.Counts[i])).ToList();
        var max = NiceCeiling(totals.Count == 0 ? 0 : totals.Max());
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        var slot = volume.Buckets.Count == 0 ? plotWidth : (double)plotWidth / volume.Buckets.Count;
        var barWidth = Math.Max(1, slot * 0.7);

        var svg = new StringBuilder();
        svg.Append(c, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {Width} {Height + (series.Count * 18)}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\">");
        svg.Append("<title id=\"chart-title\">").Append(Escape(title)).Append("</title>");
        svg.Append(c, $"<desc id=\"chart-desc\">{totals.Sum()} accesses in {volume.Buckets.Count} periods of {Describe(volume.BucketSize)}, stacked by organisation and purpose.</desc>");

        // Grid and y axis: five steps of a rounded maximum.
        for (var step = 0; step <= 4; step++)
        {
            var value = max * step / 4;
            var y = Top + plotHeight - (plotHeight * step / 4.0);
            svg.Append(c, $"<line class=\"grid\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\"/>");
            svg.Append(c, $"<text class=\"axis\" x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{value}</text>");
        }

        for (var i = 0; i < volume.Buckets.Count; i++)
        {
            var x = Left + (i * slot) + ((slot - barWidth) / 2);
            var baseline = (double)(Top + plotHeight);
            for (var s = 0; s < series.Count; s++)
            {
                var count = series[s].Counts[i];
                if (count == 0)
                {
                    continue;
                }

                var h = plotHeight * count / (double)max;
                baseline -= h;
                svg.Append(c, $"<rect class=\"series-{s}\" x=\"{x:0.#}\" y=\"{baseline:0.#}\" width=\"{barWidth:0.#}\" height=\"{h:0.#}\"><title>{Escape(series[s].Label)}: {count} at {Label(volume.Buckets[i], volume.BucketSize)}</title></rect>");
            }

            // Label about eight buckets so the axis stays readable on a phone.
            if (volume.Buckets.Count <= 8 || i % (int)Math.Ceiling(volume.Buckets.Count / 8.0) == 0)
            {
                svg.Append(c, $"<text class=\"axis\" x=\"{x + (barWidth / 2):0.#}\" y=\"{Top + plotHeight + 16}\" text-anchor=\"middle\">{Escape(Label(volume.Buckets[i], volume.BucketSize))}</text>");
            }
        }

        svg.Append(c, $"<line class=\"axis-line\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Top + plotHeight}\" y2=\"{Top + plotHeight}\"/>");
        for (var s = 0; s < series.Count; s++)
        {
            var y = Height - 20 + (s * 18);
            svg.Append(c, $"<rect class=\"series-{s}\" x=\"{Left}\" y=\"{y}\" width=\"12\" height=\"12\"/>");
            svg.Append(c, $"<text class=\"legend\" x=\"{Left + 18}\" y=\"{y + 11}\">{Escape(series[s].Label)} ({series[s].Counts.Sum()})</text>");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>
    /// The chart's numbers as an HTML table (the text alternative for people who cannot see the bars, and for anyone
    /// who wants the exact counts): one row per period, one column per series as folded for the chart, and a total.
    /// </summary>
    public static string RenderTable(AccessVolume volume, string caption)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var c = CultureInfo.InvariantCulture;
        var series = Fold(volume.Series, volume.Buckets.Count);
        var html = new StringBuilder();
        html.Append("<table class=\"chart-data\"><caption>").Append(Escape(caption)).Append("</caption><thead><tr><th scope=\"col\">Period starting (UTC)</th>");
        foreach (var one in series)
        {
            html.Append("<th scope=\"col\">").Append(Escape(one.Label)).Append("</th>");
        }

        html.Append("<th scope=\"col\">Total</th></tr></thead><tbody>");
        for (var i = 0; i < volume.Buckets.Count; i++)
        {
            html.Append("<tr><th scope=\"row\">").Append(Escape(volume.Buckets[i].ToString(volume.BucketSize >= TimeSpan.FromDays(1) ? "yyyy-MM-dd" : "yyyy-MM-dd HH:mm", c))).Append("</th>");
            foreach (var one in series)
            {
                html.Append(c, $"<td>{one.Counts[i]}</td>");
            }

            html.Append(c, $"<td>{series.Sum(one => one.Counts[i])}</td></tr>");
        }

        html.Append("</tbody></table>");
        return html.ToString();
    }

    /// <summary>The largest series stay; the rest fold into "other" so the colours stay distinguishable.</summary>
    internal static List<VolumeSeries> Fold(IReadOnlyList<VolumeSeries> series, int buckets)
    {
        if (series.Any(s => s.Counts.Count != buckets))
        {
            throw new ArgumentException("Every series has one count per bucket.", nameof(series));
        }

        var ordered = series.OrderByDescending(s => s.Counts.Sum()).ThenBy(s => s.Label, StringComparer.Ordinal).ToList();
        if (ordered.Count <= MaxSeries)
        {
            return ordered;
        }

        var kept = ordered.Take(MaxSeries - 1).ToList();
        var rest = ordered.Skip(MaxSeries - 1).ToList();
        kept.Add(new VolumeSeries("other", Enumerable.Range(0, buckets).Select(i => rest.Sum(s => s.Counts[i])).ToList()));
        return kept;
    }

    /// <summary>
    /// The y-axis maximum: four equal whole steps, each step 1, 2, 2.5 or 5 times a power of ten, at least
    /// <paramref name="value"/> (4 when there is nothing to show).
    /// </summary>
    internal static int NiceCeiling(int value)
    {
        var needed = Math.Max(1, (value + 3) / 4);
        for (long magnitude = 1; ; magnitude *= 10)
        {
            foreach (var tenths in new[] { 10, 20, 25, 50 })
            {
                var step = magnitude * tenths;
                if (step % 10 == 0 && step / 10 >= needed)
                {
                    return checked((int)(step / 10 * 4));
                }
            }
        }
    }

    private static string Label(DateTimeOffset bucket, TimeSpan size) =>
        bucket.ToString(size >= TimeSpan.FromDays(1) ? "MM-dd" : "HH:mm", CultureInfo.InvariantCulture);

    private static string Describe(TimeSpan size) =>
        size >= TimeSpan.FromDays(1) ? $"{size.TotalDays:0.#} day(s)" : size >= TimeSpan.FromHours(1) ? $"{size.TotalHours:0.#} hour(s)" : $"{size.TotalMinutes:0.#} minute(s)";

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
