namespace Baton.Secrets.Service;

/// <summary>Who needs a secret, for which run and task: what the audit event and the manifest record, and what the policy checks.</summary>
/// <param name="Principal">The run's principal: whose rights the task acts with.</param>
public sealed record ResolutionContext(string WorkflowId, string TaskId, string TaskReferenceName, string? Principal)
{
    /// <summary>The definition whose template names the secrets: a value flows only into code a READ holder chose.</summary>
    public DefinitionOrigin? Definition { get; init; }

    /// <summary>The principal of the worker that polled the task, when the values go into a poll answer.</summary>
    public string? Worker { get; init; }
}

/// <summary>
/// The definition a task belongs to, as the run holds it: its name and version, who saved it last (its author), and the
/// fingerprint of its content (what a binding names).
/// </summary>
public sealed record DefinitionOrigin(string Name, int Version, string? Author, string Fingerprint)
{
    /// <summary>The id a binding of a secret to this exact content is filed under.</summary>
    public string BindingId { get; } = $"{Name}@{Version}#{Fingerprint}";

    /// <summary>
    /// A task definition's runtimeMetadata names rather than a workflow's template: nothing can be bound to it, so its
    /// author must be able to READ each secret.
    /// </summary>
    public bool IsTaskDefinition { get; init; }
}

/// <summary>
/// Resolutions prepared ahead of a hand-off: the resolution (one audit event, which is also the run's manifest, and
/// names the version of each secret the task will get) to make durable, in the caller's commit, before it gets them.
/// </summary>
public sealed class PreparedResolutions(Audit.SecretResolution resolution, object state)
{
    public Audit.SecretResolution Resolution { get; } = resolution;
    internal object State { get; } = state;
}
