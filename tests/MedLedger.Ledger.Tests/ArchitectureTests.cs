using System.Reflection;
using System.Reflection.Emit;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// The deterministic core — MedLedger.Ledger, and MedLedger.Consensus once it exists — references no clock, no
/// randomness and no I/O (ARCHITECTURE §3; STYLE.md, "Architecture is tested"). The assemblies are read as built, next
/// to this test assembly.
/// </summary>
public sealed class ArchitectureTests
{
    /// <summary>The assemblies that must stay deterministic. Those not built yet are skipped by <see cref="CoreAssemblies"/>.</summary>
    private static readonly string[] DeterministicAssemblies = ["MedLedger.Ledger", "MedLedger.Consensus"];

    public static TheoryData<string> CoreAssemblies => [.. PresentCoreAssemblies()];

    // Proves each deterministic assembly found next to the tests references none of the forbidden APIs; the failure
    // message lists every offending reference.
    [Theory]
    [MemberData(nameof(CoreAssemblies))]
    public void CoreAssembly_References_NoClockRandomnessOrIO(string assemblyName)
    {
        var offending = ForbiddenApiScanner.Scan(AssemblyPath(assemblyName));
        Assert.True(offending.Count == 0, $"{assemblyName} references clock, randomness or I/O:\n  {string.Join("\n  ", offending)}");
    }

    // Proves the theory above cannot pass vacuously: MedLedger.Ledger is always among the scanned assemblies.
    [Fact]
    public void CoreAssemblies_AlwaysIncludeLedger()
    {
        Assert.True(File.Exists(AssemblyPath("MedLedger.Ledger")), $"{AssemblyPath("MedLedger.Ledger")} is missing");
        Assert.Contains("MedLedger.Ledger", PresentCoreAssemblies());
    }

    // Proves the scanner finds real violations: MedLedger.Crypto (which may do I/O and draw randomness) uses
    // RandomNumberGenerator for salts and nonces and System.IO for key files.
    [Fact]
    public void Scanner_CryptoAssembly_FindsRandomnessAndFileAccess()
    {
        var found = ForbiddenApiScanner.Scan(AssemblyPath("MedLedger.Crypto"));
        Assert.Contains(found, f => f.StartsWith("System.Security.Cryptography.RandomNumberGenerator", StringComparison.Ordinal));
        Assert.Contains(found, f => f.StartsWith("System.IO.File", StringComparison.Ordinal));
        Assert.Contains(found, f => f.StartsWith("System.IO.Directory", StringComparison.Ordinal));
    }

    // Proves every rule can fire: an assembly emitted here, with one method per forbidden API, is scanned and each
    // API is reported; a twin assembly using only allowed APIs (Math, TimeSpan, Guid.Parse, a DateTime value) is clean.
    [Fact]
    public void Scanner_CanaryAssembly_FindsEveryForbiddenApi()
    {
        string[] expected =
        [
            "System.DateTime::get_Now", "System.DateTime::get_UtcNow", "System.DateTime::get_Today",
            "System.DateTimeOffset::get_Now", "System.DateTimeOffset::get_UtcNow", "System.Guid::NewGuid",
            "System.Environment::get_TickCount", "System.Environment::get_TickCount64", "System.Threading.Tasks.Task::Delay",
            "System.Threading.Thread::Sleep", "System.TimeProvider::get_System", "System.Random", "System.Diagnostics.Stopwatch",
            "System.Security.Cryptography.RandomNumberGenerator", "System.IO.File", "System.IO.Directory", "System.IO.FileStream",
            "System.IO.Path", "System.Net.Sockets.Socket", "System.Net.Http.HttpClient",
        ];
        var found = ForbiddenApiScanner.Scan(EmitCanary(forbidden: true));
        var missed = expected.Where(e => !found.Any(f => f == e || f.StartsWith(e + "::", StringComparison.Ordinal))).ToList();
        Assert.True(missed.Count == 0, $"not detected: {string.Join(", ", missed)}\nfound:\n  {string.Join("\n  ", found)}");

        var clean = ForbiddenApiScanner.Scan(EmitCanary(forbidden: false));
        Assert.True(clean.Count == 0, $"false positives: {string.Join(", ", clean)}");
    }

    private static List<string> PresentCoreAssemblies() => [.. DeterministicAssemblies.Where(name => File.Exists(AssemblyPath(name)))];

    private static string AssemblyPath(string name) => Path.Combine(AppContext.BaseDirectory, name + ".dll");

    /// <summary>Emits a small assembly whose methods reference the forbidden APIs (or only allowed ones) and returns its image.</summary>
    private static MemoryStream EmitCanary(bool forbidden)
    {
        var assembly = new PersistedAssemblyBuilder(new AssemblyName(forbidden ? "Canary.Forbidden" : "Canary.Clean"), typeof(object).Assembly);
        var module = assembly.DefineDynamicModule("Canary");
        var type = module.DefineType("Canary.Uses", TypeAttributes.Public | TypeAttributes.Class | TypeAttributes.Sealed | TypeAttributes.Abstract);
        var count = 0;

        void Calls(MethodInfo method)
        {
            var builder = type.DefineMethod($"M{count++}", MethodAttributes.Public | MethodAttributes.Static, typeof(void), Type.EmptyTypes);
            var il = builder.GetILGenerator();
            foreach (var parameter in method.GetParameters())
            {
                EmitDefault(il, parameter.ParameterType);
            }

            il.Emit(OpCodes.Call, method);
            if (method.ReturnType != typeof(void))
            {
                il.Emit(OpCodes.Pop);
            }

            il.Emit(OpCodes.Ret);
        }

        void Creates(Type created)
        {
            var builder = type.DefineMethod($"M{count++}", MethodAttributes.Public | MethodAttributes.Static, typeof(object), Type.EmptyTypes);
            var il = builder.GetILGenerator();
            il.Emit(OpCodes.Newobj, created.GetConstructor(Type.EmptyTypes)!);
            il.Emit(OpCodes.Ret);
        }

        if (forbidden)
        {
            Calls(typeof(DateTime).GetProperty(nameof(DateTime.Now))!.GetMethod!);
            Calls(typeof(DateTime).GetProperty(nameof(DateTime.UtcNow))!.GetMethod!);
            Calls(typeof(DateTime).GetProperty(nameof(DateTime.Today))!.GetMethod!);
            Calls(typeof(DateTimeOffset).GetProperty(nameof(DateTimeOffset.Now))!.GetMethod!);
            Calls(typeof(DateTimeOffset).GetProperty(nameof(DateTimeOffset.UtcNow))!.GetMethod!);
            Calls(typeof(Guid).GetMethod(nameof(Guid.NewGuid))!);
            Calls(typeof(Environment).GetProperty(nameof(Environment.TickCount))!.GetMethod!);
            Calls(typeof(Environment).GetProperty(nameof(Environment.TickCount64))!.GetMethod!);
            Calls(typeof(Task).GetMethod(nameof(Task.Delay), [typeof(int)])!);
            Calls(typeof(Thread).GetMethod(nameof(Thread.Sleep), [typeof(int)])!);
            Calls(typeof(TimeProvider).GetProperty(nameof(TimeProvider.System))!.GetMethod!);
            Creates(typeof(Random));
            Calls(typeof(System.Diagnostics.Stopwatch).GetMethod(nameof(System.Diagnostics.Stopwatch.GetTimestamp))!);
            Calls(typeof(System.Security.Cryptography.RandomNumberGenerator).GetMethod(nameof(System.Security.Cryptography.RandomNumberGenerator.GetBytes), [typeof(int)])!);
            Calls(typeof(File).GetMethod(nameof(File.ReadAllBytes), [typeof(string)])!);
            Calls(typeof(Directory).GetMethod(nameof(Directory.Exists), [typeof(string)])!);
            Calls(typeof(Path).GetMethod(nameof(Path.GetTempPath))!);
            Calls(typeof(FileStream).GetProperty(nameof(FileStream.Name))!.GetMethod!);
            Calls(typeof(System.Net.Sockets.Socket).GetProperty(nameof(System.Net.Sockets.Socket.OSSupportsIPv6))!.GetMethod!);
            Creates(typeof(System.Net.Http.HttpClient));
        }
        else
        {
            Calls(typeof(Math).GetMethod(nameof(Math.Max), [typeof(long), typeof(long)])!);
            Calls(typeof(TimeSpan).GetMethod(nameof(TimeSpan.FromSeconds), [typeof(long)])!);
            Calls(typeof(Guid).GetMethod(nameof(Guid.Parse), [typeof(string)])!);
            Calls(typeof(DateTimeOffset).GetMethod(nameof(DateTimeOffset.FromUnixTimeMilliseconds))!);
            Calls(typeof(Convert).GetMethod(nameof(Convert.ToHexString), [typeof(byte[])])!);
        }

        type.CreateType();
        var image = new MemoryStream();
        assembly.Save(image);
        image.Position = 0;
        return image;
    }

    private static void EmitDefault(ILGenerator il, Type type)
    {
        if (type == typeof(int))
        {
            il.Emit(OpCodes.Ldc_I4_0);
        }
        else if (type == typeof(long))
        {
            il.Emit(OpCodes.Ldc_I8, 0L);
        }
        else
        {
            il.Emit(OpCodes.Ldnull);
        }
    }
}
