using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Baton.Core.Definitions;

/// <summary>What a SUB_WORKFLOW task starts: a stored definition by name (and version, else the latest), or one written inline.</summary>
public sealed class SubWorkflowParams
{
    public string? Name { get; set; }
    public int? Version { get; set; }
    public Dictionary<string, string>? TaskToDomain { get; set; }

    /// <summary>An inline definition: an object written in the parent definition, or a <c>${...}</c> expression whose value is one.</summary>
    public JsonNode? WorkflowDefinition { get; set; }
}

/// <summary>One task as it stands in a workflow definition.</summary>
public sealed class WorkflowTask
{
    public string Name { get; set; } = "";
    public string TaskReferenceName { get; set; } = "";
    public string? Description { get; set; }
    public string Type { get; set; } = TaskTypes.Simple;
    public JsonObject? InputParameters { get; set; }
    public bool Optional { get; set; }
    public bool Permissive { get; set; }
    public int? RetryCount { get; set; }
    public int StartDelay { get; set; }
    public bool AsyncComplete { get; set; }
    public TaskDef? TaskDefinition { get; set; }

    // SWITCH (and the legacy DECISION fields, accepted as written).
    public string? EvaluatorType { get; set; }
    public string? Expression { get; set; }
    public Dictionary<string, List<WorkflowTask>>? DecisionCases { get; set; }
    public List<WorkflowTask>? DefaultCase { get; set; }
    public string? CaseValueParam { get; set; }
    public string? CaseExpression { get; set; }

    // Fields of task types that later issues bring (FORK_JOIN, DO_WHILE, SUB_WORKFLOW...), kept as written.
    public List<List<WorkflowTask>>? ForkTasks { get; set; }
    public List<string>? JoinOn { get; set; }
    public string? LoopCondition { get; set; }
    public List<WorkflowTask>? LoopOver { get; set; }
    public string? Sink { get; set; }
    public string? DynamicTaskNameParam { get; set; }
    public SubWorkflowParams? SubWorkflowParam { get; set; }
    public string? DynamicForkTasksParam { get; set; }
    public string? DynamicForkTasksInputParamName { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    /// <summary>The task lists nested directly under this task (switch cases, fork branches, loop body).</summary>
    public IEnumerable<List<WorkflowTask>> Children()
    {
        if (DecisionCases is not null)
        {
            foreach (var list in DecisionCases.Values)
            {
                if (list is not null) yield return list;
            }
        }
        if (DefaultCase is not null) yield return DefaultCase;
        if (ForkTasks is not null)
        {
            foreach (var list in ForkTasks)
            {
                if (list is not null) yield return list;
            }
        }
        if (LoopOver is not null) yield return LoopOver;
    }

    public static IEnumerable<WorkflowTask> Flatten(IEnumerable<WorkflowTask> tasks)
    {
        foreach (var task in tasks)
        {
            if (task is null) continue;
            yield return task;
            foreach (var child in task.Children())
            {
                foreach (var nested in Flatten(child)) yield return nested;
            }
        }
    }
}
