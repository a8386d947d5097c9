// Translated from Conductor OSS's FailureWorkflowSpec.groovy (test-harness, Apache-2.0, Copyright Conductor Authors).
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using static Baton.EndToEnd.ConductorSpecs.SpecRun;

namespace Baton.EndToEnd.ConductorSpecs;

[Collection(SharedServer.Name)]
public sealed class FailureWorkflowSpecTests(ServerFixture fixture)
{
    private async Task<SpecRun> SetupAsync()
    {
        var spec = new SpecRun(fixture.Client);
        await spec.RegisterAsync("failure_workflow_for_terminate_task_workflow.json", "terminate_task_failed_workflow_integration.json",
            "test_task_failed_parent_workflow.json", "test_task_failed_sub_workflow.json");
        return spec;
    }

    private static async Task AssertFailureWorkflowAsync(SpecRun spec, JsonObject run, string workflowId, string failureTaskId)
    {
        var failureId = run["output"]?["conductor.failure_workflow"]?.GetValue<string>();
        Assert.True(failureId is not null, $"no failure workflow in {run["output"]?.ToJsonString()}");
        var failure = await spec.WaitForStatusAsync(failureId, "COMPLETED", "FAILED", "TERMINATED");
        Assert.Equal("COMPLETED", S(failure["status"]));
        Assert.Equal(run["correlationId"]?.ToJsonString(), failure["correlationId"]?.ToJsonString());
        Assert.Equal(workflowId, S(failure["input"]!["workflowId"]));
        Assert.Equal(failureTaskId, S(failure["input"]!["failureTaskId"]));
        var only = Assert.Single(Tasks(failure));
        Assert.Equal("LAMBDA", S(only["taskType"]));
        Assert.NotNull(failure["input"]!["failedWorkflow"]);
    }

    [Fact]
    public async Task Test_workflow_with_a_task_that_failed()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("test_terminate_task_failed_wf", new JsonObject { ["a"] = 1 }, correlationId: "testId");

        var run = await spec.WaitForStatusAsync(id, "FAILED", "COMPLETED");
        Assert.Equal("FAILED", S(run["status"]));
        var tasks = Tasks(run);
        Assert.Equal(2, tasks.Count);
        Assert.Equal("Early exit in terminate", S(run["reasonForIncompletion"]));
        Assert.Equal(["COMPLETED", "COMPLETED"], Statuses(run));
        Assert.Equal(["LAMBDA", "TERMINATE"], spec.Types(run));
        Assert.Equal([1, 2], tasks.Select(t => t["seq"]!.GetValue<int>()));
        await AssertFailureWorkflowAsync(spec, run, id, S(tasks[1]["taskId"]));
    }

    [Fact]
    public async Task Test_workflow_with_a_task_failed_in_subworkflow()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("test_task_failed_parent_wf", new JsonObject { ["a"] = 1 });

        var run = await spec.WaitForStatusAsync(id, "FAILED", "COMPLETED");
        var subWorkflowId = S(Task(run, "test_task_failed_sub_wf")["subWorkflowId"]);
        var sub = await spec.WaitForStatusAsync(subWorkflowId, "FAILED", "COMPLETED");
        Assert.Equal("FAILED", S(sub["status"]));
        Assert.Equal(2, Tasks(sub).Count);
        Assert.Contains("Workflow is FAILED by TERMINATE task", S(sub["reasonForIncompletion"]), StringComparison.Ordinal);
        Assert.Equal(["COMPLETED", "COMPLETED"], Statuses(sub));
        Assert.Equal(["LAMBDA", "TERMINATE"], spec.Types(sub));
        Assert.Equal([1, 2], Tasks(sub).Select(t => t["seq"]!.GetValue<int>()));

        Assert.Equal("FAILED", S(run["status"]));
        var tasks = Tasks(run);
        Assert.Equal(2, tasks.Count);
        Assert.Equal(["COMPLETED", "FAILED"], Statuses(run));
        Assert.Equal(["LAMBDA", "SUB_WORKFLOW"], spec.Types(run));
        Assert.Equal("lambdaTask1", S(tasks[0]["referenceTaskName"]));
        Assert.Equal([1, 2], tasks.Select(t => t["seq"]!.GetValue<int>()));
        await AssertFailureWorkflowAsync(spec, run, id, S(tasks[1]["taskId"]));
    }
}
