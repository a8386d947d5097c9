// Translated from Conductor OSS's DynamicForkJoinSpec.groovy (test-harness, Apache-2.0, Copyright Conductor Authors).
using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;
using static Baton.EndToEnd.ConductorSpecs.SpecRun;

namespace Baton.EndToEnd.ConductorSpecs;

[Collection(SharedServer.Name)]
public sealed class DynamicForkJoinSpecTests(ServerFixture fixture)
{
    private const string Workflow = "DynamicFanInOutTest";

    private async Task<SpecRun> SetupAsync()
    {
        var spec = new SpecRun(fixture.Client);
        await spec.RegisterAsync("dynamic_fork_join_integration_test.json", "simple_workflow_3_integration_test.json");
        return spec;
    }

    private static JsonObject Simple(SpecRun spec, string name, string reference) =>
        new() { ["name"] = spec.N(name), ["taskReferenceName"] = reference, ["type"] = "SIMPLE" };

    /// <summary>Starts the workflow and has integration_task_1 answer with the tasks to fork into and their inputs.</summary>
    private static async Task<string> StartAndForkAsync(SpecRun spec, JsonArray dynamicTasks, JsonObject dynamicTasksInput)
    {
        var id = await spec.StartAsync(Workflow, correlationId: "dynamic_fork_join_workflow");
        var run = await spec.GetAsync(id);
        Assert.Equal("RUNNING", S(run["status"]));
        Assert.Equal(["integration_task_1"], spec.Types(run));
        Assert.Equal(["SCHEDULED"], Statuses(run));
        await spec.PollAndCompleteAsync("integration_task_1", new JsonObject { ["dynamicTasks"] = dynamicTasks, ["dynamicTasksInput"] = dynamicTasksInput });
        return id;
    }

    private static Task<string> StartAndForkTwoAsync(SpecRun spec) => StartAndForkAsync(spec,
        [Simple(spec, "integration_task_2", "xdt1"), Simple(spec, "integration_task_3", "xdt2")],
        new JsonObject { ["xdt1"] = new JsonObject { ["k1"] = "v1" }, ["xdt2"] = new JsonObject { ["k2"] = "v2" } });

    private static async Task<JsonObject> AssertForkedAsync(SpecRun spec, string id)
    {
        var run = await spec.WaitForAsync(id, r => Tasks(r).Count >= 5);
        Assert.Equal("RUNNING", S(run["status"]));
        Assert.Equal(["integration_task_1", "FORK", "integration_task_2", "integration_task_3", "JOIN"], spec.Types(run));
        Assert.Equal(["COMPLETED", "COMPLETED", "SCHEDULED", "SCHEDULED", "IN_PROGRESS"], Statuses(run));
        Assert.Equal("dynamicfanouttask_join", S(Tasks(run)[4]["referenceTaskName"]));
        return run;
    }

    private static async Task PollAndCompleteWithInputAsync(SpecRun spec, string type, string key, string value, JsonObject? output)
    {
        var task = await spec.Client.PollTaskAsync(spec.N(type));
        Assert.Equal(value, S(task["inputData"]![key]));
        await spec.Client.CompleteTaskAsync(task, output);
    }

    private static async Task FailAfterForkAsync(SpecRun spec, string id)
    {
        var task = await spec.Client.PollTaskAsync(spec.N("integration_task_2"));
        Assert.Equal("v1", S(task["inputData"]!["k1"]));
        await spec.Client.CompleteTaskAsync(task, status: "FAILED", reason: "it is a failure..");
        var run = await spec.WaitForStatusAsync(id, "FAILED");
        var tasks = Tasks(run);
        Assert.Equal(5, tasks.Count);
        Assert.Equal(["integration_task_2", "integration_task_3", "JOIN"], spec.Types(run)[2..]);
        Assert.Equal(["FAILED", "CANCELED", "CANCELED"], Statuses(run)[2..]);
        Assert.Equal("""["xdt1","xdt2"]""", tasks[4]["inputData"]!["joinOn"]!.ToJsonString());
        Assert.Equal("dynamicfanouttask_join", S(tasks[4]["referenceTaskName"]));
    }

    [Fact]
    public async Task Test_dynamic_fork_join_success_flow()
    {
        var spec = await SetupAsync();
        var id = await StartAndForkTwoAsync(spec);
        await AssertForkedAsync(spec, id);

        await PollAndCompleteWithInputAsync(spec, "integration_task_2", "k1", "v1", new JsonObject { ["ok1"] = "ov1" });
        await PollAndCompleteWithInputAsync(spec, "integration_task_3", "k2", "v2", new JsonObject { ["ok1"] = "ov1" });

        var run = await spec.WaitForAsync(id, r => Tasks(r).Count == 6);
        Assert.Equal("RUNNING", S(run["status"]));
        var tasks = Tasks(run);
        Assert.Equal(["integration_task_2", "integration_task_3", "JOIN", "integration_task_4"], spec.Types(run)[2..]);
        Assert.Equal(["COMPLETED", "COMPLETED", "COMPLETED", "SCHEDULED"], Statuses(run)[2..]);
        Assert.Equal("""["xdt1","xdt2"]""", tasks[4]["inputData"]!["joinOn"]!.ToJsonString());
        Assert.Equal("ov1", S(tasks[4]["outputData"]!["xdt1"]!["ok1"]));
        Assert.Equal("ov1", S(tasks[4]["outputData"]!["xdt2"]!["ok1"]));

        await spec.PollAndCompleteAsync("integration_task_4");
        run = await spec.WaitForStatusAsync(id, "COMPLETED");
        Assert.Equal(6, Tasks(run).Count);
        Assert.Equal("COMPLETED", S(Tasks(run)[5]["status"]));
    }

    [Fact]
    public async Task Test_dynamic_fork_join_failure_of_dynamic_forked_task_flow()
    {
        var spec = await SetupAsync();
        await spec.RegisterTaskDefAsync("integration_task_2", retryCount: 0);
        var id = await StartAndForkTwoAsync(spec);
        await AssertForkedAsync(spec, id);

        await FailAfterForkAsync(spec, id);
    }

    [Fact]
    public async Task Retry_a_failed_dynamic_fork_join_workflow()
    {
        var spec = await SetupAsync();
        await spec.RegisterTaskDefAsync("integration_task_2", retryCount: 0);
        var id = await StartAndForkTwoAsync(spec);
        var joinTaskId = S(Tasks(await AssertForkedAsync(spec, id))[4]["taskId"]);
        await FailAfterForkAsync(spec, id);

        (await spec.Client.PostAsync($"/api/workflow/{id}/retry")).ShouldBe(HttpStatusCode.OK);

        var run = await spec.GetAsync(id);
        Assert.Equal("RUNNING", S(run["status"]));
        var tasks = Tasks(run);
        Assert.Equal(7, tasks.Count);
        Assert.Equal(["integration_task_2", "integration_task_3", "JOIN", "integration_task_2", "integration_task_3"], spec.Types(run)[2..]);
        Assert.Equal(["FAILED", "CANCELED", "IN_PROGRESS", "SCHEDULED", "SCHEDULED"], Statuses(run)[2..]);
        Assert.Equal("""["xdt1","xdt2"]""", tasks[4]["inputData"]!["joinOn"]!.ToJsonString());
        Assert.Equal(joinTaskId, S(tasks[4]["taskId"]));

        await PollAndCompleteWithInputAsync(spec, "integration_task_2", "k1", "v1", new JsonObject { ["ok1"] = "ov1" });
        await PollAndCompleteWithInputAsync(spec, "integration_task_3", "k2", "v2", new JsonObject { ["ok1"] = "ov1" });

        run = await spec.WaitForAsync(id, r => Tasks(r).Count == 8);
        Assert.Equal("RUNNING", S(run["status"]));
        tasks = Tasks(run);
        Assert.Equal("COMPLETED", S(tasks[4]["status"]));
        Assert.Equal("ov1", S(tasks[4]["outputData"]!["xdt1"]!["ok1"]));
        Assert.Equal("ov1", S(tasks[4]["outputData"]!["xdt2"]!["ok1"]));
        Assert.Equal(["COMPLETED", "COMPLETED", "SCHEDULED"], Statuses(run)[5..]);
        Assert.Equal("integration_task_4", spec.Types(run)[7]);

        await spec.PollAndCompleteAsync("integration_task_4");
        run = await spec.WaitForStatusAsync(id, "COMPLETED");
        Assert.Equal(8, Tasks(run).Count);
        Assert.Equal("COMPLETED", S(Tasks(run)[7]["status"]));
    }

    [Fact]
    public async Task Retry_a_failed_dynamic_fork_join_workflow_with_forked_subworkflow()
    {
        var spec = await SetupAsync();
        await spec.RegisterTaskDefAsync("integration_task_2", retryCount: 0);
        var subWorkflowTask = new JsonObject
        {
            ["name"] = "sub_wf_task",
            ["taskReferenceName"] = "xdt1",
            ["type"] = "SUB_WORKFLOW",
            ["subWorkflowParam"] = new JsonObject { ["name"] = spec.N("integration_test_wf3"), ["version"] = 1 },
        };
        var id = await StartAndForkAsync(spec, [subWorkflowTask, Simple(spec, "integration_task_10", "xdt10")],
            new JsonObject { ["xdt1"] = new JsonObject { ["p1"] = "q1", ["p2"] = "q2" }, ["xdt10"] = new JsonObject { ["k2"] = "v2" } });

        var run = await spec.WaitForAsync(id, r => Tasks(r).Count == 5 && S(Tasks(r)[2]["status"]) == "IN_PROGRESS");
        Assert.Equal(["integration_task_1", "FORK", "SUB_WORKFLOW", "integration_task_10", "JOIN"], spec.Types(run));
        Assert.Equal(["COMPLETED", "COMPLETED", "IN_PROGRESS", "SCHEDULED", "IN_PROGRESS"], Statuses(run));
        var subWorkflowId = S(Tasks(run)[2]["subWorkflowId"]);
        var sub = await spec.WaitForAsync(subWorkflowId, r => Tasks(r).Count == 1);
        Assert.Equal("RUNNING", S(sub["status"]));
        Assert.Equal(["integration_task_1"], spec.Types(sub));

        await spec.PollAndCompleteAsync("integration_task_10");
        run = await spec.WaitForAsync(id, r => S(Tasks(r)[3]["status"]) == "COMPLETED");
        Assert.Equal(["COMPLETED", "COMPLETED", "IN_PROGRESS", "COMPLETED", "IN_PROGRESS"], Statuses(run));

        await spec.PollAndCompleteAsync("integration_task_1");
        sub = await spec.WaitForAsync(subWorkflowId, r => Tasks(r).Count == 2);
        Assert.Equal(["integration_task_1", "integration_task_2"], spec.Types(sub));
        Assert.Equal(["COMPLETED", "SCHEDULED"], Statuses(sub));

        await spec.PollAndFailAsync("integration_task_2", "failure");
        sub = await spec.WaitForStatusAsync(subWorkflowId, "FAILED");
        Assert.Equal(["COMPLETED", "FAILED"], Statuses(sub));
        run = await spec.WaitForStatusAsync(id, "FAILED");
        Assert.Equal(["integration_task_1", "FORK", "SUB_WORKFLOW", "integration_task_10", "JOIN"], spec.Types(run));
        Assert.Equal(["COMPLETED", "COMPLETED", "FAILED", "COMPLETED", "CANCELED"], Statuses(run));

        (await spec.Client.PostAsync($"/api/workflow/{id}/retry?resumeSubworkflowTasks=true")).ShouldBe(HttpStatusCode.OK);

        run = await spec.GetAsync(id);
        Assert.Equal("RUNNING", S(run["status"]));
        Assert.Equal(["COMPLETED", "COMPLETED", "IN_PROGRESS", "COMPLETED", "IN_PROGRESS"], Statuses(run));
        sub = await spec.GetAsync(subWorkflowId);
        Assert.Equal("RUNNING", S(sub["status"]));
        Assert.Equal(["integration_task_1", "integration_task_2", "integration_task_2"], spec.Types(sub));
        Assert.Equal(["COMPLETED", "FAILED", "SCHEDULED"], Statuses(sub));

        await spec.PollAndCompleteAsync("integration_task_2");
        sub = await spec.WaitForAsync(subWorkflowId, r => Tasks(r).Count == 4);
        Assert.Equal(["integration_task_1", "integration_task_2", "integration_task_2", "integration_task_3"], spec.Types(sub));
        Assert.Equal(["COMPLETED", "FAILED", "COMPLETED", "SCHEDULED"], Statuses(sub));

        await spec.PollAndCompleteAsync("integration_task_3");
        sub = await spec.WaitForStatusAsync(subWorkflowId, "COMPLETED");
        Assert.Equal(["COMPLETED", "FAILED", "COMPLETED", "COMPLETED"], Statuses(sub));
        run = await spec.WaitForAsync(id, r => Tasks(r).Count == 6);
        Assert.Equal("RUNNING", S(run["status"]));
        Assert.Equal(["integration_task_1", "FORK", "SUB_WORKFLOW", "integration_task_10", "JOIN", "integration_task_4"], spec.Types(run));
        Assert.Equal(["COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED", "SCHEDULED"], Statuses(run));

        await spec.PollAndCompleteAsync("integration_task_4");
        run = await spec.WaitForStatusAsync(id, "COMPLETED");
        Assert.Equal(6, Tasks(run).Count);
        Assert.All(Statuses(run), s => Assert.Equal("COMPLETED", s));
    }

    [Fact]
    public async Task Test_dynamic_fork_join_empty_output()
    {
        var spec = await SetupAsync();
        var id = await StartAndForkTwoAsync(spec);
        await AssertForkedAsync(spec, id);

        await PollAndCompleteWithInputAsync(spec, "integration_task_2", "k1", "v1", null);
        await PollAndCompleteWithInputAsync(spec, "integration_task_3", "k2", "v2", null);

        var run = await spec.WaitForAsync(id, r => Tasks(r).Count == 6);
        Assert.Equal("RUNNING", S(run["status"]));
        var tasks = Tasks(run);
        Assert.Equal(["COMPLETED", "COMPLETED", "COMPLETED", "SCHEDULED"], Statuses(run)[2..]);
        Assert.Equal("""["xdt1","xdt2"]""", tasks[4]["inputData"]!["joinOn"]!.ToJsonString());
        Assert.Empty(tasks[4]["outputData"]!.AsObject());
        Assert.Equal("integration_task_4", spec.Types(run)[5]);

        await spec.PollAndCompleteAsync("integration_task_4");
        run = await spec.WaitForStatusAsync(id, "COMPLETED");
        Assert.Equal(6, Tasks(run).Count);
    }

    [Fact]
    public async Task Test_dynamic_fork_join_fail_when_task_input_is_invalid()
    {
        var spec = await SetupAsync();
        var id = await StartAndForkAsync(spec, [Simple(spec, "integration_task_2", "xdt1"), Simple(spec, "integration_task_3", "xdt2")],
            new JsonObject { ["xdt1"] = "v1", ["xdt2"] = "v2" });

        var run = await spec.WaitForStatusAsync(id, "FAILED", "COMPLETED");
        Assert.Equal("FAILED", S(run["status"]));
        // Conductor's mapper throws before the fork is recorded (one task); Baton records the fork that could not fork,
        // with the reason (docs/conductor-compat.md). Nothing was forked either way.
        Assert.Equal(["integration_task_1", "FORK"], spec.Types(run));
        Assert.Equal(["COMPLETED", "FAILED_WITH_TERMINAL_ERROR"], Statuses(run));
        Assert.Contains("could not fork", S(Tasks(run)[1]["reasonForIncompletion"]), StringComparison.Ordinal);
    }

    /// <summary>The spec's inline definition has no JOIN after the fork, which Baton refuses (400 naming the path); here it has one.</summary>
    [Fact]
    public async Task Test_dynamic_fork_join_return_failed_workflow_when_start_with_invalid_input()
    {
        var spec = new SpecRun(fixture.Client);
        await spec.RegisterTaskDefAsync("integration_task_2", retryCount: 1);
        await spec.RegisterTaskDefAsync("integration_task_3", retryCount: 1);
        var def = new JsonObject
        {
            ["name"] = spec.N("DynamicForkJoinStartTest"),
            ["version"] = 1,
            ["ownerEmail"] = "test@harness.com",
            ["tasks"] = new JsonArray(new JsonObject
            {
                ["name"] = "dynamicfanouttask",
                ["taskReferenceName"] = "dynamicfanouttask",
                ["type"] = "FORK_JOIN_DYNAMIC",
                ["inputParameters"] = new JsonObject { ["dynamicTasks"] = "${workflow.input.dynamicTasks}", ["dynamicTasksInput"] = "${workflow.input.dynamicTasksInput}" },
                ["dynamicForkTasksParam"] = "dynamicTasks",
                ["dynamicForkTasksInputParamName"] = "dynamicTasksInput",
            }, new JsonObject { ["name"] = "join", ["taskReferenceName"] = "dynamicfanouttask_join", ["type"] = "JOIN" }),
        };
        var input = new JsonObject
        {
            ["dynamicTasks"] = new JsonArray(Simple(spec, "integration_task_2", "xdt1"), Simple(spec, "integration_task_3", "xdt2")),
            ["dynamicTasksInput"] = new JsonObject { ["xdt1"] = "v1", ["xdt2"] = "v2" },
        };

        var reply = await spec.Client.PostAsync("/api/workflow", new JsonObject { ["name"] = S(def["name"]), ["version"] = 1, ["input"] = input, ["workflowDef"] = def });
        reply.ShouldBe(HttpStatusCode.OK);

        var run = await spec.WaitForStatusAsync(reply.Text, "FAILED", "COMPLETED");
        Assert.Equal("FAILED", S(run["status"]));
        // Conductor records no task; Baton records the fork that could not fork (docs/conductor-compat.md).
        Assert.Equal(["FORK"], spec.Types(run));
        Assert.Equal(["FAILED_WITH_TERMINAL_ERROR"], Statuses(run));
    }
}
