using System.Text;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Core.Validation;
using Baton.Engine.Execution;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tasks.Join;

/// <summary>
/// JOIN: waits until every task it joins on has ended, then completes with their outputs under their reference names.
/// A joined task that failed fails the JOIN (a permissive one once all have ended); an optional one that failed makes it
/// COMPLETED_WITH_ERRORS. Inside a loop it joins the tasks of its own iteration.
/// </summary>
public sealed class JoinTaskType : TaskType
{
    public override string Name => TaskTypes.Join;

    public override void Validate(TaskCheck check)
    {
        var joinOn = check.Task.JoinOn;
        // After a FORK_JOIN_DYNAMIC the fork writes joinOn at run time, so the definition need not (as in Conductor).
        var afterDynamicFork = check.Index > 0 && check.Siblings[check.Index - 1]?.Type == TaskTypes.ForkJoinDynamic;
        if (joinOn is null && afterDynamicFork) return;
        if (joinOn is null)
        {
            check.Problem(".joinOn", "a JOIN needs joinOn: the reference names of the tasks it waits for");
            return;
        }
        for (var i = 0; i < joinOn.Count; i++)
        {
            if (string.IsNullOrEmpty(joinOn[i]) || !check.References.Contains(joinOn[i]))
            {
                check.Problem($".joinOn[{i}]", $"'{joinOn[i]}' is not a task reference name of this workflow");
            }
        }
    }

    public override bool Advance(DecisionContext context, TaskRun task)
    {
        var changed = false;
        if (task.Status == TaskStatus.Scheduled)
        {
            context.MarkInProgress(task);
            changed = true;
        }
        var iteration = WorkflowDecider.LoopIteration(task);
        // After a dynamic fork, the fork wrote the references it made into the JOIN's input; they are final.
        var joined = (task.InputData["joinOn"] is JsonArray given
                ? given.Select(r => r?.ToString() ?? "")
                : (task.WorkflowTask?.JoinOn ?? []).Select(reference => iteration > 0 ? WorkflowDecider.InIteration(reference, iteration) : reference))
            .Select(reference => (Reference: reference, Task: context.Run.LatestTask(reference)))
            .ToList();
        var allEnded = joined.TrueForAll(j => j.Task is not null && j.Task.Status.IsTerminal());
        var failed = joined.Where(j => j.Task is { } t && t.Status.IsTerminal() && !t.Status.IsSuccessful()
            && !(t.WorkflowTask?.Optional ?? false) && (!(t.WorkflowTask?.Permissive ?? false) || allEnded)).ToList();
        if (failed.Count == 0 && !allEnded) return changed;

        var output = task.OutputData;
        foreach (var (reference, joinedTask) in joined)
        {
            if (joinedTask is { OutputData.Count: > 0 }) output[reference] = joinedTask.OutputData.DeepClone();
        }
        if (failed.Count > 0)
        {
            var reasons = string.Join(" ", joined.Where(j => j.Task is { } t && t.Status.IsTerminal() && !t.Status.IsSuccessful())
                .Select(j => j.Task!.ReasonForIncompletion).OfType<string>());
            var canceledOnly = failed.TrueForAll(j => j.Task!.Status == TaskStatus.Canceled);
            context.Finish(task, new SystemTasks.TaskOutcome(canceledOnly ? TaskStatus.Canceled : TaskStatus.Failed, output, reasons));
            return true;
        }
        var withErrors = new StringBuilder();
        foreach (var (_, joinedTask) in joined)
        {
            if (joinedTask!.Status == TaskStatus.CompletedWithErrors) withErrors.Append(joinedTask.TaskDefName).Append('/').Append(joinedTask.TaskId).Append(' ');
        }
        context.Finish(task, withErrors.Length > 0
            ? new SystemTasks.TaskOutcome(TaskStatus.CompletedWithErrors, output, withErrors.Append("completed with errors").ToString())
            : SystemTasks.TaskOutcome.Completed(output));
        return true;
    }
}
