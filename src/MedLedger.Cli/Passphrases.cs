using MedLedger.Node;

namespace MedLedger.Cli;

/// <summary>Where a command gets a passphrase: a file, the environment, or (interactively) the terminal.</summary>
internal static class Passphrases
{
    public static string? FromFileOrEnvironment(FileInfo? file)
    {
        if (file is not null)
        {
            if (!file.Exists)
            {
                throw new CliUsageException($"No passphrase file at '{file.FullName}'.");
            }

            return File.ReadAllText(file.FullName).TrimEnd('\r', '\n');
        }

        return Environment.GetEnvironmentVariable(NodeDataDirectory.PassphraseVariable);
    }

    public static string Require(FileInfo? file, string purpose)
    {
        var passphrase = FromFileOrEnvironment(file);
        if (passphrase is not null)
        {
            return passphrase;
        }

        if (Console.IsInputRedirected)
        {
            throw new CliUsageException($"A passphrase is needed to {purpose}: pass --passphrase-file or set {NodeDataDirectory.PassphraseVariable}.");
        }

        var first = Prompt("Passphrase: ");
        var second = Prompt("Repeat passphrase: ");
        return first == second ? first : throw new CliUsageException("The passphrases differ.");
    }

    private static string Prompt(string label)
    {
        Console.Error.Write(label);
        var characters = new List<char>();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Error.WriteLine();
                return new string([.. characters]);
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (characters.Count > 0)
                {
                    characters.RemoveAt(characters.Count - 1);
                }
            }
            else
            {
                characters.Add(key.KeyChar);
            }
        }
    }
}
