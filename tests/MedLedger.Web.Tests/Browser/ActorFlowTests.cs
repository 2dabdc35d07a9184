using System.Text.RegularExpressions;
using MedLedger.Sharing.Demo;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace MedLedger.Web.Tests.Browser;

/// <summary>
/// Each actor's main flow and a denied path, end to end in headless Chromium against a real demo node (see
/// <see cref="DemoNode"/>): sign in, do the job, see the result on the page, sign out. Screenshots of the key pages go
/// to the test output's artifacts/screenshots folder (its path is printed). The demo data is seeded by the CLI with
/// seed 2026 (SyntheticPatients), so patient01's identity is known here; its home doctor is dr.chen and it granted
/// dr.silva read access; dr.novak has no grant from it.
/// </summary>
[Collection(DemoNodeGroup.Name)]
public sealed partial class ActorFlowTests(DemoNode node, ITestOutputHelper output)
{
    [Fact]
    public async Task Patient_SeesTimelineAndRecord_GrantsAndRevokes_SeesWhoViewed_ExportsData()
    {
        var page = await SignInAsync("patient01");

        // 1. The timeline lists the patient's records across institutions; open the first one.
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "My records" })).ToBeVisibleAsync();
        var recordLinks = page.Locator("ol.timeline a");
        Assert.True(await recordLinks.CountAsync() >= 3, "the timeline lists the patient's records");
        await ShotAsync(page, "patient-timeline");
        await recordLinks.First.ClickAsync();
        await Expect(page.GetByText("Verified: the ciphertext matches")).ToBeVisibleAsync();
        await Expect(page.Locator("details summary")).ToContainTextAsync("FHIR document");
        await ShotAsync(page, "patient-record");

        // 2. Grant dr.novak treatment access for 7 days, see it listed, revoke it.
        await page.GetByRole(AriaRole.Link, new() { Name = "Sharing" }).ClickAsync();
        await page.GetByLabel("To", new() { Exact = true }).SelectOptionAsync("user");
        await page.GetByLabel("Username, organisation id or role").FillAsync("dr.novak");
        await page.GetByLabel("For how many days").FillAsync("7");
        await page.GetByRole(AriaRole.Button, new() { Name = "Grant access" }).ClickAsync();
        await Expect(page.Locator(".flash")).ToContainTextAsync("Granted treatment access to Dr Petr Novak");
        var novakRow = page.Locator("table.grants tr", new() { HasText = "Dr Petr Novak" });
        await Expect(novakRow).ToContainTextAsync("active");
        await ShotAsync(page, "patient-grants");
        await novakRow.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(page.Locator(".flash")).ToContainTextAsync("The grant is revoked");
        await Expect(page.Locator("table.grants tr", new() { HasText = "Dr Petr Novak" })).ToContainTextAsync("revoked");

        // 3. "Who viewed my data" shows the read just made and the grant; both exports download as FHIR.
        await page.GetByRole(AriaRole.Link, new() { Name = "Who viewed my data" }).First.ClickAsync();
        await Expect(page.Locator("table.access-log")).ToContainTextAsync("read");
        await Expect(page.Locator("table.access-log")).ToContainTextAsync("grant");
        var bundle = await DownloadAsync(page, "Download (FHIR AuditEvent)");
        Assert.Contains("\"AuditEvent\"", bundle, StringComparison.Ordinal);
        await page.GetByRole(AriaRole.Link, new() { Name = "My records" }).ClickAsync();
        var records = await DownloadAsync(page, "Download my records (FHIR Bundle)");
        Assert.Contains("\"resourceType\":\"Bundle\"", records, StringComparison.Ordinal);
        Assert.Contains("urn:medledger:record:", records, StringComparison.Ordinal);

        await SignOutAsync(page);
    }

    [Fact]
    public async Task Patient_NamesEmergencyContacts_WithAThreshold_ReplacesThem_AndBadInputIsRefused()
    {
        // patient05 names emergency contacts by username; they go on chain as user ids and are listed by name.
        var page = await SignInAsync("patient05");
        await page.GetByRole(AriaRole.Link, new() { Name = "Emergency contacts" }).ClickAsync();
        await Expect(page.GetByText("You have not named any emergency contacts.")).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Approvals needed")).ToHaveValueAsync("2");

        // 1. Three contacts, threshold 2.
        await page.GetByLabel("Contact 1", new() { Exact = true }).FillAsync("patient06");
        await page.GetByLabel("Contact 2", new() { Exact = true }).FillAsync("dr.chen");
        await page.GetByLabel("Contact 3", new() { Exact = true }).FillAsync("dr.silva");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save emergency contacts" }).ClickAsync();
        await Expect(page.Locator(".flash")).ToContainTextAsync("Saved 3 emergency contacts; emergency access will need 2 of them");
        await Expect(page.Locator("table.emergency-contacts tbody tr")).ToHaveCountAsync(3);
        await Expect(page.Locator("[data-field=threshold]")).ToHaveTextAsync("2");
        await ShotAsync(page, "patient-emergency-contacts");

        // 2. A threshold above the number of contacts, an unknown username and the patient themselves are refused;
        //    the stored contacts stay.
        await page.GetByLabel("Approvals needed").FillAsync("4");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save emergency contacts" }).ClickAsync();
        await Expect(page.Locator(".error, .flash").First).ToContainTextAsync("between 1 and the number of contacts");
        await page.GotoAsync(new Uri(node.Address, "patient/emergency").ToString());
        await page.GetByLabel("Contact 4", new() { Exact = true }).FillAsync("no.such.user");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save emergency contacts" }).ClickAsync();
        await Expect(page.Locator(".error, .flash").First).ToContainTextAsync("No active user");
        await page.GotoAsync(new Uri(node.Address, "patient/emergency").ToString());
        await page.GetByLabel("Contact 4", new() { Exact = true }).FillAsync("patient05");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save emergency contacts" }).ClickAsync();
        await Expect(page.Locator(".error, .flash").First).ToContainTextAsync("your own emergency contact");
        await page.GotoAsync(new Uri(node.Address, "patient/emergency").ToString());
        await Expect(page.Locator("table.emergency-contacts tbody tr")).ToHaveCountAsync(3);

        // 3. Replace them with one contact, threshold 1.
        for (var i = 1; i <= 5; i++)
        {
            await page.GetByLabel($"Contact {i}", new() { Exact = true }).FillAsync(i == 1 ? "patient06" : string.Empty);
        }

        await page.GetByLabel("Approvals needed").FillAsync("1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save emergency contacts" }).ClickAsync();
        await Expect(page.Locator(".flash")).ToContainTextAsync("Saved 1 emergency contacts");
        await Expect(page.Locator("table.emergency-contacts tbody tr")).ToHaveCountAsync(1);
        await SignOutAsync(page);
    }

    [Fact]
    public async Task Patient_Denied_AuditorPagesAndForgedForms()
    {
        // A patient who types the auditor's address is refused (and the attempt logged); a form posted from
        // elsewhere, without the antiforgery token, is refused before anything runs.
        var page = await SignInAsync("patient02");
        var response = await page.GotoAsync(new Uri(node.Address, "audit").ToString());
        Assert.Equal(403, response!.Status);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Access denied" })).ToBeVisibleAsync();
        var forged = await page.APIRequest.PostAsync(new Uri(node.Address, "patient/grants").ToString(), new() { Form = page.APIRequest.CreateFormData().Set("actorKind", "role").Set("actor", "doctor").Set("purpose", "research").Set("tiers", "sensitive").Set("days", "3650") });
        Assert.Equal(400, forged.Status);
        await page.GotoAsync(new Uri(node.Address, "patient/grants").ToString());
        await Expect(page.Locator("main")).Not.ToContainTextAsync("every doctor");
        await SignOutAsync(page);
    }

    [Fact]
    public async Task Doctor_FindsGrantedPatient_ReadsRecord_WritesRecordWithConsent_SeesPracticeHistory()
    {
        var patient = SyntheticPatients.Generate(2026, 6)[0];
        var page = await SignInAsync("dr.silva");

        // 1. Find patient01 in the EMPI by national id: found, because patient01 granted dr.silva.
        await page.GetByLabel("National id").FillAsync(patient.NationalId);
        await page.GetByRole(AriaRole.Button, new() { Name = "Find patient" }).ClickAsync();
        Assert.DoesNotContain(patient.NationalId, page.Url, StringComparison.Ordinal);
        var match = page.Locator("section[aria-labelledby=matches] a").First;
        await Expect(match).ToBeVisibleAsync();
        await ShotAsync(page, "doctor-search");
        await match.ClickAsync();

        // 2. The granted records are listed; one opens (general clinical tier).
        await Expect(page.Locator("table.responsive tbody tr").First).ToBeVisibleAsync();
        var patientUrl = page.Url;
        await page.Locator("table.responsive tbody tr a").First.ClickAsync();
        await Expect(page.GetByText("Verified: the ciphertext matches")).ToBeVisibleAsync();

        // 3. Write a record; patient01 consents with their passphrase on the doctor's screen.
        await page.GotoAsync(patientUrl);
        await page.GetByLabel("Category").SelectOptionAsync("examination");
        await page.GetByLabel("Patient's username").FillAsync("patient01");
        await page.GetByLabel("Patient's passphrase").FillAsync(node.Login("patient01").Passphrase);
        await ShotAsync(page, "doctor-write");
        await page.GetByRole(AriaRole.Button, new() { Name = "Write record" }).ClickAsync();
        await Expect(page.Locator(".flash")).ToContainTextAsync("Record written with the patient's consent");

        // 4. The practice history shows it.
        await page.GetByRole(AriaRole.Link, new() { Name = "Doctor's desk" }).ClickAsync();
        await Expect(page.Locator("table.responsive")).ToContainTextAsync("examination");
        await SignOutAsync(page);
    }

    [Fact]
    public async Task Doctor_WithoutGrant_SeesAccessDenied_AndThePatientSeesTheAttempt()
    {
        // 1. patient03's record id, from patient03's own timeline.
        var patientPage = await SignInAsync("patient03");
        var href = await patientPage.Locator("ol.timeline a").First.GetAttributeAsync("href");
        await SignOutAsync(patientPage);

        // 2. dr.novak has no grant from patient03 (the demo grants patient01 and patient04 only): access denied.
        var doctor = await SignInAsync("dr.novak");
        var response = await doctor.GotoAsync(new Uri(node.Address, href!.TrimStart('/')).ToString());
        Assert.Equal(403, response!.Status);
        await Expect(doctor.GetByRole(AriaRole.Heading, new() { Name = "Access denied" })).ToBeVisibleAsync();
        await Expect(doctor.Locator(".denied")).ToContainTextAsync("No grant of the patient covers this record");
        await ShotAsync(doctor, "doctor-denied");
        await SignOutAsync(doctor);

        // 3. patient03 sees the refused attempt by Dr Petr Novak in "who viewed my data".
        patientPage = await SignInAsync("patient03");
        await patientPage.GetByRole(AriaRole.Link, new() { Name = "Who viewed my data" }).First.ClickAsync();
        var attempt = patientPage.Locator("table.access-log tr", new() { HasText = "Dr Petr Novak" }).Filter(new() { HasText = "denied" });
        await Expect(attempt.First).ToBeVisibleAsync();
        await ShotAsync(patientPage, "patient-who-viewed");
        await SignOutAsync(patientPage);
    }

    [Fact]
    public async Task Doctor_WithoutGrant_RequestsAccess_PatientApproves_DoctorOpensTheRecord_AndADeclineIsShown()
    {
        // 1. patient06's pseudonyms (from their access-requests page) and a record id (from their timeline).
        var patientPage = await SignInAsync("patient06");
        var href = await patientPage.Locator("ol.timeline a").First.GetAttributeAsync("href");
        await patientPage.GetByRole(AriaRole.Link, new() { Name = "Access requests" }).ClickAsync();
        await Expect(patientPage.GetByText("No open access requests.")).ToBeVisibleAsync();
        var pseudonyms = await patientPage.Locator("[data-field=pseudonym]").AllInnerTextsAsync();
        Assert.NotEmpty(pseudonyms);
        await SignOutAsync(patientPage);

        // 2. dr.novak has no grant from patient06: the record is denied. He asks each pseudonym for read access to every
        //    tier (the first timeline record may hold only one tier, e.g. identity).
        var doctor = await SignInAsync("dr.novak");
        var denied = await doctor.GotoAsync(new Uri(node.Address, href!.TrimStart('/')).ToString());
        Assert.Equal(403, denied!.Status);
        foreach (var pseudonym in pseudonyms)
        {
            await doctor.GotoAsync(new Uri(node.Address, "doctor").ToString());
            await doctor.Locator("#requestPseudonym").FillAsync(pseudonym.Trim());
            await doctor.GetByLabel("identity").CheckAsync();
            await doctor.GetByLabel("sensitive").CheckAsync();
            await doctor.GetByLabel("For how many days").FillAsync("7");
            await doctor.GetByRole(AriaRole.Button, new() { Name = "Request access" }).ClickAsync();
            await Expect(doctor.Locator(".flash")).ToContainTextAsync("Access requested from patient");
        }

        await Expect(doctor.Locator("table.my-requests tbody tr").Filter(new() { HasText = "open" })).ToHaveCountAsync(pseudonyms.Count);
        await ShotAsync(doctor, "doctor-access-requests");
        await SignOutAsync(doctor);

        // 3. patient06 sees the requests (requester, purpose, scope, days) and approves each.
        patientPage = await SignInAsync("patient06");
        await patientPage.GetByRole(AriaRole.Link, new() { Name = "Access requests" }).ClickAsync();
        var rows = patientPage.Locator("table.access-requests tbody tr");
        await Expect(rows).ToHaveCountAsync(pseudonyms.Count);
        await Expect(rows.First).ToContainTextAsync("Dr Petr Novak");
        await Expect(rows.First).ToContainTextAsync("treatment");
        await Expect(rows.First).ToContainTextAsync("7 days");
        await ShotAsync(patientPage, "patient-access-requests");
        for (var i = 0; i < pseudonyms.Count; i++)
        {
            await patientPage.Locator("table.access-requests tbody tr").First.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
            await Expect(patientPage.Locator(".flash")).ToContainTextAsync("You granted Dr Petr Novak treatment access for 7 days");
        }

        await Expect(patientPage.GetByText("No open access requests.")).ToBeVisibleAsync();
        await SignOutAsync(patientPage);

        // 4. dr.novak sees the requests granted and now opens the record.
        doctor = await SignInAsync("dr.novak");
        await doctor.GotoAsync(new Uri(node.Address, "doctor").ToString());
        await Expect(doctor.Locator("table.my-requests tbody tr").Filter(new() { HasText = "granted" })).ToHaveCountAsync(pseudonyms.Count);
        var allowed = await doctor.GotoAsync(new Uri(node.Address, href.TrimStart('/')).ToString());
        Assert.True(allowed!.Status == 200, $"status {allowed.Status}: {await doctor.InnerTextAsync("main")}");
        await Expect(doctor.GetByText("Verified: the ciphertext matches")).ToBeVisibleAsync();
        await SignOutAsync(doctor);

        // 5. Decline: dr.novak asks patient05, who declines; the doctor sees it declined and still cannot read.
        patientPage = await SignInAsync("patient05");
        var declinedHref = await patientPage.Locator("ol.timeline a").First.GetAttributeAsync("href");
        await patientPage.GetByRole(AriaRole.Link, new() { Name = "Access requests" }).ClickAsync();
        var other = (await patientPage.Locator("[data-field=pseudonym]").First.InnerTextAsync()).Trim();
        await SignOutAsync(patientPage);
        doctor = await SignInAsync("dr.novak");
        await doctor.GotoAsync(new Uri(node.Address, "doctor").ToString());
        await doctor.Locator("#requestPseudonym").FillAsync(other);
        await doctor.GetByRole(AriaRole.Button, new() { Name = "Request access" }).ClickAsync();
        await Expect(doctor.Locator(".flash")).ToContainTextAsync("Access requested from patient");
        await SignOutAsync(doctor);
        patientPage = await SignInAsync("patient05");
        await patientPage.GetByRole(AriaRole.Link, new() { Name = "Access requests" }).ClickAsync();
        await patientPage.Locator("table.access-requests tbody tr", new() { HasText = "Dr Petr Novak" }).GetByRole(AriaRole.Button, new() { Name = "Decline" }).ClickAsync();
        await Expect(patientPage.Locator(".flash")).ToContainTextAsync("You declined the request of Dr Petr Novak");
        await Expect(patientPage.GetByText("No open access requests.")).ToBeVisibleAsync();
        await SignOutAsync(patientPage);
        doctor = await SignInAsync("dr.novak");
        await doctor.GotoAsync(new Uri(node.Address, "doctor").ToString());
        await Expect(doctor.Locator("table.my-requests tbody tr").Filter(new() { HasText = other[..12] })).ToContainTextAsync("declined");
        var stillDenied = await doctor.GotoAsync(new Uri(node.Address, declinedHref!.TrimStart('/')).ToString());
        Assert.Equal(403, stillDenied!.Status);
        await SignOutAsync(doctor);
    }

    [Fact]
    public async Task Auditor_SearchesTheLog_SeesChartAndDenied_ExportsCsv_RunsIntegrity_AndIsDeniedRecordContent()
    {
        var page = await SignInAsync("auditor.berg");

        // 1. The log with its server-drawn chart.
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Access log", Exact = true })).ToBeVisibleAsync();
        await Expect(page.Locator("figure svg.chart rect").First).ToBeVisibleAsync();
        Assert.True(await page.Locator("table.access-log tbody tr").CountAsync() > 0);
        await ShotAsync(page, "auditor-log");

        // 2. Filter to denied attempts; every row says denied.
        await page.GetByLabel("Outcome").SelectOptionAsync("denied");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        Assert.Contains("outcome=denied", page.Url, StringComparison.Ordinal);
        foreach (var outcome in await page.Locator("table.access-log tbody td[data-label=Outcome] .badge").AllTextContentsAsync())
        {
            Assert.Equal("denied", outcome);
        }

        // 3. CSV and FHIR exports of the filtered log.
        var csv = await DownloadAsync(page, "Export CSV");
        Assert.StartsWith("time,actor,actor_role,organisation", csv, StringComparison.Ordinal);
        var fhir = await DownloadAsync(page, "Export FHIR AuditEvent");
        Assert.Contains("\"Bundle\"", fhir, StringComparison.Ordinal);

        // 4. The integrity audit checks every held ciphertext.
        await page.GetByRole(AriaRole.Button, new() { Name = "Run integrity audit" }).ClickAsync();
        await Expect(page.Locator("p[role=status]")).ToContainTextAsync("stored ciphertexts match their on-chain pointers");
        Assert.Matches(IntegrityLine(), await page.Locator("p[role=status]").TextContentAsync() ?? string.Empty);
        await ShotAsync(page, "auditor-integrity");

        // 5. Denied: an auditor never reads record contents.
        var anyRecord = await FirstRecordOfAsync("patient02");
        var response = await page.GotoAsync(new Uri(node.Address, anyRecord.TrimStart('/')).ToString());
        Assert.Equal(403, response!.Status);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Access denied" })).ToBeVisibleAsync();
        await SignOutAsync(page);
    }

    [Fact]
    public async Task OrgAdmin_RegistersAndRevokesStaff_SeesNodeStatus_AndIsDeniedTheAuditLog()
    {
        var page = await SignInAsync("admin.riverside-clinic");
        await Expect(page.GetByText("Validator role")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-field=node-role]")).ToHaveTextAsync(new Regex("^(validator|verifier)$"));
        await Expect(page.Locator("[data-field=peers]")).ToHaveTextAsync("—");
        await Expect(page.Locator("[data-field=credit]")).ToContainTextAsync("not scored");

        // 1. Register a doctor; the new account is on chain and listed as active.
        await page.GetByLabel("Full name").FillAsync("Dr Web Test");
        await page.GetByLabel("Username").FillAsync("dr.webtest");
        await page.GetByLabel("Role").SelectOptionAsync("doctor");
        await page.GetByLabel("Initial passphrase").FillAsync("a-long-initial-passphrase");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        await Expect(page.Locator(".flash")).ToContainTextAsync("Registered Dr Web Test");
        var row = page.Locator("table.staff tr", new() { HasText = "Dr Web Test" });
        await Expect(row).ToContainTextAsync("active");
        await ShotAsync(page, "admin-staff");

        // 2. Revoke: listed as revoked, and the revoked doctor can no longer sign in.
        await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(page.Locator(".flash")).ToContainTextAsync("Revoked Dr Web Test");
        await Expect(page.Locator("table.staff tr", new() { HasText = "Dr Web Test" })).ToContainTextAsync("revoked");

        // 3. Denied: the consortium-wide access log is the auditors'.
        var response = await page.GotoAsync(new Uri(node.Address, "audit").ToString());
        Assert.Equal(403, response!.Status);
        await SignOutAsync(page);

        var revoked = await node.Browser.NewPageAsync();
        await revoked.GotoAsync(new Uri(node.Address, "signin").ToString());
        await revoked.GetByLabel("Username").FillAsync("dr.webtest");
        await revoked.GetByLabel("Passphrase").FillAsync("a-long-initial-passphrase");
        await revoked.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(revoked.Locator(".error")).ToContainTextAsync("revoked");
        await revoked.CloseAsync();
    }

    [Fact]
    public async Task NewStaff_ReplacesTheInitialPassphrase_AndOnlyTheNewOneSignsIn()
    {
        // The admin chose the first passphrase; the newcomer replaces it with one only they know.
        var admin = await SignInAsync("admin.riverside-clinic");
        await admin.GetByLabel("Full name").FillAsync("Dr New Comer");
        await admin.GetByLabel("Username").FillAsync("dr.newcomer");
        await admin.GetByLabel("Role").SelectOptionAsync("doctor");
        await admin.GetByLabel("Initial passphrase").FillAsync("the-admins-initial-passphrase");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        await Expect(admin.Locator(".flash")).ToContainTextAsync("Registered Dr New Comer");
        await SignOutAsync(admin);

        var page = await SignInWithAsync("dr.newcomer", "the-admins-initial-passphrase");
        await page.GetByRole(AriaRole.Link, new() { Name = "Change passphrase" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Change passphrase" })).ToBeVisibleAsync();

        // Refused, changing nothing: the confirmation differs; the current passphrase is wrong.
        await FillPassphrasesAsync(page, "the-admins-initial-passphrase", "mine and only mine", "mine and only mime");
        await Expect(page.Locator(".flash")).ToContainTextAsync("Not done: the two new passphrases differ.");
        await FillPassphrasesAsync(page, "not-the-current-passphrase", "mine and only mine", "mine and only mine");
        await Expect(page.Locator(".flash")).ToContainTextAsync("Not done: Unknown username or wrong passphrase.");

        await FillPassphrasesAsync(page, "the-admins-initial-passphrase", "mine and only mine", "mine and only mine");
        await Expect(page.Locator(".flash")).ToContainTextAsync("Your passphrase was changed");
        await ShotAsync(page, "change-passphrase");
        await SignOutAsync(page);

        var old = await node.Browser.NewPageAsync();
        await old.GotoAsync(new Uri(node.Address, "signin").ToString());
        await old.GetByLabel("Username").FillAsync("dr.newcomer");
        await old.GetByLabel("Passphrase").FillAsync("the-admins-initial-passphrase");
        await old.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(old.Locator(".error")).ToContainTextAsync("wrong passphrase");
        await old.CloseAsync();

        await SignOutAsync(await SignInWithAsync("dr.newcomer", "mine and only mine"));
    }

    [Fact]
    public async Task Explorer_ShowsBlocksTransactionsAndValidators_WithoutPayloads_OnAPhone()
    {
        // On a phone-sized viewport: the explorer lists blocks, a block lists its transactions, a transaction shows
        // its envelope and verified inclusion proof and never its payload.
        var context = await node.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 390, Height = 844 }, AcceptDownloads = true });
        var page = await SignInAsync("researcher.tanaka", context);
        Assert.EndsWith("/explorer", page.Url, StringComparison.Ordinal);
        // The demo chain keeps no credit: every validator is listed with its role and power, "not scored".
        await Expect(page.Locator("table.validators")).ToContainTextAsync("not scored");
        await Expect(page.Locator("table.validators td[data-label=Role]").First).ToHaveTextAsync("validator");
        await ShotAsync(page, "explorer-phone");
        await page.Locator("table.blocks tbody a").First.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { NameRegex = BlockHeading() })).ToBeVisibleAsync();
        await page.Locator("table.transactions tbody a").First.ClickAsync();
        await Expect(page.GetByText("verified against the block's transaction root")).ToBeVisibleAsync();
        Assert.DoesNotContain("Encoded", await page.ContentAsync(), StringComparison.Ordinal);
        await SignOutAsync(page);
    }

    [Fact]
    public async Task Doctor_AsksThePatientToApprove_PatientApprovesOne_AndTheDeclinedOneNeverAppears()
    {
        // patient04 (home: riverside-clinic) granted dr.chen (st-mary) read access in the demo, so dr.chen finds them
        // and may write; the records are held by st-mary and wait for patient04's approval in their portal.
        var patient = SyntheticPatients.Generate(2026, 6)[3];
        var doctor = await SignInAsync("dr.chen");

        // 1. dr.chen writes two records, each "ask the patient to approve in their portal" (no passphrase typed).
        await doctor.GetByLabel("National id").FillAsync(patient.NationalId);
        await doctor.GetByRole(AriaRole.Button, new() { Name = "Find patient" }).ClickAsync();
        await doctor.Locator("section[aria-labelledby=matches] a").First.ClickAsync();
        var patientUrl = doctor.Url;
        foreach (var category in new[] { "allergy", "procedure" })
        {
            await doctor.GotoAsync(patientUrl);
            await doctor.GetByLabel("Category").SelectOptionAsync(category);
            await doctor.GetByLabel("Ask the patient to approve in their portal").CheckAsync();
            await doctor.GetByRole(AriaRole.Button, new() { Name = "Write record" }).ClickAsync();
            await Expect(doctor.Locator(".flash")).ToContainTextAsync("waits for the patient's approval");
        }

        // The doctor's desk lists both as open.
        await doctor.GotoAsync(new Uri(node.Address, "doctor").ToString());
        var writes = doctor.Locator("table.my-writes tbody tr");
        await Expect(writes.Filter(new() { HasText = "allergy" })).ToContainTextAsync("open");
        await Expect(writes.Filter(new() { HasText = "procedure" })).ToContainTextAsync("open");
        await SignOutAsync(doctor);

        // 2. patient04 sees both waiting (author, organisation, category) on "Records to approve".
        var page = await SignInAsync("patient04");
        await page.GetByRole(AriaRole.Link, new() { Name = "Records to approve" }).ClickAsync();
        var rows = page.Locator("table.write-requests tbody tr");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.First).ToContainTextAsync("Dr Li Chen");
        await Expect(rows.First).ToContainTextAsync("St Mary");
        await Expect(rows.First).ToContainTextAsync("allergy");
        await ShotAsync(page, "patient-approvals");
        var approvedId = await page.Locator("table.write-requests tbody tr", new() { HasText = "allergy" }).GetAttributeAsync("data-record");
        var declinedId = await page.Locator("table.write-requests tbody tr", new() { HasText = "procedure" }).GetAttributeAsync("data-record");
        Assert.False(string.IsNullOrEmpty(approvedId) || string.IsNullOrEmpty(declinedId));

        // 3. Review the allergy record (its content, decrypted and verified) and approve it there; decline the procedure
        //    record from the list.
        await page.GetByRole(AriaRole.Link, new() { Name = "Review the allergy record by Dr Li Chen" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "allergy record waiting for your approval" })).ToBeVisibleAsync();
        await Expect(page.Locator("ul.summary")).ToContainTextAsync("Blood pressure");
        await Expect(page.GetByText("Verified: the ciphertext matches the requested pointer and commitment.")).ToBeVisibleAsync();
        await ShotAsync(page, "patient-approval-review");
        await page.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await Expect(page.Locator(".flash")).ToContainTextAsync("You approved the allergy record by Dr Li Chen");
        await page.Locator("table.write-requests tbody tr", new() { HasText = "procedure" }).GetByRole(AriaRole.Button, new() { Name = "Decline" }).ClickAsync();
        await Expect(page.Locator(".flash")).ToContainTextAsync("You declined the procedure record by Dr Li Chen");
        await Expect(page.GetByText("No records are waiting for your approval.")).ToBeVisibleAsync();

        // 4. The approved record is in the timeline (once the chain index has it) and opens verified; the declined one
        //    never appears, and opening it is "not found".
        var approvedLink = page.Locator($"ol.timeline a[href='/records/{approvedId}']");
        for (var attempt = 0; attempt < 40 && await approvedLink.CountAsync() == 0; attempt++)
        {
            await page.GotoAsync(new Uri(node.Address, "patient").ToString());
        }

        await Expect(approvedLink).ToHaveCountAsync(1);
        await Expect(page.Locator($"ol.timeline a[href='/records/{declinedId}']")).ToHaveCountAsync(0);
        await approvedLink.ClickAsync();
        await Expect(page.GetByText("Verified: the ciphertext matches")).ToBeVisibleAsync();
        var missing = await page.GotoAsync(new Uri(node.Address, $"records/{declinedId}").ToString());
        Assert.Equal(404, missing!.Status);
        await SignOutAsync(page);

        // 5. dr.chen's practice history has the approved record, not the declined one, and the desk shows each answer.
        doctor = await SignInAsync("dr.chen");
        await Expect(doctor.Locator($"a[href='/records/{approvedId}']")).ToHaveCountAsync(1);
        await Expect(doctor.Locator($"a[href='/records/{declinedId}']")).ToHaveCountAsync(0);
        writes = doctor.Locator("table.my-writes tbody tr");
        await Expect(writes.Filter(new() { HasText = "allergy" })).ToContainTextAsync("approved");
        await Expect(writes.Filter(new() { HasText = "procedure" })).ToContainTextAsync("declined");
        await SignOutAsync(doctor);
    }

    private async Task<IPage> SignInAsync(string username, IBrowserContext? context = null)
    {
        context ??= await node.Browser.NewContextAsync(new() { AcceptDownloads = true });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(node.Address, "signin").ToString());
        await page.GetByLabel("Username").FillAsync(username);
        await page.GetByLabel("Passphrase").FillAsync(node.Login(username).Passphrase);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByText("Signed in as")).ToBeVisibleAsync();
        Assert.DoesNotContain("passphrase", page.Url, StringComparison.OrdinalIgnoreCase);
        return page;
    }

    private async Task<IPage> SignInWithAsync(string username, string passphrase)
    {
        var context = await node.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(node.Address, "signin").ToString());
        await page.GetByLabel("Username").FillAsync(username);
        await page.GetByLabel("Passphrase").FillAsync(passphrase);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByText("Signed in as")).ToBeVisibleAsync();
        return page;
    }

    private static async Task FillPassphrasesAsync(IPage page, string current, string replacement, string confirmation)
    {
        await page.Locator("#current").FillAsync(current);
        await page.Locator("#replacement").FillAsync(replacement);
        await page.Locator("#confirmation").FillAsync(confirmation);
        await page.GetByRole(AriaRole.Button, new() { Name = "Change passphrase" }).ClickAsync();
    }

    private static async Task SignOutAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByText("You have signed out.")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    private async Task<string> FirstRecordOfAsync(string patient)
    {
        var page = await SignInAsync(patient);
        var href = await page.Locator("ol.timeline a").First.GetAttributeAsync("href");
        await SignOutAsync(page);
        return href!;
    }

    private static async Task<string> DownloadAsync(IPage page, string linkName)
    {
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = linkName }).ClickAsync());
        var path = await download.PathAsync();
        return await File.ReadAllTextAsync(path);
    }

    private async Task ShotAsync(IPage page, string name)
    {
        var path = Path.Combine(node.ScreenshotFolder, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    [GeneratedRegex(@"^\d+ of \d+ stored ciphertexts")]
    private static partial Regex IntegrityLine();

    [GeneratedRegex(@"^Block \d+$")]
    private static partial Regex BlockHeading();
}
