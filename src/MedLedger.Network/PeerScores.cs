using MedLedger.Core;

namespace MedLedger.Network;

/// <summary>
/// Penalty scores and bans by key id, kept across connections so that reconnecting does not wipe a record. Scores
/// decay linearly, by whole minutes; reaching the threshold bans the key for a period and resets its score. Only keys that passed
/// TLS authorisation (consortium members) are ever scored, so the table is bounded by the consortium.
/// </summary>
internal sealed class PeerScores
{
    private readonly Dictionary<Hash, Entry> _entries = [];
    private readonly Lock _lock = new();
    private readonly double _threshold;
    private readonly TimeSpan _banDuration;
    private readonly double _decayPerMinute;

    public PeerScores(double threshold, TimeSpan banDuration, double decayPerMinute)
    {
        _threshold = threshold;
        _banDuration = banDuration;
        _decayPerMinute = decayPerMinute;
    }

    /// <summary>Adds <paramref name="points"/>; returns the ban end if this penalty banned the key.</summary>
    public DateTimeOffset? Add(Hash key, double points, DateTimeOffset now)
    {
        lock (_lock)
        {
            var entry = _entries.TryGetValue(key, out var existing) ? existing : new Entry { UpdatedAt = now };
            var minutes = WholeMinutes(entry, now);
            entry.Score = Decayed(entry, now) + points;
            entry.UpdatedAt += TimeSpan.FromMinutes(minutes);
            DateTimeOffset? bannedUntil = null;
            if (entry.Score >= _threshold)
            {
                entry.Score = 0;
                entry.BannedUntil = now + _banDuration;
                bannedUntil = entry.BannedUntil;
            }

            _entries[key] = entry;
            return bannedUntil;
        }
    }

    public double Score(Hash key, DateTimeOffset now)
    {
        lock (_lock)
        {
            return _entries.TryGetValue(key, out var entry) ? Decayed(entry, now) : 0;
        }
    }

    public bool IsBanned(Hash key, DateTimeOffset now, out DateTimeOffset until)
    {
        lock (_lock)
        {
            until = default;
            if (_entries.TryGetValue(key, out var entry) && entry.BannedUntil is { } end && end > now)
            {
                until = end;
                return true;
            }

            return false;
        }
    }

    public IReadOnlyList<BannedPeer> Bans(DateTimeOffset now)
    {
        lock (_lock)
        {
            return [.. _entries.Where(e => e.Value.BannedUntil > now).Select(e => new BannedPeer(e.Key, e.Value.BannedUntil!.Value)).OrderBy(b => b.KeyId)];
        }
    }

    /// <summary>Decay counts whole minutes only, so that penalties close together add up exactly (2 × 50 reaches 100).</summary>
    private double Decayed(Entry entry, DateTimeOffset now) => Math.Max(0, entry.Score - (WholeMinutes(entry, now) * _decayPerMinute));

    private static long WholeMinutes(Entry entry, DateTimeOffset now) => Math.Max(0, (long)Math.Floor((now - entry.UpdatedAt).TotalMinutes));

    private sealed class Entry
    {
        public double Score { get; set; }

        public DateTimeOffset UpdatedAt { get; set; }

        public DateTimeOffset? BannedUntil { get; set; }
    }
}
