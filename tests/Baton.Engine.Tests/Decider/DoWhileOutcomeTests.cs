using System.Text.Json.Nodes;
using Baton.Core.Runs;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tests.Decider;

public sealed class DoWhileOutcomeTests : IDisposable
{
    private readonly DeciderHarness _harness = new();

    [Fact]
    public void A_loop_over_a_worker_task_names_each_iteration_as_conductor_does_and_ends_when_its_condition_fails()
    {
        var def = _harness.Definition("""
            {"name": "loop", "version": 1, "tasks": [
              {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE",
               "loopCondition": "$.loop['iteration'] < 3", "loopOver": [{"name": "work", "taskReferenceName": "w"}]},
              {"name": "after", "taskReferenceName": "after", "inputParameters": {"last": "${w.output.n}"}}]}
            """);
        var (run, outcome) = _harness.Start(def, now: 1_000);
        Assert.Equal(["loop", "w__1"], outcome.Scheduled.Select(t => t.ReferenceTaskName));

        for (var i = 1; i <= 3; i++)
        {
            var work = run.LatestTask($"w__{i}")!;
            Assert.Equal(i, work.Iteration);
            DeciderHarness.Report(work, TaskStatus.Completed, new JsonObject { ["n"] = i * 10 }, 1_000 + i);
            outcome = _harness.Decider.Decide(run, 1_000 + i);
        }

        var loop = run.LatestTask("loop")!;
        Assert.Equal(TaskStatus.Completed, loop.Status);
        Assert.Equal(3, loop.Iteration);
        Assert.Equal("""{"iteration":3,"1":{"w":{"n":10}},"2":{"w":{"n":20}},"3":{"w":{"n":30}}}""", loop.OutputData.ToJsonString());
        var after = Assert.Single(outcome.Scheduled);
        Assert.Equal(30, after.InputData["last"]!.GetValue<int>());
    }

    [Fact]
    public void A_loop_of_scripts_runs_all_its_iterations_in_one_pass_and_reads_the_current_iteration()
    {
        var def = _harness.Definition("""
            {"name": "count", "version": 1, "tasks": [
              {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "$.step.result < 5",
               "loopOver": [
                 {"name": "step", "taskReferenceName": "step", "type": "INLINE",
                  "inputParameters": {"evaluatorType": "javascript", "expression": "$.i", "i": "${loop.output.iteration}"}},
                 {"name": "echo", "taskReferenceName": "echo", "type": "INLINE",
                  "inputParameters": {"evaluatorType": "javascript", "expression": "$.seen * 2", "seen": "${step.output.result}"}}]}]}
            """);

        var (run, outcome) = _harness.Start(def, now: 1_000);

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal(5, run.LatestTask("loop")!.Iteration);
        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"echo__{i}"), run.Tasks.Where(t => t.ReferenceTaskName.StartsWith("echo", StringComparison.Ordinal)).Select(t => t.ReferenceTaskName));
        Assert.Equal(8, run.LatestTask("echo__4")!.OutputData["result"]!.GetValue<int>());
    }

    [Fact]
    public void KeepLastN_removes_the_tasks_and_outputs_of_older_iterations()
    {
        var def = _harness.Definition("""
            {"name": "keep", "version": 1, "tasks": [
              {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "inputParameters": {"keepLastN": 2},
               "loopCondition": "$.loop['iteration'] < 5",
               "loopOver": [{"name": "noop", "taskReferenceName": "n", "type": "NOOP"}]}]}
            """);

        var (run, outcome) = _harness.Start(def, now: 1_000);

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal(["loop", "n__4", "n__5"], run.Tasks.Select(t => t.ReferenceTaskName));
        Assert.Equal(["iteration", "4", "5"], run.LatestTask("loop")!.OutputData.Select(p => p.Key));
        // Scheduled and removed within the same pass: nothing of iterations 1 to 3 remains to be written.
        Assert.Equal(3, outcome.Removed.Count);
    }

    [Fact]
    public void A_condition_that_throws_fails_the_loop_with_terminal_error_naming_the_condition()
    {
        var def = _harness.Definition("""
            {"name": "bad", "version": 1, "tasks": [
              {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "$.nothing.here > 1",
               "loopOver": [{"name": "noop", "taskReferenceName": "n", "type": "NOOP"}]}]}
            """);

        var (run, outcome) = _harness.Start(def, now: 1_000);

        var loop = run.LatestTask("loop")!;
        Assert.Equal(TaskStatus.FailedWithTerminalError, loop.Status);
        Assert.StartsWith("Unable to evaluate condition $.nothing.here > 1", loop.ReasonForIncompletion, StringComparison.Ordinal);
        Assert.Equal(WorkflowStatus.Failed, outcome.Status);
    }

    [Fact]
    public void A_fork_inside_a_loop_joins_the_tasks_of_its_own_iteration()
    {
        var def = _harness.Definition("""
            {"name": "forkloop", "version": 1, "tasks": [
              {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "$.loop['iteration'] < 2",
               "loopOver": [
                 {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN",
                  "forkTasks": [[{"name": "a", "taskReferenceName": "a"}], [{"name": "b", "taskReferenceName": "b"}]]},
                 {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a", "b"]}]}]}
            """);
        var (run, _) = _harness.Start(def, now: 1_000);

        foreach (var i in new[] { 1, 2 })
        {
            DeciderHarness.Report(run.LatestTask($"a__{i}")!, TaskStatus.Completed, new JsonObject { ["i"] = i }, 1_000 + i);
            _harness.Decider.Decide(run, 1_000 + i);
            Assert.Equal(TaskStatus.InProgress, run.LatestTask($"join__{i}")!.Status);
            DeciderHarness.Report(run.LatestTask($"b__{i}")!, TaskStatus.Completed, null, 1_000 + i);
            _harness.Decider.Decide(run, 1_000 + i);
            Assert.Equal(i, run.LatestTask($"join__{i}")!.OutputData[$"a__{i}"]!["i"]!.GetValue<int>());
        }

        Assert.Equal(WorkflowStatus.Completed, run.Status);
        Assert.Equal(2, run.LatestTask("loop")!.Iteration);
    }

    [Fact]
    public void A_loop_that_never_ends_and_keeps_every_iteration_fails_its_run_at_the_task_limit()
    {
        using var harness = new DeciderHarness(o => o.MaxTasksPerRun = 300);
        var def = harness.Definition("""
            {"name": "forever", "version": 1, "tasks": [
              {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "true",
               "loopOver": [{"name": "noop", "taskReferenceName": "n", "type": "NOOP"}]}]}
            """);

        var (run, outcome) = harness.Start(def, now: 1_000);

        Assert.Equal(WorkflowStatus.Failed, outcome.Status);
        Assert.Contains("more than 300 task entries (Baton:Engine:MaxTasksPerRun)", run.ReasonForIncompletion, StringComparison.Ordinal);
    }

    [Fact]
    public void A_loop_that_never_ends_with_keepLastN_fails_its_run_once_a_pass_makes_too_many_steps()
    {
        var def = _harness.Definition("""
            {"name": "forever", "version": 1, "tasks": [
              {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "true", "inputParameters": {"keepLastN": 1},
               "loopOver": [{"name": "noop", "taskReferenceName": "n", "type": "NOOP"}]}]}
            """);

        var (run, outcome) = _harness.Start(def, now: 1_000);

        Assert.Equal(WorkflowStatus.Failed, outcome.Status);
        Assert.Contains("steps without waiting on anything outside", run.ReasonForIncompletion, StringComparison.Ordinal);
        Assert.True(run.Tasks.Count <= 3, $"{run.Tasks.Count} entries kept");
    }

    public void Dispose() => _harness.Dispose();
}
