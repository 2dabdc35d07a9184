using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Node.Tests;

public sealed class FileVoteSignerTests : IDisposable
{
    private const string ChainId = "medledger-signer-tests";
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;
    private static readonly Hash BlockA = Suite.Hash("block A"u8);
    private static readonly Hash BlockB = Suite.Hash("block B"u8);

    private readonly TempDirectory _directory = new();
    private readonly ISigningKey _key = Suite.GenerateSigningKey();
    private readonly string _path;

    public FileVoteSignerTests()
    {
        _path = _directory.File(Path.Combine("consensus", "last-signed"));
    }

    public void Dispose()
    {
        _key.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void Sign_ReturnsAVoteSignatureThatVerifies_AndRecordsThePosition()
    {
        // A signature is over Vote.EncodeSigningBytes for exactly (chain, type, height, round, block), and the
        // position is on disk (mode 0600) before the signature is returned.
        var signer = new FileVoteSigner(_path, Suite, _key, ChainId);
        Assert.Null(signer.LastPosition);
        Assert.Equal(Suite.Hash(_key.PublicKey.Span), signer.ValidatorId);

        var signature = signer.Sign(VoteType.Precommit, 5, 1, BlockA);

        Assert.NotNull(signature);
        Assert.True(Suite.Verify(_key.PublicKey.Span, Vote.EncodeSigningBytes(ChainId, VoteType.Precommit, 5, 1, BlockA), signature));
        Assert.False(Suite.Verify(_key.PublicKey.Span, Vote.EncodeSigningBytes(ChainId, VoteType.Precommit, 5, 1, BlockB), signature));
        Assert.Equal(new SignedPosition(5, 1, ConsensusStep.Precommit, BlockA), signer.LastPosition);
        Assert.True(File.Exists(_path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_path));
        }
    }

    [Theory]
    [InlineData(VoteType.Precommit, 5UL, 1U)]
    [InlineData(VoteType.Prevote, 5UL, 1U)]
    [InlineData(VoteType.Precommit, 5UL, 0U)]
    [InlineData(VoteType.Prevote, 5UL, 0U)]
    [InlineData(VoteType.Precommit, 4UL, 9U)]
    [InlineData(VoteType.Precommit, 0UL, 0U)]
    public void Sign_AnotherBlockAtTheSameOrALowerPosition_IsRefused_AndChangesNothing(VoteType type, ulong height, uint round)
    {
        // After signing a precommit for block A at (5, 1), any vote for block B at the same or a lower
        // (height, round, step) could equivocate: the signer returns null and keeps its record.
        var signer = new FileVoteSigner(_path, Suite, _key, ChainId);
        Assert.NotNull(signer.Sign(VoteType.Precommit, 5, 1, BlockA));
        var recorded = File.ReadAllBytes(_path);

        Assert.Null(signer.Sign(type, height, round, BlockB));

        Assert.Equal(new SignedPosition(5, 1, ConsensusStep.Precommit, BlockA), signer.LastPosition);
        Assert.Equal(recorded, File.ReadAllBytes(_path));
    }

    [Fact]
    public void Sign_TheSameBlockAtALowerPosition_IsRefused()
    {
        // Going back is refused even for the same block: a prevote after the precommit at the same height and
        // round, or an earlier round, would be a vote the protocol never asks for again.
        var signer = new FileVoteSigner(_path, Suite, _key, ChainId);
        Assert.NotNull(signer.Sign(VoteType.Precommit, 5, 1, BlockA));

        Assert.Null(signer.Sign(VoteType.Prevote, 5, 1, BlockA));
        Assert.Null(signer.Sign(VoteType.Precommit, 5, 0, BlockA));
        Assert.Null(signer.Sign(VoteType.Precommit, 4, 1, BlockA));
    }

    [Fact]
    public void Sign_TheIdenticalVoteAgain_IsAllowed()
    {
        // Re-signing exactly what was signed cannot equivocate; a restarted node that re-decides its journalled
        // proposal needs it.
        var signer = new FileVoteSigner(_path, Suite, _key, ChainId);
        Assert.NotNull(signer.Sign(VoteType.Precommit, 5, 1, BlockA));

        var again = signer.Sign(VoteType.Precommit, 5, 1, BlockA);

        Assert.NotNull(again);
        Assert.True(Suite.Verify(_key.PublicKey.Span, Vote.EncodeSigningBytes(ChainId, VoteType.Precommit, 5, 1, BlockA), again));
    }

    [Theory]
    [InlineData(VoteType.Prevote, 5UL, 2U)]
    [InlineData(VoteType.Prevote, 6UL, 0U)]
    public void Sign_AnyBlockAtAHigherPosition_IsAllowed_AndMovesTheRecord(VoteType type, ulong height, uint round)
    {
        // Later rounds and heights are new decisions: a different block may be signed there.
        var signer = new FileVoteSigner(_path, Suite, _key, ChainId);
        Assert.NotNull(signer.Sign(VoteType.Precommit, 5, 1, BlockA));

        Assert.NotNull(signer.Sign(type, height, round, BlockB));

        Assert.Equal(new SignedPosition(height, round, ConsensusStep.Prevote, BlockB), signer.LastPosition);
    }

    [Fact]
    public void ANewInstanceOverTheSameFile_RemembersAndRefuses()
    {
        // 1. A signer signs block A at (7, 0, precommit). 2. The process "restarts": a new signer over the same file.
        // 3. It knows the last position, refuses block B there, and allows the identical vote.
        var before = new FileVoteSigner(_path, Suite, _key, ChainId);
        Assert.NotNull(before.Sign(VoteType.Precommit, 7, 0, BlockA));

        var after = new FileVoteSigner(_path, Suite, _key, ChainId);

        Assert.Equal(new SignedPosition(7, 0, ConsensusStep.Precommit, BlockA), after.LastPosition);
        Assert.Null(after.Sign(VoteType.Precommit, 7, 0, BlockB));
        Assert.Null(after.Sign(VoteType.Prevote, 7, 0, BlockB));
        Assert.NotNull(after.Sign(VoteType.Precommit, 7, 0, BlockA));
    }

    [Fact]
    public void ADamagedRecord_RefusesToStart_WithNodeSetupException()
    {
        // Flipping any single byte of the record (version, position, block hash or checksum), truncating it,
        // emptying it or appending to it makes the constructor throw NodeSetupException: a signer that does not
        // know what it signed must not sign.
        new FileVoteSigner(_path, Suite, _key, ChainId).Sign(VoteType.Precommit, 3, 2, BlockA);
        var good = File.ReadAllBytes(_path);
        List<byte[]> damaged = [[], good[..^1], good[..1], [.. good, 0]];
        for (var i = 0; i < good.Length; i++)
        {
            var copy = (byte[])good.Clone();
            copy[i] ^= 0x01;
            damaged.Add(copy);
        }

        foreach (var bytes in damaged)
        {
            File.WriteAllBytes(_path, bytes);
            var exception = Assert.Throws<NodeSetupException>(() => new FileVoteSigner(_path, Suite, _key, ChainId));
            Assert.Contains(_path, exception.Message, StringComparison.Ordinal);
        }

        File.WriteAllBytes(_path, good);
        Assert.Equal(new SignedPosition(3, 2, ConsensusStep.Precommit, BlockA), new FileVoteSigner(_path, Suite, _key, ChainId).LastPosition);
    }
}
