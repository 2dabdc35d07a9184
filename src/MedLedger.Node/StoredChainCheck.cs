using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Storage;

namespace MedLedger.Node;

/// <summary>
/// The check every node runs over its stored chain before it serves anything (issue 4: a node whose stored blocks were
/// tampered with detects it at start and does not serve them). For every block from 1 to the head: the store's own
/// decoding checks (recorded hash, transaction ids, transactions root, a certificate for this block), the link to the
/// previous block's hash, and the commit certificate's signatures against the validator set its header names (genesis,
/// the sets recorded when they changed, or the restored state's). It does not re-execute transactions — the stored
/// state was already matched to the head's state root — which <c>medledger chain verify</c> does. Certificates are
/// checked on every core, in chunks, so the cost is about one block load plus three signature verifications per block
/// spread over the cores.
/// </summary>
public static class StoredChainCheck
{
    private const int Chunk = 1_024;

    /// <summary>Returns null when every stored block checks out, else the first damaged height and why.</summary>
    public static (ulong Height, string Reason)? Verify(GenesisDocument genesis, IChainStore store, IReadOnlyList<ValidatorSet> knownSets, Hash genesisHash)
    {
        ArgumentNullException.ThrowIfNull(genesis);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(knownSets);
        var suite = CryptoSuites.Get(genesis.Suite);
        var sets = new Dictionary<Hash, ValidatorSet>();
        foreach (var set in knownSets)
        {
            sets.TryAdd(set.ComputeHash(suite), set);
        }

        var previous = genesisHash;
        var height = store.Height;
        for (ulong start = 1; start <= height; start += Chunk)
        {
            var end = Math.Min(height, start + Chunk - 1);
            var blocks = new List<(ulong Height, Hash Hash, BlockHeader Header, CommitCertificate Certificate)>((int)(end - start + 1));
            for (var h = start; h <= end; h++)
            {
                Block block;
                try
                {
                    block = store.LoadBlock(h) ?? throw new StoreCorruptedException("the block is missing");
                }
                catch (StoreCorruptedException exception)
                {
                    return (h, exception.Message);
                }

                if (block.Header.PreviousBlockHash != previous)
                {
                    return (h, "its previous-block hash does not match the block before it");
                }

                previous = block.Header.ComputeHash(suite);
                blocks.Add((h, previous, block.Header, block.Certificate));
            }

            var faults = new (ulong Height, string Reason)?[blocks.Count];
            Parallel.For(0, blocks.Count, i =>
            {
                var (h, hash, header, certificate) = blocks[i];
                faults[i] = !sets.TryGetValue(header.ValidatorSetHash, out var validators)
                    ? (h, "no known validator set has the hash its header names")
                    : validators.VerifyCommit(suite, genesis.ChainId, h, hash, certificate) is { } reason ? (h, $"its commit certificate is invalid ({reason})") : null;
            });
            if (faults.FirstOrDefault(f => f is not null) is { } fault)
            {
                return fault;
            }
        }

        return null;
    }
}
