using System.Text;
using System.Text.Json.Nodes;
using MedLedger.Sharing.Deidentification;
using MedLedger.Sharing.Demo;
using MedLedger.Sharing.Fhir;
using Xunit.Abstractions;

namespace MedLedger.Sharing.Tests;

/// <summary>
/// Seeded mutation fuzzing of valid documents. Whatever the mutation, the validator either accepts or throws
/// <see cref="FhirValidationException"/>; and whatever it accepts, tier split, merge and de-identification process
/// without any exception (their own output validates, or an invariant would fire).
/// </summary>
public sealed class FhirFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 2500;

    private static readonly string[] Tokens =
    [
        "{", "}", "[", "]", "\"", ",", ":", "null", "true", "0", "-0", "1e999", "\"\"", "{}", "[]", "\\u0000", "\"\\ud800\"",
        "\"urn:uuid:00000000-0000-4000-8000-000000000001\"", "\"Patient/other\"", "\"reference\"", "\"resourceType\"",
        "\"2024-02-30\"", " ", "\u00e9", "\"#x\"",
    ];

    private static readonly string[] StructuralValues =
    [
        "\"\"", "null", "{}", "[]", "0", "-1", "1.5", "true", "\"x y\"", "\"2024-13-01\"", "\"2024-05-01T10:00:00\"",
        "\"Patient/p-other\"", "\"urn:uuid:00000000-0000-4000-8000-000000000042\"", "\"http://elsewhere.example/fhir/Patient/1\"",
        "\"#c1\"", "[null]", "[{}]", "{\"reference\":\"Group/g\"}", "\"Observation\"", "\"Bundle\"", "99999999999999999999",
    ];

    public static TheoryData<int> Seeds => new(11, 22, 33);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Byte_mutations_are_accepted_or_refused_cleanly(int seed)
    {
        output.WriteLine($"seed {seed}");
        var corpus = Corpus(seed);
        var random = new Random(seed);
        var refused = 0;
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            var original = corpus[random.Next(corpus.Count)];
            var mutated = MutateBytes(original, random);
            refused += Exercise(mutated, seed, iteration) ? 0 : 1;
        }

        output.WriteLine($"refused {refused} of {Iterations}");
        Assert.True(refused > Iterations / 2, "byte mutations should mostly be refused");
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Structural_mutations_are_accepted_or_refused_cleanly(int seed)
    {
        output.WriteLine($"seed {seed}");
        var corpus = Corpus(seed);
        var random = new Random(seed);
        var accepted = 0;
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            var original = corpus[random.Next(corpus.Count)];
            var mutated = MutateTree(original, random);
            accepted += Exercise(mutated, seed, iteration) ? 1 : 0;
        }

        output.WriteLine($"accepted {accepted} of {Iterations}");
        Assert.InRange(accepted, 1, Iterations - 1);
    }

    private static List<byte[]> Corpus(int seed)
    {
        var corpus = SyntheticPatients.Generate(seed, 6).SelectMany(patient => patient.Records).Select(record => record.Json.ToArray()).ToList();
        corpus.AddRange(FhirSamples.Minimal.Values.Select(Encoding.UTF8.GetBytes));
        return corpus;
    }

    /// <summary>Validates, and if accepted runs the downstream processing; true when accepted.</summary>
    private static bool Exercise(byte[] bytes, int seed, int iteration)
    {
        FhirDocument document;
        try
        {
            document = FhirValidator.Validate(bytes);
        }
        catch (FhirValidationException)
        {
            return false;
        }
        catch (Exception exception)
        {
            throw new Xunit.Sdk.XunitException(
                $"seed {seed} iteration {iteration}: {exception.GetType().Name}: {exception.Message}\ninput (base64): {Convert.ToBase64String(bytes)}");
        }

        try
        {
            var split = TierSplitter.Split(document);
            _ = TierSplitter.Merge(split.Parts);
            _ = Deidentifier.Deidentify(document, new DeidentificationOptions(new DateOnly(2025, 1, 1), new byte[16]));
        }
        catch (DeidentificationException)
        {
            // A documented data condition (a required element held only removed content), not a crash.
        }
        catch (Exception exception)
        {
            throw new Xunit.Sdk.XunitException(
                $"seed {seed} iteration {iteration}: accepted document broke processing: {exception}\ninput: {Encoding.UTF8.GetString(bytes)}");
        }

        return true;
    }

    private static byte[] MutateBytes(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        var mutations = 1 + random.Next(3);
        for (var m = 0; m < mutations && bytes.Count > 0; m++)
        {
            var position = random.Next(bytes.Count);
            switch (random.Next(7))
            {
                case 0:
                    bytes[position] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes[position] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.RemoveRange(position, Math.Min(bytes.Count - position, 1 + random.Next(16)));
                    break;
                case 3:
                    var length = Math.Min(bytes.Count - position, 1 + random.Next(64));
                    bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(position, length));
                    break;
                case 4:
                    bytes.InsertRange(position, Encoding.UTF8.GetBytes(Tokens[random.Next(Tokens.Length)]));
                    break;
                case 5:
                    bytes.RemoveRange(position, bytes.Count - position);
                    break;
                default:
                    // Swap two bytes, e.g. a quote and a brace.
                    var other = random.Next(bytes.Count);
                    (bytes[position], bytes[other]) = (bytes[other], bytes[position]);
                    break;
            }
        }

        return bytes.ToArray();
    }

    private static byte[] MutateTree(byte[] original, Random random)
    {
        var root = JsonNode.Parse(original)!;
        var mutations = 1 + random.Next(2);
        for (var m = 0; m < mutations; m++)
        {
            var nodes = new List<JsonNode>();
            Collect(root, nodes);
            var target = nodes[random.Next(nodes.Count)];
            switch (target)
            {
                case JsonObject obj when obj.Count > 0 && random.Next(3) == 0:
                    // Remove a property (often a required one).
                    obj.Remove(obj.ElementAt(random.Next(obj.Count)).Key);
                    break;
                case JsonObject obj when random.Next(2) == 0:
                    // Add or overwrite a property with an odd value; names taken from FHIR's vocabulary.
                    var names = new[] { "status", "subject", "patient", "reference", "resourceType", "id", "code", "valueQuantity", "valueBoolean", "birthDate", "fullUrl", "contained", "meta", "text", "extension" };
                    obj[names[random.Next(names.Length)]] = JsonNode.Parse(StructuralValues[random.Next(StructuralValues.Length)]);
                    break;
                case JsonArray array when array.Count > 0:
                    if (random.Next(2) == 0)
                    {
                        array.RemoveAt(random.Next(array.Count));
                    }
                    else
                    {
                        array.Add(array[random.Next(array.Count)]?.DeepClone());
                    }

                    break;
                default:
                    Replace(target, JsonNode.Parse(StructuralValues[random.Next(StructuralValues.Length)]));
                    break;
            }
        }

        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    private static void Collect(JsonNode? node, List<JsonNode> nodes)
    {
        if (node is null)
        {
            return;
        }

        nodes.Add(node);
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, value) in obj)
                {
                    Collect(value, nodes);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Collect(item, nodes);
                }

                break;
            default:
                break;
        }
    }

    private static void Replace(JsonNode target, JsonNode? replacement)
    {
        switch (target.Parent)
        {
            case JsonObject parent:
                parent[target.GetPropertyName()] = replacement;
                break;
            case JsonArray parent:
                parent[target.GetElementIndex()] = replacement;
                break;
            default:
                break;
        }
    }
}
