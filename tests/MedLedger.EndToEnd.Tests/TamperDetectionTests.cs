using System.Text.RegularExpressions;
using MedLedger.Core;
using MedLedger.Ledger;
using Microsoft.Data.Sqlite;

namespace MedLedger.EndToEnd.Tests;

/// <summary>
/// A chain of four blocks made by the real binary and stopped cleanly, shared by the tamper tests, which each
/// edit a copy of it. Block 1 registers a member, block 2 holds three administrator anchors, block 3 a member
/// anchor, block 4 an administrator anchor.
/// </summary>
public sealed class PreparedChainFixture : IAsyncLifetime, IDisposable
{
    private readonly TempFolder _folder = new();

    public string DataDirectory => _folder.Combine("node");

    /// <summary>The block with three transactions, in the middle of the chain.</summary>
    public ulong MiddleHeight { get; private set; }

    public ulong HeadHeight { get; private set; }

    public Hash MemberId { get; private set; }

    /// <summary>A commitment anchored in <see cref="MiddleHeight"/>.</summary>
    public Hash AnchoredCommitment { get; private set; }

    public async Task InitializeAsync()
    {
        await NodeFolder.InitAsync(DataDirectory);
        using var admin = NodeFolder.LoadAdminKey(DataDirectory);
        using var member = NodeFolder.Suite.GenerateSigningKey();
        MemberId = NodeFolder.KeyId(member);
        AnchoredCommitment = NodeFolder.RandomCommitment();
        await using var node = await NodeProcess.StartAsync(DataDirectory);
        var heights = new List<ulong?>
        {
            (await node.Client.SubmitAsync(NodeFolder.Register(admin, 1, member, "lab technician"), waitForCommit: true)).Height,
        };
        var batch = await node.Client.SubmitBatchAsync([NodeFolder.Anchor(admin, 2), NodeFolder.Anchor(admin, 3, AnchoredCommitment), NodeFolder.Anchor(admin, 4)], waitForCommit: true);
        heights.AddRange(batch.Results.Select(r => r.Height));
        heights.Add((await node.Client.SubmitAsync(NodeFolder.Anchor(member, 1), waitForCommit: true)).Height);
        heights.Add((await node.Client.SubmitAsync(NodeFolder.Anchor(admin, 5), waitForCommit: true)).Height);
        Assert.True(heights.SequenceEqual(new ulong?[] { 1, 2, 2, 2, 3, 4 }), $"unexpected block layout {string.Join(", ", heights)}\n{node}");
        (MiddleHeight, HeadHeight) = (2, 4);
        Assert.Equal(0, await node.StopAsync());
        (await MedLedgerCli.RunAsync(["chain", "verify", "--data", DataDirectory])).Succeeded();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _folder.Dispose();
}

/// <summary>
/// SPEC F6: any change to a stored block, transaction or state entry is found by <c>medledger chain verify</c>
/// (exit 2, naming the first bad height), and a node refuses to start on a folder whose head block or state was
/// changed. Each test copies the prepared chain, edits the copy's SQLite file with its own connection while no
/// node runs, and runs the real binary on it.
/// </summary>
public sealed partial class TamperDetectionTests(PreparedChainFixture chain) : IClassFixture<PreparedChainFixture>, IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task UntouchedCopy_Verifies()
    {
        // The control: copying the folder is not itself a change the verifier notices.
        var copy = Copy();

        var result = (await Verify(copy)).Succeeded();

        Assert.Contains($"Chain verified: {chain.HeadHeight} block(s)", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneByteOfABlockHeader_IsFoundAtItsHeight()
    {
        // A bit flipped inside block 2's stored header (in its validator-set hash) no longer hashes to the block
        // hash recorded beside it.
        var copy = Copy();
        Edit(copy, db => FlipByte(db, "blocks", "header", "height = 2", fromEnd: 20));

        await AssertVerifyFailsAsync(copy, chain.MiddleHeight, "the header does not hash to the recorded block hash");
    }

    [Fact]
    public async Task ABlockHeaderRewrittenWithItsHash_IsFoundByTheCertificate()
    {
        // An editor who also recomputes the recorded hash (here after moving block 2's time by 1 ms) is stopped by
        // the commit certificate, which the validator signed for the original hash.
        var copy = Copy();
        Edit(copy, db =>
        {
            var header = BlockHeader.Decode(ReadBlob(db, "SELECT header FROM blocks WHERE height = 2"));
            var forged = header with { TimeUnixMilliseconds = header.TimeUnixMilliseconds + 1 };
            Write(db, "UPDATE blocks SET header = $a, hash = $b WHERE height = 2", forged.Encode(), forged.ComputeHash(NodeFolder.Suite).ToArray());
        });

        await AssertVerifyFailsAsync(copy, chain.MiddleHeight, "the commit certificate is invalid");
    }

    [Fact]
    public async Task OneByteOfACommitCertificate_IsFoundAtItsHeight()
    {
        // A bit flipped in the last byte of block 2's certificate (the validator's signature) breaks the signature.
        var copy = Copy();
        Edit(copy, db => FlipByte(db, "blocks", "certificate", "height = 2", fromEnd: 1));

        await AssertVerifyFailsAsync(copy, chain.MiddleHeight, "the commit certificate is invalid");
    }

    [Fact]
    public async Task OneByteOfATransactionBody_IsFoundAtItsBlocksHeight()
    {
        // A bit flipped in the signature of block 2's first stored transaction no longer hashes to its recorded id.
        var copy = Copy();
        Edit(copy, db => FlipByte(db, "transactions", "body", "height = 2 AND position = 0", fromEnd: 1));

        await AssertVerifyFailsAsync(copy, chain.MiddleHeight, "transaction 0 does not hash to its recorded id");
    }

    [Fact]
    public async Task ATransactionSwappedWithItsIdUpdated_IsFoundByTheTransactionsRoot()
    {
        // An editor replaces block 2's second transaction with another valid, administrator-signed one (same
        // nonce, other commitment) and updates its recorded id: the header's transactions root gives it away.
        var copy = Copy();
        using var admin = NodeFolder.LoadAdminKey(copy);
        var substitute = NodeFolder.Anchor(admin, 3);
        Edit(copy, db => Write(db, "UPDATE transactions SET body = $a, id = $b WHERE height = 2 AND position = 1", substitute.Encoded.ToArray(), substitute.ComputeId(NodeFolder.Suite).ToArray()));

        await AssertVerifyFailsAsync(copy, chain.MiddleHeight, "the transactions root does not match");
    }

    [Fact]
    public async Task ADeletedTransaction_IsFoundAtItsBlocksHeight()
    {
        // Removing one of block 2's three transactions leaves fewer than its header counts.
        var copy = Copy();
        Edit(copy, db => Write(db, "DELETE FROM transactions WHERE height = 2 AND position = 1"));

        await AssertVerifyFailsAsync(copy, chain.MiddleHeight, "the transaction count does not match");
    }

    [Fact]
    public async Task ADeletedBlockInTheMiddle_IsFoundAtItsHeight()
    {
        // Removing block 2 (the store's head is unchanged) leaves a gap the verifier names.
        var copy = Copy();
        Edit(copy, db => Write(db, "DELETE FROM blocks WHERE height = 2"));

        await AssertVerifyFailsAsync(copy, chain.MiddleHeight, "the block is missing");
    }

    [Fact]
    public async Task ADeletedHeadBlock_FailsVerification()
    {
        // Removing the head block leaves the store's recorded height without a block: the store cannot even be
        // opened consistently, which `chain verify` reports as a failed verification (exit 2), not a usage error.
        var copy = Copy();
        Edit(copy, db => Write(db, $"DELETE FROM blocks WHERE height = {chain.HeadHeight}"));

        var result = await Verify(copy);

        Assert.True(result.ExitCode == 2, $"expected exit 2, got {result.ExitCode}: {result.Stderr}");
        Assert.Contains("chain verify failed", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneByteOfAnAccountsStateValue_IsFound()
    {
        // The member's stored account with its last byte flipped (revoked: false becomes true) differs from the
        // state that replaying the blocks gives; the fault is reported at the head height.
        var copy = Copy();
        Edit(copy, db => FlipByte(db, "state", "value", "key = $key", fromEnd: 1, StateKeys.Account(chain.MemberId)));

        await AssertVerifyFailsAsync(copy, chain.HeadHeight, "the stored state entry 'acct/");
    }

    [Fact]
    public async Task ADeletedStateRow_IsFound()
    {
        // An anchored commitment deleted from the state is missing from what the blocks wrote.
        var copy = Copy();
        Edit(copy, db => Write(db, "DELETE FROM state WHERE key = $a", StateKeys.Anchor(chain.AnchoredCommitment)));

        await AssertVerifyFailsAsync(copy, chain.HeadHeight, "the stored state lacks 1 entr");
    }

    [Fact]
    public async Task AnInsertedStateRow_IsFound()
    {
        // A commitment "anchored" by writing the state directly, with no transaction, is an entry no block wrote.
        var copy = Copy();
        Edit(copy, db => Write(db, "INSERT INTO state (key, value) VALUES ($a, $b)", StateKeys.Anchor(NodeFolder.RandomCommitment()), new AnchorRecord(chain.MemberId, 3).Encode()));

        await AssertVerifyFailsAsync(copy, chain.HeadHeight, "an entry the blocks never wrote");
    }

    [Fact]
    public async Task JsonOutput_NamesTheFirstBadHeight()
    {
        // 'chain verify --json' reports the same fault for scripts: valid false, first bad height, fault text.
        var copy = Copy();
        Edit(copy, db => FlipByte(db, "transactions", "body", "height = 2 AND position = 2", fromEnd: 1));

        var result = await Verify(copy, "--json");

        Assert.True(result.ExitCode == 2, result.ToString());
        using var document = System.Text.Json.JsonDocument.Parse(result.Stdout);
        Assert.False(document.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal(chain.MiddleHeight, document.RootElement.GetProperty("firstBadHeight").GetUInt64());
        Assert.Equal(chain.MiddleHeight - 1, document.RootElement.GetProperty("verifiedHeight").GetUInt64());
        Assert.Contains("transaction 2", document.RootElement.GetProperty("fault").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodeStart_OnATamperedHeadBlock_Refuses()
    {
        // The node checks its head block before serving it: one flipped header byte of block 4 stops the start
        // with a one-line reason and a non-zero exit.
        var copy = Copy();
        Edit(copy, db => FlipByte(db, "blocks", "header", $"height = {chain.HeadHeight}", fromEnd: 20));

        var result = await MedLedgerCli.RunAsync(["node", "start", "--data", copy, "--api-port", "0"]);

        result.FailedWithOneLine("head");
    }

    [Fact]
    public async Task NodeStart_OnATamperedHeadCertificate_Refuses()
    {
        // The head's commit certificate is verified at start too.
        var copy = Copy();
        Edit(copy, db => FlipByte(db, "blocks", "certificate", $"height = {chain.HeadHeight}", fromEnd: 1));

        var result = await MedLedgerCli.RunAsync(["node", "start", "--data", copy, "--api-port", "0"]);

        result.FailedWithOneLine("certificate");
    }

    [Fact]
    public async Task NodeStart_OnATamperedStateValue_Refuses()
    {
        // The stored state must hash to the head's state root: one flipped byte of an account stops the start.
        var copy = Copy();
        Edit(copy, db => FlipByte(db, "state", "value", "key = $key", fromEnd: 1, StateKeys.Account(chain.MemberId)));

        var result = await MedLedgerCli.RunAsync(["node", "start", "--data", copy, "--api-port", "0"]);

        result.FailedWithOneLine("state");
    }

    [Fact]
    public async Task NodeStart_OnADeletedStateRow_Refuses()
    {
        // A deleted state row changes the state root just the same.
        var copy = Copy();
        Edit(copy, db => Write(db, "DELETE FROM state WHERE key = $a", StateKeys.Anchor(chain.AnchoredCommitment)));

        var result = await MedLedgerCli.RunAsync(["node", "start", "--data", copy, "--api-port", "0"]);

        result.FailedWithOneLine("state");
    }

    private static Task<CliResult> Verify(string dataDirectory, params string[] extra) =>
        MedLedgerCli.RunAsync(["chain", "verify", "--data", dataDirectory, .. extra]);

    private static async Task AssertVerifyFailsAsync(string dataDirectory, ulong expectedHeight, string expectedReason)
    {
        var result = await Verify(dataDirectory);
        Assert.True(result.ExitCode == 2, $"expected exit code 2:\n{result}");
        var line = Assert.Single(result.StderrLines);
        var match = VerifyFailure().Match(line);
        Assert.True(match.Success, $"unexpected error line:\n{result}");
        Assert.True(match.Groups["height"].Value == expectedHeight.ToString(System.Globalization.CultureInfo.InvariantCulture), $"expected height {expectedHeight}:\n{result}");
        Assert.True(match.Groups["reason"].Value.Contains(expectedReason, StringComparison.Ordinal), $"expected the reason to contain '{expectedReason}':\n{result}");
    }

    /// <summary>Edits the copy's chain.db through a connection of its own, closed (and checkpointed) afterwards.</summary>
    private static void Edit(string dataDirectory, Action<SqliteConnection> edit)
    {
        var path = Path.Combine(dataDirectory, "chain.db");
        Assert.True(File.Exists(path), path);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        connection.Open();
        edit(connection);
    }

    /// <summary>XORs one byte, <paramref name="fromEnd"/> bytes from the end, of the one row selected.</summary>
    private static void FlipByte(SqliteConnection db, string table, string column, string where, int fromEnd, byte[]? key = null)
    {
        var bytes = ReadBlob(db, $"SELECT {column} FROM {table} WHERE {where}", key);
        bytes[^fromEnd] ^= 0x01;
        using var command = db.CreateCommand();
        command.CommandText = $"UPDATE {table} SET {column} = $value WHERE {where}";
        command.Parameters.AddWithValue("$value", bytes);
        if (key is not null)
        {
            command.Parameters.AddWithValue("$key", key);
        }

        Assert.Equal(1, command.ExecuteNonQuery());
    }

    private static byte[] ReadBlob(SqliteConnection db, string sql, byte[]? key = null)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        if (key is not null)
        {
            command.Parameters.AddWithValue("$key", key);
        }

        return Assert.IsType<byte[]>(command.ExecuteScalar());
    }

    /// <summary>Runs a statement whose parameters are $a, $b, … in order; it must change exactly one row.</summary>
    private static void Write(SqliteConnection db, string sql, params byte[][] parameters)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < parameters.Length; i++)
        {
            command.Parameters.AddWithValue($"${(char)('a' + i)}", parameters[i]);
        }

        Assert.Equal(1, command.ExecuteNonQuery());
    }

    private string Copy()
    {
        var copy = _folder.Combine($"copy-{Guid.NewGuid():N}");
        NodeFolder.Copy(chain.DataDirectory, copy);
        return copy;
    }

    [GeneratedRegex(@"^medledger: chain verify failed at height (?<height>\d+): (?<reason>.+)$")]
    private static partial Regex VerifyFailure();
}
