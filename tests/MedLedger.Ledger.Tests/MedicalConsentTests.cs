using MedLedger.Core;
using MedLedger.Crypto;
using static MedLedger.Ledger.Tests.MedicalChain;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// Grants and revocations (SPEC F17) and the read policy built on them (<see cref="AccessPolicy"/>, SPEC F17–F19).
/// </summary>
public sealed class MedicalConsentTests : IDisposable
{
    private readonly MedicalChain _chain = FourOrganisations();
    private readonly ISigningKey _author;
    private readonly ISigningKey _patient;
    private readonly ISigningKey _reader;

    public MedicalConsentTests()
    {
        _author = _chain.Doctor(HospitalA);
        _patient = _chain.Patient(HospitalA);
        _reader = _chain.Doctor(ClinicB);
    }

    private Hash PatientId => IdOf(_patient);

    public void Dispose() => _chain.Dispose();

    // Proves a patient grants to a user, an organisation and a role; each grant is stored under its transaction id
    // with its terms and height, not revoked, and listed in the patient's grant list in order.
    [Fact]
    public void Grant_ToUserOrganisationRole_IsStoredAndListed()
    {
        ConsentGrantPayload[] terms =
        [
            Terms(PatientId, GrantActor.ForUser(IdOf(_reader)), GrantActions.Read | GrantActions.Append, categories: [RecordCategory.Laboratory, RecordCategory.Imaging], tiers: [SensitivityTier.GeneralClinical, SensitivityTier.Sensitive]),
            Terms(PatientId, GrantActor.ForOrganisation(ClinicB), purpose: AccessPurpose.Emergency),
            Terms(PatientId, GrantActor.ForRole(AccountRole.InsurerAgent), purpose: AccessPurpose.Insurance, records: [_chain.NextHash("record"), _chain.NextHash("record")]),
        ];
        var ids = new List<Hash>();
        foreach (var term in terms)
        {
            var transaction = _chain.GrantTransaction(_patient, term);
            var block = _chain.Accept(transaction);
            var id = transaction.ComputeId(Suite);
            ids.Add(id);
            var grant = _chain.Node.GetGrant(id)!;
            Assert.Equal(TestHex.Of(new Grant(id, term, block.Header.Height, 0, 0).Encode()), TestHex.Of(grant.Encode()));
            Assert.False(grant.IsRevoked);
        }

        Assert.Equal(ids, HashList.Decode(_chain.Node.Query(StateKeys.PatientGrants(PatientId)), Limits.MaxGrantsPerPatient));
        Assert.Equal(ids, AccessPolicy.GrantsOf(_chain.State, PatientId).Select(g => g.Id));
    }

    // Proves only the patient grants: a doctor, another patient naming this patient, and the org admin are
    // NotAuthorized.
    [Fact]
    public void Grant_NotByThePatient_IsNotAuthorized()
    {
        var otherPatient = _chain.Patient(HospitalA);
        foreach (var sender in new[] { _author, otherPatient, _chain[HospitalA].Admin })
        {
            _chain.Refuse(_chain.GrantTransaction(sender, Terms(PatientId, GrantActor.ForUser(IdOf(_reader)))), TransactionRejection.NotAuthorized);
        }
    }

    // Proves the grantee must exist: an unknown or revoked user, an unknown organisation, and the roles None,
    // Patient, Node, Administrator, Member or an undefined role are NotFound; the grantable roles are accepted.
    [Fact]
    public void Grant_UnknownGrantee_IsNotFound()
    {
        var revoked = _chain.Doctor(ClinicB);
        _chain.Accept(_chain.RevokeTransaction(_chain[ClinicB].Admin, IdOf(revoked)));
        GrantActor[] actors =
        [
            GrantActor.ForUser(_chain.NextHash("nobody")),
            GrantActor.ForUser(IdOf(revoked)),
            GrantActor.ForOrganisation("no-such-org"),
            GrantActor.ForRole(AccountRole.None),
            GrantActor.ForRole(AccountRole.Patient),
            GrantActor.ForRole(AccountRole.Node),
            GrantActor.ForRole(AccountRole.Administrator),
            GrantActor.ForRole(AccountRole.Member),
            GrantActor.ForRole((AccountRole)50),
        ];
        foreach (var actor in actors)
        {
            _chain.Refuse(_chain.GrantTransaction(_patient, Terms(PatientId, actor)), TransactionRejection.NotFound);
        }

        foreach (var role in new[] { AccountRole.Doctor, AccountRole.OrgAdmin, AccountRole.Auditor, AccountRole.Researcher, AccountRole.InsurerAgent })
        {
            _chain.Grant(_patient, Terms(PatientId, GrantActor.ForRole(role)));
        }
    }

    // Proves the grant's terms are checked: no actions or unknown action bits, no or unknown purpose, unknown or
    // repeated categories, no / None / repeated / undefined tiers, repeated or zero records, append with single
    // records, and an end not after the start are InvalidPayload; an end at or before the block time is
    // TimeOutOfWindow.
    [Fact]
    public void Grant_InvalidTerms_AreRefused()
    {
        var valid = Terms(PatientId, GrantActor.ForUser(IdOf(_reader)));
        var record = _chain.NextHash("record");
        ConsentGrantPayload[] invalid =
        [
            valid with { Actions = GrantActions.None },
            valid with { Actions = (GrantActions)4 },
            valid with { Actions = GrantActions.Read | (GrantActions)8 },
            valid with { Purpose = AccessPurpose.None },
            valid with { Purpose = (AccessPurpose)6 },
            valid with { Categories = [RecordCategory.None] },
            valid with { Categories = [(RecordCategory)40] },
            valid with { Categories = [RecordCategory.Allergy, RecordCategory.Allergy] },
            valid with { Tiers = [] },
            valid with { Tiers = [SensitivityTier.None] },
            valid with { Tiers = [(SensitivityTier)7] },
            valid with { Tiers = [SensitivityTier.Identity, SensitivityTier.Identity] },
            valid with { Records = [record, record] },
            valid with { Records = [Hash.Zero] },
            valid with { Actions = GrantActions.Append, Records = [record] },
            valid with { Actions = GrantActions.Read | GrantActions.Append, Records = [record] },
            valid with { ValidUntilUnixMilliseconds = valid.ValidFromUnixMilliseconds },
            valid with { ValidUntilUnixMilliseconds = valid.ValidFromUnixMilliseconds - 1 },
        ];
        foreach (var terms in invalid)
        {
            _chain.Refuse(_chain.GrantTransaction(_patient, terms), TransactionRejection.InvalidPayload);
        }

        var time = _chain.NextTime;
        _chain.Refuse(_chain.GrantTransaction(_patient, valid with { ValidFromUnixMilliseconds = time - Day, ValidUntilUnixMilliseconds = time }), TransactionRejection.TimeOutOfWindow, time);
        _chain.Refuse(_chain.GrantTransaction(_patient, valid with { ValidFromUnixMilliseconds = time - Day, ValidUntilUnixMilliseconds = time - 1 }), TransactionRejection.TimeOutOfWindow, time);
        _chain.AcceptAt(time, _chain.GrantTransaction(_patient, valid with { ValidFromUnixMilliseconds = time - Day, ValidUntilUnixMilliseconds = time + 1 }));
    }

    // Proves revocation: only the granting patient revokes (the grantee, another patient and a doctor are
    // NotAuthorized), it records the height and block time, a second revocation is AlreadyExists and an unknown grant
    // is NotFound.
    [Fact]
    public void Revoke_OnlyByThePatientAndOnce()
    {
        var grant = _chain.Grant(_patient, Terms(PatientId, GrantActor.ForUser(IdOf(_reader))));
        foreach (var sender in new[] { _reader, _chain.Patient(HospitalA), _author })
        {
            _chain.Refuse(_chain.RevokeGrantTransaction(sender, grant), TransactionRejection.NotAuthorized);
        }

        var block = _chain.Accept(_chain.RevokeGrantTransaction(_patient, grant));
        var revoked = _chain.Node.GetGrant(grant)!;
        Assert.Equal((block.Header.Height, block.Header.TimeUnixMilliseconds), (revoked.RevokedHeight, revoked.RevokedUnixMilliseconds));
        Assert.True(revoked.IsRevoked);
        Assert.False(revoked.IsInForce(block.Header.TimeUnixMilliseconds));
        _chain.Refuse(_chain.RevokeGrantTransaction(_patient, grant), TransactionRejection.AlreadyExists);
        _chain.Refuse(_chain.RevokeGrantTransaction(_patient, _chain.NextHash("no grant")), TransactionRejection.NotFound);
    }

    // Proves the patient reads every tier of their record and the author reads what they wrote, without grants.
    [Fact]
    public void DecideRead_PatientAndAuthor_ReadAllTiers()
    {
        var recordId = _chain.AnchorRecord(_author, _patient, HospitalA, tiers: [SensitivityTier.Identity, SensitivityTier.GeneralClinical, SensitivityTier.Sensitive]);
        foreach (var reader in new[] { _patient, _author })
        {
            var decision = _chain.DecideRead(reader, recordId);
            Assert.True(decision.IsAllowed);
            Assert.Equal([SensitivityTier.Identity, SensitivityTier.GeneralClinical, SensitivityTier.Sensitive], decision.Tiers);
            Assert.Equal((Hash.Zero, AccessPurpose.Treatment), (decision.GrantId, decision.Purpose));
        }

        Assert.Equal(AccessPurpose.Emergency, _chain.DecideRead(_patient, recordId, AccessPurpose.Emergency).Purpose);
        Assert.Equal(AccessDenialReason.NoGrant, _chain.DecideRead(_chain.Doctor(HospitalA), recordId).Reason);
    }

    // Proves a grant gives exactly the tiers it names (intersected with the record's), and that with several grants
    // the one giving the most tiers is used.
    [Fact]
    public void DecideRead_Grant_GivesOnlyTheGrantedTiers()
    {
        var recordId = _chain.AnchorRecord(_author, _patient, HospitalA, tiers: [SensitivityTier.Identity, SensitivityTier.GeneralClinical, SensitivityTier.Sensitive]);
        var narrow = _chain.Grant(_patient, Terms(PatientId, GrantActor.ForUser(IdOf(_reader)), tiers: [SensitivityTier.GeneralClinical]));
        var decision = _chain.DecideRead(_reader, recordId);
        Assert.True(decision.IsAllowed);
        Assert.Equal([SensitivityTier.GeneralClinical], decision.Tiers);
        Assert.Equal((narrow, AccessPurpose.Treatment), (decision.GrantId, decision.Purpose));

        var wide = _chain.Grant(_patient, Terms(PatientId, GrantActor.ForOrganisation(ClinicB), tiers: [SensitivityTier.Sensitive, SensitivityTier.GeneralClinical]));
        decision = _chain.DecideRead(_reader, recordId);
        Assert.Equal([SensitivityTier.GeneralClinical, SensitivityTier.Sensitive], decision.Tiers);
        Assert.Equal(wide, decision.GrantId);

        // A grant whose tiers the record lacks gives nothing.
        var other = _chain.Doctor(HospitalA);
        var generalOnly = _chain.AnchorRecord(_author, _patient, HospitalA, tiers: [SensitivityTier.GeneralClinical]);
        _chain.Grant(_patient, Terms(PatientId, GrantActor.ForUser(IdOf(other)), tiers: [SensitivityTier.Identity]));
        Assert.Equal(AccessDenialReason.NoGrant, _chain.DecideRead(other, generalOnly).Reason);
    }

    // Proves the scope of a grant: category lists cover only those categories, a single-record grant only that record,
    // and a role grant covers every user of that role (but not other roles).
    [Fact]
    public void DecideRead_CategoryRecordAndRoleScope()
    {
        var laboratory = _chain.AnchorRecord(_author, _patient, HospitalA, RecordCategory.Laboratory);
        var imaging = _chain.AnchorRecord(_author, _patient, HospitalA, RecordCategory.Imaging);
        _chain.Grant(_patient, Terms(PatientId, GrantActor.ForUser(IdOf(_reader)), categories: [RecordCategory.Laboratory]));
        Assert.True(_chain.DecideRead(_reader, laboratory).IsAllowed);
        Assert.Equal(AccessDenialReason.NoGrant, _chain.DecideRead(_reader, imaging).Reason);

        var single = _chain.Doctor(ClinicB);
        _chain.Grant(_patient, Terms(PatientId, GrantActor.ForUser(IdOf(single)), records: [imaging]));
        Assert.True(_chain.DecideRead(single, imaging).IsAllowed);
        Assert.Equal(AccessDenialReason.NoGrant, _chain.DecideRead(single, laboratory).Reason);

        var agent = _chain.Register(_chain[InsurerD].Admin, AccountRole.InsurerAgent, InsurerD);
        Assert.Equal(AccessDenialReason.NoGrant, _chain.DecideRead(agent, laboratory).Reason);
        var roleGrant = _chain.Grant(_patient, Terms(PatientId, GrantActor.ForRole(AccountRole.InsurerAgent), purpose: AccessPurpose.Insurance, categories: [RecordCategory.Laboratory]));
        var decision = _chain.DecideRead(agent, laboratory);
        Assert.True(decision.IsAllowed);
        Assert.Equal((roleGrant, AccessPurpose.Insurance), (decision.GrantId, decision.Purpose));
        Assert.Equal(AccessDenialReason.NoGrant, _chain.DecideRead(_chain.Doctor(HospitalA), imaging).Reason);
    }

    // Proves a stated purpose must match the grant's: the same grant allows a read for its purpose or for None (any),
    // and is NoGrant for another purpose.
    [Fact]
    public void DecideRead_PurposeMismatch_IsNoGrant()
    {
        var recordId = _chain.AnchorRecord(_author, _patient, HospitalA);
        _chain.Grant(_patient, Terms(PatientId, GrantActor.ForUser(IdOf(_reader)), purpose: AccessPurpose.Treatment));
        Assert.True(_chain.DecideRead(_reader, recordId, AccessPurpose.Treatment).IsAllowed);
        Assert.True(_chain.DecideRead(_reader, recordId, AccessPurpose.None).IsAllowed);
        var denied = _chain.DecideRead(_reader, recordId, AccessPurpose.Research);
        Assert.Equal((AccessOutcome.Denied, AccessDenialReason.NoGrant, AccessPurpose.Research), (denied.Outcome, denied.Reason, denied.Purpose));
        Assert.Empty(denied.Tiers);
    }

    // Proves time: a grant is in force from its start to its end inclusive; before it or after it the read is
    // GrantExpired; a revoked grant is GrantRevoked; an append-only grant gives no read.
    [Fact]
    public void DecideRead_ExpiredRevokedOrAppendOnly_AreDenied()
    {
        var recordId = _chain.AnchorRecord(_author, _patient, HospitalA);
        var from = _chain.NextTime + Day;
        var until = from + Day;
        _chain.Grant(_patient, Terms(PatientId, GrantActor.ForUser(IdOf(_reader)), from: from, until: until));
        Assert.Equal(AccessDenialReason.GrantExpired, _chain.DecideRead(_reader, recordId, at: from - 1).Reason);
        Assert.True(_chain.DecideRead(_reader, recordId, at: from).IsAllowed);
        Assert.True(_chain.DecideRead(_reader, recordId, at: until).IsAllowed);
        Assert.Equal(AccessDenialReason.GrantExpired, _chain.DecideRead(_reader, recordId, at: until + 1).Reason);

        var other = _chain.Doctor(ClinicB);
        var grant = _chain.Grant(_patient, Terms(PatientId, GrantActor.ForUser(IdOf(other))));
        _chain.Accept(_chain.RevokeGrantTransaction(_patient, grant));
        Assert.Equal(AccessDenialReason.GrantRevoked, _chain.DecideRead(other, recordId).Reason);

        var appender = _chain.Doctor(ClinicB);
        _chain.Grant(_patient, Terms(PatientId, GrantActor.ForUser(IdOf(appender)), GrantActions.Append));
        Assert.Equal(AccessDenialReason.NoGrant, _chain.DecideRead(appender, recordId).Reason);
    }

    // Proves auditors, researchers, org admins, nodes and other patients never read content (RoleNotPermitted), even
    // under a grant naming their role; a revoked reader is ActorRevoked; an erased record is Erased, even for the
    // patient.
    [Fact]
    public void DecideRead_RolesRevokedReadersAndErasedRecords_AreDenied()
    {
        var recordId = _chain.AnchorRecord(_author, _patient, HospitalA);
        var auditor = _chain.Register(_chain[RegulatorC].Admin, AccountRole.Auditor, RegulatorC);
        _chain.Grant(_patient, Terms(PatientId, GrantActor.ForRole(AccountRole.Auditor), purpose: AccessPurpose.Audit));
        _chain.Grant(_patient, Terms(PatientId, GrantActor.ForOrganisation(HospitalA)));
        foreach (var reader in new[] { auditor, _chain[HospitalA].Admin, _chain[HospitalA].Node, _chain.Patient(HospitalA) })
        {
            Assert.Equal(AccessDenialReason.RoleNotPermitted, _chain.DecideRead(reader, recordId).Reason);
        }

        var researcherAccount = new Account(_chain.NewKey().PublicKey.ToArray(), AccountRole.Researcher, "r", 0, 1, false);
        var record = _chain.Node.GetRecord(recordId)!;
        Assert.Equal(AccessDenialReason.RoleNotPermitted, AccessPolicy.DecideRead(_chain.State, _chain.NextHash("r"), researcherAccount, record, AccessPurpose.Research, _chain.NextTime).Reason);

        _chain.Grant(_patient, Terms(PatientId, GrantActor.ForUser(IdOf(_reader))));
        Assert.True(_chain.DecideRead(_reader, recordId).IsAllowed);
        _chain.Accept(_chain.RevokeTransaction(_chain[ClinicB].Admin, IdOf(_reader)));
        Assert.Equal(AccessDenialReason.ActorRevoked, _chain.DecideRead(_reader, recordId).Reason);

        _chain.Accept(_chain.Sign(_patient, TransactionType.RecordErase, new RecordErasePayload(recordId).Encode()));
        Assert.Equal(AccessDenialReason.Erased, _chain.DecideRead(_patient, recordId).Reason);
        Assert.Equal(AccessDenialReason.Erased, _chain.DecideRead(_author, recordId).Reason);
    }

    // Proves HasGrantInForce (what lets a doctor find a patient in the EMPI): true only for a grantee of a grant in
    // force, false after revocation, false for others.
    [Fact]
    public void HasGrantInForce_FollowsGrantAndRevocation()
    {
        var grant = _chain.Grant(_patient, Terms(PatientId, GrantActor.ForUser(IdOf(_reader)), GrantActions.Append));
        var time = _chain.Node.LastTimeUnixMilliseconds;
        Assert.True(AccessPolicy.HasGrantInForce(_chain.State, IdOf(_reader), _chain.AccountOf(_reader), PatientId, time));
        Assert.False(AccessPolicy.HasGrantInForce(_chain.State, IdOf(_author), _chain.AccountOf(_author), PatientId, time));
        _chain.Accept(_chain.RevokeGrantTransaction(_patient, grant));
        Assert.False(AccessPolicy.HasGrantInForce(_chain.State, IdOf(_reader), _chain.AccountOf(_reader), PatientId, _chain.Node.LastTimeUnixMilliseconds));
    }

    // Proves the per-patient cap: 1. MaxGrantsPerPatient grants fill the list; 2. one more is InvalidPayload;
    // 3. after revoking one, the next grant prunes the revoked grant from the list and takes its place; 4. after
    // some grants end, the next grant prunes every ended grant.
    [Fact]
    public void Grant_ListCap_PrunesRevokedAndEndedGrantsAndRefusesBeyond()
    {
        var readerActor = GrantActor.ForUser(IdOf(_reader));
        var time = _chain.NextTime;
        var shortLived = time + (5 * BlockIntervalMilliseconds);
        var transactions = Enumerable.Range(0, Limits.MaxGrantsPerPatient)
            .Select(i => _chain.GrantTransaction(_patient, Terms(PatientId, readerActor, until: i < 3 ? shortLived : GenesisTime + (30 * Day)) with { Records = [_chain.NextHash("cap")] }))
            .ToArray();

        // 1.
        _chain.Accept(transactions);
        var ids = transactions.Select(t => t.ComputeId(Suite)).ToList();
        Assert.Equal(ids, ListOf(PatientId));

        // 2.
        _chain.Refuse(_chain.GrantTransaction(_patient, Terms(PatientId, readerActor)), TransactionRejection.InvalidPayload);

        // 3.
        _chain.Accept(_chain.RevokeGrantTransaction(_patient, ids[10]));
        var replacement = _chain.GrantTransaction(_patient, Terms(PatientId, readerActor));
        _chain.Accept(replacement);
        Assert.Equal([.. ids.Where((_, i) => i != 10), replacement.ComputeId(Suite)], ListOf(PatientId));
        Assert.NotNull(_chain.Node.GetGrant(ids[10]));
        _chain.Refuse(_chain.GrantTransaction(_patient, Terms(PatientId, readerActor)), TransactionRejection.InvalidPayload);

        // 4.
        var later = _chain.GrantTransaction(_patient, Terms(PatientId, readerActor));
        _chain.AcceptAt(shortLived + 1, later);
        Assert.Equal([.. ids.Skip(3).Where((_, i) => i != 7), replacement.ComputeId(Suite), later.ComputeId(Suite)], ListOf(PatientId));
    }

    private List<Hash> ListOf(Hash patient) => HashList.Decode(_chain.Node.Query(StateKeys.PatientGrants(patient)), Limits.MaxGrantsPerPatient);
}
