using MedLedger.Core;
using MedLedger.Crypto;
using static MedLedger.Ledger.Tests.MedicalChain;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// Record anchors (SPEC F15): the author's signature, the patient's consent (co-signature or append grant), who may
/// submit, and the payload rules (ids, tiers, categories, time window).
/// </summary>
public sealed class MedicalRecordTests : IDisposable
{
    private readonly MedicalChain _chain = ThreeOrganisations();
    private readonly ISigningKey _doctor;
    private readonly ISigningKey _patient;

    public MedicalRecordTests()
    {
        _doctor = _chain.Doctor(HospitalA);
        _patient = _chain.Patient(HospitalA);
    }

    private Hash PatientId => IdOf(_patient);

    public void Dispose() => _chain.Dispose();

    // Proves a doctor's record with the patient's co-signature is accepted at admission and in a block, and stored as
    // a RecordEntry with every field of the payload, the author's user id, the height, Active status and no erasure.
    [Fact]
    public void Anchor_PatientSignature_StoresTheRecordEntry()
    {
        var payload = _chain.ConsentedRecord(_doctor, _patient, HospitalA, RecordCategory.Imaging, [SensitivityTier.Identity, SensitivityTier.Sensitive]);
        var transaction = _chain.AnchorTransaction(_doctor, payload);
        _chain.Admit(transaction);
        var block = _chain.Accept(transaction);

        var entry = _chain.Node.GetRecord(payload.RecordId)!;
        var expected = new RecordEntry(payload.RecordId, PatientId, IdOf(_doctor), IdOf(_doctor), HospitalA, RecordCategory.Imaging, payload.CreatedUnixMilliseconds, payload.Tiers, WriteAuthorisation.PatientSignature, Hash.Zero, block.Header.Height, RecordStatus.Active, 0);
        Assert.Equal(TestHex.Of(expected.Encode()), TestHex.Of(entry.Encode()));
        Assert.Equal(payload.Tiers[1], entry.FindTier(SensitivityTier.Sensitive));
        Assert.Null(entry.FindTier(SensitivityTier.GeneralClinical));
    }

    // Proves a forged author signature — by another key, over an altered payload, or empty — is
    // InvalidPayloadSignature at admission and in a block.
    [Fact]
    public void Anchor_ForgedAuthorSignature_IsInvalidPayloadSignature()
    {
        var draft = _chain.RecordDraft(_doctor, PatientId, HospitalA, WriteAuthorisation.PatientSignature);
        var other = _chain.Doctor(HospitalA);
        RecordAnchorPayload[] forged =
        [
            SignRecord(draft, other, _patient) with { AuthorSignature = other.Sign(draft.EncodeAuthorStatement(ChainId)) },
            SignRecord(draft, _doctor, _patient) with { Category = RecordCategory.Billing },
            SignRecord(draft, _doctor, _patient) with { Tiers = [_chain.Tier(SensitivityTier.GeneralClinical)] },
            SignRecord(draft, _doctor, _patient) with { CreatedUnixMilliseconds = draft.CreatedUnixMilliseconds + 1 },
            SignRecord(draft, _doctor, _patient) with { AuthorSignature = [] },
            SignRecord(draft with { RecordId = _chain.NextHash("x") }, _doctor, _patient) with { RecordId = draft.RecordId },
        ];
        foreach (var payload in forged)
        {
            _chain.RefuseAtAdmission(_chain.AnchorTransaction(_doctor, payload), TransactionRejection.InvalidPayloadSignature);
        }

        // The author's statement is bound to the chain id.
        var otherChain = draft with { AuthorSignature = _doctor.Sign(draft.EncodeAuthorStatement("medledger-other")) };
        _chain.RefuseAtAdmission(_chain.AnchorTransaction(_doctor, otherChain), TransactionRejection.InvalidPayloadSignature);
    }

    // Proves a consent signature that does not verify under the named signer — made by the doctor, over another
    // author, over another chain, or empty — is InvalidPayloadSignature; an unknown signer or author is NotFound.
    [Fact]
    public void Anchor_ForgedConsentSignature_IsInvalidPayloadSignature()
    {
        var draft = _chain.RecordDraft(_doctor, PatientId, HospitalA, WriteAuthorisation.PatientSignature);
        var signed = SignRecord(draft, _doctor);
        RecordAnchorPayload[] forged =
        [
            signed with { ConsentSigner = PatientId, ConsentSignature = _doctor.Sign(draft.EncodeConsentStatement(ChainId)) },
            signed with { ConsentSigner = PatientId, ConsentSignature = _patient.Sign(draft.EncodeAuthorStatement(ChainId)) },
            signed with { ConsentSigner = PatientId, ConsentSignature = _patient.Sign((draft with { Author = IdOf(_chain[HospitalA].Admin) }).EncodeConsentStatement(ChainId)) },
            signed with { ConsentSigner = PatientId, ConsentSignature = _patient.Sign(draft.EncodeConsentStatement("medledger-other")) },
            signed with { ConsentSigner = PatientId, ConsentSignature = [] },
        ];
        foreach (var payload in forged)
        {
            _chain.RefuseAtAdmission(_chain.AnchorTransaction(_doctor, payload), TransactionRejection.InvalidPayloadSignature);
        }

        _chain.RefuseAtAdmission(_chain.AnchorTransaction(_doctor, signed with { ConsentSigner = _chain.NextHash("nobody"), ConsentSignature = [1] }), TransactionRejection.NotFound);
        var stranger = _chain.NewKey();
        var unknownAuthor = SignRecord(_chain.RecordDraft(stranger, PatientId, HospitalA, WriteAuthorisation.PatientSignature), stranger, _patient);
        _chain.RefuseAtAdmission(_chain.AnchorTransaction(_doctor, unknownAuthor), TransactionRejection.NotFound);
    }

    // Proves a genuine consent by the wrong person — another patient, the doctor, the patient's replaced key — is
    // ConsentMissing, and the patient's new key after a rotation consents.
    [Fact]
    public void Anchor_ConsentByAnotherKey_IsConsentMissing()
    {
        var otherPatient = _chain.Patient(HospitalA);
        foreach (var signer in new[] { otherPatient, _doctor })
        {
            var payload = SignRecord(_chain.RecordDraft(_doctor, PatientId, HospitalA, WriteAuthorisation.PatientSignature), _doctor, signer);
            _chain.Refuse(_chain.AnchorTransaction(_doctor, payload), TransactionRejection.ConsentMissing);
        }

        var newKey = _chain.NewKey();
        _chain.Accept(_chain.RotateTransaction(_patient, newKey));
        var byOldKey = SignRecord(_chain.RecordDraft(_doctor, PatientId, HospitalA, WriteAuthorisation.PatientSignature), _doctor, _patient);
        _chain.Refuse(_chain.AnchorTransaction(_doctor, byOldKey), TransactionRejection.ConsentMissing);
        var byNewKey = SignRecord(_chain.RecordDraft(_doctor, PatientId, HospitalA, WriteAuthorisation.PatientSignature), _doctor, newKey);
        _chain.Accept(_chain.AnchorTransaction(_doctor, byNewKey));
        Assert.Equal(PatientId, _chain.Node.GetRecord(byNewKey.RecordId)!.Patient);
    }

    // Proves the append-grant path: a grant of Read|Append for the doctor (by user id, or to its organisation) with
    // the category and tiers lets the doctor write without a co-signature.
    [Fact]
    public void Anchor_AppendGrant_IsAccepted()
    {
        var grant = _chain.Grant(_patient, Terms(PatientId, GrantActor.ForUser(IdOf(_doctor)), GrantActions.Read | GrantActions.Append, categories: [RecordCategory.Laboratory], tiers: [SensitivityTier.GeneralClinical, SensitivityTier.Sensitive]));
        var payload = SignRecord(_chain.RecordDraft(_doctor, PatientId, HospitalA, WriteAuthorisation.Grant, tiers: [SensitivityTier.GeneralClinical, SensitivityTier.Sensitive], grantId: grant), _doctor);
        _chain.Accept(_chain.AnchorTransaction(_doctor, payload));
        var entry = _chain.Node.GetRecord(payload.RecordId)!;
        Assert.Equal((WriteAuthorisation.Grant, grant), (entry.Authorisation, entry.GrantId));

        var colleague = _chain.Doctor(HospitalA);
        var orgGrant = _chain.Grant(_patient, Terms(PatientId, GrantActor.ForOrganisation(HospitalA), GrantActions.Append));
        _chain.Accept(_chain.AnchorTransaction(colleague, SignRecord(_chain.RecordDraft(colleague, PatientId, HospitalA, WriteAuthorisation.Grant, RecordCategory.Allergy, grantId: orgGrant), colleague)));
    }

    // Proves each way an append grant can fail to cover a write is ConsentMissing: read only, a missing tier, another
    // category, another grantee, another patient's grant, an unknown id, not yet valid, expired, revoked.
    [Fact]
    public void Anchor_AppendGrantThatDoesNotCover_IsConsentMissing()
    {
        var otherDoctor = _chain.Doctor(HospitalA);
        var otherPatient = _chain.Patient(HospitalA);
        var now = _chain.NextTime;
        var appendTerms = Terms(PatientId, GrantActor.ForUser(IdOf(_doctor)), GrantActions.Append, categories: [RecordCategory.Laboratory]);
        var grants = new Dictionary<string, Hash>
        {
            ["read only"] = _chain.Grant(_patient, appendTerms with { Actions = GrantActions.Read }),
            ["other category"] = _chain.Grant(_patient, appendTerms with { Categories = [RecordCategory.Imaging] }),
            ["other grantee"] = _chain.Grant(_patient, appendTerms with { Actor = GrantActor.ForUser(IdOf(otherDoctor)) }),
            ["other patient"] = _chain.Grant(otherPatient, appendTerms with { Patient = IdOf(otherPatient) }),
            ["not yet valid"] = _chain.Grant(_patient, appendTerms with { ValidFromUnixMilliseconds = now + Day, ValidUntilUnixMilliseconds = now + (2 * Day) }),
            ["expires soon"] = _chain.Grant(_patient, appendTerms with { ValidUntilUnixMilliseconds = now + (10 * BlockIntervalMilliseconds) }),
            ["revoked"] = _chain.Grant(_patient, appendTerms),
            ["missing tier"] = _chain.Grant(_patient, appendTerms with { Tiers = [SensitivityTier.GeneralClinical] }),
            ["unknown"] = _chain.NextHash("no grant"),
        };
        _chain.Accept(_chain.RevokeGrantTransaction(_patient, grants["revoked"]));
        var expiredAt = now + (10 * BlockIntervalMilliseconds) + 1;

        foreach (var (name, grantId) in grants)
        {
            var tiers = name == "missing tier" ? new[] { SensitivityTier.GeneralClinical, SensitivityTier.Sensitive } : null;
            var time = name == "expires soon" ? expiredAt : (long?)null;
            var payload = SignRecord(_chain.RecordDraft(_doctor, PatientId, HospitalA, WriteAuthorisation.Grant, tiers: tiers, created: time, grantId: grantId), _doctor);
            _chain.Refuse(_chain.AnchorTransaction(_doctor, payload), TransactionRejection.ConsentMissing, time);
        }

        // The same write under a covering grant goes through, so the refusals above come from the grants.
        var covering = _chain.Grant(_patient, appendTerms with { Tiers = [SensitivityTier.GeneralClinical, SensitivityTier.Sensitive] });
        _chain.Accept(_chain.AnchorTransaction(_doctor, SignRecord(_chain.RecordDraft(_doctor, PatientId, HospitalA, WriteAuthorisation.Grant, tiers: [SensitivityTier.GeneralClinical, SensitivityTier.Sensitive], grantId: covering), _doctor)));
    }

    // Proves who may submit: the holding organisation's node may send the author's signed record; another
    // organisation's node, another doctor and the patient may not.
    [Fact]
    public void Anchor_Submitter_IsTheAuthorOrTheHoldingOrganisationsNode()
    {
        var viaNode = _chain.ConsentedRecord(_doctor, _patient, HospitalA);
        _chain.Accept(_chain.AnchorTransaction(_chain[HospitalA].Node, viaNode));
        Assert.Equal(IdOf(_doctor), _chain.Node.GetRecord(viaNode.RecordId)!.Author);
        Assert.Equal(0UL, _chain.AccountOf(_doctor).Nonce);

        var colleague = _chain.Doctor(HospitalA);
        foreach (var sender in new[] { _chain[ClinicB].Node, colleague, _patient, _chain[HospitalA].Admin })
        {
            _chain.Refuse(_chain.AnchorTransaction(sender, _chain.ConsentedRecord(_doctor, _patient, HospitalA)), TransactionRejection.NotAuthorized);
        }
    }

    // Proves the writer must be a doctor of the holding organisation: a doctor of another organisation naming this
    // one, and this doctor naming another organisation, are NotAuthorized; so is a revoked author, even via the node.
    [Fact]
    public void Anchor_AuthorNotADoctorOfTheHoldingOrganisation_IsNotAuthorized()
    {
        var clinicDoctor = _chain.Doctor(ClinicB);
        _chain.Refuse(_chain.AnchorTransaction(clinicDoctor, _chain.ConsentedRecord(clinicDoctor, _patient, HospitalA)), TransactionRejection.NotAuthorized);
        _chain.Refuse(_chain.AnchorTransaction(_doctor, _chain.ConsentedRecord(_doctor, _patient, ClinicB)), TransactionRejection.NotAuthorized);
        var orgAdmin = _chain[HospitalA].Admin;
        _chain.Refuse(_chain.AnchorTransaction(orgAdmin, _chain.ConsentedRecord(orgAdmin, _patient, HospitalA)), TransactionRejection.NotAuthorized);

        var signedEarlier = _chain.ConsentedRecord(_doctor, _patient, HospitalA);
        _chain.Accept(_chain.RevokeTransaction(orgAdmin, IdOf(_doctor)));
        _chain.Refuse(_chain.AnchorTransaction(_chain[HospitalA].Node, signedEarlier), TransactionRejection.NotAuthorized);
    }

    // Proves the patient must be an active patient: a doctor's user id or a revoked patient is NotFound.
    [Fact]
    public void Anchor_PatientNotAnActivePatient_IsNotFound()
    {
        var notPatient = SignRecord(_chain.RecordDraft(_doctor, IdOf(_doctor), HospitalA, WriteAuthorisation.PatientSignature), _doctor, _doctor);
        _chain.Refuse(_chain.AnchorTransaction(_doctor, notPatient), TransactionRejection.NotFound);
        var unknown = SignRecord(_chain.RecordDraft(_doctor, _chain.NextHash("nobody"), HospitalA, WriteAuthorisation.PatientSignature), _doctor, _patient);
        _chain.Refuse(_chain.AnchorTransaction(_doctor, unknown), TransactionRejection.NotFound);

        var payload = _chain.ConsentedRecord(_doctor, _patient, HospitalA);
        _chain.Accept(_chain.RevokeTransaction(_chain[HospitalA].Admin, PatientId));
        _chain.Refuse(_chain.AnchorTransaction(_doctor, payload), TransactionRejection.NotFound);
    }

    // Proves a record id is anchored once: the same id again (another payload) and the zero id are AlreadyExists.
    [Fact]
    public void Anchor_DuplicateOrZeroRecordId_IsAlreadyExists()
    {
        var first = _chain.ConsentedRecord(_doctor, _patient, HospitalA);
        _chain.Accept(_chain.AnchorTransaction(_doctor, first));
        var again = SignRecord(_chain.RecordDraft(_doctor, PatientId, HospitalA, WriteAuthorisation.PatientSignature) with { RecordId = first.RecordId }, _doctor, _patient);
        _chain.Refuse(_chain.AnchorTransaction(_doctor, again), TransactionRejection.AlreadyExists);
        var zero = SignRecord(_chain.RecordDraft(_doctor, PatientId, HospitalA, WriteAuthorisation.PatientSignature) with { RecordId = Hash.Zero }, _doctor, _patient);
        _chain.Refuse(_chain.AnchorTransaction(_doctor, zero), TransactionRejection.AlreadyExists);
    }

    // Proves the tier rules: none, descending, duplicated, the None tier, an undefined tier, a zero pointer or
    // commitment and a zero size are InvalidPayload; so are an unknown category and an authorisation of None
    // is ConsentMissing.
    [Fact]
    public void Anchor_InvalidTiersOrCategory_IsRefused()
    {
        var general = _chain.Tier(SensitivityTier.GeneralClinical);
        var identity = _chain.Tier(SensitivityTier.Identity);
        RecordTierAnchor[][] invalidTiers =
        [
            [],
            [general, identity],
            [general, _chain.Tier(SensitivityTier.GeneralClinical)],
            [_chain.Tier(SensitivityTier.None)],
            [_chain.Tier((SensitivityTier)4)],
            [general with { ContentAddress = Hash.Zero }],
            [general with { Commitment = Hash.Zero }],
            [general with { CiphertextBytes = 0 }],
        ];
        foreach (var tiers in invalidTiers)
        {
            var payload = SignRecord(_chain.RecordDraft(_doctor, PatientId, HospitalA, WriteAuthorisation.PatientSignature) with { Tiers = tiers }, _doctor, _patient);
            _chain.Refuse(_chain.AnchorTransaction(_doctor, payload), TransactionRejection.InvalidPayload);
        }

        foreach (var category in new[] { RecordCategory.None, (RecordCategory)12 })
        {
            var payload = SignRecord(_chain.RecordDraft(_doctor, PatientId, HospitalA, WriteAuthorisation.PatientSignature, category), _doctor, _patient);
            _chain.Refuse(_chain.AnchorTransaction(_doctor, payload), TransactionRejection.InvalidPayload);
        }

        foreach (var authorisation in new[] { WriteAuthorisation.None, (WriteAuthorisation)9 })
        {
            var payload = SignRecord(_chain.RecordDraft(_doctor, PatientId, HospitalA, authorisation), _doctor, _patient);
            _chain.Refuse(_chain.AnchorTransaction(_doctor, payload), TransactionRejection.ConsentMissing);
        }

        // Four tiers do not decode at all.
        var four = SignRecord(_chain.RecordDraft(_doctor, PatientId, HospitalA, WriteAuthorisation.PatientSignature) with { Tiers = [identity, general, _chain.Tier(SensitivityTier.Sensitive), _chain.Tier((SensitivityTier)4)] }, _doctor, _patient);
        _chain.RefuseAtAdmission(_chain.AnchorTransaction(_doctor, four), TransactionRejection.InvalidPayload);

        // All three tiers ascending are fine.
        _chain.Accept(_chain.AnchorTransaction(_doctor, _chain.ConsentedRecord(_doctor, _patient, HospitalA, tiers: [SensitivityTier.Identity, SensitivityTier.GeneralClinical, SensitivityTier.Sensitive])));
    }

    // Proves the time window: a creation time exactly 10 minutes from the block time, either side, is accepted; one
    // millisecond beyond is TimeOutOfWindow.
    [Fact]
    public void Anchor_CreatedTimeWindow_IsTenMinutesEitherSide()
    {
        foreach (var offset in new[] { Limits.MaxPayloadClockSkewMilliseconds + 1, -Limits.MaxPayloadClockSkewMilliseconds - 1, 365 * Day, long.MinValue / 2 })
        {
            var payload = SignRecord(_chain.RecordDraft(_doctor, PatientId, HospitalA, WriteAuthorisation.PatientSignature, created: _chain.NextTime + offset), _doctor, _patient);
            _chain.Refuse(_chain.AnchorTransaction(_doctor, payload), TransactionRejection.TimeOutOfWindow);
        }

        foreach (var offset in new[] { Limits.MaxPayloadClockSkewMilliseconds, -Limits.MaxPayloadClockSkewMilliseconds })
        {
            var payload = SignRecord(_chain.RecordDraft(_doctor, PatientId, HospitalA, WriteAuthorisation.PatientSignature, created: _chain.NextTime + offset), _doctor, _patient);
            _chain.Accept(_chain.AnchorTransaction(_doctor, payload));
        }
    }

    // Proves a creation time whose distance from the block time does not fit a long is refused like any other time
    // out of the window, instead of throwing out of PrepareBlock (Math.Abs(long.MinValue) overflows).
    [Fact]
    public void Anchor_CreatedTimeAtLongMinValueDistance_IsTimeOutOfWindow()
    {
        var time = _chain.NextTime;
        var payload = SignRecord(_chain.RecordDraft(_doctor, PatientId, HospitalA, WriteAuthorisation.PatientSignature, created: long.MinValue + time), _doctor, _patient);
        _chain.Refuse(_chain.AnchorTransaction(_doctor, payload), TransactionRejection.TimeOutOfWindow, time);
    }

    // Proves a patient writes their own evaluation (PatientAuthor) without a co-signature, and that a doctor cannot
    // claim PatientAuthor.
    [Fact]
    public void Anchor_PatientAuthor_OnlyThePatient()
    {
        var own = SignRecord(_chain.RecordDraft(_patient, PatientId, HospitalA, WriteAuthorisation.PatientAuthor, RecordCategory.PatientEvaluation), _patient);
        _chain.Accept(_chain.AnchorTransaction(_patient, own));
        Assert.Equal(PatientId, _chain.Node.GetRecord(own.RecordId)!.AuthorUserId);

        var claimed = SignRecord(_chain.RecordDraft(_doctor, PatientId, HospitalA, WriteAuthorisation.PatientAuthor), _doctor);
        _chain.Refuse(_chain.AnchorTransaction(_doctor, claimed), TransactionRejection.NotAuthorized);
        var otherPatient = _chain.Patient(HospitalA);
        var forOther = SignRecord(_chain.RecordDraft(otherPatient, PatientId, HospitalA, WriteAuthorisation.PatientAuthor), otherPatient);
        _chain.Refuse(_chain.AnchorTransaction(otherPatient, forOther), TransactionRejection.NotAuthorized);
    }

    // Proves a patient's own record is held by the patient's own organisation: a patient of hospital A cannot anchor
    // a record as held by clinic B (whose node holds none of it), as a doctor of A cannot.
    [Fact]
    public void Anchor_PatientAuthorForAnotherOrganisation_IsNotAuthorized()
    {
        var elsewhere = SignRecord(_chain.RecordDraft(_patient, PatientId, ClinicB, WriteAuthorisation.PatientAuthor, RecordCategory.PatientEvaluation), _patient);
        _chain.Refuse(_chain.AnchorTransaction(_patient, elsewhere), TransactionRejection.NotAuthorized);
    }

    // Proves an undecodable anchor payload (truncated, trailing byte) is InvalidPayload at admission.
    [Fact]
    public void Anchor_MalformedPayload_IsInvalidPayload()
    {
        var encoded = _chain.ConsentedRecord(_doctor, _patient, HospitalA).Encode();
        _chain.RefuseAtAdmission(_chain.Sign(_doctor, TransactionType.RecordAnchor, encoded[..^1]), TransactionRejection.InvalidPayload);
        _chain.RefuseAtAdmission(_chain.Sign(_doctor, TransactionType.RecordAnchor, [.. encoded, 0]), TransactionRejection.InvalidPayload);
    }
}
