using System.Collections.Concurrent;
using MedLedger.Client;
using MedLedger.Core;

namespace MedLedger.Node;

/// <summary>Lets API requests wait until their transactions are committed or dropped.</summary>
public sealed class CommitNotifier
{
    private readonly ConcurrentDictionary<Hash, TaskCompletionSource<SubmittedTransaction>> _waiters = new();

    /// <summary>Registers interest in a transaction before it is submitted, so no outcome can be missed.</summary>
    public Task<SubmittedTransaction> Register(Hash transactionId) =>
        _waiters.GetOrAdd(transactionId, _ => new TaskCompletionSource<SubmittedTransaction>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Stops waiting (timeout or refusal at admission).</summary>
    public void Forget(Hash transactionId) => _waiters.TryRemove(transactionId, out _);

    public void Complete(Hash transactionId, SubmittedTransaction outcome)
    {
        if (_waiters.TryRemove(transactionId, out var waiter))
        {
            waiter.TrySetResult(outcome);
        }
    }
}
