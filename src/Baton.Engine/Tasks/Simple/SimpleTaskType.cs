using Baton.Core.Definitions;
using Baton.Core.Validation;

namespace Baton.Engine.Tasks.Simple;

/// <summary>SIMPLE: a worker polls the task by its name and reports the result.</summary>
public sealed class SimpleTaskType : TaskType
{
    public override string Name => TaskTypes.Simple;

    public override TaskKind Kind => TaskKind.Worker;

    public override void Validate(TaskCheck check)
    {
        if (TaskTypes.Reserved.Contains(check.Task.Name ?? ""))
        {
            check.Problem(".name", $"a SIMPLE task cannot be named '{check.Task.Name}', the name of a system task type: workers poll SIMPLE tasks by name");
        }
    }
}
