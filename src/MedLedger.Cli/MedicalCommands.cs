using System.CommandLine;

namespace MedLedger.Cli;

/// <summary>
/// Registers the verbs that act as a user through a node's API (SPEC §3): records, grants, the access log, the
/// integrity audit, users and keys, membership votes, patient enrolment and custody export.
/// </summary>
internal static class MedicalCommands
{
    public static void Register(RootCommand root, CliEnvironment? environment = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        environment ??= CliEnvironment.Default;
        root.Subcommands.Add(RecordCommands.Create(environment));
        root.Subcommands.Add(ConsentCommands.CreateGrant(environment));
        root.Subcommands.Add(ConsentCommands.CreateRevoke(environment));
        root.Subcommands.Add(AuditCommands.CreateAccessLog(environment));
        root.Subcommands.Add(AuditCommands.CreateAudit(environment));
        root.Subcommands.Add(UserCommands.CreateUser(environment));
        root.Subcommands.Add(UserCommands.CreatePatient(environment));
        root.Subcommands.Add(OrganisationCommands.Create(environment));
        root.Subcommands.Add(CustodyCommands.Create(environment));

        // 'key rotate' joins 'key new' under the existing 'key' command.
        var key = root.Subcommands.FirstOrDefault(c => c.Name == "key");
        if (key is null)
        {
            key = new Command("key", "Manage signing keys.");
            root.Subcommands.Add(key);
        }

        key.Subcommands.Add(UserCommands.CreateKeyRotate(environment));
    }
}
