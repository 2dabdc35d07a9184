using System.Xml.Linq;
using MedLedger.Web.Charts;
using MedLedger.Web.Services;

namespace MedLedger.Web.Tests;

public sealed class AccessChartTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Render_DrawsOneSegmentPerNonZeroCount_WithProportionalHeights()
    {
        // Two buckets, two series: 3+1 and 0+4 accesses. The SVG parses as XML, has a title and description for screen
        // readers, one rect per non-zero count (plus one legend swatch per series), and heights proportional to counts.
        var volume = new AccessVolume([Start, Start.AddHours(1)], TimeSpan.FromHours(1), [new VolumeSeries("st-mary · treatment", [3, 0]), new VolumeSeries("civic-insurance · insurance", [1, 4])]);
        var svg = XElement.Parse(AccessChart.Render(volume, "Access volume"));
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal("img", (string?)svg.Attribute("role"));
        Assert.Equal("Access volume", svg.Element(ns + "title")!.Value);
        Assert.Contains("8 accesses in 2 periods", svg.Element(ns + "desc")!.Value, StringComparison.Ordinal);
        var bars = svg.Elements(ns + "rect").Where(r => r.Element(ns + "title") is not null).ToList();
        Assert.Equal(3, bars.Count);
        var heights = bars.ToDictionary(r => r.Element(ns + "title")!.Value, r => double.Parse((string)r.Attribute("height")!, System.Globalization.CultureInfo.InvariantCulture));
        var three = heights.Single(h => h.Key.StartsWith("st-mary · treatment: 3", StringComparison.Ordinal)).Value;
        var four = heights.Single(h => h.Key.StartsWith("civic-insurance · insurance: 4", StringComparison.Ordinal)).Value;
        Assert.Equal(3.0 / 4.0, three / four, 2);
        Assert.Equal(2, svg.Elements(ns + "rect").Count(r => r.Element(ns + "title") is null));
    }

    [Fact]
    public void Render_EscapesLabels_AndUsesNoInlineStyleOrScript()
    {
        // A hostile organisation or purpose label cannot inject markup; the chart has no style attribute or script,
        // so it renders under the strict CSP.
        var volume = new AccessVolume([Start], TimeSpan.FromDays(1), [new VolumeSeries("<script>alert(1)</script> · \"x\"", [2])]);
        var markup = AccessChart.Render(volume, "t<i>");
        Assert.DoesNotContain("<script", markup, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("style=", markup, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;", markup, StringComparison.Ordinal);
        XElement.Parse(markup);
    }

    [Fact]
    public void Render_Empty_IsStillAValidChart()
    {
        var markup = AccessChart.Render(new AccessVolume([], TimeSpan.FromHours(1), []), "Nothing");
        Assert.Contains("0 accesses in 0 periods", XElement.Parse(markup).Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Fold_KeepsTheLargestSeries_AndSumsTheRestAsOther()
    {
        var series = Enumerable.Range(1, 10).Select(i => new VolumeSeries($"s{i:00}", [i, 1])).ToList();
        var folded = AccessChart.Fold(series, 2);
        Assert.Equal(AccessChart.MaxSeries, folded.Count);
        Assert.Equal("s10", folded[0].Label);
        Assert.Equal("other", folded[^1].Label);
        Assert.Equal(series.Sum(s => s.Counts.Sum()), folded.Sum(s => s.Counts.Sum()));
        Assert.Throws<ArgumentException>(() => AccessChart.Fold([new VolumeSeries("bad", [1])], 2));
    }

    [Theory]
    [InlineData(0, 4)]
    [InlineData(3, 4)]
    [InlineData(5, 8)]
    [InlineData(9, 20)]
    [InlineData(37, 40)]
    [InlineData(41, 80)]
    [InlineData(99, 100)]
    [InlineData(101, 200)]
    public void NiceCeiling_IsFourWholeRoundSteps_AtLeastTheValue(int value, int expected)
    {
        var ceiling = AccessChart.NiceCeiling(value);
        Assert.Equal(expected, ceiling);
        Assert.True(ceiling >= value);
        Assert.Equal(0, ceiling % 4);
    }

    [Fact]
    public void Volumes_BucketByHourOrDay_AndGroupByOrganisationAndPurpose()
    {
        // Events over three hours fall in hourly buckets, empty hours included; over ten days, in daily ones.
        var hourly = AccessVolumes.Build([(Start.AddMinutes(5), "a", "treatment"), (Start.AddMinutes(50), "a", "treatment"), (Start.AddHours(2).AddMinutes(1), "b", "audit")]);
        Assert.Equal(TimeSpan.FromHours(1), hourly.BucketSize);
        Assert.Equal([Start, Start.AddHours(1), Start.AddHours(2)], hourly.Buckets);
        Assert.Equal([2, 0, 0], hourly.Series.Single(s => s.Label == "a · treatment").Counts);
        Assert.Equal([0, 0, 1], hourly.Series.Single(s => s.Label == "b · audit").Counts);

        var daily = AccessVolumes.Build([(Start, "a", "x"), (Start.AddDays(9).AddHours(5), "a", "x")]);
        Assert.Equal(TimeSpan.FromDays(1), daily.BucketSize);
        Assert.Equal(10, daily.Buckets.Count);
        Assert.Equal(2, daily.Series.Single().Counts.Sum());
        Assert.Empty(AccessVolumes.Build([]).Buckets);
    }
}
