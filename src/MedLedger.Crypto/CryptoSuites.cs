namespace MedLedger.Crypto;

/// <summary>Looks up a crypto suite by the name written in genesis.</summary>
public static class CryptoSuites
{
    /// <summary>The default suite: ECDSA P-256, SHA-256, ECDH P-256, AES-256-GCM.</summary>
    public static ICryptoSuite Standard { get; } = new StandardCryptoSuite();

    /// <summary>Names of the suites this build supports.</summary>
    public static IReadOnlyList<string> Names { get; } = [StandardCryptoSuite.SuiteName];

    /// <summary>Returns the suite called <paramref name="name"/> or throws <see cref="CryptoException"/>.</summary>
    public static ICryptoSuite Get(string name) => name switch
    {
        StandardCryptoSuite.SuiteName => Standard,
        _ => throw new CryptoException($"Unknown crypto suite '{name}'. Known suites: {string.Join(", ", Names)}."),
    };
}
