using System.Diagnostics;
using System.Text;

namespace MedLedger.EndToEnd.Tests;

/// <summary>
/// Runs the real <c>medledger</c> CLI as a child process: <c>dotnet medledger.dll …</c> from this test assembly's
/// folder, where the project reference to MedLedger.Cli copies it. Children never inherit the test's
/// <c>MEDLEDGER_PASSPHRASE</c>; a test passes one explicitly when it means to. Children start with SIGINT and SIGQUIT
/// at their default disposition, as from an interactive terminal: a shell without job control starts background jobs
/// with them ignored, the ignore is inherited across exec, and the .NET runtime then leaves SIGINT ignored — so a test
/// run launched that way would otherwise find that Ctrl-C (SIGINT) does nothing to <c>medledger up</c>.
/// </summary>
internal static class MedLedgerCli
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    public static string AssemblyPath { get; } = Path.Combine(AppContext.BaseDirectory, "medledger.dll");

    /// <summary>The dotnet host running the tests (set by 'dotnet test'), else the one on the PATH.</summary>
    public static string DotnetHost { get; } =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public static ProcessStartInfo CreateStartInfo(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        Assert.True(File.Exists(AssemblyPath), $"The CLI is not next to the tests: {AssemblyPath} is missing.");
        var info = new ProcessStartInfo(ResetSignals ? "/usr/bin/env" : DotnetHost)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (ResetSignals)
        {
            info.ArgumentList.Add("--default-signal=INT,QUIT");
            info.ArgumentList.Add(DotnetHost);
        }

        info.ArgumentList.Add(AssemblyPath);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Remove("MEDLEDGER_PASSPHRASE");
        info.Environment.Remove("ASPNETCORE_URLS");
        info.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        info.Environment.Remove("DOTNET_ENVIRONMENT");
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[name] = value;
        }

        return info;
    }

    /// <summary>True when GNU env can reset signal dispositions (coreutils 8.31+) and this process ignores SIGINT or SIGQUIT.</summary>
    private static bool ResetSignals { get; } = InheritsIgnoredInterrupt() && SupportsDefaultSignal();

    /// <summary>Whether SIGINT (2) or SIGQUIT (3) is in this process's ignored set (Linux: SigIgn in /proc/self/status).</summary>
    public static bool InheritsIgnoredInterrupt()
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path))
        {
            return false;
        }

        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null
            && ulong.TryParse(line.AsSpan("SigIgn:".Length).Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var ignored)
            && (ignored & 0b110) != 0;
    }

    private static bool SupportsDefaultSignal()
    {
        if (!File.Exists("/usr/bin/env"))
        {
            return false;
        }

        using var probe = Process.Start(new ProcessStartInfo("/usr/bin/env") { ArgumentList = { "--default-signal=INT,QUIT", "true" }, UseShellExecute = false, RedirectStandardError = true });
        probe!.WaitForExit();
        return probe.ExitCode == 0;
    }

    /// <summary>Runs a command to completion (killing it after <paramref name="timeout"/>) with stdin closed.</summary>
    public static async Task<CliResult> RunAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        using var process = new Process { StartInfo = CreateStartInfo(arguments, environment) };
        process.Start();
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"{new CliResult(arguments, -1, await stdout, await stderr)}\ndid not finish within {timeout ?? DefaultTimeout}.");
        }

        return new CliResult(arguments, process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>The outcome of one CLI run; <see cref="ToString"/> shows everything, for assertion messages.</summary>
internal sealed record CliResult(IReadOnlyList<string> Arguments, int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The non-empty lines written to stderr.</summary>
    public IReadOnlyList<string> StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() =>
        $"medledger {string.Join(' ', Arguments)} exited with {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";

    /// <summary>Asserts exit code 0.</summary>
    public CliResult Succeeded()
    {
        Assert.True(ExitCode == 0, ToString());
        return this;
    }

    /// <summary>
    /// Asserts SPEC §3 for an error: a non-zero exit code and exactly one line on stderr, prefixed 'medledger:',
    /// containing <paramref name="expected"/>. Returns that line.
    /// </summary>
    public string FailedWithOneLine(string expected)
    {
        Assert.True(ExitCode != 0, $"expected a failure:\n{this}");
        Assert.True(StderrLines.Count == 1, $"expected exactly one line on stderr:\n{this}");
        var line = StderrLines[0];
        Assert.True(line.StartsWith("medledger: ", StringComparison.Ordinal), $"the error line lacks the 'medledger: ' prefix:\n{this}");
        Assert.True(line.Contains(expected, StringComparison.OrdinalIgnoreCase), $"the error line does not mention '{expected}':\n{this}");
        return line;
    }
}
