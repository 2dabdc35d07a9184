using MedLedger.Core;
using static MedLedger.Ledger.Tests.CreditTestSupport;

namespace MedLedger.Ledger.Tests;

/// <summary>Credit rewards and the commit report (docs/credit.md): who earns what per block, and every refusal of a report.</summary>
public sealed class CreditRewardTests
{
    // Proves a credit genesis is version 3 and seeds the credit state: every node account at the initial credit, epoch 0
    // ending at the first boundary, the genesis set in the history, and roles from the set and the organisation kind.
    [Fact]
    public void Genesis_WithCredit_SeedsCreditStateAndRoles()
    {
        using var chain = FiveNodes(Simple());

        Assert.Equal(3, chain.Genesis.Encode()[0]);
        Assert.Equal(6, chain.Node.GetCredits().Count);
        Assert.All(chain.Node.GetCredits(), c => Assert.Equal(1_000UL, c.Credit.Score));
        Assert.Equal(new EpochState(0, 1, 3), chain.Node.CurrentEpoch);
        Assert.Equal(3UL, chain.Node.NextElectionHeight);
        Assert.Equal(chain.Node.ValidatorSet.ComputeHash(MedicalChain.Suite), chain.Node.ValidatorSetAt(1)!.ComputeHash(MedicalChain.Suite));
        Assert.Null(chain.Node.ValidatorSetAt(2));
        Assert.Equal([A, B, C, D], SetOf(chain));
        Assert.Equal(NodeRole.Validator, chain.Node.NodeRoleOf(chain[A].NodeId));
        Assert.Equal(NodeRole.Verifier, chain.Node.NodeRoleOf(chain[E].NodeId));
        Assert.Equal(NodeRole.Auditor, chain.Node.NodeRoleOf(chain[Regulator].NodeId));
        Assert.Equal(NodeRole.None, chain.Node.NodeRoleOf(chain[A].AdminId));
    }

    // Proves a chain without credit parameters keeps its version-2 genesis and writes no credit state at all, and that the
    // credit parameters survive the genesis JSON round trip (an empty "credit" object takes every default).
    [Fact]
    public void Genesis_WithoutCredit_HasNoCreditState_AndJsonRoundTrips()
    {
        using var plain = MedicalChain.ThreeOrganisations();
        Assert.Equal(2, plain.Genesis.Encode()[0]);
        plain.Accept();
        Assert.Null(plain.Node.CurrentEpoch);
        Assert.Empty(plain.Node.GetCredits());
        Assert.DoesNotContain(plain.Node.StateEntries(), e => e.Key.AsSpan().StartsWith("credit/"u8) || e.Key.AsSpan().StartsWith("vset/"u8));
        Assert.Same(plain.Node.ValidatorSet, plain.Node.ValidatorSetAt(1));

        using var chain = FiveNodes(Simple(epochLength: 7));
        var parsed = GenesisDocument.FromJson(chain.Genesis.ToJson());
        Assert.Equal(chain.Genesis.Credit, parsed.Credit);
        Assert.Equal(chain.Genesis.ComputeHash(MedicalChain.Suite), parsed.ComputeHash(MedicalChain.Suite));

        var json = System.Text.Encoding.UTF8.GetString(plain.Genesis.ToJson()).TrimEnd().TrimEnd('}') + ", \"credit\": {} }";
        Assert.Equal(CreditParameters.Default, GenesisDocument.FromJson(System.Text.Encoding.UTF8.GetBytes(json)).Credit);
        var invalid = System.Text.Encoding.UTF8.GetString(plain.Genesis.ToJson()).TrimEnd().TrimEnd('}') + ", \"credit\": { \"epochLength\": 0 } }";
        Assert.Throws<DecodingException>(() => GenesisDocument.FromJson(System.Text.Encoding.UTF8.GetBytes(invalid)));
    }

    // Proves the per-block rewards: the proposer +10 per block, each signer of the reported certificate +2, each validator
    // missing from it −1, non-validators unchanged; and that the report is the block's first transaction, sender zero.
    [Fact]
    public void Rewards_ProposerSignersAndMissedVotes()
    {
        using var chain = FiveNodes(Simple(epochLength: 100));
        chain.ProposerOverride = chain[A].NodeId;
        chain.Signs = id => id != chain[D].NodeId;

        var first = chain.Accept();
        Assert.Empty(first.Transactions);
        Assert.Equal(1_010UL, ScoreOf(chain, A));
        Assert.Equal(1_000UL, ScoreOf(chain, B));

        var second = chain.Accept();
        var report = Assert.Single(second.Transactions);
        Assert.Equal(TransactionType.CommitReport, report.Type);
        Assert.True(report.Sender.IsZero);
        Assert.Equal(1_022UL, ScoreOf(chain, A));
        Assert.Equal(1_002UL, ScoreOf(chain, B));
        Assert.Equal(1_002UL, ScoreOf(chain, C));
        Assert.Equal(999UL, ScoreOf(chain, D));
        Assert.Equal(1_000UL, ScoreOf(chain, E));
        Assert.Equal(1_000UL, ScoreOf(chain, Regulator));
        Assert.Equal(new CreditRecord(1_022, A, 0, 2, 1, 0, 0, 0), CreditOf(chain, A));
        Assert.Equal(new CreditRecord(999, D, 0, 0, 0, 1, 0, 0), CreditOf(chain, D));
    }

    // Proves the data reward: records anchored for an organisation pay its node 1 each, at most 2 per block here; a node
    // of another organisation earns nothing for them.
    [Fact]
    public void Rewards_DataContribution_CappedPerBlock()
    {
        using var chain = FiveNodes(Simple(epochLength: 100));
        chain.ProposerOverride = chain[B].NodeId;
        var doctor = chain.Doctor(A);
        var patient = chain.Patient(A);
        var before = (A: CreditOf(chain, A), D: CreditOf(chain, D));

        chain.Accept(
            chain.AnchorTransaction(doctor, chain.ConsentedRecord(doctor, patient, A)),
            chain.AnchorTransaction(doctor, chain.ConsentedRecord(doctor, patient, A)),
            chain.AnchorTransaction(doctor, chain.ConsentedRecord(doctor, patient, A)));

        // A and D both signed the previous certificate (+2); A's organisation anchored 3 records, of which 2 pay.
        Assert.Equal(before.D.Score + 2, ScoreOf(chain, D));
        Assert.Equal(before.A.Score + 2 + 2, ScoreOf(chain, A));
        Assert.Equal(2UL, CreditOf(chain, A).DataRecords);
        Assert.Equal(0UL, CreditOf(chain, D).DataRecords);
    }

    // Proves each invalid commit report is refused with its code and leaves the state as the block without it would:
    // a forged signature, the wrong height, the wrong block, a sub-quorum, a signer outside the set, a second report, and
    // a report that is not first. A block that includes one anyway is refused by every validator.
    [Fact]
    public void CommitReport_Invalid_RefusedWithCodesAndNoStateChange()
    {
        using var chain = FiveNodes(Simple(epochLength: 100));
        var first = chain.Accept();
        var second = chain.Accept();
        var set = chain.Node.ValidatorSet;
        var valid = chain.LastCertificate!;
        var hash1 = first.Header.ComputeHash(MedicalChain.Suite);
        var hash2 = second.Header.ComputeHash(MedicalChain.Suite);
        Transaction Report(CommitCertificate certificate) => CreditTransactions.CommitReport(MedicalChain.ChainId, 3, certificate);

        var forgedSignatures = valid.Signatures.ToArray();
        forgedSignatures[0] = forgedSignatures[0] with { Signature = chain.KeyOf(forgedSignatures[0].Validator).Sign(Vote.EncodeSigningBytes(MedicalChain.ChainId, VoteType.Prevote, 2, 0, hash2)) };
        RefuseInBlock(chain, [Report(valid with { Signatures = forgedSignatures })], 0, TransactionRejection.InvalidCertificate);
        RefuseInBlock(chain, [Report(chain.Certify(set, 1, hash1))], 0, TransactionRejection.InvalidCertificate);
        RefuseInBlock(chain, [Report(chain.Certify(set, 2, chain.NextHash("other block")))], 0, TransactionRejection.InvalidCertificate);
        RefuseInBlock(chain, [Report(chain.Certify(set, 2, hash2, id => id == chain[A].NodeId || id == chain[B].NodeId))], 0, TransactionRejection.InvalidCertificate);
        var outsider = new CommitSignature(chain[E].NodeId, chain[E].Node.Sign(Vote.EncodeSigningBytes(MedicalChain.ChainId, VoteType.Precommit, 2, 0, hash2)));
        RefuseInBlock(chain, [Report(valid with { Signatures = [.. valid.Signatures, outsider] })], 0, TransactionRejection.InvalidCertificate);
        RefuseInBlock(chain, [Report(valid), Report(valid)], 1, TransactionRejection.AlreadyExists);
        var anchor = chain.Sign(chain.Admin, TransactionType.CommitmentAnchor, new CommitmentAnchorPayload(chain.NextHash("commitment")).Encode());
        RefuseInBlock(chain, [anchor, Report(valid)], 1, TransactionRejection.MisplacedTransaction);

        // A report with a wrong envelope (a nonce that is not the block height) is malformed.
        var wrongNonce = Transaction.FromParts(MedicalChain.ChainId, TransactionType.CommitReport, Hash.Zero, 4, 3, valid.Encode(), []);
        RefuseInBlock(chain, [wrongNonce], 0, TransactionRejection.InvalidPayload);

        // The mempool never admits a report; the valid one still commits in its block.
        Assert.Equal(TransactionRejection.MisplacedTransaction, chain.Node.CheckTransaction(Report(valid), Report(valid).ComputeId(MedicalChain.Suite)).Rejection);
        var third = chain.Accept();
        Assert.Equal(TransactionType.CommitReport, Assert.Single(third.Transactions).Type);
        Assert.Equal(3UL, chain.Node.Height);
    }

    // Proves block 1 cannot carry a report (there is no previous block) and that a chain without credit treats the type as
    // unknown and ignores the certificate handed to PrepareBlock.
    [Fact]
    public void CommitReport_AtHeightOneOrWithoutCredit_Refused()
    {
        using var chain = FiveNodes(Simple());
        var set = chain.Node.ValidatorSet;
        var fake = chain.Certify(set, 0, chain.Node.GenesisHash);
        RefuseInBlock(chain, [CreditTransactions.CommitReport(MedicalChain.ChainId, 1, fake)], 0, TransactionRejection.InvalidCertificate);

        using var plain = MedicalChain.ThreeOrganisations();
        var block = plain.Accept();
        var certificate = new CommitCertificate(1, 0, block.Header.ComputeHash(MedicalChain.Suite), []);
        var report = CreditTransactions.CommitReport(MedicalChain.ChainId, 2, certificate);
        Assert.Equal(TransactionRejection.UnknownType, plain.Node.CheckTransaction(report, report.ComputeId(MedicalChain.Suite)).Rejection);
        var proposal = plain.Node.PrepareBlock(plain.NextTime, plain.AdminId, [], lastCommit: certificate);
        Assert.Empty(proposal.Transactions);
        Assert.Empty(proposal.Rejected);
    }
}
