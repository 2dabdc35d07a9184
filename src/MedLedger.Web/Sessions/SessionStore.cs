using System.Collections.Concurrent;
using System.Security.Cryptography;
using MedLedger.Web.Services;

namespace MedLedger.Web.Sessions;

/// <summary>
/// One signed-in browser. The cookie carries only <see cref="Id"/> (256 random bits); everything else stays in the
/// node's memory: the user, the opaque credential (the unlocked keys, disposed when the session ends) and a one-shot
/// message for the next page.
/// </summary>
public sealed class WebSession
{
    private readonly Lock _lock = new();
    private string? _flash;

    internal WebSession(string id, WebUser user, IDisposable credential, DateTimeOffset now)
    {
        Id = id;
        User = user;
        Credential = credential;
        Created = now;
        LastSeen = now;
    }

    /// <summary>The session id (the cookie's value). Never logged, never put in a URL.</summary>
    public string Id { get; }

    public WebUser User { get; }

    /// <summary>The node's credential for this user; only the node knows its type.</summary>
    public IDisposable Credential { get; }

    public DateTimeOffset Created { get; }

    public DateTimeOffset LastSeen { get; internal set; }

    /// <summary>True once the session ended (sign-out, idle timeout): its credential is disposed.</summary>
    public bool IsEnded { get; internal set; }

    /// <summary>Sets the message the next page shows once (post/redirect/get).</summary>
    public void SetFlash(string message)
    {
        lock (_lock)
        {
            _flash = message;
        }
    }

    /// <summary>Takes the pending message, if any.</summary>
    public string? TakeFlash()
    {
        lock (_lock)
        {
            var message = _flash;
            _flash = null;
            return message;
        }
    }
}

/// <summary>
/// The server-side session store: random ids, an idle timeout (default 15 minutes), an absolute lifetime (default
/// 12 hours) and a bound on concurrent sessions. An ended session's credential is disposed at once, so the unlocked
/// keys live in memory only while the user is active. Time comes from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class SessionStore : IDisposable
{
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(12);
    public const int DefaultMaxSessions = 10_000;

    private readonly ConcurrentDictionary<string, WebSession> _sessions = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;
    private readonly int _maxSessions;

    public SessionStore(TimeProvider clock, TimeSpan? idleTimeout = null, TimeSpan? lifetime = null, int maxSessions = DefaultMaxSessions)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSessions, 1);
        _clock = clock;
        IdleTimeout = idleTimeout ?? DefaultIdleTimeout;
        Lifetime = lifetime ?? DefaultLifetime;
        _maxSessions = maxSessions;
    }

    public TimeSpan IdleTimeout { get; }

    public TimeSpan Lifetime { get; }

    public int Count => _sessions.Count;

    /// <summary>Starts a session for a signed-in user; the store owns <paramref name="credential"/> from now on.</summary>
    public WebSession Create(WebUser user, IDisposable credential)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(credential);
        Sweep();
        if (_sessions.Count >= _maxSessions)
        {
            credential.Dispose();
            throw new InvalidOperationException("Too many open sessions on this node; try again later.");
        }

        var session = new WebSession(Base64Url(RandomNumberGenerator.GetBytes(32)), user, credential, _clock.GetUtcNow());
        Invariant(_sessions.TryAdd(session.Id, session), "256 random bits never collide");
        return session;
    }

    /// <summary>The live session with this id, touching its idle timer; null (and the session ended) when expired.</summary>
    public WebSession? Find(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 64 || !_sessions.TryGetValue(id, out var session))
        {
            return null;
        }

        var now = _clock.GetUtcNow();
        if (IsExpired(session, now))
        {
            End(session.Id);
            return null;
        }

        session.LastSeen = now;
        return session;
    }

    /// <summary>Ends a session (sign-out): removes it and disposes its credential. Idempotent.</summary>
    public void End(string? id)
    {
        if (id is not null && _sessions.TryRemove(id, out var session))
        {
            session.IsEnded = true;
            session.Credential.Dispose();
        }
    }

    /// <summary>Ends every expired session; returns how many.</summary>
    public int Sweep()
    {
        var now = _clock.GetUtcNow();
        var ended = 0;
        foreach (var (id, session) in _sessions)
        {
            if (IsExpired(session, now))
            {
                End(id);
                ended++;
            }
        }

        return ended;
    }

    public void Dispose()
    {
        foreach (var id in _sessions.Keys)
        {
            End(id);
        }
    }

    private bool IsExpired(WebSession session, DateTimeOffset now) =>
        now - session.LastSeen >= IdleTimeout || now - session.Created >= Lifetime;

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static void Invariant(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"Invariant violated: {what}.");
        }
    }
}
