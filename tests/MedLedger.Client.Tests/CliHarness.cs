using System.CommandLine;
using MedLedger.Cli;
using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Client.Tests;

/// <summary>The outcome of one in-process CLI run.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\nstdout: {Output}\nstderr: {Error}";
}

/// <summary>
/// Runs the medical verbs in process, exactly as registered in the program, against a <see cref="FakeNode"/> and a
/// fixed clock, capturing standard output and error.
/// </summary>
internal sealed class CliHarness : IDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public FakeNode Node { get; } = new();

    public async Task<CliRun> RunAsync(params string[] arguments)
    {
        var root = new RootCommand("test");
        MedicalCommands.Register(root, new CliEnvironment(() => Node, new ManualTime(Now)));
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await root.Parse(arguments).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return new CliRun(code, output.ToString(), error.ToString());
    }

    public void Dispose() => Node.Dispose();
}

/// <summary>
/// Encrypted key files shared by the CLI tests (PBKDF2 at 600,000 iterations makes each one costly): a doctor, a
/// patient and a spare key, all under one passphrase held in a passphrase file.
/// </summary>
public sealed class CliKeys : IDisposable
{
    public const string Passphrase = "correct horse battery";

    public CliKeys()
    {
        Folder = Directory.CreateTempSubdirectory("medledger-cli-tests-").FullName;
        PassphraseFile = Path.Combine(Folder, "passphrase.txt");
        File.WriteAllText(PassphraseFile, Passphrase + "\n");
        Doctor = Save("doctor.key");
        Patient = Save("patient.key");
        Spare = Save("spare.key");
    }

    public string Folder { get; }

    public string PassphraseFile { get; }

    public (string File, byte[] PublicKey, Hash KeyId) Doctor { get; }

    public (string File, byte[] PublicKey, Hash KeyId) Patient { get; }

    public (string File, byte[] PublicKey, Hash KeyId) Spare { get; }

    public static ISigningKey Open(string file) => KeyFile.Load(file, CryptoSuites.Standard, Passphrase);

    public string Combine(string name) => Path.Combine(Folder, name);

    public void Dispose() => Directory.Delete(Folder, recursive: true);

    private (string, byte[], Hash) Save(string name)
    {
        using var key = CryptoSuites.Standard.GenerateSigningKey();
        var path = Path.Combine(Folder, name);
        KeyFile.Save(path, CryptoSuites.Standard, key, Passphrase);
        return (path, key.PublicKey.ToArray(), CryptoSuites.Standard.Hash(key.PublicKey.Span));
    }
}
