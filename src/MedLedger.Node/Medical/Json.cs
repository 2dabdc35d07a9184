using System.Text.Json;

namespace MedLedger.Node.Medical;

/// <summary>Enum names as the API writes them: camelCase (e.g. <c>generalClinical</c>), parsed case-insensitively.</summary>
public static class Json
{
    public static string Name<TEnum>(TEnum value)
        where TEnum : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(value.ToString());

    public static bool TryParse<TEnum>(string? text, out TEnum value)
        where TEnum : struct, Enum
    {
        value = default;
        return !string.IsNullOrEmpty(text) && !char.IsDigit(text[0]) && text[0] != '-' && Enum.TryParse(text, ignoreCase: true, out value) && Enum.IsDefined(value) && !value.Equals(default(TEnum));
    }
}
