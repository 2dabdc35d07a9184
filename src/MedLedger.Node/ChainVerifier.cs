using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using MedLedger.Storage;

namespace MedLedger.Node;

/// <summary>
/// Re-checks a node's stored chain from genesis (SPEC F6, <c>medledger chain verify</c>): every block's
/// recorded hash against its header, the header's links and roots, every transaction's id, signature and
/// execution, every commit certificate against the validator set of its height, and finally the stored state
/// against the state obtained by replaying all blocks. Stops at the first fault and names its height.
/// </summary>
public static class ChainVerifier
{
    public static ChainVerification Verify(GenesisDocument genesis, IChainStore store, IProgress<ulong>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(genesis);
        ArgumentNullException.ThrowIfNull(store);
        var suite = CryptoSuites.Get(genesis.Suite);
        using var ledger = LedgerStateMachine.FromGenesis(genesis);
        var height = store.Height;
        for (ulong h = 1; h <= height; h++)
        {
            var fault = VerifyBlock(ledger, suite, store, h);
            if (fault is not null)
            {
                return new ChainVerification(height, h - 1, h, fault);
            }

            progress?.Report(h);
        }

        var stateFault = CompareState(ledger, store);
        return stateFault is null
            ? new ChainVerification(height, height, null, null)
            : new ChainVerification(height, height, height, stateFault);
    }

    private static string? VerifyBlock(LedgerStateMachine ledger, ICryptoSuite suite, IChainStore store, ulong height)
    {
        var stored = store.LoadStoredBlock(height);
        if (stored is null)
        {
            return "the block is missing";
        }

        BlockHeader header;
        CommitCertificate certificate;
        var transactions = new List<Transaction>(stored.Transactions.Count);
        try
        {
            header = BlockHeader.Decode(stored.Header);
            certificate = CommitCertificate.Decode(stored.Certificate);
            foreach (var storedTransaction in stored.Transactions)
            {
                transactions.Add(Transaction.Decode(storedTransaction.Encoded));
            }
        }
        catch (DecodingException exception)
        {
            return $"stored bytes do not decode ({exception.Message})";
        }

        var hash = header.ComputeHash(suite);
        if (hash != stored.RecordedHash)
        {
            return "the header does not hash to the recorded block hash";
        }

        for (var i = 0; i < transactions.Count; i++)
        {
            if (transactions[i].ComputeId(suite) != stored.Transactions[i].RecordedId)
            {
                return $"transaction {i} does not hash to its recorded id";
            }
        }

        var certificateFault = ledger.ValidatorSet.VerifyCommit(suite, ledger.ChainId, height, hash, certificate);
        if (certificateFault is not null)
        {
            return $"the commit certificate is invalid: {certificateFault}";
        }

        PreverifySignatures(ledger, suite, transactions);
        try
        {
            var prepared = ledger.ExecuteBlock(header, transactions);
            ledger.Commit(header, transactions, prepared);
        }
        catch (InvalidBlockException exception)
        {
            return exception.Reason;
        }

        return null;
    }

    /// <summary>
    /// Verifies signatures on all cores before the (single-threaded, deterministic) execution, which then finds
    /// them in the cache. Senders registered inside the same block are left to the execution to verify.
    /// </summary>
    private static void PreverifySignatures(LedgerStateMachine ledger, ICryptoSuite suite, List<Transaction> transactions)
    {
        Parallel.ForEach(transactions, transaction =>
        {
            var account = ledger.GetAccount(transaction.Sender);
            if (account is not null && suite.Verify(account.PublicKey, transaction.EncodeSigningBytes(), transaction.Signature.Span))
            {
                ledger.VerifiedSignatures.Add(transaction.ComputeId(suite));
            }
        });
    }

    private static string? CompareState(LedgerStateMachine ledger, IChainStore store)
    {
        var expected = new Dictionary<byte[], byte[]>(ByteArrayComparer.Instance);
        foreach (var (key, value) in ledger.StateEntries())
        {
            expected[key] = value;
        }

        foreach (var (key, value) in store.LoadState())
        {
            if (!expected.Remove(key, out var replayed))
            {
                return $"the stored state has an entry the blocks never wrote ({Describe(key)})";
            }

            if (!replayed.AsSpan().SequenceEqual(value))
            {
                return $"the stored state entry {Describe(key)} differs from the value the blocks wrote";
            }
        }

        return expected.Count == 0 ? null : $"the stored state lacks {expected.Count} entr(y/ies) the blocks wrote, e.g. {Describe(expected.Keys.First())}";
    }

    private static string Describe(byte[] key)
    {
        var slash = Array.IndexOf(key, (byte)'/');
        var prefix = slash > 0 ? System.Text.Encoding.ASCII.GetString(key, 0, slash + 1) : string.Empty;
        return $"'{prefix}{Convert.ToHexStringLower(key.AsSpan(prefix.Length, Math.Min(8, key.Length - prefix.Length)))}…'";
    }
}

/// <summary>
/// The outcome of <see cref="ChainVerifier.Verify"/>: the stored height, how many blocks verified, and the first
/// bad height with the reason (null when the whole chain and state verify).
/// </summary>
public sealed record ChainVerification(ulong StoredHeight, ulong VerifiedHeight, ulong? FirstBadHeight, string? Fault)
{
    public bool IsValid => Fault is null;
}
