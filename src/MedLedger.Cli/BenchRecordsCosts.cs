using System.Diagnostics;
using System.Runtime.InteropServices;
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
    private const int Rounds = 8;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Round = TimeSpan.FromMilliseconds(40);

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
        using var wrapper = new EphemeralWrapper(suite, EphemeralWrapper.MaxAllowedWrapsPerKey, TimeSpan.FromHours(1));
        var unwrapCache = new UnwrapCache(suite);

        var operations = new (string Name, Action Run)[]
        {
            ("sign", () => author.Sign(message)),
            ("verify", () => Invariant.Check(suite.Verify(authorKey, message, signature), "a fresh signature verifies")),
            ("key agreement", () => suite.DeriveSharedSecret(organisation, patientKey)),
            ("ephemeral wrap", () => KeyWrap.WrapEphemeral(suite, organisationKey, dataKey, associated)),
            ("unwrap", () => KeyWrap.Unwrap(suite, organisation, envelope, associated)),
            ("reused wrap", () => wrapper.Wrap(organisationKey, dataKey, associated)),
            ("cached unwrap", () => unwrapCache.Unwrap(organisation, envelope, associated)),
            ("static wrap", () => KeyWrap.WrapStatic(suite, staticSecret, organisationKey, patientKey, dataKey, associated)),
            ("seal", () => suite.AeadEncrypt(dataKey, nonce, document, associated)),
            ("hash", () => suite.Hash(document)),
            ("split", () => RecordTiers.Split(document)),
            ("check", () => Invariant.Check(validator.Validate(parts) is null, "the benchmark bundle is valid FHIR")),
            ("prepare", () =>
            {
                var draft = RecordWriter.Prepare(suite, author, ChainIdForCosts, patientId, patientKey, BenchRecordsConsortium.Hospital, organisationKey, RecordCategory.Laboratory, RecordTiers.Split(document), 0, wrapper);
                draft = draft.SignConsent(suite, patient);
                _ = Transaction.Create(suite, author, ChainIdForCosts, TransactionType.RecordAnchor, 1, 1, draft.Anchor.Encode());
            }),
        };

        // Warm up everything together first: tiered compilation needs a few seconds of calls before the managed parts
        // (FHIR validation above all, 5-10x slower before) run fully optimised, as they do in a node under load.
        var warmUpEnds = Stopwatch.GetTimestamp() + (long)(WarmUp.TotalSeconds * Stopwatch.Frequency);
        for (var pass = 0; pass < 50 || Stopwatch.GetTimestamp() < warmUpEnds; pass++)
        {
            foreach (var (_, run) in operations)
            {
                run();
            }
        }

        var microseconds = operations.ToDictionary(o => o.Name, o => Time(o.Run), StringComparer.Ordinal);
        double sign = microseconds["sign"], verify = microseconds["verify"], keyAgreement = microseconds["key agreement"], wrapEphemeral = microseconds["ephemeral wrap"],
            unwrap = microseconds["unwrap"], wrapReused = microseconds["reused wrap"], unwrapCached = microseconds["cached unwrap"], wrapStatic = microseconds["static wrap"], seal = microseconds["seal"], hash = microseconds["hash"], split = microseconds["split"],
            check = microseconds["check"], prepare = microseconds["prepare"];

        return new RecordPathCosts(
            parts.Count,
            Math.Round(sign, 1),
            Math.Round(verify, 1),
            Math.Round(keyAgreement, 1),
            Math.Round(wrapEphemeral, 1),
            Math.Round(unwrap, 1),
            Math.Round(wrapReused, 1),
            Math.Round(unwrapCached, 1),
            Math.Round(wrapStatic, 1),
            Math.Round(seal, 1),
            Math.Round(hash, 1),
            Math.Round(split, 1),
            Math.Round(check, 1),
            Math.Round(prepare, 1));
    }

    /// <summary>
    /// Microseconds per call of <paramref name="operation"/> (already warmed up): the fastest of <see cref="Rounds"/>
    /// rounds of <see cref="Round"/> each, timed by this thread's CPU clock where there is one (Linux) so that time the
    /// thread spends waiting for a core shared with other work is not counted, else by the wall clock.
    /// </summary>
    private static double Time(Action operation)
    {
        var best = double.MaxValue;
        for (var round = 0; round < Rounds; round++)
        {
            var started = Stopwatch.GetTimestamp();
            var cpuStarted = ThreadCpuClock.Now();
            var stop = started + (long)(Round.TotalSeconds * Stopwatch.Frequency);
            long count = 0;
            while (count < 3 || Stopwatch.GetTimestamp() < stop)
            {
                operation();
                count++;
            }

            var spent = cpuStarted is { } cpu && ThreadCpuClock.Now() is { } cpuEnded ? cpuEnded - cpu : Stopwatch.GetElapsedTime(started);
            best = Math.Min(best, spent.TotalMicroseconds / count);
        }

        return best;
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
    double WrapReusedMicroseconds,
    double UnwrapCachedMicroseconds,
    double WrapStaticMicroseconds,
    double SealBundleMicroseconds,
    double HashBundleMicroseconds,
    double FhirSplitMicroseconds,
    double FhirCheckMicroseconds,
    double ClientPrepareMicroseconds)
{
    /// <summary>
    /// The node's unavoidable CPU per write: the request signature, the anchor transaction's signature, the author's and
    /// the patient's signatures inside it (four verifications), one envelope unwrap per tier (with the secret cached: the
    /// writer reuses its one-off key), the static re-wrap of the organisation's copy, and the FHIR check.
    /// </summary>
    public double NodeWriteFloorMicroseconds => Math.Round((4 * VerifyMicroseconds) + (TiersPerRecord * (UnwrapCachedMicroseconds + WrapStaticMicroseconds)) + FhirCheckMicroseconds, 1);

    /// <summary>The node's unavoidable CPU per read: the request signature, one cached unwrap and one static re-wrap per tier.</summary>
    public double NodeReadFloorMicroseconds => Math.Round(VerifyMicroseconds + (TiersPerRecord * (UnwrapCachedMicroseconds + WrapStaticMicroseconds)), 1);

    /// <summary>The client's CPU per write: prepare (split, seal, wrap twice per tier with reused one-off keys, author, consent and anchor signatures) and the request signature.</summary>
    public double ClientWriteFloorMicroseconds => Math.Round(ClientPrepareMicroseconds + SignMicroseconds, 1);

    /// <summary>The client's CPU per verified read: the request signature and one unwrap per tier with the cached secret.</summary>
    public double ClientReadFloorMicroseconds => Math.Round(SignMicroseconds + (TiersPerRecord * UnwrapCachedMicroseconds), 1);
}

/// <summary>The calling thread's CPU time (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>), or null where it cannot be read.</summary>
internal static class ThreadCpuClock
{
    private const int ThreadCpuTimeClock = 3;

    public static TimeSpan? Now()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            return ClockGetTime(ThreadCpuTimeClock, out var time) == 0 ? TimeSpan.FromTicks((time.Seconds * TimeSpan.TicksPerSecond) + (time.Nanoseconds / 100)) : null;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    // DllImport rather than LibraryImport, whose generated code would need the project to allow unsafe code; the
    // signature is blittable, so the runtime marshals nothing.
    [DllImport("libc", EntryPoint = "clock_gettime")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int ClockGetTime(int clock, out TimeSpecification time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpecification
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
