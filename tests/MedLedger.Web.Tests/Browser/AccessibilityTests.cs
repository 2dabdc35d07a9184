using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using MedLedger.Sharing.Demo;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace MedLedger.Web.Tests.Browser;

/// <summary>
/// An accessibility check of each actor's key pages in the real browser against the demo node. Names come from
/// Chromium's own accessibility tree (CDP <c>Accessibility.getFullAXTree</c>), not from our reading of the markup:
/// every form control, button, link and image has an accessible name; the page has <c>lang</c>, exactly one h1, a
/// banner, a main landmark and (when signed in) navigation; the stylesheet has a visible <c>:focus-visible</c> rule;
/// every visible text meets WCAG AA contrast against its effective background (4.5:1, 3:1 for large text), computed
/// here from the computed colours; the access chart has a title and a data-table fallback. A keyboard-only test signs
/// in and opens a record with Tab and Enter, and sees a focus ring on every stop.
/// </summary>
[Collection(DemoNodeGroup.Name)]
public sealed partial class AccessibilityTests(DemoNode node, ITestOutputHelper output)
{
    private static readonly HashSet<string> NamedRoles = ["textbox", "searchbox", "combobox", "listbox", "checkbox", "radio", "spinbutton", "slider", "button", "link", "image", "img", "figure", "DateTime", "date", "InputTime"];

    public static TheoryData<string> Actors() => new() { "anonymous", "patient01", "dr.silva", "auditor.berg", "admin.riverside-clinic", "researcher.tanaka" };

    [Theory]
    [MemberData(nameof(Actors))]
    public async Task KeyPagesOfEachActor_PassTheAccessibilityCheck(string actor)
    {
        var context = await node.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        var checkedPages = 0;
        async Task Check(string path)
        {
            var response = await page.GotoAsync(new Uri(node.Address, path.TrimStart('/')).ToString());
            Assert.True(response is { Ok: true }, $"{actor}: {path} answered {response?.Status}");
            problems.AddRange((await ProblemsAsync(page)).Select(p => $"{actor} {path}: {p}"));
            checkedPages++;
        }

        await Check("/signin");
        if (actor != "anonymous")
        {
            await SignInAsync(page, actor);
            switch (actor)
            {
                case "patient01":
                    await Check("/patient");
                    var record = await page.Locator("ol.timeline a").First.GetAttributeAsync("href");
                    await Check(record!);
                    await Check("/patient/grants");
                    await Check("/patient/access");
                    await Check("/patient/emergency");
                    await Check("/patient/requests");
                    await Check("/patient/approvals");
                    await Check("/account/passphrase");
                    break;
                case "dr.silva":
                    await Check("/doctor");
                    var patient = SyntheticPatients.Generate(2026, 6)[0];
                    await page.GetByLabel("National id").FillAsync(patient.NationalId);
                    await page.GetByRole(AriaRole.Button, new() { Name = "Find patient" }).ClickAsync();

                    // The results come back as a new page from the POST: check it once it has loaded, not mid-navigation.
                    await Assertions.Expect(page.Locator("section[aria-labelledby=matches] a").First).ToBeVisibleAsync();
                    problems.AddRange((await ProblemsAsync(page)).Select(p => $"{actor} search results: {p}"));
                    var match = await page.Locator("section[aria-labelledby=matches] a").First.GetAttributeAsync("href");
                    await Check(match!);
                    break;
                case "auditor.berg":
                    await Check("/audit");
                    Assert.Equal(1, await page.Locator("figure svg.chart[role=img] > title").CountAsync());
                    Assert.Equal(1, await page.Locator("figure table.chart-data").CountAsync());
                    Assert.True(await page.Locator("figure table.chart-data tbody tr").CountAsync() > 0, "the chart's data table has rows");
                    await Check("/audit?outcome=denied");
                    break;
                case "admin.riverside-clinic":
                    await Check("/admin");
                    await Check("/explorer");
                    break;
                case "researcher.tanaka":
                    await Check("/explorer");
                    var block = await page.Locator("table.blocks tbody a").First.GetAttributeAsync("href");
                    await Check(block!);
                    var transaction = await page.Locator("table.transactions tbody a").First.GetAttributeAsync("href");
                    await Check(transaction!);
                    break;
            }
        }

        output.WriteLine($"{actor}: {checkedPages} pages checked, {problems.Count} problems");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        await context.CloseAsync();
    }

    [Fact]
    public async Task KeyboardOnly_SignsIn_AndOpensARecord_WithAVisibleFocusRingOnEveryStop()
    {
        // 1. The sign-in page focuses the username field; type, Tab to the passphrase, Enter submits.
        var context = await node.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(node.Address, "signin").ToString());
        await TabUntilAsync(page, "#username", 5);
        await page.Keyboard.TypeAsync("patient01");
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("passphrase", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await page.Keyboard.TypeAsync(node.Login("patient01").Passphrase);
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByText("Signed in as")).ToBeVisibleAsync();

        // 2. From the top of the timeline page, Tab reaches the first record link (the skip link, the header and the
        //    navigation come first), each stop showing a focus ring; Enter opens the record.
        var stops = await TabUntilAsync(page, "ol.timeline a", 40);
        output.WriteLine($"reached the first record after {stops} Tab presses");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByText("Verified: the ciphertext matches")).ToBeVisibleAsync();
        Assert.Contains("/records/", page.Url, StringComparison.Ordinal);

        // 3. The skip link is the first stop and moves focus to the main content.
        await page.GotoAsync(new Uri(node.Address, "patient").ToString());
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("Skip to content", await page.EvaluateAsync<string>("() => document.activeElement.textContent.trim()"));
        await page.Keyboard.PressAsync("Enter");
        Assert.Equal("main", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await context.CloseAsync();
    }

    /// <summary>Presses Tab until the focused element matches <paramref name="selector"/>, checking each stop's ring.</summary>
    private static async Task<int> TabUntilAsync(IPage page, string selector, int maximum)
    {
        for (var presses = 0; presses <= maximum; presses++)
        {
            var focus = await page.EvaluateAsync<JsonElement>(FocusScript, selector);
            if (focus.GetProperty("tag").GetString() is not ("BODY" or null))
            {
                Assert.True(focus.GetProperty("ring").GetBoolean(), $"no visible focus ring on {focus.GetProperty("tag").GetString()} \"{focus.GetProperty("text").GetString()}\"");
            }

            if (focus.GetProperty("matches").GetBoolean())
            {
                return presses;
            }

            await page.Keyboard.PressAsync("Tab");
        }

        Assert.Fail($"{selector} was not reached within {maximum} Tab presses.");
        return -1;
    }

    private async Task SignInAsync(IPage page, string username)
    {
        await page.GetByLabel("Username").FillAsync(username);
        await page.GetByLabel("Passphrase").FillAsync(node.Login(username).Passphrase);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Signed in as")).ToBeVisibleAsync();
    }

    /// <summary>Every problem found on the current page, as one line each.</summary>
    private static async Task<List<string>> ProblemsAsync(IPage page)
    {
        var problems = new List<string>();

        // 1. Names and landmarks from Chromium's accessibility tree.
        var cdp = await page.Context.NewCDPSessionAsync(page);
        var tree = await cdp.SendAsync("Accessibility.getFullAXTree");
        await cdp.DetachAsync();
        var roles = new List<string>();
        foreach (var axNode in tree!.Value.GetProperty("nodes").EnumerateArray())
        {
            if (axNode.TryGetProperty("ignored", out var ignored) && ignored.GetBoolean())
            {
                continue;
            }

            var role = axNode.TryGetProperty("role", out var r) && r.TryGetProperty("value", out var rv) ? rv.GetString() ?? string.Empty : string.Empty;
            var name = axNode.TryGetProperty("name", out var n) && n.TryGetProperty("value", out var nv) ? nv.GetString() ?? string.Empty : string.Empty;
            roles.Add(role);
            if (NamedRoles.Contains(role) && string.IsNullOrWhiteSpace(name))
            {
                problems.Add($"a {role} has no accessible name");
            }
        }

        foreach (var landmark in new[] { "banner", "main" })
        {
            if (roles.Count(r => r == landmark) != 1)
            {
                problems.Add($"{roles.Count(r => r == landmark)} {landmark} landmarks, not one");
            }
        }

        // 2. The document: lang, one h1, navigation when signed in, a :focus-visible rule with an outline.
        var facts = await page.EvaluateAsync<JsonElement>(DocumentScript);
        if (string.IsNullOrWhiteSpace(facts.GetProperty("lang").GetString()))
        {
            problems.Add("no lang on <html>");
        }

        if (facts.GetProperty("h1").GetInt32() != 1)
        {
            problems.Add($"{facts.GetProperty("h1").GetInt32()} h1 elements, not one");
        }

        if (facts.GetProperty("signedIn").GetBoolean() && !roles.Contains("navigation"))
        {
            problems.Add("no navigation landmark");
        }

        if (!facts.GetProperty("focusVisible").GetBoolean())
        {
            problems.Add("the stylesheet has no :focus-visible rule with an outline");
        }

        foreach (var image in facts.GetProperty("unlabelledImages").EnumerateArray())
        {
            problems.Add("image without a text alternative: " + image.GetString());
        }

        // 3. Contrast of every visible text against its effective background, computed here (WCAG 2 formula).
        foreach (var text in facts.GetProperty("texts").EnumerateArray())
        {
            var foreground = Rgb(text.GetProperty("fg").GetString()!);
            var background = Rgb(text.GetProperty("bg").GetString()!);
            var size = text.GetProperty("size").GetDouble();
            var bold = text.GetProperty("weight").GetInt32() >= 700;
            var minimum = size >= 24 || (bold && size >= 18.66) ? 3.0 : 4.5;
            var ratio = ContrastTests.ContrastRatio(foreground, background);
            if (ratio < minimum)
            {
                problems.Add($"contrast {ratio:0.00}:1 < {minimum}:1 for \"{text.GetProperty("sample").GetString()}\" ({text.GetProperty("fg").GetString()} on {text.GetProperty("bg").GetString()})");
            }
        }

        return problems;
    }

    private static (int R, int G, int B) Rgb(string css)
    {
        var match = RgbPattern().Match(css);
        Assert.True(match.Success, "not an rgb() colour: " + css);
        return (Channel(1), Channel(2), Channel(3));
        int Channel(int group) => (int)Math.Round(double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)")]
    private static partial Regex RgbPattern();

    // What the page's DOM says; colours are the browser's computed ones. A background with alpha is blended over the
    // next opaque ancestor's (white at the root), as it is painted.
    private const string DocumentScript = """
        () => {
          const parse = c => { const m = c.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?/); return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]] : [0, 0, 0, 0]; };
          const background = element => {
            const layers = [];
            for (let e = element; e; e = e.parentElement) {
              const c = parse(getComputedStyle(e).backgroundColor);
              if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
            }
            let rgb = [255, 255, 255];
            for (const c of layers.reverse()) rgb = rgb.map((v, i) => c[i] * c[3] + v * (1 - c[3]));
            return `rgb(${rgb.map(v => Math.round(v)).join(', ')})`;
          };
          const texts = [];
          for (const element of document.body.querySelectorAll('*')) {
            if (element.closest('svg') || element.closest('.skip')) continue;
            const own = [...element.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim().length > 0);
            if (own.length === 0) continue;
            const rects = element.getClientRects();
            const style = getComputedStyle(element);
            if (rects.length === 0 || style.visibility === 'hidden' || style.display === 'none') continue;
            texts.push({ sample: own[0].textContent.trim().slice(0, 40), fg: style.color, bg: background(element), size: parseFloat(style.fontSize), weight: parseInt(style.fontWeight, 10) });
          }
          let focusVisible = false;
          for (const sheet of document.styleSheets) {
            for (const rule of sheet.cssRules) {
              // A shorthand with var() leaves the longhands empty in CSSOM until computed: read the declaration text.
              if (rule.selectorText && rule.selectorText.includes(':focus-visible') && /outline:\s*\d/.test(rule.style.cssText)) focusVisible = true;
            }
          }
          const unlabelledImages = [];
          for (const img of document.querySelectorAll('img')) if (!img.hasAttribute('alt')) unlabelledImages.push(img.outerHTML.slice(0, 80));
          for (const svg of document.querySelectorAll('svg')) {
            if (svg.getAttribute('aria-hidden') === 'true') continue;
            const titled = svg.querySelector(':scope > title') && (svg.getAttribute('aria-labelledby') || svg.getAttribute('aria-label')) && svg.getAttribute('role') === 'img';
            if (!titled) unlabelledImages.push('svg without role=img, a <title> and aria-labelledby');
          }
          return { lang: document.documentElement.lang, h1: document.querySelectorAll('h1').length, signedIn: !!document.querySelector('form[action="/signout"]'), focusVisible, unlabelledImages, texts };
        }
        """;

    // The focused element, whether it matches the selector, and whether a focus ring is painted (an outline of at
    // least 2px that is not "none").
    private const string FocusScript = """
        selector => {
          const e = document.activeElement;
          if (!e) return { tag: null, text: '', matches: false, ring: false };
          const s = getComputedStyle(e);
          return { tag: e.tagName, text: (e.textContent || e.id || '').trim().slice(0, 40), matches: e.matches(selector), ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 };
        }
        """;
}
