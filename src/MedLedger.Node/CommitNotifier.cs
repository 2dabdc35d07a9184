using MedLedger.Client;
using MedLedger.Core;

namespace MedLedger.Node;

/// <summary>
/// Lets API requests wait until their transactions are committed or dropped. Several requests may wait for the
/// same transaction (a client retrying, or the same bytes twice); each registration is counted, and a waiter is
/// only forgotten when the last request that registered it gives up.
/// </summary>
public sealed class CommitNotifier
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Hash, Waiter> _waiters = [];

    /// <summary>Registers interest in a transaction before it is submitted, so no outcome can be missed.</summary>
    public Task<SubmittedTransaction> Register(Hash transactionId)
    {
        lock (_lock)
        {
            if (!_waiters.TryGetValue(transactionId, out var waiter))
            {
                _waiters[transactionId] = waiter = new Waiter(new TaskCompletionSource<SubmittedTransaction>(TaskCreationOptions.RunContinuationsAsynchronously));
            }

            waiter.Registrations++;
            return waiter.Completion.Task;
        }
    }

    /// <summary>Withdraws one registration (timeout or refusal at admission); call only after <see cref="Register"/>.</summary>
    public void Forget(Hash transactionId)
    {
        lock (_lock)
        {
            if (_waiters.TryGetValue(transactionId, out var waiter) && --waiter.Registrations <= 0)
            {
                _waiters.Remove(transactionId);
            }
        }
    }

    public void Complete(Hash transactionId, SubmittedTransaction outcome)
    {
        Waiter? waiter;
        lock (_lock)
        {
            if (!_waiters.Remove(transactionId, out waiter))
            {
                return;
            }
        }

        waiter.Completion.TrySetResult(outcome);
    }

    private sealed class Waiter(TaskCompletionSource<SubmittedTransaction> completion)
    {
        public TaskCompletionSource<SubmittedTransaction> Completion { get; } = completion;

        public int Registrations { get; set; }
    }
}
