namespace MedLedger.Client.Tests;

/// <summary>
/// SPEC §3/§4 for the medical verbs: bad arguments give a non-zero exit code and a reason on stderr, and nothing is
/// sent to the node.
/// </summary>
public sealed class CliArgumentTests(CliKeys keys) : IClassFixture<CliKeys>, IDisposable
{
    private const string NodeUrl = "http://node.test";
    private static readonly string SomeId = new('a', 64);

    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    public static TheoryData<string, string[]> SyntaxErrors() => new()
    {
        { "record put without --patient", ["record", "put", "--node", NodeUrl, "--key", "K", "--category", "laboratory", "--file", "F"] },
        { "record get without --id", ["record", "get", "--node", NodeUrl, "--key", "K"] },
        { "grant without --purpose", ["grant", "--node", NodeUrl, "--key", "K", "--to-org", "x", "--tiers", "identity", "--until", "2030-01-01"] },
        { "revoke without --node", ["revoke", "--key", "K", "--grant", SomeId] },
        { "audit integrity without --key", ["audit", "integrity", "--node", NodeUrl] },
        { "access-log with a non-number limit", ["access-log", "--node", NodeUrl, "--key", "K", "--limit", "many"] },
        { "unknown option", ["record", "list", "--node", NodeUrl, "--key", "K", "--patient", SomeId, "--colour"] },
    };

    [Theory]
    [MemberData(nameof(SyntaxErrors))]
    public async Task SyntaxErrors_FailWithoutTouchingTheNetwork(string name, string[] arguments)
    {
        // The parser refuses these before any action runs: non-zero exit, a message on stderr, no request.
        var run = await _cli.RunAsync(Substitute(arguments));

        Assert.True(run.ExitCode != 0, $"{name}: {run}");
        Assert.NotEmpty(run.Error.Trim());
        Assert.Empty(_cli.Node.Requests);
    }

    public static TheoryData<string, string[], string> UsageErrors() => new()
    {
        { "node URL not http", ["record", "list", "--node", "ftp://node.test", "--key", "K", "--patient", SomeId], "--node" },
        { "missing key file", ["record", "list", "--node", NodeUrl, "--key", "/no/such/key", "--patient", SomeId], "--key" },
        { "record id not hex", ["record", "get", "--node", NodeUrl, "--key", "K", "--id", "xyz"], "--id" },
        { "unknown purpose", ["record", "get", "--node", NodeUrl, "--key", "K", "--id", SomeId, "--purpose", "marketing"], "--purpose" },
        { "list by patient and author", ["record", "list", "--node", NodeUrl, "--key", "K", "--patient", SomeId, "--author", SomeId], "--patient or --author" },
        { "list by neither", ["record", "list", "--node", NodeUrl, "--key", "K"], "--patient or --author" },
        { "limit out of range", ["record", "list", "--node", NodeUrl, "--key", "K", "--patient", SomeId, "--limit", "0"], "--limit" },
        { "unknown category", ["record", "put", "--node", NodeUrl, "--key", "K", "--patient", SomeId, "--category", "gossip", "--file", "DOC"], "--category" },
        { "consent key and grant", ["record", "put", "--node", NodeUrl, "--key", "K", "--patient", SomeId, "--category", "laboratory", "--file", "DOC", "--consent-key", "K", "--grant", SomeId], "not both" },
        { "file not JSON", ["record", "put", "--node", NodeUrl, "--key", "K", "--patient", SomeId, "--category", "laboratory", "--file", "TEXT"], "JSON" },
        { "pending with a consent key", ["record", "put", "--node", NodeUrl, "--key", "K", "--patient", SomeId, "--category", "laboratory", "--file", "DOC", "--consent-key", "K", "--pending"], "--pending" },
        { "approve with an id not hex", ["record", "approve", "--node", NodeUrl, "--key", "K", "--id", "xyz"], "--id" },
        { "write without consent", ["record", "put", "--node", NodeUrl, "--key", "K", "--patient", SomeId, "--category", "laboratory", "--file", "DOC", "--passphrase-file", "P"], "--consent-key or --grant" },
        { "two grantees", ["grant", "--node", NodeUrl, "--key", "K", "--to-user", SomeId, "--to-org", "st-marys", "--tiers", "identity", "--purpose", "treatment", "--until", "2030-01-01T00:00:00Z"], "exactly one grantee" },
        { "no grantee", ["grant", "--node", NodeUrl, "--key", "K", "--tiers", "identity", "--purpose", "treatment", "--until", "2030-01-01T00:00:00Z"], "exactly one grantee" },
        { "patient role grantee", ["grant", "--node", NodeUrl, "--key", "K", "--to-role", "patient", "--tiers", "identity", "--purpose", "treatment", "--until", "2030-01-01T00:00:00Z"], "--to-role" },
        { "unknown tier", ["grant", "--node", NodeUrl, "--key", "K", "--to-org", "st-marys", "--tiers", "identity,secret", "--purpose", "treatment", "--until", "2030-01-01T00:00:00Z"], "--tiers" },
        { "repeated tier", ["grant", "--node", NodeUrl, "--key", "K", "--to-org", "st-marys", "--tiers", "identity,identity", "--purpose", "treatment", "--until", "2030-01-01T00:00:00Z"], "twice" },
        { "until not a time", ["grant", "--node", NodeUrl, "--key", "K", "--to-org", "st-marys", "--tiers", "identity", "--purpose", "treatment", "--until", "tomorrow"], "--until" },
        { "until passed", ["grant", "--node", NodeUrl, "--key", "K", "--to-org", "st-marys", "--tiers", "identity", "--purpose", "treatment", "--until", "2020-01-01T00:00:00Z"], "passed" },
        { "from after until", ["grant", "--node", NodeUrl, "--key", "K", "--to-org", "st-marys", "--tiers", "identity", "--purpose", "treatment", "--from", "2031-01-01T00:00:00Z", "--until", "2030-01-01T00:00:00Z"], "ends after it starts" },
        { "append limited to records", ["grant", "--node", NodeUrl, "--key", "K", "--to-org", "st-marys", "--tiers", "identity", "--actions", "append", "--records", SomeId, "--purpose", "treatment", "--until", "2030-01-01T00:00:00Z"], "append" },
        { "bad organisation id", ["grant", "--node", NodeUrl, "--key", "K", "--to-org", "St Marys", "--tiers", "identity", "--purpose", "treatment", "--until", "2030-01-01T00:00:00Z"], "--to-org" },
        { "grant id not hex", ["revoke", "--node", NodeUrl, "--key", "K", "--grant", "123"], "--grant" },
        { "unknown outcome", ["access-log", "--node", NodeUrl, "--key", "K", "--outcome", "maybe"], "--outcome" },
        { "to before from", ["access-log", "--node", NodeUrl, "--key", "K", "--from", "2026-02-01", "--to", "2026-01-01"], "--to" },
        { "patient with a name", ["user", "register", "--node", NodeUrl, "--key", "K", "--public-key", "PUB", "--role", "patient", "--org", "st-marys", "--name", "Ada"], "no name" },
        { "staff without a name", ["user", "register", "--node", NodeUrl, "--key", "K", "--public-key", "PUB", "--role", "doctor", "--org", "st-marys"], "--name" },
        { "public key and key file", ["user", "register", "--node", NodeUrl, "--key", "K", "--public-key", "PUB", "--key-file", "K", "--role", "doctor", "--org", "st-marys", "--name", "Dr"], "either" },
        { "public key not a point", ["user", "register", "--node", NodeUrl, "--key", "K", "--public-key", "04" + new string('1', 128), "--role", "doctor", "--org", "st-marys", "--name", "Dr"], "--public-key" },
        { "administrator role", ["user", "register", "--node", NodeUrl, "--key", "K", "--public-key", "PUB", "--role", "administrator", "--org", "st-marys", "--name", "Root"], "--role" },
        { "account not hex", ["user", "revoke", "--node", NodeUrl, "--key", "K", "--account", "me"], "--account" },
        { "admission without kind", ["org", "propose", "--node", NodeUrl, "--key", "K", "--action", "admit", "--id", "new-clinic", "--name", "New", "--encryption-key", "PUB", "--endpoint", "http://x", "--admin-public-key", "PUB", "--admin-name", "A"], "--kind" },
        { "removal with a name", ["org", "propose", "--node", NodeUrl, "--key", "K", "--action", "remove", "--id", "old-clinic", "--name", "Old"], "only --id" },
        { "unknown membership action", ["org", "propose", "--node", NodeUrl, "--key", "K", "--action", "merge", "--id", "old-clinic"], "--action" },
        { "rotate to the same file", ["key", "rotate", "--node", NodeUrl, "--key", "K", "--new-key", "K"], "same file" },
        { "bad birth date", ["patient", "enrol", "--node", NodeUrl, "--key", "K", "--username", "ada", "--given-name", "Ada", "--family-name", "L", "--national-id", "N1", "--birth-date", "10/12/1815", "--patient-passphrase-file", "P"], "--birth-date" },
        { "vault exists", ["custody", "export", "--node", NodeUrl, "--username", "ada", "--out", "K", "--passphrase-file", "P"], "exists" },
    };

    [Theory]
    [MemberData(nameof(UsageErrors))]
    public async Task UsageErrors_FailWithOneLine_AndSendNothing(string name, string[] arguments, string mentions)
    {
        // Each argument the parser accepts but the verb cannot use is refused with exit code 1 and exactly one line on
        // stderr naming the problem, before any request is made.
        var run = await _cli.RunAsync(Substitute(arguments));

        Assert.True(run.ExitCode == 1, $"{name}: {run}");
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("medledger: ", line, StringComparison.Ordinal);
        Assert.Contains(mentions, line, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(_cli.Node.Requests);
    }

    [Fact]
    public async Task WrongPassphrase_FailsWithOneLine_AndSendsNothing()
    {
        // A key file that does not open is reported on one line; the node hears nothing.
        var wrong = keys.Combine("wrong-passphrase.txt");
        await File.WriteAllTextAsync(wrong, "not the passphrase");

        var run = await _cli.RunAsync("revoke", "--node", NodeUrl, "--key", keys.Patient.File, "--passphrase-file", wrong, "--grant", SomeId);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("passphrase", Assert.Single(run.ErrorLines), StringComparison.OrdinalIgnoreCase);
        Assert.Empty(_cli.Node.Requests);
    }

    private string[] Substitute(string[] arguments)
    {
        var document = keys.Combine("observation.json");
        if (!File.Exists(document))
        {
            File.WriteAllText(document, "{\"resourceType\":\"Observation\",\"status\":\"final\"}");
            File.WriteAllText(keys.Combine("text.txt"), "not json");
        }

        return [.. arguments.Select(a => a switch
        {
            "K" => keys.Doctor.File,
            "P" => keys.PassphraseFile,
            "DOC" => document,
            "TEXT" => keys.Combine("text.txt"),
            "PUB" => Convert.ToHexStringLower(keys.Spare.PublicKey),
            _ => a,
        })];
    }
}
