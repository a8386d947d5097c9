using Baton.Core.Definitions;
using Baton.Core.Runs;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tasks.Human;

/// <summary>HUMAN: waits, IN_PROGRESS, until someone who may execute the workflow completes or fails it through the task API.</summary>
public sealed class HumanTaskType : TaskType
{
    public override string Name => TaskTypes.Human;

    public override bool CompletesFromOutside => true;

    public override bool Advance(DecisionContext context, TaskRun task)
    {
        if (task.Status != TaskStatus.Scheduled) return false;
        context.MarkInProgress(task);
        return true;
    }
}
