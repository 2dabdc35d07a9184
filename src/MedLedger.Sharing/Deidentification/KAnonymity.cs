using System.Globalization;

namespace MedLedger.Sharing.Deidentification;

/// <summary>Records that share the same quasi-identifiers.</summary>
public sealed class EquivalenceClass
{
    internal EquivalenceClass(QuasiIdentifiers key, IReadOnlyList<int> recordIndexes, int individualCount)
    {
        Key = key;
        RecordIndexes = recordIndexes;
        IndividualCount = individualCount;
    }

    /// <summary>The shared quasi-identifiers.</summary>
    public QuasiIdentifiers Key { get; }

    /// <summary>Indexes of the class's records in the checked list, ascending.</summary>
    public IReadOnlyList<int> RecordIndexes { get; }

    /// <summary>Number of records.</summary>
    public int RecordCount => RecordIndexes.Count;

    /// <summary>Number of distinct patients; k-anonymity counts these, not records.</summary>
    public int IndividualCount { get; }

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Key}: {IndividualCount} patients, {RecordCount} records");
}

/// <summary>The equivalence classes of a set of records and those smaller than k.</summary>
public sealed class KAnonymityReport
{
    internal KAnonymityReport(int k, IReadOnlyList<EquivalenceClass> classes)
    {
        K = k;
        Classes = classes;
        SmallClasses = classes.Where(item => item.IndividualCount < k).ToArray();
    }

    /// <summary>The k checked against.</summary>
    public int K { get; }

    /// <summary>All classes, ordered by key (age band, sex, postal prefix; ordinal).</summary>
    public IReadOnlyList<EquivalenceClass> Classes { get; }

    /// <summary>Classes with fewer than k distinct patients.</summary>
    public IReadOnlyList<EquivalenceClass> SmallClasses { get; }

    /// <summary>True when every class holds at least k distinct patients.</summary>
    public bool IsSatisfied => SmallClasses.Count == 0;
}

/// <summary>What <see cref="KAnonymity.Enforce"/> released and what it held back.</summary>
public sealed class KAnonymityResult
{
    internal KAnonymityResult(KAnonymityReport report, IReadOnlyList<DeidentifiedRecord> released, IReadOnlyList<DeidentifiedRecord> suppressed)
    {
        Report = report;
        Released = released;
        Suppressed = suppressed;
    }

    /// <summary>The check of the input, whose <see cref="KAnonymityReport.SmallClasses"/> were suppressed.</summary>
    public KAnonymityReport Report { get; }

    /// <summary>The records that may leave, in input order; every class among them holds at least k patients.</summary>
    public IReadOnlyList<DeidentifiedRecord> Released { get; }

    /// <summary>The records held back, in input order.</summary>
    public IReadOnlyList<DeidentifiedRecord> Suppressed { get; }

    /// <summary>The classes held back.</summary>
    public IReadOnlyList<EquivalenceClass> SuppressedClasses => Report.SmallClasses;
}

/// <summary>
/// k-anonymity over the generalised quasi-identifiers (age band, sex, postal prefix) of de-identified records
/// (SPEC F14, F26, F27): every combination must be shared by at least k distinct patients, or its records are
/// suppressed. Patients are told apart by <see cref="DeidentifiedRecord.PatientPseudonym"/>; a record without one
/// counts as a patient of its own.
/// </summary>
public static class KAnonymity
{
    /// <summary>Largest k accepted (a guard against nonsense input, not a privacy statement).</summary>
    public const int MaxK = 10_000;

    /// <summary>Computes the equivalence classes and the ones smaller than <paramref name="k"/>.</summary>
    public static KAnonymityReport Check(IReadOnlyList<DeidentifiedRecord> records, int k)
    {
        ArgumentNullException.ThrowIfNull(records);
        return Check(records, record => record.QuasiIdentifiers, record => record.PatientPseudonym, k);
    }

    /// <summary>
    /// The same check over any items: <paramref name="quasiIdentifiers"/> gives each item's class and
    /// <paramref name="individual"/> the patient it belongs to (null: an individual of its own).
    /// </summary>
    public static KAnonymityReport Check<T>(IReadOnlyList<T> items, Func<T, QuasiIdentifiers> quasiIdentifiers, Func<T, string?> individual, int k)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(quasiIdentifiers);
        ArgumentNullException.ThrowIfNull(individual);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, MaxK);

        var groups = new Dictionary<QuasiIdentifiers, (List<int> Indexes, HashSet<string> Individuals)>();
        for (var i = 0; i < items.Count; i++)
        {
            var key = quasiIdentifiers(items[i]);
            if (!groups.TryGetValue(key, out var group))
            {
                group = ([], new HashSet<string>(StringComparer.Ordinal));
                groups.Add(key, group);
            }

            group.Indexes.Add(i);
            group.Individuals.Add(individual(items[i]) ?? "#record-" + i.ToString(CultureInfo.InvariantCulture));
        }

        var classes = groups
            .OrderBy(pair => pair.Key.AgeBand, StringComparer.Ordinal)
            .ThenBy(pair => pair.Key.Sex, StringComparer.Ordinal)
            .ThenBy(pair => pair.Key.PostalPrefix, StringComparer.Ordinal)
            .Select(pair => new EquivalenceClass(pair.Key, pair.Value.Indexes.AsReadOnly(), pair.Value.Individuals.Count))
            .ToArray();
        return new KAnonymityReport(k, classes);
    }

    /// <summary>Suppresses the records of every class with fewer than <paramref name="k"/> patients.</summary>
    public static KAnonymityResult Enforce(IReadOnlyList<DeidentifiedRecord> records, int k)
    {
        var report = Check(records, k);
        var suppressed = new HashSet<int>(report.SmallClasses.SelectMany(item => item.RecordIndexes));
        var released = new List<DeidentifiedRecord>();
        var held = new List<DeidentifiedRecord>();
        for (var i = 0; i < records.Count; i++)
        {
            (suppressed.Contains(i) ? held : released).Add(records[i]);
        }

        return new KAnonymityResult(report, released.AsReadOnly(), held.AsReadOnly());
    }
}
