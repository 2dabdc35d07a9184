using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace MedLedger.Ledger.Tests;

/// <summary>
/// Lists the clock, randomness and I/O APIs an assembly references, read from its metadata (type and member
/// references) without loading it. Any call, field access, typeof, cast or generic argument naming such an API leaves
/// a reference there, so the compiled deterministic core can be checked as built (ARCHITECTURE §3, STYLE.md).
/// </summary>
internal static class ForbiddenApiScanner
{
    /// <summary>Types that are forbidden whole: any reference to them or their members.</summary>
    private static readonly string[] ForbiddenTypes =
    [
        "System.Random",
        "System.Security.Cryptography.RandomNumberGenerator",
        "System.Diagnostics.Stopwatch",
        "System.Threading.Timer",
        "System.Threading.PeriodicTimer",
        "System.Net.Http.HttpClient",
    ];

    /// <summary>Namespaces forbidden whole, sub-namespaces included: files, sockets, HTTP, timers.</summary>
    private static readonly string[] ForbiddenNamespaces = ["System.IO", "System.Net", "System.Timers"];

    /// <summary>Single members that read the clock or randomness, as (declaring type, member name or name prefix*).</summary>
    private static readonly (string Type, string Member)[] ForbiddenMembers =
    [
        ("System.DateTime", "get_Now"),
        ("System.DateTime", "get_UtcNow"),
        ("System.DateTime", "get_Today"),
        ("System.DateTimeOffset", "get_Now"),
        ("System.DateTimeOffset", "get_UtcNow"),
        ("System.Guid", "NewGuid"),
        ("System.Guid", "CreateVersion7"),
        ("System.Environment", "get_TickCount*"),
        ("System.Threading.Tasks.Task", "Delay"),
        ("System.Threading.Thread", "Sleep"),
        ("System.TimeProvider", "get_System"),
    ];

    /// <summary>The forbidden references in the assembly at <paramref name="path"/>, sorted and distinct.</summary>
    public static IReadOnlyList<string> Scan(string path)
    {
        using var stream = File.OpenRead(path);
        return Scan(stream);
    }

    /// <summary>The forbidden references in the assembly image in <paramref name="image"/>.</summary>
    public static IReadOnlyList<string> Scan(Stream image)
    {
        using var pe = new PEReader(image);
        var metadata = pe.GetMetadataReader();
        var found = new SortedSet<string>(StringComparer.Ordinal);

        foreach (var handle in metadata.TypeReferences)
        {
            var name = TypeReferenceName(metadata, handle);
            if (IsForbiddenType(name))
            {
                found.Add(name);
            }
        }

        foreach (var handle in metadata.MemberReferences)
        {
            var member = metadata.GetMemberReference(handle);
            var parent = ParentName(metadata, member.Parent);
            var name = metadata.GetString(member.Name);
            if (IsForbiddenType(parent) || IsForbiddenMember(parent, name))
            {
                found.Add($"{parent}::{name}");
            }
        }

        return [.. found];
    }

    private static bool IsForbiddenType(string fullName) =>
        ForbiddenTypes.Contains(fullName, StringComparer.Ordinal)
        || ForbiddenNamespaces.Any(ns => fullName.StartsWith(ns + ".", StringComparison.Ordinal));

    private static bool IsForbiddenMember(string typeName, string memberName) =>
        ForbiddenMembers.Any(f => f.Type == typeName && (f.Member.EndsWith('*')
            ? memberName.StartsWith(f.Member[..^1], StringComparison.Ordinal)
            : memberName == f.Member));

    private static string ParentName(MetadataReader metadata, EntityHandle parent) => parent.Kind switch
    {
        HandleKind.TypeReference => TypeReferenceName(metadata, (TypeReferenceHandle)parent),
        HandleKind.TypeDefinition => TypeDefinitionName(metadata, (TypeDefinitionHandle)parent),
        HandleKind.TypeSpecification => metadata.GetTypeSpecification((TypeSpecificationHandle)parent).DecodeSignature(new TypeNameProvider(), null),
        HandleKind.MethodDefinition => TypeDefinitionName(metadata, metadata.GetMethodDefinition((MethodDefinitionHandle)parent).GetDeclaringType()),
        _ => string.Empty,
    };

    private static string TypeReferenceName(MetadataReader metadata, TypeReferenceHandle handle)
    {
        var reference = metadata.GetTypeReference(handle);
        var name = metadata.GetString(reference.Name);
        if (reference.ResolutionScope.Kind == HandleKind.TypeReference)
        {
            return TypeReferenceName(metadata, (TypeReferenceHandle)reference.ResolutionScope) + "+" + name;
        }

        var ns = metadata.GetString(reference.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    private static string TypeDefinitionName(MetadataReader metadata, TypeDefinitionHandle handle)
    {
        var definition = metadata.GetTypeDefinition(handle);
        var name = metadata.GetString(definition.Name);
        var declaring = definition.GetDeclaringType();
        if (!declaring.IsNil)
        {
            return TypeDefinitionName(metadata, declaring) + "+" + name;
        }

        var ns = metadata.GetString(definition.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    /// <summary>Names a type from a signature; a generic instantiation is named by its generic type (Task`1, not Task`1&lt;int&gt;).</summary>
    private sealed class TypeNameProvider : ISignatureTypeProvider<string, object?>
    {
        public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[]";

        public string GetByReferenceType(string elementType) => elementType + "&";

        public string GetFunctionPointerType(MethodSignature<string> signature) => "method*";

        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => genericType;

        public string GetGenericMethodParameter(object? genericContext, int index) => "!!" + index;

        public string GetGenericTypeParameter(object? genericContext, int index) => "!" + index;

        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;

        public string GetPinnedType(string elementType) => elementType;

        public string GetPointerType(string elementType) => elementType + "*";

        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => "System." + typeCode;

        public string GetSZArrayType(string elementType) => elementType + "[]";

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => TypeDefinitionName(reader, handle);

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => TypeReferenceName(reader, handle);

        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
    }
}
