using System.Text.Json.Nodes;
using Baton.Core.Runs;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tests.Decider;

public sealed class ForkJoinOutcomeTests : IDisposable
{
    private readonly DeciderHarness _harness = new();

    private const string Fork = """
        {"name": "fork", "version": 1, "tasks": [
          {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [
            [{"name": "a_work", "taskReferenceName": "a1"}, {"name": "a_work", "taskReferenceName": "a2"}],
            [{"name": "b_work", "taskReferenceName": "b1"}]]},
          {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a2", "b1"]},
          {"name": "after", "taskReferenceName": "after", "inputParameters": {"joined": "${join.output}"}}]}
        """;

    [Fact]
    public void A_fork_schedules_the_first_task_of_each_branch_and_a_join_that_waits()
    {
        var (run, outcome) = _harness.Start(_harness.Definition(Fork), now: 1_000);

        Assert.Equal(["fork", "a1", "b1", "join"], outcome.Scheduled.Select(t => t.ReferenceTaskName));
        Assert.Equal(TaskStatus.Completed, run.LatestTask("fork")!.Status);
        Assert.Equal(TaskStatus.InProgress, run.LatestTask("join")!.Status);
        Assert.Equal(WorkflowStatus.Running, outcome.Status);
    }

    [Fact]
    public void The_end_of_a_branch_leads_to_the_join_and_the_join_completes_with_the_joined_outputs()
    {
        var (run, _) = _harness.Start(_harness.Definition(Fork), now: 1_000);

        DeciderHarness.Report(run.LatestTask("b1")!, TaskStatus.Completed, new JsonObject { ["b"] = 1 }, 2_000);
        var afterB = _harness.Decider.Decide(run, 2_000);
        Assert.Empty(afterB.Scheduled);
        Assert.Equal(TaskStatus.InProgress, run.LatestTask("join")!.Status);

        DeciderHarness.Report(run.LatestTask("a1")!, TaskStatus.Completed, new JsonObject { ["a"] = 1 }, 3_000);
        Assert.Equal(["a2"], _harness.Decider.Decide(run, 3_000).Scheduled.Select(t => t.ReferenceTaskName));

        DeciderHarness.Report(run.LatestTask("a2")!, TaskStatus.Completed, new JsonObject { ["a"] = 2 }, 4_000);
        var joined = _harness.Decider.Decide(run, 4_000);

        var join = run.LatestTask("join")!;
        Assert.Equal(TaskStatus.Completed, join.Status);
        Assert.Equal("""{"a2":{"a":2},"b1":{"b":1}}""", join.OutputData.ToJsonString());
        var after = Assert.Single(joined.Scheduled);
        Assert.Equal("after", after.ReferenceTaskName);
        Assert.Equal(2, after.InputData["joined"]!["a2"]!["a"]!.GetValue<int>());
    }

    [Fact]
    public void A_permissive_branch_task_that_failed_fails_the_join_once_every_joined_task_has_ended()
    {
        var def = _harness.Definition("""
            {"name": "fork", "version": 1, "tasks": [
              {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [
                [{"name": "a_work", "taskReferenceName": "a", "permissive": true, "retryCount": 0}],
                [{"name": "b_work", "taskReferenceName": "b"}]]},
              {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a", "b"]}]}
            """);
        var (run, _) = _harness.Start(def, now: 1_000);

        DeciderHarness.Report(run.LatestTask("a")!, TaskStatus.Failed, null, 2_000, reason: "disk full");
        _harness.Decider.Decide(run, 2_000);
        Assert.Equal(TaskStatus.InProgress, run.LatestTask("join")!.Status);

        DeciderHarness.Report(run.LatestTask("b")!, TaskStatus.Completed, new JsonObject { ["b"] = 1 }, 3_000);
        var outcome = _harness.Decider.Decide(run, 3_000);

        Assert.Equal(TaskStatus.Failed, run.LatestTask("join")!.Status);
        Assert.Equal("disk full", run.LatestTask("join")!.ReasonForIncompletion);
        Assert.Equal(WorkflowStatus.Failed, outcome.Status);
    }

    [Fact]
    public void An_optional_branch_task_that_failed_completes_the_join_with_errors_and_the_run_goes_on()
    {
        var def = _harness.Definition("""
            {"name": "fork", "version": 1, "tasks": [
              {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [
                [{"name": "a_work", "taskReferenceName": "a", "optional": true, "retryCount": 0}],
                [{"name": "b_work", "taskReferenceName": "b"}]]},
              {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a", "b"]},
              {"name": "after", "taskReferenceName": "after"}]}
            """);
        var (run, _) = _harness.Start(def, now: 1_000);
        DeciderHarness.Report(run.LatestTask("a")!, TaskStatus.Failed, null, 2_000, reason: "flaky");
        DeciderHarness.Report(run.LatestTask("b")!, TaskStatus.Completed, null, 2_000);

        var outcome = _harness.Decider.Decide(run, 2_000);

        Assert.Equal(TaskStatus.CompletedWithErrors, run.LatestTask("a")!.Status);
        Assert.Equal(TaskStatus.CompletedWithErrors, run.LatestTask("join")!.Status);
        Assert.Equal(["after"], outcome.Scheduled.Select(t => t.ReferenceTaskName));
    }

    [Fact]
    public void A_branch_task_with_retries_left_is_retried_and_the_join_waits_for_the_retry()
    {
        var def = _harness.Definition("""
            {"name": "fork", "version": 1, "tasks": [
              {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [
                [{"name": "a_work", "taskReferenceName": "a", "retryCount": 1}], [{"name": "b_work", "taskReferenceName": "b"}]]},
              {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a", "b"]}]}
            """);
        var (run, _) = _harness.Start(def, now: 1_000);
        DeciderHarness.Report(run.LatestTask("a")!, TaskStatus.Failed, null, 2_000, reason: "once");
        DeciderHarness.Report(run.LatestTask("b")!, TaskStatus.Completed, null, 2_000);

        var outcome = _harness.Decider.Decide(run, 2_000);

        var retry = Assert.Single(outcome.Scheduled);
        Assert.Equal(("a", 1), (retry.ReferenceTaskName, retry.RetryCount));
        Assert.Equal(TaskStatus.InProgress, run.LatestTask("join")!.Status);
        DeciderHarness.Report(retry, TaskStatus.Completed, null, 3_000);
        Assert.Equal(WorkflowStatus.Completed, _harness.Decider.Decide(run, 3_000).Status);
    }

    public void Dispose() => _harness.Dispose();
}
