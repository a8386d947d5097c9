namespace Baton.Secrets.Store;

/// <summary>One secret a run used: which version, its keyed fingerprint, and the tasks that used it. No value.</summary>
public sealed record ManifestEntry(string Secret, int Version, string Fingerprint, IReadOnlyList<string> TaskReferenceNames, long FirstUsedAt);

/// <summary>One use to record in a run's manifest.</summary>
public sealed record ManifestRecord(string WorkflowId, string Secret, int Version, string Fingerprint, string TaskReferenceName, long At)
{
    /// <summary>
    /// The run's entry for this secret and version is already durable (an earlier task's use was recorded), so only
    /// the task needs adding; a store may skip writing the entry again. False when unsure.
    /// </summary>
    public bool EntryKnown { get; init; }
}

/// <summary>The per-run manifest of secrets used. Record returns once durable.</summary>
public interface IRunManifestStore
{
    /// <summary>Adds the task reference to the run's entry for that secret and version (creating it).</summary>
    Task RecordAsync(string workflowId, string secret, int version, string fingerprint, string taskReferenceName, long at, CancellationToken ct = default);
    /// <summary>Records several uses in one write (all or none).</summary>
    Task RecordAllAsync(IReadOnlyList<ManifestRecord> records, CancellationToken ct = default);
    Task<IReadOnlyList<ManifestEntry>> GetAsync(string workflowId, CancellationToken ct = default);
    /// <summary>Forgets a run's entries (a restart resolves afresh).</summary>
    Task ClearAsync(string workflowId, CancellationToken ct = default);
}
