using MedLedger.Consensus;
using MedLedger.Core;
using MedLedger.Ledger;

namespace MedLedger.Node.Consortium;

/// <summary>
/// What the consensus driver asks of the peer network (implemented by <see cref="ConsortiumNetwork"/>). Every method is
/// fire-and-forget and must not block: delivery is at most once, and consensus (rebroadcasts, round timeouts) and block
/// sync (requests repeated on a timer) tolerate loss.
/// </summary>
public interface IConsensusTransport
{
    /// <summary>Key ids of the connected peers.</summary>
    IReadOnlyList<Hash> ConnectedPeers { get; }

    /// <summary>Sends a signed proposal with its block, then the proof-of-lock prevotes, to every peer.</summary>
    void BroadcastProposal(ProposalMessage proposal, IReadOnlyList<SignedVote> proofOfLock);

    /// <summary>Sends a vote to every peer.</summary>
    void BroadcastVote(SignedVote vote);

    /// <summary>Gossips transactions this node admitted to its mempool.</summary>
    void BroadcastTransactions(IReadOnlyList<Transaction> transactions);

    /// <summary>Tells every peer this node's committed height.</summary>
    void AnnounceHeight(ulong height);

    /// <summary>Asks <paramref name="peer"/> for committed blocks from <paramref name="fromHeight"/>; false when not connected.</summary>
    bool RequestBlocks(Hash peer, ulong fromHeight);

    /// <summary>Penalises a peer that delivered something no honest node sends.</summary>
    void Penalize(Hash peer, string reason);

    /// <summary>The committed state may have changed the consortium's node keys: refresh who may connect.</summary>
    void ConsortiumMayHaveChanged();
}
