using System.Collections.Concurrent;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Node.Medical;

/// <summary>
/// The member organisations whose records this node holds, with their encryption keys (opened at start from
/// <c>keys/org-*.key</c> under the node passphrase). Caches the static key-agreement secrets of the read path per
/// (organisation, reader key), so a read costs no elliptic-curve operation after the first.
/// </summary>
public sealed class HostedOrganisations : IDisposable
{
    private const int MaxCachedSecrets = 100_000;

    private readonly ICryptoSuite _suite;
    private readonly Dictionary<string, ISigningKey> _keys;
    private readonly ConcurrentDictionary<(string Organisation, Hash Reader), byte[]> _secrets = new();

    public HostedOrganisations(ICryptoSuite suite, IReadOnlyDictionary<string, ISigningKey> keys)
    {
        _suite = suite;
        _keys = new Dictionary<string, ISigningKey>(keys, StringComparer.Ordinal);
    }

    /// <summary>The hosted organisation ids.</summary>
    public IReadOnlyCollection<string> Ids => _keys.Keys;

    /// <summary>True when this node holds the organisation's records.</summary>
    public bool Holds(string organisationId) => _keys.ContainsKey(organisationId);

    /// <summary>The organisation's encryption key; throws when not hosted here.</summary>
    public ISigningKey Key(string organisationId) => _keys[organisationId];

    /// <summary>The static secret between a hosted organisation's key and a reader's public key.</summary>
    public byte[] StaticSecret(string organisationId, Hash readerKeyId, ReadOnlySpan<byte> readerPublicKey)
    {
        if (_secrets.TryGetValue((organisationId, readerKeyId), out var secret))
        {
            return secret;
        }

        secret = KeyWrap.DeriveStaticSecret(_suite, _keys[organisationId], readerPublicKey);
        if (_secrets.Count >= MaxCachedSecrets)
        {
            _secrets.Clear();
        }

        _secrets[(organisationId, readerKeyId)] = secret;
        return secret;
    }

    /// <summary>Opens the keys of every organisation node.json names; each must match the on-chain encryption key.</summary>
    public static HostedOrganisations Open(NodeDataDirectory directory, ICryptoSuite suite, LedgerStateMachine ledger, IReadOnlyList<string> organisations, string? passphrase)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(ledger);
        var keys = new Dictionary<string, ISigningKey>(StringComparer.Ordinal);
        if (organisations.Count == 0)
        {
            return new HostedOrganisations(suite, keys);
        }

        var resolved = directory.ResolvePassphrase(passphrase) ?? throw new NodeSetupException("The organisation keys are encrypted: pass --passphrase-file or set MEDLEDGER_PASSPHRASE.");
        foreach (var id in organisations)
        {
            var organisation = ledger.GetOrganisation(id) ?? throw new NodeSetupException($"node.json hosts organisation '{id}', which is not on chain.");
            ISigningKey key;
            try
            {
                key = KeyFile.Load(directory.OrganisationKeyPath(id), suite, resolved);
            }
            catch (CryptoException exception)
            {
                throw new NodeSetupException($"Cannot open the key of organisation '{id}': {exception.Message}", exception);
            }

            if (!key.PublicKey.Span.SequenceEqual(organisation.EncryptionKey))
            {
                key.Dispose();
                throw new NodeSetupException($"The key of organisation '{id}' does not match its on-chain encryption key.");
            }

            keys[id] = key;
        }

        return new HostedOrganisations(suite, keys);
    }

    public void Dispose()
    {
        foreach (var key in _keys.Values)
        {
            key.Dispose();
        }
    }
}
