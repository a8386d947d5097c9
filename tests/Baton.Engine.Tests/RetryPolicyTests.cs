using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Engine.Execution;

namespace Baton.Engine.Tests;

public sealed class RetryPolicyTests
{
    [Theory]
    [InlineData(RetryLogics.Fixed, 10, 0, 10)]
    [InlineData(RetryLogics.Fixed, 10, 3, 10)]
    [InlineData(RetryLogics.ExponentialBackoff, 10, 0, 10)]
    [InlineData(RetryLogics.ExponentialBackoff, 10, 3, 80)]
    [InlineData(RetryLogics.LinearBackoff, 10, 0, 20)]
    [InlineData(RetryLogics.LinearBackoff, 10, 2, 60)]
    public void Delays_follow_conductors_formulas(string logic, int delay, int failedRetryCount, long expected)
    {
        var def = new TaskDef { RetryLogic = logic, RetryDelaySeconds = delay, BackoffScaleFactor = logic == RetryLogics.LinearBackoff ? 2 : 1 };
        Assert.Equal(expected, RetryPolicy.DelaySeconds(def, failedRetryCount));
    }

    [Fact]
    public void Max_retry_delay_caps_every_backoff()
    {
        var def = new TaskDef { RetryLogic = RetryLogics.ExponentialBackoff, RetryDelaySeconds = 10, MaxRetryDelaySeconds = 25 };
        Assert.Equal(25, RetryPolicy.DelaySeconds(def, 5));
    }

    [Fact]
    public void The_workflow_tasks_retry_count_wins_over_the_definitions()
    {
        var registered = new TaskDef { Name = "t", RetryCount = 5 };
        Assert.Equal(1, RetryPolicy.MaxRetries(new WorkflowTask { Type = TaskTypes.Simple, RetryCount = 1 }, registered, TaskTypes.Simple));
        Assert.Equal(5, RetryPolicy.MaxRetries(new WorkflowTask { Type = TaskTypes.Simple }, registered, TaskTypes.Simple));
    }

    [Fact]
    public void Worker_tasks_without_a_definition_get_conductors_default_and_system_tasks_none()
    {
        Assert.Equal(3, RetryPolicy.MaxRetries(new WorkflowTask { Type = TaskTypes.Simple }, null, TaskTypes.Simple));
        Assert.Equal(0, RetryPolicy.MaxRetries(new WorkflowTask { Type = TaskTypes.Http }, null, TaskTypes.Http));
    }

    [Fact]
    public void Only_failed_and_timed_out_attempts_with_retries_left_are_retried()
    {
        Assert.True(RetryPolicy.CanRetry(new TaskRun { Status = Core.Runs.TaskStatus.Failed, RetryCount = 0 }, 1));
        Assert.True(RetryPolicy.CanRetry(new TaskRun { Status = Core.Runs.TaskStatus.TimedOut, RetryCount = 0 }, 1));
        Assert.False(RetryPolicy.CanRetry(new TaskRun { Status = Core.Runs.TaskStatus.Failed, RetryCount = 1 }, 1));
        Assert.False(RetryPolicy.CanRetry(new TaskRun { Status = Core.Runs.TaskStatus.FailedWithTerminalError, RetryCount = 0 }, 3));
    }
}
