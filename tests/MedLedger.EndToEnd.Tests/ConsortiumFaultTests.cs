using Microsoft.Data.Sqlite;

namespace MedLedger.EndToEnd.Tests;

/// <summary>
/// Issue 4's multi-process "done when": four validators, each a real node process on loopback talking TLS through
/// relays the test controls (<see cref="ConsortiumCluster"/>), under a steady write load. Crash faults (SIGKILL) up
/// to f = 1 keep the chain going; two of four stop it until one returns; a 2/2 network split stops it until it heals;
/// a node whose stored blocks were edited notices at start. After every scenario no acknowledged transaction is
/// missing and all nodes hold the same block at every height.
/// </summary>
public sealed class ConsortiumFaultTests
{
    private static readonly TimeSpan Progress = TimeSpan.FromSeconds(60);

    /// <summary>How long "no commit" is watched for: several rounds with their timeouts.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(12);

    [Fact]
    public async Task KillOneOfFour_CommitsContinue_TheRestartedNodeCatchesUp_NoAcknowledgedTransactionIsLost_NoFork()
    {
        // 1. Four validators under load commit.
        await using var cluster = await ConsortiumCluster.StartAsync();
        var load = new WriteLoad(cluster);
        await using (load)
        {
            Assert.True(await load.WaitForMoreAsync(5, Progress), $"no commits under load\n{cluster.Describe()}");

            // 2. SIGKILL node 4: the other three (3 of 4 > 2/3) keep committing.
            await cluster.KillAsync(3);
            var heightAtKill = await cluster.HeightAsync(0);
            Assert.True(await load.WaitForMoreAsync(5, Progress), $"commits stopped after one of four was killed\n{cluster.Describe()}");
            Assert.True(await cluster.HeightAsync(0) > heightAtKill);

            // 3. Restarted, node 4 catches up with the others while the load goes on.
            await cluster.StartNodeAsync(3);
            await cluster.WaitForHeightAsync(3, await cluster.HeightAsync(0), Progress);
            Assert.True(await load.WaitForMoreAsync(3, Progress), $"commits stopped after the restart\n{cluster.Describe()}");
        }

        // 4. Every acknowledged transaction is committed at every node at the height it was acknowledged; no fork.
        await cluster.AssertSameBlocksAsync(Progress);
        Assert.NotEmpty(load.Acknowledged);
        foreach (var (id, height) in load.Acknowledged)
        {
            for (var node = 0; node < cluster.Count; node++)
            {
                var served = await cluster.Node(node).Client.GetTransactionAsync(id);
                Assert.True(served is { Status: "committed" } && served.Height == height, $"acknowledged transaction {id} (height {height}) is {served?.Status ?? "unknown"} at height {served?.Height} on node{node + 1}");
            }
        }
    }

    [Fact]
    public async Task KillTwoOfFour_CommitsStop_AndResumeWhenOneReturns()
    {
        // 1. Two of four validators die: 2 of 4 is not more than 2/3 of the voting power.
        await using var cluster = await ConsortiumCluster.StartAsync();
        await cluster.KillAsync(2);
        await cluster.KillAsync(3);

        // 2. A transaction is admitted but not committed, and no node's height moves.
        var stuck = cluster.NextAnchor();
        var submitted = await cluster.Node(0).Client.SubmitAsync(stuck, waitForCommit: false);
        Assert.Equal("pending", submitted.Status);
        var heights = new[] { await cluster.HeightAsync(0), await cluster.HeightAsync(1) };
        await Task.Delay(Quiet);
        ulong[] later = [await cluster.HeightAsync(0), await cluster.HeightAsync(1)];
        Assert.True(heights.SequenceEqual(later), $"heights moved with two of four down: {string.Join(",", heights)} -> {string.Join(",", later)}\n{cluster.Describe()}");
        Assert.NotEqual("committed", (await cluster.Node(0).Client.GetTransactionAsync(stuck.ComputeId(NodeFolder.Suite)))?.Status);

        // 3. One returns (3 of 4): the waiting transaction commits, and all three agree.
        await cluster.StartNodeAsync(2);
        await cluster.WaitForCommitAsync(0, stuck.ComputeId(NodeFolder.Suite), Progress);
        await cluster.AssertSameBlocksAsync(Progress);
    }

    [Fact]
    public async Task ATwoTwoNetworkSplit_StopsCommits_AndTheyResumeAfterHealing()
    {
        // 1. Cut every link between {1, 2} and {3, 4}; let blocks already decided settle.
        await using var cluster = await ConsortiumCluster.StartAsync();
        cluster.Split([0, 1], [2, 3]);
        await Task.Delay(TimeSpan.FromSeconds(2));

        // 2. Each half gets a transaction; neither half has more than 2/3 of the power, so no height moves.
        var left = cluster.NextAnchor();
        var right = cluster.NextAnchor(writer: 1);
        Assert.Equal("pending", (await cluster.Node(0).Client.SubmitAsync(left, waitForCommit: false)).Status);
        Assert.Equal("pending", (await cluster.Node(2).Client.SubmitAsync(right, waitForCommit: false)).Status);
        var before = await Task.WhenAll(Enumerable.Range(0, 4).Select(cluster.HeightAsync));
        await Task.Delay(Quiet);
        var after = await Task.WhenAll(Enumerable.Range(0, 4).Select(cluster.HeightAsync));
        Assert.True(before.SequenceEqual(after), $"heights moved during the split: {string.Join(",", before)} -> {string.Join(",", after)}\n{cluster.Describe()}");

        // 3. Healed, both transactions commit everywhere, on one chain.
        cluster.Heal();
        for (var node = 0; node < 4; node++)
        {
            await cluster.WaitForCommitAsync(node, left.ComputeId(NodeFolder.Suite), Progress);
            await cluster.WaitForCommitAsync(node, right.ComputeId(NodeFolder.Suite), Progress);
        }

        await cluster.AssertSameBlocksAsync(Progress);
    }

    [Fact]
    public async Task ANodeWhoseStoredBlocksWereTampered_DetectsItAtStart_AndDoesNotServeThem()
    {
        // 1. A few blocks, then node 4 stops cleanly.
        await using var cluster = await ConsortiumCluster.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("committed", (await cluster.Node(i % 2).Client.SubmitAsync(cluster.NextAnchor(), waitForCommit: true)).Status);
        }

        await cluster.WaitForHeightAsync(3, await cluster.HeightAsync(0), Progress);
        Assert.Equal(0, await cluster.StopAsync(3));

        // 2. One byte of a middle block's commit certificate (a validator's signature) is flipped in node 4's chain.db.
        const ulong Tampered = 2;
        var original = (await cluster.Node(0).Client.GetBlockAsync(Tampered))!;
        FlipCertificateByte(Path.Combine(cluster.Folder(3), "chain.db"), Tampered);

        // 3. Node 4 either refuses to start, naming the damage, or starts without serving the altered block: what it
        //    serves at that height is the consortium's block, certificate included.
        NodeProcess node;
        try
        {
            node = await NodeProcess.StartAsync(cluster.Folder(3), extraArguments: ConsortiumCluster.NodeArguments);
        }
        catch (Xunit.Sdk.FailException exception) when (exception.Message.Contains("exited with", StringComparison.Ordinal))
        {
            Assert.Matches("(?i)(damaged|invalid|tamper|verify|certificate)", exception.Message);
            return;
        }

        await using (node)
        {
            var served = await node.Client.GetBlockAsync(Tampered);
            Assert.NotNull(served);
            Assert.Equal(original.Hash, served.Hash);
            Assert.Equal(original.Certificate.Signatures.Select(s => s.Signature), served.Certificate.Signatures.Select(s => s.Signature));
        }
    }

    private static void FlipCertificateByte(string chainDatabase, ulong height)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = chainDatabase, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        connection.Open();
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT certificate FROM blocks WHERE height = $height";
        read.Parameters.AddWithValue("$height", (long)height);
        var bytes = Assert.IsType<byte[]>(read.ExecuteScalar());
        bytes[^1] ^= 0x01;
        using var write = connection.CreateCommand();
        write.CommandText = "UPDATE blocks SET certificate = $value WHERE height = $height";
        write.Parameters.AddWithValue("$value", bytes);
        write.Parameters.AddWithValue("$height", (long)height);
        Assert.Equal(1, write.ExecuteNonQuery());
    }
}
