using System.Text.Json.Nodes;
using Baton.Core.Runs;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tests.Decider;

public sealed class WaitAndDynamicForkOutcomeTests : IDisposable
{
    private readonly DeciderHarness _harness = new();

    [Fact]
    public void A_wait_with_a_duration_waits_until_its_time_and_the_decider_asks_to_be_woken_then()
    {
        var def = _harness.Definition("""
            {"name": "wait", "version": 1, "tasks": [
              {"name": "wait", "taskReferenceName": "wait", "type": "WAIT", "inputParameters": {"duration": "1m 30s"}},
              {"name": "after", "taskReferenceName": "after"}]}
            """);
        var (run, _) = _harness.Start(def, now: 1_000);

        var wait = run.LatestTask("wait")!;
        Assert.Equal((TaskStatus.InProgress, 91_000L), (wait.Status, wait.WaitTimeout));
        Assert.Equal(91_000, _harness.Decider.NextWakeAt(run, 1_000));
        Assert.Empty(_harness.Decider.Decide(run, 90_999).Scheduled);

        var outcome = _harness.Decider.Decide(run, 91_000);

        Assert.Equal(TaskStatus.Completed, wait.Status);
        Assert.Equal(["after"], outcome.Scheduled.Select(t => t.ReferenceTaskName));
    }

    [Fact]
    public void A_wait_until_a_past_time_completes_at_once_and_one_without_either_waits_to_be_completed()
    {
        var def = _harness.Definition("""
            {"name": "wait", "version": 1, "tasks": [
              {"name": "past", "taskReferenceName": "past", "type": "WAIT", "inputParameters": {"until": "2020-01-01 10:00 +01:00"}},
              {"name": "forever", "taskReferenceName": "forever", "type": "WAIT"},
              {"name": "person", "taskReferenceName": "person", "type": "HUMAN"}]}
            """);
        const long now = 1_800_000_000_000; // in 2027
        var (run, _) = _harness.Start(def, now);

        Assert.Equal(TaskStatus.Completed, run.LatestTask("past")!.Status);
        Assert.Equal(TaskStatus.InProgress, run.LatestTask("forever")!.Status);
        Assert.Null(_harness.Decider.NextWakeAt(run, now));

        DeciderHarness.Report(run.LatestTask("forever")!, TaskStatus.Completed, new JsonObject { ["ok"] = true }, now + 1);
        _harness.Decider.Decide(run, now + 1);
        Assert.Equal(TaskStatus.InProgress, run.LatestTask("person")!.Status);
        Assert.Equal(WorkflowStatus.Running, run.Status);
    }

    [Fact]
    public void A_wait_whose_templated_duration_is_not_a_duration_fails_naming_the_field()
    {
        var def = _harness.Definition("""
            {"name": "wait", "version": 1, "tasks": [
              {"name": "wait", "taskReferenceName": "wait", "type": "WAIT", "inputParameters": {"duration": "${workflow.input.d}"}}]}
            """);

        var (run, outcome) = _harness.Start(def, now: 1_000, new JsonObject { ["d"] = "soon" });

        Assert.Equal(WorkflowStatus.Failed, outcome.Status);
        Assert.Contains("duration 'soon' is not a duration", run.LatestTask("wait")!.ReasonForIncompletion, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dynamic_fork_over_a_list_of_inputs_makes_one_task_each_and_the_join_waits_for_all()
    {
        var def = _harness.Definition("""
            {"name": "dyn", "version": 1, "tasks": [
              {"name": "fan", "taskReferenceName": "fan", "type": "FORK_JOIN_DYNAMIC",
               "inputParameters": {"forkTaskName": "resize", "forkTaskInputs": "${workflow.input.images}"}},
              {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": []}]}
            """);
        var (run, outcome) = _harness.Start(def, now: 1_000, new JsonObject { ["images"] = new JsonArray(new JsonObject { ["url"] = "a" }, "b") });

        Assert.Equal(["fan", "_resize_0", "_resize_1", "join"], outcome.Scheduled.Select(t => t.ReferenceTaskName));
        var first = run.LatestTask("_resize_0")!;
        Assert.Equal(("resize", "a", 0), (first.TaskType, first.InputData["url"]!.GetValue<string>(), first.InputData["__index"]!.GetValue<int>()));
        Assert.Equal("b", run.LatestTask("_resize_1")!.InputData["input"]!.GetValue<string>());

        DeciderHarness.Report(first, TaskStatus.Completed, new JsonObject { ["n"] = 0 }, 2_000);
        _harness.Decider.Decide(run, 2_000);
        Assert.Equal(TaskStatus.InProgress, run.LatestTask("join")!.Status);
        DeciderHarness.Report(run.LatestTask("_resize_1")!, TaskStatus.Completed, new JsonObject { ["n"] = 1 }, 3_000);

        Assert.Equal(WorkflowStatus.Completed, _harness.Decider.Decide(run, 3_000).Status);
        Assert.Equal(1, run.LatestTask("join")!.OutputData["_resize_1"]!["n"]!.GetValue<int>());
    }

    [Fact]
    public void A_dynamic_fork_of_listed_tasks_takes_their_inputs_by_reference_name()
    {
        var def = _harness.Definition("""
            {"name": "dyn", "version": 1, "tasks": [
              {"name": "fan", "taskReferenceName": "fan", "type": "FORK_JOIN_DYNAMIC",
               "dynamicForkTasksParam": "tasks", "dynamicForkTasksInputParamName": "inputs",
               "inputParameters": {"tasks": "${workflow.input.tasks}", "inputs": "${workflow.input.inputs}"}},
              {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": []}]}
            """);
        var input = JsonNode.Parse("""
            {"tasks": [{"name": "calc", "taskReferenceName": "x", "type": "INLINE"}, {"name": "calc", "taskReferenceName": "y", "type": "INLINE"}],
             "inputs": {"x": {"evaluatorType": "javascript", "expression": "$.v + 1", "v": 1},
                        "y": {"evaluatorType": "javascript", "expression": "$.v + 1", "v": 10}}}
            """)!.AsObject();

        var (run, outcome) = _harness.Start(def, now: 1_000, input);

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal("""{"x":{"result":2},"y":{"result":11}}""", run.LatestTask("join")!.OutputData.ToJsonString());
    }

    [Theory]
    [InlineData("""[{"name": "call", "taskReferenceName": "c", "type": "HTTP", "inputParameters": {"uri": "http://x/${workflow.secrets.token}", "method": "GET"}}]""", "would use a secret")]
    [InlineData("""[{"name": "a", "taskReferenceName": "fan", "type": "SIMPLE"}]""", "'fan' is already used")]
    [InlineData("""[{"name": "loop", "taskReferenceName": "l", "type": "DO_WHILE"}]""", "which a dynamic fork cannot make")]
    [InlineData("""[{"name": "call", "taskReferenceName": "c", "type": "HTTP"}]""", "uri is required")]
    public void A_dynamic_fork_refuses_tasks_it_cannot_vouch_for_and_fails_with_the_reason(string tasks, string reason)
    {
        var def = _harness.Definition("""
            {"name": "dyn", "version": 1, "tasks": [
              {"name": "fan", "taskReferenceName": "fan", "type": "FORK_JOIN_DYNAMIC",
               "dynamicForkTasksParam": "tasks", "dynamicForkTasksInputParamName": "inputs",
               "inputParameters": {"tasks": "${workflow.input.tasks}", "inputs": {}}},
              {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": []}]}
            """);

        var (run, outcome) = _harness.Start(def, now: 1_000, new JsonObject { ["tasks"] = JsonNode.Parse(tasks) });

        Assert.Equal(WorkflowStatus.Failed, outcome.Status);
        var fan = run.LatestTask("fan")!;
        Assert.Equal(TaskStatus.FailedWithTerminalError, fan.Status);
        Assert.Contains(reason, fan.ReasonForIncompletion, StringComparison.Ordinal);
        Assert.Single(run.Tasks);
    }

    public void Dispose() => _harness.Dispose();
}
