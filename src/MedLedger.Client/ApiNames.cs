using System.Text.Json;
using MedLedger.Ledger;

namespace MedLedger.Client;

/// <summary>
/// The API's names for ledger enums (docs/api.md): the member name in camelCase, e.g. <c>generalClinical</c>,
/// <c>treatment</c>, <c>orgAdmin</c>. Parsing is forgiving about case, hyphens and underscores (so a CLI user may
/// type <c>general-clinical</c>) but refuses numbers, unknown names and the <c>None</c> member of every enum.
/// </summary>
public static class ApiNames
{
    /// <summary>The API name of <paramref name="value"/>.</summary>
    public static string Of<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    /// <summary>Parses an API name; false for anything that is not a named, non-<c>None</c> member.</summary>
    public static bool TryParse<TEnum>(string? text, out TEnum value)
        where TEnum : struct, Enum
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var normalised = text.Trim().Replace("-", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal);
        foreach (var candidate in Enum.GetValues<TEnum>())
        {
            var name = candidate.ToString();
            if (!string.Equals(name, nameof(AccessPurpose.None), StringComparison.Ordinal) && string.Equals(name, normalised, StringComparison.OrdinalIgnoreCase))
            {
                value = candidate;
                return true;
            }
        }

        return false;
    }

    /// <summary>Parses an API name or throws <see cref="FormatException"/> listing the accepted names.</summary>
    public static TEnum Parse<TEnum>(string? text)
        where TEnum : struct, Enum =>
        TryParse<TEnum>(text, out var value)
            ? value
            : throw new FormatException($"'{text}' is not a {typeof(TEnum).Name}; expected one of: {string.Join(", ", Names<TEnum>())}.");

    /// <summary>The API names of every member but <c>None</c>.</summary>
    public static IReadOnlyList<string> Names<TEnum>()
        where TEnum : struct, Enum =>
        [.. Enum.GetValues<TEnum>().Where(v => !string.Equals(v.ToString(), "None", StringComparison.Ordinal)).Select(v => Of(v))];
}
