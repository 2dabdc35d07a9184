using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace MedLedger.Cli;

/// <summary>
/// One node of a local consortium (<c>up</c>) or of a benchmark run as a child process of this CLI:
/// <c>medledger node start --data FOLDER</c> (the ports come from the folder's node.json unless the extra arguments
/// say otherwise). Its API address is read from the line the node prints once it
/// listens; every line it writes is appended to <c>FOLDER/node.log</c>, and warnings and errors are echoed to this
/// console prefixed with the node's name. <see cref="Exited"/> completes when the process ends, so a supervisor can
/// report a node that dies.
/// </summary>
internal sealed partial class NodeChildProcess : IAsyncDisposable
{
    private const int RememberedLines = 20;

    private readonly Process _process;
    private readonly TaskCompletionSource<Uri> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _linesLock = new();
    private readonly Queue<string> _lastLines = new();
    private readonly StreamWriter? _log;
    private readonly TextWriter? _echo;
    private string? _lastErrorLine;

    private NodeChildProcess(string name, string folder, Process process, StreamWriter? log, TextWriter? echo)
    {
        Name = name;
        Folder = folder;
        _process = process;
        _log = log;
        _echo = echo;
    }

    /// <summary>The node's name as printed (e.g. node2).</summary>
    public string Name { get; }

    /// <summary>The node's data folder.</summary>
    public string Folder { get; }

    /// <summary>The API's base address, e.g. <c>http://127.0.0.1:7101/</c>, once started.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The child's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Completes when the process has ended and its output is read.</summary>
    public Task Exited { get; private set; } = Task.CompletedTask;

    /// <summary>The exit code, once <see cref="Exited"/> completed.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>CPU time the node has used so far (user and kernel, all threads).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>
    /// Starts <c>node start --data <paramref name="folder"/></c> plus <paramref name="extraArguments"/> and waits until
    /// the node prints its API address. With <paramref name="logToFolder"/>, the output goes to FOLDER/node.log.
    /// </summary>
    public static async Task<NodeChildProcess> StartAsync(string name, string folder, TimeSpan timeout, CancellationToken cancellationToken, IReadOnlyList<string>? extraArguments = null, bool logToFolder = true, TextWriter? echo = null)
    {
        var process = new Process { StartInfo = CreateStartInfo(["node", "start", "--data", folder, .. extraArguments ?? []]) };
        var log = logToFolder ? new StreamWriter(new FileStream(Path.Combine(folder, "node.log"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true } : null;
        var node = new NodeChildProcess(name, folder, process, log, echo);
        process.OutputDataReceived += (_, line) => node.OnLine(line.Data, isError: false);
        process.ErrorDataReceived += (_, line) => node.OnLine(line.Data, isError: true);
        try
        {
            if (!process.Start())
            {
                throw new CliUsageException($"Could not start '{process.StartInfo.FileName}'.");
            }

            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            // WaitForExitAsync also waits for the redirected streams to close, so the last error line is in.
            node.Exited = process.WaitForExitAsync(CancellationToken.None);
            var first = await Task.WhenAny(node._address.Task, node.Exited, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (first == node.Exited)
            {
                throw new NodeExitedException($"{name} exited with code {process.ExitCode} before listening: {node.LastMessage()}");
            }

            if (first != node._address.Task)
            {
                throw new NodeExitedException($"{name} did not print its API address within {timeout.TotalSeconds:0} s: {node.LastMessage()}");
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

    /// <summary>Polls <c>/health/ready</c> until the node's consensus loop runs.</summary>
    public async Task WaitUntilReadyAsync(HttpClient http, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (Exited.IsCompleted)
            {
                throw new NodeExitedException(ExitDescription());
            }

            try
            {
                using var response = await http.GetAsync(new Uri(Address, "health/ready"), cancellationToken).ConfigureAwait(false);
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
                throw new NodeExitedException($"{Name} was not ready within {timeout.TotalSeconds:0} s.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>What an operator needs to know about an ended node: name, pid, exit code and its last message.</summary>
    public string ExitDescription() => $"{Name} (pid {_process.Id}) exited with code {_process.ExitCode}: {LastMessage()}";

    /// <summary>
    /// Asks the node to stop cleanly with SIGTERM (as a service manager does) and waits up to <paramref name="timeout"/>;
    /// kills it if it does not end by then. Returns the exit code.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!Exited.IsCompleted)
        {
            if (OperatingSystem.IsWindows())
            {
                Kill();
            }
            else
            {
                try
                {
                    using var signal = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false });
                    if (signal is not null)
                    {
                        await signal.WaitForExitAsync().ConfigureAwait(false);
                    }
                }
                catch (System.ComponentModel.Win32Exception)
                {
                    Kill();
                }
            }

            if (await Task.WhenAny(Exited, Task.Delay(timeout)).ConfigureAwait(false) != Exited)
            {
                Kill();
                await Exited.ConfigureAwait(false);
            }
        }

        return _process.ExitCode;
    }

    /// <summary>Kills the node at once (SIGKILL) if it still runs.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Not started or already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"medledger: {Name} (pid {_process.Id}) did not exit within 15 s of being killed.").ConfigureAwait(false);
        }
        finally
        {
            _process.Dispose();
            lock (_linesLock)
            {
                _log?.Dispose();
            }
        }
    }

    /// <summary>
    /// Runs the same CLI as this process. Under the apphost (<c>medledger</c>) the process path is the program
    /// itself; under <c>dotnet medledger.dll</c> it is the <c>dotnet</c> host, which needs the assembly path first.
    /// </summary>
    public static ProcessStartInfo CreateStartInfo(IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var processPath = Environment.ProcessPath ?? throw new CliUsageException("The path of this program is unknown, so nodes cannot be started as child processes.");
        var start = new ProcessStartInfo(processPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (string.Equals(Path.GetFileNameWithoutExtension(processPath), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            var assembly = typeof(NodeChildProcess).Assembly.Location;
            if (assembly.Length == 0)
            {
                throw new CliUsageException("Running under the dotnet host without an assembly path; run the medledger program directly.");
            }

            start.ArgumentList.Add(assembly);
        }

        foreach (var argument in arguments)
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

            if ((isError && line.Length > 0) || line.StartsWith("crit:", StringComparison.Ordinal) || line.StartsWith("fail:", StringComparison.Ordinal))
            {
                _lastErrorLine = line;
            }

            try
            {
                _log?.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The last lines of a node being disposed.
            }
        }

        if (_echo is not null && (isError || line.StartsWith("warn:", StringComparison.Ordinal) || line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal)))
        {
            _echo.WriteLine($"{Name} | {line}");
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

/// <summary>A node child process ended or did not come up; the message names it and its last words.</summary>
internal sealed class NodeExitedException : Exception
{
    public NodeExitedException(string message)
        : base(message)
    {
    }

    public NodeExitedException()
    {
    }

    public NodeExitedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
