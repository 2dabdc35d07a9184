using System.Threading.Channels;
using MedLedger.Core;
using MedLedger.Crypto;
using MedLedger.Ledger;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MedLedger.Node.Medical;

/// <summary>
/// Puts the node's access-log entries on chain (SPEC F19, F20): entries are gathered for a few milliseconds into one
/// AccessLog transaction (up to <see cref="Limits.MaxAccessLogEntries"/>), signed with the node's key and admitted to
/// the mempool. <see cref="LogAsync"/> completes only once the entry's transaction is admitted, so a read can release
/// the data key after its log entry is on its way into a block — never before. If admission fails the task faults
/// and the read is refused.
/// </summary>
public sealed partial class AccessLogger : BackgroundService
{
    private static readonly TimeSpan GatherWindow = TimeSpan.FromMilliseconds(2);

    private readonly Channel<(AccessLogEntry Entry, TaskCompletionSource Done)> _queue = Channel.CreateBounded<(AccessLogEntry, TaskCompletionSource)>(new BoundedChannelOptions(100_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly LedgerStateMachine _ledger;
    private readonly LedgerService _service;
    private readonly ISigningKey _nodeKey;
    private readonly Hash _nodeKeyId;
    private readonly NodeNonces _nonces;
    private readonly ILogger _logger;

    public AccessLogger(LedgerStateMachine ledger, LedgerService service, ISigningKey nodeKey, NodeNonces nonces, ILogger<AccessLogger> logger)
    {
        _ledger = ledger;
        _service = service;
        _nodeKey = nodeKey;
        _nonces = nonces;
        _nodeKeyId = ledger.Suite.Hash(nodeKey.PublicKey.Span);
        _logger = logger;
    }

    /// <summary>True when the node's key is a registered node account that may log accesses.</summary>
    public bool CanLog => _ledger.GetAccount(_nodeKeyId) is { Role: AccountRole.Node, IsActive: true };

    /// <summary>Queues an entry; completes when its transaction is admitted to the mempool.</summary>
    public async Task LogAsync(AccessLogEntry entry, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _queue.Writer.WriteAsync((entry, done), cancellationToken).ConfigureAwait(false);
        await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<(AccessLogEntry Entry, TaskCompletionSource Done)>(Limits.MaxAccessLogEntries);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                await Task.Delay(GatherWindow, stoppingToken).ConfigureAwait(false);
                while (batch.Count < Limits.MaxAccessLogEntries && _queue.Reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                await SubmitAsync(batch, stoppingToken).ConfigureAwait(false);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            foreach (var (_, done) in batch)
            {
                done.TrySetCanceled(stoppingToken);
            }
        }
    }

    private async Task SubmitAsync(List<(AccessLogEntry Entry, TaskCompletionSource Done)> batch, CancellationToken cancellationToken)
    {
        try
        {
            _ = _ledger.GetAccount(_nodeKeyId) ?? throw new InvalidOperationException("the node's key is not a registered account, so it cannot log accesses");
            var payload = new AccessLogPayload(batch.Select(b => b.Entry).ToList()).Encode();
            var transaction = Transaction.Create(_ledger.Suite, _nodeKey, _ledger.ChainId, TransactionType.AccessLog, _nonces.Next(), _ledger.Height + 1000, payload);
            var result = (await _service.SubmitAsync([transaction.Encoded.ToArray()], null, cancellationToken).ConfigureAwait(false))[0];
            if (result.Status == "rejected")
            {
                throw new InvalidOperationException($"the access-log transaction was refused: {result.Code}: {result.Reason}");
            }

            foreach (var (_, done) in batch)
            {
                done.TrySetResult();
            }
        }
#pragma warning disable CA1031 // Whatever went wrong, every waiting read must be refused rather than served unlogged.
        catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogFailed(exception, batch.Count);
            foreach (var (_, done) in batch)
            {
                done.TrySetException(new AccessLogUnavailableException("The access log could not be written; the request was not served.", exception));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not log {Count} access(es) on chain")]
    private partial void LogFailed(Exception exception, int count);
}

/// <summary>The access log could not be written, so the request it was for must not be served.</summary>
public sealed class AccessLogUnavailableException : Exception
{
    public AccessLogUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AccessLogUnavailableException()
    {
    }

    public AccessLogUnavailableException(string message)
        : base(message)
    {
    }
}
