using Baton.Core.Definitions;
using Baton.Core.Runs;

namespace Baton.Engine.Execution;

/// <summary>How many attempts a task gets and how long it waits between them (Conductor's rules).</summary>
public static class RetryPolicy
{
    /// <summary>The retries allowed: the workflow task's own retryCount wins over the task definition's.</summary>
    public static int MaxRetries(WorkflowTask? workflowTask, TaskDef? registered, string taskType)
    {
        if (workflowTask?.RetryCount is { } own) return Math.Max(0, own);
        var def = workflowTask?.TaskDefinition ?? registered;
        if (def is not null) return Math.Max(0, def.RetryCount);
        // Worker tasks without a definition run with Conductor's defaults; system tasks are not retried unless asked.
        return taskType == TaskTypes.Simple ? TaskDef.DefaultFor("").RetryCount : 0;
    }

    /// <summary>Seconds to wait before the attempt that follows <paramref name="failedRetryCount"/>.</summary>
    public static long DelaySeconds(TaskDef def, int failedRetryCount)
    {
        long delay = def.RetryLogic switch
        {
            RetryLogics.ExponentialBackoff => (long)Math.Min(def.RetryDelaySeconds * Math.Pow(2, failedRetryCount), int.MaxValue),
            RetryLogics.LinearBackoff => (long)def.RetryDelaySeconds * Math.Max(1, def.BackoffScaleFactor) * (failedRetryCount + 1),
            _ => def.RetryDelaySeconds,
        };
        if (def.MaxRetryDelaySeconds > 0) delay = Math.Min(delay, def.MaxRetryDelaySeconds);
        return Math.Max(0, delay);
    }

    public static bool CanRetry(TaskRun task, int maxRetries) =>
        task.Status.IsRetriable() && task.RetryCount < maxRetries;
}
