using System.Net;
using System.Text.Json;
using MedLedger.Ledger;
using MedLedger.Node;

namespace MedLedger.EndToEnd.Tests;

public sealed class DoubleSignGuardTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task ANodeWhoseGuardRecordedAnotherBlock_StopsInsteadOfSigning()
    {
        // ADR 0003: when consensus/last-signed says this validator already precommitted a different block at the
        // next height (e.g. a restored backup), the node must not sign a second block there: it stops with a
        // non-zero exit and writes nothing to the chain.
        var data = _folder.Combine("node");
        var directory = new NodeDataDirectory(data);

        // 1. Initialise, and record a precommit for some other block at height 1, as the guard would have.
        await NodeFolder.InitAsync(data);
        using (var key = NodeFolder.LoadAdminKey(data))
        {
            var guard = new FileVoteSigner(directory.LastSignedPath, NodeFolder.Suite, key, NodeFolder.ChainId);
            Assert.NotNull(guard.Sign(VoteType.Precommit, 1, 0, NodeFolder.RandomCommitment()));
        }

        // 2. Start the node and give it a transaction to put into block 1.
        await using var node = await NodeProcess.StartAsync(data);
        using (var admin = NodeFolder.LoadAdminKey(data))
        using (var content = JsonContent(new { transaction = Convert.ToBase64String(NodeFolder.Anchor(admin, 1).Encoded.Span) }))
        using (var response = await node.Http.PostAsync(new Uri("api/v1/transactions", UriKind.Relative), content))
        {
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{response.StatusCode}\n{node}");
        }

        // 3. The guard refuses the precommit; the node stops on its own with a non-zero exit code.
        var exitCode = await node.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exitCode != 0, $"exit code {exitCode}\n{node}");
        Assert.Contains("double-sign guard refused", node.Output, StringComparison.Ordinal);

        // 4. No block was written: the chain is still at genesis and verifies.
        var verify = (await MedLedgerCli.RunAsync(["chain", "verify", "--data", data, "--json"])).Succeeded();
        using var document = JsonDocument.Parse(verify.Stdout);
        Assert.Equal(0UL, document.RootElement.GetProperty("storedHeight").GetUInt64());
    }

    private static StringContent JsonContent(object value) =>
        new(JsonSerializer.Serialize(value), System.Text.Encoding.UTF8, "application/json");
}
