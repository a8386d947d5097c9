using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Engine.Execution;
using Baton.Engine.Scripting;
using Baton.Engine.SystemTasks;

namespace Baton.Engine.Tasks;

/// <summary>
/// What a task type may do while the decider moves a run on: read the run and its definition's graph, schedule
/// tasks, finish entries and end the run. It lives for one decide pass; every change lands on the run in memory and
/// is committed by the executor with the rest of the pass.
/// </summary>
public sealed class DecisionContext
{
    private readonly WorkflowDecider _decider;

    internal DecisionContext(WorkflowDecider decider, WorkflowRun run, WorkflowGraph graph, long now, JavaScriptEvaluator scripts, TaskTypeRegistry types)
    {
        _decider = decider;
        Types = types;
        Run = run;
        Graph = graph;
        Now = now;
        Scripts = scripts;
    }

    public WorkflowRun Run { get; }

    public WorkflowGraph Graph { get; }

    /// <summary>The time of this pass, in Unix milliseconds: every change made in it carries this time.</summary>
    public long Now { get; }

    public JavaScriptEvaluator Scripts { get; }

    /// <summary>Every task type, for a type that makes tasks at run time (a dynamic fork).</summary>
    public TaskTypeRegistry Types { get; }

    /// <summary>Task entries removed from the run in this pass (a loop keeping only its last iterations).</summary>
    public List<string> RemovedTaskIds { get; } = [];

    /// <summary>Creates the entry for <paramref name="task"/> with its input evaluated now; inside a loop, for iteration <paramref name="iteration"/>.</summary>
    public TaskRun Schedule(WorkflowTask task, int iteration = 0) => _decider.Schedule(Run, task, Now, iteration: iteration);

    /// <summary>The entry's input parameters evaluated against the run as it stands now.</summary>
    public JsonObject EvaluateInput(TaskRun task) => _decider.EvaluateInput(Run, task);

    /// <summary>Applies how an entry ended.</summary>
    public void Finish(TaskRun task, TaskOutcome outcome) => WorkflowDecider.Finish(task, outcome, Now);

    /// <summary>Marks an entry as started and waiting on something that a later pass will look at again.</summary>
    public void MarkInProgress(TaskRun task)
    {
        task.Status = Core.Runs.TaskStatus.InProgress;
        if (task.StartTime == 0) task.StartTime = Now;
        task.UpdateTime = Now;
    }

    /// <summary>Records that an entry changed in this pass (its output, say) so that it is committed.</summary>
    public void Touch(TaskRun task) => task.UpdateTime = Now;

    /// <summary>Ends the run; its output is computed from the definition unless <paramref name="output"/> is given.</summary>
    public void EndWorkflow(WorkflowStatus status, string? reason, JsonObject? output = null) => _decider.EndWorkflow(Run, status, reason, Now, output);

    /// <summary>Removes an entry from the run (committed as a removal).</summary>
    public void Remove(TaskRun task)
    {
        Run.Tasks.Remove(task);
        RemovedTaskIds.Add(task.TaskId);
        Run.UpdateTime = Now;
    }
}
