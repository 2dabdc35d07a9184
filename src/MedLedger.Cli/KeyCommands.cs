using System.CommandLine;
using System.Text.Json;
using MedLedger.Crypto;

namespace MedLedger.Cli;

/// <summary><c>medledger key new</c>: a fresh signing key in an encrypted key file.</summary>
internal static class KeyCommands
{
    public static Command Create()
    {
        var output = new Option<FileInfo>("--out") { Description = "Where to write the encrypted key file.", Required = true };
        var suiteOption = new Option<string>("--suite") { Description = "Crypto suite: standard.", DefaultValueFactory = _ => StandardCryptoSuite.SuiteName };
        var passphraseFile = new Option<FileInfo?>("--passphrase-file") { Description = "File holding the passphrase (else MEDLEDGER_PASSPHRASE or a prompt)." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var newCommand = new Command("new", "Create a key pair and save it encrypted under a passphrase (PBKDF2-HMAC-SHA256, 600,000 iterations, AES-256-GCM).")
        {
            output, suiteOption, passphraseFile, json,
        };
        newCommand.SetAction(parse => CliErrors.Run(() =>
        {
            var file = parse.GetValue(output)!;
            if (file.Exists)
            {
                throw new CliUsageException($"'{file.FullName}' exists; refusing to overwrite a key file.");
            }

            var suite = CryptoSuites.Get(parse.GetValue(suiteOption)!);
            var passphrase = Passphrases.Require(parse.GetValue(passphraseFile), "encrypt the key");
            using var key = suite.GenerateSigningKey();
            KeyFile.Save(file.FullName, suite, key, passphrase);
            var keyId = suite.Hash(key.PublicKey.Span).ToString();
            var publicKey = Convert.ToHexStringLower(key.PublicKey.Span);
            Console.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(new { keyId, publicKey, suite = suite.Name, file = file.FullName })
                : $"Created {file.FullName}\nkey id:     {keyId}\npublic key: {publicKey}");
            return 0;
        }));

        return new Command("key", "Manage signing keys.") { newCommand };
    }
}
