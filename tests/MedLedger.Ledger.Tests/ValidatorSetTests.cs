using MedLedger.Core;
using MedLedger.Crypto;

namespace MedLedger.Ledger.Tests;

/// <summary>Commit certificates checked against a four-validator set with power 1 each (quorum 3).</summary>
public sealed class ValidatorSetTests : IDisposable
{
    private const string ChainId = "medledger-test";
    private const ulong Height = 7;
    private const uint Round = 1;
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;
    private static readonly Hash BlockHash = TestHex.Filled(0xB1);

    private readonly ISigningKey[] _keys = [.. Enumerable.Range(0, 4).Select(_ => Suite.GenerateSigningKey())];
    private readonly ValidatorSet _set;

    public ValidatorSetTests()
    {
        _set = new ValidatorSet(_keys.Select((k, i) => new Validator(Id(k), k.PublicKey.ToArray(), 1, $"validator-{i}")));
    }

    public void Dispose()
    {
        foreach (var key in _keys)
        {
            key.Dispose();
        }
    }

    // Proves the quorum is the smallest power above two thirds of the total.
    [Theory]
    [InlineData(new ulong[] { 1 }, 1)]
    [InlineData(new ulong[] { 1, 1 }, 2)]
    [InlineData(new ulong[] { 1, 1, 1 }, 3)]
    [InlineData(new ulong[] { 1, 1, 1, 1 }, 3)]
    [InlineData(new ulong[] { 10, 10, 10, 10, 10, 10, 10 }, 47)]
    [InlineData(new ulong[] { 100, 1, 1 }, 69)]
    public void QuorumPower_Powers_IsMoreThanTwoThirds(ulong[] powers, ulong expected)
    {
        var set = new ValidatorSet(powers.Select((p, i) => new Validator(TestHex.Filled((byte)(i + 1)), [4], p, "v")));
        Assert.Equal(expected, set.QuorumPower);
        Assert.True(set.QuorumPower * 3 > set.TotalPower * 2);
        Assert.True((set.QuorumPower - 1) * 3 <= set.TotalPower * 2);
    }

    // Proves the quorum stays above two thirds for very large total powers: 2 x 2^62 must need more than one of the
    // two validators, not 1 through an overflow of TotalPower * 2.
    [Fact]
    public void QuorumPower_HugeTotalPower_DoesNotOverflow()
    {
        var half = 1UL << 62;
        var set = new ValidatorSet([new Validator(TestHex.Filled(1), [4], half, "a"), new Validator(TestHex.Filled(2), [4], half, "b")]);
        Assert.True(set.QuorumPower > half, $"quorum {set.QuorumPower} of total {set.TotalPower}");
        Assert.Equal(((UInt128)set.TotalPower * 2 / 3) + 1, (UInt128)set.QuorumPower);
    }

    // Proves one of two equal validators cannot commit alone however large their powers are (the overflow above,
    // seen from VerifyCommit).
    [Fact]
    public void VerifyCommit_HalfOfHugePower_IsRefused()
    {
        var half = 1UL << 62;
        var set = new ValidatorSet([new Validator(Id(_keys[0]), _keys[0].PublicKey.ToArray(), half, "a"), new Validator(Id(_keys[1]), _keys[1].PublicKey.ToArray(), half, "b")]);
        var certificate = Certificate(Precommit(_keys[0]));
        Assert.NotNull(set.VerifyCommit(Suite, ChainId, Height, BlockHash, certificate));
    }

    // Proves a certificate with precommits from 3 of 4 validators (and from all 4) is valid.
    [Fact]
    public void VerifyCommit_Quorum_ReturnsNull()
    {
        Assert.Null(_set.VerifyCommit(Suite, ChainId, Height, BlockHash, Certificate(Precommit(_keys[0]), Precommit(_keys[1]), Precommit(_keys[2]))));
        Assert.Null(_set.VerifyCommit(Suite, ChainId, Height, BlockHash, Certificate([.. _keys.Select(Precommit)])));
    }

    // Proves 2 of 4 (power 2, quorum 3) is not a commit.
    [Fact]
    public void VerifyCommit_MissingQuorum_ReturnsReason()
    {
        var reason = _set.VerifyCommit(Suite, ChainId, Height, BlockHash, Certificate(Precommit(_keys[0]), Precommit(_keys[1])));
        Assert.Contains("more than two thirds", reason, StringComparison.Ordinal);
        Assert.NotNull(_set.VerifyCommit(Suite, ChainId, Height, BlockHash, Certificate()));
    }

    // Proves a validator counted twice does not make a quorum: 2 distinct signers plus a repeat is refused.
    [Fact]
    public void VerifyCommit_DuplicateSigner_ReturnsReason()
    {
        var reason = _set.VerifyCommit(Suite, ChainId, Height, BlockHash, Certificate(Precommit(_keys[0]), Precommit(_keys[1]), Precommit(_keys[1])));
        Assert.Contains("twice", reason, StringComparison.Ordinal);
    }

    // Proves a signature by a key outside the set is refused, even when it verifies.
    [Fact]
    public void VerifyCommit_NonMemberSigner_ReturnsReason()
    {
        using var outsider = Suite.GenerateSigningKey();
        var reason = _set.VerifyCommit(Suite, ChainId, Height, BlockHash, Certificate(Precommit(_keys[0]), Precommit(_keys[1]), Precommit(outsider)));
        Assert.Contains("not a validator", reason, StringComparison.Ordinal);
    }

    // Proves a bad signature (one bit flipped, or another validator's signature under this one's id) is refused.
    [Fact]
    public void VerifyCommit_BadSignature_ReturnsReason()
    {
        var flipped = Precommit(_keys[2]);
        flipped.Signature[5] ^= 1;
        Assert.Contains("invalid", _set.VerifyCommit(Suite, ChainId, Height, BlockHash, Certificate(Precommit(_keys[0]), Precommit(_keys[1]), flipped)), StringComparison.Ordinal);

        var borrowed = new CommitSignature(Id(_keys[2]), Precommit(_keys[3]).Signature);
        Assert.Contains("invalid", _set.VerifyCommit(Suite, ChainId, Height, BlockHash, Certificate(Precommit(_keys[0]), Precommit(_keys[1]), borrowed)), StringComparison.Ordinal);
    }

    // Proves a certificate is tied to its block: asked about another hash or height it is refused, and signatures over
    // another block hash under this block's certificate are invalid.
    [Fact]
    public void VerifyCommit_WrongBlockHashOrHeight_ReturnsReason()
    {
        var valid = Certificate(Precommit(_keys[0]), Precommit(_keys[1]), Precommit(_keys[2]));
        Assert.Contains("another block", _set.VerifyCommit(Suite, ChainId, Height, TestHex.Filled(0xB2), valid), StringComparison.Ordinal);
        Assert.Contains("another block", _set.VerifyCommit(Suite, ChainId, Height + 1, BlockHash, valid), StringComparison.Ordinal);

        var otherBlock = TestHex.Filled(0xB2);
        var signedForOther = Certificate([.. _keys.Take(3).Select(k => new CommitSignature(Id(k), k.Sign(Vote.EncodeSigningBytes(ChainId, VoteType.Precommit, Height, Round, otherBlock))))]);
        Assert.Contains("invalid", _set.VerifyCommit(Suite, ChainId, Height, BlockHash, signedForOther), StringComparison.Ordinal);
    }

    // Proves only precommits count: prevote signatures for the same block, round and height are refused, as are
    // precommits for another round or another chain.
    [Fact]
    public void VerifyCommit_PrevoteOrOtherRoundOrChain_ReturnsReason()
    {
        CommitSignature Signed(ISigningKey key, string chainId, VoteType type, uint round) =>
            new(Id(key), key.Sign(Vote.EncodeSigningBytes(chainId, type, Height, round, BlockHash)));

        foreach (var (chainId, type, round) in new[] { (ChainId, VoteType.Prevote, Round), (ChainId, VoteType.Precommit, Round + 1), ("other-chain", VoteType.Precommit, Round) })
        {
            var certificate = Certificate([.. _keys.Take(3).Select(k => Signed(k, chainId, type, round))]);
            Assert.Contains("invalid", _set.VerifyCommit(Suite, ChainId, Height, BlockHash, certificate), StringComparison.Ordinal);
        }
    }

    // Proves the constructor sorts by key id and refuses empty sets, too many validators, zero power and duplicates.
    [Fact]
    public void Constructor_InvalidSets_ThrowArgumentException()
    {
        Assert.Equal(_set.Validators.Select(v => v.KeyId).Order(), _set.Validators.Select(v => v.KeyId));
        Assert.Throws<ArgumentException>(() => new ValidatorSet([]));
        Assert.Throws<ArgumentException>(() => new ValidatorSet(Enumerable.Range(0, Limits.MaxValidators + 1).Select(i => new Validator(new Hash([.. new byte[30], (byte)(i >> 8), (byte)i]), [4], 1, "v"))));
        Assert.Throws<ArgumentException>(() => new ValidatorSet([new Validator(TestHex.Filled(1), [4], 0, "v")]));
        Assert.Throws<ArgumentException>(() => new ValidatorSet([new Validator(TestHex.Filled(1), [4], 1, "v"), new Validator(TestHex.Filled(1), [4], 1, "w")]));
        Assert.NotNull(_set.Find(Id(_keys[0])));
        Assert.Null(_set.Find(TestHex.Filled(0xEE)));
    }

    private static Hash Id(ISigningKey key) => Suite.Hash(key.PublicKey.Span);

    private static CommitSignature Precommit(ISigningKey key) =>
        new(Id(key), key.Sign(Vote.EncodeSigningBytes(ChainId, VoteType.Precommit, Height, Round, BlockHash)));

    private static CommitCertificate Certificate(params CommitSignature[] signatures) => new(Height, Round, BlockHash, signatures);
}
