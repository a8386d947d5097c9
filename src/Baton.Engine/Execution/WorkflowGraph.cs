using Baton.Core.Definitions;

namespace Baton.Engine.Execution;

/// <summary>Where each task reference stands in a definition: its list, its place, and the task that holds the list.</summary>
public sealed class WorkflowGraph
{
    private readonly Dictionary<string, (List<WorkflowTask> List, int Index, WorkflowTask? Parent)> _places = new(StringComparer.Ordinal);

    public WorkflowGraph(WorkflowDef def) => Index(def.Tasks, parent: null);

    public WorkflowTask? Find(string referenceName) =>
        _places.TryGetValue(referenceName, out var place) ? place.List[place.Index] : null;

    /// <summary>The task that runs after <paramref name="referenceName"/> finished, leaving nested lists as needed.</summary>
    public WorkflowTask? Following(string referenceName)
    {
        var current = referenceName;
        while (_places.TryGetValue(current, out var place))
        {
            if (place.Index + 1 < place.List.Count) return place.List[place.Index + 1];
            if (place.Parent is null) return null;
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
