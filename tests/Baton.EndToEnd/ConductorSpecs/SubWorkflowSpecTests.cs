// Translated from Conductor OSS's SubWorkflowSpec.groovy (test-harness, Apache-2.0, Copyright Conductor Authors).
using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;
using static Baton.EndToEnd.ConductorSpecs.SpecRun;

namespace Baton.EndToEnd.ConductorSpecs;

[Collection(SharedServer.Name)]
public sealed class SubWorkflowSpecTests(ServerFixture fixture)
{
    private async Task<SpecRun> SetupAsync()
    {
        var spec = new SpecRun(fixture.Client);
        await spec.RegisterAsync("simple_one_task_sub_workflow_integration_test.json", "simple_workflow_1_integration_test.json",
            "workflow_with_sub_workflow_1_integration_test.json");
        return spec;
    }

    private static JsonObject Input(SpecRun spec, string subWorkflow) => new()
    {
        ["param1"] = "p1 value",
        ["param2"] = "p2 value",
        ["subwf"] = spec.N(subWorkflow),
    };

    /// <summary>Starts the parent, completes integration_task_1 and waits for the child's first task (the spec's common opening).</summary>
    private static async Task<(string Id, string SubWorkflowId, JsonObject Run)> StartToChildAsync(SpecRun spec, string subWorkflow, string correlationId)
    {
        var id = await spec.StartAsync("integration_test_wf_with_sub_wf", Input(spec, subWorkflow), correlationId);
        var run = await spec.GetAsync(id);
        Assert.Equal("RUNNING", S(run["status"]));
        Assert.Equal(["integration_task_1"], spec.Types(run));
        Assert.Equal(["SCHEDULED"], Statuses(run));

        await spec.PollAndCompleteAsync("integration_task_1", new JsonObject { ["op"] = "task1.done" });

        run = await spec.WaitForAsync(id, r => Tasks(r).Count == 2 && S(Tasks(r)[1]["status"]) == "IN_PROGRESS" && Tasks(r)[1]["subWorkflowId"] is not null);
        Assert.Equal("RUNNING", S(run["status"]));
        Assert.Equal(["integration_task_1", "SUB_WORKFLOW"], spec.Types(run));
        Assert.Equal(["COMPLETED", "IN_PROGRESS"], Statuses(run));
        var subWorkflowId = S(Tasks(run)[1]["subWorkflowId"]);
        var sub = await spec.WaitForAsync(subWorkflowId, r => Tasks(r).Count == 1);
        Assert.Equal("RUNNING", S(sub["status"]));
        Assert.Equal("SCHEDULED", S(Tasks(sub)[0]["status"]));
        return (id, subWorkflowId, run);
    }

    [Fact]
    public async Task Test_retrying_a_subworkflow_where_parent_workflow_timed_out_due_to_workflowTimeout()
    {
        var spec = await SetupAsync();
        var def = await spec.GetDefAsync("integration_test_wf_with_sub_wf");
        def["timeoutPolicy"] = "TIME_OUT_WF";
        def["timeoutSeconds"] = 10;
        await spec.UpdateDefAsync(def);

        var (id, subWorkflowId, run) = await StartToChildAsync(spec, "sub_workflow", "wf_with_subwf_test_1");
        var subworkflowTaskId = S(Tasks(run)[1]["taskId"]);
        Assert.Equal(["simple_task_in_sub_wf"], spec.Types(await spec.GetAsync(subWorkflowId)));

        run = await spec.WaitForStatusAsync(id, "TIMED_OUT");
        Assert.Equal(["integration_task_1", "SUB_WORKFLOW"], spec.Types(run));
        Assert.Equal(["COMPLETED", "CANCELED"], Statuses(run));
        var sub = await spec.WaitForStatusAsync(subWorkflowId, "TERMINATED");
        Assert.Equal(["simple_task_in_sub_wf"], spec.Types(sub));
        Assert.Equal(["CANCELED"], Statuses(sub));

        (await spec.Client.PostAsync($"/api/workflow/{subWorkflowId}/retry")).ShouldBe(HttpStatusCode.OK);

        sub = await spec.GetAsync(subWorkflowId);
        Assert.Equal("RUNNING", S(sub["status"]));
        Assert.Equal(["simple_task_in_sub_wf", "simple_task_in_sub_wf"], spec.Types(sub));
        Assert.Equal(["CANCELED", "SCHEDULED"], Statuses(sub));
        run = await spec.WaitForAsync(id, r => S(r["status"]) == "RUNNING" && S(Tasks(r)[1]["status"]) == "IN_PROGRESS");
        Assert.Equal(2, Tasks(run).Count);
        Assert.Equal("SUB_WORKFLOW", S(Tasks(run)[1]["taskType"]));

        await spec.PollAndCompleteAsync("simple_task_in_sub_wf", new JsonObject { ["op"] = "simple_task_in_sub_wf.done" });

        sub = await spec.WaitForStatusAsync(subWorkflowId, "COMPLETED");
        Assert.Equal(["CANCELED", "COMPLETED"], Statuses(sub));
        run = await spec.WaitForStatusAsync(id, "COMPLETED");
        Assert.Equal(["integration_task_1", "SUB_WORKFLOW"], spec.Types(run));
        Assert.Equal(["COMPLETED", "COMPLETED"], Statuses(run));
        Assert.Equal(subworkflowTaskId, S(Tasks(run)[1]["taskId"]));
        Assert.NotEqual(true, Tasks(run)[1]["subworkflowChanged"]?.GetValue<bool>());
        Assert.True(run["output"]?["op"]?.GetValue<string>() == "simple_task_in_sub_wf.done", run.ToJsonString());
    }

    [Fact]
    public async Task Test_terminating_a_subworkflow_terminates_parent_workflow()
    {
        var spec = await SetupAsync();
        var (id, subWorkflowId, _) = await StartToChildAsync(spec, "sub_workflow", "wf_with_subwf_test_1");

        const string terminateReason = "terminating from a test case";
        (await spec.Client.DeleteAsync($"/api/workflow/{subWorkflowId}?reason={Uri.EscapeDataString(terminateReason)}")).ShouldBe(HttpStatusCode.OK);

        var sub = await spec.GetAsync(subWorkflowId);
        Assert.Equal("TERMINATED", S(sub["status"]));
        Assert.Equal(["simple_task_in_sub_wf"], spec.Types(sub));
        Assert.Equal(["CANCELED"], Statuses(sub));
        Assert.Equal(terminateReason, S(sub["reasonForIncompletion"]));

        var run = await spec.WaitForStatusAsync(id, "TERMINATED");
        Assert.Equal(["integration_task_1", "SUB_WORKFLOW"], spec.Types(run));
        Assert.Equal(["COMPLETED", "CANCELED"], Statuses(run));
        Assert.Contains(terminateReason, S(run["reasonForIncompletion"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_retrying_a_workflow_with_subworkflow_resume()
    {
        var spec = await SetupAsync();
        await spec.RegisterTaskDefAsync("integration_task_2", retryCount: 0);
        var (id, subWorkflowId, _) = await StartToChildAsync(spec, "integration_test_wf", "wf_retry_with_subwf_resume_test");

        await spec.PollAndCompleteAsync("integration_task_1", new JsonObject { ["op"] = "task1.done" });
        var sub = await spec.WaitForAsync(subWorkflowId, r => Tasks(r).Count == 2);
        Assert.Equal("RUNNING", S(sub["status"]));
        Assert.Equal(["integration_task_1", "integration_task_2"], spec.Types(sub));
        Assert.Equal(["COMPLETED", "SCHEDULED"], Statuses(sub));

        await spec.PollAndFailAsync("integration_task_2", "failed");
        sub = await spec.WaitForStatusAsync(subWorkflowId, "FAILED");
        Assert.Equal(["COMPLETED", "FAILED"], Statuses(sub));
        var run = await spec.WaitForStatusAsync(id, "FAILED");
        Assert.Equal(["integration_task_1", "SUB_WORKFLOW"], spec.Types(run));
        Assert.Equal(["COMPLETED", "FAILED"], Statuses(run));

        (await spec.Client.PostAsync($"/api/workflow/{id}/retry?resumeSubworkflowTasks=true")).ShouldBe(HttpStatusCode.OK);

        sub = await spec.GetAsync(subWorkflowId);
        Assert.Equal("RUNNING", S(sub["status"]));
        Assert.Equal(["integration_task_1", "integration_task_2", "integration_task_2"], spec.Types(sub));
        Assert.Equal(["COMPLETED", "FAILED", "SCHEDULED"], Statuses(sub));
        run = await spec.GetAsync(id);
        Assert.Equal("RUNNING", S(run["status"]));
        Assert.Equal(["COMPLETED", "IN_PROGRESS"], Statuses(run));

        await spec.PollAndCompleteAsync("integration_task_2", new JsonObject { ["op"] = "task2.done" });
        sub = await spec.WaitForStatusAsync(subWorkflowId, "COMPLETED");
        Assert.Equal(["COMPLETED", "FAILED", "COMPLETED"], Statuses(sub));
        run = await spec.WaitForStatusAsync(id, "COMPLETED");
        Assert.Equal(["integration_task_1", "SUB_WORKFLOW"], spec.Types(run));
        Assert.Equal(["COMPLETED", "COMPLETED"], Statuses(run));
        Assert.Equal(subWorkflowId, S(Tasks(run)[1]["subWorkflowId"]));
    }
}
