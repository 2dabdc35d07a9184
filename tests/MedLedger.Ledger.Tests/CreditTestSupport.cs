using MedLedger.Core;

namespace MedLedger.Ledger.Tests;

/// <summary>Credit chains and assertions shared by the credit tests (docs/credit.md).</summary>
internal static class CreditTestSupport
{
    public const string A = "hospital-a";
    public const string B = "clinic-b";
    public const string C = "hospital-c";
    public const string D = "clinic-d";
    public const string E = "hospital-e";
    public const string Regulator = "regulator-r";

    /// <summary>Four validator organisations (A–D), a fifth node organisation E on standby and a regulator.</summary>
    public static MedicalChain FiveNodes(CreditParameters credit, int validators = 4) => new(
        credit,
        validators,
        (A, OrganisationKind.Hospital),
        (B, OrganisationKind.Clinic),
        (C, OrganisationKind.Hospital),
        (D, OrganisationKind.Clinic),
        (E, OrganisationKind.Hospital),
        (Regulator, OrganisationKind.Regulator));

    /// <summary>Parameters with round numbers for hand-computed expectations.</summary>
    public static CreditParameters Simple(ulong epochLength = 3, int maxValidators = 4, ulong evidenceMaxAge = 100, ulong jailEpochs = 1) => new(
        EpochLength: epochLength,
        MaxValidators: maxValidators,
        InitialCredit: 1_000,
        ProposerReward: 10,
        VoteReward: 2,
        MissedVotePenalty: 1,
        DataReward: 1,
        MaxDataRewardsPerBlock: 2,
        DoubleVotePenaltyPercent: 50,
        JailEpochs: jailEpochs,
        EvidenceMaxAgeBlocks: evidenceMaxAge);

    public static CreditRecord CreditOf(MedicalChain chain, string organisation) =>
        chain.Node.GetCredit(chain[organisation].NodeId) ?? throw new InvalidOperationException($"{organisation} has no credit");

    public static ulong ScoreOf(MedicalChain chain, string organisation) => CreditOf(chain, organisation).Score;

    /// <summary>The organisations whose nodes form the validator set of the next block, in the order given (A–E by default).</summary>
    public static string[] SetOf(MedicalChain chain, ValidatorSet? set = null, params string[] organisations) =>
        [.. (organisations.Length == 0 ? [A, B, C, D, E, Regulator] : organisations)
            .Where(o => (set ?? chain.Node.ValidatorSet).Find(chain[o].NodeId) is not null)];

    /// <summary>
    /// Proves a block with <paramref name="transactions"/> refuses the one at <paramref name="refusedIndex"/> with
    /// <paramref name="expected"/>: the proposer leaves it out (and the state root is that of the block without it), and a
    /// block that includes it anyway is refused by the replica with the code in its reason. Nothing is committed.
    /// </summary>
    public static void RefuseInBlock(MedicalChain chain, Transaction[] transactions, int refusedIndex, TransactionRejection expected)
    {
        var rootBefore = chain.Node.StateRoot;
        var time = chain.NextTime;
        var proposal = chain.Node.PrepareBlock(time, chain.NextProposer, transactions);
        var refused = proposal.Rejected.Single(r => ReferenceEquals(r.Transaction, transactions[refusedIndex]));
        Assert.True(expected == refused.Result.Rejection, $"expected {expected}, got {refused.Result.Rejection}: {refused.Result.Reason}");
        Assert.False(string.IsNullOrEmpty(refused.Result.Reason));
        var without = chain.Node.PrepareBlock(time, chain.NextProposer, transactions.Where((_, i) => i != refusedIndex).ToArray());
        Assert.Equal(without.Header.StateRoot, proposal.Header.StateRoot);
        Assert.Equal(rootBefore, chain.Node.StateRoot);

        var forced = proposal.Header with { TransactionsRoot = Block.ComputeTransactionsRoot(MedicalChain.Suite, transactions), TransactionCount = (uint)transactions.Length };
        var exception = Assert.Throws<InvalidBlockException>(() => chain.Replica.ExecuteBlock(forced, transactions));
        Assert.Contains($"transaction {refusedIndex} is invalid: {expected}", exception.Reason, StringComparison.Ordinal);
    }

    /// <summary>A signed precommit or prevote of <paramref name="key"/>'s validator.</summary>
    public static byte[] SignVote(Crypto.ISigningKey key, VoteType type, ulong height, uint round, Hash blockHash) =>
        key.Sign(Vote.EncodeSigningBytes(MedicalChain.ChainId, type, height, round, blockHash));
}
