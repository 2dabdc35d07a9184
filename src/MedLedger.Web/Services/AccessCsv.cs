using System.Globalization;
using System.Text;

namespace MedLedger.Web.Services;

/// <summary>
/// The auditor's CSV export of access-log rows (RFC 4180: quoted fields, doubled quotes, CRLF). A field that a
/// spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) gets a leading apostrophe.
/// </summary>
public static class AccessCsv
{
    private static readonly string[] Header = ["time", "actor", "actor_role", "organisation", "patient", "record", "action", "purpose", "outcome", "reason", "height"];

    public static byte[] Encode(IReadOnlyList<AccessRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var text = new StringBuilder();
        Line(text, Header);
        foreach (var row in rows)
        {
            Line(text, [row.Time.ToString("O", CultureInfo.InvariantCulture), row.ActorKeyId, row.ActorRole, row.Organisation, row.Patient, row.RecordId ?? string.Empty, row.Action, row.Purpose, row.Outcome, row.Reason, row.Height.ToString(CultureInfo.InvariantCulture)]);
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static void Line(StringBuilder text, IEnumerable<string> fields)
    {
        text.AppendJoin(',', fields.Select(Field)).Append("\r\n");
    }

    internal static string Field(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\r', '\n', '\'']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
