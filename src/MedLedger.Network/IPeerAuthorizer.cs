using MedLedger.Core;

namespace MedLedger.Network;

/// <summary>
/// Decides which keys may connect: the node backs it with on-chain state (the consortium's node keys). Called
/// during every TLS handshake, from any thread, and again for every connected peer by
/// <see cref="PeerNetwork.RevalidatePeers"/>; it must be thread-safe and fast, and should not throw.
/// </summary>
public interface IPeerAuthorizer
{
    /// <summary>True when <paramref name="publicKey"/> (an uncompressed P-256 point) belongs to a consortium node.</summary>
    bool IsAuthorized(ReadOnlySpan<byte> publicKey);
}

/// <summary>
/// A thread-safe set of authorised public keys that the node replaces when the consortium changes on chain
/// (then calls <see cref="PeerNetwork.RevalidatePeers"/> to drop peers that left).
/// </summary>
public sealed class ConsortiumKeySet : IPeerAuthorizer
{
    private volatile HashSet<byte[]> _keys;

    /// <summary>Creates the set with its first members.</summary>
    public ConsortiumKeySet(IEnumerable<ReadOnlyMemory<byte>> publicKeys)
    {
        _keys = Build(publicKeys);
    }

    /// <summary>Number of keys in the set.</summary>
    public int Count => _keys.Count;

    /// <inheritdoc />
    public bool IsAuthorized(ReadOnlySpan<byte> publicKey) => _keys.GetAlternateLookup<ReadOnlySpan<byte>>().Contains(publicKey);

    /// <summary>Replaces every member at once; readers see either the old set or the new one.</summary>
    public void Replace(IEnumerable<ReadOnlyMemory<byte>> publicKeys) => _keys = Build(publicKeys);

    private static HashSet<byte[]> Build(IEnumerable<ReadOnlyMemory<byte>> publicKeys)
    {
        ArgumentNullException.ThrowIfNull(publicKeys);
        var set = new HashSet<byte[]>(ByteArrayComparer.Instance);
        foreach (var key in publicKeys)
        {
            set.Add(key.ToArray());
        }

        return set;
    }
}
