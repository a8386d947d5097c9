namespace Baton.Engine.SystemTasks;

/// <summary>
/// At most N HTTP task executions in flight per peer (scheme, host and port), so a burst of runs does not open
/// hundreds of connections to one peer at once: more than its accept backlog holds makes its kernel drop handshakes
/// and requests, which come through seconds later, after the task's timeouts. An execution holds its slot from before
/// its first send to after its last retry, so it has at most one connection open at a time. The map holds only peers
/// with an execution waiting or running (at most the system task pool), so it is bounded however many hosts runs name.
/// </summary>
public sealed class PeerConnectionLimit(int perPeer)
{
    private readonly Dictionary<string, Gate> _gates = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public int PerPeer { get; } = perPeer > 0 ? perPeer : throw new ArgumentOutOfRangeException(nameof(perPeer), perPeer, "the limit must be at least 1");

    /// <summary>Peers with an execution waiting or running.</summary>
    public int Peers
    {
        get
        {
            lock (_lock) return _gates.Count;
        }
    }

    /// <summary>The key of a peer: scheme, host and port, in lower case (the default port written out).</summary>
    public static string PeerOf(Uri uri) => $"{uri.Scheme}://{uri.IdnHost}:{uri.Port}".ToLowerInvariant();

    /// <summary>Waits for a slot to <paramref name="peer"/>; dispose the answer to give it back.</summary>
    public async ValueTask<Slot> AcquireAsync(string peer, CancellationToken ct)
    {
        Gate? gate;
        lock (_lock)
        {
            if (!_gates.TryGetValue(peer, out gate)) _gates[peer] = gate = new Gate(PerPeer);
            gate.Users++;
        }
        try
        {
            await gate.Slots.WaitAsync(ct);
        }
        catch
        {
            Leave(peer, gate);
            throw;
        }
        return new Slot(this, peer, gate);
    }

    private void Leave(string peer, Gate gate)
    {
        lock (_lock)
        {
            if (--gate.Users == 0) _gates.Remove(peer);
        }
    }

    /// <summary>The semaphore of one peer and how many executions wait on or hold it. Its wait handle is never
    /// asked for, so a semaphore dropped from the map holds nothing to dispose.</summary>
    internal sealed class Gate(int slots)
    {
        public SemaphoreSlim Slots { get; } = new(slots, slots);
        public int Users { get; set; }
    }

    /// <summary>A slot held; disposing it (once) gives it back.</summary>
    public sealed class Slot : IDisposable
    {
        private readonly PeerConnectionLimit _owner;
        private readonly string _peer;
        private Gate? _gate;

        internal Slot(PeerConnectionLimit owner, string peer, Gate gate)
        {
            _owner = owner;
            _peer = peer;
            _gate = gate;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _gate, null) is not { } gate) return;
            gate.Slots.Release();
            _owner.Leave(_peer, gate);
        }
    }
}
