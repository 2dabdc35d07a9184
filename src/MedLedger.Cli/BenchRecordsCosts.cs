using System.Diagnostics;
using System.Security.Cryptography;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Node.Medical;
using MedLedger.Sharing.Records;

namespace MedLedger.Cli;

/// <summary>
/// What the building blocks of the record path cost on one thread of this machine, measured before the node starts
/// (so nothing of the benchmark competes) through the same calls the client and node make. With them the report
/// puts a floor under the CPU a write and a read need: the work that cannot be skipped without changing the
/// protocol (signatures, key agreements, FHIR checks), against which the measured CPU per operation is compared.
/// </summary>
internal static class BenchRecordsCosts
{
    private const string ChainIdForCosts = "medledger-bench-costs";
    private static readonly TimeSpan PerOperation = TimeSpan.FromMilliseconds(300);

    public static RecordPathCosts Measure(ICryptoSuite suite, byte[] document)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(document);
        using var author = suite.GenerateSigningKey();
        using var patient = suite.GenerateSigningKey();
        using var organisation = suite.GenerateSigningKey();
        var organisationKeyId = suite.Hash(organisation.PublicKey.Span);
        var message = RandomNumberGenerator.GetBytes(150);
        var signature = author.Sign(message);
        var authorKey = author.PublicKey.ToArray();
        var patientKey = patient.PublicKey.ToArray();
        var patientId = suite.Hash(patientKey);
        var organisationKey = organisation.PublicKey.ToArray();
        var dataKey = RandomNumberGenerator.GetBytes(suite.AeadKeyBytes);
        var nonce = RandomNumberGenerator.GetBytes(suite.AeadNonceBytes);
        var associated = RecordSealing.EnvelopeAssociatedData(Hash.Zero, SensitivityTier.GeneralClinical, organisationKeyId);
        var envelope = KeyWrap.WrapEphemeral(suite, organisationKey, dataKey, associated);
        var parts = RecordTiers.Split(document);
        var validator = new FhirContentValidator();
        var staticSecret = KeyWrap.DeriveStaticSecret(suite, organisation, patientKey);

        var sign = Time(() => author.Sign(message));
        var verify = Time(() => Invariant.Check(suite.Verify(authorKey, message, signature), "a fresh signature verifies"));
        var keyAgreement = Time(() => suite.DeriveSharedSecret(organisation, patientKey));
        var wrapEphemeral = Time(() => KeyWrap.WrapEphemeral(suite, organisationKey, dataKey, associated));
        var unwrap = Time(() => KeyWrap.Unwrap(suite, organisation, envelope, associated));
        var wrapStatic = Time(() => KeyWrap.WrapStatic(suite, staticSecret, organisationKey, patientKey, dataKey, associated));
        var seal = Time(() => suite.AeadEncrypt(dataKey, nonce, document, associated));
        var hash = Time(() => suite.Hash(document));
        var split = Time(() => RecordTiers.Split(document));
        var check = Time(() => Invariant.Check(validator.Validate(parts) is null, "the benchmark bundle is valid FHIR"));
        var prepare = Time(() =>
        {
            var draft = RecordWriter.Prepare(suite, author, ChainIdForCosts, patientId, patientKey, BenchRecordsConsortium.Hospital, organisationKey, RecordCategory.Laboratory, RecordTiers.Split(document), 0);
            draft = draft.SignConsent(suite, patient);
            _ = Transaction.Create(suite, author, ChainIdForCosts, TransactionType.RecordAnchor, 1, 1, draft.Anchor.Encode());
        });

        return new RecordPathCosts(
            parts.Count,
            Math.Round(sign, 1),
            Math.Round(verify, 1),
            Math.Round(keyAgreement, 1),
            Math.Round(wrapEphemeral, 1),
            Math.Round(unwrap, 1),
            Math.Round(wrapStatic, 1),
            Math.Round(seal, 1),
            Math.Round(hash, 1),
            Math.Round(split, 1),
            Math.Round(check, 1),
            Math.Round(prepare, 1));
    }

    /// <summary>Mean microseconds of <paramref name="operation"/> over at least <see cref="PerOperation"/>, after a short warm-up.</summary>
    private static double Time(Action operation)
    {
        for (var i = 0; i < 20; i++)
        {
            operation();
        }

        var started = Stopwatch.GetTimestamp();
        var stop = started + (long)(PerOperation.TotalSeconds * Stopwatch.Frequency);
        long count = 0;
        while (Stopwatch.GetTimestamp() < stop)
        {
            operation();
            count++;
        }

        return Stopwatch.GetElapsedTime(started).TotalMicroseconds / count;
    }
}

/// <summary>
/// Microseconds per operation on one thread (see <see cref="BenchRecordsCosts"/>), and the floors derived from them.
/// </summary>
internal sealed record RecordPathCosts(
    int TiersPerRecord,
    double SignMicroseconds,
    double VerifyMicroseconds,
    double KeyAgreementMicroseconds,
    double WrapEphemeralMicroseconds,
    double UnwrapMicroseconds,
    double WrapStaticMicroseconds,
    double SealBundleMicroseconds,
    double HashBundleMicroseconds,
    double FhirSplitMicroseconds,
    double FhirCheckMicroseconds,
    double ClientPrepareMicroseconds)
{
    /// <summary>
    /// The node's unavoidable CPU per write: the request signature, the anchor transaction's signature, the author's and
    /// the patient's signatures inside it (four verifications), one envelope unwrap per tier, and the FHIR check.
    /// </summary>
    public double NodeWriteFloorMicroseconds => Math.Round((4 * VerifyMicroseconds) + (TiersPerRecord * UnwrapMicroseconds) + FhirCheckMicroseconds, 1);

    /// <summary>The node's unavoidable CPU per read: the request signature, one unwrap and one static re-wrap per tier.</summary>
    public double NodeReadFloorMicroseconds => Math.Round(VerifyMicroseconds + (TiersPerRecord * (UnwrapMicroseconds + WrapStaticMicroseconds)), 1);

    /// <summary>The client's CPU per write: prepare (split, seal, wrap twice per tier, author, consent and anchor signatures) and the request signature.</summary>
    public double ClientWriteFloorMicroseconds => Math.Round(ClientPrepareMicroseconds + SignMicroseconds, 1);

    /// <summary>The client's CPU per verified read: the request signature and one unwrap per tier (the SDK derives the static secret each time).</summary>
    public double ClientReadFloorMicroseconds => Math.Round(SignMicroseconds + (TiersPerRecord * UnwrapMicroseconds), 1);
}
