using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Core.Validation;
using Baton.Engine.Execution;
using Baton.Engine.Scripting;
using Baton.Engine.SystemTasks;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tasks.DoWhile;

/// <summary>
/// DO_WHILE: runs the tasks of <c>loopOver</c>, then its JavaScript <c>loopCondition</c>, again while the condition
/// holds. As in Conductor, the tasks of iteration N are named <c>ref__N</c> (from 1) and carry <c>iteration</c> N; an
/// expression in the loop naming <c>ref</c> reads the latest one. The condition reads the loop's input, its own output
/// under its reference name (<c>$.loop['iteration']</c>) and each loop task's latest output under its plain reference
/// name. The output holds <c>iteration</c> and, per iteration, the outputs of its tasks; <c>keepLastN</c> in the
/// input keeps only the last N iterations' tasks and outputs.
/// </summary>
public sealed class DoWhileTaskType : TaskType
{
    private static readonly HashSet<string> Lists = new(StringComparer.Ordinal) { "loopOver" };

    public override string Name => TaskTypes.DoWhile;

    public override IReadOnlySet<string> NestedLists => Lists;

    public override bool LoopsOverNestedLists => true;

    public override void Validate(TaskCheck check)
    {
        var task = check.Task;
        if (string.IsNullOrWhiteSpace(task.LoopCondition)) check.Problem(".loopCondition", "a DO_WHILE needs a loopCondition (JavaScript)");
        if (task.LoopOver is not { Count: > 0 }) check.Problem(".loopOver", "a DO_WHILE needs loopOver: the tasks to repeat");
        if (check.Ancestors.Any(a => a.Type == TaskTypes.DoWhile))
        {
            check.Problem(".type", "a DO_WHILE cannot be inside another DO_WHILE's loopOver");
        }
        if (check.Input?["keepLastN"] is { } keep && !(keep is JsonValue v && v.TryGetValue<int>(out var n) && n >= 1))
        {
            check.Problem(".inputParameters.keepLastN", "keepLastN must be a whole number of 1 or more");
        }
    }

    public override bool Advance(DecisionContext context, TaskRun task)
    {
        var loop = task;
        var definition = loop.WorkflowTask!;
        if (loop.Iteration == 0)
        {
            context.MarkInProgress(loop);
            return StartIteration(context, loop, definition, 1);
        }

        var inLoop = LoopReferences(definition);
        var current = LatestAttempts(context.Run, loop, inLoop, loop.Iteration);
        var failed = current.Values.Where(t => t.Status.IsTerminal() && !t.Status.IsSuccessful()).ToList();
        if (failed.Count > 0)
        {
            RecordIteration(context, loop, current.Values);
            context.Finish(loop, new TaskOutcome(TaskStatus.Failed, loop.OutputData,
                string.Join(" ", failed.Select(t => t.ReasonForIncompletion).OfType<string>())));
            return true;
        }
        // The iteration is over when each of its tasks has ended and what follows each was scheduled.
        if (current.Count == 0 || current.Values.Any(t => !t.Status.IsTerminal() || !t.Executed)) return false;

        RecordIteration(context, loop, current.Values);
        if (KeepLastN(loop) is { } keep && loop.Iteration > keep) DropIterations(context, loop, definition, loop.Iteration - keep);
        bool again;
        try
        {
            again = Holds(context.Scripts.Evaluate(definition.LoopCondition ?? "false", ConditionInput(context, loop, inLoop)));
        }
        catch (ScriptException e)
        {
            context.Finish(loop, new TaskOutcome(TaskStatus.FailedWithTerminalError, loop.OutputData,
                $"Unable to evaluate condition {definition.LoopCondition}, exception {e.Message}"));
            return true;
        }
        if (!again)
        {
            context.Finish(loop, TaskOutcome.Completed(loop.OutputData));
            return true;
        }
        return StartIteration(context, loop, definition, loop.Iteration + 1);
    }

    private static bool StartIteration(DecisionContext context, TaskRun loop, WorkflowTask definition, int iteration)
    {
        loop.Iteration = iteration;
        loop.OutputData["iteration"] = iteration;
        context.Touch(loop);
        context.Schedule(definition.LoopOver![0], iteration);
        return true;
    }

    /// <summary>Records the outputs of the iteration's tasks under the iteration's number.</summary>
    private static void RecordIteration(DecisionContext context, TaskRun loop, IEnumerable<TaskRun> tasks)
    {
        var outputs = new JsonObject();
        foreach (var task in tasks) outputs[WorkflowDecider.BaseReference(task)] = task.OutputData.DeepClone();
        loop.OutputData[loop.Iteration.ToString(System.Globalization.CultureInfo.InvariantCulture)] = outputs;
        context.Touch(loop);
    }

    private static JsonObject ConditionInput(DecisionContext context, TaskRun loop, HashSet<string> inLoop)
    {
        var input = context.EvaluateInput(loop);
        input[loop.ReferenceTaskName] = loop.OutputData.DeepClone();
        foreach (var task in context.Run.Tasks)
        {
            if (task.TaskId == loop.TaskId || task.Iteration == 0) continue;
            var reference = WorkflowDecider.BaseReference(task);
            if (inLoop.Contains(reference)) input[reference] = task.OutputData.DeepClone();
        }
        return input;
    }

    /// <summary>As Conductor's evalBool: true, or a number other than zero.</summary>
    private static bool Holds(JsonNode? result) => result is JsonValue value && value.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.Number => value.GetValue<double>() != 0,
        _ => false,
    };

    /// <summary>The latest attempt of each loop task in <paramref name="iteration"/>, by reference name.</summary>
    private static Dictionary<string, TaskRun> LatestAttempts(WorkflowRun run, TaskRun loop, HashSet<string> inLoop, int iteration)
    {
        var latest = new Dictionary<string, TaskRun>(StringComparer.Ordinal);
        foreach (var task in run.Tasks)
        {
            if (task.TaskId == loop.TaskId || task.Iteration != iteration || !inLoop.Contains(WorkflowDecider.BaseReference(task))) continue;
            if (!latest.TryGetValue(task.ReferenceTaskName, out var seen) || task.RetryCount >= seen.RetryCount) latest[task.ReferenceTaskName] = task;
        }
        return latest;
    }

    private static void DropIterations(DecisionContext context, TaskRun loop, WorkflowTask definition, int upTo)
    {
        var inLoop = LoopReferences(definition);
        foreach (var task in context.Run.Tasks.ToList())
        {
            if (task.TaskId != loop.TaskId && task.Iteration is > 0 && task.Iteration <= upTo && task.Status.IsTerminal()
                && inLoop.Contains(WorkflowDecider.BaseReference(task)))
            {
                context.Remove(task);
            }
        }
        for (var i = 1; i <= upTo; i++) loop.OutputData.Remove(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static int? KeepLastN(TaskRun loop) =>
        loop.WorkflowTask?.InputParameters?["keepLastN"] is JsonValue v && v.TryGetValue<int>(out var n) && n >= 1 ? n : null;

    private static HashSet<string> LoopReferences(WorkflowTask loop) =>
        [.. WorkflowTask.Flatten(loop.LoopOver ?? []).Select(t => t.TaskReferenceName)];
}
