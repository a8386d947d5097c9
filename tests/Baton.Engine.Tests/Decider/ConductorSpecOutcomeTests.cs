using Baton.Core.Runs;
using Baton.Engine.Execution;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tests.Decider;

/// <summary>What Conductor's integration specs needed of the decider: LAMBDA, DECISION, and a run's output with an empty template.</summary>
public sealed class ConductorSpecOutcomeTests : IDisposable
{
    private readonly DeciderHarness _harness = new();

    [Fact]
    public void A_lambda_runs_its_script_as_a_function_body_over_the_input_and_gives_result()
    {
        var def = _harness.Definition("""
            {"name": "l", "version": 1, "tasks": [
              {"name": "lambda", "taskReferenceName": "l", "type": "LAMBDA",
               "inputParameters": {"a": "${workflow.input.a}", "scriptExpression": "if ($.a == 1) { return {testvalue: true} } else { return {testvalue: false} }"}}]}
            """);

        var (run, outcome) = _harness.Start(def, now: 1_000, input: new() { ["a"] = 1 });

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal("""{"testvalue":true}""", run.LatestTask("l")!.OutputData["result"]!.ToJsonString());
    }

    [Fact]
    public void A_lambda_whose_script_throws_fails_with_the_scripts_message()
    {
        var def = _harness.Definition("""
            {"name": "l", "version": 1, "tasks": [
              {"name": "lambda", "taskReferenceName": "l", "type": "LAMBDA", "inputParameters": {"scriptExpression": "throw new Error('no luck');"}}]}
            """);

        var (run, outcome) = _harness.Start(def, now: 1_000);

        var task = run.LatestTask("l")!;
        Assert.Equal((WorkflowStatus.Failed, TaskStatus.Failed), (outcome.Status, task.Status));
        Assert.Contains("no luck", task.ReasonForIncompletion, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""  "caseValueParam": "outcome"  """, "CREATE", "created")]
    [InlineData("""  "caseExpression": "$.outcome == 'CREATE' ? 'other' : 'CREATE'"  """, "other", "fallback")]
    public void A_decision_picks_its_case_by_value_param_or_expression_and_records_it_as_input_case(string how, string chosen, string next)
    {
        var def = _harness.Definition($$"""
            {"name": "d", "version": 1, "tasks": [
              {"name": "decide", "taskReferenceName": "decide", "type": "DECISION", "inputParameters": {"outcome": "${workflow.input.outcome}"}, {{how}},
               "decisionCases": {"CREATE": [{"name": "created", "taskReferenceName": "created", "type": "NOOP"}]},
               "defaultCase": [{"name": "fallback", "taskReferenceName": "fallback", "type": "NOOP"}]}]}
            """);

        var (run, outcome) = _harness.Start(def, now: 1_000, input: new() { ["outcome"] = "CREATE" });

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        var decision = run.LatestTask("decide")!;
        Assert.Equal(chosen, decision.InputData["case"]!.GetValue<string>());
        Assert.Equal($"[\"{chosen}\"]", decision.OutputData["caseOutput"]!.ToJsonString());
        Assert.Equal(["decide", next], run.Tasks.Select(t => t.ReferenceTaskName));
    }

    [Fact]
    public void An_empty_output_template_gives_the_last_tasks_output_as_in_conductor()
    {
        var def = _harness.Definition("""
            {"name": "o", "version": 1, "outputParameters": {}, "tasks": [
              {"name": "x", "taskReferenceName": "x", "type": "INLINE",
               "inputParameters": {"evaluatorType": "javascript", "expression": "({op: 'done'})"}}]}
            """);

        var (run, outcome) = _harness.Start(def, now: 1_000);

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal("""{"result":{"op":"done"}}""", run.Output.ToJsonString());
    }

    [Theory]
    [InlineData("$workflow.input.failureWfName", "on_failure")]
    [InlineData("${workflow.input.failureWfName}", "on_failure")]
    [InlineData("$workflow.input.absent", null)]
    [InlineData("plain_name", "plain_name")]
    public void A_failure_workflow_written_with_a_dollar_names_an_input_of_the_run_and_none_when_it_is_absent(string written, string? expected)
    {
        var run = new WorkflowRun { Input = new() { ["failureWfName"] = "on_failure" } };

        Assert.Equal(expected, WorkflowExecutor.FailureWorkflowName(run, written));
    }

    [Fact]
    public void A_dynamic_fork_whose_task_input_is_not_an_object_fails_without_forking_and_its_join_may_omit_join_on()
    {
        var def = _harness.Definition("""
            {"name": "f", "version": 1, "tasks": [
              {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN_DYNAMIC",
               "inputParameters": {"tasks": "${workflow.input.tasks}", "inputs": "${workflow.input.inputs}"},
               "dynamicForkTasksParam": "tasks", "dynamicForkTasksInputParamName": "inputs"},
              {"name": "join", "taskReferenceName": "join", "type": "JOIN"}]}
            """);

        var (run, outcome) = _harness.Start(def, now: 1_000, input: new()
        {
            ["tasks"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["name"] = "w", ["taskReferenceName"] = "xdt1", ["type"] = "NOOP" }),
            ["inputs"] = new System.Text.Json.Nodes.JsonObject { ["xdt1"] = "v1" },
        });

        Assert.Equal(WorkflowStatus.Failed, outcome.Status);
        var fork = Assert.Single(run.Tasks);
        Assert.Equal(("FORK", TaskStatus.FailedWithTerminalError), (fork.TaskType, fork.Status));
        Assert.Contains("'xdt1'", fork.ReasonForIncompletion, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nested_fork_lays_its_branches_out_before_the_outer_join_and_joins_show_join_on_as_in_conductor()
    {
        var def = _harness.Definition("""
            {"name": "n", "version": 1, "tasks": [
              {"name": "fork1", "taskReferenceName": "fork1", "type": "FORK_JOIN", "forkTasks": [
                [{"name": "w11", "taskReferenceName": "t11", "type": "SIMPLE"}],
                [{"name": "fork2", "taskReferenceName": "fork2", "type": "FORK_JOIN", "forkTasks": [
                   [{"name": "w12", "taskReferenceName": "t12", "type": "SIMPLE"}], [{"name": "w13", "taskReferenceName": "t13", "type": "SIMPLE"}]]},
                 {"name": "join2", "taskReferenceName": "join2", "type": "JOIN", "joinOn": ["t12", "t13"]}]]},
              {"name": "join1", "taskReferenceName": "join1", "type": "JOIN", "joinOn": ["t11", "join2"]}]}
            """);

        var (run, _) = _harness.Start(def, now: 1_000);

        Assert.Equal(["fork1", "t11", "fork2", "t12", "t13", "join2", "join1"], run.Tasks.Select(t => t.ReferenceTaskName));
        Assert.Equal(["FORK", "w11", "FORK", "w12", "w13", "JOIN", "JOIN"], run.Tasks.Select(t => t.TaskType));
        Assert.Equal("""["t11","join2"]""", run.LatestTask("join1")!.InputData["joinOn"]!.ToJsonString());
    }

    [Fact]
    public void Scripts_may_read_arrays_with_javas_get_and_size_as_conductor_users_write_them()
    {
        var def = _harness.Definition("""
            {"name": "j", "version": 1, "tasks": [
              {"name": "x", "taskReferenceName": "x", "type": "INLINE",
               "inputParameters": {"evaluatorType": "javascript", "list": [5, 7], "expression": "$.list.get(1) * $.list.size() + Object.keys($.list).length"}}]}
            """);

        var (run, outcome) = _harness.Start(def, now: 1_000);

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        Assert.Equal(16, run.LatestTask("x")!.OutputData["result"]!.GetValue<double>());
    }

    public void Dispose() => _harness.Dispose();
}
