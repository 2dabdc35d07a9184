using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Node;

namespace MedLedger.Cli;

/// <summary>
/// The people of <c>medledger bench records</c>, all with keys held here (no custody, so setup stays fast): one
/// hospital with its administrator; writing doctors; reading doctors; patients registered by the writing doctors
/// (<see cref="TransactionFactory.RegisterUser"/>); and one read grant of each patient to a reading doctor. Keys and
/// factories are used by one task at a time (a platform key object is not promised to be safe on two threads).
/// </summary>
internal sealed class BenchRecordsConsortium : IDisposable
{
    public const string ChainId = "medledger-bench-records";
    public const string Hospital = "bench-hospital";

    private static readonly SensitivityTier[] AllTiers = [SensitivityTier.Identity, SensitivityTier.GeneralClinical, SensitivityTier.Sensitive];

    private BenchRecordsConsortium(ICryptoSuite suite, ISigningKey administrator)
    {
        Suite = suite;
        Administrator = administrator;
    }

    public ICryptoSuite Suite { get; }

    public ISigningKey Administrator { get; }

    /// <summary>The hospital's encryption key (records' data keys are wrapped for it).</summary>
    public byte[] OrganisationKey { get; private set; } = [];

    public IReadOnlyList<BenchIdentity> Writers { get; private set; } = [];

    public IReadOnlyList<BenchIdentity> ReadingDoctors { get; private set; } = [];

    public IReadOnlyList<BenchIdentity> Patients { get; private set; } = [];

    /// <summary>Creates the node folder: one hospital, the bench's administrator as its founding org admin.</summary>
    public static (NodeDataDirectory Directory, BenchRecordsConsortium Consortium) Initialize(string root)
    {
        var suite = CryptoSuites.Standard;
        var administrator = suite.GenerateSigningKey();
        try
        {
            var options = new ConsortiumInitOptions(
                "bench node",
                ChainId,
                suite.Name,
                null,
                0,
                [new OrganisationSeed(Hospital, "Bench Hospital", OrganisationKind.Hospital, "tertiary")],
                [new AdministratorSeed(Hospital, "Bench administrator", Convert.ToHexStringLower(administrator.PublicKey.Span))],
                []);
            var directory = NodeDataDirectory.InitializeConsortium(root, options, TimeProvider.System);
            return (directory, new BenchRecordsConsortium(suite, administrator));
        }
        catch
        {
            administrator.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Registers <paramref name="writers"/> + <paramref name="readingDoctors"/> doctors (by the administrator),
    /// <paramref name="patients"/> patients (patient p by writer p mod writers) and one read grant per patient (patient p
    /// to reading doctor p mod readingDoctors, every tier, treatment, one day), each step committed before the next.
    /// </summary>
    public async Task EnrolAsync(MedLedgerClient api, int writers, int readingDoctors, int patients, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(api);
        var status = await api.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        var organisation = await api.GetOrganisationAsync(Hospital, cancellationToken).ConfigureAwait(false)
            ?? throw new BenchmarkFailedException($"The new chain has no organisation '{Hospital}'.");
        OrganisationKey = Convert.FromHexString(organisation.EncryptionKey);

        var administrator = await TransactionFactory.CreateAsync(api, Suite, Administrator, cancellationToken: cancellationToken).ConfigureAwait(false);
        Writers = NewIdentities(writers, status.Height);
        ReadingDoctors = NewIdentities(readingDoctors, status.Height);
        Patients = NewIdentities(patients, status.Height);

        var doctors = Writers.Concat(ReadingDoctors).Select((doctor, i) => administrator.RegisterUser(doctor.Key.PublicKey.Span, AccountRole.Doctor, Hospital, $"Bench doctor {i + 1}")).ToList();
        await SubmitCommittedAsync(api, doctors, "registering a doctor", cancellationToken).ConfigureAwait(false);

        var registrations = Patients.Select((patient, p) => Writers[p % writers].Factory.RegisterUser(patient.Key.PublicKey.Span, AccountRole.Patient, Hospital, string.Empty)).ToList();
        await SubmitCommittedAsync(api, registrations, "registering a patient", cancellationToken).ConfigureAwait(false);

        var now = DateTimeOffset.UtcNow;
        var grants = Patients.Select((patient, p) => patient.Factory.GrantConsent(new ConsentGrantPayload(
            patient.KeyId,
            GrantActor.ForUser(ReadingDoctors[p % readingDoctors].KeyId),
            GrantActions.Read,
            AccessPurpose.Treatment,
            [],
            AllTiers,
            [],
            now.AddMinutes(-5).ToUnixTimeMilliseconds(),
            now.AddDays(1).ToUnixTimeMilliseconds()))).ToList();
        await SubmitCommittedAsync(api, grants, "granting a doctor", cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        foreach (var identity in Writers.Concat(ReadingDoctors).Concat(Patients))
        {
            identity.Key.Dispose();
        }

        Administrator.Dispose();
    }

    private static async Task SubmitCommittedAsync(MedLedgerClient api, IReadOnlyList<Transaction> transactions, string what, CancellationToken cancellationToken)
    {
        foreach (var chunk in transactions.Chunk(Limits.MaxTransactionsPerRequest))
        {
            var response = await api.SubmitBatchAsync(chunk, waitForCommit: true, cancellationToken).ConfigureAwait(false);
            if (response.Results.FirstOrDefault(result => result.Status != "committed") is { } failed)
            {
                throw new BenchmarkFailedException($"Setup failed {what}: '{failed.Status}' ({failed.Code}: {failed.Reason}).");
            }
        }
    }

    private BenchIdentity[] NewIdentities(int count, ulong height)
    {
        var identities = new BenchIdentity[count];
        for (var i = 0; i < count; i++)
        {
            var key = Suite.GenerateSigningKey();
            identities[i] = new BenchIdentity(key, Suite.Hash(key.PublicKey.Span), new TransactionFactory(Suite, key, ChainId, 0, height, Limits.MaxExpiryWindowBlocks / 2));
        }

        return identities;
    }
}

/// <summary>A user of the benchmark: key, key id (= user id, never rotated) and the factory that tracks its nonce.</summary>
internal sealed record BenchIdentity(ISigningKey Key, Hash KeyId, TransactionFactory Factory);
