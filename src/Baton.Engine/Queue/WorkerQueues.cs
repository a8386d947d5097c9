using Baton.Engine.Execution;

namespace Baton.Engine.Queue;

/// <summary>A task waiting for a worker.</summary>
public readonly record struct QueuedTask(string TaskId, string WorkflowId);

/// <summary>
/// Worker task queues, one per task type, in memory. The durable truth is the task's SCHEDULED status in the
/// execution store: the queue is an index of it, rebuilt when the server starts (every active run is decided
/// again, which re-offers its scheduled tasks). Offering a task that is already queued does nothing. With several
/// nodes every node queues every worker task (the bus tells them), a poll on any node may take it, and the run's
/// versioned commit decides which poll got it; the others drop it (<see cref="Remove"/>).
/// </summary>
public sealed class WorkerQueues
{
    private readonly Dictionary<string, TypeQueue> _queues = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public void Offer(string taskType, QueuedTask task, long visibleAtMs)
    {
        var queue = For(taskType);
        TaskCompletionSource? wake = null;
        lock (queue)
        {
            if (!queue.Members.Add(task.TaskId)) return;
            if (visibleAtMs <= Clock.NowMs())
            {
                queue.Ready.Enqueue(task);
                if (queue.Waiters.Count > 0) wake = queue.Waiters.Dequeue();
            }
            else
            {
                queue.Delayed.Enqueue(task, visibleAtMs);
            }
        }
        wake?.TrySetResult();
    }

    /// <summary>Makes a queued task held back by a delay pollable now (resetcallbacks); true when it was waiting.</summary>
    public bool MakeVisibleNow(string taskType, QueuedTask task)
    {
        var queue = For(taskType);
        TaskCompletionSource? wake = null;
        lock (queue)
        {
            if (!queue.Delayed.Remove(task, out var removed, out _)) return false;
            queue.Ready.Enqueue(removed);
            if (queue.Waiters.Count > 0) wake = queue.Waiters.Dequeue();
        }
        wake?.TrySetResult();
        return true;
    }

    /// <summary>Drops a queued task (another node's poll took it); true when it was queued.</summary>
    public bool Remove(string taskType, string taskId)
    {
        var queue = For(taskType);
        // Its entry stays in the ready or delayed list and is skipped when it comes up: membership is the truth.
        lock (queue) return queue.Members.Remove(taskId);
    }

    /// <summary>Every queued task with the time it becomes pollable, per type (for a node that joins).</summary>
    public IReadOnlyList<(string TaskType, IReadOnlyList<(QueuedTask Task, long VisibleAt)> Tasks)> Snapshot()
    {
        List<KeyValuePair<string, TypeQueue>> all;
        lock (_gate) all = [.. _queues];
        var snapshot = new List<(string, IReadOnlyList<(QueuedTask, long)>)>();
        foreach (var (type, queue) in all)
        {
            lock (queue)
            {
                var tasks = queue.Ready.Where(t => queue.Members.Contains(t.TaskId)).Select(t => (t, 0L))
                    .Concat(queue.Delayed.UnorderedItems.Where(d => queue.Members.Contains(d.Element.TaskId)).Select(d => (d.Element, d.Priority)))
                    .DistinctBy(t => t.Item1.TaskId, StringComparer.Ordinal).ToList();
                if (tasks.Count > 0) snapshot.Add((type, tasks));
            }
        }
        return snapshot;
    }

    /// <summary>Takes up to <paramref name="count"/> tasks, waiting up to <paramref name="wait"/> for the first.</summary>
    public async Task<IReadOnlyList<QueuedTask>> TakeAsync(string taskType, int count, TimeSpan wait, CancellationToken ct)
    {
        var queue = For(taskType);
        var deadline = Clock.NowMs() + (long)wait.TotalMilliseconds;
        while (true)
        {
            TaskCompletionSource waiter;
            long sleepMs;
            lock (queue)
            {
                var now = Clock.NowMs();
                queue.PromoteDue(now);
                if (queue.Ready.Count > 0)
                {
                    var taken = new List<QueuedTask>(Math.Min(count, queue.Ready.Count));
                    while (taken.Count < count && queue.Ready.TryDequeue(out var item))
                    {
                        if (queue.Members.Remove(item.TaskId)) taken.Add(item); // else removed, or a second entry of one offered again
                    }
                    if (taken.Count > 0) return taken;
                    continue;
                }
                sleepMs = deadline - now;
                if (sleepMs <= 0 || ct.IsCancellationRequested) return [];
                if (queue.Delayed.TryPeek(out _, out var due)) sleepMs = Math.Min(sleepMs, Math.Max(1, due - now));
                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                queue.Waiters.Enqueue(waiter);
            }
            try
            {
                await waiter.Task.WaitAsync(TimeSpan.FromMilliseconds(sleepMs), ct);
            }
            catch (TimeoutException)
            {
                // Loop: either a delayed task came due or the wait is over.
            }
            catch (OperationCanceledException)
            {
                return [];
            }
        }
    }

    /// <summary>Tasks queued (ready or delayed) per type.</summary>
    public int Size(string taskType)
    {
        var queue = For(taskType);
        lock (queue) return queue.Members.Count;
    }

    public IReadOnlyDictionary<string, int> Sizes()
    {
        List<KeyValuePair<string, TypeQueue>> all;
        lock (_gate) all = [.. _queues];
        var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (type, queue) in all)
        {
            lock (queue) sizes[type] = queue.Members.Count;
        }
        return sizes;
    }

    private TypeQueue For(string taskType)
    {
        lock (_gate)
        {
            if (!_queues.TryGetValue(taskType, out var queue))
            {
                queue = new TypeQueue();
                _queues[taskType] = queue;
            }
            return queue;
        }
    }

    private sealed class TypeQueue
    {
        public readonly Queue<QueuedTask> Ready = new();
        public readonly PriorityQueue<QueuedTask, long> Delayed = new();
        public readonly HashSet<string> Members = new(StringComparer.Ordinal);
        public readonly Queue<TaskCompletionSource> Waiters = new();

        public void PromoteDue(long now)
        {
            while (Delayed.TryPeek(out var item, out var due) && due <= now)
            {
                Delayed.Dequeue();
                Ready.Enqueue(item);
            }
        }
    }
}
