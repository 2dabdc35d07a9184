using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using MedLedger.Client;
using MedLedger.Ledger;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace MedLedger.Node.Tests;

/// <summary>
/// The authorisation matrix (docs/authorization.md): against one running node with a small world of patients, doctors,
/// admins, an auditor, a researcher, an insurer agent, the node's key, an unregistered key and an unsigned caller,
/// every route under <c>/api/v1</c> is called by every caller with a representative request, and each answer must be
/// the expected allow (2xx, with a body in the caller's scope) or deny (401/403 with the expected problem code).
/// </summary>
public sealed class AuthorizationMatrixTests(AuthorizationMatrixFixture fixture, ITestOutputHelper output) : IClassFixture<AuthorizationMatrixFixture>
{
    private static readonly Dictionary<string, string> Abbreviations = new(StringComparer.Ordinal)
    {
        ["RoleNotPermitted"] = "R",
        ["NoGrant"] = "G",
        ["NotAuthorized"] = "L",
        ["UnknownKey"] = "K",
        ["Unauthenticated"] = "U",
        ["UnknownSender"] = "S",
        ["InvalidSignature"] = "I",
        ["InvalidCredentials"] = "C",
    };

    private AuthorizationMatrixWorld World => fixture.World;

    [Fact]
    public void EveryMappedApiRoute_HasARowInTheMatrix_AndEveryRowAMappedRoute()
    {
        // The routes come from the app's own route table (as in ApiSurfaceTests), so a new endpoint fails this test
        // until the matrix says who may call it; a row whose route is gone fails it too.
        var mapped = fixture.Node!.App.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/v1/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .ToHashSet(StringComparer.Ordinal);
        var covered = AuthorizationMatrixRows.All.Select(r => $"{r.Method} {r.Route}").ToHashSet(StringComparer.Ordinal);

        Assert.NotEmpty(mapped);
        Assert.True(mapped.Except(covered).ToList() is { Count: 0 }, $"routes without a matrix row: {string.Join(", ", mapped.Except(covered))}");
        Assert.True(covered.Except(mapped).ToList() is { Count: 0 }, $"matrix rows for routes the app does not map: {string.Join(", ", covered.Except(mapped))}");
    }

    [Fact]
    public async Task EveryRouteForEveryCaller_IsAllowedOrRefusedAsTheMatrixSays()
    {
        // Each row's representative request is sent by each caller in turn (one node, one world); the answer's
        // status, problem code and — when allowed — its body are checked against the row. The whole matrix is
        // printed (the table in docs/authorization.md) and every mismatch is reported at once.
        var stopwatch = Stopwatch.StartNew();
        var actors = Enum.GetValues<MatrixActor>();
        var table = new List<(MatrixRow Row, List<string> Cells)>();
        var mismatches = new List<string>();
        foreach (var row in AuthorizationMatrixRows.All)
        {
            var cells = new List<string>();
            foreach (var actor in actors)
            {
                var caller = World[actor];
                var expected = row.Expect(actor);
                var answer = await SendAsync(row, caller);
                var problem = Judge(row, caller, expected, answer);
                if (problem is not null)
                {
                    mismatches.Add($"{row.Name} × {caller.Label}: {problem}");
                }

                var shown = Show(answer.Status, answer.Code);
                cells.Add(problem is not null ? $"✗ {shown}" : expected.KnownIssueCode is not null && answer.Code == expected.KnownIssueCode ? $"{shown}†" : shown);
            }

            table.Add((row, cells));
        }

        output.WriteLine(Render(table, actors));
        output.WriteLine($"{table.Count} rows × {actors.Length} callers in {stopwatch.Elapsed.TotalSeconds:F1} s.");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} cell(s) differ from the matrix:\n{string.Join("\n", mismatches)}");
    }

    [Fact]
    public async Task ListingAPatientsRecords_ByARoleThatNeverLists_IsRefusedAsRoleNotPermitted()
    {
        // A patient who is not the one named, an org admin, an auditor, a researcher and the node's key cannot list P's
        // records with any grant, so the refusal must say RoleNotPermitted (as its access-log entry does), not NoGrant.
        var row = AuthorizationMatrixRows.All.Single(r => r.Route == "/api/v1/records" && r.Example == "(?patient=P)");
        foreach (var actor in new[] { MatrixActor.OtherPatient, MatrixActor.StMaryAdmin, MatrixActor.HarborAdmin, MatrixActor.Auditor, MatrixActor.Researcher, MatrixActor.NodeKey })
        {
            var answer = await SendAsync(row, World[actor]);
            Assert.True(answer is { Status: 403, Code: "RoleNotPermitted" }, $"{World[actor].Label}: {answer.Status} {answer.Code}");
        }
    }

    [Fact]
    public async Task AReadOfAHarborRecord_IsInHarborsAdminLog_AndNotInStMarys()
    {
        // 1. D2 reads R2, the harbor record it wrote; this node (whose node account belongs to st-mary) logs the read.
        var d2 = World[MatrixActor.GrantedDoctor];
        using (var read = await d2.Http.GetAsync(new Uri($"api/v1/records/{World.OtherRecord}?purpose=treatment", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        // 2. The auditor sees the entry: it is about harbor's record, so it belongs to harbor.
        using var auditor = new MedLedgerUserClient(World[MatrixActor.Auditor].Http, World.Suite, World[MatrixActor.Auditor].Key!, World.ChainId);
        var entry = await MedicalTestNode.WaitForLogAsync(auditor, new AccessLogQuery(RecordId: World.OtherRecord, Action: AccessAction.Read), e => e.Actor == d2.KeyId.ToString() && e.Outcome == "allowed");
        Assert.Equal(MedicalTestNode.Harbor, entry.Organisation);

        // 3. Harbor's admin sees the read of its record; st-mary's admin does not.
        using var harbor = new MedLedgerUserClient(World[MatrixActor.HarborAdmin].Http, World.Suite, World[MatrixActor.HarborAdmin].Key!, World.ChainId);
        using var stMary = new MedLedgerUserClient(World[MatrixActor.StMaryAdmin].Http, World.Suite, World[MatrixActor.StMaryAdmin].Key!, World.ChainId);
        Assert.Contains((await harbor.GetAccessLogAsync(new AccessLogQuery(RecordId: World.OtherRecord))).Entries, e => e.Sequence == entry.Sequence);
        Assert.DoesNotContain((await stMary.GetAccessLogAsync(new AccessLogQuery(RecordId: World.OtherRecord))).Entries, e => e.Sequence == entry.Sequence);
    }

    [Fact]
    public async Task RefusedLookupsOfAPatientsGrantsAndLog_AreInThatPatientsAccessLog()
    {
        // 1. P2 asks for P's grants and for P's access log; both are refused.
        var from = DateTimeOffset.UtcNow;
        var other = World[MatrixActor.OtherPatient];
        foreach (var path in new[] { $"api/v1/grants?patient={World.Patient}", $"api/v1/access-log?patient={World.Patient}" })
        {
            using var response = await other.Http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        // 2. P sees both attempts in its access log as denied searches by P2 (entries of earlier runs are older than from).
        using var patient = new MedLedgerUserClient(World[MatrixActor.Patient].Http, World.Suite, World[MatrixActor.Patient].Key!, World.ChainId);
        var query = new AccessLogQuery(Patients: [World.Patient], Actor: other.KeyId, Outcome: AccessOutcome.Denied, Action: AccessAction.Search, From: from);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        int seen;
        while ((seen = (await patient.GetAccessLogAsync(query)).Entries.Count(e => e.Reason == "roleNotPermitted")) < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(2, seen);
    }

    /// <summary>Sends the row's request as the caller; returns the status, the problem code (if any) and the body.</summary>
    private async Task<Answer> SendAsync(MatrixRow row, MatrixCaller caller)
    {
        using var request = await row.Request(World, caller);
        using var response = await caller.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        string? code = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
        {
            using var problem = JsonDocument.Parse(body);
            code = problem.RootElement.TryGetProperty("code", out var value) ? value.GetString() : "(no code)";
        }

        return new Answer((int)response.StatusCode, code, body);
    }

    /// <summary>Null when the answer is what the row expects of this caller, else what differs.</summary>
    private string? Judge(MatrixRow row, MatrixCaller caller, MatrixCell expected, Answer answer)
    {
        var want = Show(expected.Status, expected.Code);
        var got = $"{answer.Status} {answer.Code}".TrimEnd();
        if (answer.Status != expected.Status)
        {
            return $"expected {want}, got {got}: {Truncate(answer.Body)}";
        }

        if (!expected.IsAllowed)
        {
            return answer.Code == expected.Code || (expected.KnownIssueCode is not null && answer.Code == expected.KnownIssueCode)
                ? null
                : $"expected code {expected.Code}, got {answer.Code}: {Truncate(answer.Body)}";
        }

        if (row.Check is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(answer.Body);
        return row.Check(World, caller, document.RootElement) is { } wrong ? $"allowed, but {wrong}: {Truncate(answer.Body)}" : null;
    }

    private static string Show(int status, string? code) =>
        code is null ? status.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{status} {(Abbreviations.TryGetValue(code, out var shortCode) ? shortCode : code)}";

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";

    private string Render(List<(MatrixRow Row, List<string> Cells)> table, MatrixActor[] actors)
    {
        var text = new StringBuilder();
        text.Append("| route |");
        foreach (var actor in actors)
        {
            text.Append(' ').Append(World[actor].Label).Append(" |");
        }

        text.AppendLine().Append("|---|");
        foreach (var _ in actors)
        {
            text.Append(":-:|");
        }

        text.AppendLine();
        foreach (var (row, cells) in table)
        {
            text.Append("| `").Append(row.Method).Append(' ').Append(row.Route.Replace("/api/v1", string.Empty, StringComparison.Ordinal)).Append('`');
            if (row.Example.Length > 0)
            {
                text.Append(' ').Append(row.Example);
            }

            text.Append(" |");
            foreach (var cell in cells)
            {
                text.Append(' ').Append(cell).Append(" |");
            }

            text.AppendLine();
        }

        text.AppendLine().Append("Codes: ").AppendJoin(", ", Abbreviations.Select(a => $"{a.Value} = {a.Key}")).AppendLine(". † = a code the node answers today that is a known issue; ✗ = differs from the matrix.");
        return text.ToString();
    }

    private sealed record Answer(int Status, string? Code, string Body);
}
