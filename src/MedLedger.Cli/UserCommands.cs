using System.CommandLine;
using System.Globalization;
using MedLedger.Client;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Cli;

/// <summary>
/// <c>medledger user register|revoke</c>, <c>medledger key rotate</c> and <c>medledger patient enrol</c>: identities
/// on chain (SPEC F3–F5, F22).
/// </summary>
internal static class UserCommands
{
    private static readonly string[] Sexes = ["female", "male", "other", "unknown"];

    public static Command CreateUser(CliEnvironment environment) => new("user", "Register and revoke users of your organisation.")
    {
        CreateRegister(environment),
        CreateRevoke(environment),
    };

    public static Command CreateKeyRotate(CliEnvironment environment)
    {
        var user = new UserOptions();
        var newKey = new Option<FileInfo>("--new-key") { Description = "Key file of the replacement key (medledger key new).", Required = true };
        var newPassphrase = new Option<FileInfo?>("--new-passphrase-file") { Description = "Passphrase file of --new-key (default: the same passphrase as --key)." };
        var command = user.AddTo(new Command("rotate", "Replace your key by a new one; your history stays yours and the old key stops working.") { newKey, newPassphrase });
        command.SetAction((parse, cancellationToken) => MedicalCli.RunAsync(parse, async output =>
        {
            var (node, key) = user.Validate(parse);
            var replacementFile = parse.GetValue(newKey)!;
            MedicalCli.RequireFile(replacementFile, "--new-key");
            if (string.Equals(replacementFile.FullName, key.FullName, StringComparison.Ordinal))
            {
                throw new CliUsageException("--new-key is the same file as --key.");
            }

            using var session = user.Connect(parse, node, key, environment);
            using var replacement = MedicalCli.OpenKey(replacementFile, parse.GetValue(newPassphrase) ?? parse.GetValue(user.PassphraseFile), out var replacementSuite, "new key");
            if (replacementSuite != session.Suite)
            {
                throw new CliUsageException("--new-key belongs to another crypto suite.");
            }

            var newKeyId = session.Suite.Hash(replacement.PublicKey.Span);
            if (newKeyId == session.KeyId)
            {
                throw new CliUsageException("--new-key holds the same key as --key.");
            }

            var (transactionId, result) = await MedicalCli.SubmitAsync(session, f => f.RotateKey(replacement), cancellationToken).ConfigureAwait(false);
            MedicalCli.WriteSubmitted(output, parse.GetValue(user.Json), $"Rotated key {session.KeyId.ToShortString()} to {newKeyId}", transactionId, result, new Dictionary<string, object?> { ["oldKeyId"] = session.KeyId.ToString(), ["newKeyId"] = newKeyId.ToString() });
            return 0;
        }));
        return command;
    }

    public static Command CreatePatient(CliEnvironment environment)
    {
        var user = new UserOptions();
        var username = new Option<string>("--username") { Description = "The patient's login name at this node.", Required = true };
        var givenName = new Option<string>("--given-name") { Description = "Given name (kept in the node's EMPI, never on chain).", Required = true };
        var familyName = new Option<string>("--family-name") { Description = "Family name (EMPI only).", Required = true };
        var nationalId = new Option<string>("--national-id") { Description = "National id (EMPI only).", Required = true };
        var birthDate = new Option<string>("--birth-date") { Description = "Birth date yyyy-MM-dd (EMPI only).", Required = true };
        var sex = new Option<string>("--sex") { Description = "female, male, other or unknown.", DefaultValueFactory = _ => "unknown" };
        var postalCode = new Option<string>("--postal-code") { Description = "Postal code (EMPI only).", DefaultValueFactory = _ => string.Empty };
        var patientPassphrase = new Option<FileInfo>("--patient-passphrase-file") { Description = "File holding the patient's passphrase (at least 8 characters), which seals their keys at the node.", Required = true };
        var organisation = new Option<string?>("--org") { Description = "Your organisation (default: looked up from your user)." };
        var enrol = user.AddTo(new Command("enrol", "Enrol a patient in custody at this node and register their first pseudonym on chain.")
        {
            username, givenName, familyName, nationalId, birthDate, sex, postalCode, patientPassphrase, organisation,
        });
        enrol.SetAction((parse, cancellationToken) => MedicalCli.RunAsync(parse, async output =>
        {
            var (node, key) = user.Validate(parse);
            var login = parse.GetValue(username)!.Trim();
            if (login.Length is 0 or > 64)
            {
                throw new CliUsageException("--username has 1..64 characters.");
            }

            var birth = parse.GetValue(birthDate);
            if (!DateOnly.TryParseExact(birth, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                throw new CliUsageException($"--birth-date must be yyyy-MM-dd, not '{birth}'.");
            }

            var sexValue = parse.GetValue(sex)!.ToLowerInvariant();
            if (!Sexes.Contains(sexValue))
            {
                throw new CliUsageException($"--sex must be one of {string.Join(", ", Sexes)}.");
            }

            var passphraseFile = parse.GetValue(patientPassphrase)!;
            MedicalCli.RequireFile(passphraseFile, "--patient-passphrase-file");
            var passphrase = Passphrases.FromFileOrEnvironment(passphraseFile)!;
            if (passphrase.Length < 8)
            {
                throw new CliUsageException("The patient's passphrase has at least 8 characters.");
            }

            var given = parse.GetValue(organisation) is { } org ? MedicalCli.ParseOrganisationId(org, "--org") : null;
            var request = new PatientEnrolmentRequest(login, passphrase, parse.GetValue(givenName)!, parse.GetValue(familyName)!, parse.GetValue(nationalId)!, birth!, sexValue, parse.GetValue(postalCode)!);
            using var session = user.Connect(parse, node, key, environment);
            var home = given ?? await session.Client.GetOwnOrganisationAsync(cancellationToken).ConfigureAwait(false);
            var (enrolment, registration) = await session.Client.EnrolPatientAndRegisterAsync(request, home, waitForCommit: true, cancellationToken).ConfigureAwait(false);
            if (string.Equals(registration.Status, "rejected", StringComparison.Ordinal))
            {
                throw new MedLedgerApiException(System.Net.HttpStatusCode.UnprocessableEntity, "registration rejected", registration.Reason, registration.Code);
            }

            if (parse.GetValue(user.Json))
            {
                MedicalCli.WriteJson(output, new { enrolment.Username, pseudonym = enrolment.KeyId, enrolment.PublicKey, organisation = home, transactionId = registration.Id, registration.Status, registration.Height });
            }
            else
            {
                await output.WriteLineAsync($"Enrolled '{enrolment.Username}' at {home}: pseudonym {enrolment.KeyId}, registration {registration.Id} {registration.Status}.").ConfigureAwait(false);
            }

            return 0;
        }));
        return new Command("patient", "Enrol patients.") { enrol };
    }

    private static Command CreateRegister(CliEnvironment environment)
    {
        var user = new UserOptions();
        var publicKey = new Option<string?>("--public-key") { Description = "The new user's public key (hex)." };
        var keyFile = new Option<FileInfo?>("--key-file") { Description = "The new user's key file (only its public key is read)." };
        var role = new Option<string>("--role") { Description = "doctor, patient, orgAdmin, auditor, researcher, insurerAgent or node.", Required = true };
        var organisation = new Option<string>("--org") { Description = "The user's organisation.", Required = true };
        var name = new Option<string>("--name") { Description = "Display name (required for staff; patients carry none on chain).", DefaultValueFactory = _ => string.Empty };
        var command = user.AddTo(new Command("register", "Register a user's key with a role in an organisation.") { publicKey, keyFile, role, organisation, name });
        command.SetAction((parse, cancellationToken) => MedicalCli.RunAsync(parse, async output =>
        {
            var (node, key) = user.Validate(parse);
            var suite = MedicalCli.SuiteOfKeyFile(key);
            var hex = parse.GetValue(publicKey);
            var file = parse.GetValue(keyFile);
            if ((hex is null) == (file is null))
            {
                throw new CliUsageException("Give either --public-key or --key-file.");
            }

            byte[] newKey;
            if (file is not null)
            {
                MedicalCli.RequireFile(file, "--key-file");
                newKey = KeyFile.ReadPublicKey(File.ReadAllBytes(file.FullName));
                if (!suite.IsValidPublicKey(newKey))
                {
                    throw new CliUsageException($"--key-file does not hold a valid {suite.Name} public key.");
                }
            }
            else
            {
                newKey = MedicalCli.ParsePublicKey(suite, hex, "--public-key");
            }

            var userRole = MedicalCli.ParseName<AccountRole>(parse.GetValue(role), "--role");
            if (userRole is AccountRole.Administrator or AccountRole.Member)
            {
                throw new CliUsageException($"--role {ApiNames.Of(userRole)} cannot be registered as a user.");
            }

            var org = MedicalCli.ParseOrganisationId(parse.GetValue(organisation), "--org");
            var displayName = parse.GetValue(name)!.Trim();
            if (userRole == AccountRole.Patient && displayName.Length != 0)
            {
                throw new CliUsageException("A patient carries no name on chain: drop --name.");
            }

            if (userRole != AccountRole.Patient && displayName.Length == 0)
            {
                throw new CliUsageException("Staff need a --name.");
            }

            using var session = user.Connect(parse, node, key, environment);
            var userId = session.Suite.Hash(newKey);
            var (transactionId, result) = await MedicalCli.SubmitAsync(session, f => f.RegisterUser(newKey, userRole, org, displayName), cancellationToken).ConfigureAwait(false);
            MedicalCli.WriteSubmitted(output, parse.GetValue(user.Json), $"Registered {ApiNames.Of(userRole)} {userId} in {org}", transactionId, result, new Dictionary<string, object?> { ["userId"] = userId.ToString() });
            return 0;
        }));
        return command;
    }

    private static Command CreateRevoke(CliEnvironment environment)
    {
        var user = new UserOptions();
        var account = new Option<string>("--account") { Description = "Key id of the account to revoke (hex).", Required = true };
        var command = user.AddTo(new Command("revoke", "Revoke a user's key: its later requests and transactions are refused, its history stays verifiable.") { account });
        command.SetAction((parse, cancellationToken) => MedicalCli.RunAsync(parse, async output =>
        {
            var (node, key) = user.Validate(parse);
            var keyId = MedicalCli.ParseHash(parse.GetValue(account), "--account");
            using var session = user.Connect(parse, node, key, environment);
            var (transactionId, result) = await MedicalCli.SubmitAsync(session, f => f.RevokeAccount(keyId), cancellationToken).ConfigureAwait(false);
            MedicalCli.WriteSubmitted(output, parse.GetValue(user.Json), $"Revoked {keyId}", transactionId, result);
            return 0;
        }));
        return command;
    }
}
