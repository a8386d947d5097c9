using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Validation;

namespace Baton.Engine.Tasks.StartWorkflow;

/// <summary>
/// START_WORKFLOW: starts another workflow and completes at once with its <c>workflowId</c>, without waiting for it
/// (<see cref="StartWorkflowTask"/>). It acts as the run's principal, who must hold EXECUTE on that workflow; the input
/// it passes cannot hold secret references (the started run names the secrets it uses itself).
/// </summary>
public sealed class StartWorkflowTaskType : TaskType
{
    public override string Name => TaskTypes.StartWorkflow;

    public override TaskKind Kind => TaskKind.System;

    public override void Validate(TaskCheck check)
    {
        if (check.Input?["startWorkflow"] is not JsonObject start)
        {
            check.Problem(".inputParameters.startWorkflow", "a START_WORKFLOW needs startWorkflow: {name, version, input, correlationId}");
            return;
        }
        check.RequireString("name", start, ".inputParameters.startWorkflow");
        if (start.ToJsonString().Contains("${workflow.secrets.", StringComparison.Ordinal))
        {
            check.Problem(".inputParameters.startWorkflow", "START_WORKFLOW cannot pass secret references: the run it starts names the secrets it uses itself");
        }
    }
}
