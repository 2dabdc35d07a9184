using System.CommandLine;
using System.Text.Json;
using MedLedger.Crypto;
using MedLedger.Node;
using MedLedger.Storage;

namespace MedLedger.Cli;

/// <summary><c>medledger chain verify</c>: re-check every stored block and the state.</summary>
internal static class ChainCommands
{
    public static Command Create()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "The node's data folder.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var verify = new Command("verify", "Re-check hashes, Merkle roots, signatures, certificates and the state root of every block; name the first bad height.")
        {
            data, json,
        };
        verify.SetAction(parse => CliErrors.Run(() =>
        {
            var directory = new NodeDataDirectory(parse.GetValue(data)!.FullName);
            var genesis = directory.LoadGenesis();
            if (!File.Exists(directory.ChainDatabasePath))
            {
                throw new CliUsageException($"No chain database in '{directory.Root}'.");
            }

            ChainVerification result;
            try
            {
                using var store = SqliteChainStore.Open(directory.ChainDatabasePath, CryptoSuites.Get(genesis.Suite));
                result = ChainVerifier.Verify(genesis, store);
            }
            catch (StoreCorruptedException exception)
            {
                // The store is damaged beyond opening (e.g. its recorded height has no block): that is a failed
                // verification, not a failure to run one.
                result = new ChainVerification(0, 0, null, exception.Message);
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { valid = result.IsValid, storedHeight = result.StoredHeight, verifiedHeight = result.VerifiedHeight, firstBadHeight = result.FirstBadHeight, fault = result.Fault }));
            }
            else if (result.IsValid)
            {
                Console.WriteLine($"Chain verified: {result.StoredHeight} block(s), state matches.");
            }

            if (!result.IsValid)
            {
                var where = result.FirstBadHeight is { } height ? $" at height {height}" : string.Empty;
                Console.Error.WriteLine($"medledger: chain verify failed{where}: {result.Fault}");
                return 2;
            }

            return 0;
        }));

        return new Command("chain", "Inspect and verify the stored chain.") { verify };
    }
}
