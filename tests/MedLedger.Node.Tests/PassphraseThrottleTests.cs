using System.Net;
using System.Net.Http.Json;
using MedLedger.Client;
using MedLedger.Ledger;
using MedLedger.Node.Medical;

namespace MedLedger.Node.Tests;

/// <summary>
/// The passphrase throttle: a guesser is slowed per username and address, per address over many usernames and per
/// username over many addresses, while the user at another address keeps signing in.
/// </summary>
public sealed class PassphraseThrottleTests
{
    private readonly SteppedClock _clock = new();

    [Fact]
    public void FivePairFailures_LockThatPairOnly_ForFiveMinutes()
    {
        var throttle = new PassphraseThrottle(_clock);
        for (var i = 0; i < PassphraseThrottle.PairLimit - 1; i++)
        {
            Assert.Null(throttle.Refusal("patient01", "203.0.113.7"));
            throttle.Failed("patient01", "203.0.113.7");
        }

        Assert.Null(throttle.Refusal("patient01", "203.0.113.7"));
        throttle.Failed("patient01", "203.0.113.7");

        Assert.NotNull(throttle.Refusal("patient01", "203.0.113.7"));
        Assert.NotNull(throttle.Refusal("PATIENT01 ", "203.0.113.7"));
        Assert.Null(throttle.Refusal("patient01", "198.51.100.20"));
        Assert.Null(throttle.Refusal("patient02", "203.0.113.7"));

        _clock.Advance(PassphraseThrottle.PairWait - TimeSpan.FromSeconds(1));
        Assert.NotNull(throttle.Refusal("patient01", "203.0.113.7"));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(throttle.Refusal("patient01", "203.0.113.7"));
    }

    [Fact]
    public void ASuccess_StartsThePairAfresh()
    {
        var throttle = new PassphraseThrottle(_clock);
        for (var i = 0; i < PassphraseThrottle.PairLimit - 1; i++)
        {
            throttle.Failed("dr.chen", "203.0.113.7");
        }

        throttle.Succeeded("dr.chen", "203.0.113.7");
        throttle.Failed("dr.chen", "203.0.113.7");
        Assert.Null(throttle.Refusal("dr.chen", "203.0.113.7"));
    }

    [Fact]
    public void OneAddressSprayingManyUsernames_IsStoppedAfterTheSourceLimit_WithoutLockingThoseUsersElsewhere()
    {
        var throttle = new PassphraseThrottle(_clock);
        for (var i = 0; i < PassphraseThrottle.SourceLimit; i++)
        {
            Assert.Null(throttle.Refusal($"user{i}", "203.0.113.7"));
            throttle.Failed($"user{i}", "203.0.113.7");
        }

        var refusal = throttle.Refusal("someone-new", "203.0.113.7");
        Assert.NotNull(refusal);
        Assert.Contains("address", refusal, StringComparison.Ordinal);
        Assert.Null(throttle.Refusal("user0", "198.51.100.20"));

        _clock.Advance(PassphraseThrottle.SourceWait);
        Assert.Null(throttle.Refusal("someone-new", "203.0.113.7"));
    }

    [Fact]
    public void SourceFailures_SpreadOverMoreThanTheWindow_DoNotAddUp()
    {
        var throttle = new PassphraseThrottle(_clock);
        for (var i = 0; i < PassphraseThrottle.SourceLimit - 1; i++)
        {
            throttle.Failed($"user{i}", "203.0.113.7");
        }

        _clock.Advance(PassphraseThrottle.SourceWindow);
        throttle.Failed("user-late", "203.0.113.7");
        Assert.Null(throttle.Refusal("another", "203.0.113.7"));
    }

    [Fact]
    public void ManyAddressesGuessingOneUser_LockTheUsernameAfterItsLimit()
    {
        var throttle = new PassphraseThrottle(_clock);
        for (var i = 0; i < PassphraseThrottle.UsernameSourceLimit; i++)
        {
            var source = $"192.0.2.{i}";
            Assert.Null(throttle.Refusal("patient07", source));
            throttle.Failed("patient07", source);
        }

        Assert.NotNull(throttle.Refusal("patient07", "198.51.100.99"));
        Assert.Null(throttle.Refusal("patient08", "198.51.100.99"));
        _clock.Advance(PassphraseThrottle.UsernameWait);
        Assert.Null(throttle.Refusal("patient07", "198.51.100.99"));
    }

    [Fact]
    public void OneAddressGuessingForHours_NeverLocksTheUserOutForEveryoneElse()
    {
        var throttle = new PassphraseThrottle(_clock);
        for (var minute = 0; minute < 6 * 60; minute++)
        {
            if (throttle.Refusal("patient09", "203.0.113.7") is null)
            {
                throttle.Failed("patient09", "203.0.113.7");
            }

            Assert.Null(throttle.Refusal("patient09", "198.51.100.20"));
            _clock.Advance(TimeSpan.FromMinutes(1));
        }
    }

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::99", "2001:db8:1:2::/64")]
    [InlineData("::1", "::/64")]
    public void Source_IsTheIPv4Address_OrTheIPv6Slash64(string address, string expected) =>
        Assert.Equal(expected, PassphraseThrottle.SourceOf(IPAddress.Parse(address)));

    [Fact]
    public void Source_OfAnUnknownAddress_IsOneSharedBucket() => Assert.Equal("unknown", PassphraseThrottle.SourceOf(null));

    [Fact]
    public void TrackedEntries_AreBounded_AndExpiredOnesMakeRoom()
    {
        var throttle = new PassphraseThrottle(_clock);
        for (var i = 0; i < PassphraseThrottle.MaxTracked + 10; i++)
        {
            throttle.Failed("patient01", $"s{i}");
        }

        Assert.Equal(PassphraseThrottle.MaxTracked, throttle.Tracked.Sources);
        Assert.Equal(PassphraseThrottle.MaxTracked, throttle.Tracked.Pairs);

        _clock.Advance(PassphraseThrottle.SourceWindow);
        throttle.Failed("patient02", "fresh-source");
        Assert.Equal(1, throttle.Tracked.Sources);
    }
}

/// <summary>The throttle on the real node: vault export over REST (SQLite, Kestrel) refuses a locked pair with 429.</summary>
public sealed class CustodyLockoutTests(MedicalNodeFixture fixture) : IClassFixture<MedicalNodeFixture>
{
    private MedicalTestNode Node => fixture.Node;

    [Fact]
    public async Task WrongPassphrases_LockTheVaultExport_WithTheSameAnswerForUnknownUsers_AndOtherUsersUnaffected()
    {
        var doctor = Node.ClientFor(await Node.RegisterAsync(MedicalTestNode.StMary, AccountRole.Doctor, "Dr Lockout"));
        await Node.EnrolPatientAsync(doctor, MedicalTestNode.StMary, "lockout.patient", "NID-LOCK-1");
        await Node.EnrolPatientAsync(doctor, MedicalTestNode.StMary, "lockout.other", "NID-LOCK-2");

        var unknown = await ExportAsync("nobody.here", "whatever passphrase");
        Assert.Equal((HttpStatusCode.Unauthorized, "InvalidCredentials"), unknown);
        for (var i = 0; i < PassphraseThrottle.PairLimit; i++)
        {
            Assert.Equal((HttpStatusCode.Unauthorized, "InvalidCredentials"), await ExportAsync("lockout.patient", $"wrong guess {i}"));
        }

        // Locked: even the right passphrase waits, and nothing is released.
        Assert.Equal((HttpStatusCode.TooManyRequests, "LockedOut"), await ExportAsync("lockout.patient", "lockout.patient passphrase"));
        Assert.Equal((HttpStatusCode.OK, null), await ExportAsync("lockout.other", "lockout.other passphrase"));

        // Unknown usernames count against the address too (1 + 5 failures so far): spraying them stops at the limit, and
        // then this address waits even for a user with the right passphrase.
        for (var i = 1 + PassphraseThrottle.PairLimit; i < PassphraseThrottle.SourceLimit; i++)
        {
            Assert.Equal((HttpStatusCode.Unauthorized, "InvalidCredentials"), await ExportAsync($"nobody.{i}", "a sprayed passphrase"));
        }

        Assert.Equal((HttpStatusCode.TooManyRequests, "LockedOut"), await ExportAsync("lockout.other", "lockout.other passphrase"));
    }

    private async Task<(HttpStatusCode Status, string? Code)> ExportAsync(string username, string passphrase)
    {
        using var response = await Node.Anonymous.PostAsJsonAsync("api/v1/custody/export", new VaultExportRequest(username, passphrase));
        if (response.IsSuccessStatusCode)
        {
            return (response.StatusCode, null);
        }

        using var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, problem.RootElement.GetProperty("code").GetString());
    }
}
