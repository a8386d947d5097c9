namespace Baton.Engine;

/// <summary>Engine settings, bound from the <c>Baton:Engine</c> configuration section.</summary>
public sealed class EngineOptions
{
    /// <summary>How many system tasks (HTTP calls) may run at once.</summary>
    public int SystemTaskConcurrency { get; set; } = 512;

    /// <summary>Wall-clock limit of one INLINE / SWITCH script evaluation.</summary>
    public int ScriptTimeoutMs { get; set; } = 1000;

    /// <summary>Memory one script evaluation may allocate.</summary>
    public long ScriptMemoryBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>Call depth one script evaluation may reach.</summary>
    public int ScriptRecursionLimit { get; set; } = 256;

    /// <summary>Default HTTP task timeouts (Conductor's code defaults), used when a task sets none.</summary>
    public int HttpConnectTimeoutMs { get; set; } = 3000;
    public int HttpReadTimeoutMs { get; set; } = 3000;

    /// <summary>
    /// HTTP task executions in flight to one peer (scheme, host and port) at most; the others wait for a slot, and the
    /// wait is not counted in their connect or read timeout. A burst larger than a peer's accept backlog otherwise has
    /// its handshakes and requests dropped by the peer's kernel and answered seconds later, after the timeouts.
    /// </summary>
    public int HttpMaxConnectionsPerPeer { get; set; } = 64;

    /// <summary>
    /// Task entries one run may hold. A loop without keepLastN, a fork or retries past it fail the run, naming the limit:
    /// a run's entries are read and written as one, so an unbounded one would grow every commit of it.
    /// </summary>
    public int MaxTasksPerRun { get; set; } = 10_000;

    /// <summary>How deep SUB_WORKFLOW runs may nest (a workflow that starts itself would otherwise never stop).</summary>
    public int MaxSubWorkflowDepth { get; set; } = 32;

    /// <summary>Largest HTTP task response body kept in the task output; longer bodies are cut and say so.</summary>
    public int HttpMaxResponseBytes { get; set; } = 1024 * 1024;
}
