using System.CommandLine;
using System.Text.Json;
using MedLedger.Client;
using MedLedger.Crypto;

namespace MedLedger.Cli;

/// <summary>
/// <c>medledger custody export|open</c>: a custodial user takes their keys home (SPEC F4). The node releases the
/// vault sealed under the user's passphrase; <c>open</c> turns it into one key file per key, offline.
/// </summary>
internal static class CustodyCommands
{
    public static Command Create(CliEnvironment environment) => new("custody", "Export keys a node keeps in custody for you.")
    {
        CreateExport(environment),
        CreateOpen(),
        CreatePassphrase(environment),
    };

    private static Command CreatePassphrase(CliEnvironment environment)
    {
        var node = new Option<string>("--node") { Description = "Base URL of your home node's API.", Required = true };
        var username = new Option<string>("--username") { Description = "Your login name at the node.", Required = true };
        var passphraseFile = new Option<FileInfo?>("--passphrase-file") { Description = "File holding your current passphrase (else MEDLEDGER_PASSPHRASE or a prompt)." };
        var newPassphraseFile = new Option<FileInfo>("--new-passphrase-file") { Description = "File holding the new passphrase (8..1024 characters).", Required = true };
        var command = new Command("passphrase", "Seal your key vault at the node under a new passphrase (the keys stay the same).") { node, username, passphraseFile, newPassphraseFile };
        command.SetAction((parse, cancellationToken) => MedicalCli.RunAsync(parse, async stdout =>
        {
            var address = MedicalCli.ParseNode(parse.GetValue(node));
            var login = parse.GetValue(username)!.Trim();
            if (login.Length == 0)
            {
                throw new CliUsageException("--username is empty.");
            }

            var newFile = parse.GetValue(newPassphraseFile)!;
            MedicalCli.RequireFile(newFile, "--new-passphrase-file");
            var newPassphrase = MedicalCli.RequirePassphrase(newFile, "the new passphrase");
            var passphrase = MedicalCli.RequirePassphrase(parse.GetValue(passphraseFile), $"change the passphrase of '{login}'");
            using var http = new HttpClient(environment.CreateHandler()) { BaseAddress = new Uri(address.AbsoluteUri.TrimEnd('/') + "/") };
            var changed = await new MedLedgerClient(http).ChangePassphraseAsync(new PassphraseChangeRequest(login, passphrase, newPassphrase), cancellationToken).ConfigureAwait(false);
            await stdout.WriteLineAsync($"The vault of '{changed.Username}' ({changed.Keys} key(s)) is now sealed under the new passphrase.").ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    private static Command CreateExport(CliEnvironment environment)
    {
        var node = new Option<string>("--node") { Description = "Base URL of your home node's API.", Required = true };
        var username = new Option<string>("--username") { Description = "Your login name at the node.", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "Where to write the sealed vault (medledger-vault/1).", Required = true };
        var passphraseFile = new Option<FileInfo?>("--passphrase-file") { Description = "File holding your passphrase (else MEDLEDGER_PASSPHRASE or a prompt)." };
        var command = new Command("export", "Download your key vault, still sealed under your passphrase.") { node, username, output, passphraseFile };
        command.SetAction((parse, cancellationToken) => MedicalCli.RunAsync(parse, async stdout =>
        {
            var address = MedicalCli.ParseNode(parse.GetValue(node));
            var login = parse.GetValue(username)!.Trim();
            if (login.Length == 0)
            {
                throw new CliUsageException("--username is empty.");
            }

            var file = parse.GetValue(output)!;
            if (file.Exists)
            {
                throw new CliUsageException($"'{file.FullName}' exists; refusing to overwrite.");
            }

            var passphrase = MedicalCli.RequirePassphrase(parse.GetValue(passphraseFile), $"export the vault of '{login}'");
            using var http = new HttpClient(environment.CreateHandler()) { BaseAddress = new Uri(address.AbsoluteUri.TrimEnd('/') + "/") };
            var vault = await new MedLedgerClient(http).ExportVaultAsync(new VaultExportRequest(login, passphrase), cancellationToken).ConfigureAwait(false);
            var keys = KeyVault.ReadPublicKeys(vault);
            SecureFile.WriteAllBytes(file.FullName, vault);
            await stdout.WriteLineAsync($"Wrote the vault of '{login}' ({keys.Count} key(s)) to {file.FullName}; open it with 'medledger custody open'.").ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    private static Command CreateOpen()
    {
        var vaultOption = new Option<FileInfo>("--vault") { Description = "The sealed vault (custody export).", Required = true };
        var outDir = new Option<DirectoryInfo>("--out-dir") { Description = "Folder for the key files, one per key, named by key id.", Required = true };
        var passphraseFile = new Option<FileInfo?>("--passphrase-file") { Description = "File holding the vault's passphrase (else MEDLEDGER_PASSPHRASE or a prompt)." };
        var newPassphraseFile = new Option<FileInfo?>("--new-passphrase-file") { Description = "Passphrase for the key files (default: the vault's)." };
        var json = new Option<bool>("--json") { Description = "Print the key ids and files as JSON." };
        var command = new Command("open", "Turn a vault into individual encrypted key files (offline).") { vaultOption, outDir, passphraseFile, newPassphraseFile, json };
        command.SetAction(parse => MedicalCli.RunAsync(parse, stdout =>
        {
            var vaultFile = parse.GetValue(vaultOption)!;
            MedicalCli.RequireFile(vaultFile, "--vault");
            var directory = parse.GetValue(outDir)!;
            var bytes = File.ReadAllBytes(vaultFile.FullName);
            var suite = SuiteOfVault(bytes);
            var publicKeys = KeyVault.ReadPublicKeys(bytes);
            var targets = publicKeys.Select(k => Path.Combine(directory.FullName, $"{suite.Hash(k)}.key")).ToList();
            if (targets.FirstOrDefault(File.Exists) is { } existing)
            {
                throw new CliUsageException($"'{existing}' exists; refusing to overwrite a key file.");
            }

            var passphrase = MedicalCli.RequirePassphrase(parse.GetValue(passphraseFile), $"open the vault '{vaultFile.Name}'");
            var filePassphrase = parse.GetValue(newPassphraseFile) is { } other ? MedicalCli.RequirePassphrase(other, "encrypt the key files") : passphrase;
            var keys = KeyVault.Open(suite, bytes, passphrase);
            try
            {
                Directory.CreateDirectory(directory.FullName);
                for (var i = 0; i < keys.Count; i++)
                {
                    KeyFile.Save(targets[i], suite, keys[i], filePassphrase);
                }
            }
            finally
            {
                foreach (var key in keys)
                {
                    key.Dispose();
                }
            }

            if (parse.GetValue(json))
            {
                MedicalCli.WriteJson(stdout, publicKeys.Select((k, i) => new { keyId = suite.Hash(k).ToString(), file = targets[i] }).ToList());
            }
            else
            {
                foreach (var (publicKey, target) in publicKeys.Zip(targets))
                {
                    stdout.WriteLine($"{suite.Hash(publicKey)}  {target}");
                }
            }

            return Task.FromResult(0);
        }));
        return command;
    }

    // The vault names its suite (KeyVault.Open checks it again); a vault that does not parse is left to KeyVault to
    // describe.
    private static ICryptoSuite SuiteOfVault(byte[] vault)
    {
        try
        {
            using var document = JsonDocument.Parse(vault);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("Suite", out var suite) && suite.ValueKind == JsonValueKind.String)
            {
                return CryptoSuites.Get(suite.GetString()!);
            }
        }
        catch (JsonException)
        {
        }

        return CryptoSuites.Standard;
    }
}
