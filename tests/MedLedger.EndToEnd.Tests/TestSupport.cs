using System.Security.Cryptography;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Node;

namespace MedLedger.EndToEnd.Tests;

/// <summary>A fresh folder under the system temp folder, deleted with everything in it on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("medledger-e2e-").FullName;

    /// <summary>A path inside the folder (not created).</summary>
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A killed child may still be releasing a file; the OS temp cleaner takes what is left.
        }
    }
}

/// <summary>What the tests do with a node's data folder from outside the node.</summary>
internal static class NodeFolder
{
    public const string ChainId = "medledger-e2e";

    public static ICryptoSuite Suite => CryptoSuites.Standard;

    /// <summary>Runs <c>medledger node init</c> with a generated passphrase and API port 0.</summary>
    public static async Task InitAsync(string dataDirectory, params string[] extraArguments)
    {
        var result = await MedLedgerCli.RunAsync(["node", "init", "--data", dataDirectory, "--api-port", "0", "--chain-id", ChainId, .. extraArguments]);
        result.Succeeded();
    }

    /// <summary>
    /// Opens the node key (the validator and first administrator) with the passphrase that init generated — the
    /// same as <c>LoadNodeKey(suite, null)</c>, without depending on this process's MEDLEDGER_PASSPHRASE.
    /// </summary>
    public static ISigningKey LoadAdminKey(string dataDirectory)
    {
        var directory = new NodeDataDirectory(dataDirectory);
        return directory.LoadNodeKey(Suite, File.ReadAllText(directory.GeneratedPassphrasePath).Trim());
    }

    /// <summary>A signed anchor of a fresh random commitment.</summary>
    public static Transaction Anchor(ISigningKey key, ulong nonce, Hash? commitment = null) =>
        Transaction.Create(Suite, key, ChainId, TransactionType.CommitmentAnchor, nonce, 1_000_000, new CommitmentAnchorPayload(commitment ?? RandomCommitment()).Encode());

    /// <summary>The administrator's registration of <paramref name="member"/> as a Member.</summary>
    public static Transaction Register(ISigningKey admin, ulong nonce, ISigningKey member, string name) =>
        Transaction.Create(Suite, admin, ChainId, TransactionType.AccountRegister, nonce, 1_000_000, new AccountRegisterPayload(member.PublicKey.ToArray(), AccountRole.Member, name).Encode());

    public static Hash KeyId(ISigningKey key) => Suite.Hash(key.PublicKey.Span);

    public static Hash RandomCommitment() => new(RandomNumberGenerator.GetBytes(Hash.Size));

    /// <summary>Copies a stopped node's folder, files and subfolders.</summary>
    public static void Copy(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(destination, Path.GetRelativePath(source, directory)));
        }

        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(source, file));
            File.Copy(file, target);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(target, File.GetUnixFileMode(file));
            }
        }
    }
}
