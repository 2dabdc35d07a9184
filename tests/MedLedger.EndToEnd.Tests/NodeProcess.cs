using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using MedLedger.Client;

namespace MedLedger.EndToEnd.Tests;

/// <summary>
/// A <c>medledger node start --api-port 0</c> child process. Starting waits for the line the CLI prints once the
/// API listens and takes the address from it; stdout and stderr are kept for failure messages. Disposing kills the
/// process if it still runs, so a failing test never leaves a node behind.
/// </summary>
internal sealed partial class NodeProcess : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly IReadOnlyList<string> _arguments;
    private readonly StringBuilder _output = new();
    private readonly Lock _outputLock = new();
    private readonly TaskCompletionSource<Uri> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _exited;
    private HttpClient? _http;

    private NodeProcess(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment)
    {
        _arguments = arguments;
        _process = new Process { StartInfo = MedLedgerCli.CreateStartInfo(arguments, environment) };
        _process.OutputDataReceived += (_, line) => OnLine("out", line.Data);
        _process.ErrorDataReceived += (_, line) => OnLine("err", line.Data);
        _process.Start();
        _process.StandardInput.Close();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // WaitForExitAsync also waits until both streams are read to their end.
        _exited = _process.WaitForExitAsync();
    }

    public int ProcessId => _process.Id;

    public bool HasExited => _exited.IsCompleted;

    public Uri Address => _address.Task.IsCompletedSuccessfully ? _address.Task.Result : throw new InvalidOperationException("The node is not listening.");

    /// <summary>A client with a generous timeout: a ?wait=commit request holds up to 30 s.</summary>
    public HttpClient Http => _http ??= new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };

    public MedLedgerClient Client => new(Http);

    /// <summary>Everything the process wrote so far, stdout and stderr interleaved and tagged.</summary>
    public string Output
    {
        get
        {
            lock (_outputLock)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts a node on a free port and waits until its API listens; fails with its output otherwise.</summary>
    public static async Task<NodeProcess> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string?>? environment = null, IReadOnlyList<string>? extraArguments = null)
    {
        var node = new NodeProcess(["node", "start", "--data", dataDirectory, "--api-port", "0", .. extraArguments ?? []], environment);
        try
        {
            var finished = await Task.WhenAny(node._address.Task, node._exited, Task.Delay(StartTimeout));
            if (finished != node._address.Task)
            {
                Assert.Fail(node.HasExited
                    ? $"{node.Describe()} exited with {node._process.ExitCode} before its API listened:\n{node.Output}"
                    : $"{node.Describe()} did not print its API address within {StartTimeout}:\n{node.Output}");
            }

            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts <c>medledger up --nodes <paramref name="nodes"/></c> in <paramref name="dataDirectory"/> on free ports and
    /// waits until it has seeded its demo data and printed the logins (the "Ctrl-C stops" line).
    /// </summary>
    public static async Task<NodeProcess> StartUpAsync(string dataDirectory, int demoPatients, TimeSpan timeout, int nodes = 1)
    {
        var node = new NodeProcess(["up", "--data", dataDirectory, "--base-port", "0", "--demo-patients", demoPatients.ToString(System.Globalization.CultureInfo.InvariantCulture), "--nodes", nodes.ToString(System.Globalization.CultureInfo.InvariantCulture)], null);
        try
        {
            var finished = await Task.WhenAny(node._ready.Task, node._exited, Task.Delay(timeout));
            if (finished != node._ready.Task)
            {
                Assert.Fail(node.HasExited
                    ? $"{node.Describe()} exited with {node._process.ExitCode} before it was ready:\n{node.Output}"
                    : $"{node.Describe()} was not ready within {timeout}:\n{node.Output}");
            }

            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGINT, as Ctrl-C sends. Returns the exit code.</summary>
    public async Task<int> InterruptAsync()
    {
        // A process that ignores SIGINT (inherited from a launcher without job control) would only time out below.
        var status = $"/proc/{ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)}/status";
        var ignored = File.Exists(status) ? File.ReadLines(status).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal)) : null;
        Assert.False(ignored is not null && (Convert.ToUInt64(ignored["SigIgn:".Length..].Trim(), 16) & 0b10) != 0, $"{Describe()} ignores SIGINT (inherited), so Ctrl-C cannot be tested: {ignored}");

        using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-INT", ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!)
        {
            await kill.WaitForExitAsync();
        }

        return await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Waits for the process to end by itself; returns its exit code, or fails after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        if (await Task.WhenAny(_exited, Task.Delay(timeout)) != _exited)
        {
            Assert.Fail($"{Describe()} did not exit within {timeout}:\n{Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the process dies at once, mid-write if it was writing.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>SIGTERM (what a service manager sends; Ctrl-C is SIGINT): a clean stop. Returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (OperatingSystem.IsWindows())
        {
            await KillAsync();
            return _process.ExitCode;
        }

        using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!)
        {
            await kill.WaitForExitAsync();
        }

        return await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        _http?.Dispose();
        if (!HasExited)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited between the check and the kill.
            }

            await Task.WhenAny(_exited, Task.Delay(TimeSpan.FromSeconds(30)));
        }

        _process.Dispose();
    }

    public override string ToString() => $"{Describe()}\n{Output}";

    private string Describe() => $"medledger {string.Join(' ', _arguments)} (pid {_process.Id})";

    private void OnLine(string stream, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputLock)
        {
            _output.Append(stream).Append("| ").AppendLine(line);
        }

        if (stream == "out" && AddressLine().Match(line) is { Success: true } match)
        {
            _address.TrySetResult(new Uri(match.Groups["address"].Value + "/"));
        }

        if (stream == "out" && line.StartsWith("Ctrl-C stops the consortium", StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    [GeneratedRegex(@"^MedLedger node '.*' API on (?<address>http://127\.0\.0\.1:\d+) ")]
    private static partial Regex AddressLine();
}
