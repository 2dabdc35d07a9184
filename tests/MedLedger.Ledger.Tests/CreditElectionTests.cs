using static MedLedger.Ledger.Tests.CreditTestSupport;

namespace MedLedger.Ledger.Tests;

/// <summary>Epoch elections (docs/credit.md, "Election"): the set moves exactly at boundaries and exactly as the rules say.</summary>
public sealed class CreditElectionTests
{
    // Proves a validator that misses votes falls below the standby node and is replaced at the boundary, not before:
    // 1. blocks 1–2 keep the genesis set; 2. block 3 elects the top four by score (powers = scores, none near a third);
    // 3. the set history answers for heights 3 and 4; 4. the old set's certificate is reported in block 4, the new set's
    // in block 5, and block 4's header names the new set.
    [Fact]
    public void StandbyReplacesValidatorThatMissesVotes_AtBoundaryOnly()
    {
        using var chain = FiveNodes(Simple(epochLength: 3, maxValidators: 4));
        chain.ProposerOverride = chain[A].NodeId;
        chain.Signs = id => id != chain[D].NodeId;
        var genesisSet = chain.Node.ValidatorSet;

        chain.Accept();
        chain.Accept();
        Assert.Equal([A, B, C, D], SetOf(chain));
        Assert.Same(genesisSet, chain.Node.ValidatorSet);

        chain.Accept();
        Assert.Equal([1_034UL, 1_004UL, 1_004UL, 998UL, 1_000UL], new[] { A, B, C, D, E }.Select(o => ScoreOf(chain, o)));
        Assert.Equal([A, B, C, E], SetOf(chain));
        foreach (var organisation in new[] { A, B, C, E })
        {
            Assert.Equal(ScoreOf(chain, organisation), chain.Node.ValidatorSet.Find(chain[organisation].NodeId)!.Power);
        }

        Assert.Equal(new EpochState(1, 4, 6), chain.Node.CurrentEpoch);
        Assert.Equal([A, B, C, D], SetOf(chain, chain.Node.ValidatorSetAt(3)));
        Assert.Equal([A, B, C, E], SetOf(chain, chain.Node.ValidatorSetAt(4)));
        Assert.Equal(NodeRole.Verifier, chain.Node.NodeRoleOf(chain[D].NodeId));
        Assert.Equal(NodeRole.Validator, chain.Node.NodeRoleOf(chain[E].NodeId));
        Assert.Equal(NodeRole.Auditor, chain.Node.NodeRoleOf(chain[Regulator].NodeId));

        var fourth = chain.Accept();
        Assert.Equal(chain.Node.ValidatorSet.ComputeHash(MedicalChain.Suite), fourth.Header.ValidatorSetHash);
        chain.Accept();
        Assert.Equal(1UL, CreditOf(chain, E).SignedCommits);
    }

    // Proves ties are broken by key id: three equal scores (no rewards or penalties), two seats, so the two lowest key ids
    // are elected, with power 1 each (fewer than four validators).
    [Fact]
    public void EqualScores_TiesBrokenByKeyId()
    {
        var credit = new CreditParameters(EpochLength: 2, MaxValidators: 2, ProposerReward: 0, VoteReward: 0, MissedVotePenalty: 0);
        using var chain = new MedicalChain(credit, 3, (A, OrganisationKind.Hospital), (B, OrganisationKind.Clinic), (C, OrganisationKind.Hospital));
        chain.Accept();
        Assert.Equal(3, chain.Node.ValidatorSet.Validators.Count);

        chain.Accept();
        var expected = new[] { A, B, C }.Select(o => chain[o].NodeId).Order().Take(2).ToArray();
        Assert.Equal(expected, chain.Node.ValidatorSet.Validators.Select(v => v.KeyId));
        Assert.All(chain.Node.ValidatorSet.Validators, v => Assert.Equal(1UL, v.Power));
    }

    // Proves a double voter sits out exactly one epoch: evidence in epoch 0 keeps it out of the set of epoch 1 (the
    // standby takes the seat), and the election for epoch 2 seats it again.
    [Fact]
    public void JailedValidator_SitsOutOneEpoch()
    {
        using var chain = FiveNodes(Simple(epochLength: 3, maxValidators: 5));
        chain.Accept();
        var first = chain.NextHash("block");
        var second = chain.NextHash("block");
        var evidence = new DoubleVoteEvidencePayload(chain[D].NodeId, VoteType.Precommit, 1, 0, first, SignVote(chain[D].Node, VoteType.Precommit, 1, 0, first), second, SignVote(chain[D].Node, VoteType.Precommit, 1, 0, second));
        chain.Accept(chain.Sign(chain[B].Node, TransactionType.DoubleVoteEvidence, evidence.Encode()));
        Assert.Equal([A, B, C, D], SetOf(chain));

        chain.Accept();
        Assert.Equal([A, B, C, E], SetOf(chain));

        chain.Accept();
        chain.Accept();
        chain.Accept();
        Assert.Equal([A, B, C, D, E], SetOf(chain));
    }

    // Proves removing an organisation takes effect at the boundary: its node keeps validating for the rest of the epoch
    // (and its votes still count), leaves the set at the election, and leaves the credit index.
    [Fact]
    public void RemovedOrganisation_LeavesSetAtBoundary()
    {
        using var chain = FiveNodes(Simple(epochLength: 4, maxValidators: 5));
        var propose = chain.Sign(chain[A].Admin, TransactionType.OrganisationPropose, MedicalMembershipTests.RemovePayload(D).Encode());
        chain.Accept(propose);
        var proposalId = propose.ComputeId(MedicalChain.Suite);
        chain.Accept([.. new[] { B, C, E }.Select(o => chain.Sign(chain[o].Admin, TransactionType.OrganisationVote, new OrganisationVotePayload(proposalId).Encode()))]);
        Assert.Equal(OrganisationStatus.Removed, chain.Node.GetOrganisation(D)!.Status);
        Assert.Equal([A, B, C, D], SetOf(chain));

        chain.Accept();
        Assert.Equal([A, B, C, D], SetOf(chain));
        Assert.True(CreditOf(chain, D).SignedCommits > 0);

        chain.Accept();
        Assert.Equal([A, B, C, E], SetOf(chain));
        Assert.DoesNotContain(chain.Node.GetCredits(), c => c.KeyId == chain[D].NodeId);
        Assert.Equal(NodeRole.Verifier, chain.Node.NodeRoleOf(chain[D].NodeId));
    }

    // Proves a node registered mid-epoch (and a node of an organisation admitted mid-epoch) gets the initial credit at
    // once but is elected only at the boundary.
    [Fact]
    public void RegisteredAndAdmittedNodes_JoinAtBoundary()
    {
        using var chain = FiveNodes(Simple(epochLength: 4, maxValidators: 10));
        var second = chain.Register(chain[A].Admin, AccountRole.Node, A, "hospital-a-node-2");
        var secondId = MedicalChain.IdOf(second);
        Assert.Equal(1_000UL, chain.Node.GetCredit(secondId)!.Score);
        Assert.Equal(NodeRole.Verifier, chain.Node.NodeRoleOf(secondId));

        var admin = chain.NewKey();
        var propose = chain.Sign(chain[A].Admin, TransactionType.OrganisationPropose, MedicalMembershipTests.AdmitPayload(admin, chain.NewKey(), OrganisationKind.Clinic, "lab-x").Encode());
        chain.Accept(propose);
        chain.Accept([.. new[] { B, C, E }.Select(o => chain.Sign(chain[o].Admin, TransactionType.OrganisationVote, new OrganisationVotePayload(propose.ComputeId(MedicalChain.Suite)).Encode()))]);
        Assert.Equal(OrganisationStatus.Active, chain.Node.GetOrganisation("lab-x")!.Status);
        Assert.Equal(3UL, chain.Node.Height);
        var labNode = chain.Register(admin, AccountRole.Node, "lab-x", "lab-x-node");
        var labNodeId = MedicalChain.IdOf(labNode);

        // Block 4 registered the lab's node and ended the epoch: both new nodes are elected, the regulator never.
        Assert.NotNull(chain.Node.ValidatorSet.Find(secondId));
        Assert.NotNull(chain.Node.ValidatorSet.Find(labNodeId));
        Assert.Equal([A, B, C, D, E], SetOf(chain));
        Assert.Equal(7, chain.Node.ValidatorSet.Validators.Count);
        Assert.Null(chain.Node.ValidatorSetAt(4)!.Find(secondId));

        // Block 5 reports block 4 (signed by the old set), block 6 reports block 5 (signed by the new set, the lab's node too).
        chain.Accept();
        Assert.Equal(0UL, chain.Node.GetCredit(labNodeId)!.SignedCommits);
        chain.Accept();
        Assert.Equal(1UL, chain.Node.GetCredit(labNodeId)!.SignedCommits);
    }

    // Proves the set is kept when nobody is eligible (the only node is a regulator's), while the epoch still advances.
    [Fact]
    public void NobodyEligible_KeepsTheSet()
    {
        using var chain = new MedicalChain(Simple(epochLength: 2), 1, (Regulator, OrganisationKind.Regulator));
        var set = chain.Node.ValidatorSet;
        chain.Accept();
        chain.Accept();
        Assert.Same(set, chain.Node.ValidatorSet);
        Assert.Equal(new EpochState(1, 3, 4), chain.Node.CurrentEpoch);
    }

    // Proves a rotated node key carries its credit: the new key takes the old one's record and index place, and is elected
    // at the boundary in place of the old key.
    [Fact]
    public void RotatedNodeKey_KeepsCreditAndIsElected()
    {
        using var chain = FiveNodes(Simple(epochLength: 2, maxValidators: 4));
        chain.Accept();
        var newKey = chain.NewKey();
        var oldId = chain[A].NodeId;
        var before = CreditOf(chain, A);
        chain.Accept(chain.RotateTransaction(chain[A].Node, newKey));
        var newId = MedicalChain.IdOf(newKey);

        Assert.Equal(before.Organisation, chain.Node.GetCredit(newId)!.Organisation);
        Assert.Contains(chain.Node.GetCredits(), c => c.KeyId == newId);
        Assert.DoesNotContain(chain.Node.GetCredits(), c => c.KeyId == oldId);
        Assert.NotNull(chain.Node.ValidatorSet.Find(newId));
        Assert.Null(chain.Node.ValidatorSet.Find(oldId));
        chain.Accept();
    }

    // Proves determinism and restart: a third node replaying every block reaches the same roots and sets, and a node
    // restored from the committed entries has the same set, epoch, credit and history, and executes the next block alike.
    [Fact]
    public void ReplayAndRestore_YieldSameSetsAndRoots()
    {
        using var chain = FiveNodes(Simple(epochLength: 2, maxValidators: 4));
        chain.Signs = id => id != chain[B].NodeId;
        var blocks = new List<BlockProposal>();
        for (var i = 0; i < 7; i++)
        {
            blocks.Add(chain.Accept());
        }

        var replay = LedgerStateMachine.FromGenesis(chain.Genesis);
        foreach (var block in blocks)
        {
            replay.Commit(block.Header, block.Transactions, replay.ExecuteBlock(block.Header, block.Transactions));
        }

        Assert.Equal(chain.Node.StateRoot, replay.StateRoot);
        Assert.Equal(chain.Node.ValidatorSet.Encode(), replay.ValidatorSet.Encode());
        Assert.NotEqual(chain.Node.ValidatorSetAt(1)!.Encode(), chain.Node.ValidatorSet.Encode());

        var restored = LedgerStateMachine.Restore(chain.Genesis, chain.Node.StateEntries(), blocks[^1].Header);
        Assert.Equal(chain.Node.ValidatorSet.Encode(), restored.ValidatorSet.Encode());
        Assert.Equal(chain.Node.CurrentEpoch, restored.CurrentEpoch);
        Assert.Equal(chain.Node.GetCredits(), restored.GetCredits());
        for (ulong height = 1; height <= 8; height++)
        {
            Assert.Equal(chain.Node.ValidatorSetAt(height)?.Encode(), restored.ValidatorSetAt(height)?.Encode());
        }

        var next = chain.Node.PrepareBlock(chain.NextTime, chain.NextProposer, [], lastCommit: chain.LastCertificate);
        Assert.Equal(next.Prepared.Root, restored.ExecuteBlock(next.Header, next.Transactions).Root);
    }

    // Proves the set history stays bounded by the evidence window: with an election every block (powers change every
    // block) and a 2-block window, old sets are deleted from state and no longer answered.
    [Fact]
    public void SetHistory_PrunedToEvidenceWindow()
    {
        using var chain = FiveNodes(Simple(epochLength: 1, maxValidators: 4, evidenceMaxAge: 2));
        chain.ProposerOverride = chain[A].NodeId;
        for (var i = 0; i < 8; i++)
        {
            chain.Accept();
        }

        var history = HeightList.Decode(chain.Node.Query(StateKeys.ValidatorHistory()), 100);
        Assert.InRange(history.Count, 2, 4);
        Assert.Null(chain.Node.ValidatorSetAt(1));
        Assert.Null(chain.Node.Query(StateKeys.ValidatorSetSince(1)));
        Assert.NotNull(chain.Node.ValidatorSetAt(chain.Node.Height - 1));
        Assert.Null(chain.Node.ValidatorSetAt(chain.Node.Height - 3));
        Assert.Equal(chain.Node.ValidatorSet.Encode(), chain.Node.ValidatorSetAt(chain.Node.Height + 1)!.Encode());
    }
}
