using System.Net;
using System.Text.RegularExpressions;
using MedLedger.Web.Security;
using MedLedger.Web.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MedLedger.Web.Tests;

/// <summary>
/// The UI's HTTP behaviour on a real Kestrel socket with stand-in services: security headers, the session cookie's
/// flags, antiforgery on every form, sign-in/out, and that a refusal from a service is shown as "access denied".
/// </summary>
public sealed partial class WebHostTests : IAsyncLifetime
{
    private readonly FakeServices _services = new();
    private WebApplication? _app;
    private Uri _address = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddMedLedgerWebUi();
        builder.Services.AddSingleton<ISignIn>(_services);
        builder.Services.AddSingleton<IPatientPortal>(_services);
        builder.Services.AddSingleton<IRecordViewer>(_services);
        builder.Services.AddSingleton<IDoctorDesk>(_services);
        builder.Services.AddSingleton<IAuditDesk>(_services);
        builder.Services.AddSingleton<IAdminDesk>(_services);
        builder.Services.AddSingleton<IExplorer>(_services);
        _app = builder.Build();
        _app.MapMedLedgerWebUi();
        await _app.StartAsync();
        _address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task SignInPage_CarriesTheSecurityHeaders_AndAnHttpOnlyStrictAntiforgeryCookie()
    {
        using var client = Client(out _);
        using var response = await client.GetAsync(new Uri(_address, "/signin"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(SecurityHeaders.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("default-src 'self'", SecurityHeaders.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", SecurityHeaders.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", SecurityHeaders.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", SecurityHeaders.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        var antiforgery = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(WebUi.AntiforgeryCookie + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", antiforgery, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", antiforgery, StringComparison.OrdinalIgnoreCase);

        // The page has no inline script or style for the CSP to block, and its form carries the token.
        var html = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("style=", html, StringComparison.OrdinalIgnoreCase);
        Assert.Matches(TokenField(), html);
        Assert.Contains("<label for=\"passphrase\">", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_SetsASecureHttpOnlyStrictCookieWithOnlyARandomId_AndSignOutEndsTheSession()
    {
        // 1. Sign in with the form's token: a redirect to the role's home and the session cookie with all its flags.
        using var client = Client(out _);
        var token = await TokenAsync(client, "/signin");
        using var signIn = await client.PostAsync(new Uri(_address, "/signin"), Form(token, ("username", "patient01"), ("passphrase", "demo-patient-passphrase")));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/patient", signIn.Headers.Location!.OriginalString);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(WebUi.SessionCookie + "=", StringComparison.Ordinal));
        Assert.StartsWith("__Host-", cookie, StringComparison.Ordinal);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("expires", cookie, StringComparison.OrdinalIgnoreCase);
        var id = cookie[(WebUi.SessionCookie.Length + 1)..cookie.IndexOf(';', StringComparison.Ordinal)];
        Assert.Equal(43, id.Length);
        Assert.DoesNotContain("patient01", cookie, StringComparison.Ordinal);
        Assert.DoesNotContain("passphrase", signIn.Headers.Location!.OriginalString, StringComparison.Ordinal);

        // 2. The session reaches the service (with this cookie: the handler sends it as the browser would).
        using var page = await client.SendAsync(WithSession(HttpMethod.Get, "/patient", id));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("My records", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("patient01", _services.LastSession!.User.Username);

        // 3. Sign out (with a token): the credential is disposed and the cookie no longer opens a page.
        var signOutToken = await TokenAsync(client, "/signin");
        using var signOut = await client.SendAsync(WithSession(HttpMethod.Post, "/signout", id, Form(signOutToken)));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal(1, _services.LastCredential!.Disposals);
        using var after = await client.SendAsync(WithSession(HttpMethod.Get, "/patient", id));
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/signin", after.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/signin")]
    [InlineData("/signout")]
    [InlineData("/patient/grants")]
    [InlineData("/doctor/find")]
    [InlineData("/doctor/requests")]
    [InlineData("/patient/requests/abc/approve")]
    [InlineData("/patient/requests/abc/decline")]
    [InlineData("/patient/approvals/abc/approve")]
    [InlineData("/patient/approvals/abc/decline")]
    [InlineData("/doctor/patients/abc/records")]
    [InlineData("/audit/integrity")]
    [InlineData("/admin/staff")]
    [InlineData("/account/passphrase")]
    public async Task EveryForm_WithoutAValidAntiforgeryToken_IsRefusedBeforeAnyServiceRuns(string path)
    {
        using var client = Client(out _);
        await TokenAsync(client, "/signin");
        using var missing = await client.PostAsync(new Uri(_address, path), Form(null, ("username", "patient01"), ("passphrase", "x")));
        using var forged = await client.PostAsync(new Uri(_address, path), Form("CfDJ8forged", ("username", "patient01"), ("passphrase", "x")));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(0, _services.Calls);
    }

    [Fact]
    public async Task WrongPassphrase_ShowsAnErrorWithoutEchoingIt_AndSetsNoSession()
    {
        using var client = Client(out _);
        var token = await TokenAsync(client, "/signin");
        using var response = await client.PostAsync(new Uri(_address, "/signin"), Form(token, ("username", "patient01"), ("passphrase", "wrong-secret-123")));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("Unknown username or wrong passphrase", html, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-secret-123", html, StringComparison.Ordinal);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith(WebUi.SessionCookie, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ServiceRefusal_IsShownAsAccessDenied_With403()
    {
        // The pages do not decide who may see what: the service does, and its refusal becomes the "access denied" page.
        using var client = Client(out _);
        var id = await SignInAsync(client, "dr.novak");
        _services.DenyRecords = true;
        using var response = await client.SendAsync(WithSession(HttpMethod.Get, "/records/" + new string('b', 64), id));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Access denied", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(new string('b', 64), _services.LastRecordId);
    }

    // Proves the doctor's request form maps its fields to the desk (pseudonym lower-cased, every ticked tier and
    // category, days), and the desk lists the doctor's requests with their status, linking the patient once granted.
    [Fact]
    public async Task DoctorRequestForm_MapsFieldsToTheDesk_AndTheDeskListsRequestsWithStatus()
    {
        using var client = Client(out _);
        var id = await SignInAsync(client, "dr.novak");
        _services.Requests = [Request("1", "granted"), Request("2", "declined")];
        using var page = await client.SendAsync(WithSession(HttpMethod.Get, "/doctor", id));
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("My access requests", html, StringComparison.Ordinal);
        Assert.Contains($"href=\"/doctor/patients/{new string('1', 64)}\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain($"href=\"/doctor/patients/{new string('2', 64)}\"", html, StringComparison.Ordinal);
        Assert.Contains(">declined</span>", html, StringComparison.Ordinal);
        Assert.Contains("generalClinical, sensitive; all categories", html, StringComparison.Ordinal);

        var token = TokenField().Match(html).Groups["token"].Value;
        var patient = new string('A', 64);
        using var posted = await client.SendAsync(WithSession(HttpMethod.Post, "/doctor/requests", id, Form(token, ("patient", patient), ("purpose", "treatment"), ("tiers", "generalClinical"), ("tiers", "sensitive"), ("categories", "laboratory"), ("days", "14"))));
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        var sent = _services.LastAccessRequest!;
        Assert.Equal(new string('a', 64), sent.Patient);
        Assert.Equal("treatment", sent.Purpose);
        Assert.Equal(["generalClinical", "sensitive"], sent.Tiers);
        Assert.Equal(["laboratory"], sent.Categories);
        Assert.Equal(14, sent.Days);
        Assert.Equal("dr.novak", _services.LastSession!.User.Username);
    }

    // Proves the patient's page shows their pseudonym and each open request (requester, organisation, purpose, scope,
    // days) with Approve and Decline, and each button posts its answer for that request id.
    [Fact]
    public async Task PatientRequestsPage_ShowsOpenRequests_AndApproveAndDeclinePostTheirAnswer()
    {
        using var client = Client(out _);
        var id = await SignInAsync(client, "patient01");
        _services.Requests = [Request("3", "open")];
        using var page = await client.SendAsync(WithSession(HttpMethod.Get, "/patient/requests", id));
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains(new string('d', 64), html, StringComparison.Ordinal);
        Assert.Contains("Dr Petr Novak", html, StringComparison.Ordinal);
        Assert.Contains("Riverside Clinic", html, StringComparison.Ordinal);
        Assert.Contains("30 days", html, StringComparison.Ordinal);
        var requestId = new string('3', 64);
        Assert.Contains($"action=\"/patient/requests/{requestId}/approve\"", html, StringComparison.Ordinal);
        Assert.Contains($"action=\"/patient/requests/{requestId}/decline\"", html, StringComparison.Ordinal);

        var token = TokenField().Match(html).Groups["token"].Value;
        using var approve = await client.SendAsync(WithSession(HttpMethod.Post, $"/patient/requests/{requestId}/approve", id, Form(token)));
        Assert.Equal(HttpStatusCode.Redirect, approve.StatusCode);
        Assert.Equal((requestId, true), _services.LastAnswer);
        using var decline = await client.SendAsync(WithSession(HttpMethod.Post, $"/patient/requests/{requestId}/decline", id, Form(token)));
        Assert.Equal((requestId, false), _services.LastAnswer);
    }

    // Proves the patient's approvals page lists each waiting write (author, organisation, category, parts, expiry) with
    // Approve and Decline, that each button posts its answer for that record id, and that an empty list says so.
    [Fact]
    public async Task PatientApprovalsPage_ShowsWaitingWrites_AndApproveAndDeclinePostTheirAnswer()
    {
        using var client = Client(out _);
        var id = await SignInAsync(client, "patient01");
        using (var empty = await client.SendAsync(WithSession(HttpMethod.Get, "/patient/approvals", id)))
        {
            Assert.Contains("No records are waiting for your approval.", await empty.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var recordId = new string('7', 64);
        _services.WriteRequests = [new WriteRequestRow(recordId, new string('d', 64), "Dr Petr Novak", "Riverside Clinic", "laboratory", ["generalClinical"], new DateTimeOffset(2026, 11, 21, 9, 30, 0, TimeSpan.Zero), 100_007, "open")];
        using var page = await client.SendAsync(WithSession(HttpMethod.Get, "/patient/approvals", id));
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Records waiting for your approval", html, StringComparison.Ordinal);
        Assert.Contains("Dr Petr Novak", html, StringComparison.Ordinal);
        Assert.Contains("Riverside Clinic", html, StringComparison.Ordinal);
        Assert.Contains("2026-11-21 09:30", html, StringComparison.Ordinal);
        Assert.Contains("100007", html, StringComparison.Ordinal);
        Assert.Contains($"action=\"/patient/approvals/{recordId}/approve\"", html, StringComparison.Ordinal);
        Assert.Contains($"action=\"/patient/approvals/{recordId}/decline\"", html, StringComparison.Ordinal);

        Assert.Contains($"href=\"/patient/approvals/{recordId}\"", html, StringComparison.Ordinal);

        // The review page shows the content and answers from there; an unknown id is not found.
        using (var review = await client.SendAsync(WithSession(HttpMethod.Get, $"/patient/approvals/{recordId}", id)))
        {
            var reviewHtml = await review.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, review.StatusCode);
            Assert.Contains("laboratory record waiting for your approval", reviewHtml, StringComparison.Ordinal);
            Assert.Contains("Observation: Peanut allergy test", reviewHtml, StringComparison.Ordinal);
            Assert.Contains($"action=\"/patient/approvals/{recordId}/approve\"", reviewHtml, StringComparison.Ordinal);
        }

        using (var unknown = await client.SendAsync(WithSession(HttpMethod.Get, $"/patient/approvals/{new string('9', 64)}", id)))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        var token = TokenField().Match(html).Groups["token"].Value;
        using var approve = await client.SendAsync(WithSession(HttpMethod.Post, $"/patient/approvals/{recordId}/approve", id, Form(token)));
        Assert.Equal(HttpStatusCode.Redirect, approve.StatusCode);
        Assert.Equal((recordId, true), _services.LastWriteAnswer);
        using var decline = await client.SendAsync(WithSession(HttpMethod.Post, $"/patient/approvals/{recordId}/decline", id, Form(token)));
        Assert.Equal((recordId, false), _services.LastWriteAnswer);
    }

    // Proves the doctor's write form offers both consents and passes the choice on: "portal" asks the patient in their
    // portal, the default confirms on the doctor's screen with the typed username and passphrase.
    [Fact]
    public async Task DoctorWriteForm_PassesTheConsentChoice()
    {
        using var client = Client(out _);
        var id = await SignInAsync(client, "dr.novak");
        var patient = new string('d', 64);
        using var page = await client.SendAsync(WithSession(HttpMethod.Get, $"/doctor/patients/{patient}", id));
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("name=\"consent\" type=\"radio\" value=\"portal\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"consent\" type=\"radio\" value=\"screen\" checked", html, StringComparison.Ordinal);
        var token = TokenField().Match(html).Groups["token"].Value;

        using var portal = await client.SendAsync(WithSession(HttpMethod.Post, $"/doctor/patients/{patient}/records", id, Form(token, ("category", "laboratory"), ("fhir", "{}"), ("consent", "portal"))));
        Assert.Equal(HttpStatusCode.Redirect, portal.StatusCode);
        Assert.True(_services.LastWrite!.AskPatient);
        using var screen = await client.SendAsync(WithSession(HttpMethod.Post, $"/doctor/patients/{patient}/records", id, Form(token, ("category", "laboratory"), ("fhir", "{}"), ("consent", "screen"), ("patientUsername", "patient01"), ("patientPassphrase", "x"))));
        Assert.False(_services.LastWrite!.AskPatient);
        Assert.Equal("patient01", _services.LastWrite.PatientUsername);
    }

    private static AccessRequestRow Request(string digit, string status) => new(
        new string(digit[0], 64), status == "open" ? new string('d', 64) : new string(digit[0], 64), new string('e', 64), "Dr Petr Novak", "Riverside Clinic", "treatment", [], ["generalClinical", "sensitive"], 30, 5, 100_005, status, status == "granted" ? new string('f', 64) : null);

    [Fact]
    public async Task PagesWithoutASession_RedirectToSignIn_AndServeNothing()
    {
        using var client = Client(out _);
        foreach (var path in new[] { "/patient", "/doctor", "/audit", "/admin", "/explorer", "/records/" + new string('a', 64), "/patient/export/records" })
        {
            using var response = await client.GetAsync(new Uri(_address, path));
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/signin", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        Assert.Equal(0, _services.Calls);
    }

    [Fact]
    public async Task Explorer_ListsValidatorsAndNodes_WithRoleOrganisationPowerAndCredit()
    {
        // The explorer shows each node's role, power and credit as the service reports them, a jailed node as such,
        // and a key without a credit record as "no credit record" (credit chain), never a made-up number.
        _services.Status = _services.Status with { NodeRole = "verifier", Credit = new CreditView(1234, false, 5, 6, 1, 3, 0), Epoch = new EpochView(7, 701, 800) };
        _services.Validators =
        [
            new ValidatorRow(new string('1', 64), "node-a", "st-mary", "validator", 333, 1500, false),
            new ValidatorRow(new string('2', 64), "node-b", "riverside", "verifier", 0, 20, true),
            new ValidatorRow(new string('3', 64), "genesis-x", string.Empty, "validator", 1, null, false),
        ];
        using var client = Client(out _);
        var id = await SignInAsync(client, "dr.novak");
        using var response = await client.SendAsync(WithSession(HttpMethod.Get, "/explorer", id));
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rows = ValidatorRows().Matches(html).Select(m => TagText().Replace(m.Value, " ")).ToList();
        Assert.Equal(3, rows.Count);
        Assert.Matches(@"node-a\s+st-mary\s+validator\s+333\s+1500\s", rows[0]);
        Assert.Matches(@"node-b\s+riverside\s+verifier\s+0\s+20 \(jailed\)", rows[1]);
        Assert.Matches(@"genesis-x\s+—\s+validator\s+1\s+no credit record", rows[2]);
        Assert.Contains("data-field=\"credit\">1234</dd>", html, StringComparison.Ordinal);
        Assert.Contains("data-field=\"epoch\">7 (from block 701)</dd>", html, StringComparison.Ordinal);
        Assert.Contains("data-field=\"node-role\">verifier</dd>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("keeps no credit", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminNodeStatus_ShowsRoleCreditEpoch_AndPeersAsDashUntilReported()
    {
        // 1. A chain without credit: the role, "not scored" and a dash for epoch and peers (no number is invented).
        using var client = Client(out _);
        var id = await SignInAsync(client, "admin.st-mary");
        var html = WebUtility.HtmlDecode(await (await client.SendAsync(WithSession(HttpMethod.Get, "/admin", id))).Content.ReadAsStringAsync());
        Assert.Contains("data-field=\"node-role\">validator</dd>", html, StringComparison.Ordinal);
        Assert.Contains("data-field=\"peers\">—</dd>", html, StringComparison.Ordinal);
        Assert.Contains("data-field=\"epoch\">—</dd>", html, StringComparison.Ordinal);
        Assert.Contains("this chain keeps no credit", html, StringComparison.Ordinal);

        // 2. With credit and a peer count: the numbers, and a jailed node says so.
        _services.Status = _services.Status with { Credit = new CreditView(40, true, 0, 0, 9, 0, 1), Epoch = new EpochView(2, 21, 30), ConnectedPeers = 3 };
        html = WebUtility.HtmlDecode(await (await client.SendAsync(WithSession(HttpMethod.Get, "/admin", id))).Content.ReadAsStringAsync());
        Assert.Contains("data-field=\"credit\">40 (jailed)</dd>", html, StringComparison.Ordinal);
        Assert.Contains("data-field=\"peers\">3</dd>", html, StringComparison.Ordinal);
        Assert.Contains("at the end of block 30", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stylesheet_IsServedFromTheAssembly()
    {
        using var client = Client(out _);
        using var response = await client.GetAsync(new Uri(_address, "/ui/site.css"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/css", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains(".series-0", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private HttpClient Client(out CookieContainer cookies)
    {
        cookies = new CookieContainer();
        return new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = _address };
    }

    private async Task<string> SignInAsync(HttpClient client, string username)
    {
        var token = await TokenAsync(client, "/signin");
        using var response = await client.PostAsync(new Uri(_address, "/signin"), Form(token, ("username", username), ("passphrase", "demo-staff-passphrase")));
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(WebUi.SessionCookie + "=", StringComparison.Ordinal));
        return cookie[(WebUi.SessionCookie.Length + 1)..cookie.IndexOf(';', StringComparison.Ordinal)];
    }

    private async Task<string> TokenAsync(HttpClient client, string path)
    {
        var html = await client.GetStringAsync(new Uri(_address, path));
        return TokenField().Match(html).Groups["token"].Value;
    }

    // HttpClient does not send a Secure cookie over http://, unlike browsers for 127.0.0.1; send it by hand.
    private HttpRequestMessage WithSession(HttpMethod method, string path, string id, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, new Uri(_address, path)) { Content = content };
        request.Headers.Add("Cookie", $"{WebUi.SessionCookie}={id}");
        return request;
    }

    private static FormUrlEncodedContent Form(string? token, params (string Name, string Value)[] fields)
    {
        var pairs = fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)).ToList();
        if (token is not null)
        {
            pairs.Add(new(WebUi.AntiforgeryField, token));
        }

        return new FormUrlEncodedContent(pairs);
    }

    [GeneratedRegex("<tr>\\s*<td data-label=\"Name\">.*?</tr>", RegexOptions.Singleline)]
    private static partial Regex ValidatorRows();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex TagText();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"(?<token>[^\"]+)\"")]
    private static partial Regex TokenField();
}
