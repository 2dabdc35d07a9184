using MedLedger.Web.Services;
using MedLedger.Web.Sessions;

namespace MedLedger.Web.Tests;

public sealed class SessionStoreTests
{
    private static readonly WebUser Patient = new("patient01", new string('a', 64), WebRole.Patient, "patient", "st-mary", "patient01");

    [Fact]
    public void Create_IssuesDistinctUnguessableIds_AndFindsThem()
    {
        // Ids are 256 random bits (43 base64url characters), distinct per session, and look up their own session.
        using var store = new SessionStore(new ManualClock(DateTimeOffset.UnixEpoch));
        var first = store.Create(Patient, new TrackedCredential());
        var second = store.Create(Patient, new TrackedCredential());
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(43, first.Id.Length);
        Assert.All(first.Id, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
        Assert.Same(first, store.Find(first.Id));
        Assert.Null(store.Find("not-a-session"));
        Assert.Null(store.Find(null));
        Assert.Null(store.Find(new string('x', 1000)));
    }

    [Fact]
    public void IdleTimeout_EndsTheSession_AndDisposesItsKeys()
    {
        // Activity keeps a session alive; 15 minutes without a request end it and dispose the credential at once.
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        using var store = new SessionStore(clock, TimeSpan.FromMinutes(15));
        var credential = new TrackedCredential();
        var session = store.Create(Patient, credential);
        clock.Advance(TimeSpan.FromMinutes(14));
        Assert.NotNull(store.Find(session.Id));
        clock.Advance(TimeSpan.FromMinutes(14));
        Assert.NotNull(store.Find(session.Id));
        clock.Advance(TimeSpan.FromMinutes(15));
        Assert.Null(store.Find(session.Id));
        Assert.True(session.IsEnded);
        Assert.Equal(1, credential.Disposals);
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void Sweep_EndsIdleSessionsWithoutARequest_AndKeepsActiveOnes()
    {
        // The background sweep disposes keys of sessions nobody touches again; active sessions survive it.
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        using var store = new SessionStore(clock, TimeSpan.FromMinutes(15));
        var idle = new TrackedCredential();
        var active = new TrackedCredential();
        store.Create(Patient, idle);
        var kept = store.Create(Patient, active);
        clock.Advance(TimeSpan.FromMinutes(10));
        store.Find(kept.Id);
        clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(1, store.Sweep());
        Assert.Equal(1, idle.Disposals);
        Assert.Equal(0, active.Disposals);
        Assert.NotNull(store.Find(kept.Id));
    }

    [Fact]
    public void Lifetime_EndsEvenAnActiveSession()
    {
        // A session that is used all the time still ends after its absolute lifetime.
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        using var store = new SessionStore(clock, TimeSpan.FromMinutes(15), TimeSpan.FromHours(1));
        var session = store.Create(Patient, new TrackedCredential());
        for (var i = 0; i < 5; i++)
        {
            clock.Advance(TimeSpan.FromMinutes(10));
            Assert.NotNull(store.Find(session.Id));
        }

        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Null(store.Find(session.Id));
    }

    [Fact]
    public void End_IsSignOut_DisposesOnce_AndIsIdempotent()
    {
        // Signing out removes the session and disposes the keys exactly once, however often it is called.
        using var store = new SessionStore(new ManualClock(DateTimeOffset.UnixEpoch));
        var credential = new TrackedCredential();
        var session = store.Create(Patient, credential);
        store.End(session.Id);
        store.End(session.Id);
        store.End(null);
        Assert.Null(store.Find(session.Id));
        Assert.Equal(1, credential.Disposals);
    }

    [Fact]
    public void Create_RefusesBeyondTheBound_AndDisposesTheRefusedCredential()
    {
        // The store is bounded; a refused sign-in does not leak its unlocked keys.
        using var store = new SessionStore(new ManualClock(DateTimeOffset.UnixEpoch), maxSessions: 2);
        store.Create(Patient, new TrackedCredential());
        store.Create(Patient, new TrackedCredential());
        var refused = new TrackedCredential();
        Assert.Throws<InvalidOperationException>(() => store.Create(Patient, refused));
        Assert.Equal(1, refused.Disposals);
    }

    [Fact]
    public void Flash_IsShownOnce()
    {
        using var store = new SessionStore(new ManualClock(DateTimeOffset.UnixEpoch));
        var session = store.Create(Patient, new TrackedCredential());
        session.SetFlash("Granted.");
        Assert.Equal("Granted.", session.TakeFlash());
        Assert.Null(session.TakeFlash());
    }

    [Fact]
    public void Dispose_EndsEverySession()
    {
        // When the node stops, every unlocked key is disposed.
        var store = new SessionStore(new ManualClock(DateTimeOffset.UnixEpoch));
        var credentials = Enumerable.Range(0, 3).Select(_ => new TrackedCredential()).ToList();
        foreach (var credential in credentials)
        {
            store.Create(Patient, credential);
        }

        store.Dispose();
        Assert.All(credentials, c => Assert.Equal(1, c.Disposals));
    }
}
