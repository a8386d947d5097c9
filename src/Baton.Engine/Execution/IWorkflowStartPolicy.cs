namespace Baton.Engine.Execution;

/// <summary>
/// Whether a principal may start a workflow from inside a run (SUB_WORKFLOW, START_WORKFLOW): the same right, EXECUTE
/// on the workflow definition, that starting it through the API needs, checked through the one access policy.
/// </summary>
public interface IWorkflowStartPolicy
{
    /// <summary>Why <paramref name="principal"/> may not start <paramref name="workflowName"/>, or null when it may.</summary>
    ValueTask<string?> StartRefusalAsync(string? principal, string workflowName, CancellationToken ct);
}
