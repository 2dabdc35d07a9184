using MedLedger.Ledger;

namespace MedLedger.Node.Tests;

public sealed class ProposalJournalTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly TestLedger _ledger = new();
    private readonly string _path;

    public ProposalJournalTests()
    {
        _path = _directory.File(Path.Combine("consensus", "proposal"));
    }

    public void Dispose()
    {
        _ledger.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void SaveThenLoad_RoundTripsTheHeaderAndEveryTransaction()
    {
        // A proposal of three real transactions comes back with an equal header and byte-identical transactions,
        // also through a new journal instance (as after a restart).
        var proposal = _ledger.Propose(_ledger.Anchors(3));
        new ProposalJournal(_path, _ledger.Suite).Save(proposal.Header, proposal.Transactions);

        var loaded = new ProposalJournal(_path, _ledger.Suite).Load(proposal.Header.Height);

        Assert.NotNull(loaded);
        Assert.Equal(proposal.Header, loaded.Value.Header);
        Assert.Equal(proposal.Transactions.Select(t => t.Encoded.ToArray()), loaded.Value.Transactions.Select(t => t.Encoded.ToArray()));
        Assert.Equal(proposal.Header.TransactionsRoot, Block.ComputeTransactionsRoot(_ledger.Suite, loaded.Value.Transactions));
    }

    [Fact]
    public void Load_WithoutAFile_OrForAnotherHeight_IsNull()
    {
        // No journal yet means nothing to replay; a journal for another height is stale and ignored.
        var journal = new ProposalJournal(_path, _ledger.Suite);
        Assert.Null(journal.Load(1));

        var proposal = _ledger.Propose(_ledger.Anchors(1));
        journal.Save(proposal.Header, proposal.Transactions);

        Assert.NotNull(journal.Load(proposal.Header.Height));
        Assert.Null(journal.Load(proposal.Header.Height + 1));
        Assert.Null(journal.Load(0));
    }

    [Fact]
    public void Save_ReplacesThePreviousProposal()
    {
        // Only the latest proposal is kept: saving the next height's proposal makes the older one unloadable.
        var journal = new ProposalJournal(_path, _ledger.Suite);
        var first = _ledger.Propose(_ledger.Anchors(1));
        journal.Save(first.Header, first.Transactions);
        _ledger.Machine.Commit(first.Header, first.Transactions, first.Prepared);
        var second = _ledger.Propose(_ledger.Anchors(2, firstNonce: 2));

        journal.Save(second.Header, second.Transactions);

        Assert.Null(journal.Load(first.Header.Height));
        Assert.Equal(second.Header, journal.Load(second.Header.Height)?.Header);
    }

    [Fact]
    public void ADamagedJournal_LoadsAsNull()
    {
        // Flipping any single byte, truncating, emptying or appending makes Load return null (the checksum or the
        // strict decoding fails) instead of replaying a proposal nobody made.
        var proposal = _ledger.Propose(_ledger.Anchors(2));
        var journal = new ProposalJournal(_path, _ledger.Suite);
        journal.Save(proposal.Header, proposal.Transactions);
        var good = File.ReadAllBytes(_path);
        List<byte[]> damaged = [[], good[..^1], good[..31], good[..33], [.. good, 0]];
        for (var i = 0; i < good.Length; i++)
        {
            var copy = (byte[])good.Clone();
            copy[i] ^= 0x80;
            damaged.Add(copy);
        }

        foreach (var bytes in damaged)
        {
            File.WriteAllBytes(_path, bytes);
            Assert.Null(journal.Load(proposal.Header.Height));
        }

        File.WriteAllBytes(_path, good);
        Assert.NotNull(journal.Load(proposal.Header.Height));
    }

    [Fact]
    public void AJournalWithAValidChecksumButInvalidContent_LoadsAsNull()
    {
        // Content that a correct checksum covers but that does not decode strictly (unknown version, a header cut
        // short, a transaction count over the limit, a byte after the last transaction) is not replayed either.
        var proposal = _ledger.Propose(_ledger.Anchors(1));
        var journal = new ProposalJournal(_path, _ledger.Suite);
        journal.Save(proposal.Header, proposal.Transactions);
        var content = File.ReadAllBytes(_path)[..^Core.Hash.Size];
        List<byte[]> invalid =
        [
            [2, .. content[1..]],
            [1],
            content[..20],
            [.. content, 0],
            [1, .. HeaderBytes(proposal.Header), 0xFF, 0xFF, 0xFF, 0xFF],
        ];

        foreach (var bytes in invalid)
        {
            File.WriteAllBytes(_path, [.. bytes, .. _ledger.Suite.Hash(bytes).ToArray()]);
            Assert.Null(journal.Load(proposal.Header.Height));
        }
    }

    private static byte[] HeaderBytes(BlockHeader header)
    {
        var writer = new Core.CanonicalWriter(256);
        writer.WriteBytes(header.Encode());
        return writer.ToArray();
    }
}
