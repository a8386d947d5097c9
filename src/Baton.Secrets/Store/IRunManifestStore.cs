namespace Baton.Secrets.Store;

/// <summary>One secret a run used: which version, its keyed fingerprint, and the tasks that used it. No value.</summary>
public sealed record ManifestEntry(string Secret, int Version, string Fingerprint, IReadOnlyList<string> TaskReferenceNames, long FirstUsedAt);

/// <summary>
/// The per-run manifest of secrets used. It has no records of its own: it is read from the run's resolutions in the
/// audit log (<see cref="Audit.IAuditLog.AppendResolutionsAsync"/>), so recording a use costs one audit event and the
/// two can never disagree.
/// </summary>
public interface IRunManifestStore
{
    /// <summary>
    /// One entry per secret version named by the run's resolutions since its latest <see cref="ClearAsync"/>, in
    /// first-use order; its tasks in first-use order, each once; its first use the earliest such resolution.
    /// </summary>
    Task<IReadOnlyList<ManifestEntry>> GetAsync(string workflowId, CancellationToken ct = default);

    /// <summary>
    /// Starts the run's manifest afresh (a restart resolves afresh); earlier resolutions stay in the audit log. Recorded
    /// as a <see cref="Audit.AuditActions.ManifestReset"/> audit event of the run, so the audit shows why versions changed.
    /// </summary>
    Task ClearAsync(string workflowId, long at, CancellationToken ct = default);
}
