using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace MedLedger.Sharing.Fhir;

/// <summary>
/// First pass over untrusted bytes, before any tree is built: size, UTF-8, JSON syntax, depth, duplicate property
/// names, string lengths and the FHIR JSON rules that apply to every element (no <c>null</c> outside arrays, no
/// empty objects, arrays or strings). After it succeeds the bytes can be parsed without surprises.
/// </summary>
internal static class FhirJsonScanner
{
    public static void Scan(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > FhirLimits.MaxDocumentBytes)
        {
            throw new FhirValidationException(
                FhirErrorCodes.TooLarge,
                "$",
                $"the document is {utf8.Length} bytes; the limit is {FhirLimits.MaxDocumentBytes}");
        }

        if (!Utf8.IsValid(utf8))
        {
            throw new FhirValidationException(FhirErrorCodes.NotJson, "$", "the document is not valid UTF-8");
        }

        var frames = new List<Frame>();
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions
        {
            // One more than ours, so that our own, clearer error fires first.
            MaxDepth = FhirLimits.MaxDepth + 1,
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
        });

        try
        {
            if (!reader.Read())
            {
                throw new FhirValidationException(FhirErrorCodes.NotJson, "$", "the document is empty");
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new FhirValidationException(FhirErrorCodes.NotJson, "$", "the JSON root must be an object");
            }

            do
            {
                Step(ref reader, frames);
            }
            while (reader.Read());
        }
        catch (JsonException exception)
        {
            throw new FhirValidationException(FhirErrorCodes.NotJson, PathOf(frames), $"malformed JSON ({exception.Message})");
        }
        catch (InvalidOperationException exception)
        {
            throw new FhirValidationException(FhirErrorCodes.NotJson, PathOf(frames), $"malformed JSON string ({exception.Message})");
        }
    }

    private static void Step(ref Utf8JsonReader reader, List<Frame> frames)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            case JsonTokenType.StartArray:
                CountValue(frames);
                if (frames.Count + 1 > FhirLimits.MaxDepth)
                {
                    throw new FhirValidationException(
                        FhirErrorCodes.TooDeep,
                        PathOf(frames),
                        $"objects and arrays are nested deeper than {FhirLimits.MaxDepth} levels");
                }

                frames.Add(new Frame(reader.TokenType == JsonTokenType.StartObject));
                break;

            case JsonTokenType.EndObject:
            case JsonTokenType.EndArray:
                var closing = frames[^1];
                if (closing.Count == 0)
                {
                    throw new FhirValidationException(
                        FhirErrorCodes.InvalidValue,
                        PathOf(frames),
                        closing.IsObject ? "empty objects are not allowed in FHIR JSON" : "empty arrays are not allowed in FHIR JSON");
                }

                frames.RemoveAt(frames.Count - 1);
                break;

            case JsonTokenType.PropertyName:
                var frame = frames[^1];
                if (reader.ValueSpan.Length > FhirLimits.MaxPropertyNameBytes)
                {
                    throw new FhirValidationException(
                        FhirErrorCodes.StringTooLong,
                        PathOf(frames),
                        $"a property name is longer than {FhirLimits.MaxPropertyNameBytes} bytes");
                }

                var name = reader.GetString()!;
                frame.Names ??= new HashSet<string>(StringComparer.Ordinal);
                if (!frame.Names.Add(name))
                {
                    frame.Property = name;
                    throw new FhirValidationException(
                        FhirErrorCodes.DuplicateProperty,
                        PathOf(frames),
                        $"the property '{name}' appears more than once");
                }

                frame.Property = name;
                frame.Count++;
                break;

            case JsonTokenType.String:
                CountValue(frames);
                var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
                if (length > FhirLimits.MaxStringBytes)
                {
                    throw new FhirValidationException(
                        FhirErrorCodes.StringTooLong,
                        PathOf(frames),
                        $"a string is longer than {FhirLimits.MaxStringBytes} bytes");
                }

                if (length == 0)
                {
                    throw new FhirValidationException(FhirErrorCodes.InvalidValue, PathOf(frames), "empty strings are not allowed in FHIR JSON");
                }

                if (reader.ValueIsEscaped)
                {
                    // Throws InvalidOperationException on escapes that do not form valid UTF-16 (lone surrogates).
                    _ = reader.GetString();
                }

                break;

            case JsonTokenType.Null:
                CountValue(frames);
                if (frames[^1].IsObject)
                {
                    throw new FhirValidationException(FhirErrorCodes.InvalidValue, PathOf(frames), "null is only allowed inside arrays in FHIR JSON");
                }

                break;

            default:
                CountValue(frames);
                break;
        }
    }

    private static void CountValue(List<Frame> frames)
    {
        if (frames.Count > 0 && !frames[^1].IsObject)
        {
            frames[^1].Count++;
        }
    }

    private static string PathOf(List<Frame> frames)
    {
        var path = new StringBuilder("$");
        foreach (var frame in frames)
        {
            if (frame.IsObject)
            {
                if (frame.Property is not null)
                {
                    path.Append('.').Append(frame.Property);
                }
            }
            else if (frame.Count > 0)
            {
                path.Append('[').Append((frame.Count - 1).ToString(CultureInfo.InvariantCulture)).Append(']');
            }
        }

        return path.ToString();
    }

    private sealed class Frame(bool isObject)
    {
        public bool IsObject { get; } = isObject;

        public int Count { get; set; }

        public string? Property { get; set; }

        public HashSet<string>? Names { get; set; }
    }
}
