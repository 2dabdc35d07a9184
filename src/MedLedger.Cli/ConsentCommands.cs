using System.CommandLine;
using MedLedger.Client;
using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Cli;

/// <summary><c>medledger grant</c> and <c>medledger revoke</c>: a patient's consents (SPEC F17, F22).</summary>
internal static class ConsentCommands
{
    public static Command CreateGrant(CliEnvironment environment)
    {
        var user = new UserOptions();
        var patient = new Option<string?>("--patient") { Description = "Your pseudonym (user id) that grants; default: your key's id." };
        var toUser = new Option<string?>("--to-user") { Description = "Grant to one user (user id, hex)." };
        var toOrg = new Option<string?>("--to-org") { Description = "Grant to every user of an organisation (organisation id)." };
        var toRole = new Option<string?>("--to-role") { Description = "Grant to every user with a role: doctor, orgAdmin, auditor, researcher, insurerAgent." };
        var tiers = new Option<string[]>("--tiers") { Description = "Tiers covered (comma-separated): identity, generalClinical, sensitive.", Required = true };
        var categories = new Option<string[]>("--categories") { Description = "Categories covered (comma-separated; default: all)." };
        var records = new Option<string[]>("--records") { Description = "Single records covered (comma-separated ids; default: all that match)." };
        var actions = new Option<string[]>("--actions") { Description = "read, append or both (comma-separated).", DefaultValueFactory = _ => ["read"] };
        var purpose = new Option<string>("--purpose") { Description = $"Purpose: {string.Join(", ", ApiNames.Names<AccessPurpose>())}.", Required = true };
        var until = new Option<string>("--until") { Description = "End of the grant, ISO 8601 (e.g. 2026-12-31T23:59:59Z).", Required = true };
        var from = new Option<string?>("--from") { Description = "Start of the grant, ISO 8601 (default: now)." };
        var command = user.AddTo(new Command("grant", "As a patient, grant a user, an organisation or a role access to your records.")
        {
            patient, toUser, toOrg, toRole, tiers, categories, records, actions, purpose, until, from,
        });
        command.SetAction((parse, cancellationToken) => MedicalCli.RunAsync(parse, async output =>
        {
            var (node, key) = user.Validate(parse);
            var actor = ParseActor(parse.GetValue(toUser), parse.GetValue(toOrg), parse.GetValue(toRole));
            var grantTiers = MedicalCli.ParseNames<SensitivityTier>(parse.GetValue(tiers), "--tiers");
            var grantCategories = MedicalCli.ParseNames<RecordCategory>(parse.GetValue(categories), "--categories");
            var grantRecords = MedicalCli.ParseHashes(parse.GetValue(records), "--records");
            var grantActions = MedicalCli.ParseNames<GrantActions>(parse.GetValue(actions), "--actions").Aggregate(GrantActions.None, (all, a) => all | a);
            var grantPurpose = MedicalCli.ParseName<AccessPurpose>(parse.GetValue(purpose), "--purpose");
            var now = environment.Time.GetUtcNow();
            var validUntil = MedicalCli.ParseTime(parse.GetValue(until), "--until");
            var validFrom = parse.GetValue(from) is { } fromText ? MedicalCli.ParseTime(fromText, "--from") : now;
            if (validUntil <= now)
            {
                throw new CliUsageException($"--until {validUntil:O} has already passed.");
            }

            var patientText = parse.GetValue(patient);
            var patientGiven = patientText is null ? (Hash?)null : MedicalCli.ParseHash(patientText, "--patient");
            var terms = new ConsentGrantPayload(patientGiven ?? Hash.Zero, actor, grantActions, grantPurpose, grantCategories, grantTiers, grantRecords, validFrom.ToUnixTimeMilliseconds(), validUntil.ToUnixTimeMilliseconds());
            // Checked before the key is opened; without --patient the key id fills in, so a stand-in is checked here.
            if (TransactionFactory.DescribeInvalidGrant(terms with { Patient = patientGiven ?? Hash.Parse(new string('f', 64)) }) is { } problem)
            {
                throw new CliUsageException(problem);
            }

            using var session = user.Connect(parse, node, key, environment);
            terms = terms with { Patient = patientGiven ?? session.KeyId };
            var (grantId, result) = await MedicalCli.SubmitAsync(session, f => f.GrantConsent(terms), cancellationToken).ConfigureAwait(false);
            MedicalCli.WriteSubmitted(output, parse.GetValue(user.Json), $"Granted {grantId}", grantId, result, new Dictionary<string, object?> { ["grantId"] = grantId.ToString() });
            return 0;
        }));
        return command;
    }

    public static Command CreateRevoke(CliEnvironment environment)
    {
        var user = new UserOptions();
        var grant = new Option<string>("--grant") { Description = "The grant id to revoke (hex).", Required = true };
        var command = user.AddTo(new Command("revoke", "As a patient, revoke a grant; every node refuses later reads under it.") { grant });
        command.SetAction((parse, cancellationToken) => MedicalCli.RunAsync(parse, async output =>
        {
            var (node, key) = user.Validate(parse);
            var grantId = MedicalCli.ParseHash(parse.GetValue(grant), "--grant");
            using var session = user.Connect(parse, node, key, environment);
            var (transactionId, result) = await MedicalCli.SubmitAsync(session, f => f.RevokeConsent(grantId), cancellationToken).ConfigureAwait(false);
            MedicalCli.WriteSubmitted(output, parse.GetValue(user.Json), $"Revoked grant {grantId}", transactionId, result, new Dictionary<string, object?> { ["grantId"] = grantId.ToString() });
            return 0;
        }));
        return command;
    }

    private static GrantActor ParseActor(string? user, string? organisation, string? role)
    {
        if (new[] { user, organisation, role }.Count(v => v is not null) != 1)
        {
            throw new CliUsageException("Name exactly one grantee: --to-user, --to-org or --to-role.");
        }

        if (user is not null)
        {
            return GrantActor.ForUser(MedicalCli.ParseHash(user, "--to-user"));
        }

        if (organisation is not null)
        {
            return GrantActor.ForOrganisation(MedicalCli.ParseOrganisationId(organisation, "--to-org"));
        }

        var parsed = MedicalCli.ParseName<AccountRole>(role, "--to-role");
        return parsed is AccountRole.Doctor or AccountRole.OrgAdmin or AccountRole.Auditor or AccountRole.Researcher or AccountRole.InsurerAgent
            ? GrantActor.ForRole(parsed)
            : throw new CliUsageException($"--to-role {ApiNames.Of(parsed)} cannot be granted; use doctor, orgAdmin, auditor, researcher or insurerAgent.");
    }
}
