using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MedLedger.Crypto;
using MedLedger.Node;

namespace MedLedger.EndToEnd.Tests;

/// <summary>
/// SPEC §3 for the CLI's error paths: an operator's mistake gets a non-zero exit code and exactly one line on
/// stderr saying what is wrong, and touches nothing.
/// </summary>
public sealed class CliErrorTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task NodeStart_OnAMissingFolder_FailsWithOneLine_AndCreatesNothing()
    {
        // A mistyped --data must not create a folder or a database.
        var missing = _folder.Combine("no-such-node");

        var result = await MedLedgerCli.RunAsync(["node", "start", "--data", missing, "--api-port", "0"]);

        result.FailedWithOneLine("node init");
        Assert.False(Directory.Exists(missing), result.ToString());
    }

    [Fact]
    public async Task NodeStart_OnAnUninitialisedFolder_FailsWithOneLine_AndCreatesNothing()
    {
        // An empty folder is not a node; starting leaves it empty.
        var empty = Directory.CreateDirectory(_folder.Combine("empty")).FullName;

        var result = await MedLedgerCli.RunAsync(["node", "start", "--data", empty, "--api-port", "0"]);

        result.FailedWithOneLine("node init");
        Assert.Empty(Directory.EnumerateFileSystemEntries(empty));
    }

    [Theory]
    [InlineData("--min-block-interval-ms", "1001")]
    [InlineData("--consensus-timeout-ms", "10")]
    public async Task NodeStart_WithAnOutOfRangeTiming_FailsWithOneLine_AndCreatesNothing(string option, string value)
    {
        // The range check comes before the folder is opened, so even a missing folder stays missing.
        var missing = _folder.Combine("no-such-node");

        var result = await MedLedgerCli.RunAsync(["node", "start", "--data", missing, "--api-port", "0", option, value]);

        result.FailedWithOneLine(option);
        Assert.False(Directory.Exists(missing), result.ToString());
    }

    [Fact]
    public async Task ChainVerify_OnAnUninitialisedFolder_FailsWithOneLine()
    {
        // Verifying a folder that holds no node is an error, not a valid empty chain.
        var empty = Directory.CreateDirectory(_folder.Combine("empty")).FullName;

        var result = await MedLedgerCli.RunAsync(["chain", "verify", "--data", empty]);

        result.FailedWithOneLine("genesis");
        Assert.Empty(Directory.EnumerateFileSystemEntries(empty));
    }

    [Fact]
    public async Task NodeInit_OnANonEmptyFolder_FailsWithOneLine_AndLeavesItAlone()
    {
        // 1. A folder with someone's file in it is refused. 2. So is a folder that already holds a node, whose
        //    genesis and key stay byte for byte as they were.
        var busy = Directory.CreateDirectory(_folder.Combine("busy")).FullName;
        File.WriteAllText(Path.Combine(busy, "notes.txt"), "not a node");

        (await MedLedgerCli.RunAsync(["node", "init", "--data", busy])).FailedWithOneLine("not empty");
        Assert.Equal(["notes.txt"], Directory.EnumerateFileSystemEntries(busy).Select(Path.GetFileName));

        var node = _folder.Combine("node");
        await NodeFolder.InitAsync(node);
        var directory = new NodeDataDirectory(node);
        var genesis = File.ReadAllBytes(directory.GenesisPath);
        var key = File.ReadAllBytes(directory.KeyPath);

        (await MedLedgerCli.RunAsync(["node", "init", "--data", node, "--chain-id", "another-chain"])).FailedWithOneLine("not empty");
        Assert.Equal(genesis, File.ReadAllBytes(directory.GenesisPath));
        Assert.Equal(key, File.ReadAllBytes(directory.KeyPath));
    }

    [Fact]
    public async Task NodeInit_WithAnUnknownSuite_FailsWithOneLine_AndCreatesNothing()
    {
        // The suite is checked before anything is written, so a typo leaves no half-made node behind.
        var node = _folder.Combine("node");

        var result = await MedLedgerCli.RunAsync(["node", "init", "--data", node, "--suite", "no-such-suite"]);

        result.FailedWithOneLine("no-such-suite");
        Assert.False(Directory.Exists(node), result.ToString());
    }

    [Fact]
    public async Task KeyNew_WritesAnOwnerOnlyKeyFile_AndRefusesToOverwriteIt()
    {
        // 1. 'key new --passphrase-file' writes a key file of mode 0600 that opens with that passphrase and holds
        //    the key the JSON output names. 2. A second run on the same path fails with one line and leaves it.
        var passphraseFile = _folder.Combine("passphrase");
        File.WriteAllText(passphraseFile, "correct horse battery staple\n");
        var keyFile = _folder.Combine("alice.key");

        var created = (await MedLedgerCli.RunAsync(["key", "new", "--out", keyFile, "--passphrase-file", passphraseFile, "--json"])).Succeeded();

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        }

        using (var document = JsonDocument.Parse(created.Stdout))
        using (var key = KeyFile.Load(keyFile, CryptoSuites.Standard, "correct horse battery staple"))
        {
            Assert.Equal(Convert.ToHexStringLower(key.PublicKey.Span), document.RootElement.GetProperty("publicKey").GetString());
            Assert.Equal(CryptoSuites.Standard.Hash(key.PublicKey.Span).ToString(), document.RootElement.GetProperty("keyId").GetString());
        }

        Assert.Throws<CryptoException>(() => KeyFile.Load(keyFile, CryptoSuites.Standard, "wrong"));
        var before = File.ReadAllBytes(keyFile);

        var again = await MedLedgerCli.RunAsync(["key", "new", "--out", keyFile, "--passphrase-file", passphraseFile]);

        again.FailedWithOneLine("overwrite");
        Assert.Equal(before, File.ReadAllBytes(keyFile));
    }

    [Fact]
    public async Task KeyNew_WithoutAnyPassphrase_FailsWithOneLine_InsteadOfPrompting()
    {
        // With stdin redirected (a script) and no passphrase source, the CLI says how to give one and writes nothing.
        var keyFile = _folder.Combine("bob.key");

        var result = await MedLedgerCli.RunAsync(["key", "new", "--out", keyFile]);

        result.FailedWithOneLine("passphrase");
        Assert.False(File.Exists(keyFile));
    }

    [Fact]
    public async Task NodeStart_WithAWrongOrMissingPassphrase_FailsWithOneLine()
    {
        // 1. A node initialised with --passphrase-file keeps no passphrase in its folder. 2. MEDLEDGER_PASSPHRASE
        //    =wrong, or no passphrase at all, fails with one line. 3. The right passphrase file starts it.
        var passphraseFile = _folder.Combine("passphrase");
        File.WriteAllText(passphraseFile, "the right passphrase");
        var node = _folder.Combine("node");
        await NodeFolder.InitAsync(node, "--passphrase-file", passphraseFile);
        Assert.False(File.Exists(new NodeDataDirectory(node).GeneratedPassphrasePath));

        var wrong = await MedLedgerCli.RunAsync(["node", "start", "--data", node, "--api-port", "0"], new Dictionary<string, string?> { [NodeDataDirectory.PassphraseVariable] = "wrong" });
        wrong.FailedWithOneLine("node key");

        var none = await MedLedgerCli.RunAsync(["node", "start", "--data", node, "--api-port", "0"]);
        none.FailedWithOneLine("passphrase");

        await using var started = await NodeProcess.StartAsync(node, new Dictionary<string, string?> { [NodeDataDirectory.PassphraseVariable] = "the right passphrase" });
        Assert.Equal(0UL, (await started.Client.GetStatusAsync()).Height);
        Assert.Equal(0, await started.StopAsync());
    }

    [Fact]
    public async Task NodeStart_OnAPortInUse_OrOutOfRange_FailsWithOneLine()
    {
        // A port another process holds, and a port number that does not exist, are operator errors with one line.
        var node = _folder.Combine("node");
        await NodeFolder.InitAsync(node);
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var busy = await MedLedgerCli.RunAsync(["node", "start", "--data", node, "--api-port", port]);
        busy.FailedWithOneLine("listen");

        var outOfRange = await MedLedgerCli.RunAsync(["node", "start", "--data", node, "--api-port", "70000"]);
        outOfRange.FailedWithOneLine("70000");
    }
}
