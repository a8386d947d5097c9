namespace Baton.Secrets.Service;

/// <summary>Who needs a secret, for which run and task: what the audit event and the manifest record.</summary>
public sealed record ResolutionContext(string WorkflowId, string TaskId, string TaskReferenceName, string? Principal);
