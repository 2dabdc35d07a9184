using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Node.Tests;

/// <summary>The BFT side of the double-sign guard: proposals, per-step records, restarts and the version-1 file.</summary>
public sealed class FileVoteSignerProposalTests : IDisposable
{
    private const string ChainId = "medledger-signer-tests";
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;
    private static readonly Hash BlockA = Suite.Hash("block A"u8);
    private static readonly Hash BlockB = Suite.Hash("block B"u8);

    private readonly TempDirectory _directory = new();
    private readonly ISigningKey _key = Suite.GenerateSigningKey();
    private readonly string _path;

    public FileVoteSignerProposalTests()
    {
        _path = _directory.File(Path.Combine("consensus", "last-signed"));
    }

    public void Dispose()
    {
        _key.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void SignProposal_SignsTheProposalBytes_AndIsGuardedAtThePropose()
    {
        // A proposal signature covers Proposal.EncodeSigningBytes (not a vote's bytes); a second block in the same
        // (height, round) is refused, and so is any proposal once a vote of that round was signed.
        var signer = new FileVoteSigner(_path, Suite, _key, ChainId);

        var signature = signer.SignProposal(4, 1, BlockA, -1);

        Assert.NotNull(signature);
        Assert.True(Suite.Verify(_key.PublicKey.Span, Proposal.EncodeSigningBytes(ChainId, 4, 1, BlockA, -1), signature));
        Assert.False(Suite.Verify(_key.PublicKey.Span, Vote.EncodeSigningBytes(ChainId, VoteType.Prevote, 4, 1, BlockA), signature));
        Assert.Null(signer.SignProposal(4, 1, BlockB, -1));
        Assert.Equal(new GuardRecord(4, 1, BlockA), signer.LastSigned(ConsensusStep.Propose));
        Assert.NotNull(signer.Sign(VoteType.Prevote, 4, 1, BlockA));
        Assert.Null(signer.SignProposal(4, 1, BlockB, -1));
        Assert.Null(signer.SignProposal(4, 0, BlockB, -1));
    }

    [Fact]
    public void LastSigned_KeepsOneRecordPerStep_AndTheIdenticalMessageMayBeSignedAgainLater()
    {
        // The engine re-sends its last prevote after a restart even though it precommitted since: the guard allows
        // exactly that prevote again, and no other prevote of the round.
        var signer = new FileVoteSigner(_path, Suite, _key, ChainId);
        Assert.NotNull(signer.SignProposal(9, 2, BlockA, -1));
        Assert.NotNull(signer.Sign(VoteType.Prevote, 9, 2, BlockA));
        Assert.NotNull(signer.Sign(VoteType.Precommit, 9, 2, Hash.Zero));

        Assert.Equal(new GuardRecord(9, 2, BlockA), signer.LastSigned(ConsensusStep.Propose));
        Assert.Equal(new GuardRecord(9, 2, BlockA), signer.LastSigned(ConsensusStep.Prevote));
        Assert.Equal(new GuardRecord(9, 2, Hash.Zero), signer.LastSigned(ConsensusStep.Precommit));
        Assert.NotNull(signer.Sign(VoteType.Prevote, 9, 2, BlockA));
        Assert.Null(signer.Sign(VoteType.Prevote, 9, 2, BlockB));
        Assert.Equal(new SignedPosition(9, 2, ConsensusStep.Precommit, Hash.Zero), signer.LastPosition);
    }

    [Fact]
    public void AfterARestart_EveryStepRecord_IsRemembered_AndConflictsAreRefused()
    {
        // 1. Sign a proposal, a prevote and a precommit at (3, 0). 2. "Restart": a new signer over the same file.
        // 3. It reports the same records and refuses another proposal, prevote or precommit at that position.
        var before = new FileVoteSigner(_path, Suite, _key, ChainId);
        Assert.NotNull(before.SignProposal(3, 0, BlockA, -1));
        Assert.NotNull(before.Sign(VoteType.Prevote, 3, 0, BlockA));
        Assert.NotNull(before.Sign(VoteType.Precommit, 3, 0, BlockA));

        var after = new FileVoteSigner(_path, Suite, _key, ChainId);

        Assert.Equal(new GuardRecord(3, 0, BlockA), after.LastSigned(ConsensusStep.Propose));
        Assert.Equal(new GuardRecord(3, 0, BlockA), after.LastSigned(ConsensusStep.Prevote));
        Assert.Equal(new GuardRecord(3, 0, BlockA), after.LastSigned(ConsensusStep.Precommit));
        Assert.Null(after.SignProposal(3, 0, BlockB, -1));
        Assert.Null(after.Sign(VoteType.Prevote, 3, 0, BlockB));
        Assert.Null(after.Sign(VoteType.Precommit, 3, 0, Hash.Zero));
        Assert.NotNull(after.SignProposal(3, 0, BlockA, -1));
        Assert.NotNull(after.SignProposal(3, 1, BlockB, 0));
    }

    [Fact]
    public void AVersionOneFile_IsRead_AndRewrittenAsVersionTwoOnTheNextSignature()
    {
        // The single-validator node wrote version 1 (version, position, checksum). Its position still guards, it
        // becomes the record of its step, and the next signature migrates the file.
        var writer = new CanonicalWriter(128);
        writer.WriteByte(1);
        writer.WriteUInt64(6);
        writer.WriteUInt32(0);
        writer.WriteByte((byte)ConsensusStep.Precommit);
        writer.WriteHash(BlockA);
        writer.WriteHash(Suite.Hash(writer.WrittenSpan));
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        File.WriteAllBytes(_path, writer.ToArray());

        var signer = new FileVoteSigner(_path, Suite, _key, ChainId);

        Assert.Equal(new SignedPosition(6, 0, ConsensusStep.Precommit, BlockA), signer.LastPosition);
        Assert.Equal(new GuardRecord(6, 0, BlockA), signer.LastSigned(ConsensusStep.Precommit));
        Assert.Null(signer.LastSigned(ConsensusStep.Prevote));
        Assert.Null(signer.Sign(VoteType.Precommit, 6, 0, BlockB));
        Assert.NotNull(signer.Sign(VoteType.Prevote, 7, 0, BlockB));
        Assert.Equal(2, File.ReadAllBytes(_path)[0]);
        var reopened = new FileVoteSigner(_path, Suite, _key, ChainId);
        Assert.Equal(new GuardRecord(6, 0, BlockA), reopened.LastSigned(ConsensusStep.Precommit));
        Assert.Equal(new GuardRecord(7, 0, BlockB), reopened.LastSigned(ConsensusStep.Prevote));
    }
}
