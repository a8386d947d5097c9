namespace Baton.Engine.Persistence;

/// <summary>
/// A run's change was refused because the stored run is no longer the version it was decided on: another node (or a
/// removal) changed it first. Nothing of the change was written; the engine reads the run again and decides again.
/// </summary>
public sealed class RunChangedElsewhereException(string workflowId)
    : Exception($"Workflow {workflowId} was changed elsewhere since it was read")
{
    public string WorkflowId { get; } = workflowId;
}
