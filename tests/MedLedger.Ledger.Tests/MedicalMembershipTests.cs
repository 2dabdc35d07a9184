using MedLedger.Core;
using static MedLedger.Ledger.Tests.MedicalChain;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// Membership (SPEC F2): an org admin proposes to admit or remove an organisation, org admins vote for their
/// organisations, and the proposal takes effect once at least 2/3 of the current members voted for it.
/// </summary>
public sealed class MedicalMembershipTests
{
    private const string NewOrganisation = "lab-e";

    // Proves admission with three members: 1. the proposal is stored Open with the proposer's vote and a 14-day
    // expiry, and nothing is admitted; 2. one more vote (2 of 3) executes it: the organisation is Active at this
    // height, listed in chain/orgs, and its administrator is an OrgAdmin account with a user/ entry; 3. that
    // administrator registers a user of the new organisation.
    [Fact]
    public void Admit_ThreeMembers_ProposerAndOneVoteExecute()
    {
        using var chain = ThreeOrganisations();
        var newAdmin = chain.NewKey();
        var encryption = chain.NewKey();

        // 1.
        var propose = chain.Sign(chain[HospitalA].Admin, TransactionType.OrganisationPropose, AdmitPayload(newAdmin, encryption, OrganisationKind.Clinic).Encode());
        var proposalId = propose.ComputeId(Suite);
        var proposeBlock = chain.Accept(propose);
        var stored = MembershipProposal.Decode(chain.Node.Query(StateKeys.Proposal(proposalId)));
        Assert.Equal(proposalId, stored.Id);
        Assert.Equal(ProposalStatus.Open, stored.Status);
        Assert.Equal([HospitalA], stored.Votes);
        Assert.Equal(HospitalA, stored.ProposedBy);
        Assert.Equal(proposeBlock.Header.TimeUnixMilliseconds + Limits.MembershipProposalLifetimeMilliseconds, stored.ExpiresUnixMilliseconds);
        Assert.Null(chain.Node.GetOrganisation(NewOrganisation));
        Assert.Null(chain.Node.GetAccount(IdOf(newAdmin)));

        // 2.
        var voteBlock = chain.Accept(Vote(chain, ClinicB, proposalId));
        var executed = MembershipProposal.Decode(chain.Node.Query(StateKeys.Proposal(proposalId)));
        Assert.Equal(ProposalStatus.Executed, executed.Status);
        Assert.Equal([ClinicB, HospitalA], executed.Votes);
        var organisation = chain.Node.GetOrganisation(NewOrganisation)!;
        Assert.Equal((OrganisationStatus.Active, voteBlock.Header.Height, OrganisationKind.Clinic, "Lab E"), (organisation.Status, organisation.AdmittedHeight, organisation.Kind, organisation.Name));
        Assert.Equal(encryption.PublicKey.ToArray(), organisation.EncryptionKey);
        Assert.Equal([ClinicB, HospitalA, NewOrganisation, RegulatorC], OrganisationList.Decode(chain.Node.Query(StateKeys.Organisations())));
        var adminAccount = chain.AccountOf(newAdmin);
        Assert.Equal((AccountRole.OrgAdmin, NewOrganisation, "lab admin", voteBlock.Header.Height), (adminAccount.Role, adminAccount.Organisation, adminAccount.Name, adminAccount.RegisteredHeight));
        Assert.Equal(IdOf(newAdmin), chain.Node.GetCurrentKey(IdOf(newAdmin)));

        // 3.
        var doctor = chain.Register(newAdmin, AccountRole.Doctor, NewOrganisation);
        Assert.Equal(NewOrganisation, chain.AccountOf(doctor).Organisation);
    }

    // Proves 2/3 with four members needs three organisations: proposer plus one vote stays Open, a third executes.
    [Fact]
    public void Admit_FourMembers_NeedsThreeVotes()
    {
        using var chain = FourOrganisations();
        var propose = chain.Sign(chain[HospitalA].Admin, TransactionType.OrganisationPropose, AdmitPayload(chain.NewKey(), chain.NewKey()).Encode());
        var proposalId = propose.ComputeId(Suite);
        chain.Accept(propose);
        chain.Accept(Vote(chain, InsurerD, proposalId));
        Assert.Equal(ProposalStatus.Open, ProposalOf(chain, proposalId).Status);
        Assert.Null(chain.Node.GetOrganisation(NewOrganisation));

        chain.Accept(Vote(chain, RegulatorC, proposalId));
        Assert.Equal(ProposalStatus.Executed, ProposalOf(chain, proposalId).Status);
        Assert.Equal([HospitalA, InsurerD, RegulatorC], ProposalOf(chain, proposalId).Votes);
        Assert.NotNull(chain.Node.GetOrganisation(NewOrganisation));
    }

    // Proves a single founding member executes its own proposal at once (1 of 1), and cannot remove itself (the
    // last member stays).
    [Fact]
    public void SingleMember_AdmitsAtOnceAndCannotRemoveItself()
    {
        using var chain = new MedicalChain((HospitalA, OrganisationKind.Hospital));
        chain.Accept(chain.Sign(chain[HospitalA].Admin, TransactionType.OrganisationPropose, AdmitPayload(chain.NewKey(), chain.NewKey()).Encode()));
        Assert.Equal(OrganisationStatus.Active, chain.Node.GetOrganisation(NewOrganisation)!.Status);

        using var lone = new MedicalChain((HospitalA, OrganisationKind.Hospital));
        lone.Refuse(lone.Sign(lone[HospitalA].Admin, TransactionType.OrganisationPropose, RemovePayload(HospitalA).Encode()), TransactionRejection.InvalidPayload);
    }

    // Proves an organisation votes once: the proposer's organisation voting again, and a second org admin of a voting
    // organisation, are AlreadyExists.
    [Fact]
    public void Vote_SameOrganisationTwice_IsAlreadyExists()
    {
        using var chain = FourOrganisations();
        var secondAdmin = chain.Register(chain[InsurerD].Admin, AccountRole.OrgAdmin, InsurerD);
        var propose = chain.Sign(chain[HospitalA].Admin, TransactionType.OrganisationPropose, AdmitPayload(chain.NewKey(), chain.NewKey()).Encode());
        var proposalId = propose.ComputeId(Suite);
        chain.Accept(propose);

        chain.Refuse(Vote(chain, HospitalA, proposalId), TransactionRejection.AlreadyExists);
        chain.Accept(Vote(chain, InsurerD, proposalId));
        chain.Refuse(Vote(chain, InsurerD, proposalId), TransactionRejection.AlreadyExists);
        chain.Refuse(chain.Sign(secondAdmin, TransactionType.OrganisationVote, new OrganisationVotePayload(proposalId).Encode()), TransactionRejection.AlreadyExists);
        Assert.Equal(ProposalStatus.Open, ProposalOf(chain, proposalId).Status);
    }

    // Proves a proposal expires 14 days after the block that made it: a vote in a block at exactly the expiry counts,
    // one a millisecond later is InvalidPayload. Votes on an executed proposal and on unknown proposals are refused.
    [Fact]
    public void Vote_AfterExpiryOrOnClosedOrUnknownProposal_IsRefused()
    {
        using var chain = FourOrganisations();
        var propose = chain.Sign(chain[HospitalA].Admin, TransactionType.OrganisationPropose, AdmitPayload(chain.NewKey(), chain.NewKey()).Encode());
        var proposalId = propose.ComputeId(Suite);
        chain.Accept(propose);
        var expires = ProposalOf(chain, proposalId).ExpiresUnixMilliseconds;

        chain.Refuse(Vote(chain, ClinicB, proposalId), TransactionRejection.InvalidPayload, time: expires + 1);
        chain.AcceptAt(expires, Vote(chain, ClinicB, proposalId));
        Assert.Equal(ProposalStatus.Open, ProposalOf(chain, proposalId).Status);

        var late = chain.Sign(chain[ClinicB].Admin, TransactionType.OrganisationPropose, AdmitPayload(chain.NewKey(), chain.NewKey(), id: "late-f").Encode());
        var lateId = late.ComputeId(Suite);
        chain.Accept(late);
        chain.Accept(Vote(chain, HospitalA, lateId));
        chain.Accept(Vote(chain, RegulatorC, lateId));
        Assert.Equal(ProposalStatus.Executed, ProposalOf(chain, lateId).Status);
        chain.Refuse(Vote(chain, InsurerD, lateId), TransactionRejection.InvalidPayload);

        chain.Refuse(Vote(chain, InsurerD, chain.NextHash("no proposal")), TransactionRejection.NotFound);
    }

    // Proves removal: 1. two of three members remove the third; 2. its status is Removed and it leaves chain/orgs;
    // 3. its admin, doctor and node are OrganisationInactive at admission; 4. its doctor's reads are ActorRevoked;
    // 5. its id cannot be admitted again, nor removed again.
    [Fact]
    public void Remove_TwoOfThree_RemovesAndRefusesItsUsers()
    {
        using var chain = ThreeOrganisations();
        var doctor = chain.Doctor(ClinicB);
        var author = chain.Doctor(HospitalA);
        var patient = chain.Patient(HospitalA);
        var recordId = chain.AnchorRecord(author, patient, HospitalA);
        chain.Grant(patient, Terms(IdOf(patient), GrantActor.ForOrganisation(ClinicB)));
        Assert.True(chain.DecideRead(doctor, recordId).IsAllowed);

        // 1.
        var propose = chain.Sign(chain[HospitalA].Admin, TransactionType.OrganisationPropose, RemovePayload(ClinicB).Encode());
        chain.Accept(propose);
        Assert.Equal(OrganisationStatus.Active, chain.Node.GetOrganisation(ClinicB)!.Status);
        chain.Accept(Vote(chain, RegulatorC, propose.ComputeId(Suite)));

        // 2.
        Assert.Equal(OrganisationStatus.Removed, chain.Node.GetOrganisation(ClinicB)!.Status);
        Assert.Equal([HospitalA, RegulatorC], OrganisationList.Decode(chain.Node.Query(StateKeys.Organisations())));

        // 3.
        chain.RefuseAtAdmission(chain.RegisterTransaction(chain[ClinicB].Admin, chain.NewKey(), AccountRole.Doctor, ClinicB), TransactionRejection.OrganisationInactive);
        chain.RefuseAtAdmission(chain.RotateTransaction(doctor, chain.NewKey()), TransactionRejection.OrganisationInactive);
        chain.RefuseAtAdmission(chain.Sign(chain[ClinicB].Node, TransactionType.AccessLog, new AccessLogPayload([MedicalAccessLogTests.AllowedEntry(chain.NextTime)]).Encode()), TransactionRejection.OrganisationInactive);

        // 4.
        Assert.Equal(AccessDenialReason.ActorRevoked, chain.DecideRead(doctor, recordId).Reason);

        // 5.
        chain.Refuse(chain.Sign(chain[HospitalA].Admin, TransactionType.OrganisationPropose, AdmitPayload(chain.NewKey(), chain.NewKey(), id: ClinicB).Encode()), TransactionRejection.AlreadyExists);
        chain.Refuse(chain.Sign(chain[HospitalA].Admin, TransactionType.OrganisationPropose, RemovePayload(ClinicB).Encode()), TransactionRejection.NotFound);
        chain.Refuse(chain.RegisterTransaction(chain.Admin, chain.NewKey(), AccountRole.Doctor, ClinicB), TransactionRejection.NotFound);
    }

    // Proves votes count against the current members: after a removal, 2 of the remaining 3 execute a proposal that
    // had needed 3 of 4, and the removed organisation's earlier vote no longer counts.
    [Fact]
    public void Tally_CountsOnlyCurrentMembers()
    {
        using var chain = FourOrganisations();
        var admit = chain.Sign(chain[InsurerD].Admin, TransactionType.OrganisationPropose, AdmitPayload(chain.NewKey(), chain.NewKey()).Encode());
        chain.Accept(admit);
        var remove = chain.Sign(chain[HospitalA].Admin, TransactionType.OrganisationPropose, RemovePayload(InsurerD).Encode());
        chain.Accept(remove);
        chain.Accept(Vote(chain, ClinicB, remove.ComputeId(Suite)));
        chain.Accept(Vote(chain, RegulatorC, remove.ComputeId(Suite)));
        Assert.Equal(OrganisationStatus.Removed, chain.Node.GetOrganisation(InsurerD)!.Status);

        // Insurer D's vote is stored but no longer counts: 1 of 3 members stays Open, 2 of 3 executes.
        chain.Accept(Vote(chain, HospitalA, admit.ComputeId(Suite)));
        Assert.Equal(ProposalStatus.Open, ProposalOf(chain, admit.ComputeId(Suite)).Status);
        chain.Accept(Vote(chain, ClinicB, admit.ComputeId(Suite)));
        Assert.Equal(ProposalStatus.Executed, ProposalOf(chain, admit.ComputeId(Suite)).Status);
    }

    // Proves only org admins propose and vote: a doctor, a node and the consortium administrator are NotAuthorized.
    [Fact]
    public void ProposeAndVote_NonAdmins_AreNotAuthorized()
    {
        using var chain = FourOrganisations();
        var propose = chain.Sign(chain[HospitalA].Admin, TransactionType.OrganisationPropose, AdmitPayload(chain.NewKey(), chain.NewKey()).Encode());
        chain.Accept(propose);
        var doctor = chain.Doctor(ClinicB);
        foreach (var sender in new[] { doctor, chain[ClinicB].Node, chain.Admin })
        {
            chain.Refuse(chain.Sign(sender, TransactionType.OrganisationPropose, AdmitPayload(chain.NewKey(), chain.NewKey(), id: "other-g").Encode()), TransactionRejection.NotAuthorized);
            chain.Refuse(chain.Sign(sender, TransactionType.OrganisationVote, new OrganisationVotePayload(propose.ComputeId(Suite)).Encode()), TransactionRejection.NotAuthorized);
        }
    }

    // Proves the proposal rules: admitting an existing id or an administrator key already registered is
    // AlreadyExists; an invalid id, a missing name, kind or encryption key, an invalid admin key or empty admin name,
    // an unknown action and a removal with extra fields are InvalidPayload; removing an unknown organisation is NotFound.
    [Fact]
    public void Propose_InvalidProposals_AreRefused()
    {
        using var chain = ThreeOrganisations();
        var admin = chain[HospitalA].Admin;
        Transaction Propose(OrganisationProposePayload payload) => chain.Sign(admin, TransactionType.OrganisationPropose, payload.Encode());
        var valid = AdmitPayload(chain.NewKey(), chain.NewKey());

        chain.Refuse(Propose(valid with { Organisation = valid.Organisation with { Id = ClinicB } }), TransactionRejection.AlreadyExists);
        chain.Refuse(Propose(valid with { AdminPublicKey = chain[ClinicB].Node.PublicKey.ToArray() }), TransactionRejection.AlreadyExists);

        OrganisationProposePayload[] invalid =
        [
            valid with { Organisation = valid.Organisation with { Id = "Lab_E" } },
            valid with { Organisation = valid.Organisation with { Id = string.Empty } },
            valid with { Organisation = valid.Organisation with { Name = string.Empty } },
            valid with { Organisation = valid.Organisation with { Kind = OrganisationKind.None } },
            valid with { Organisation = valid.Organisation with { Kind = (OrganisationKind)9 } },
            valid with { Organisation = valid.Organisation with { EncryptionKey = [] } },
            valid with { AdminPublicKey = TestHex.Bytes("04" + TestHex.Repeat("c1", 64)) },
            valid with { AdminName = string.Empty },
            valid with { Action = MembershipAction.None },
            valid with { Action = (MembershipAction)3 },
            RemovePayload(ClinicB) with { AdminName = "x" },
            RemovePayload(ClinicB) with { Organisation = RemovePayload(ClinicB).Organisation with { Name = "x" } },
            RemovePayload(ClinicB) with { AdminPublicKey = [4] },
            RemovePayload(ClinicB) with { Organisation = RemovePayload(ClinicB).Organisation with { EncryptionKey = [4] } },
        ];
        foreach (var payload in invalid)
        {
            chain.Refuse(Propose(payload), TransactionRejection.InvalidPayload);
        }

        chain.Refuse(Propose(RemovePayload("no-such-org")), TransactionRejection.NotFound);
        chain.Refuse(chain.Sign(admin, TransactionType.OrganisationPropose, valid.Encode()[..^2]), TransactionRejection.InvalidPayload);
        chain.Accept(Propose(valid));
    }

    // Proves two open proposals to admit the same id cannot both take effect: once the first executed, the second
    // must be refused (or stay without effect) instead of admitting the id a second time, which today resets the
    // organisation and writes its id twice into chain/orgs, after which that list no longer decodes and every later
    // membership transaction fails.
    [Fact]
    public void Admit_TwoProposalsForTheSameId_SecondDoesNotReadmit()
    {
        using var chain = ThreeOrganisations();
        var first = chain.Sign(chain[HospitalA].Admin, TransactionType.OrganisationPropose, AdmitPayload(chain.NewKey(), chain.NewKey()).Encode());
        var second = chain.Sign(chain[ClinicB].Admin, TransactionType.OrganisationPropose, AdmitPayload(chain.NewKey(), chain.NewKey()).Encode());
        chain.Accept(first, second);
        chain.Accept(Vote(chain, RegulatorC, first.ComputeId(Suite)));
        var admitted = chain.Node.GetOrganisation(NewOrganisation)!;

        // Votes for the second proposal: clinic B's own and now hospital A's and regulator C's (3 of 4).
        chain.Run(null, Vote(chain, HospitalA, second.ComputeId(Suite)));
        chain.Run(null, Vote(chain, RegulatorC, second.ComputeId(Suite)));

        Assert.Equal(admitted.AdmittedHeight, chain.Node.GetOrganisation(NewOrganisation)!.AdmittedHeight);
        Assert.Equal([ClinicB, HospitalA, NewOrganisation, RegulatorC], OrganisationList.Decode(chain.Node.Query(StateKeys.Organisations())));
        chain.Accept(chain.Sign(chain[HospitalA].Admin, TransactionType.OrganisationPropose, AdmitPayload(chain.NewKey(), chain.NewKey(), id: "later-h").Encode()));
    }

    internal static OrganisationProposePayload AdmitPayload(Crypto.ISigningKey admin, Crypto.ISigningKey encryption, OrganisationKind kind = OrganisationKind.Clinic, string id = NewOrganisation) => new(
        MembershipAction.Admit,
        new Organisation(id, "Lab E", kind, "district", encryption.PublicKey.ToArray(), "https://lab-e.example", OrganisationStatus.None, 0),
        admin.PublicKey.ToArray(),
        "lab admin");

    internal static OrganisationProposePayload RemovePayload(string id) => new(
        MembershipAction.Remove,
        new Organisation(id, string.Empty, OrganisationKind.None, string.Empty, [], string.Empty, OrganisationStatus.None, 0),
        [],
        string.Empty);

    private static Transaction Vote(MedicalChain chain, string organisation, Hash proposalId) =>
        chain.Sign(chain[organisation].Admin, TransactionType.OrganisationVote, new OrganisationVotePayload(proposalId).Encode());

    private static MembershipProposal ProposalOf(MedicalChain chain, Hash proposalId) => MembershipProposal.Decode(chain.Node.Query(StateKeys.Proposal(proposalId)));
}
