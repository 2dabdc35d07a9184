using System.Net;
using System.Text.Json;
using MedLedger.Node;

namespace MedLedger.EndToEnd.Tests;

public sealed class NodeLifecycleTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task InitStartSubmitStopVerify_WithTheRealBinary()
    {
        // The operator's path through separate processes: init, start, use the API, stop with SIGTERM, verify the
        // chain, and start again on the same folder.
        var data = _folder.Combine("node");

        // 1. 'node init' creates the folder with a generated passphrase; the secrets are mode 0600.
        var init = await MedLedgerCli.RunAsync(["node", "init", "--data", data, "--api-port", "0", "--name", "E2E hospital", "--chain-id", NodeFolder.ChainId]);
        init.Succeeded();
        Assert.Contains("Initialised node", init.Stdout, StringComparison.Ordinal);
        var directory = new NodeDataDirectory(data);
        Assert.True(directory.IsInitialized, init.ToString());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(directory.KeyPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(directory.GeneratedPassphrasePath));
        }

        // 2. 'node start' listens on a free port and prints the address; status and health answer.
        await using var node = await NodeProcess.StartAsync(data);
        var status = await node.Client.GetStatusAsync();
        Assert.Equal((NodeFolder.ChainId, "E2E hospital", 0UL), (status.ChainId, status.NodeName, status.Height));
        using (var ready = await node.Http.GetAsync(new Uri("health/ready", UriKind.Relative)))
        {
            Assert.True(ready.StatusCode == HttpStatusCode.OK, node.ToString());
        }

        // 3. The administrator registers a member; a batch of 20 anchors and the member's own anchors commit.
        using var admin = NodeFolder.LoadAdminKey(data);
        using var member = NodeFolder.Suite.GenerateSigningKey();
        Assert.Equal(NodeFolder.KeyId(admin).ToString(), status.NodeId);
        var committed = new List<Client.SubmittedTransaction>
        {
            await node.Client.SubmitAsync(NodeFolder.Register(admin, 1, member, "ward nurse"), waitForCommit: true),
        };
        committed.AddRange((await node.Client.SubmitBatchAsync([.. Enumerable.Range(2, 20).Select(n => NodeFolder.Anchor(admin, (ulong)n))], waitForCommit: true)).Results);
        for (var nonce = 1UL; nonce <= 3; nonce++)
        {
            committed.Add(await node.Client.SubmitAsync(NodeFolder.Anchor(member, nonce), waitForCommit: true));
        }

        Assert.All(committed, c => Assert.True(c.Status == "committed", $"{c}\n{node}"));
        foreach (var result in committed)
        {
            var transaction = await node.Client.GetTransactionAsync(Core.Hash.Parse(result.Id));
            Assert.Equal(("committed", result.Height), (transaction?.Status, transaction?.Height));
        }

        var before = await node.Client.GetStatusAsync();
        Assert.Equal(committed.Max(c => c.Height), before.Height);

        // 4. SIGTERM stops the node cleanly with exit code 0.
        var exitCode = await node.StopAsync();
        Assert.True(exitCode == 0, $"exit code {exitCode}\n{node}");

        // 5. 'chain verify' re-checks every block and the state: exit 0, in text and in JSON.
        var verify = (await MedLedgerCli.RunAsync(["chain", "verify", "--data", data])).Succeeded();
        Assert.Contains($"Chain verified: {before.Height} block(s), state matches.", verify.Stdout, StringComparison.Ordinal);
        var json = (await MedLedgerCli.RunAsync(["chain", "verify", "--data", data, "--json"])).Succeeded();
        using (var document = JsonDocument.Parse(json.Stdout))
        {
            Assert.True(document.RootElement.GetProperty("valid").GetBoolean(), json.ToString());
            Assert.Equal(before.Height, document.RootElement.GetProperty("storedHeight").GetUInt64());
            Assert.Equal(before.Height, document.RootElement.GetProperty("verifiedHeight").GetUInt64());
        }

        // 6. A node started again on the folder serves the same head and keeps committing.
        await using var again = await NodeProcess.StartAsync(data);
        var after = await again.Client.GetStatusAsync();
        Assert.Equal((before.Height, before.LatestBlockHash, before.StateRoot), (after.Height, after.LatestBlockHash, after.StateRoot));
        var next = await again.Client.SubmitAsync(NodeFolder.Anchor(member, 4), waitForCommit: true);
        Assert.Equal(before.Height + 1, next.Height);
        Assert.Equal(0, await again.StopAsync());
    }
}
