using System.Collections.Concurrent;
using Baton.Core.Runs;

namespace Baton.Engine.Execution;

/// <summary>
/// Lets a synchronous execute wait for a run to finish (or for one of its tasks to complete). The waiter receives
/// the committed run; once finished, nothing changes that object any more (a later retry or restart loads its own).
/// </summary>
public sealed class CompletionWaiters
{
    private readonly ConcurrentDictionary<string, List<Waiter>> _waiters = new(StringComparer.Ordinal);

    public IDisposable Register(string workflowId, string? untilTaskRef, out Task<WorkflowRun> finished)
    {
        var waiter = new Waiter(untilTaskRef);
        _waiters.AddOrUpdate(workflowId, _ => [waiter], (_, list) =>
        {
            lock (list) list.Add(waiter);
            return list;
        });
        finished = waiter.Done.Task;
        return new Registration(this, workflowId, waiter);
    }

    /// <summary>Called after every committed change of a run.</summary>
    public void OnCommitted(WorkflowRun run)
    {
        if (!_waiters.TryGetValue(run.WorkflowId, out var list)) return;
        lock (list)
        {
            foreach (var waiter in list)
            {
                if (run.Status.IsTerminal() || run.Status == WorkflowStatus.Paused ||
                    (waiter.UntilTaskRef is not null && run.LatestTask(waiter.UntilTaskRef) is { } t && t.Status.IsTerminal()))
                {
                    waiter.Done.TrySetResult(run);
                }
            }
        }
    }

    private void Unregister(string workflowId, Waiter waiter)
    {
        if (!_waiters.TryGetValue(workflowId, out var list)) return;
        lock (list)
        {
            list.Remove(waiter);
            if (list.Count == 0) _waiters.TryRemove(new KeyValuePair<string, List<Waiter>>(workflowId, list));
        }
    }

    private sealed class Waiter(string? untilTaskRef)
    {
        public string? UntilTaskRef { get; } = untilTaskRef;
        public TaskCompletionSource<WorkflowRun> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Registration(CompletionWaiters owner, string workflowId, Waiter waiter) : IDisposable
    {
        public void Dispose() => owner.Unregister(workflowId, waiter);
    }
}
