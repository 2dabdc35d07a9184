using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace MedLedger.Web.Tests;

/// <summary>
/// STYLE.md "Architecture is tested": the web UI's pages and components reach the node only through the application
/// services in MedLedger.Web.Services. The rule is checked on the compiled assembly's metadata — the assemblies it
/// references and every type it references from them — so no page, component or helper in MedLedger.Web can name a
/// store, a key type, the ledger or its writer, however it is written.
/// </summary>
public sealed class ArchitectureTests
{
    private static readonly string[] ForbiddenAssemblies = ["MedLedger.Storage", "MedLedger.Crypto", "MedLedger.Ledger", "MedLedger.Consensus", "MedLedger.Network", "MedLedger.Node", "MedLedger.Sharing", "MedLedger.Client", "Microsoft.Data.Sqlite"];

    private static readonly string[] ForbiddenTypeNames = ["ISigningKey", "IRecordStore", "IChainStore", "SqliteRecordStore", "SqliteChainStore", "LedgerService", "LedgerStateMachine", "Mempool", "AccessLogger", "KeyVault", "KeyFile"];

    [Fact]
    public void WebAssembly_ReferencesNoStoreKeyOrLedgerWriter()
    {
        var violations = Violations(typeof(WebUi).Assembly.Location);
        Assert.True(violations.Count == 0, "MedLedger.Web must go through its application-service interfaces, but references:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Check_FailsOnAnAssemblyThatReachesStoresAndKeys()
    {
        // Proof that the check can fail: the node's own assembly, which does hold the stores, keys and the ledger
        // writer, is reported with exactly the kinds of references the web UI must not have.
        var violations = Violations(typeof(MedLedger.Node.Web.NodeWebDesks).Assembly.Location);
        Assert.Contains(violations, v => v.Contains("MedLedger.Storage.IRecordStore", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("MedLedger.Crypto.ISigningKey", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("assembly MedLedger.Ledger", StringComparison.Ordinal));
    }

    [Fact]
    public void Pages_AreRazorComponentsOfTheWebAssembly()
    {
        // The pages the rule protects exist where the check looks: every page component lives in MedLedger.Web.
        var pages = typeof(WebUi).Assembly.GetTypes().Where(t => typeof(Microsoft.AspNetCore.Components.IComponent).IsAssignableFrom(t) && t.Name.EndsWith("Page", StringComparison.Ordinal)).ToList();
        Assert.True(pages.Count >= 10, $"expected the pages in MedLedger.Web, found {pages.Count}");
    }

    internal static List<string> Violations(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var violations = new List<string>();
        foreach (var handle in metadata.AssemblyReferences)
        {
            var name = metadata.GetString(metadata.GetAssemblyReference(handle).Name);
            if (ForbiddenAssemblies.Contains(name, StringComparer.Ordinal))
            {
                violations.Add($"assembly {name}");
            }
        }

        foreach (var handle in metadata.TypeReferences)
        {
            var reference = metadata.GetTypeReference(handle);
            var fullName = $"{metadata.GetString(reference.Namespace)}.{metadata.GetString(reference.Name)}";
            var name = metadata.GetString(reference.Name);
            if (ForbiddenTypeNames.Contains(name, StringComparer.Ordinal) || ForbiddenAssemblies.Any(a => a.StartsWith("MedLedger.", StringComparison.Ordinal) && fullName.StartsWith(a + ".", StringComparison.Ordinal)))
            {
                violations.Add($"type {fullName}");
            }
        }

        return violations;
    }
}
