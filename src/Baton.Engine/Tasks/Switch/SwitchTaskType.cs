using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Core.Validation;
using Baton.Engine.Scripting;
using Baton.Engine.SystemTasks;

namespace Baton.Engine.Tasks.Switch;

/// <summary>SWITCH: picks one of its cases (or the default) by a value parameter or a JavaScript expression.</summary>
public sealed class SwitchTaskType : TaskType
{
    private static readonly HashSet<string> Evaluators = new(StringComparer.Ordinal) { "value-param", "javascript", "graaljs" };
    private static readonly HashSet<string> Lists = new(StringComparer.Ordinal) { "decisionCases", "defaultCase" };

    public override string Name => TaskTypes.Switch;

    public override IReadOnlySet<string> NestedLists => Lists;

    public override void Validate(TaskCheck check)
    {
        var task = check.Task;
        if (task.EvaluatorType is null || !Evaluators.Contains(task.EvaluatorType))
        {
            check.Problem(".evaluatorType", $"a SWITCH needs evaluatorType value-param, javascript or graaljs (got '{task.EvaluatorType}')");
        }
        if (string.IsNullOrWhiteSpace(task.Expression))
        {
            check.Problem(".expression", "a SWITCH needs an expression");
        }
        else if (task.EvaluatorType == "value-param" && check.Input?[task.Expression] is null && !(check.Input?.ContainsKey(task.Expression) ?? false))
        {
            check.Problem(".expression", $"value-param expression '{task.Expression}' names no input parameter of the task");
        }
    }

    public override bool Advance(DecisionContext context, TaskRun task)
    {
        context.Finish(task, Evaluate(context.Scripts, task));
        return true;
    }

    /// <summary>The first task of the chosen case, else of the default case, else the task after the SWITCH.</summary>
    public override IEnumerable<WorkflowTask> Followers(DecisionContext context, WorkflowTask task, TaskRun entry) =>
        CaseHead(task, entry.OutputData["evaluationResult"]) is { } head ? [head] : base.Followers(context, task, entry);

    /// <summary>The first task of the case named by a one-item array (else of the default case), or null (SWITCH and DECISION).</summary>
    internal static WorkflowTask? CaseHead(WorkflowTask task, JsonNode? chosenArray)
    {
        var chosen = chosenArray is JsonArray { Count: > 0 } result ? result[0]?.ToString() : null;
        List<WorkflowTask>? branch = null;
        if (chosen is not null && task.DecisionCases is not null) task.DecisionCases.TryGetValue(chosen, out branch);
        branch ??= task.DefaultCase;
        return branch is { Count: > 0 } ? branch[0] : null;
    }

    private static TaskOutcome Evaluate(JavaScriptEvaluator scripts, TaskRun task)
    {
        var workflowTask = task.WorkflowTask!;
        string value;
        if (workflowTask.EvaluatorType == "value-param")
        {
            value = Text(task.InputData[workflowTask.Expression ?? ""]);
        }
        else
        {
            try
            {
                value = Text(scripts.Evaluate(workflowTask.Expression ?? "", task.InputData));
            }
            catch (ScriptException e)
            {
                return TaskOutcome.Failed($"SWITCH task '{task.ReferenceTaskName}': {e.Message}");
            }
        }
        return TaskOutcome.Completed(new JsonObject { ["evaluationResult"] = new JsonArray(value) });
    }

    /// <summary>A case value as Conductor writes it ("" + value): null is "null", a string itself, else its JSON.</summary>
    internal static string Text(JsonNode? node) => node switch
    {
        null => "null",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => node.ToJsonString(),
    };
}
