using Baton.Engine.Execution;

namespace Baton.Engine.Timers;

/// <summary>
/// When each running workflow next needs the decider without any outside event: a retry delay running out, a
/// task or workflow timeout. In memory; rebuilt at start because every active run is decided again then.
/// </summary>
public sealed class WorkflowTimers
{
    private readonly PriorityQueue<string, long> _heap = new();
    private readonly Dictionary<string, long> _earliest = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Schedule(string workflowId, long dueMs)
    {
        TaskCompletionSource? wake = null;
        lock (_gate)
        {
            if (_earliest.TryGetValue(workflowId, out var existing) && existing <= dueMs) return;
            _earliest[workflowId] = dueMs;
            var wasEarliest = !_heap.TryPeek(out _, out var head) || dueMs < head;
            _heap.Enqueue(workflowId, dueMs);
            if (wasEarliest)
            {
                wake = _changed;
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        wake?.TrySetResult();
    }

    /// <summary>Waits until at least one workflow is due (or the wait is cancelled) and returns those due.</summary>
    public async Task<IReadOnlyList<string>> WaitForDueAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Task changed;
            long sleepMs;
            lock (_gate)
            {
                var now = Clock.NowMs();
                List<string>? due = null;
                while (_heap.TryPeek(out var id, out var at) && at <= now)
                {
                    _heap.Dequeue();
                    if (_earliest.TryGetValue(id, out var current) && current == at)
                    {
                        _earliest.Remove(id);
                        (due ??= []).Add(id);
                    }
                }
                if (due is not null) return due;
                sleepMs = _heap.TryPeek(out _, out var next) ? Math.Max(1, next - now) : 60_000;
                changed = _changed.Task;
            }
            try
            {
                await changed.WaitAsync(TimeSpan.FromMilliseconds(sleepMs), ct);
            }
            catch (TimeoutException)
            {
                // Something came due.
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return [];
    }

    public int Count
    {
        get { lock (_gate) return _earliest.Count; }
    }
}
