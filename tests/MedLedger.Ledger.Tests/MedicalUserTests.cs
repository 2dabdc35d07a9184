using static MedLedger.Ledger.Tests.MedicalChain;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// Users of member organisations (SPEC F3): who registers whom, which roles fit which organisation kind, names and
/// pseudonyms, revocation by org admins, and key rotation with proof of possession.
/// </summary>
public sealed class MedicalUserTests : IDisposable
{
    private readonly MedicalChain _chain = ThreeOrganisations();

    public void Dispose() => _chain.Dispose();

    // Proves an org admin registers a doctor, a patient (no name), a node and another org admin of its own
    // organisation; each account holds role, organisation, name, nonce 0 and the height, and user/ names its own key.
    [Fact]
    public void UserRegister_OrgAdminOwnOrganisation_RegistersEachStaffRole()
    {
        var admin = _chain[HospitalA].Admin;
        var doctor = _chain.NewKey();
        var patient = _chain.NewKey();
        var node = _chain.NewKey();
        var secondAdmin = _chain.NewKey();
        var proposal = _chain.Accept(
            _chain.RegisterTransaction(admin, doctor, AccountRole.Doctor, HospitalA, "Dr Ada"),
            _chain.RegisterTransaction(admin, patient, AccountRole.Patient, HospitalA, string.Empty),
            _chain.RegisterTransaction(admin, node, AccountRole.Node, HospitalA, "node 2"),
            _chain.RegisterTransaction(admin, secondAdmin, AccountRole.OrgAdmin, HospitalA, "deputy"));

        var height = proposal.Header.Height;
        Assert.Equal(new Account(doctor.PublicKey.ToArray(), AccountRole.Doctor, "Dr Ada", 0, height, false, HospitalA).Encode(), _chain.AccountOf(doctor).Encode());
        Assert.Equal(new Account(patient.PublicKey.ToArray(), AccountRole.Patient, string.Empty, 0, height, false, HospitalA).Encode(), _chain.AccountOf(patient).Encode());
        Assert.Equal(AccountRole.Node, _chain.AccountOf(node).Role);
        Assert.Equal(AccountRole.OrgAdmin, _chain.AccountOf(secondAdmin).Role);
        foreach (var key in new[] { doctor, patient, node, secondAdmin })
        {
            Assert.Equal(IdOf(key), _chain.Node.GetCurrentKey(IdOf(key)));
        }

        Assert.Equal(4UL, _chain.AccountOf(admin).Nonce);

        // The second org admin acts at once.
        _chain.Register(secondAdmin, AccountRole.Doctor, HospitalA);
    }

    // Proves the role/kind matrix: doctors and patients only at hospitals, clinics and elderly care; auditors only
    // at a regulator; researchers only at a research institute; insurer agents only at an insurer. A misfit is
    // InvalidPayload even from the organisation's own admin.
    [Fact]
    public void UserRegister_RoleMustFitOrganisationKind()
    {
        using var chain = new MedicalChain(
            ("hosp", OrganisationKind.Hospital),
            ("clin", OrganisationKind.Clinic),
            ("care", OrganisationKind.ElderlyCare),
            ("insu", OrganisationKind.Insurer),
            ("rese", OrganisationKind.ResearchInstitute),
            ("regu", OrganisationKind.Regulator));
        var fits = new Dictionary<AccountRole, OrganisationKind[]>
        {
            [AccountRole.Doctor] = [OrganisationKind.Hospital, OrganisationKind.Clinic, OrganisationKind.ElderlyCare],
            [AccountRole.Patient] = [OrganisationKind.Hospital, OrganisationKind.Clinic, OrganisationKind.ElderlyCare],
            [AccountRole.Auditor] = [OrganisationKind.Regulator],
            [AccountRole.Researcher] = [OrganisationKind.ResearchInstitute],
            [AccountRole.InsurerAgent] = [OrganisationKind.Insurer],
            [AccountRole.OrgAdmin] = Enum.GetValues<OrganisationKind>()[1..],
            [AccountRole.Node] = Enum.GetValues<OrganisationKind>()[1..],
        };
        foreach (var id in new[] { "hosp", "clin", "care", "insu", "rese", "regu" })
        {
            var organisation = chain[id];
            foreach (var (role, kinds) in fits)
            {
                var transaction = chain.RegisterTransaction(organisation.Admin, chain.NewKey(), role, id);
                if (kinds.Contains(organisation.Kind))
                {
                    chain.Accept(transaction);
                }
                else
                {
                    chain.Refuse(transaction, TransactionRejection.InvalidPayload);
                }
            }
        }
    }

    // Proves the consortium administrator may register any fitting role (Member included) in any organisation, while
    // an org admin may not register a Member, and nobody registers Administrator, None or an undefined role.
    [Fact]
    public void UserRegister_RolesAllowedPerRegistrar()
    {
        _chain.Register(_chain.Admin, AccountRole.Doctor, ClinicB);
        _chain.Register(_chain.Admin, AccountRole.Member, HospitalA);
        _chain.Register(_chain.Admin, AccountRole.Auditor, RegulatorC);

        var orgAdmin = _chain[HospitalA].Admin;
        _chain.Refuse(_chain.RegisterTransaction(orgAdmin, _chain.NewKey(), AccountRole.Member, HospitalA), TransactionRejection.NotAuthorized);
        foreach (var registrar in new[] { orgAdmin, _chain.Admin })
        {
            foreach (var role in new[] { AccountRole.Administrator, AccountRole.None, (AccountRole)42 })
            {
                _chain.Refuse(_chain.RegisterTransaction(registrar, _chain.NewKey(), role, HospitalA), TransactionRejection.InvalidPayload);
            }
        }
    }

    // Proves a doctor registers patients of its own organisation only: not of another organisation, and no other role.
    [Fact]
    public void UserRegister_Doctor_RegistersOnlyPatientsOfItsOrganisation()
    {
        var doctor = _chain.Doctor(HospitalA);
        var patient = _chain.Register(doctor, AccountRole.Patient, HospitalA);
        Assert.Equal(AccountRole.Patient, _chain.AccountOf(patient).Role);

        _chain.Refuse(_chain.RegisterTransaction(doctor, _chain.NewKey(), AccountRole.Patient, ClinicB), TransactionRejection.NotAuthorized);
        foreach (var role in new[] { AccountRole.Doctor, AccountRole.Node, AccountRole.OrgAdmin, AccountRole.Auditor })
        {
            _chain.Refuse(_chain.RegisterTransaction(doctor, _chain.NewKey(), role, HospitalA), TransactionRejection.NotAuthorized);
        }
    }

    // Proves an org admin cannot register users of another organisation, and that patients, nodes, auditors and the
    // genesis Member-less roles cannot register anyone.
    [Fact]
    public void UserRegister_CrossOrganisationOrUnprivilegedSender_IsNotAuthorized()
    {
        _chain.Refuse(_chain.RegisterTransaction(_chain[HospitalA].Admin, _chain.NewKey(), AccountRole.Doctor, ClinicB), TransactionRejection.NotAuthorized);
        _chain.Refuse(_chain.RegisterTransaction(_chain[ClinicB].Admin, _chain.NewKey(), AccountRole.Patient, HospitalA), TransactionRejection.NotAuthorized);

        var patient = _chain.Patient(HospitalA);
        var auditor = _chain.Register(_chain[RegulatorC].Admin, AccountRole.Auditor, RegulatorC);
        foreach (var sender in new[] { patient, auditor, _chain[HospitalA].Node })
        {
            _chain.Refuse(_chain.RegisterTransaction(sender, _chain.NewKey(), AccountRole.Patient, HospitalA), TransactionRejection.NotAuthorized);
        }
    }

    // Proves a patient is registered without a name (a pseudonym, SPEC F5) and everyone else with one.
    [Fact]
    public void UserRegister_NameRules_PatientEmptyOthersNamed()
    {
        var admin = _chain[HospitalA].Admin;
        _chain.Refuse(_chain.RegisterTransaction(admin, _chain.NewKey(), AccountRole.Patient, HospitalA, "Jane Doe"), TransactionRejection.InvalidPayload);
        _chain.Refuse(_chain.RegisterTransaction(admin, _chain.NewKey(), AccountRole.Doctor, HospitalA, string.Empty), TransactionRejection.InvalidPayload);
        _chain.Refuse(_chain.RegisterTransaction(admin, _chain.NewKey(), AccountRole.Node, HospitalA, string.Empty), TransactionRejection.InvalidPayload);
    }

    // Proves registering a key that is already an account (a genesis org admin, a registered patient, the
    // consortium administrator) is AlreadyExists, and an unknown or removed organisation is NotFound.
    [Fact]
    public void UserRegister_ExistingKeyOrUnknownOrganisation_IsRefused()
    {
        var admin = _chain[HospitalA].Admin;
        var patient = _chain.Patient(HospitalA);
        foreach (var existing in new[] { patient, _chain[ClinicB].Admin, _chain.Admin })
        {
            _chain.Refuse(_chain.RegisterTransaction(admin, existing, AccountRole.Patient, HospitalA), TransactionRejection.AlreadyExists);
        }

        _chain.Refuse(_chain.RegisterTransaction(_chain.Admin, _chain.NewKey(), AccountRole.Doctor, "no-such-org"), TransactionRejection.NotFound);
    }

    // Proves an invalid public key (not a curve point, empty) and an undecodable payload are InvalidPayload.
    [Fact]
    public void UserRegister_InvalidKeyOrPayload_IsInvalidPayload()
    {
        var admin = _chain[HospitalA].Admin;
        byte[][] badKeys = [[], TestHex.Bytes("04" + TestHex.Repeat("c1", 64)), [0x04]];
        foreach (var key in badKeys)
        {
            _chain.Refuse(_chain.Sign(admin, TransactionType.UserRegister, new UserRegisterPayload(key, AccountRole.Doctor, HospitalA, "Dr X").Encode()), TransactionRejection.InvalidPayload);
        }

        var valid = UserPayload(_chain.NewKey(), AccountRole.Doctor, HospitalA, "Dr Y");
        _chain.Refuse(_chain.Sign(admin, TransactionType.UserRegister, valid[..^1]), TransactionRejection.InvalidPayload);
        _chain.Refuse(_chain.Sign(admin, TransactionType.UserRegister, [.. valid, 0]), TransactionRejection.InvalidPayload);
    }

    // Proves an org admin revokes a user of its own organisation; the revoked user's next transaction is
    // SenderRevoked at admission and in a block; a second revocation is AlreadyExists.
    [Fact]
    public void AccountRevoke_OrgAdminOwnUser_RevokesAndLaterTransactionsAreSenderRevoked()
    {
        var admin = _chain[HospitalA].Admin;
        var doctor = _chain.Doctor(HospitalA);
        _chain.Accept(_chain.RevokeTransaction(admin, IdOf(doctor)));

        var account = _chain.AccountOf(doctor);
        Assert.True(account.Revoked);
        Assert.False(account.IsActive);
        _chain.RefuseAtAdmission(_chain.RegisterTransaction(doctor, _chain.NewKey(), AccountRole.Patient, HospitalA), TransactionRejection.SenderRevoked);
        _chain.RefuseAtAdmission(_chain.RotateTransaction(doctor, _chain.NewKey()), TransactionRejection.SenderRevoked);
        _chain.Refuse(_chain.RevokeTransaction(admin, IdOf(doctor)), TransactionRejection.AlreadyExists);
    }

    // Proves an org admin revokes only within its organisation: not another organisation's users, not another
    // organisation's admin, not the consortium administrator; doctors and nodes revoke nobody; unknown accounts are
    // NotFound and revoking oneself is InvalidPayload. The consortium administrator revokes anyone's user.
    [Fact]
    public void AccountRevoke_OutsideOwnOrganisationOrUnprivileged_IsRefused()
    {
        var admin = _chain[HospitalA].Admin;
        var otherDoctor = _chain.Doctor(ClinicB);
        var doctor = _chain.Doctor(HospitalA);
        _chain.Refuse(_chain.RevokeTransaction(admin, IdOf(otherDoctor)), TransactionRejection.NotAuthorized);
        _chain.Refuse(_chain.RevokeTransaction(admin, _chain[ClinicB].AdminId), TransactionRejection.NotAuthorized);
        _chain.Refuse(_chain.RevokeTransaction(admin, _chain.AdminId), TransactionRejection.NotAuthorized);
        _chain.Refuse(_chain.RevokeTransaction(doctor, IdOf(_chain.Patient(HospitalA))), TransactionRejection.NotAuthorized);
        _chain.Refuse(_chain.RevokeTransaction(_chain[HospitalA].Node, IdOf(doctor)), TransactionRejection.NotAuthorized);
        _chain.Refuse(_chain.RevokeTransaction(admin, _chain.NextHash("nobody")), TransactionRejection.NotFound);
        _chain.Refuse(_chain.RevokeTransaction(admin, _chain[HospitalA].AdminId), TransactionRejection.InvalidPayload);

        _chain.Accept(_chain.RevokeTransaction(_chain.Admin, IdOf(otherDoctor)));
        Assert.True(_chain.AccountOf(otherDoctor).Revoked);
        Assert.False(_chain.AccountOf(doctor).Revoked);
    }

    // Proves key rotation: 1. the rotation is accepted; 2. the old account keeps its fields, gains the successor and
    // the rotation's nonce; 3. the new account keeps role, organisation and name, starts at nonce 0 at this height
    // and carries the user id; 4. user/ names the new key; 5. the old key is SenderRotated; 6. the new key's first
    // transaction (nonce 1) is accepted.
    [Fact]
    public void KeyRotate_ValidProof_MovesTheUserToTheNewKey()
    {
        var doctor = _chain.Doctor(HospitalA);
        var before = _chain.AccountOf(doctor);
        var newKey = _chain.NewKey();

        // 1.
        var proposal = _chain.Accept(_chain.RotateTransaction(doctor, newKey));

        // 2.
        var old = _chain.AccountOf(doctor);
        Assert.Equal(before with { Successor = IdOf(newKey), Nonce = 1 }, old with { PublicKey = before.PublicKey });
        Assert.False(old.IsActive);

        // 3.
        var current = _chain.AccountOf(newKey);
        Assert.Equal(
            new Account(newKey.PublicKey.ToArray(), AccountRole.Doctor, before.Name, 0, proposal.Header.Height, false, HospitalA, IdOf(doctor)).Encode(),
            current.Encode());
        Assert.Equal(IdOf(doctor), current.EffectiveUserId(IdOf(newKey)));

        // 4.
        Assert.Equal(IdOf(newKey), _chain.Node.GetCurrentKey(IdOf(doctor)));

        // 5.
        _chain.RefuseAtAdmission(_chain.RegisterTransaction(doctor, _chain.NewKey(), AccountRole.Patient, HospitalA), TransactionRejection.SenderRotated);

        // 6.
        var first = Transaction.Create(Suite, newKey, ChainId, TransactionType.UserRegister, 1, _chain.Node.Height + 10, UserPayload(_chain.NewKey(), AccountRole.Patient, HospitalA, string.Empty));
        _chain.Accept(first);
    }

    // Proves a second rotation keeps the original user id (not the intermediate key's id) and moves user/ again.
    [Fact]
    public void KeyRotate_Twice_KeepsTheOriginalUserId()
    {
        var patient = _chain.Patient(HospitalA);
        var second = _chain.NewKey();
        var third = _chain.NewKey();
        _chain.Accept(_chain.RotateTransaction(patient, second));
        _chain.Accept(_chain.RotateTransaction(second, third));

        Assert.Equal(IdOf(patient), _chain.AccountOf(third).UserId);
        Assert.Equal(IdOf(third), _chain.AccountOf(second).Successor);
        Assert.Equal(IdOf(third), _chain.Node.GetCurrentKey(IdOf(patient)));
        Assert.Null(_chain.Node.Query(StateKeys.UserKey(IdOf(second))));
        Assert.Equal(AccountRole.Patient, _chain.AccountOf(third).Role);
        Assert.Equal(string.Empty, _chain.AccountOf(third).Name);
    }

    // Proves a proof of possession that does not verify — signed by another key, over another chain id, over another
    // key id, empty, or by the old key itself — is InvalidPayloadSignature at admission and in a block.
    [Fact]
    public void KeyRotate_ForgedProof_IsInvalidPayloadSignature()
    {
        var doctor = _chain.Doctor(HospitalA);
        var newKey = _chain.NewKey();
        var other = _chain.NewKey();
        byte[][] proofs =
        [
            other.Sign(KeyRotatePayload.EncodeProofBytes(ChainId, IdOf(doctor))),
            newKey.Sign(KeyRotatePayload.EncodeProofBytes("medledger-other", IdOf(doctor))),
            newKey.Sign(KeyRotatePayload.EncodeProofBytes(ChainId, IdOf(other))),
            doctor.Sign(KeyRotatePayload.EncodeProofBytes(ChainId, IdOf(doctor))),
            [],
        ];
        foreach (var proof in proofs)
        {
            var transaction = _chain.Sign(doctor, TransactionType.KeyRotate, new KeyRotatePayload(newKey.PublicKey.ToArray(), proof).Encode());
            _chain.RefuseAtAdmission(transaction, TransactionRejection.InvalidPayloadSignature);
        }

        // A key that is not a curve point cannot prove anything either.
        var badKey = _chain.Sign(doctor, TransactionType.KeyRotate, new KeyRotatePayload(TestHex.Bytes("04" + TestHex.Repeat("c1", 64)), newKey.Sign([1])).Encode());
        _chain.RefuseAtAdmission(badKey, TransactionRejection.InvalidPayloadSignature);
        Assert.True(_chain.AccountOf(doctor).IsActive);
    }

    // Proves rotating to a key that is already an account is AlreadyExists, even with a genuine proof, and that an
    // undecodable payload is InvalidPayload.
    [Fact]
    public void KeyRotate_ToRegisteredKeyOrMalformed_IsRefused()
    {
        var doctor = _chain.Doctor(HospitalA);
        var patient = _chain.Patient(HospitalA);
        _chain.Refuse(_chain.RotateTransaction(doctor, patient), TransactionRejection.AlreadyExists);
        var valid = new KeyRotatePayload(_chain.NewKey().PublicKey.ToArray(), [1, 2, 3]).Encode();
        _chain.RefuseAtAdmission(_chain.Sign(doctor, TransactionType.KeyRotate, valid[..^1]), TransactionRejection.InvalidPayload);
    }

    // Proves a grant to a user id survives the grantee's key rotation: the new key reads under it, the old key is
    // ActorRevoked; and a patient who rotated still grants, revokes and reads with the new key.
    [Fact]
    public void KeyRotate_GrantsToTheUserIdApplyToTheNewKey()
    {
        var author = _chain.Doctor(HospitalA);
        var reader = _chain.Doctor(ClinicB);
        var patient = _chain.Patient(HospitalA);
        var recordId = _chain.AnchorRecord(author, patient, HospitalA);
        var grant = _chain.Grant(patient, Terms(IdOf(patient), GrantActor.ForUser(IdOf(reader))));
        Assert.True(_chain.DecideRead(reader, recordId).IsAllowed);

        var newReader = _chain.NewKey();
        _chain.Accept(_chain.RotateTransaction(reader, newReader));
        var decision = _chain.DecideRead(newReader, recordId);
        Assert.True(decision.IsAllowed);
        Assert.Equal(grant, decision.GrantId);
        Assert.Equal(AccessDenialReason.ActorRevoked, _chain.DecideRead(reader, recordId).Reason);

        var newPatient = _chain.NewKey();
        _chain.Accept(_chain.RotateTransaction(patient, newPatient));
        Assert.True(_chain.DecideRead(newPatient, recordId).IsAllowed);
        _chain.Accept(_chain.RevokeGrantTransaction(newPatient, grant));
        Assert.Equal(AccessDenialReason.GrantRevoked, _chain.DecideRead(newReader, recordId).Reason);
        _chain.Grant(newPatient, Terms(IdOf(patient), GrantActor.ForUser(IdOf(reader))));
        Assert.True(_chain.DecideRead(newReader, recordId).IsAllowed);
    }

    // Proves revoking a user's replaced (old) key id stops the user: an org admin who names the key id it knows from
    // the user's older records must not leave the user's current key active. Today the old account is marked revoked
    // and the current key goes on working.
    [Fact]
    public void AccountRevoke_RotatedKey_StopsTheUsersCurrentKey()
    {
        var doctor = _chain.Doctor(HospitalA);
        var newKey = _chain.NewKey();
        _chain.Accept(_chain.RotateTransaction(doctor, newKey));
        var revoke = _chain.RevokeTransaction(_chain[HospitalA].Admin, IdOf(doctor));
        var proposal = _chain.Run(null, revoke);
        if (proposal.Transactions.Count == 1)
        {
            Assert.False(_chain.AccountOf(newKey).IsActive);
        }
        else
        {
            // Refusing the stale key id, so the admin revokes the current one, is as good.
            Assert.Equal(TransactionRejection.InvalidPayload, Assert.Single(proposal.Rejected).Result.Rejection);
        }
    }
}
