using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace MedLedger.Web.Tests.Browser;

/// <summary>A demo login from demo-logins.json; Url (the user's home node) may be missing in older folders.</summary>
public sealed record DemoLogin(string Username, string Passphrase, string Role, string Organisation, string? Url = null);

/// <summary>
/// One real demo consortium for all browser tests: <c>medledger up --data TMP --base-port FREE --demo-patients 6</c>
/// as a child process (the built CLI next to the tests), ready once its demo-logins.json exists (at
/// <c>DATA/demo-logins.json</c>, or <c>DATA/node1/demo-logins.json</c> before the consortium work) and the node
/// answers /health/ready; plus headless Debian Chromium driven by Playwright. Disposal stops both and deletes the
/// data folder.
/// </summary>
public sealed class DemoNode : IAsyncLifetime, IDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(4);
    private readonly StringBuilder _output = new();
    private readonly string _data = Path.Combine(Path.GetTempPath(), "medledger-web-" + Guid.NewGuid().ToString("N")[..8]);
    private Process? _process;

    public Uri Address { get; private set; } = null!;

    public IReadOnlyList<DemoLogin> Logins { get; private set; } = [];

    public IBrowser Browser { get; private set; } = null!;

    public string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "artifacts", "screenshots");

    private IPlaywright? _playwright;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        // Fail with the fix, not a Playwright stack trace, when the browser is missing (.ci/run installs it).
        Assert.True(File.Exists(ChromiumPath), $"Chromium is missing at {ChromiumPath}: the browser tests need Debian's chromium (apt-get install -y chromium; .ci/run installs it).");
        Directory.CreateDirectory(ScreenshotFolder);
        var cli = Path.Combine(AppContext.BaseDirectory, "medledger.dll");
        Assert.True(File.Exists(cli), $"The CLI is not next to the tests: {cli} is missing.");

        var port = FreePort();
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in new[] { cli, "up", "--nodes", "1", "--data", _data, "--base-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--demo-patients", "6" })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Remove("MEDLEDGER_PASSPHRASE");
        info.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        info.Environment.Remove("ASPNETCORE_URLS");
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, line) => Append("out", line.Data);
        _process.ErrorDataReceived += (_, line) => Append("err", line.Data);
        _process.Start();
        _process.StandardInput.Close();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + ReadyTimeout;
        string? loginsPath = null;
        while (loginsPath is null)
        {
            Assert.False(_process.HasExited, $"medledger up exited with {(_process.HasExited ? _process.ExitCode : 0)}:\n{Output}");
            Assert.True(DateTime.UtcNow < deadline, $"medledger up was not ready within {ReadyTimeout}:\n{Output}");
            loginsPath = new[] { Path.Combine(_data, "demo-logins.json"), Path.Combine(_data, "node1", "demo-logins.json") }.FirstOrDefault(File.Exists);
            await Task.Delay(500);
        }

        // The file may still be being written; read until it parses.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                Logins = JsonSerializer.Deserialize<List<DemoLogin>>(await File.ReadAllBytesAsync(loginsPath)) ?? [];
                break;
            }
            catch (Exception exception) when ((exception is JsonException or IOException) && attempt < 20)
            {
                await Task.Delay(250);
            }
        }

        var patient = Logins.First(l => l.Role == "patient");
        Address = patient.Url is { Length: > 0 } url ? new Uri(url.TrimEnd('/') + "/") : new Uri($"http://127.0.0.1:{port}/");
        using var http = new HttpClient { BaseAddress = Address };
        while (true)
        {
            try
            {
                if ((await http.GetAsync(new Uri("health/ready", UriKind.Relative))).StatusCode == HttpStatusCode.OK)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
            }

            Assert.True(DateTime.UtcNow < deadline, $"{Address} was not ready within {ReadyTimeout}:\n{Output}");
            await Task.Delay(250);
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public void Dispose() => _process?.Dispose();

    public DemoLogin Login(string username) => Logins.Single(l => l.Username == username);

    private void Append(string stream, string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Append(stream).Append("| ").AppendLine(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name)]
public sealed class DemoNodeGroup : ICollectionFixture<DemoNode>
{
    public const string Name = "demo node";
}
