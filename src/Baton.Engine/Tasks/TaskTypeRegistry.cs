using System.Diagnostics.CodeAnalysis;
using Baton.Core.Definitions;
using Baton.Core.Validation;

namespace Baton.Engine.Tasks;

/// <summary>The task types the engine knows, by name; also the validator's rules for them.</summary>
public sealed class TaskTypeRegistry : ITaskTypeRules
{
    private readonly Dictionary<string, TaskType> _byName;

    public TaskTypeRegistry(IEnumerable<TaskType> types)
    {
        _byName = new Dictionary<string, TaskType>(StringComparer.Ordinal);
        foreach (var type in types)
        {
            if (!_byName.TryAdd(type.Name, type)) throw new InvalidOperationException($"Task type '{type.Name}' is registered twice");
        }
    }

    public IEnumerable<string> Names => _byName.Keys;

    public bool IsKnown(string type) => _byName.ContainsKey(type);

    public bool TryGet(string type, [NotNullWhen(true)] out TaskType? taskType) => _byName.TryGetValue(type, out taskType);

    /// <summary>The type of a task as it stands in a definition (an unknown type was refused when the definition was saved).</summary>
    public TaskType Of(WorkflowTask task) =>
        _byName.TryGetValue(task.Type ?? TaskTypes.Simple, out var type) ? type : throw new InvalidOperationException($"Unknown task type '{task.Type}'");

    public void Validate(TaskCheck check)
    {
        var type = _byName[check.Task.Type];
        type.Validate(check);
        var task = check.Task;
        Refuse("decisionCases", task.DecisionCases is { Count: > 0 });
        Refuse("defaultCase", task.DefaultCase is { Count: > 0 });
        Refuse("forkTasks", task.ForkTasks is { Count: > 0 });
        Refuse("loopOver", task.LoopOver is { Count: > 0 });

        void Refuse(string field, bool present)
        {
            if (present && !type.NestedLists.Contains(field)) check.Problem($".{field}", $"a {type.Name} task cannot hold {field}");
        }
    }
}
