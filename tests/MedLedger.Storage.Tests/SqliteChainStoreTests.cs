using System.Diagnostics;
using MedLedger.Core;
using MedLedger.Ledger;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace MedLedger.Storage.Tests;

public sealed class SqliteChainStoreTests : IDisposable
{
    private const int SqliteConstraint = 19;

    private readonly ITestOutputHelper _output;
    private readonly TempDirectory _directory = new();
    private readonly TestChain _chain = new();
    private readonly string _path;

    public SqliteChainStoreTests(ITestOutputHelper output)
    {
        _output = output;
        _path = _directory.File("chain.db");
    }

    public void Dispose()
    {
        _chain.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void SaveBlock_ThenLoad_RoundTripsBlocksHeadersAndCertificates()
    {
        // Saves three real, certified blocks and loads each back: header, certificate and every transaction come
        // back byte for byte, and heights that were never saved load as null.
        using var store = OpenInitialized();
        _chain.Extend(store, blockCount: 3, transactionsPerBlock: 5);

        Assert.Equal(3UL, store.Height);
        foreach (var expected in _chain.Blocks)
        {
            var height = expected.Header.Height;
            AssertSameBlock(expected, store.LoadBlock(height));
            Assert.Equal(expected.Header, store.LoadHeader(height));
            var stored = store.LoadStoredBlock(height)!;
            Assert.Equal(expected.Header.ComputeHash(_chain.Suite), stored.RecordedHash);
            Assert.Equal(expected.Header.Encode(), stored.Header);
        }

        Assert.Null(store.LoadBlock(0));
        Assert.Null(store.LoadBlock(4));
        Assert.Null(store.LoadHeader(4));
        Assert.Null(store.LoadStoredBlock(ulong.MaxValue));
    }

    [Fact]
    public void FindTransaction_ReturnsHeightAndIndexOfEveryCommittedTransaction()
    {
        // Every transaction of two saved blocks is found at its block height and index; an id never saved is not.
        using var store = OpenInitialized();
        _chain.Extend(store, blockCount: 2, transactionsPerBlock: 4);

        foreach (var block in _chain.Blocks)
        {
            for (var i = 0; i < block.Transactions.Count; i++)
            {
                Assert.Equal(new TransactionLocation(block.Header.Height, i), store.FindTransaction(block.Transactions[i].ComputeId(_chain.Suite)));
            }
        }

        var unsaved = _chain.CreateTransactions(1)[0];
        Assert.Null(store.FindTransaction(unsaved.ComputeId(_chain.Suite)));
    }

    [Fact]
    public void LoadState_EqualsLedgerState_AndRestoresTheSameStateRoot()
    {
        // The stored state (genesis entries plus every block's changes) equals the ledger's own state tree, and a
        // state machine restored from the store alone reaches the same state root, height and last block hash.
        using var store = OpenInitialized();
        _chain.Extend(store, blockCount: 3, transactionsPerBlock: 6);

        Assert.Equal(Normalize(_chain.Machine.StateEntries()), Normalize(store.LoadState()));
        using var restored = LedgerStateMachine.Restore(_chain.Genesis, store.LoadState(), store.LoadHeader(store.Height));
        Assert.Equal(_chain.Machine.StateRoot, restored.StateRoot);
        Assert.Equal(_chain.Machine.Height, restored.Height);
        Assert.Equal(_chain.Machine.LastBlockHash, restored.LastBlockHash);
    }

    [Fact]
    public void LoadState_AtGenesis_RestoresTheGenesisState()
    {
        // Before any block, the store already holds the genesis entries (Initialize(GenesisDocument) writes them),
        // and a restore at height 0 starts from genesis.
        using var store = OpenInitialized();

        Assert.Equal(Normalize(_chain.Machine.StateEntries()), Normalize(store.LoadState()));
        Assert.Null(store.LoadHeader(store.Height));
        using var restored = LedgerStateMachine.Restore(_chain.Genesis, store.LoadState(), store.LoadHeader(store.Height));
        Assert.Equal(_chain.Machine.StateRoot, restored.StateRoot);
    }

    [Fact]
    public void SaveBlock_WithHeightGapOrRepeatedHeight_IsRejected()
    {
        // Only Height + 1 may be saved: a block that skips a height and a block whose height is already stored are
        // refused with InvalidOperationException, and neither changes the store.
        using var store = OpenInitialized();
        var (first, firstProposal) = _chain.NextBlock(2);
        _chain.Commit(first, firstProposal);
        var (second, secondProposal) = _chain.NextBlock(2);

        Assert.Throws<InvalidOperationException>(() => store.SaveBlock(second, secondProposal.Prepared.Changes));
        Assert.Equal(0UL, store.Height);

        store.SaveBlock(first, firstProposal.Prepared.Changes);
        Assert.Throws<InvalidOperationException>(() => store.SaveBlock(first, firstProposal.Prepared.Changes));
        Assert.Equal(1UL, store.Height);
        Assert.Null(store.LoadBlock(2));
    }

    [Fact]
    public void SaveBlock_BeforeInitialize_IsRejected()
    {
        // A store not yet bound to a genesis cannot link block 1 to anything, so it refuses to save it.
        using var store = new SqliteChainStore(_path, _chain.Suite);
        var (block, proposal) = _chain.NextBlock(1);

        Assert.Throws<InvalidOperationException>(() => store.SaveBlock(block, proposal.Prepared.Changes));
    }

    [Fact]
    public void SaveBlock_WithCertificateForAnotherBlock_IsAnInvariantViolation()
    {
        // The pre-write check: a certificate that commits to a different header hash is a bug in the caller, so
        // the store stops with an invariant violation instead of writing an unverifiable block.
        using var store = OpenInitialized();
        var (block, proposal) = _chain.NextBlock(1);
        var otherHeader = block.Header with { TimeUnixMilliseconds = block.Header.TimeUnixMilliseconds + 1 };
        var mismatched = block with { Certificate = _chain.Certify(otherHeader) };

        Assert.Throws<InvariantViolationException>(() => store.SaveBlock(mismatched, proposal.Prepared.Changes));
        Assert.Equal(0UL, store.Height);
        Assert.Null(store.LoadStoredBlock(1));
    }

    [Fact]
    public void Reopen_AfterDispose_ReturnsTheSameHeightBlocksAndState_AndContinuesTheChain()
    {
        // 1. Save two blocks and close the store. 2. Reopen the file: height, blocks and state are as saved, and
        // the file is in WAL mode. 3. The reopened store accepts block 3, which links to the reloaded last hash.
        using (var store = OpenInitialized())
        {
            _chain.Extend(store, blockCount: 2, transactionsPerBlock: 3);
        }

        using (var reopened = SqliteChainStore.Open(_path, _chain.Suite))
        {
            reopened.Initialize(_chain.Genesis);
            Assert.Equal(2UL, reopened.Height);
            foreach (var block in _chain.Blocks)
            {
                AssertSameBlock(block, reopened.LoadBlock(block.Header.Height));
            }

            Assert.Equal(Normalize(_chain.Machine.StateEntries()), Normalize(reopened.LoadState()));
            Assert.Equal("wal", ExecuteScalar("PRAGMA journal_mode") as string);

            _chain.Extend(reopened, 2);
            Assert.Equal(3UL, reopened.Height);
        }

        using var again = new SqliteChainStore(_path, _chain.Suite);
        Assert.Equal(3UL, again.Height);
        AssertSameBlock(_chain.Blocks[2], again.LoadBlock(3));
    }

    [Fact]
    public void Initialize_WithAnotherGenesis_IsRejected_BeforeAndAfterReopen()
    {
        // A store records the genesis it was first bound to; the same genesis is accepted again, another one is
        // refused as "belongs to another chain", both while open and after the file is reopened.
        using var other = new TestChain("another-chain");
        var otherHash = other.Genesis.ComputeHash(other.Suite);
        using (var store = OpenInitialized())
        {
            _chain.Extend(store, 1);
            store.Initialize(_chain.Genesis);
            store.Initialize(_chain.Machine.GenesisHash);
            var error = Assert.Throws<StoreCorruptedException>(() => store.Initialize(otherHash));
            Assert.Contains("belongs to another chain", error.Message, StringComparison.Ordinal);
        }

        using var reopened = new SqliteChainStore(_path, _chain.Suite);
        Assert.Throws<StoreCorruptedException>(() => reopened.Initialize(other.Genesis));
        reopened.Initialize(_chain.Genesis);
        Assert.Equal(1UL, reopened.Height);
    }

    [Fact]
    public void LoadBlock_HeaderByteFlipped_ThrowsCorrupted_WhileLoadStoredBlockReturnsTheAlteredBytes()
    {
        // Flips one byte inside the stored header (in its state root, so it still decodes) with a separate SQLite
        // connection: the recomputed hash no longer matches the recorded one, so LoadBlock and LoadHeader name the
        // height in a StoreCorruptedException, while LoadStoredBlock hands back the altered bytes unjudged.
        using var store = OpenInitialized();
        _chain.Extend(store, blockCount: 2, transactionsPerBlock: 2);
        var original = _chain.Blocks[1].Header.Encode();
        var altered = (byte[])original.Clone();
        altered[^80] ^= 0x01;
        Execute("UPDATE blocks SET header = $header WHERE height = 2", ("$header", altered));

        var error = Assert.Throws<StoreCorruptedException>(() => store.LoadBlock(2));
        Assert.Contains("Block 2", error.Message, StringComparison.Ordinal);
        Assert.Throws<StoreCorruptedException>(() => store.LoadHeader(2));
        Assert.Equal(altered, store.LoadStoredBlock(2)!.Header);
        AssertSameBlock(_chain.Blocks[0], store.LoadBlock(1));
    }

    [Fact]
    public void LoadHeader_TruncatedHeader_ThrowsCorrupted()
    {
        // A header that no longer decodes (its last byte cut off) is reported as corruption of that height, not as
        // a DecodingException leaking out of the store.
        using var store = OpenInitialized();
        _chain.Extend(store, 1);
        var header = store.LoadStoredBlock(1)!.Header;
        Execute("UPDATE blocks SET header = $header WHERE height = 1", ("$header", header[..^1]));

        var error = Assert.Throws<StoreCorruptedException>(() => store.LoadHeader(1));
        Assert.IsType<DecodingException>(error.InnerException);
        Assert.Throws<StoreCorruptedException>(() => store.LoadBlock(1));
    }

    [Fact]
    public void LoadBlock_TransactionBodyByteFlipped_ThrowsCorrupted_WhileLoadStoredBlockReturnsTheAlteredBytes()
    {
        // Flips the last byte of a stored transaction (in its signature, so it still decodes): its id no longer
        // matches the recorded one, LoadBlock throws StoreCorruptedException naming the height, and LoadStoredBlock
        // returns the altered body.
        using var store = OpenInitialized();
        _chain.Extend(store, 3);
        var id = _chain.Blocks[0].Transactions[1].ComputeId(_chain.Suite);
        var altered = _chain.Blocks[0].Transactions[1].Encoded.ToArray();
        altered[^1] ^= 0x80;
        Execute("UPDATE transactions SET body = $body WHERE id = $id", ("$body", altered), ("$id", id.ToArray()));

        var error = Assert.Throws<StoreCorruptedException>(() => store.LoadBlock(1));
        Assert.Contains("Block 1", error.Message, StringComparison.Ordinal);
        var stored = store.LoadStoredBlock(1)!;
        Assert.Equal(altered, stored.Transactions[1].Encoded);
        Assert.Equal(id, stored.Transactions[1].RecordedId);
    }

    [Fact]
    public void LoadBlock_TransactionReplacedWithMatchingId_IsCaughtByTheTransactionsRoot()
    {
        // Replaces a stored transaction by another validly signed one and rewrites its recorded id to match, so
        // every id check passes: the block is still caught, because its transactions no longer hash to the
        // header's transactions root.
        using var store = OpenInitialized();
        _chain.Extend(store, 2);
        var stranger = _chain.CreateTransactions(1)[0];
        Execute(
            "UPDATE transactions SET id = $id, body = $body WHERE height = 1 AND position = 0",
            ("$id", stranger.ComputeId(_chain.Suite).ToArray()),
            ("$body", stranger.Encoded.ToArray()));

        var error = Assert.Throws<StoreCorruptedException>(() => store.LoadBlock(1));
        Assert.Contains("transactions root", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_WithDeletedStateRow_ThrowsStateMismatch()
    {
        // Deletes one anchored commitment from the stored state behind the store's back: the entries no longer
        // hash to the last header's state root, so restoring a state machine from them is refused.
        using var store = OpenInitialized();
        _chain.Extend(store, blockCount: 2, transactionsPerBlock: 3);
        Execute("DELETE FROM state WHERE key = $key", ("$key", StateKeys.Anchor(_chain.Commitments[0])));

        Assert.Throws<StateMismatchException>(() => LedgerStateMachine.Restore(_chain.Genesis, store.LoadState(), store.LoadHeader(store.Height)));
    }

    [Fact]
    public void Restore_WithChangedStateRow_ThrowsStateMismatch()
    {
        // Changes one byte of the administrator's stored account (the low byte of its nonce): the state root no
        // longer matches the last header, so restoring is refused.
        using var store = OpenInitialized();
        _chain.Extend(store, 2);
        var key = StateKeys.Account(_chain.KeyId);
        var value = _chain.Machine.Query(key)!;
        value[^10] ^= 0x01;
        Execute("UPDATE state SET value = $value WHERE key = $key", ("$value", value), ("$key", key));

        Assert.Throws<StateMismatchException>(() => LedgerStateMachine.Restore(_chain.Genesis, store.LoadState(), store.LoadHeader(store.Height)));
    }

    [Fact]
    public void SaveBlock_FailingMidway_LeavesTheStoreUnchanged_AlsoAfterReopen()
    {
        // 1. Save block 1. 2. Try to save a certified block 2 whose last transaction repeats one of block 1: the
        // block row, every state change and the other transactions are written before its INSERT fails on the
        // primary key. 3. Height, blocks, transactions and state are exactly as before the attempt. 4. The same
        // holds after closing and reopening the file, and after failing once more there. 5. That same store then
        // accepts the honest block 2, so a failed save leaves the writer usable.
        Block honest;
        Block colliding;
        BlockProposal proposal;
        List<string> stateBefore;
        using (var store = OpenInitialized())
        {
            _chain.Extend(store, 3);
            stateBefore = Normalize(store.LoadState());

            (honest, proposal) = _chain.NextBlock(4);
            var transactions = honest.Transactions.Append(_chain.Blocks[0].Transactions[0]).ToList();
            var header = honest.Header with
            {
                TransactionsRoot = Block.ComputeTransactionsRoot(_chain.Suite, transactions),
                TransactionCount = (uint)transactions.Count,
            };
            colliding = new Block(header, transactions, _chain.Certify(header));

            var error = Assert.Throws<SqliteException>(() => store.SaveBlock(colliding, proposal.Prepared.Changes));
            Assert.Equal(SqliteConstraint, error.SqliteErrorCode);
            AssertAtBlockOne(store);
        }

        using var reopened = new SqliteChainStore(_path, _chain.Suite);
        AssertAtBlockOne(reopened);
        Assert.Throws<SqliteException>(() => reopened.SaveBlock(colliding, proposal.Prepared.Changes));
        AssertAtBlockOne(reopened);

        reopened.SaveBlock(honest, proposal.Prepared.Changes);
        _chain.Commit(honest, proposal);
        Assert.Equal(2UL, reopened.Height);
        AssertSameBlock(honest, reopened.LoadBlock(2));
        Assert.Equal(Normalize(_chain.Machine.StateEntries()), Normalize(reopened.LoadState()));

        void AssertAtBlockOne(SqliteChainStore store)
        {
            Assert.Equal(1UL, store.Height);
            Assert.Null(store.LoadStoredBlock(2));
            Assert.Null(store.FindTransaction(honest.Transactions[0].ComputeId(_chain.Suite)));
            Assert.Equal(3L, ExecuteScalar("SELECT COUNT(*) FROM transactions"));
            Assert.Equal(1L, ExecuteScalar("SELECT height FROM meta"));
            Assert.Equal(stateBefore, Normalize(store.LoadState()));
            AssertSameBlock(_chain.Blocks[0], store.LoadBlock(1));
        }
    }

    [Fact]
    public void LoadState_AbandonedEarly_ReleasesItsConnection()
    {
        // Stops enumerating the state after one entry, then keeps using the store and disposes it: the WAL file is
        // gone afterwards, which SQLite only does when the last connection to the file closes.
        using (var store = OpenInitialized())
        {
            _chain.Extend(store, 5);
            Assert.Single(store.LoadState().Take(1));
            foreach (var entry in store.LoadState())
            {
                Assert.NotEmpty(entry.Key);
                break;
            }

            _chain.Extend(store, 1);
            Assert.Equal(_chain.Machine.StateEntryCount, store.LoadState().Count());
            Assert.True(File.Exists(_path + "-wal"));
        }

        Assert.False(File.Exists(_path + "-wal"));
        Assert.False(File.Exists(_path + "-shm"));
    }

    [Fact]
    public void Open_WhenMetaHeightDisagreesWithTheBlocks_ThrowsCorrupted()
    {
        // Deletes the last block row behind the store's back: on reopen, the recorded height names a block that is
        // not there, and the store refuses to open rather than serve a chain with a hole at its tip.
        using (var store = OpenInitialized())
        {
            _chain.Extend(store, blockCount: 2, transactionsPerBlock: 1);
        }

        Execute("DELETE FROM blocks WHERE height = 2");

        Assert.Throws<StoreCorruptedException>(() => new SqliteChainStore(_path, _chain.Suite));
    }

    [Fact]
    public void Open_FileThatIsNotADatabase_ThrowsCorrupted()
    {
        // A file of random-looking bytes where the store expects SQLite is reported as a corrupted store.
        File.WriteAllBytes(_path, [.. Enumerable.Range(0, 8192).Select(i => (byte)(i * 31))]);

        Assert.Throws<StoreCorruptedException>(() => new SqliteChainStore(_path, _chain.Suite));
    }

    [Fact]
    public async Task ConcurrentReaders_DuringWrites_SeeOnlyWholeBlocks()
    {
        // Two reader threads load the block at the current height, its transactions and the state while the writer
        // saves 15 blocks: every height a reader sees has a complete, verifiable block, and no read fails. The writer
        // waits for a reader to finish a read after each save, so reads interleave with writes however the threads
        // are scheduled.
        using var store = OpenInitialized();
        using var done = new CancellationTokenSource();
        var reads = 0;

        void Read()
        {
            while (!done.IsCancellationRequested)
            {
                var height = store.Height;
                if (height == 0)
                {
                    continue;
                }

                var block = store.LoadBlock(height);
                Assert.NotNull(block);
                Assert.Equal(height, block.Header.Height);
                Assert.Equal(new TransactionLocation(height, 0), store.FindTransaction(block.Transactions[0].ComputeId(_chain.Suite)));
                Assert.NotEmpty(store.LoadState());
                Interlocked.Increment(ref reads);
            }
        }

        var readers = new[] { Task.Run(Read), Task.Run(Read) };
        try
        {
            for (var i = 0; i < 15; i++)
            {
                var before = Volatile.Read(ref reads);
                _chain.Extend(store, blockCount: 1, transactionsPerBlock: 20);
                var waited = Stopwatch.StartNew();
                while (Volatile.Read(ref reads) <= before + 1 && !readers.Any(r => r.IsCompleted))
                {
                    Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the readers made no progress for 30 s");
                    Thread.Sleep(1);
                }
            }
        }
        finally
        {
            done.Cancel();
        }

        await Task.WhenAll(readers);
        Assert.Equal(15UL, store.Height);
        Assert.True(reads >= 15, $"only {reads} reads interleaved with 15 saves");
        _output.WriteLine($"{reads} consistent reads during 15 saves");
    }

    [Fact]
    public void SaveBlock_TenThousandTransactions_RoundTrips()
    {
        // A full block (Limits.MaxTransactionsPerBlock transactions, one state change each plus the sender's
        // account) saves and loads back intact. Prints the time SaveBlock took; it asserts nothing about time.
        using var store = OpenInitialized();
        _chain.Extend(store, 10);
        var (block, proposal) = _chain.NextBlock(Limits.MaxTransactionsPerBlock);

        var stopwatch = Stopwatch.StartNew();
        store.SaveBlock(block, proposal.Prepared.Changes);
        stopwatch.Stop();
        _chain.Commit(block, proposal);
        _output.WriteLine($"SaveBlock of {block.Transactions.Count} transactions and {proposal.Prepared.Changes.Count} state changes: {stopwatch.Elapsed.TotalMilliseconds:F1} ms");

        stopwatch.Restart();
        var loaded = store.LoadBlock(2);
        stopwatch.Stop();
        _output.WriteLine($"LoadBlock of the same block: {stopwatch.Elapsed.TotalMilliseconds:F1} ms");
        AssertSameBlock(block, loaded);
        Assert.Equal(new TransactionLocation(2, 9_999), store.FindTransaction(block.Transactions[^1].ComputeId(_chain.Suite)));
        using var restored = LedgerStateMachine.Restore(_chain.Genesis, store.LoadState(), store.LoadHeader(store.Height));
        Assert.Equal(_chain.Machine.StateRoot, restored.StateRoot);
    }

    private static void AssertSameBlock(Block expected, Block? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Header, actual.Header);
        Assert.Equal(expected.Certificate.Encode(), actual.Certificate.Encode());
        Assert.Equal(
            expected.Transactions.Select(t => Convert.ToHexString(t.Encoded.Span)),
            actual.Transactions.Select(t => Convert.ToHexString(t.Encoded.Span)));
    }

    private static List<string> Normalize(IEnumerable<KeyValuePair<byte[], byte[]>> entries) =>
        [.. entries.Select(e => $"{Convert.ToHexString(e.Key)}={Convert.ToHexString(e.Value)}").Order(StringComparer.Ordinal)];

    private SqliteChainStore OpenInitialized()
    {
        var store = SqliteChainStore.Open(_path, _chain.Suite);
        store.Initialize(_chain.Genesis);
        return store;
    }

    private SqliteConnection OpenTamperingConnection()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private void Execute(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = OpenTamperingConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        Assert.Equal(1, command.ExecuteNonQuery());
    }

    private object? ExecuteScalar(string sql)
    {
        using var connection = OpenTamperingConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
