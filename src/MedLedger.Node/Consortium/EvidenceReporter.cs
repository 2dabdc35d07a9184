using System.Threading.Channels;
using MedLedger.Consensus;
using MedLedger.Crypto;
using MedLedger.Ledger;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MedLedger.Node.Consortium;

/// <summary>
/// Turns the double votes the consensus engine catches into evidence transactions (SPEC F8, docs/credit.md): signed
/// with the node's key and admitted to the mempool, they cut the offender's credit and jail it until the next epoch.
/// Only on chains whose genesis enables credit, and only while the node's key is an active node account. Every node
/// that saw the double vote reports it; the ledger counts an offence once and refuses the other copies.
/// </summary>
public sealed partial class EvidenceReporter : BackgroundService
{
    // Evidence is rare; a burst beyond this is dropped (the other nodes report the same offence).
    private const int MaxQueued = 64;

    private readonly Channel<DoubleVoteEvidence> _queue = Channel.CreateBounded<DoubleVoteEvidence>(new BoundedChannelOptions(MaxQueued) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly LedgerStateMachine _ledger;
    private readonly LedgerService _service;
    private readonly ISigningKey _nodeKey;
    private readonly NodeIdentity _identity;
    private readonly NodeNonces _nonces;
    private readonly ILogger _logger;

    public EvidenceReporter(ConsensusDriver driver, LedgerStateMachine ledger, LedgerService service, ISigningKey nodeKey, NodeIdentity identity, NodeNonces nonces, ILogger<EvidenceReporter> logger)
    {
        ArgumentNullException.ThrowIfNull(driver);
        _ledger = ledger;
        _service = service;
        _nodeKey = nodeKey;
        _identity = identity;
        _nonces = nonces;
        _logger = logger;
        driver.EvidenceFound += evidence =>
        {
            // Raised on the consensus loop: only queue here.
            if (evidence is DoubleVoteEvidence doubleVote)
            {
                _queue.Writer.TryWrite(doubleVote);
            }
        };
    }

    /// <summary>Builds the evidence transaction for a double vote with the given nonce.</summary>
    public static Transaction BuildTransaction(LedgerStateMachine ledger, ISigningKey nodeKey, ulong nonce, DoubleVoteEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(evidence);
        var (first, second) = (evidence.First, evidence.Second);
        return CreditTransactions.DoubleVoteEvidence(
            ledger.Suite, nodeKey, ledger.ChainId, nonce, ledger.Height + 1000,
            first.Validator, first.Type, first.Height, first.Round, first.BlockHash, first.Signature, second.BlockHash, second.Signature);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var evidence in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                if (_ledger.Credit is null || _ledger.GetAccount(_identity.KeyId) is not { Role: AccountRole.Node, IsActive: true })
                {
                    LogNotReported(evidence.First.Validator, evidence.First.Height);
                    continue;
                }

                var transaction = BuildTransaction(_ledger, _nodeKey, _nonces.Next(), evidence);
                var result = (await _service.SubmitAsync([transaction.Encoded.ToArray()], null, stoppingToken).ConfigureAwait(false))[0];
                LogReported(evidence.First.Validator, evidence.First.Height, result.Status, result.Code ?? string.Empty);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Normal shutdown.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reported the double vote of validator {Validator} at height {Height}: {Status} {Code}")]
    private partial void LogReported(Core.Hash validator, ulong height, string status, string code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Did not report the double vote of validator {Validator} at height {Height}: this chain has no credit rules or this node is not an active node account")]
    private partial void LogNotReported(Core.Hash validator, ulong height);
}
