using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace MedLedger.Cli;

/// <summary>
/// The node under benchmark: this same CLI started as a child process with <c>node start --api-port 0</c>, so
/// that client and node have separate runtimes, heaps and thread pools as in production. The API address is
/// read from the line the node prints once it listens; disposing kills the child and waits for it.
/// </summary>
internal sealed partial class BenchNodeProcess : IAsyncDisposable
{
    private const int RememberedLines = 20;

    private readonly Process _process;
    private readonly TaskCompletionSource<Uri> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _linesLock = new();
    private readonly Queue<string> _lastLines = new();
    private string? _lastErrorLine;

    private BenchNodeProcess(Process process)
    {
        _process = process;
    }

    /// <summary>The API's base address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The child's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>CPU time the node has used so far (user and kernel, all threads).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>If the node has exited: its exit code and last message, for an error line; else null.</summary>
    public string? ExitDescription()
    {
        try
        {
            return _process.HasExited ? $"the node (pid {_process.Id}) exited with code {_process.ExitCode}: {LastMessage()}" : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Starts the node in <paramref name="dataDirectory"/> and waits until it prints its API address.</summary>
    public static async Task<BenchNodeProcess> StartAsync(string dataDirectory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var process = new Process { StartInfo = CreateStartInfo(dataDirectory) };
        var node = new BenchNodeProcess(process);
        process.OutputDataReceived += (_, line) => node.OnLine(line.Data, isError: false);
        process.ErrorDataReceived += (_, line) => node.OnLine(line.Data, isError: true);
        try
        {
            if (!process.Start())
            {
                throw new BenchmarkFailedException($"Could not start '{process.StartInfo.FileName}'.");
            }

            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            // WaitForExitAsync also waits for the redirected streams to close, so the last error line is in.
            var exited = process.WaitForExitAsync(cancellationToken);
            var first = await Task.WhenAny(node._address.Task, exited, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (first == exited)
            {
                throw new BenchmarkFailedException($"The node exited with code {process.ExitCode} before listening: {node.LastMessage()}");
            }

            if (first != node._address.Task)
            {
                throw new BenchmarkFailedException($"The node did not print its API address within {timeout.TotalSeconds:0} s: {node.LastMessage()}");
            }

            node.Address = await node._address.Task.ConfigureAwait(false);
            return node;
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Polls <c>/health/ready</c> until the consensus loop runs.</summary>
    public async Task WaitUntilReadyAsync(HttpClient http, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new BenchmarkFailedException($"The node exited with code {_process.ExitCode}: {LastMessage()}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("health/ready", UriKind.Relative), cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not accepting yet; try again below.
            }

            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new BenchmarkFailedException($"The node was not ready within {timeout.TotalSeconds:0} s.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Kills the node (the store is crash-safe, and the benchmark's chain is thrown away) and waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // The process never started; nothing to stop.
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"medledger: the benchmark node (pid {_process.Id}) did not exit within 15 s of being killed.").ConfigureAwait(false);
        }
        finally
        {
            _process.Dispose();
        }
    }

    /// <summary>
    /// Runs the same CLI as this process. Under the apphost (<c>medledger</c>) the process path is the program
    /// itself; under <c>dotnet medledger.dll</c> it is the <c>dotnet</c> host, which needs the assembly path first.
    /// </summary>
    private static ProcessStartInfo CreateStartInfo(string dataDirectory)
    {
        var processPath = Environment.ProcessPath ?? throw new BenchmarkFailedException("The path of this program is unknown, so the node cannot be started as a child process.");
        var start = new ProcessStartInfo(processPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (string.Equals(Path.GetFileNameWithoutExtension(processPath), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            var assembly = typeof(BenchNodeProcess).Assembly.Location;
            if (assembly.Length == 0)
            {
                throw new BenchmarkFailedException("Running under the dotnet host without an assembly path; run the medledger program directly.");
            }

            start.ArgumentList.Add(assembly);
        }

        foreach (var argument in (string[])["node", "start", "--data", dataDirectory, "--api-port", "0"])
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    private void OnLine(string? line, bool isError)
    {
        if (line is null)
        {
            return;
        }

        lock (_linesLock)
        {
            _lastLines.Enqueue(line);
            if (_lastLines.Count > RememberedLines)
            {
                _lastLines.Dequeue();
            }

            if (isError && line.Length > 0)
            {
                _lastErrorLine = line;
            }
        }

        if (!isError && !_address.Task.IsCompleted && ApiLine().Match(line) is { Success: true } match)
        {
            var url = match.Groups["url"].Value;
            _address.TrySetResult(new Uri(url.EndsWith('/') ? url : url + "/"));
        }
    }

    private string LastMessage()
    {
        lock (_linesLock)
        {
            return _lastErrorLine ?? _lastLines.LastOrDefault(line => line.Length > 0) ?? "(no output)";
        }
    }

    [GeneratedRegex(@"API on (?<url>https?://\S+)", RegexOptions.CultureInvariant)]
    private static partial Regex ApiLine();
}
