using System.CommandLine;
using MedLedger.Client;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Cli;

/// <summary><c>medledger org propose|vote</c>: membership changes by 2/3 of the members (SPEC F2).</summary>
internal static class OrganisationCommands
{
    public static Command Create(CliEnvironment environment) => new("org", "Propose and vote on admitting or removing member organisations.")
    {
        CreatePropose(environment),
        CreateVote(environment),
    };

    private static Command CreatePropose(CliEnvironment environment)
    {
        var user = new UserOptions();
        var action = new Option<string>("--action") { Description = "admit or remove.", Required = true };
        var id = new Option<string>("--id") { Description = "The organisation's id (lowercase letters, digits, hyphens).", Required = true };
        var name = new Option<string?>("--name") { Description = "admit: display name." };
        var kind = new Option<string?>("--kind") { Description = $"admit: {string.Join(", ", ApiNames.Names<OrganisationKind>())}." };
        var tier = new Option<string>("--tier") { Description = "admit: tier label, e.g. tertiary.", DefaultValueFactory = _ => string.Empty };
        var encryptionKey = new Option<string?>("--encryption-key") { Description = "admit: the public key record data keys are wrapped for (hex)." };
        var endpoint = new Option<string?>("--endpoint") { Description = "admit: base URL of the node that will hold its records." };
        var adminKey = new Option<string?>("--admin-public-key") { Description = "admit: its first administrator's public key (hex)." };
        var adminKeyFile = new Option<FileInfo?>("--admin-key-file") { Description = "admit: its first administrator's key file (only the public key is read)." };
        var adminName = new Option<string?>("--admin-name") { Description = "admit: its first administrator's name." };
        var command = user.AddTo(new Command("propose", "As an org admin, propose to admit or remove an organisation; prints the proposal id.")
        {
            action, id, name, kind, tier, encryptionKey, endpoint, adminKey, adminKeyFile, adminName,
        });
        command.SetAction((parse, cancellationToken) => MedicalCli.RunAsync(parse, async output =>
        {
            var (node, key) = user.Validate(parse);
            var suite = MedicalCli.SuiteOfKeyFile(key);
            var membership = MedicalCli.ParseName<MembershipAction>(parse.GetValue(action), "--action");
            var organisationId = MedicalCli.ParseOrganisationId(parse.GetValue(id), "--id");
            Func<TransactionFactory, Transaction> build;
            if (membership == MembershipAction.Admit)
            {
                var displayName = Required(parse.GetValue(name), "--name");
                var organisationKind = MedicalCli.ParseName<OrganisationKind>(Required(parse.GetValue(kind), "--kind"), "--kind");
                var encryption = MedicalCli.ParsePublicKey(suite, Required(parse.GetValue(encryptionKey), "--encryption-key"), "--encryption-key");
                var address = MedicalCli.ParseNode(Required(parse.GetValue(endpoint), "--endpoint")).AbsoluteUri;
                var administrator = AdminKey(suite, parse.GetValue(adminKey), parse.GetValue(adminKeyFile));
                var administratorName = Required(parse.GetValue(adminName), "--admin-name");
                var label = parse.GetValue(tier)!;
                build = f => f.ProposeAdmission(organisationId, displayName, organisationKind, label, encryption, address, administrator, administratorName);
            }
            else
            {
                if (parse.GetValue(name) is not null || parse.GetValue(kind) is not null || parse.GetValue(encryptionKey) is not null || parse.GetValue(endpoint) is not null
                    || parse.GetValue(adminKey) is not null || parse.GetValue(adminKeyFile) is not null || parse.GetValue(adminName) is not null)
                {
                    throw new CliUsageException("A removal names only --id.");
                }

                build = f => f.ProposeRemoval(organisationId);
            }

            using var session = user.Connect(parse, node, key, environment);
            var (proposalId, result) = await MedicalCli.SubmitAsync(session, build, cancellationToken).ConfigureAwait(false);
            MedicalCli.WriteSubmitted(output, parse.GetValue(user.Json), $"Proposed to {ApiNames.Of(membership)} '{organisationId}' (proposal {proposalId})", proposalId, result, new Dictionary<string, object?> { ["proposalId"] = proposalId.ToString() });
            return 0;
        }));
        return command;
    }

    private static Command CreateVote(CliEnvironment environment)
    {
        var user = new UserOptions();
        var proposal = new Option<string>("--proposal") { Description = "The proposal id (the proposing transaction's id).", Required = true };
        var command = user.AddTo(new Command("vote", "As an org admin, vote for an open membership proposal on behalf of your organisation.") { proposal });
        command.SetAction((parse, cancellationToken) => MedicalCli.RunAsync(parse, async output =>
        {
            var (node, key) = user.Validate(parse);
            var proposalId = MedicalCli.ParseHash(parse.GetValue(proposal), "--proposal");
            using var session = user.Connect(parse, node, key, environment);
            var (transactionId, result) = await MedicalCli.SubmitAsync(session, f => f.VoteForProposal(proposalId), cancellationToken).ConfigureAwait(false);
            MedicalCli.WriteSubmitted(output, parse.GetValue(user.Json), $"Voted for proposal {proposalId}", transactionId, result);
            return 0;
        }));
        return command;
    }

    private static string Required(string? value, string option) =>
        string.IsNullOrWhiteSpace(value) ? throw new CliUsageException($"An admission needs {option}.") : value.Trim();

    private static byte[] AdminKey(ICryptoSuite suite, string? hex, FileInfo? file)
    {
        if ((hex is null) == (file is null))
        {
            throw new CliUsageException("An admission needs either --admin-public-key or --admin-key-file.");
        }

        if (hex is not null)
        {
            return MedicalCli.ParsePublicKey(suite, hex, "--admin-public-key");
        }

        MedicalCli.RequireFile(file!, "--admin-key-file");
        var key = KeyFile.ReadPublicKey(File.ReadAllBytes(file!.FullName));
        return suite.IsValidPublicKey(key) ? key : throw new CliUsageException($"--admin-key-file does not hold a valid {suite.Name} public key.");
    }
}
