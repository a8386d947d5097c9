using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Core.Validation;

namespace Baton.Engine.Tasks;

/// <summary>Who moves a task of a type on.</summary>
public enum TaskKind
{
    /// <summary>A worker polls it by name and reports its result (SIMPLE).</summary>
    Worker,

    /// <summary>The decider moves it on in place, in the same commit as the change that made it due (SWITCH, JOIN, DO_WHILE...).</summary>
    Operator,

    /// <summary>
    /// The server executes it through its <see cref="SystemTasks.ISystemTask"/> of the same name: on the system task
    /// pool after its scheduling is committed when it waits on I/O or needs secrets handed over, else in the decider.
    /// </summary>
    System,
}

/// <summary>
/// One task type: what it requires of a definition, how its entries are scheduled and moved on, and what follows them.
/// Everything the engine knows about a type is here (and, for a <see cref="TaskKind.System"/> type, in its
/// <see cref="SystemTasks.ISystemTask"/>); adding a type is a class in its own folder under Tasks/ and a registration
/// line in <c>AddBatonEngine</c>. The decider owns what every type shares: retries, timeouts, optional and permissive
/// failures, and ending the run.
/// </summary>
public abstract class TaskType
{
    /// <summary>The <c>type</c> a definition writes.</summary>
    public abstract string Name { get; }

    public virtual TaskKind Kind => TaskKind.Operator;

    /// <summary>The nested task lists a task of this type may hold (decisionCases, defaultCase, forkTasks, loopOver).</summary>
    public virtual IReadOnlySet<string> NestedLists => NoLists;

    /// <summary>Whether the end of a list nested under this task returns to it (a loop) rather than going on after it.</summary>
    public virtual bool LoopsOverNestedLists => false;

    /// <summary>
    /// Whether a person or a system completes its entries through the task API (WAIT, HUMAN): whoever may execute the
    /// run's workflow may, as Conductor lets its operators do. Other operators and system tasks are never reported
    /// from outside.
    /// </summary>
    public virtual bool CompletesFromOutside => false;

    /// <summary>When the decider must look at a waiting entry again with no outside event (Unix ms), if ever.</summary>
    public virtual long? WakeAt(TaskRun task) => null;

    /// <summary>
    /// The input an entry of this type is stored with when it is scheduled, or null for the definition's
    /// <c>inputParameters</c> evaluated as Conductor does (every type but the nodes, which render their own templates).
    /// </summary>
    public virtual JsonObject? InputAtSchedule(WorkflowRun run, WorkflowTask task, string taskId, long now) => null;

    /// <summary>Adds what this type requires of <paramref name="check"/>'s task to its problems.</summary>
    public virtual void Validate(TaskCheck check)
    {
    }

    /// <summary>
    /// Moves an entry of an <see cref="TaskKind.Operator"/> type on, inside a decide pass: called for each of its entries
    /// that is SCHEDULED or IN_PROGRESS and due. Returns true when it changed anything (the pass then goes round again).
    /// </summary>
    public virtual bool Advance(DecisionContext context, TaskRun task) => false;

    /// <summary>What to schedule once an entry of this type finished well: by default the task after it.</summary>
    public virtual IEnumerable<WorkflowTask> Followers(DecisionContext context, WorkflowTask task, TaskRun entry)
    {
        if (context.Graph.Following(task.TaskReferenceName) is { } next) yield return next;
    }

    protected static readonly IReadOnlySet<string> NoLists = new HashSet<string>(StringComparer.Ordinal);
}
