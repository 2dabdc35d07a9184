using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MedLedger.Sharing.Fhir;

/// <summary>
/// Deterministic JSON output for every FHIR document MedLedger writes: compact, properties in insertion order,
/// one escaping policy. The relaxed encoder keeps non-ASCII letters readable; it still escapes quotes, backslashes
/// and control characters, which is all JSON needs. Whoever embeds the text in HTML must encode it for HTML.
/// </summary>
internal static class FhirJson
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = false,
    };

    public static byte[] Serialize(JsonNode node)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            node.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Serialize(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            element.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A mutable deep copy of an element.</summary>
    public static JsonNode ToNode(JsonElement element) =>
        element.ValueKind switch
        {
            JsonValueKind.Object => JsonObject.Create(element)!,
            JsonValueKind.Array => JsonArray.Create(element)!,
            _ => JsonValue.Create(element)!,
        };

    /// <summary>The string value of a property, or null when absent or not a string.</summary>
    public static string? GetString(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object
        && element.TryGetProperty(property, out var value)
        && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <summary>The string value of a node, or null when it is not a JSON string.</summary>
    public static string? AsString(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
}
