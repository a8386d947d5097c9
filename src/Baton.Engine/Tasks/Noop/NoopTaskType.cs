using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Engine.SystemTasks;

namespace Baton.Engine.Tasks.Noop;

/// <summary>NOOP: completes at once.</summary>
public sealed class NoopTaskType : TaskType
{
    public override string Name => TaskTypes.Noop;

    public override bool Advance(DecisionContext context, TaskRun task)
    {
        context.Finish(task, TaskOutcome.Completed([]));
        return true;
    }
}
