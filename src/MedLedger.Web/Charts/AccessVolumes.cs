using MedLedger.Web.Services;

namespace MedLedger.Web.Charts;

/// <summary>
/// Buckets access-log events by time and groups them by "organisation · purpose" for <see cref="AccessChart"/>. The
/// bucket is an hour when the events span at most two days, a day up to 60 days, else a week; buckets run from the
/// first event's bucket to the last's, empty ones included, so the time axis is even.
/// </summary>
public static class AccessVolumes
{
    public const int MaxBuckets = 120;

    public static AccessVolume Build(IReadOnlyList<(DateTimeOffset Time, string Organisation, string Purpose)> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return new AccessVolume([], TimeSpan.FromHours(1), []);
        }

        var first = events.Min(e => e.Time).ToUniversalTime();
        var last = events.Max(e => e.Time).ToUniversalTime();
        var span = last - first;
        var size = span <= TimeSpan.FromDays(2) ? TimeSpan.FromHours(1) : span <= TimeSpan.FromDays(60) ? TimeSpan.FromDays(1) : TimeSpan.FromDays(7);
        var start = new DateTimeOffset(first.Ticks - (first.Ticks % size.Ticks), TimeSpan.Zero);
        var count = (int)Math.Min(MaxBuckets, ((last - start).Ticks / size.Ticks) + 1);

        // With more than MaxBuckets buckets the oldest events are left out, never squeezed into the wrong bucket.
        start = new DateTimeOffset(last.Ticks - (last.Ticks % size.Ticks), TimeSpan.Zero) - (size * (count - 1));
        var buckets = Enumerable.Range(0, count).Select(i => start + (size * i)).ToList();
        var series = new SortedDictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var (time, organisation, purpose) in events)
        {
            var index = (time.ToUniversalTime() - start).Ticks / size.Ticks;
            if (index < 0 || index >= count)
            {
                continue;
            }

            var label = $"{organisation} · {purpose}";
            if (!series.TryGetValue(label, out var counts))
            {
                series[label] = counts = new int[count];
            }

            counts[index]++;
        }

        return new AccessVolume(buckets, size, series.Select(s => new VolumeSeries(s.Key, s.Value)).ToList());
    }
}
