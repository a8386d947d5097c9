using System.Collections.Concurrent;

namespace Baton.Engine.Execution;

/// <summary>
/// One async lock per workflow id, so the decider runs for one workflow at a time. Single-node only: several
/// nodes over one database need a lease in the store instead.
/// </summary>
public sealed class WorkflowLocks
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public async ValueTask<IDisposable> AcquireAsync(string workflowId, CancellationToken ct = default)
    {
        Entry entry;
        while (true)
        {
            entry = _entries.GetOrAdd(workflowId, static _ => new Entry());
            lock (entry)
            {
                if (!entry.Retired)
                {
                    entry.Users++;
                    break;
                }
            }
        }
        try
        {
            await entry.Gate.WaitAsync(ct);
        }
        catch
        {
            Release(workflowId, entry, releaseGate: false);
            throw;
        }
        return new Holder(this, workflowId, entry);
    }

    private void Release(string workflowId, Entry entry, bool releaseGate)
    {
        if (releaseGate) entry.Gate.Release();
        lock (entry)
        {
            entry.Users--;
            if (entry.Users == 0)
            {
                entry.Retired = true;
                _entries.TryRemove(new KeyValuePair<string, Entry>(workflowId, entry));
                entry.Dispose();
            }
        }
    }

    private sealed class Entry : IDisposable
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public int Users;
        public bool Retired;

        public void Dispose() => Gate.Dispose();
    }

    private sealed class Holder(WorkflowLocks owner, string workflowId, Entry entry) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Release(workflowId, entry, releaseGate: true);
        }
    }
}
