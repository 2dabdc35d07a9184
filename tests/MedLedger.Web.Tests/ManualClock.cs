namespace MedLedger.Web.Tests;

/// <summary>A clock the test moves by hand (Microsoft.Extensions.TimeProvider.Testing is not available here).</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>A credential that records its disposal, standing in for the node's unlocked keys.</summary>
internal sealed class TrackedCredential : IDisposable
{
    public int Disposals { get; private set; }

    public void Dispose() => Disposals++;
}
