using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Core.Validation;
using Baton.Engine.SystemTasks;

namespace Baton.Engine.Tasks.ForkJoin;

/// <summary>
/// FORK_JOIN: starts the first task of every branch at once. The JOIN that must follow it in its list is scheduled
/// with the branches and waits for the tasks it joins on; the end of a branch leads to that JOIN.
/// </summary>
public sealed class ForkJoinTaskType : TaskType
{
    private static readonly HashSet<string> Lists = new(StringComparer.Ordinal) { "forkTasks" };

    public override string Name => TaskTypes.ForkJoin;

    public override IReadOnlySet<string> NestedLists => Lists;

    public override void Validate(TaskCheck check)
    {
        var branches = check.Task.ForkTasks;
        if (branches is not { Count: > 0 })
        {
            check.Problem(".forkTasks", "a FORK_JOIN needs forkTasks: a list of branches, each a list of tasks");
        }
        else
        {
            for (var i = 0; i < branches.Count; i++)
            {
                if (branches[i] is not { Count: > 0 }) check.Problem($".forkTasks[{i}]", "a fork branch needs at least one task");
            }
        }
        if (check.Index + 1 >= check.Siblings.Count || check.Siblings[check.Index + 1]?.Type != TaskTypes.Join)
        {
            check.Problem(".type", $"FORK_JOIN '{check.Task.TaskReferenceName}' must be followed by a JOIN task in the same list");
        }
    }

    public override bool Advance(DecisionContext context, TaskRun task)
    {
        context.Finish(task, TaskOutcome.Completed([]));
        return true;
    }

    /// <summary>The first task of each branch, then the JOIN after the fork.</summary>
    public override IEnumerable<WorkflowTask> Followers(DecisionContext context, WorkflowTask task, TaskRun entry)
    {
        foreach (var branch in task.ForkTasks ?? [])
        {
            if (branch is { Count: > 0 }) yield return branch[0];
        }
        foreach (var next in base.Followers(context, task, entry)) yield return next;
    }
}
