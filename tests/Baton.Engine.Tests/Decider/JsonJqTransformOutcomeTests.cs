using System.Text.Json.Nodes;
using Baton.Core.Runs;
using Baton.Engine.Execution;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tests.Decider;

/// <summary>JSON_JQ_TRANSFORM as Conductor's JsonJQTransformSpec runs it, on Baton's own jq.</summary>
public sealed class JsonJqTransformOutcomeTests : IDisposable
{
    private readonly DeciderHarness _harness = new();

    [Fact]
    public void A_transform_runs_over_the_whole_task_input_and_gives_result_and_result_list()
    {
        var def = _harness.Definition("""
            {"name": "jq", "version": 1, "tasks": [
              {"name": "jq", "taskReferenceName": "jq", "type": "JSON_JQ_TRANSFORM",
               "inputParameters": {"in1": {"array": ["a", "b"]}, "in2": {"array": ["c", "d"]},
                                   "queryExpression": "{ out: (.in1.array + .in2.array) }, (.in1.array | length)"}}]}
            """);

        var (run, outcome) = _harness.Start(def, now: 1_000);

        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
        var output = run.LatestTask("jq")!.OutputData;
        Assert.Equal("""{"out":["a","b","c","d"]}""", output["result"]!.ToJsonString());
        Assert.Equal("""[{"out":["a","b","c","d"]},2]""", output["resultList"]!.ToJsonString());
    }

    [Fact]
    public void A_jq_error_fails_the_task_with_jqs_message_in_the_reason_and_the_output()
    {
        var def = _harness.Definition("""
            {"name": "jq", "version": 1, "tasks": [
              {"name": "jq", "taskReferenceName": "jq", "type": "JSON_JQ_TRANSFORM",
               "inputParameters": {"v": "text", "queryExpression": ".v + 1"}}]}
            """);

        var (run, outcome) = _harness.Start(def, now: 1_000);

        var task = run.LatestTask("jq")!;
        Assert.Equal((WorkflowStatus.Failed, TaskStatus.Failed), (outcome.Status, task.Status));
        Assert.Contains("cannot be added", task.ReasonForIncompletion, StringComparison.Ordinal);
        Assert.Equal(task.ReasonForIncompletion, task.OutputData["error"]!.GetValue<string>());
    }

    [Fact]
    public void A_program_that_does_not_parse_is_refused_when_the_definition_is_saved()
    {
        var error = Assert.Throws<InvalidRequestException>(() => _harness.Definition("""
            {"name": "jq", "version": 1, "tasks": [
              {"name": "jq", "taskReferenceName": "jq", "type": "JSON_JQ_TRANSFORM", "inputParameters": {"queryExpression": ".a | {"}}]}
            """));

        Assert.Contains(error.Problems, p => p.Path == "$.tasks[0].inputParameters.queryExpression" && p.Message.Contains("does not parse", StringComparison.Ordinal));
    }

    public void Dispose() => _harness.Dispose();
}
