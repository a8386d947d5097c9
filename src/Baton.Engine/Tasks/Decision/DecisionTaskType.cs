using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Core.Validation;
using Baton.Engine.Scripting;
using Baton.Engine.SystemTasks;
using Baton.Engine.Tasks.Switch;

namespace Baton.Engine.Tasks.Decision;

/// <summary>
/// DECISION, SWITCH's older form as Conductor's <c>DecisionTaskMapper</c> runs it: the case is the JavaScript
/// <c>caseExpression</c> over the input when there is one, else the input named by <c>caseValueParam</c> as text;
/// the entry records it as input <c>case</c> and output <c>caseOutput</c>.
/// </summary>
public sealed class DecisionTaskType : TaskType
{
    private static readonly HashSet<string> Lists = new(StringComparer.Ordinal) { "decisionCases", "defaultCase" };

    public override string Name => TaskTypes.Decision;

    public override IReadOnlySet<string> NestedLists => Lists;

    public override void Validate(TaskCheck check)
    {
        if (string.IsNullOrWhiteSpace(check.Task.CaseExpression) && string.IsNullOrWhiteSpace(check.Task.CaseValueParam))
        {
            check.Problem(".caseValueParam", "a DECISION needs caseValueParam or caseExpression");
        }
    }

    public override bool Advance(DecisionContext context, TaskRun task)
    {
        var workflowTask = task.WorkflowTask!;
        string value;
        if (!string.IsNullOrWhiteSpace(workflowTask.CaseExpression))
        {
            try
            {
                value = Text(context.Scripts.Evaluate(workflowTask.CaseExpression, task.InputData));
            }
            catch (ScriptException e)
            {
                context.Finish(task, TaskOutcome.Failed($"DECISION task '{task.ReferenceTaskName}': error while evaluating script: {e.Message}"));
                return true;
            }
        }
        else
        {
            value = Text(task.InputData[workflowTask.CaseValueParam ?? ""]);
        }
        task.InputData["case"] = value;
        context.Finish(task, TaskOutcome.Completed(new JsonObject { ["caseOutput"] = new JsonArray(value) }));
        return true;
    }

    /// <summary>The first task of the chosen case, else of the default case, else the task after the DECISION.</summary>
    public override IEnumerable<WorkflowTask> Followers(DecisionContext context, WorkflowTask task, TaskRun entry) =>
        SwitchTaskType.CaseHead(task, entry.OutputData["caseOutput"]) is { } head ? [head] : base.Followers(context, task, entry);

    private static string Text(JsonNode? node) => SwitchTaskType.Text(node);
}
