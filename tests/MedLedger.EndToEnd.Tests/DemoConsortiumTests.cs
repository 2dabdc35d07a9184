using System.Text.Json;

namespace MedLedger.EndToEnd.Tests;

/// <summary>
/// The README's start command as a newcomer uses it: <c>medledger up</c> creates and seeds the demo consortium
/// through the real API, prints the logins, serves a patient's records and access log to the CLI with keys taken
/// from custody, runs an integrity audit for the auditor, stops cleanly on Ctrl-C, and starts again without
/// re-seeding.
/// </summary>
public sealed class DemoConsortiumTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("medledger-demo-tests-").FullName;

    [Fact]
    public async Task Up_SeedsServesThePatientFlowStopsOnCtrlCAndRestartsWithoutReseeding()
    {
        var data = Path.Combine(_root, "demo");
        string node;
        await using (var up = await NodeProcess.StartUpAsync(data, demoPatients: 2, TimeSpan.FromMinutes(4)))
        {
            Assert.Contains("Seeded 7 organisations", up.Output, StringComparison.Ordinal);
            Assert.Contains("demo-patient-passphrase", up.Output, StringComparison.Ordinal);
            node = up.Address.AbsoluteUri.TrimEnd('/');

            // The logins file lives at the consortium's root (the web UI's tests read it), each with its home node's URL.
            using (var logins = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(data, "demo-logins.json"))))
            {
                Assert.Equal(7 + 8 + 2, logins.RootElement.GetArrayLength());
                Assert.All(logins.RootElement.EnumerateArray(), login => Assert.Equal(node, login.GetProperty("Url").GetString()));
            }

            Assert.False(File.Exists(Path.Combine(data, "node1", "demo-logins.json")));

            var patientPassphrase = Path.Combine(_root, "patient.pass");
            await File.WriteAllTextAsync(patientPassphrase, "demo-patient-passphrase");
            var vault = Path.Combine(_root, "p1.vault");
            (await MedLedgerCli.RunAsync(["custody", "export", "--node", node, "--username", "patient01", "--out", vault, "--passphrase-file", patientPassphrase])).Succeeded();
            (await MedLedgerCli.RunAsync(["custody", "open", "--vault", vault, "--out-dir", Path.Combine(_root, "p1"), "--passphrase-file", patientPassphrase])).Succeeded();
            var keyFile = Directory.GetFiles(Path.Combine(_root, "p1"), "*.key").Single();
            var pseudonym = Path.GetFileNameWithoutExtension(keyFile);
            string[] signed = ["--node", node, "--key", keyFile, "--passphrase-file", patientPassphrase];

            var list = (await MedLedgerCli.RunAsync(["record", "list", .. signed, "--patient", pseudonym, "--json"])).Succeeded();
            using var records = JsonDocument.Parse(list.Stdout);
            var first = records.RootElement.GetProperty("records")[0].GetProperty("recordId").GetString()!;
            var read = (await MedLedgerCli.RunAsync(["record", "get", .. signed, "--id", first])).Succeeded();
            Assert.Contains("\"resourceType\"", read.Stdout, StringComparison.Ordinal);

            var log = (await MedLedgerCli.RunAsync(["access-log", .. signed, "--json"])).Succeeded();
            Assert.Contains("\"write\"", log.Stdout, StringComparison.Ordinal);

            var staffPassphrase = Path.Combine(_root, "staff.pass");
            await File.WriteAllTextAsync(staffPassphrase, "demo-staff-passphrase");
            var auditorVault = Path.Combine(_root, "auditor.vault");
            (await MedLedgerCli.RunAsync(["custody", "export", "--node", node, "--username", "auditor.berg", "--out", auditorVault, "--passphrase-file", staffPassphrase])).Succeeded();
            (await MedLedgerCli.RunAsync(["custody", "open", "--vault", auditorVault, "--out-dir", Path.Combine(_root, "auditor"), "--passphrase-file", staffPassphrase])).Succeeded();
            var auditorKey = Directory.GetFiles(Path.Combine(_root, "auditor"), "*.key").Single();
            var audit = (await MedLedgerCli.RunAsync(["audit", "integrity", "--node", node, "--key", auditorKey, "--passphrase-file", staffPassphrase, "--json"])).Succeeded();
            using var report = JsonDocument.Parse(audit.Stdout);
            Assert.True(report.RootElement.GetProperty("checked").GetInt32() > 0);
            Assert.Equal(0, report.RootElement.GetProperty("failures").GetArrayLength());

            // A patient replaces the passphrase the enrolling doctor typed: the old one stops opening the vault.
            var chosen = Path.Combine(_root, "patient02.new.pass");
            await File.WriteAllTextAsync(chosen, "a passphrase only patient02 knows");
            var change = (await MedLedgerCli.RunAsync(["custody", "passphrase", "--node", node, "--username", "patient02", "--passphrase-file", patientPassphrase, "--new-passphrase-file", chosen])).Succeeded();
            Assert.Contains("now sealed under the new passphrase", change.Stdout, StringComparison.Ordinal);
            Assert.NotEqual(0, (await MedLedgerCli.RunAsync(["custody", "export", "--node", node, "--username", "patient02", "--out", Path.Combine(_root, "p2-old.vault"), "--passphrase-file", patientPassphrase])).ExitCode);
            (await MedLedgerCli.RunAsync(["custody", "export", "--node", node, "--username", "patient02", "--out", Path.Combine(_root, "p2.vault"), "--passphrase-file", chosen])).Succeeded();

            Assert.Equal(0, await up.InterruptAsync());
        }

        await using var again = await NodeProcess.StartUpAsync(data, demoPatients: 2, TimeSpan.FromMinutes(1));
        Assert.DoesNotContain("Seeding", again.Output, StringComparison.Ordinal);
        Assert.Contains("patient01", again.Output, StringComparison.Ordinal);
        Assert.Equal(0, await again.InterruptAsync());
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
