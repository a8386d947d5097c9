using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Validation;

namespace Baton.Engine.Tasks.SubWorkflow;

/// <summary>
/// SUB_WORKFLOW: starts a child run (<see cref="SubWorkflowTask"/>) and waits, IN_PROGRESS, until it ends; then completes
/// with its output, or fails (TIMED_OUT, or CANCELED when it was terminated) with its reason. The child runs as the
/// parent's principal, who must hold EXECUTE on its definition, and so inherits the parent's secret rights and nothing
/// more. Its input is the task's input as stored: secrets are passed by name, and the child resolves its own references.
/// </summary>
public sealed class SubWorkflowTaskType : TaskType
{
    public override string Name => TaskTypes.SubWorkflow;

    public override TaskKind Kind => TaskKind.System;

    public override void Validate(TaskCheck check)
    {
        var param = check.Task.SubWorkflowParam;
        if (param is null)
        {
            check.Problem(".subWorkflowParam", "a SUB_WORKFLOW needs subWorkflowParam with the name of a workflow, or an inline workflowDefinition");
            return;
        }
        if (param.WorkflowDefinition is null && string.IsNullOrWhiteSpace(param.Name))
        {
            check.Problem(".subWorkflowParam.name", "name (or an inline workflowDefinition) is required");
        }
        if (param.WorkflowDefinition is JsonValue value && !(value.GetValueKind() == JsonValueKind.String && value.GetValue<string>().Contains("${", StringComparison.Ordinal)))
        {
            check.Problem(".subWorkflowParam.workflowDefinition", "workflowDefinition must be a workflow definition object or a ${...} expression whose value is one");
        }
        if (check.Input is { } input && input.ToJsonString().Contains("${workflow.secrets.", StringComparison.Ordinal))
        {
            check.Problem(".inputParameters", "a SUB_WORKFLOW's input cannot hold secret references: the child runs as this run's principal and names the secrets it uses itself");
        }
    }
}
