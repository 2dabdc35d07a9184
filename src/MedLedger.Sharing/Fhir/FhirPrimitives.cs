using System.Globalization;
using System.Text.RegularExpressions;

namespace MedLedger.Sharing.Fhir;

/// <summary>Format checks for the FHIR R4 primitive types MedLedger validates (regular expressions from the R4 spec).</summary>
internal static partial class FhirPrimitives
{
    /// <summary>R4 <c>id</c>: <c>[A-Za-z0-9\-\.]{1,64}</c>.</summary>
    public static bool IsId(string value) => IdPattern().IsMatch(value);

    /// <summary>R4 <c>code</c>: no leading/trailing whitespace, single inner spaces only.</summary>
    public static bool IsCode(string value) => CodePattern().IsMatch(value);

    /// <summary>R4 <c>uri</c>: non-empty, no whitespace.</summary>
    public static bool IsUri(string value)
    {
        if (value.Length == 0)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>R4 <c>date</c>: <c>YYYY</c>, <c>YYYY-MM</c> or <c>YYYY-MM-DD</c>, a real calendar date.</summary>
    public static bool IsDate(string value) => DatePattern().IsMatch(value) && IsCalendarDate(value);

    /// <summary>R4 <c>dateTime</c>: a date, or a full date with time and a mandatory time zone.</summary>
    public static bool IsDateTime(string value)
    {
        if (DatePattern().IsMatch(value))
        {
            return IsCalendarDate(value);
        }

        return DateTimePattern().IsMatch(value) && IsCalendarDate(value[..10]) && IsClock(value);
    }

    /// <summary>R4 <c>instant</c>: full date and time to the second with a time zone.</summary>
    public static bool IsInstant(string value) =>
        DateTimePattern().IsMatch(value) && IsCalendarDate(value[..10]) && IsClock(value);

    /// <summary>The year of a valid date/dateTime/instant string.</summary>
    public static int Year(string value) => int.Parse(value.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>A UUID in the canonical lower-or-upper case 8-4-4-4-12 hexadecimal form.</summary>
    public static bool IsUuid(string value) => UuidPattern().IsMatch(value);

    /// <summary>An OID: digits separated by dots, no leading zeros beyond a single 0.</summary>
    public static bool IsOid(string value) => OidPattern().IsMatch(value);

    private static bool IsCalendarDate(string value)
    {
        var year = Year(value);
        if (year < 1)
        {
            return false;
        }

        if (value.Length < 7)
        {
            return true;
        }

        var month = int.Parse(value.AsSpan(5, 2), NumberStyles.None, CultureInfo.InvariantCulture);
        if (value.Length < 10)
        {
            return month is >= 1 and <= 12;
        }

        var day = int.Parse(value.AsSpan(8, 2), NumberStyles.None, CultureInfo.InvariantCulture);
        return month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month);
    }

    private static bool IsClock(string value)
    {
        // Pattern guarantees the shape "YYYY-MM-DDThh:mm:ss"; hours may be 24 only as 24:00:00 (not allowed in FHIR).
        var hour = int.Parse(value.AsSpan(11, 2), NumberStyles.None, CultureInfo.InvariantCulture);
        var minute = int.Parse(value.AsSpan(14, 2), NumberStyles.None, CultureInfo.InvariantCulture);
        var second = int.Parse(value.AsSpan(17, 2), NumberStyles.None, CultureInfo.InvariantCulture);
        return hour <= 23 && minute <= 59 && second <= 60;
    }

    [GeneratedRegex(@"^[A-Za-z0-9\-\.]{1,64}\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^[^\s]+(\s[^\s]+)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex CodePattern();

    [GeneratedRegex(@"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex DatePattern();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+\-](0[0-9]|1[0-3]):[0-5][0-9]|[+\-]14:00)\z", RegexOptions.CultureInvariant)]
    private static partial Regex DateTimePattern();

    [GeneratedRegex(@"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\z", RegexOptions.CultureInvariant)]
    private static partial Regex UuidPattern();

    [GeneratedRegex(@"^[0-2](\.(0|[1-9][0-9]*))+\z", RegexOptions.CultureInvariant)]
    private static partial Regex OidPattern();
}
