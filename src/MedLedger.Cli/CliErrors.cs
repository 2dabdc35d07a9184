using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Node;
using MedLedger.Storage;

namespace MedLedger.Cli;

/// <summary>
/// Runs a command body and turns the failures an operator can cause (a wrong passphrase, a missing folder, a
/// damaged file) into one line on stderr and a non-zero exit code. Anything else is a bug and keeps its trace.
/// </summary>
internal static class CliErrors
{
    public const int Failure = 1;

    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is NodeSetupException or CryptoException or DecodingException or StoreCorruptedException or IOException or UnauthorizedAccessException or CliUsageException)
        {
            await Console.Error.WriteLineAsync($"medledger: {exception.Message}").ConfigureAwait(false);
            return Failure;
        }
    }

    public static Task<int> Run(Func<int> body) => RunAsync(() => Task.FromResult(body()));
}

/// <summary>The command line asks for something impossible; the message says what.</summary>
internal sealed class CliUsageException : Exception
{
    public CliUsageException(string message)
        : base(message)
    {
    }

    public CliUsageException()
    {
    }

    public CliUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
