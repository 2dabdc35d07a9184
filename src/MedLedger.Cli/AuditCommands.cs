using System.CommandLine;
using MedLedger.Client;
using MedLedger.Ledger;

namespace MedLedger.Cli;

/// <summary><c>medledger access-log</c> and <c>medledger audit integrity</c> (SPEC F20, F21).</summary>
internal static class AuditCommands
{
    public static Command CreateAccessLog(CliEnvironment environment)
    {
        var user = new UserOptions();
        var patients = new Option<string[]>("--patient") { Description = "Only entries about these patient pseudonyms (repeatable, or comma-separated)." };
        var actor = new Option<string?>("--actor") { Description = "Only entries by this key id." };
        var record = new Option<string?>("--record") { Description = "Only entries about this record." };
        var outcome = new Option<string?>("--outcome") { Description = "allowed or denied." };
        var purpose = new Option<string?>("--purpose") { Description = $"Only this purpose: {string.Join(", ", ApiNames.Names<AccessPurpose>())}." };
        var action = new Option<string?>("--action") { Description = $"Only this action: {string.Join(", ", ApiNames.Names<AccessAction>())}." };
        var organisation = new Option<string?>("--organisation") { Description = "Only entries produced by this organisation." };
        var from = new Option<string?>("--from") { Description = "Earliest time, ISO 8601." };
        var to = new Option<string?>("--to") { Description = "Latest time, ISO 8601." };
        var before = new Option<long?>("--before") { Description = "Only entries before this sequence (the previous page's nextBefore)." };
        var limit = new Option<int?>("--limit") { Description = "Most entries (1..1000)." };
        var fhir = new Option<bool>("--fhir") { Description = "Print a FHIR R4 Bundle of AuditEvent resources." };
        var command = user.AddTo(new Command("access-log", "Who accessed what, when, why and with which outcome; newest first.")
        {
            patients, actor, record, outcome, purpose, action, organisation, from, to, before, limit, fhir,
        });
        command.SetAction((parse, cancellationToken) => MedicalCli.RunAsync(parse, async output =>
        {
            var (node, key) = user.Validate(parse);
            var query = new AccessLogQuery(
                Patients: MedicalCli.ParseHashes(parse.GetValue(patients), "--patient") is { Count: > 0 } p ? p : null,
                Actor: parse.GetValue(actor) is { } a ? MedicalCli.ParseHash(a, "--actor") : null,
                RecordId: parse.GetValue(record) is { } r ? MedicalCli.ParseHash(r, "--record") : null,
                Outcome: parse.GetValue(outcome) is { } o ? MedicalCli.ParseName<AccessOutcome>(o, "--outcome") : null,
                Purpose: parse.GetValue(purpose) is { } pu ? MedicalCli.ParseName<AccessPurpose>(pu, "--purpose") : null,
                Action: parse.GetValue(action) is { } ac ? MedicalCli.ParseName<AccessAction>(ac, "--action") : null,
                Organisation: parse.GetValue(organisation) is { } org ? MedicalCli.ParseOrganisationId(org, "--organisation") : null,
                From: parse.GetValue(from) is { } f ? MedicalCli.ParseTime(f, "--from") : null,
                To: parse.GetValue(to) is { } t ? MedicalCli.ParseTime(t, "--to") : null,
                Before: parse.GetValue(before) is { } b ? (b > 0 ? b : throw new CliUsageException("--before is a positive sequence number.")) : null,
                Limit: RecordCommands.CheckLimit(parse.GetValue(limit)));
            if (query.From is { } start && query.To is { } end && end < start)
            {
                throw new CliUsageException("--to is before --from.");
            }

            using var session = user.Connect(parse, node, key, environment);
            if (parse.GetValue(fhir))
            {
                var bundle = await session.Client.GetAccessLogFhirAsync(query, cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync(bundle.GetRawText()).ConfigureAwait(false);
                return 0;
            }

            var page = await session.Client.GetAccessLogAsync(query, cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(user.Json))
            {
                MedicalCli.WriteJson(output, page);
                return 0;
            }

            foreach (var entry in page.Entries)
            {
                var reason = entry.Outcome == "denied" ? $" ({entry.Reason})" : string.Empty;
                await output.WriteLineAsync($"{entry.Time:yyyy-MM-dd'T'HH:mm:ss'Z'}  {entry.Action,-14} {entry.Outcome}{reason}  actor {Short(entry.Actor)}  patient {Short(entry.Patient)}  record {Short(entry.RecordId)}  {entry.Purpose}  {entry.Organisation}").ConfigureAwait(false);
            }

            await output.WriteLineAsync(page.NextBefore is { } next ? $"{page.Entries.Count} entries; more with --before {next}." : $"{page.Entries.Count} entries.").ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    public static Command CreateAudit(CliEnvironment environment)
    {
        var user = new UserOptions();
        var integrity = user.AddTo(new Command("integrity", $"Have the node check every stored ciphertext against its on-chain anchor; exit code {MedicalCli.IntegrityFailure} when any does not match."));
        integrity.SetAction((parse, cancellationToken) => MedicalCli.RunAsync(parse, async output =>
        {
            var (node, key) = user.Validate(parse);
            using var session = user.Connect(parse, node, key, environment);
            var report = await session.Client.CheckIntegrityAsync(cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(user.Json))
            {
                MedicalCli.WriteJson(output, report);
            }
            else
            {
                await output.WriteLineAsync($"Checked {report.Checked} blob(s): {report.Passed} match their anchors, {report.Failures.Count} do not.").ConfigureAwait(false);
                foreach (var failure in report.Failures)
                {
                    await output.WriteLineAsync($"{failure.RecordId}  {failure.Tier}  {failure.Reason}").ConfigureAwait(false);
                }
            }

            if (report.Failures.Count > 0)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"medledger: integrity audit found {report.Failures.Count} mismatch(es).").ConfigureAwait(false);
                return MedicalCli.IntegrityFailure;
            }

            return 0;
        }));
        return new Command("audit", "Audits of the stored records.") { integrity };
    }

    private static string Short(string? id) => id is { Length: > 8 } ? id[..8] : id ?? "-";
}
