using Baton.Core.Runs;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tests.Decider;

/// <summary>A task definition's totalTimeoutSeconds: one budget for every attempt of a task, retry delays included.</summary>
public sealed class RetryBudgetOutcomeTests : IDisposable
{
    private readonly DeciderHarness _harness = new();

    private const long T = 1_800_000_000_000;

    private const string Def = """
        {"name": "budget", "version": 1, "tasks": [
          {"name": "flaky", "taskReferenceName": "flaky",
           "taskDefinition": {"name": "flaky", "retryCount": 5, "retryLogic": "FIXED", "retryDelaySeconds": 10, "totalTimeoutSeconds": 15,
                              "responseTimeoutSeconds": 5, "timeoutSeconds": 0}}]}
        """;

    [Fact]
    public void Retries_stop_once_the_total_budget_of_all_attempts_is_spent()
    {
        var (run, _) = _harness.Start(_harness.Definition(Def), now: T);
        var first = run.LatestTask("flaky")!;

        DeciderHarness.Report(first, TaskStatus.Failed, null, T + 2_000, reason: "boom");
        var retry = Assert.Single(_harness.Decider.Decide(run, T + 2_000).Scheduled);
        Assert.Equal((1, T), (retry.RetryCount, retry.FirstScheduledTime));

        DeciderHarness.Report(retry, TaskStatus.Failed, null, T + 16_000, reason: "boom again");
        var outcome = _harness.Decider.Decide(run, T + 16_000);

        Assert.Empty(outcome.Scheduled);
        Assert.Equal(WorkflowStatus.Failed, outcome.Status);
        Assert.Contains("exceeded total timeout of 15 seconds (elapsed 16 seconds across all attempts). No further retries", run.ReasonForIncompletion, StringComparison.Ordinal);
    }

    [Fact]
    public void A_task_still_pending_when_the_budget_is_spent_times_out_and_the_decider_wakes_for_it()
    {
        var (run, _) = _harness.Start(_harness.Definition(Def), now: T);
        Assert.Equal(T + 15_000, _harness.Decider.NextWakeAt(run, T));

        var outcome = _harness.Decider.Decide(run, T + 15_000);

        Assert.Equal(WorkflowStatus.TimedOut, outcome.Status);
        Assert.Equal(TaskStatus.TimedOut, run.LatestTask("flaky")!.Status);
    }

    public void Dispose() => _harness.Dispose();
}
