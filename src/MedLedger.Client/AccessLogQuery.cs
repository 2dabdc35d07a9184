using System.Globalization;
using System.Text;
using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Client;

/// <summary>
/// A filter over the access log (<c>GET /api/v1/access-log</c> and its FHIR form); null fields do not filter.
/// <see cref="Patients"/> may name several pseudonyms of one patient.
/// </summary>
/// <param name="Patients">Patient pseudonyms (user ids).</param>
/// <param name="Actor">Key id that acted.</param>
/// <param name="RecordId">Record.</param>
/// <param name="Outcome">Allowed or denied.</param>
/// <param name="Purpose">Purpose.</param>
/// <param name="Action">Action.</param>
/// <param name="Organisation">Organisation whose node or user produced the entry.</param>
/// <param name="From">Earliest time, inclusive.</param>
/// <param name="To">Latest time, inclusive.</param>
/// <param name="Before">Only entries with a smaller sequence (the previous page's <c>nextBefore</c>).</param>
/// <param name="Limit">Most entries in the page.</param>
public sealed record AccessLogQuery(
    IReadOnlyList<Hash>? Patients = null,
    Hash? Actor = null,
    Hash? RecordId = null,
    AccessOutcome? Outcome = null,
    AccessPurpose? Purpose = null,
    AccessAction? Action = null,
    string? Organisation = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    long? Before = null,
    int? Limit = null)
{
    /// <summary>The query string (without <c>?</c>), parameters in a fixed order, values escaped.</summary>
    public string ToQueryString()
    {
        var query = new QueryBuilder();
        foreach (var patient in Patients ?? [])
        {
            query.Add("patient", patient.ToString());
        }

        query.Add("actor", Actor?.ToString());
        query.Add("record", RecordId?.ToString());
        query.Add("outcome", Outcome is { } outcome ? ApiNames.Of(outcome) : null);
        query.Add("purpose", Purpose is { } purpose ? ApiNames.Of(purpose) : null);
        query.Add("action", Action is { } action ? ApiNames.Of(action) : null);
        query.Add("organisation", Organisation);
        query.Add("from", From is { } from ? QueryBuilder.FormatTime(from) : null);
        query.Add("to", To is { } to ? QueryBuilder.FormatTime(to) : null);
        query.Add("before", Before?.ToString(CultureInfo.InvariantCulture));
        query.Add("limit", Limit?.ToString(CultureInfo.InvariantCulture));
        return query.ToString();
    }
}

/// <summary>Builds a query string; a null value adds nothing.</summary>
internal sealed class QueryBuilder
{
    private readonly StringBuilder _builder = new();

    public static string FormatTime(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public void Add(string name, string? value)
    {
        if (value is null)
        {
            return;
        }

        _builder.Append(_builder.Length == 0 ? string.Empty : "&").Append(name).Append('=').Append(Uri.EscapeDataString(value));
    }

    public string Append(string path) => _builder.Length == 0 ? path : $"{path}?{_builder}";

    public override string ToString() => _builder.ToString();
}
