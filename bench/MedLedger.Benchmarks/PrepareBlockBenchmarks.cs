using BenchmarkDotNet.Attributes;
using MedLedger.Crypto;
using MedLedger.Ledger;

namespace MedLedger.Benchmarks;

/// <summary>
/// A proposer building a block of 1,000 CommitmentAnchor transactions from 8 senders, as the node's consensus driver
/// does: the signatures were verified at admission (so the shared cache holds them, and execution does not verify
/// again), each transaction is executed against the state, and the transactions and state roots are computed. A
/// second case leaves the cache empty, which shows what verifying inside the serial block path would cost.
/// </summary>
[MemoryDiagnoser]
public class PrepareBlockBenchmarks : IDisposable
{
    private const int Senders = 8;
    private const int Anchors = 1_000;

    private readonly ICryptoSuite _suite = CryptoSuites.Standard;
    private readonly List<ISigningKey> _keys = [];
    private LedgerStateMachine _admitted = null!;
    private LedgerStateMachine _unverified = null!;
    private Transaction[] _transactions = null!;

    [GlobalSetup]
    public void Setup()
    {
        var administrator = _suite.GenerateSigningKey();
        _keys.Add(administrator);
        var members = Enumerable.Range(0, Senders).Select(_ => _suite.GenerateSigningKey()).ToArray();
        _keys.AddRange(members);
        var genesis = new GenesisDocument(
            "medledger-bench",
            StandardCryptoSuite.SuiteName,
            1_700_000_000_000,
            [new GenesisValidator("validator", Hex(administrator), 1)],
            [new GenesisAccount("administrator", Hex(administrator), AccountRole.Administrator), .. members.Select((key, i) => new GenesisAccount($"member {i}", Hex(key), AccountRole.Member))]);
        _transactions = new Transaction[Anchors];
        for (var i = 0; i < Anchors; i++)
        {
            var commitment = _suite.Hash(BitConverter.GetBytes(i));
            _transactions[i] = Transaction.Create(_suite, members[i % Senders], genesis.ChainId, TransactionType.CommitmentAnchor, 1 + ((ulong)i / Senders), 1_000, new CommitmentAnchorPayload(commitment).Encode());
        }

        _admitted = LedgerStateMachine.FromGenesis(genesis);
        foreach (var transaction in _transactions)
        {
            var check = _admitted.CheckTransaction(transaction, transaction.ComputeId(_suite));
            if (!check.IsAccepted)
            {
                throw new InvalidOperationException($"The benchmark transaction is refused: {check.Rejection} {check.Reason}");
            }
        }

        _unverified = LedgerStateMachine.FromGenesis(genesis, new VerifiedSignatures(capacity: 0));
    }

    [Benchmark(Description = "PrepareBlock 1,000 anchors (verified at admission)", Baseline = true)]
    public BlockProposal PrepareAdmitted() => Prepare(_admitted);

    [Benchmark(Description = "PrepareBlock 1,000 anchors (verifying each)")]
    public BlockProposal PrepareUnverified() => Prepare(_unverified);

    [GlobalCleanup]
    public void Dispose()
    {
        foreach (var key in _keys)
        {
            key.Dispose();
        }

        _admitted?.Dispose();
        _unverified?.Dispose();
        GC.SuppressFinalize(this);
    }

    private static string Hex(ISigningKey key) => Convert.ToHexStringLower(key.PublicKey.Span);

    private BlockProposal Prepare(LedgerStateMachine machine)
    {
        var proposal = machine.PrepareBlock(1_700_000_001_000, machine.ValidatorSet.Validators[0].KeyId, _transactions);
        if (proposal.Transactions.Count != Anchors)
        {
            throw new InvalidOperationException($"Only {proposal.Transactions.Count} of {Anchors} anchors were included.");
        }

        return proposal;
    }
}
