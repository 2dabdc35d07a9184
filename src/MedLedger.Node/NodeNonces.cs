using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Node;

/// <summary>
/// Hands out the nonces of the transactions the node signs with its own key (access-log batches, double-vote
/// evidence), so that two of its services never sign two transactions with one nonce. A nonce only has to exceed the
/// sender's last committed one, so a transaction the mempool refused leaves a harmless gap.
/// </summary>
public sealed class NodeNonces
{
    private readonly LedgerStateMachine _ledger;
    private readonly Hash _nodeKeyId;
    private readonly Lock _lock = new();
    private ulong _last;

    public NodeNonces(LedgerStateMachine ledger, NodeIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        _ledger = ledger;
        _nodeKeyId = identity.KeyId;
    }

    /// <summary>The next nonce: above both the last one handed out and the account's last committed one.</summary>
    public ulong Next()
    {
        var committed = _ledger.GetAccount(_nodeKeyId)?.Nonce ?? 0;
        lock (_lock)
        {
            _last = Math.Max(_last, committed) + 1;
            return _last;
        }
    }
}
