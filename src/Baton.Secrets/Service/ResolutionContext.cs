namespace Baton.Secrets.Service;

/// <summary>Who needs a secret, for which run and task: what the audit event and the manifest record.</summary>
public sealed record ResolutionContext(string WorkflowId, string TaskId, string TaskReferenceName, string? Principal);

/// <summary>
/// Resolutions prepared ahead of a hand-off: the resolution (one audit event, which is also the run's manifest, and
/// names the version of each secret the task will get) to make durable, in the caller's commit, before it gets them.
/// </summary>
public sealed class PreparedResolutions(Audit.SecretResolution resolution, object state)
{
    public Audit.SecretResolution Resolution { get; } = resolution;
    internal object State { get; } = state;
}
