using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MedLedger.Crypto;

namespace MedLedger.Network;

/// <summary>
/// Derives a node's TLS certificate from its on-chain signing key (ADR 0006): a self-signed X.509 certificate whose
/// subject key is that very P-256 key, so that a TLS handshake proves possession of the key the chain knows. Peers
/// ignore everything in the certificate except the key: no chain, names, dates or revocation are checked.
/// </summary>
public static class PeerCertificate
{
    private const string P256Oid = "1.2.840.10045.3.1.7";
    private const int CoordinateBytes = 32;

    /// <summary>
    /// Creates a certificate for <paramref name="key"/> valid from an hour before <paramref name="now"/> (clock skew)
    /// for <paramref name="validity"/> after it, carrying the private key so <c>SslStream</c> can use it.
    /// </summary>
    /// <exception cref="NotSupportedException">The key is not an ECDSA P-256 key of the standard suite.</exception>
    public static X509Certificate2 Create(ISigningKey key, DateTimeOffset now, TimeSpan validity)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(validity, TimeSpan.Zero);
        if (key.SuiteName != StandardCryptoSuite.SuiteName)
        {
            throw new NotSupportedException($"TLS peer identities need an ECDSA P-256 key (suite '{StandardCryptoSuite.SuiteName}'), not a '{key.SuiteName}' key.");
        }

        var scalar = key.ExportPrivateKey();
        byte[]? pkcs12 = null;
        try
        {
            using var ecdsa = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = scalar });
            var subject = new X500DistinguishedName("CN=medledger-node");
            var request = new CertificateRequest(subject, ecdsa, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
                [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));

            using var ephemeral = request.CreateSelfSigned(now.AddHours(-1), now + validity);

            // SslStream on Linux wants a server certificate whose private key came from a PKCS#12 import rather than
            // one attached in memory, so the certificate makes a round trip through PKCS#12 (no password: the blob
            // never leaves this method and is wiped).
            pkcs12 = ephemeral.Export(X509ContentType.Pkcs12);
            var flags = OperatingSystem.IsLinux() ? X509KeyStorageFlags.EphemeralKeySet : X509KeyStorageFlags.DefaultKeySet;
            var certificate = X509CertificateLoader.LoadPkcs12(pkcs12, password: null, flags);

            // The whole point of the certificate is to carry the node's key; check that it does.
            var embedded = TryGetPublicKey(certificate);
            if (embedded is null || !embedded.AsSpan().SequenceEqual(key.PublicKey.Span))
            {
                certificate.Dispose();
                throw new CryptographicException("The derived certificate does not carry the node's public key.");
            }

            return certificate;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
            if (pkcs12 is not null)
            {
                CryptographicOperations.ZeroMemory(pkcs12);
            }
        }
    }

    /// <summary>
    /// The certificate's subject key as an uncompressed SEC1 point (65 bytes, the chain's public key encoding), or
    /// null when it is not an ECDSA key on P-256.
    /// </summary>
    public static byte[]? TryGetPublicKey(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var owned = certificate as X509Certificate2;
        var loaded = owned is null ? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()) : null;
        try
        {
            using var ecdsa = (owned ?? loaded!).GetECDsaPublicKey();
            if (ecdsa is null)
            {
                return null;
            }

            var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
            if (!parameters.Curve.IsNamed || parameters.Curve.Oid.Value != P256Oid
                || parameters.Q.X is not { Length: CoordinateBytes } x || parameters.Q.Y is not { Length: CoordinateBytes } y)
            {
                return null;
            }

            var point = new byte[1 + (2 * CoordinateBytes)];
            point[0] = 0x04;
            x.CopyTo(point, 1);
            y.CopyTo(point, 1 + CoordinateBytes);
            return point;
        }
        catch (CryptographicException)
        {
            return null;
        }
        finally
        {
            loaded?.Dispose();
        }
    }
}
