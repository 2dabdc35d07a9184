using System.Net.Http.Json;
using System.Text.Json;
using MedLedger.Node;

namespace MedLedger.EndToEnd.Tests;

/// <summary>
/// The consortium verbs of the CLI as an operator uses them: <c>medledger node join</c> writes a joining node's
/// folder and says how it is admitted; <c>medledger up</c> refuses what it cannot do with one line; and
/// <c>medledger up --nodes 4</c> runs four node processes, seeds each organisation at its home node, writes the
/// logins with home URLs, and stops every process on Ctrl-C.
/// </summary>
public sealed class ConsortiumCliTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task NodeJoin_WritesAFolderWithTheConsortiumsGenesis_AndPrintsTheKeyToAdmit()
    {
        // A founding node's genesis is handed to the joining operator, who gets a folder with a new key and the peers
        // to dial, and the command an administrator runs to register the key as a node.
        var founder = _folder.Combine("founder");
        await NodeFolder.InitAsync(founder);
        var joined = _folder.Combine("joined");

        var result = (await MedLedgerCli.RunAsync(["node", "join", "--data", joined, "--genesis", Path.Combine(founder, "genesis.json"), "--peer", "127.0.0.1:7300,127.0.0.1:7301", "--peer-port", "7310", "--api-port", "0", "--name", "late node"])).Succeeded();

        var directory = new NodeDataDirectory(joined);
        Assert.True(directory.IsInitialized);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(founder, "genesis.json")), await File.ReadAllBytesAsync(directory.GenesisPath));
        var settings = directory.LoadSettings();
        Assert.Equal(["127.0.0.1:7300", "127.0.0.1:7301"], settings.Peers);
        Assert.Equal(7310, settings.PeerPort);
        using var key = directory.LoadNodeKey(NodeFolder.Suite, File.ReadAllText(directory.GeneratedPassphrasePath).Trim());
        var publicKey = Convert.ToHexStringLower(key.PublicKey.Span);
        Assert.Contains($"Node public key: {publicKey}", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"medledger user register", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("--role node", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodeJoin_WithoutAReadableGenesisOrAPeer_FailsWithOneLine()
    {
        // Refusals are one line each and leave no folder behind.
        var joined = _folder.Combine("joined");
        (await MedLedgerCli.RunAsync(["node", "join", "--data", joined, "--genesis", _folder.Combine("none.json"), "--peer", "127.0.0.1:7300", "--peer-port", "7310"])).FailedWithOneLine("Cannot read the consortium's genesis");
        var founder = _folder.Combine("founder");
        await NodeFolder.InitAsync(founder);
        (await MedLedgerCli.RunAsync(["node", "join", "--data", joined, "--genesis", Path.Combine(founder, "genesis.json"), "--peer", "nowhere", "--peer-port", "7310"])).FailedWithOneLine("peer address");
        Assert.False(Directory.Exists(joined));
    }

    [Fact]
    public async Task Up_CannotGrowASingleNodeChain_NorTakeZeroNodes()
    {
        // A single-validator chain's genesis cannot gain validators: asking for four nodes is refused, not ignored.
        var data = _folder.Combine("demo");
        await NodeFolder.InitAsync(Path.Combine(data, "node1"));
        (await MedLedgerCli.RunAsync(["up", "--data", data, "--nodes", "4", "--base-port", "0"])).FailedWithOneLine("single-node chain");
        (await MedLedgerCli.RunAsync(["up", "--data", _folder.Combine("other"), "--nodes", "0"])).FailedWithOneLine("--nodes is 1..");
        Assert.False(Directory.Exists(_folder.Combine("other")));
    }

    [Fact]
    public async Task UpWithFourNodes_SeedsEachOrganisationAtItsHomeNode_WritesLoginsWithHomeUrls_AndStopsEveryNodeOnCtrlC()
    {
        // 1. Four node processes come up and are seeded.
        var data = _folder.Combine("demo");
        await using var up = await NodeProcess.StartUpAsync(data, demoPatients: 2, TimeSpan.FromMinutes(6), nodes: 4);
        Assert.Contains("Seeded 7 organisations", up.Output, StringComparison.Ordinal);

        // 2. demo-logins.json names each user's home node: the node whose node.json hosts their organisation.
        var homes = Enumerable.Range(1, 4)
            .Select(i => new NodeDataDirectory(Path.Combine(data, $"node{i}")).LoadSettings())
            .SelectMany(s => (s.Organisations ?? []).Select(o => (Organisation: o, Url: $"http://127.0.0.1:{s.ApiPort}")))
            .ToDictionary(p => p.Organisation, p => p.Url);
        Assert.Equal(7, homes.Count);
        using var logins = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(data, "demo-logins.json")));
        Assert.All(logins.RootElement.EnumerateArray(), login => Assert.Equal(homes[login.GetProperty("Organisation").GetString()!], login.GetProperty("Url").GetString()));
        Assert.Equal(4, homes.Values.Distinct().Count());

        // 3. A doctor's keys are held at their home node (custody export works there and only there).
        var doctor = logins.RootElement.EnumerateArray().First(l => l.GetProperty("Role").GetString() == "doctor");
        var passphrase = _folder.Combine("staff.pass");
        await File.WriteAllTextAsync(passphrase, doctor.GetProperty("Passphrase").GetString());
        var home = doctor.GetProperty("Url").GetString()!;
        (await MedLedgerCli.RunAsync(["custody", "export", "--node", home, "--username", doctor.GetProperty("Username").GetString()!, "--out", _folder.Combine("d.vault"), "--passphrase-file", passphrase])).Succeeded();
        var elsewhere = homes.Values.First(u => u != home);
        Assert.NotEqual(0, (await MedLedgerCli.RunAsync(["custody", "export", "--node", elsewhere, "--username", doctor.GetProperty("Username").GetString()!, "--out", _folder.Combine("e.vault"), "--passphrase-file", passphrase])).ExitCode);

        // 4. A record is read through another member's node: patient01 (home st-mary) granted a doctor of another
        //    hospital read access to their general clinical data when the demo was seeded; that doctor, signed in to the
        //    web UI at their own node, opens one of patient01's records, which only st-mary's node holds. The doctor's
        //    node forwards the doctor's own signed read to the holder (ARCHITECTURE §10) and shows the verified record.
        var patient = logins.RootElement.EnumerateArray().First(l => l.GetProperty("Username").GetString() == "patient01");
        var patientHome = patient.GetProperty("Url").GetString()!;
        var reader = await GrantedDoctorAsync(patientHome, patient.GetProperty("Passphrase").GetString()!, logins.RootElement);
        Assert.NotEqual(patientHome, reader.Url);
        using (var web = new WebSession(new Uri(reader.Url)))
        {
            await web.SignInAsync(reader.Username, reader.Passphrase);
            var page = await web.GetAsync($"/records/{reader.RecordId}");
            Assert.Contains("Verified: the ciphertext matches its on-chain pointer and commitment.", page, StringComparison.Ordinal);

            // 4b. The same doctor writes a record for patient01 and asks them to approve it in their portal: the record is
            //     sealed and held at the doctor's node, and only a write request goes on chain.
            var patientPage = await web.GetAsync($"/doctor/patients/{reader.Pseudonym}");
            var written = await web.PostFormAsync(patientPage, $"/doctor/patients/{reader.Pseudonym}/records", new()
            {
                ["category"] = "allergy",
                ["fhir"] = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"Peanut allergy test\"}}",
                ["consent"] = "portal",
            });
            Assert.True(System.Net.WebUtility.HtmlDecode(written).Contains("waits for the patient's approval", StringComparison.Ordinal), Flash(written));
        }

        // 4c. patient01, at their own home node, sees the request, reviews its content (forwarded from the doctor's node,
        //     which holds it), approves it, finds the record in their timeline once
        //     their node has indexed the approval, and opens it: their node forwards the read to the doctor's node, which
        //     holds it, and shows it verified.
        using (var web = new WebSession(new Uri(patientHome)))
        {
            await web.SignInAsync("patient01", patient.GetProperty("Passphrase").GetString()!);
            var approvals = await web.GetAsync("/patient/approvals");
            var recordId = System.Text.RegularExpressions.Regex.Match(approvals, "data-record=\"([0-9a-f]{64})\"").Groups[1].Value;
            Assert.NotEmpty(recordId);
            var review = await web.GetAsync($"/patient/approvals/{recordId}");
            Assert.Contains("Peanut allergy test", review, StringComparison.Ordinal);
            Assert.Contains("Verified: the ciphertext matches the requested pointer and commitment.", review, StringComparison.Ordinal);
            var approved = await web.PostFormAsync(approvals, $"/patient/approvals/{recordId}/approve", []);
            Assert.True(System.Net.WebUtility.HtmlDecode(approved).Contains("You approved the allergy record", StringComparison.Ordinal), Flash(approved));
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!(await web.GetAsync("/patient")).Contains($"/records/{recordId}", StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < deadline, "the approved record never reached patient01's timeline");
                await Task.Delay(250);
            }

            var record = await web.GetAsync($"/records/{recordId}");
            Assert.Contains("Verified: the ciphertext matches its on-chain pointer and commitment.", record, StringComparison.Ordinal);
            Assert.Contains("Peanut allergy test", record, StringComparison.Ordinal);
        }

        // 5. Every node is at the same height, and Ctrl-C stops them all: no API answers afterwards.
        Assert.Equal(0, await up.InterruptAsync());
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var url in homes.Values.Distinct())
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri(url + "/health/live")));
        }
    }

    // The doctor of another node whom patient01 granted read access in the seed, with one of patient01's laboratory
    // records (general clinical content, the grant's scope). Found through the API with patient01's own key.
    private static async Task<(string Username, string Passphrase, string Url, string RecordId, string Pseudonym)> GrantedDoctorAsync(string patientHome, string patientPassphrase, JsonElement logins)
    {
        var suite = Crypto.CryptoSuites.Standard;
        using var anonymous = new HttpClient { BaseAddress = new Uri(patientHome + "/") };
        var export = await anonymous.PostAsJsonAsync("api/v1/custody/export", new Client.VaultExportRequest("patient01", patientPassphrase));
        export.EnsureSuccessStatusCode();
        var vault = (await export.Content.ReadFromJsonAsync<Client.VaultExportResponse>())!;
        using var key = Crypto.KeyVault.Open(suite, Convert.FromBase64String(vault.Vault), patientPassphrase)[0];
        using var client = Client.MedLedgerUserClient.Create(new Uri(patientHome), suite, key);
        var pseudonym = suite.Hash(key.PublicKey.Span);
        var grants = await client.ListGrantsAsync(pseudonym);
        var grantee = grants.Grants.Select(g => g.Actor).First();
        var records = await client.ListPatientRecordsAsync([pseudonym]);
        var record = records.Records.FirstOrDefault(r => r.Category == "laboratory")
            ?? throw new Xunit.Sdk.XunitException($"patient01 has no laboratory record: {string.Join("; ", records.Records.Select(r => r.Category))}");
        foreach (var login in logins.EnumerateArray().Where(l => l.GetProperty("Role").GetString() == "doctor"))
        {
            using var probe = new HttpClient { BaseAddress = new Uri(login.GetProperty("Url").GetString()! + "/") };
            var user = login.GetProperty("Username").GetString()!;
            var exported = await probe.PostAsJsonAsync("api/v1/custody/export", new Client.VaultExportRequest(user, login.GetProperty("Passphrase").GetString()!));
            exported.EnsureSuccessStatusCode();
            var doctorVault = (await exported.Content.ReadFromJsonAsync<Client.VaultExportResponse>())!;
            using var doctorKey = Crypto.KeyVault.Open(suite, Convert.FromBase64String(doctorVault.Vault), login.GetProperty("Passphrase").GetString()!)[0];
            if (grantee.Contains(suite.Hash(doctorKey.PublicKey.Span).ToString(), StringComparison.Ordinal))
            {
                return (user, login.GetProperty("Passphrase").GetString()!, login.GetProperty("Url").GetString()!, record.RecordId, pseudonym.ToString());
            }
        }

        throw new Xunit.Sdk.XunitException($"no demo doctor is the grantee {grantee}");
    }

    // The one-shot message a page shows after a form (or the page's main text when there is none), for failure messages.
    private static string Flash(string page)
    {
        var flash = System.Text.RegularExpressions.Regex.Match(page, "class=\"flash[^\"]*\"[^>]*>(.*?)</", System.Text.RegularExpressions.RegexOptions.Singleline);
        return flash.Success ? flash.Groups[1].Value : page[Math.Max(0, page.IndexOf("<main", StringComparison.Ordinal))..];
    }

    /// <summary>
    /// A browser-less web session: the session and antiforgery cookies are kept by hand, because the session cookie is
    /// Secure (browsers treat 127.0.0.1 as a secure context; HttpClient's cookie container does not).
    /// </summary>
    private sealed class WebSession(Uri node) : IDisposable
    {
        private readonly HttpClient _http = new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = node, Timeout = TimeSpan.FromSeconds(60) };
        private readonly Dictionary<string, string> _cookies = new(StringComparer.Ordinal);

        public async Task SignInAsync(string username, string passphrase)
        {
            var form = await GetAsync("/signin");
            var token = System.Text.RegularExpressions.Regex.Match(form, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
            Assert.NotEmpty(token);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/signin")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = username, ["passphrase"] = passphrase, ["__RequestVerificationToken"] = token }),
            };
            using var response = await SendAsync(request);
            Assert.True(response.StatusCode is System.Net.HttpStatusCode.Redirect or System.Net.HttpStatusCode.Found or System.Net.HttpStatusCode.SeeOther, $"sign-in answered {response.StatusCode}");
            Assert.DoesNotContain("/signin", response.Headers.Location?.OriginalString ?? string.Empty, StringComparison.Ordinal);
        }

        public async Task<string> GetAsync(string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            using var response = await SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {response.StatusCode}: {body[Math.Max(0, body.IndexOf("<main", StringComparison.Ordinal))..]}");
            return body;
        }

        /// <summary>Posts a form with the antiforgery token of <paramref name="page"/> and returns the page it redirects to.</summary>
        public async Task<string> PostFormAsync(string page, string action, Dictionary<string, string> fields)
        {
            var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
            Assert.NotEmpty(token);
            fields["__RequestVerificationToken"] = token;
            using var request = new HttpRequestMessage(HttpMethod.Post, action) { Content = new FormUrlEncodedContent(fields) };
            using var response = await SendAsync(request);
            var location = response.Headers.Location?.OriginalString;
            Assert.True(location is not null, $"POST {action} answered {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            return await GetAsync(location);
        }

        public void Dispose() => _http.Dispose();

        private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
        {
            if (_cookies.Count > 0)
            {
                request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
            }

            var response = await _http.SendAsync(request);
            if (response.Headers.TryGetValues("Set-Cookie", out var cookies))
            {
                foreach (var cookie in cookies)
                {
                    var pair = cookie.Split(';', 2)[0].Split('=', 2);
                    _cookies[pair[0]] = pair[1];
                }
            }

            return response;
        }
    }
}
