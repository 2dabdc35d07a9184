using System.Text;
using MedLedger.Web.Services;

namespace MedLedger.Web.Tests;

public sealed class AccessCsvTests
{
    [Fact]
    public void Encode_QuotesSeparators_AndDefusesFormulas()
    {
        // RFC 4180 quoting, CRLF lines, and a leading apostrophe on cells a spreadsheet would evaluate.
        var row = new AccessRow(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), "=HYPERLINK(\"x\")", "label", "doctor", "org,with,commas", "p", null, "read", "treatment", "denied", "noGrant", 7);
        var text = Encoding.UTF8.GetString(AccessCsv.Encode([row]));
        var lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("time,actor,actor_role,organisation,patient,record,action,purpose,outcome,reason,height", lines[0], StringComparison.Ordinal);
        Assert.Contains("\"'=HYPERLINK(\"\"x\"\")\"", lines[1], StringComparison.Ordinal);
        Assert.Contains("\"org,with,commas\"", lines[1], StringComparison.Ordinal);
        Assert.EndsWith(",denied,noGrant,7", lines[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("+1", "\"'+1\"")]
    [InlineData("-1", "\"'-1\"")]
    [InlineData("@x", "\"'@x\"")]
    [InlineData("a\"b", "\"a\"\"b\"")]
    public void Field_Escapes(string value, string expected) => Assert.Equal(expected, AccessCsv.Field(value));
}
