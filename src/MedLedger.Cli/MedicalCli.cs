using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Node;
using MedLedger.Sharing.Records;

[assembly: InternalsVisibleTo("MedLedger.Client.Tests")]

namespace MedLedger.Cli;

/// <summary>
/// What the medical verbs take from the world: the network (an HTTP handler) and the clock. Tests give a fake node
/// and a fixed clock; the program the real ones.
/// </summary>
internal sealed class CliEnvironment(Func<HttpMessageHandler> createHandler, TimeProvider time)
{
    public static CliEnvironment Default { get; } = new(() => new SocketsHttpHandler(), TimeProvider.System);

    public Func<HttpMessageHandler> CreateHandler { get; } = createHandler;

    public TimeProvider Time { get; } = time;
}

/// <summary>The options of every verb that talks to a node as a user: node, key, passphrase, JSON output.</summary>
internal sealed class UserOptions
{
    public Option<string> Node { get; } = new("--node") { Description = "Base URL of the node's API, e.g. http://127.0.0.1:7100.", Required = true };

    public Option<FileInfo> Key { get; } = new("--key") { Description = "Your encrypted key file (medledger key new).", Required = true };

    public Option<FileInfo?> PassphraseFile { get; } = new("--passphrase-file") { Description = $"File holding the key's passphrase (else {NodeDataDirectory.PassphraseVariable} or a prompt)." };

    public Option<bool> Json { get; } = new("--json") { Description = "Print the result as JSON." };

    public Command AddTo(Command command, bool json = true)
    {
        command.Options.Add(Node);
        command.Options.Add(Key);
        command.Options.Add(PassphraseFile);
        if (json)
        {
            command.Options.Add(Json);
        }

        return command;
    }

    /// <summary>Checks the node URL and that the key file exists (no network, no passphrase).</summary>
    public (Uri Node, FileInfo Key) Validate(ParseResult parse)
    {
        var key = parse.GetValue(Key)!;
        MedicalCli.RequireFile(key, "--key");
        return (MedicalCli.ParseNode(parse.GetValue(Node)), key);
    }

    /// <summary>Opens the key with its passphrase and connects to the node (nothing is sent until the first call).</summary>
    public UserSession Connect(ParseResult parse, Uri node, FileInfo key, CliEnvironment environment)
    {
        var signingKey = MedicalCli.OpenKey(key, parse.GetValue(PassphraseFile), out var suite);
        try
        {
            var client = MedLedgerUserClient.Create(node, suite, signingKey, new RequestSigningOptions { TimeProvider = environment.Time }, environment.CreateHandler());
            return new UserSession(suite, signingKey, client);
        }
        catch
        {
            signingKey.Dispose();
            throw;
        }
    }
}

/// <summary>An open key and a signed client over it; disposing wipes the key.</summary>
internal sealed class UserSession(ICryptoSuite suite, ISigningKey key, MedLedgerUserClient client) : IDisposable
{
    public ICryptoSuite Suite { get; } = suite;

    public ISigningKey Key { get; } = key;

    public MedLedgerUserClient Client { get; } = client;

    public Hash KeyId => Client.KeyId;

    public void Dispose()
    {
        Client.Dispose();
        Key.Dispose();
    }
}

/// <summary>Argument parsing, key opening, output and error reporting shared by the medical verbs.</summary>
internal static class MedicalCli
{
    /// <summary>Exit code when integrity checks find a mismatch (audit integrity, record get).</summary>
    public const int IntegrityFailure = 3;

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Runs a verb: failures an operator or a node can cause become one line on stderr and a non-zero exit code
    /// (<see cref="IntegrityFailure"/> for a record that does not match its anchor); anything else is a bug and
    /// keeps its trace.
    /// </summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<TextWriter, Task<int>> body)
    {
        var error = parse.InvocationConfiguration.Error;
        try
        {
            return await body(parse.InvocationConfiguration.Output).ConfigureAwait(false);
        }
        catch (RecordIntegrityException exception)
        {
            await error.WriteLineAsync($"medledger: integrity check failed: {OneLine(exception.Message)}").ConfigureAwait(false);
            return IntegrityFailure;
        }
        catch (MedLedger.Sharing.Fhir.FhirValidationException exception)
        {
            await error.WriteLineAsync($"medledger: not valid FHIR R4 ({exception.Code}): {OneLine(exception.Message)}").ConfigureAwait(false);
            return CliErrors.Failure;
        }
        catch (HttpRequestException exception)
        {
            await error.WriteLineAsync($"medledger: cannot reach the node: {OneLine(exception.Message)}").ConfigureAwait(false);
            return CliErrors.Failure;
        }
        catch (TaskCanceledException exception) when (exception.InnerException is TimeoutException)
        {
            await error.WriteLineAsync("medledger: the node did not answer in time.").ConfigureAwait(false);
            return CliErrors.Failure;
        }
        catch (Exception exception) when (exception is CliUsageException or CryptoException or DecodingException or IOException or UnauthorizedAccessException
            or MedLedgerApiException or MedLedgerClientException)
        {
            await error.WriteLineAsync($"medledger: {OneLine(exception.Message)}").ConfigureAwait(false);
            return CliErrors.Failure;
        }
    }

    public static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    public static Uri ParseNode(string? text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliUsageException($"--node must be an http or https URL, not '{text}'.");
        }

        return uri;
    }

    public static Hash ParseHash(string? text, string option) =>
        Hash.TryParse(text?.Trim(), out var hash) && !hash.IsZero ? hash : throw new CliUsageException($"{option} must be 64 hexadecimal characters, not '{text}'.");

    public static IReadOnlyList<Hash> ParseHashes(IEnumerable<string>? texts, string option) =>
        [.. SplitList(texts).Select(t => ParseHash(t, option))];

    public static TEnum ParseName<TEnum>(string? text, string option)
        where TEnum : struct, Enum =>
        ApiNames.TryParse<TEnum>(text, out var value)
            ? value
            : throw new CliUsageException($"{option} must be one of {string.Join(", ", ApiNames.Names<TEnum>())}, not '{text}'.");

    public static IReadOnlyList<TEnum> ParseNames<TEnum>(IEnumerable<string>? texts, string option)
        where TEnum : struct, Enum
    {
        var values = SplitList(texts).Select(t => ParseName<TEnum>(t, option)).ToList();
        return values.Distinct().Count() == values.Count ? values : throw new CliUsageException($"{option} names a value twice.");
    }

    public static DateTimeOffset ParseTime(string? text, string option)
    {
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            throw new CliUsageException($"{option} must be an ISO 8601 time such as 2026-12-31T23:59:59Z, not '{text}'.");
        }

        return time;
    }

    public static string ParseOrganisationId(string? text, string option) =>
        Organisation.IsValidId(text) ? text! : throw new CliUsageException($"{option} must be an organisation id (lowercase letters, digits and inner hyphens), not '{text}'.");

    public static byte[] ParsePublicKey(ICryptoSuite suite, string? hex, string option)
    {
        byte[] key;
        try
        {
            key = Convert.FromHexString(hex ?? string.Empty);
        }
        catch (FormatException)
        {
            throw new CliUsageException($"{option} must be a hex public key.");
        }

        return suite.IsValidPublicKey(key) ? key : throw new CliUsageException($"{option} is not a valid {suite.Name} public key.");
    }

    public static void RequireFile(FileInfo file, string option)
    {
        if (!file.Exists)
        {
            throw new CliUsageException($"{option}: no file at '{file.FullName}'.");
        }
    }

    /// <summary>The suite a key file names (so that a key of another suite is opened with that suite).</summary>
    public static ICryptoSuite SuiteOfKeyFile(FileInfo file)
    {
        RequireFile(file, "key file");
        if (file.Length > Limits.MaxKeyFileBytes)
        {
            throw new CliUsageException($"'{file.FullName}' is too large to be a key file.");
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file.FullName));
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("suite", out var suite) && suite.ValueKind == JsonValueKind.String)
            {
                return CryptoSuites.Get(suite.GetString()!);
            }
        }
        catch (JsonException)
        {
            // KeyFile.Load names the problem.
        }

        return CryptoSuites.Standard;
    }

    /// <summary>Opens an encrypted key file with the passphrase from the file, the environment or a prompt.</summary>
    public static ISigningKey OpenKey(FileInfo file, FileInfo? passphraseFile, out ICryptoSuite suite, string label = "key")
    {
        suite = SuiteOfKeyFile(file);
        var passphrase = RequirePassphrase(passphraseFile, $"open the {label} '{file.Name}'");
        return KeyFile.Load(file.FullName, suite, passphrase);
    }

    /// <summary>A passphrase to open something: from the file, the environment, or one prompt on a terminal.</summary>
    public static string RequirePassphrase(FileInfo? passphraseFile, string purpose)
    {
        if (Passphrases.FromFileOrEnvironment(passphraseFile) is { } passphrase)
        {
            return passphrase;
        }

        if (Console.IsInputRedirected)
        {
            throw new CliUsageException($"A passphrase is needed to {purpose}: pass --passphrase-file or set {NodeDataDirectory.PassphraseVariable}.");
        }

        Console.Error.Write($"Passphrase to {purpose}: ");
        var characters = new List<char>();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Error.WriteLine();
                return new string([.. characters]);
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (characters.Count > 0)
                {
                    characters.RemoveAt(characters.Count - 1);
                }
            }
            else
            {
                characters.Add(key.KeyChar);
            }
        }
    }

    public static void WriteJson(TextWriter output, object value) => output.WriteLine(JsonSerializer.Serialize(value, value.GetType(), JsonOptions));

    /// <summary>Submits a transaction built by the session's factory, waiting for its commit.</summary>
    public static async Task<(Hash Id, SubmittedTransaction Result)> SubmitAsync(UserSession session, Func<TransactionFactory, Transaction> build, CancellationToken cancellationToken)
    {
        var factory = await session.Client.GetTransactionFactoryAsync(cancellationToken).ConfigureAwait(false);
        var transaction = build(factory);
        var result = await session.Client.SubmitAsync(transaction, waitForCommit: true, cancellationToken).ConfigureAwait(false);
        if (string.Equals(result.Status, "rejected", StringComparison.Ordinal))
        {
            throw new MedLedgerApiException(HttpStatusCode.UnprocessableEntity, "transaction rejected", result.Reason, result.Code);
        }

        return (transaction.ComputeId(session.Suite), result);
    }

    /// <summary>Prints the outcome of a submitted transaction: a sentence, or JSON with <paramref name="extra"/> merged in.</summary>
    public static void WriteSubmitted(TextWriter output, bool json, string what, Hash id, SubmittedTransaction result, IReadOnlyDictionary<string, object?>? extra = null)
    {
        if (json)
        {
            var fields = new Dictionary<string, object?> { ["transactionId"] = id.ToString(), ["status"] = result.Status, ["height"] = result.Height };
            foreach (var (name, value) in extra ?? new Dictionary<string, object?>())
            {
                fields[name] = value;
            }

            WriteJson(output, fields);
            return;
        }

        var where = result.Height is { } height ? $" at height {height}" : string.Empty;
        output.WriteLine($"{what}: transaction {id} {result.Status}{where}.");
        foreach (var (name, value) in extra ?? new Dictionary<string, object?>())
        {
            output.WriteLine($"{name}: {value}");
        }
    }

    private static IEnumerable<string> SplitList(IEnumerable<string>? texts) =>
        (texts ?? []).SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
