using Microsoft.Data.Sqlite;

namespace MedLedger.Node.Tests;

/// <summary>
/// A node checks every stored block at start (StoredChainCheck): one whose chain.db was altered below its head — a
/// certificate signature, a transaction's bytes, a block's header — refuses to start, naming the damaged height, and
/// serves nothing; an intact chain starts.
/// </summary>
public sealed class StoredChainCheckTests
{
    [Theory]
    [InlineData("certificate")]
    [InlineData("transaction")]
    [InlineData("header")]
    public async Task AStoredBlockAlteredBelowTheHead_StopsTheNodeFromStarting_NamingItsHeight(string what)
    {
        var root = TestNode.CreateInitializedFolder();
        try
        {
            await using (var node = await TestNode.OpenAsync(root, ownsRoot: false))
            {
                for (ulong nonce = 1; nonce <= 3; nonce++)
                {
                    Assert.Equal("committed", (await node.Client.SubmitAsync(node.Anchor(node.AdminKey, nonce), waitForCommit: true)).Status);
                }
            }

            // The intact chain starts (and is checked on the way).
            ((IDisposable)NodeHost.Build(new NodeStartOptions(TestNode.DataPath(root), 0, TestNode.Passphrase), _ => { })).Dispose();

            Alter(new NodeDataDirectory(TestNode.DataPath(root)).ChainDatabasePath, what, height: 2);
            var exception = Assert.Throws<NodeSetupException>(() =>
                ((IDisposable)NodeHost.Build(new NodeStartOptions(TestNode.DataPath(root), 0, TestNode.Passphrase), _ => { })).Dispose());
            Assert.Contains("damaged at height 2", exception.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', exception.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Alter(string database, string what, long height)
    {
        var (table, column, key) = what switch
        {
            "certificate" => ("blocks", "certificate", "height = $height"),
            "header" => ("blocks", "header", "height = $height"),
            _ => ("transactions", "body", "height = $height AND position = 0"),
        };
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        connection.Open();
        using var read = connection.CreateCommand();
        read.CommandText = $"SELECT {column} FROM {table} WHERE {key}";
        read.Parameters.AddWithValue("$height", height);
        var bytes = Assert.IsType<byte[]>(read.ExecuteScalar());
        bytes[^1] ^= 0x01;
        using var write = connection.CreateCommand();
        write.CommandText = $"UPDATE {table} SET {column} = $value WHERE {key}";
        write.Parameters.AddWithValue("$value", bytes);
        write.Parameters.AddWithValue("$height", height);
        Assert.Equal(1, write.ExecuteNonQuery());
    }
}
