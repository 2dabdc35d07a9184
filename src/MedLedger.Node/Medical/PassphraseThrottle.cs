namespace MedLedger.Node.Medical;

/// <summary>
/// Limits passphrase guessing against the custodial vaults (web sign-in, vault export, new pseudonyms, a patient's
/// consent on a doctor's screen) without handing anyone a way to lock a user out from elsewhere. Failures are counted
/// three ways, each in a fixed window that starts with its first failure:
/// <list type="bullet">
/// <item>per username and source address: <see cref="PairLimit"/> failures make that pair wait <see cref="PairWait"/> —
/// the user at any other address is not affected;</item>
/// <item>per source address, over any usernames (known or not): <see cref="SourceLimit"/> failures in
/// <see cref="SourceWindow"/> make the source wait <see cref="SourceWait"/> (spraying one passphrase over many users);</item>
/// <item>per username, over all sources: failures from <see cref="UsernameSourceLimit"/> different addresses within
/// <see cref="UsernameWindow"/> make the username wait <see cref="UsernameWait"/> (guessing from many addresses) — the
/// one rule others can trigger for a user, and not from a single address however long it tries.</item>
/// </list>
/// A success clears its pair's count. An IPv6 source counts as its /64 network (<see cref="SourceOf"/>), since one host
/// commonly holds a whole /64. At most <see cref="MaxTracked"/> entries are kept per kind; beyond that the expired ones
/// are dropped, and if none has expired a new entry of that kind is not tracked (the other kinds still count). Behind a
/// reverse proxy every request comes from the proxy's address, so the proxy should do its own per-client limiting.
/// </summary>
public sealed class PassphraseThrottle
{
    public const int PairLimit = 5;
    public const int SourceLimit = 20;
    public const int UsernameSourceLimit = 10;
    public const int MaxTracked = 100_000;
    public static readonly TimeSpan PairWait = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan SourceWindow = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan SourceWait = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan UsernameWindow = TimeSpan.FromHours(1);
    public static readonly TimeSpan UsernameWait = TimeSpan.FromMinutes(15);

    private readonly TimeProvider _clock;
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Username, string Source), Count> _pairs = [];
    private readonly Dictionary<string, Count> _sources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Spread> _usernames = new(StringComparer.Ordinal);

    public PassphraseThrottle(TimeProvider clock)
    {
        _clock = clock;
    }

    /// <summary>The source an attempt is counted under: the IPv4 address, or the /64 network of an IPv6 one.</summary>
    public static string SourceOf(System.Net.IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new System.Net.IPAddress(bytes) + "/64";
    }

    /// <summary>Why an attempt for <paramref name="username"/> from <paramref name="source"/> must wait, or null when it may go ahead.</summary>
    public string? Refusal(string username, string source)
    {
        var now = _clock.GetUtcNow();
        var user = Normalise(username);
        lock (_lock)
        {
            if (IsLocked(_sources, source, now))
            {
                return "Too many failed sign-in attempts from this address; try again later.";
            }

            if (IsLocked(_pairs, (user, source), now) || (_usernames.TryGetValue(user, out var spread) && spread.LockedUntil > now))
            {
                return "Too many failed attempts for this user; try again in a few minutes.";
            }

            return null;
        }
    }

    /// <summary>Counts a failed attempt (unknown username or wrong passphrase).</summary>
    public void Failed(string username, string source)
    {
        var now = _clock.GetUtcNow();
        var user = Normalise(username);
        lock (_lock)
        {
            Add(_sources, source, now, SourceLimit, SourceWindow, SourceWait);
            Add(_pairs, (user, source), now, PairLimit, PairWait, PairWait);
            AddSpread(user, source, now);
        }
    }

    /// <summary>A correct passphrase: the pair starts afresh (the source's and the username's counts stand).</summary>
    public void Succeeded(string username, string source)
    {
        lock (_lock)
        {
            _pairs.Remove((Normalise(username), source));
        }
    }

    /// <summary>How many entries of each kind are tracked (for tests of the bound).</summary>
    public (int Pairs, int Sources, int Usernames) Tracked
    {
        get
        {
            lock (_lock)
            {
                return (_pairs.Count, _sources.Count, _usernames.Count);
            }
        }
    }

    private static string Normalise(string? username) => (username ?? string.Empty).Trim().ToUpperInvariant();

    private static bool IsLocked<TKey>(Dictionary<TKey, Count> counts, TKey key, DateTimeOffset now)
        where TKey : notnull =>
        counts.TryGetValue(key, out var count) && count.LockedUntil > now;

    private static void Add<TKey>(Dictionary<TKey, Count> counts, TKey key, DateTimeOffset now, int limit, TimeSpan window, TimeSpan wait)
        where TKey : notnull
    {
        if (!counts.TryGetValue(key, out var count) || (count.LockedUntil <= now && count.Started + window <= now))
        {
            if (counts.Count >= MaxTracked && !counts.ContainsKey(key))
            {
                Prune(counts, now, window);
                if (counts.Count >= MaxTracked)
                {
                    return;
                }
            }

            count = new Count(0, now, DateTimeOffset.MinValue);
        }

        var failures = count.Failures + 1;
        counts[key] = failures >= limit ? new Count(0, now, now + wait) : count with { Failures = failures };
    }

    private void AddSpread(string user, string source, DateTimeOffset now)
    {
        if (!_usernames.TryGetValue(user, out var spread) || (spread.LockedUntil <= now && spread.Started + UsernameWindow <= now))
        {
            if (_usernames.Count >= MaxTracked && !_usernames.ContainsKey(user))
            {
                foreach (var stale in _usernames.Where(u => u.Value.LockedUntil <= now && u.Value.Started + UsernameWindow <= now).Select(u => u.Key).ToList())
                {
                    _usernames.Remove(stale);
                }

                if (_usernames.Count >= MaxTracked)
                {
                    return;
                }
            }

            spread = new Spread(new HashSet<string>(StringComparer.Ordinal), now);
            _usernames[user] = spread;
        }

        if (spread.LockedUntil > now || !spread.Sources.Add(source) || spread.Sources.Count < UsernameSourceLimit)
        {
            return;
        }

        spread.Sources.Clear();
        spread.Started = now;
        spread.LockedUntil = now + UsernameWait;
    }

    private static void Prune<TKey>(Dictionary<TKey, Count> counts, DateTimeOffset now, TimeSpan window)
        where TKey : notnull
    {
        foreach (var stale in counts.Where(c => c.Value.LockedUntil <= now && c.Value.Started + window <= now).Select(c => c.Key).ToList())
        {
            counts.Remove(stale);
        }
    }

    private readonly record struct Count(int Failures, DateTimeOffset Started, DateTimeOffset LockedUntil);

    // The addresses that failed for one username in the current window (at most UsernameSourceLimit - 1 are kept).
    private sealed class Spread(HashSet<string> sources, DateTimeOffset started)
    {
        public HashSet<string> Sources { get; } = sources;

        public DateTimeOffset Started { get; set; } = started;

        public DateTimeOffset LockedUntil { get; set; } = DateTimeOffset.MinValue;
    }
}
