using System.Globalization;
using MedLedger.Ledger;

namespace MedLedger.Sharing.Deidentification;

/// <summary>
/// The quasi-identifiers of a de-identified record, already generalised (SPEC F14): a 5-year age band, the
/// administrative sex and a 3-character postal prefix. <see cref="Unknown"/> stands for a value that is absent.
/// </summary>
public readonly record struct QuasiIdentifiers(string AgeBand, string Sex, string PostalPrefix)
{
    /// <summary>The value of a quasi-identifier that is not known (or was suppressed).</summary>
    public const string Unknown = "*";

    /// <summary>All three unknown.</summary>
    public static QuasiIdentifiers None => new(Unknown, Unknown, Unknown);

    /// <summary><c>age band|sex|postal prefix</c>, e.g. <c>40-44|female|104</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{AgeBand}|{Sex}|{PostalPrefix}");
}

/// <summary>Switches for <see cref="Deidentifier"/>: the release's reference date and pseudonym key.</summary>
public sealed class DeidentificationOptions
{
    /// <summary>Shortest release key accepted.</summary>
    public const int MinReleaseKeyBytes = 16;

    /// <summary>Creates options.</summary>
    /// <param name="referenceDate">Ages are computed at this date (e.g. the release date).</param>
    /// <param name="releaseKey">
    /// A fresh random secret for this release (at least <see cref="MinReleaseKeyBytes"/> bytes). Pseudonyms are
    /// a keyed hash of the original ids: stable within one release, unlinkable across releases, and not reversible
    /// without the key. Never derive it from anything guessable, and discard it once the release is built.
    /// </param>
    public DeidentificationOptions(DateOnly referenceDate, ReadOnlyMemory<byte> releaseKey)
    {
        if (releaseKey.Length < MinReleaseKeyBytes)
        {
            throw new ArgumentException($"The release key must be at least {MinReleaseKeyBytes} bytes.", nameof(releaseKey));
        }

        ReferenceDate = referenceDate;
        ReleaseKey = releaseKey.ToArray();
    }

    /// <summary>The date ages are computed at.</summary>
    public DateOnly ReferenceDate { get; }

    /// <summary>The pseudonym key of the release.</summary>
    public ReadOnlyMemory<byte> ReleaseKey { get; }
}

/// <summary>One de-identified FHIR document with what k-anonymity needs to know about it.</summary>
public sealed class DeidentifiedRecord
{
    internal DeidentifiedRecord(ReadOnlyMemory<byte> json, string? patientPseudonym, QuasiIdentifiers quasiIdentifiers, RecordCategory category)
    {
        Json = json;
        PatientPseudonym = patientPseudonym;
        QuasiIdentifiers = quasiIdentifiers;
        Category = category;
    }

    /// <summary>The de-identified FHIR R4 JSON (UTF-8); it passes <c>FhirValidator</c>.</summary>
    public ReadOnlyMemory<byte> Json { get; }

    /// <summary>The patient's pseudonym in this release (the id of the de-identified Patient), or null.</summary>
    public string? PatientPseudonym { get; }

    /// <summary>The generalised quasi-identifiers of the record's patient.</summary>
    public QuasiIdentifiers QuasiIdentifiers { get; }

    /// <summary>The record's category (suggested by the original document).</summary>
    public RecordCategory Category { get; }
}
