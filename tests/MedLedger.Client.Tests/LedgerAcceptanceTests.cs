using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Client.Tests;

/// <summary>
/// What the SDK signs is what the real ledger accepts: transactions built by <see cref="TransactionFactory"/> and
/// <see cref="RecordWriter"/> are executed by <see cref="LedgerStateMachine"/> from a genesis with one hospital.
/// </summary>
public sealed class LedgerAcceptanceTests : IDisposable
{
    private const string Chain = "acceptance-chain";
    private const long GenesisTime = 1_770_000_000_000;
    private static readonly ICryptoSuite Suite = CryptoSuites.Standard;

    private readonly ISigningKey _validator = Suite.GenerateSigningKey();
    private readonly ISigningKey _organisationKey = Suite.GenerateSigningKey();
    private readonly ISigningKey _doctor = Suite.GenerateSigningKey();
    private readonly ISigningKey _patient = Suite.GenerateSigningKey();
    private readonly ISigningKey _stranger = Suite.GenerateSigningKey();
    private readonly LedgerStateMachine _ledger;

    public LedgerAcceptanceTests()
    {
        var genesis = new GenesisDocument(
            Chain,
            Suite.Name,
            GenesisTime,
            [new GenesisValidator("validator", Hex(_validator), 10)],
            [new GenesisAccount("root", Hex(_validator), AccountRole.Administrator), new GenesisAccount("Dr Ada", Hex(_doctor), AccountRole.Doctor, "st-marys")],
            [new GenesisOrganisation("st-marys", "St Mary's", OrganisationKind.Hospital, "tertiary", Hex(_organisationKey), "http://127.0.0.1:7100")]);
        genesis.Validate();
        _ledger = LedgerStateMachine.FromGenesis(genesis);
    }

    public void Dispose()
    {
        foreach (var key in new[] { _validator, _organisationKey, _doctor, _patient, _stranger })
        {
            key.Dispose();
        }
    }

    [Fact]
    public void RegisterGrantAnchorRotate_AreAcceptedByTheLedger()
    {
        // 1. The doctor registers the patient's pseudonym. 2. The patient grants the hospital append and read access.
        // 3. The doctor anchors a record co-signed by the patient, and another under the grant. 4. The doctor rotates
        //    their key. Each block commits with no rejected transaction, and the records are in state.
        var doctorFactory = new TransactionFactory(Suite, _doctor, Chain, 0, 0);
        Commit(doctorFactory.RegisterUser(_patient.PublicKey.Span, AccountRole.Patient, "st-marys", string.Empty));

        var patientId = Suite.Hash(_patient.PublicKey.Span);
        var patientFactory = new TransactionFactory(Suite, _patient, Chain, 0, 1);
        var grant = patientFactory.GrantConsent(new ConsentGrantPayload(patientId, GrantActor.ForOrganisation("st-marys"), GrantActions.Read | GrantActions.Append, AccessPurpose.Treatment, [], [SensitivityTier.Identity, SensitivityTier.GeneralClinical, SensitivityTier.Sensitive], [], GenesisTime, GenesisTime + 86_400_000));
        Commit(grant);

        var consented = Prepare().SignConsent(Suite, _patient);
        var granted = Prepare().WithGrant(grant.ComputeId(Suite));
        Commit(doctorFactory.AnchorRecord(consented.Anchor), doctorFactory.AnchorRecord(granted.Anchor));
        Assert.NotNull(_ledger.GetRecord(consented.RecordId));
        Assert.NotNull(_ledger.GetRecord(granted.RecordId));

        using var replacement = Suite.GenerateSigningKey();
        Commit(doctorFactory.RotateKey(replacement));
        Assert.Equal(Suite.Hash(replacement.PublicKey.Span), _ledger.GetCurrentKey(Suite.Hash(_doctor.PublicKey.Span)));
    }

    [Fact]
    public void AnchorWithAForgedConsent_IsRefusedByTheLedger()
    {
        // A consent signed by a key that is not the patient's does not pass the ledger's embedded-signature check.
        var doctorFactory = new TransactionFactory(Suite, _doctor, Chain, 0, 0);
        Commit(doctorFactory.RegisterUser(_patient.PublicKey.Span, AccountRole.Patient, "st-marys", string.Empty));
        var forged = Prepare().WithConsentSignature(Suite.Hash(_patient.PublicKey.Span), _stranger.Sign(Prepare().EncodeConsentStatement()));
        var transaction = doctorFactory.AnchorRecord(forged.Anchor);

        var result = _ledger.CheckTransaction(transaction, transaction.ComputeId(Suite));

        Assert.Equal(TransactionRejection.InvalidPayloadSignature, result.Rejection);
    }

    private static string Hex(ISigningKey key) => Convert.ToHexStringLower(key.PublicKey.Span);

    private RecordDraft Prepare() => RecordWriter.Prepare(
        Suite,
        _doctor,
        Chain,
        Suite.Hash(_patient.PublicKey.Span),
        _patient.PublicKey.Span,
        "st-marys",
        _organisationKey.PublicKey.Span,
        RecordCategory.Laboratory,
        RecordTestWorld.ThreeTiers(),
        _ledger.LastTimeUnixMilliseconds + 500);

    private void Commit(params Transaction[] transactions)
    {
        var proposal = _ledger.PrepareBlock(_ledger.LastTimeUnixMilliseconds + 1_000, Suite.Hash(_validator.PublicKey.Span), transactions);
        Assert.Empty(proposal.Rejected.Select(r => $"{r.Transaction.Type}: {r.Result.Rejection} {r.Result}"));
        Assert.Equal(transactions.Length, proposal.Transactions.Count);
        _ledger.Commit(proposal.Header, proposal.Transactions, proposal.Prepared);
    }
}
