using System.Globalization;
using MedLedger.Web.Components;
using MedLedger.Web.Security;
using MedLedger.Web.Services;
using MedLedger.Web.Sessions;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace MedLedger.Web;

/// <summary>
/// Registers and maps the web UI (docs/web.md). Pages are Razor components rendered on the server
/// (<see cref="RazorComponentResult{TComponent}"/>); every form posts to a handler here that checks the antiforgery
/// token, calls one application service (which authorises and logs) and redirects (post/redirect/get). The session
/// cookie carries only a random id; the node implements the services (<see cref="ISignIn"/> and the desks).
/// </summary>
public static class WebUi
{
    /// <summary>The session cookie: <c>__Host-</c> (Secure, Path=/, no Domain), HttpOnly, SameSite=Strict.</summary>
    public const string SessionCookie = "__Host-medledger-session";

    /// <summary>
    /// The antiforgery cookie: HttpOnly, SameSite=Strict, Secure when the request is. ASP.NET Core refuses to issue an
    /// always-Secure antiforgery cookie over plain HTTP, and a node's UI listens on plain HTTP on 127.0.0.1 (browsers
    /// treat loopback as a secure context), so this one cannot carry the <c>__Host-</c> prefix.
    /// </summary>
    public const string AntiforgeryCookie = "medledger-antiforgery";

    /// <summary>The form field that carries the antiforgery token.</summary>
    public const string AntiforgeryField = "__RequestVerificationToken";

    private const int MaxFormFields = 64;
    private const int MaxFormBytes = 600 * 1024;

    /// <summary>The UI's own services: Razor rendering, antiforgery, the session store and its sweeper.</summary>
    public static IServiceCollection AddMedLedgerWebUi(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = AntiforgeryCookie;
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest;
            options.Cookie.Path = "/";
            options.FormFieldName = AntiforgeryField;
            options.SuppressXFrameOptionsHeader = true;
        });
        // Antiforgery tokens are protected with keys that live in memory only: nothing is written to the user's home
        // folder, and a restarted node simply asks for the form again (its sessions are gone too).
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(provider => new SessionStore(provider.GetRequiredService<TimeProvider>()));
        services.AddHostedService<SessionSweeper>();
        return services;
    }

    /// <summary>Maps the pages, forms and the stylesheet at the site root (the API stays under /api/v1).</summary>
    public static IEndpointRouteBuilder MapMedLedgerWebUi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var ui = app.MapGroup(string.Empty).ExcludeFromDescription().AddEndpointFilter(async (context, next) =>
        {
            SecurityHeaders.Apply(context.HttpContext.Response);
            return await next(context).ConfigureAwait(false);
        });

        app.MapGet("/ui/site.css", (HttpContext context) =>
        {
            SecurityHeaders.Apply(context.Response, cacheable: true);
            return Results.Bytes(Stylesheet.Value, "text/css; charset=utf-8");
        }).ExcludeFromDescription();

        ui.MapGet("/", (HttpContext context, SessionStore sessions) =>
            Current(context, sessions) is { } session ? Results.Redirect(HomeOf(session.User.Role)) : Results.Redirect("/signin"));

        ui.MapGet("/signin", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, string? reason) =>
        {
            if (Current(context, sessions) is { } session)
            {
                return Results.Redirect(HomeOf(session.User.Role));
            }

            var message = reason switch
            {
                "signedout" => "You have signed out.",
                "expired" => "Your session ended after a period of inactivity; please sign in again.",
                _ => null,
            };
            return Render<SignInPage>(context, antiforgery, null, "Sign in", new() { ["Message"] = message });
        });

        ui.MapPost("/signin", async (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, ISignIn signIn) =>
        {
            var form = await ReadFormAsync(context, antiforgery).ConfigureAwait(false);
            if (form is null)
            {
                return BadForm(context, antiforgery, null);
            }

            string username = form["username"].ToString().Trim(), passphrase = form["passphrase"].ToString();
            if (username.Length is 0 or > 64 || passphrase.Length is 0 or > 1024)
            {
                return Render<SignInPage>(context, antiforgery, null, "Sign in", new() { ["Error"] = "Enter your username and passphrase.", ["Username"] = username }, StatusCodes.Status400BadRequest);
            }

            var outcome = await signIn.SignInAsync(username, passphrase, context.RequestAborted).ConfigureAwait(false);
            if (outcome.User is null || outcome.Credential is null)
            {
                outcome.Credential?.Dispose();
                return Render<SignInPage>(context, antiforgery, null, "Sign in", new() { ["Error"] = outcome.Error ?? "Unknown username or wrong passphrase.", ["Username"] = username }, StatusCodes.Status401Unauthorized);
            }

            sessions.End(context.Request.Cookies[SessionCookie]);
            var session = sessions.Create(outcome.User, outcome.Credential);
            context.Response.Cookies.Append(SessionCookie, session.Id, SessionCookieOptions());
            return Results.Redirect(HomeOf(session.User.Role));
        });

        ui.MapPost("/signout", async (HttpContext context, SessionStore sessions, IAntiforgery antiforgery) =>
        {
            if (await ReadFormAsync(context, antiforgery).ConfigureAwait(false) is null)
            {
                return BadForm(context, antiforgery, Current(context, sessions));
            }

            sessions.End(context.Request.Cookies[SessionCookie]);
            context.Response.Cookies.Delete(SessionCookie, SessionCookieOptions());
            return Results.Redirect("/signin?reason=signedout");
        });

        // Every signed-in user: replace the passphrase the custodial vault is sealed under.
        ui.MapGet("/account/passphrase", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery) => Signed(context, sessions, session =>
            Task.FromResult<IResult>(Render<PassphrasePage>(context, antiforgery, session, "Change passphrase", []))));

        ui.MapPost("/account/passphrase", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, ISignIn signIn) => SignedForm(context, sessions, antiforgery, async (session, form) =>
        {
            string current = form["current"].ToString(), replacement = form["replacement"].ToString();
            var result = !string.Equals(replacement, form["confirmation"].ToString(), StringComparison.Ordinal)
                ? WebResult.Fail<string>(WebOutcome.Invalid, "the two new passphrases differ.")
                : current.Length is 0 or > 1024 || replacement.Length is < 8 or > 1024
                    ? WebResult.Fail<string>(WebOutcome.Invalid, "enter your current passphrase and a new one of 8 to 1024 characters.")
                    : await signIn.ChangePassphraseAsync(session, current, replacement, context.RequestAborted).ConfigureAwait(false);
            return After(context, antiforgery, session, result, "/account/passphrase");
        }));

        MapPatient(ui);
        MapDoctor(ui);
        MapAudit(ui);
        MapAdmin(ui);
        MapExplorer(ui);
        return app;
    }

    private static void MapPatient(RouteGroupBuilder ui)
    {
        ui.MapGet("/patient", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IPatientPortal portal) => Signed(context, sessions, async session =>
        {
            var timeline = await portal.TimelineAsync(session, context.RequestAborted).ConfigureAwait(false);
            return timeline.IsOk
                ? Render<PatientHomePage>(context, antiforgery, session, "My records", new() { ["Records"] = timeline.Value })
                : Failure(context, antiforgery, session, timeline);
        }));

        ui.MapGet("/records/{recordId}", (HttpContext context, string recordId, SessionStore sessions, IAntiforgery antiforgery, IRecordViewer viewer) => Signed(context, sessions, async session =>
        {
            var record = await viewer.ReadAsync(session, recordId, context.RequestAborted).ConfigureAwait(false);
            return record.IsOk
                ? Render<RecordPage>(context, antiforgery, session, "Record", new() { ["View"] = record.Value })
                : Failure(context, antiforgery, session, record);
        }));

        ui.MapGet("/patient/grants", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IPatientPortal portal) => Signed(context, sessions, async session =>
        {
            var grants = await portal.GrantsAsync(session, context.RequestAborted).ConfigureAwait(false);
            return grants.IsOk
                ? Render<GrantsPage>(context, antiforgery, session, "Who may see my data", new() { ["Grants"] = grants.Value })
                : Failure(context, antiforgery, session, grants);
        }));

        ui.MapPost("/patient/grants", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IPatientPortal portal) => SignedForm(context, sessions, antiforgery, async (session, form) =>
        {
            _ = int.TryParse(form["days"], NumberStyles.None, CultureInfo.InvariantCulture, out var days);
            var request = new GrantRequest(form["actorKind"].ToString(), form["actor"].ToString().Trim(), form["purpose"].ToString(), [.. form["tiers"].OfType<string>()], [.. form["categories"].OfType<string>()], form["append"] == "on", days);
            var result = await portal.CreateGrantAsync(session, request, context.RequestAborted).ConfigureAwait(false);
            return After(context, antiforgery, session, result, "/patient/grants");
        }));

        ui.MapPost("/patient/grants/{grantId}/revoke", (HttpContext context, string grantId, SessionStore sessions, IAntiforgery antiforgery, IPatientPortal portal) => SignedForm(context, sessions, antiforgery, async (session, _) =>
            After(context, antiforgery, session, await portal.RevokeGrantAsync(session, grantId, context.RequestAborted).ConfigureAwait(false), "/patient/grants")));

        ui.MapGet("/patient/emergency", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IPatientPortal portal) => Signed(context, sessions, async session =>
        {
            var contacts = await portal.EmergencyContactsAsync(session, context.RequestAborted).ConfigureAwait(false);
            return contacts.IsOk
                ? Render<EmergencyContactsPage>(context, antiforgery, session, "Emergency contacts", new() { ["View"] = contacts.Value })
                : Failure(context, antiforgery, session, contacts);
        }));

        ui.MapPost("/patient/emergency", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IPatientPortal portal) => SignedForm(context, sessions, antiforgery, async (session, form) =>
        {
            _ = int.TryParse(form["threshold"], NumberStyles.None, CultureInfo.InvariantCulture, out var threshold);
            var contacts = form["contact"].OfType<string>().Select(c => c.Trim()).Where(c => c.Length > 0).ToList();
            var result = await portal.SetEmergencyContactsAsync(session, new EmergencyContactsRequest(contacts, threshold), context.RequestAborted).ConfigureAwait(false);
            return After(context, antiforgery, session, result, "/patient/emergency");
        }));

        ui.MapGet("/patient/requests", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IPatientPortal portal) => Signed(context, sessions, async session =>
        {
            var requests = await portal.AccessRequestsAsync(session, context.RequestAborted).ConfigureAwait(false);
            return requests.IsOk
                ? Render<AccessRequestsPage>(context, antiforgery, session, "Access requests", new() { ["View"] = requests.Value })
                : Failure(context, antiforgery, session, requests);
        }));

        ui.MapPost("/patient/requests/{requestId}/approve", (HttpContext context, string requestId, SessionStore sessions, IAntiforgery antiforgery, IPatientPortal portal) => SignedForm(context, sessions, antiforgery, async (session, _) =>
            After(context, antiforgery, session, await portal.AnswerAccessRequestAsync(session, requestId, approve: true, context.RequestAborted).ConfigureAwait(false), "/patient/requests")));

        ui.MapPost("/patient/requests/{requestId}/decline", (HttpContext context, string requestId, SessionStore sessions, IAntiforgery antiforgery, IPatientPortal portal) => SignedForm(context, sessions, antiforgery, async (session, _) =>
            After(context, antiforgery, session, await portal.AnswerAccessRequestAsync(session, requestId, approve: false, context.RequestAborted).ConfigureAwait(false), "/patient/requests")));

        ui.MapGet("/patient/approvals", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IPatientPortal portal) => Signed(context, sessions, async session =>
        {
            var requests = await portal.WriteRequestsAsync(session, context.RequestAborted).ConfigureAwait(false);
            return requests.IsOk
                ? Render<WriteRequestsPage>(context, antiforgery, session, "Records to approve", new() { ["Requests"] = requests.Value })
                : Failure(context, antiforgery, session, requests);
        }));

        ui.MapGet("/patient/approvals/{recordId}", (HttpContext context, string recordId, SessionStore sessions, IAntiforgery antiforgery, IPatientPortal portal) => Signed(context, sessions, async session =>
        {
            var request = await portal.WriteRequestAsync(session, recordId, context.RequestAborted).ConfigureAwait(false);
            return request.IsOk
                ? Render<WriteRequestPage>(context, antiforgery, session, "Record to approve", new() { ["View"] = request.Value })
                : Failure(context, antiforgery, session, request);
        }));

        ui.MapPost("/patient/approvals/{recordId}/approve", (HttpContext context, string recordId, SessionStore sessions, IAntiforgery antiforgery, IPatientPortal portal) => SignedForm(context, sessions, antiforgery, async (session, _) =>
            After(context, antiforgery, session, await portal.AnswerWriteRequestAsync(session, recordId, approve: true, context.RequestAborted).ConfigureAwait(false), "/patient/approvals")));

        ui.MapPost("/patient/approvals/{recordId}/decline", (HttpContext context, string recordId, SessionStore sessions, IAntiforgery antiforgery, IPatientPortal portal) => SignedForm(context, sessions, antiforgery, async (session, _) =>
            After(context, antiforgery, session, await portal.AnswerWriteRequestAsync(session, recordId, approve: false, context.RequestAborted).ConfigureAwait(false), "/patient/approvals")));

        ui.MapGet("/patient/access", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IPatientPortal portal) => Signed(context, sessions, async session =>
        {
            var entries = await portal.WhoViewedAsync(session, context.RequestAborted).ConfigureAwait(false);
            return entries.IsOk
                ? Render<WhoViewedPage>(context, antiforgery, session, "Who viewed my data", new() { ["Entries"] = entries.Value })
                : Failure(context, antiforgery, session, entries);
        }));

        ui.MapGet("/patient/export/records", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IPatientPortal portal) => Signed(context, sessions, async session =>
            Download(context, antiforgery, session, await portal.ExportRecordsAsync(session, context.RequestAborted).ConfigureAwait(false))));

        ui.MapGet("/patient/export/access-log", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IPatientPortal portal) => Signed(context, sessions, async session =>
            Download(context, antiforgery, session, await portal.ExportAccessLogAsync(session, context.RequestAborted).ConfigureAwait(false))));
    }

    private static void MapDoctor(RouteGroupBuilder ui)
    {
        ui.MapGet("/doctor", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IDoctorDesk desk) => Signed(context, sessions, async session =>
        {
            var history = await desk.PracticeHistoryAsync(session, context.RequestAborted).ConfigureAwait(false);
            if (!history.IsOk)
            {
                return Failure(context, antiforgery, session, history);
            }

            var requests = await desk.MyAccessRequestsAsync(session, context.RequestAborted).ConfigureAwait(false);
            if (!requests.IsOk)
            {
                return Failure(context, antiforgery, session, requests);
            }

            var writes = await desk.MyWriteRequestsAsync(session, context.RequestAborted).ConfigureAwait(false);
            return writes.IsOk
                ? Render<DoctorHomePage>(context, antiforgery, session, "Doctor's desk", new() { ["History"] = history.Value, ["Requests"] = requests.Value, ["Writes"] = writes.Value })
                : Failure(context, antiforgery, session, writes);
        }));

        // The search posts (names and national ids never go into a URL) and answers with the results directly.
        ui.MapPost("/doctor/find", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IDoctorDesk desk) => SignedForm(context, sessions, antiforgery, async (session, form) =>
        {
            var search = new PatientSearch(Field(form, "nationalId"), Field(form, "givenName"), Field(form, "familyName"), Field(form, "birthDate"));
            var found = await desk.FindPatientAsync(session, search, context.RequestAborted).ConfigureAwait(false);
            if (found.Outcome is WebOutcome.Denied or WebOutcome.Unavailable)
            {
                return Failure(context, antiforgery, session, found);
            }

            var history = await desk.PracticeHistoryAsync(session, context.RequestAborted).ConfigureAwait(false);
            var requests = await desk.MyAccessRequestsAsync(session, context.RequestAborted).ConfigureAwait(false);
            var writes = await desk.MyWriteRequestsAsync(session, context.RequestAborted).ConfigureAwait(false);
            return Render<DoctorHomePage>(context, antiforgery, session, "Doctor's desk", new()
            {
                ["History"] = history.Value ?? [],
                ["Requests"] = requests.Value ?? [],
                ["Writes"] = writes.Value ?? [],
                ["Matches"] = found.Value ?? [],
                ["Searched"] = true,
                ["SearchError"] = found.IsOk ? null : found.Message,
            });
        }));

        ui.MapPost("/doctor/requests", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IDoctorDesk desk) => SignedForm(context, sessions, antiforgery, async (session, form) =>
        {
            _ = int.TryParse(form["days"], NumberStyles.None, CultureInfo.InvariantCulture, out var days);
            var request = new AccessRequestSubmission(form["patient"].ToString().Trim().ToLowerInvariant(), form["purpose"].ToString(), [.. form["tiers"].OfType<string>()], [.. form["categories"].OfType<string>()], days);
            var result = await desk.RequestAccessAsync(session, request, context.RequestAborted).ConfigureAwait(false);
            return After(context, antiforgery, session, result, "/doctor");
        }));

        ui.MapGet("/doctor/open", (HttpContext context, string? pseudonym, SessionStore sessions) => Signed(context, sessions, session =>
            Task.FromResult(pseudonym is { Length: 64 } && pseudonym.All(char.IsAsciiHexDigit)
                ? Results.Redirect($"/doctor/patients/{pseudonym.ToLowerInvariant()}")
                : Results.Redirect("/doctor"))));

        ui.MapGet("/doctor/patients/{patient}", (HttpContext context, string patient, SessionStore sessions, IAntiforgery antiforgery, IDoctorDesk desk) => Signed(context, sessions, async session =>
        {
            var records = await desk.PatientRecordsAsync(session, patient, context.RequestAborted).ConfigureAwait(false);
            return records.IsOk
                ? Render<PatientRecordsPage>(context, antiforgery, session, "Patient's records", new() { ["Patient"] = patient, ["Records"] = records.Value })
                : Failure(context, antiforgery, session, records);
        }));

        ui.MapPost("/doctor/patients/{patient}/records", (HttpContext context, string patient, SessionStore sessions, IAntiforgery antiforgery, IDoctorDesk desk) => SignedForm(context, sessions, antiforgery, async (session, form) =>
        {
            var request = new RecordWriteRequest(patient, form["category"].ToString(), form["fhir"].ToString(), form["patientUsername"].ToString().Trim(), form["patientPassphrase"].ToString(), AskPatient: form["consent"] == "portal");
            var result = await desk.WriteRecordAsync(session, request, context.RequestAborted).ConfigureAwait(false);
            return After(context, antiforgery, session, result, $"/doctor/patients/{Uri.EscapeDataString(patient)}");
        }));
    }

    private static void MapAudit(RouteGroupBuilder ui)
    {
        ui.MapGet("/audit", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IAuditDesk desk) => Signed(context, sessions, async session =>
        {
            if (!TryFilter(context.Request.Query, out var filter, out var problem))
            {
                return Render<MessagePage>(context, antiforgery, session, "Access log", new() { ["Heading"] = "Invalid filter", ["Text"] = problem }, StatusCodes.Status400BadRequest);
            }

            var rows = await desk.SearchAsync(session, filter, context.RequestAborted).ConfigureAwait(false);
            if (!rows.IsOk)
            {
                return Failure(context, antiforgery, session, rows);
            }

            var volume = await desk.VolumeAsync(session, filter, context.RequestAborted).ConfigureAwait(false);
            return Render<AuditPage>(context, antiforgery, session, "Access log", new() { ["Rows"] = rows.Value, ["Volume"] = volume.Value, ["Filter"] = filter, ["Query"] = context.Request.QueryString.Value ?? string.Empty });
        }));

        ui.MapGet("/audit/export.csv", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IAuditDesk desk) => Signed(context, sessions, async session =>
        {
            if (!TryFilter(context.Request.Query, out var filter, out var problem))
            {
                return Render<MessagePage>(context, antiforgery, session, "Access log", new() { ["Heading"] = "Invalid filter", ["Text"] = problem }, StatusCodes.Status400BadRequest);
            }

            var rows = await desk.SearchAsync(session, filter with { Limit = 1000 }, context.RequestAborted).ConfigureAwait(false);
            return rows.IsOk
                ? Download(context, antiforgery, session, WebResult.Ok(new WebFile("access-log.csv", "text/csv; charset=utf-8", AccessCsv.Encode(rows.Value!))))
                : Failure(context, antiforgery, session, rows);
        }));

        ui.MapGet("/audit/export.fhir.json", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IAuditDesk desk) => Signed(context, sessions, async session =>
        {
            if (!TryFilter(context.Request.Query, out var filter, out var problem))
            {
                return Render<MessagePage>(context, antiforgery, session, "Access log", new() { ["Heading"] = "Invalid filter", ["Text"] = problem }, StatusCodes.Status400BadRequest);
            }

            return Download(context, antiforgery, session, await desk.ExportFhirAsync(session, filter with { Limit = 1000 }, context.RequestAborted).ConfigureAwait(false));
        }));

        ui.MapPost("/audit/integrity", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IAuditDesk desk) => SignedForm(context, sessions, antiforgery, async (session, _) =>
        {
            var report = await desk.CheckIntegrityAsync(session, context.RequestAborted).ConfigureAwait(false);
            return report.IsOk
                ? Render<IntegrityPage>(context, antiforgery, session, "Integrity report", new() { ["Report"] = report.Value })
                : Failure(context, antiforgery, session, report);
        }));
    }

    private static void MapAdmin(RouteGroupBuilder ui)
    {
        ui.MapGet("/admin", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IAdminDesk desk, IExplorer explorer) => Signed(context, sessions, async session =>
        {
            var staff = await desk.StaffAsync(session, context.RequestAborted).ConfigureAwait(false);
            if (!staff.IsOk)
            {
                return Failure(context, antiforgery, session, staff);
            }

            var proposals = await desk.ProposalsAsync(session, context.RequestAborted).ConfigureAwait(false);
            var status = await explorer.StatusAsync(session, context.RequestAborted).ConfigureAwait(false);
            return Render<AdminPage>(context, antiforgery, session, "Organisation", new() { ["Staff"] = staff.Value, ["Proposals"] = proposals.Value ?? [], ["Status"] = status.Value });
        }));

        ui.MapPost("/admin/staff", (HttpContext context, SessionStore sessions, IAntiforgery antiforgery, IAdminDesk desk) => SignedForm(context, sessions, antiforgery, async (session, form) =>
        {
            var request = new StaffRequest(form["username"].ToString().Trim(), form["name"].ToString().Trim(), form["role"].ToString(), form["passphrase"].ToString());
            return After(context, antiforgery, session, await desk.RegisterStaffAsync(session, request, context.RequestAborted).ConfigureAwait(false), "/admin");
        }));

        ui.MapPost("/admin/staff/{keyId}/revoke", (HttpContext context, string keyId, SessionStore sessions, IAntiforgery antiforgery, IAdminDesk desk) => SignedForm(context, sessions, antiforgery, async (session, _) =>
            After(context, antiforgery, session, await desk.RevokeStaffAsync(session, keyId, context.RequestAborted).ConfigureAwait(false), "/admin")));

        ui.MapPost("/admin/proposals/{proposalId}/vote", (HttpContext context, string proposalId, SessionStore sessions, IAntiforgery antiforgery, IAdminDesk desk) => SignedForm(context, sessions, antiforgery, async (session, _) =>
            After(context, antiforgery, session, await desk.VoteAsync(session, proposalId, context.RequestAborted).ConfigureAwait(false), "/admin")));
    }

    private static void MapExplorer(RouteGroupBuilder ui)
    {
        ui.MapGet("/explorer", (HttpContext context, ulong? below, SessionStore sessions, IAntiforgery antiforgery, IExplorer explorer) => Signed(context, sessions, async session =>
        {
            var status = await explorer.StatusAsync(session, context.RequestAborted).ConfigureAwait(false);
            if (!status.IsOk)
            {
                return Failure(context, antiforgery, session, status);
            }

            var validators = await explorer.ValidatorsAsync(session, context.RequestAborted).ConfigureAwait(false);
            var blocks = await explorer.BlocksAsync(session, below, 20, context.RequestAborted).ConfigureAwait(false);
            return Render<ExplorerPage>(context, antiforgery, session, "Explorer", new() { ["Status"] = status.Value, ["Validators"] = validators.Value ?? [], ["Blocks"] = blocks.Value ?? [] });
        }));

        ui.MapGet("/explorer/blocks/{height}", (HttpContext context, ulong height, SessionStore sessions, IAntiforgery antiforgery, IExplorer explorer) => Signed(context, sessions, async session =>
        {
            var block = await explorer.BlockAsync(session, height, context.RequestAborted).ConfigureAwait(false);
            return block.IsOk ? Render<BlockPage>(context, antiforgery, session, $"Block {height}", new() { ["View"] = block.Value }) : Failure(context, antiforgery, session, block);
        }));

        ui.MapGet("/explorer/transactions/{transactionId}", (HttpContext context, string transactionId, SessionStore sessions, IAntiforgery antiforgery, IExplorer explorer) => Signed(context, sessions, async session =>
        {
            var transaction = await explorer.TransactionAsync(session, transactionId, context.RequestAborted).ConfigureAwait(false);
            return transaction.IsOk ? Render<TransactionPage>(context, antiforgery, session, "Transaction", new() { ["Transaction"] = transaction.Value }) : Failure(context, antiforgery, session, transaction);
        }));
    }

    /// <summary>The page a role lands on after sign-in.</summary>
    public static string HomeOf(WebRole role) => role switch
    {
        WebRole.Patient => "/patient",
        WebRole.Doctor => "/doctor",
        WebRole.OrgAdmin => "/admin",
        WebRole.Auditor => "/audit",
        _ => "/explorer",
    };

    /// <summary>The session cookie's options: Secure, HttpOnly, SameSite=Strict, Path=/, a session cookie (no expiry).</summary>
    public static CookieOptions SessionCookieOptions() => new()
    {
        HttpOnly = true,
        Secure = true,
        SameSite = SameSiteMode.Strict,
        Path = "/",
        IsEssential = true,
    };

    private static WebSession? Current(HttpContext context, SessionStore sessions) => sessions.Find(context.Request.Cookies[SessionCookie]);

    private static async Task<IResult> Signed(HttpContext context, SessionStore sessions, Func<WebSession, Task<IResult>> page)
    {
        var session = Current(context, sessions);
        if (session is null)
        {
            return Results.Redirect(context.Request.Cookies.ContainsKey(SessionCookie) ? "/signin?reason=expired" : "/signin");
        }

        return await page(session).ConfigureAwait(false);
    }

    private static async Task<IResult> SignedForm(HttpContext context, SessionStore sessions, IAntiforgery antiforgery, Func<WebSession, IFormCollection, Task<IResult>> handler)
    {
        var session = Current(context, sessions);
        var form = await ReadFormAsync(context, antiforgery).ConfigureAwait(false);
        if (form is null)
        {
            return BadForm(context, antiforgery, session);
        }

        if (session is null)
        {
            return Results.Redirect("/signin?reason=expired");
        }

        return await handler(session, form).ConfigureAwait(false);
    }

    /// <summary>Reads a form only when it carries a valid antiforgery token; null otherwise.</summary>
    private static async Task<IFormCollection?> ReadFormAsync(HttpContext context, IAntiforgery antiforgery)
    {
        if (!context.Request.HasFormContentType || context.Request.ContentLength > MaxFormBytes)
        {
            return null;
        }

        try
        {
            var form = await context.Request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions { ValueCountLimit = MaxFormFields, MultipartBodyLengthLimit = MaxFormBytes, ValueLengthLimit = MaxFormBytes }, context.RequestAborted).ConfigureAwait(false);
            return await antiforgery.IsRequestValidAsync(context).ConfigureAwait(false) ? form : null;
        }
        catch (Exception exception) when (exception is InvalidDataException or IOException or BadHttpRequestException)
        {
            return null;
        }
    }

    private static RazorComponentResult<MessagePage> BadForm(HttpContext context, IAntiforgery antiforgery, WebSession? session) =>
        Render<MessagePage>(context, antiforgery, session, "Form expired", new() { ["Heading"] = "The form could not be accepted", ["Text"] = "The form was not sent from this site or has expired. Go back, reload the page and try again." }, StatusCodes.Status400BadRequest);

    private static IResult After<T>(HttpContext context, IAntiforgery antiforgery, WebSession session, WebResult<T> result, string next)
    {
        if (result.IsOk)
        {
            session.SetFlash(result.Message);
            return Results.Redirect(next);
        }

        if (result.Outcome == WebOutcome.Invalid)
        {
            session.SetFlash("Not done: " + result.Message);
            return Results.Redirect(next);
        }

        return Failure(context, antiforgery, session, result);
    }

    private static RazorComponentResult<MessagePage> Failure<T>(HttpContext context, IAntiforgery antiforgery, WebSession session, WebResult<T> result)
    {
        var (status, heading) = result.Outcome switch
        {
            WebOutcome.Denied => (StatusCodes.Status403Forbidden, "Access denied"),
            WebOutcome.NotFound => (StatusCodes.Status404NotFound, "Not found"),
            WebOutcome.Invalid => (StatusCodes.Status400BadRequest, "Not accepted"),
            _ => (StatusCodes.Status503ServiceUnavailable, "Not available"),
        };
        return Render<MessagePage>(context, antiforgery, session, heading, new() { ["Heading"] = heading, ["Text"] = result.Message }, status);
    }

    private static IResult Download(HttpContext context, IAntiforgery antiforgery, WebSession session, WebResult<WebFile> file)
    {
        if (!file.IsOk)
        {
            return Failure(context, antiforgery, session, file);
        }

        return Results.File(file.Value!.Content, file.Value.ContentType, file.Value.FileName);
    }

    private static RazorComponentResult<TPage> Render<TPage>(HttpContext context, IAntiforgery antiforgery, WebSession? session, string title, Dictionary<string, object?> parameters, int status = StatusCodes.Status200OK)
        where TPage : Microsoft.AspNetCore.Components.IComponent
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        parameters["Frame"] = new PageFrame(session?.User, tokens.RequestToken ?? string.Empty, session?.TakeFlash(), title, context.Request.Path.Value ?? "/");
        return new RazorComponentResult<TPage>(parameters) { StatusCode = status };
    }

    private static string? Field(IFormCollection form, string name) => form[name].ToString() is { Length: > 0 } value ? value.Trim() : null;

    private static bool TryFilter(IQueryCollection query, out AccessFilter filter, out string problem)
    {
        filter = new AccessFilter();
        problem = string.Empty;
        DateTimeOffset? from = null, to = null;
        foreach (var (name, target) in new[] { ("from", 0), ("to", 1) })
        {
            if (query[name].ToString() is { Length: > 0 } text)
            {
                if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
                {
                    problem = "From and to are dates (yyyy-MM-dd) or ISO 8601 times.";
                    return false;
                }

                if (target == 0)
                {
                    from = time;
                }
                else
                {
                    to = time.TimeOfDay == TimeSpan.Zero ? time.AddDays(1) : time;
                }
            }
        }

        static string? Value(IQueryCollection query, string name) => query[name].ToString() is { Length: > 0 and <= 128 } text ? text.Trim() : null;
        filter = new AccessFilter(Value(query, "actor"), Value(query, "patient"), Value(query, "record"), Value(query, "organisation"), Value(query, "purpose"), Value(query, "outcome"), Value(query, "action"), from, to);
        return true;
    }

    private static readonly Lazy<byte[]> Stylesheet = new(() =>
    {
        using var stream = typeof(WebUi).Assembly.GetManifestResourceStream("MedLedger.Web.site.css") ?? throw new InvalidOperationException("The stylesheet is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    /// <summary>Ends idle sessions every minute, so unlocked keys do not outlive their timeout in memory.</summary>
    private sealed class SessionSweeper(SessionStore sessions, TimeProvider clock) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), clock);
            try
            {
                while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
                {
                    sessions.Sweep();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            finally
            {
                sessions.Dispose();
            }
        }
    }
}

/// <summary>What every page's frame needs: who is signed in, the form token, a one-shot message, the title.</summary>
public sealed record PageFrame(WebUser? User, string AntiforgeryToken, string? Flash, string Title, string Path);
