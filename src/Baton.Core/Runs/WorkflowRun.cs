using System.Text.Json.Nodes;
using Baton.Core.Definitions;

namespace Baton.Core.Runs;

/// <summary>One execution of a workflow definition (Conductor's "Workflow" JSON).</summary>
public sealed class WorkflowRun
{
    public string WorkflowId { get; set; } = "";
    public string WorkflowName { get; set; } = "";
    public int WorkflowVersion { get; set; }
    public WorkflowStatus Status { get; set; } = WorkflowStatus.Running;
    public JsonObject Input { get; set; } = [];
    public JsonObject Output { get; set; } = [];
    public JsonObject Variables { get; set; } = [];
    public List<TaskRun> Tasks { get; set; } = [];
    public string? CorrelationId { get; set; }
    public string? ReasonForIncompletion { get; set; }
    public int Priority { get; set; }
    public long CreateTime { get; set; }
    public long StartTime { get; set; }
    public long EndTime { get; set; }
    public long UpdateTime { get; set; }
    public long LastRetriedTime { get; set; }
    public List<string> FailedReferenceTaskNames { get; set; } = [];
    public List<string> FailedTaskNames { get; set; } = [];
    public string? CreatedBy { get; set; }
    public string? ParentWorkflowId { get; set; }
    public string? ParentWorkflowTaskId { get; set; }
    public Dictionary<string, string>? TaskToDomain { get; set; }
    public string? IdempotencyKey { get; set; }
    public string? Event { get; set; }

    /// <summary>
    /// A cancel asked for while a node was in flight (Port's CANCELLING): nothing more is scheduled, and the run ends
    /// TERMINATED once what is in flight has ended. Holds who asked and why, as the run's reason will.
    /// </summary>
    public string? CancelRequested { get; set; }
    public WorkflowDef WorkflowDefinition { get; set; } = new();

    /// <summary>
    /// Variables a SET_VARIABLE set from a template naming secrets: variable → the references as written. The
    /// variable holds the references, never a value; a later task that reads it may resolve them at hand-off.
    /// </summary>
    public Dictionary<string, List<string>>? SecretVariables { get; set; }

    /// <summary>
    /// The store's version of this run as read (0: never written). A write names it and is refused when the stored run
    /// has moved on (another node changed it), so a change decided on an old copy is decided again. Not on the wire.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public long StoreVersion { get; set; }

    /// <summary>The node that runs this run's system tasks and timers (several nodes over one database); null on one node. Not on the wire.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? OwnerNode { get; set; }

    /// <summary>The latest attempt of each task reference name.</summary>
    public TaskRun? LatestTask(string referenceTaskName)
    {
        for (var i = Tasks.Count - 1; i >= 0; i--)
        {
            if (Tasks[i].ReferenceTaskName == referenceTaskName) return Tasks[i];
        }
        return null;
    }

    public TaskRun? FindTask(string taskId) => Tasks.Find(t => t.TaskId == taskId);

    /// <summary>A shallow copy with an empty task list (the run's own fields, as stored apart from its tasks).</summary>
    public WorkflowRun WithoutTasks()
    {
        var copy = (WorkflowRun)MemberwiseClone();
        copy.Tasks = [];
        return copy;
    }
}
