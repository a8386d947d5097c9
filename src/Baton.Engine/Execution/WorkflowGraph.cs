using Baton.Core.Definitions;

namespace Baton.Engine.Execution;

/// <summary>Where each task reference stands in a definition: its list, its place, and the task that holds the list.</summary>
/// <param name="loops">Whether the end of a list nested under a task returns to that task (a loop) rather than going on after it.</param>
public sealed class WorkflowGraph
{
    private readonly Dictionary<string, (List<WorkflowTask> List, int Index, WorkflowTask? Parent)> _places = new(StringComparer.Ordinal);
    private readonly Func<WorkflowTask, bool> _loops;

    public WorkflowGraph(WorkflowDef def, Func<WorkflowTask, bool>? loops = null)
    {
        _loops = loops ?? (_ => false);
        Index(def.Tasks, parent: null);
    }

    public WorkflowTask? Find(string referenceName) =>
        _places.TryGetValue(referenceName, out var place) ? place.List[place.Index] : null;

    /// <summary>
    /// The task that runs after <paramref name="referenceName"/> finished, leaving nested lists as needed; none at the
    /// end of the workflow, or at the end of a loop's list (the loop decides what comes next).
    /// </summary>
    public WorkflowTask? Following(string referenceName)
    {
        var current = referenceName;
        while (_places.TryGetValue(current, out var place))
        {
            if (place.Index + 1 < place.List.Count) return place.List[place.Index + 1];
            if (place.Parent is null || _loops(place.Parent)) return null;
            current = place.Parent.TaskReferenceName;
        }
        return null;
    }

    private void Index(List<WorkflowTask> list, WorkflowTask? parent)
    {
        for (var i = 0; i < list.Count; i++)
        {
            var task = list[i];
            _places.TryAdd(task.TaskReferenceName, (list, i, parent));
            foreach (var child in task.Children()) Index(child, task);
        }
    }
}
