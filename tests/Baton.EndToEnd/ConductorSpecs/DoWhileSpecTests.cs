// Translated from Conductor OSS's DoWhileSpec.groovy (test-harness, Apache-2.0, Copyright Conductor Authors).
using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;
using static Baton.EndToEnd.ConductorSpecs.SpecRun;

namespace Baton.EndToEnd.ConductorSpecs;

[Collection(SharedServer.Name)]
public sealed class DoWhileSpecTests(ServerFixture fixture)
{
    private const string C = "COMPLETED", Sch = "SCHEDULED", Ip = "IN_PROGRESS", F = "FAILED", X = "CANCELED";

    private async Task<SpecRun> SetupAsync()
    {
        var spec = new SpecRun(fixture.Client);
        await spec.RegisterAsync("do_while_integration_test.json", "do_while_multiple_integration_test.json", "do_while_as_subtask_integration_test.json",
            "simple_one_task_sub_workflow_integration_test.json", "do_while_iteration_fix_test.json", "do_while_sub_workflow_integration_test.json",
            "do_while_five_loop_over_integration_test.json", "do_while_system_tasks.json", "do_while_with_decision_task.json",
            "do_while_set_variable_fix.json", "do_while_high_iteration_test.json");
        return spec;
    }

    private static Task<JsonObject> CountAsync(SpecRun spec, string id, int count) => spec.WaitForAsync(id, r => Tasks(r).Count == count);

    /// <summary>pollAndCompleteTask then verifyTaskIteration: the polled task is iteration <paramref name="iteration"/> and named so.</summary>
    private static async Task PollInIterationAsync(SpecRun spec, string type, int iteration, string status = C)
    {
        var task = await spec.Client.PollTaskAsync(spec.N(type));
        Assert.EndsWith($"__{iteration}", S(task["referenceTaskName"]), StringComparison.Ordinal);
        Assert.Equal(iteration, task["iteration"]!.GetValue<int>());
        await spec.Client.CompleteTaskAsync(task, status: status, reason: status == F ? "induced..failure" : null);
    }

    private static void Iterations(JsonObject run, params (int Index, int Iteration)[] expected) =>
        Assert.All(expected, e => Assert.Equal(e.Iteration, Tasks(run)[e.Index]["iteration"]!.GetValue<int>()));

    [Fact]
    public async Task Test_workflow_with_2_iterations_of_five_tasks()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("do_while_five_loop_over_integration_test", new JsonObject { ["loop"] = 2 }, "looptest");
        var run = await CountAsync(spec, id, 4);
        spec.Expect(run, ("DO_WHILE", Ip), ("LAMBDA", C), ("JSON_JQ_TRANSFORM", C), ("integration_task_1", Sch));
        Iterations(run, (1, 1), (2, 1), (3, 1));
        await PollInIterationAsync(spec, "integration_task_1", 1);
        spec.Expect(await CountAsync(spec, id, 6), ("DO_WHILE", Ip), ("LAMBDA", C), ("JSON_JQ_TRANSFORM", C), ("integration_task_1", C), ("JSON_JQ_TRANSFORM", C), ("integration_task_2", Sch));
        await PollInIterationAsync(spec, "integration_task_2", 1);
        run = await CountAsync(spec, id, 9);
        spec.Expect(run, ("DO_WHILE", Ip), ("LAMBDA", C), ("JSON_JQ_TRANSFORM", C), ("integration_task_1", C), ("JSON_JQ_TRANSFORM", C), ("integration_task_2", C),
            ("LAMBDA", C), ("JSON_JQ_TRANSFORM", C), ("integration_task_1", Sch));
        Iterations(run, (6, 2), (7, 2), (8, 2));
        await PollInIterationAsync(spec, "integration_task_1", 2);
        await PollInIterationAsync(spec, "integration_task_2", 2);
        run = await CountAsync(spec, id, 12);
        Assert.Equal("RUNNING", S(run["status"]));
        spec.Expect(run, ("DO_WHILE", C), ("LAMBDA", C), ("JSON_JQ_TRANSFORM", C), ("integration_task_1", C), ("JSON_JQ_TRANSFORM", C), ("integration_task_2", C),
            ("LAMBDA", C), ("JSON_JQ_TRANSFORM", C), ("integration_task_1", C), ("JSON_JQ_TRANSFORM", C), ("integration_task_2", C), ("integration_task_3", Sch));
        Iterations(run, (8, 2), (9, 2), (10, 2), (11, 0));

        await spec.PollAndCompleteAsync("integration_task_3");
        run = await spec.WaitForStatusAsync(id, C);
        Assert.Equal(12, Tasks(run).Count);
        Iterations(run, (11, 0));
    }

    [Fact]
    public async Task Test_workflow_with_2_iterations_of_3_system_tasks()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("do_while_system_tasks", new JsonObject { ["loop"] = 2 }, "looptest");
        var run = await CountAsync(spec, id, 8);
        Assert.Equal("RUNNING", S(run["status"]));
        spec.Expect(run, ("DO_WHILE", C), ("LAMBDA", C), ("JSON_JQ_TRANSFORM", C), ("JSON_JQ_TRANSFORM", C), ("LAMBDA", C), ("JSON_JQ_TRANSFORM", C), ("JSON_JQ_TRANSFORM", C),
            ("integration_task_1", Sch));
        Iterations(run, (1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 2), (7, 0));
        await spec.PollAndCompleteAsync("integration_task_1");
        run = await spec.WaitForStatusAsync(id, C);
        Assert.Equal(8, Tasks(run).Count);
    }

    private static async Task<JsonObject> FirstIterationForkAsync(SpecRun spec, string id, int count)
    {
        var run = await CountAsync(spec, id, count);
        Assert.Equal("RUNNING", S(run["status"]));
        return run;
    }

    [Fact]
    public async Task Test_workflow_with_a_single_iteration_Do_While_task()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("Do_While_Workflow", new JsonObject { ["loop"] = 1 }, "looptest");
        spec.Expect(await CountAsync(spec, id, 2), ("DO_WHILE", Ip), ("integration_task_0", Sch));
        await PollInIterationAsync(spec, "integration_task_0", 1);
        spec.Expect(await FirstIterationForkAsync(spec, id, 6), ("DO_WHILE", Ip), ("integration_task_0", C), ("FORK", C), ("integration_task_1", Sch), ("integration_task_2", Sch), ("JOIN", Ip));
        await PollInIterationAsync(spec, "integration_task_1", 1);
        spec.Expect(await spec.WaitForAsync(id, r => S(Tasks(r)[3]["status"]) == C), ("DO_WHILE", Ip), ("integration_task_0", C), ("FORK", C), ("integration_task_1", C), ("integration_task_2", Sch), ("JOIN", Ip));
        await PollInIterationAsync(spec, "integration_task_2", 1);
        var run = await spec.WaitForStatusAsync(id, C);
        spec.Expect(run, ("DO_WHILE", C), ("integration_task_0", C), ("FORK", C), ("integration_task_1", C), ("integration_task_2", C), ("JOIN", C));
        Assert.NotNull(Task(run, "join__1"));
    }

    [Fact]
    public async Task Test_workflow_with_a_single_iteration_Do_While_task_with_Sub_workflow()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("Do_While_Sub_Workflow", new JsonObject { ["loop"] = 1 }, "looptest");
        spec.Expect(await CountAsync(spec, id, 2), ("DO_WHILE", Ip), ("integration_task_0", Sch));
        await PollInIterationAsync(spec, "integration_task_0", 1);
        spec.Expect(await FirstIterationForkAsync(spec, id, 6), ("DO_WHILE", Ip), ("integration_task_0", C), ("FORK", C), ("integration_task_1", Sch), ("integration_task_2", Sch), ("JOIN", Ip));
        await PollInIterationAsync(spec, "integration_task_1", 1);
        await PollInIterationAsync(spec, "integration_task_2", 1);
        var run = await spec.WaitForAsync(id, r => Tasks(r).Count == 7 && S(Tasks(r)[6]["status"]) == Ip);
        spec.Expect(run, ("DO_WHILE", Ip), ("integration_task_0", C), ("FORK", C), ("integration_task_1", C), ("integration_task_2", C), ("JOIN", C), ("SUB_WORKFLOW", Ip));
        var subWorkflowId = S(Task(run, "st1__1")["subWorkflowId"]);
        var sub = await spec.WaitForAsync(subWorkflowId, r => Tasks(r).Count == 1);
        Assert.Equal("RUNNING", S(sub["status"]));
        spec.Expect(sub, ("simple_task_in_sub_wf", Sch));

        await spec.PollAndCompleteAsync("simple_task_in_sub_wf");
        spec.Expect(await spec.WaitForStatusAsync(subWorkflowId, C), ("simple_task_in_sub_wf", C));
        run = await spec.WaitForStatusAsync(id, C);
        spec.Expect(run, ("DO_WHILE", C), ("integration_task_0", C), ("FORK", C), ("integration_task_1", C), ("integration_task_2", C), ("JOIN", C), ("SUB_WORKFLOW", C));
    }

    [Fact]
    public async Task Test_workflow_with_multiple_Do_While_tasks_with_multiple_iterations()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("Do_While_Multiple", new JsonObject { ["loop"] = 2, ["loop2"] = 1 }, "looptest");
        spec.Expect(await CountAsync(spec, id, 2), ("DO_WHILE", Ip), ("integration_task_0", Sch));
        await PollInIterationAsync(spec, "integration_task_0", 1);
        spec.Expect(await FirstIterationForkAsync(spec, id, 6), ("DO_WHILE", Ip), ("integration_task_0", C), ("FORK", C), ("integration_task_1", Sch), ("integration_task_2", Sch), ("JOIN", Ip));
        await PollInIterationAsync(spec, "integration_task_1", 1);
        await PollInIterationAsync(spec, "integration_task_2", 1);
        spec.Expect(await CountAsync(spec, id, 7), ("DO_WHILE", Ip), ("integration_task_0", C), ("FORK", C), ("integration_task_1", C), ("integration_task_2", C), ("JOIN", C), ("integration_task_0", Sch));
        await PollInIterationAsync(spec, "integration_task_0", 2);
        spec.Expect(await CountAsync(spec, id, 11), ("DO_WHILE", Ip), ("integration_task_0", C), ("FORK", C), ("integration_task_1", C), ("integration_task_2", C), ("JOIN", C),
            ("integration_task_0", C), ("FORK", C), ("integration_task_1", Sch), ("integration_task_2", Sch), ("JOIN", Ip));
        await PollInIterationAsync(spec, "integration_task_1", 2);
        await PollInIterationAsync(spec, "integration_task_2", 2);
        var run = await CountAsync(spec, id, 13);
        spec.Expect(run, ("DO_WHILE", C), ("integration_task_0", C), ("FORK", C), ("integration_task_1", C), ("integration_task_2", C), ("JOIN", C),
            ("integration_task_0", C), ("FORK", C), ("integration_task_1", C), ("integration_task_2", C), ("JOIN", C), ("DO_WHILE", Ip), ("integration_task_3", Sch));
        Assert.NotNull(Task(run, "join__2"));
        await PollInIterationAsync(spec, "integration_task_3", 1);
        run = await spec.WaitForStatusAsync(id, C);
        Assert.Equal(13, Tasks(run).Count);
        Assert.All(Statuses(run), s => Assert.Equal(C, s));
    }

    [Fact]
    public async Task Test_retrying_a_failed_do_while_workflow()
    {
        var spec = await SetupAsync();
        await spec.RegisterTaskDefAsync("integration_task_0", retryCount: 0);
        var id = await spec.StartAsync("Do_While_Workflow", new JsonObject { ["loop"] = 1 }, "looptest");
        spec.Expect(await CountAsync(spec, id, 2), ("DO_WHILE", Ip), ("integration_task_0", Sch));
        await PollInIterationAsync(spec, "integration_task_0", 1, F);
        spec.Expect(await spec.WaitForStatusAsync(id, F), ("DO_WHILE", X), ("integration_task_0", F));

        (await spec.Client.PostAsync($"/api/workflow/{id}/retry")).ShouldBe(HttpStatusCode.OK);

        var run = await spec.GetAsync(id);
        Assert.Equal("RUNNING", S(run["status"]));
        spec.Expect(run, ("DO_WHILE", Ip), ("integration_task_0", F), ("integration_task_0", Sch));
        await PollInIterationAsync(spec, "integration_task_0", 1);
        spec.Expect(await CountAsync(spec, id, 7), ("DO_WHILE", Ip), ("integration_task_0", F), ("integration_task_0", C), ("FORK", C), ("integration_task_1", Sch), ("integration_task_2", Sch), ("JOIN", Ip));
        await PollInIterationAsync(spec, "integration_task_1", 1);
        await PollInIterationAsync(spec, "integration_task_2", 1);
        spec.Expect(await spec.WaitForStatusAsync(id, C), ("DO_WHILE", C), ("integration_task_0", F), ("integration_task_0", C), ("FORK", C), ("integration_task_1", C), ("integration_task_2", C), ("JOIN", C));
    }

    [Fact]
    public async Task Test_auto_retrying_a_failed_do_while_workflow()
    {
        var spec = await SetupAsync();
        await spec.RegisterTaskDefAsync("integration_task_0", retryCount: 1, retryDelaySeconds: 0);
        var id = await spec.StartAsync("Do_While_Workflow", new JsonObject { ["loop"] = 1 }, "looptest");
        spec.Expect(await CountAsync(spec, id, 2), ("DO_WHILE", Ip), ("integration_task_0", Sch));
        await PollInIterationAsync(spec, "integration_task_0", 1, F);
        var run = await CountAsync(spec, id, 3);
        Assert.Equal("RUNNING", S(run["status"]));
        spec.Expect(run, ("DO_WHILE", Ip), ("integration_task_0", F), ("integration_task_0", Sch));
        Assert.True(Tasks(run)[1]["retried"]!.GetValue<bool>());
        Assert.Equal(1, Tasks(run)[2]["retryCount"]!.GetValue<int>());
        Assert.Equal(S(Tasks(run)[1]["taskId"]), S(Tasks(run)[2]["retriedTaskId"]));
        await PollInIterationAsync(spec, "integration_task_0", 1);
        spec.Expect(await CountAsync(spec, id, 7), ("DO_WHILE", Ip), ("integration_task_0", F), ("integration_task_0", C), ("FORK", C), ("integration_task_1", Sch), ("integration_task_2", Sch), ("JOIN", Ip));
        await PollInIterationAsync(spec, "integration_task_1", 1);
        await PollInIterationAsync(spec, "integration_task_2", 1);
        spec.Expect(await spec.WaitForStatusAsync(id, C), ("DO_WHILE", C), ("integration_task_0", F), ("integration_task_0", C), ("FORK", C), ("integration_task_1", C), ("integration_task_2", C), ("JOIN", C));
    }

    [Fact]
    public async Task Test_workflow_with_a_iteration_Do_While_task_as_subtask_of_a_forkjoin_task()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("Do_While_SubTask", new JsonObject { ["loop"] = 1 }, "looptest");
        spec.Expect(await CountAsync(spec, id, 5), ("FORK", C), ("DO_WHILE", Ip), ("integration_task_2", Sch), ("JOIN", Ip), ("integration_task_0", Sch));
        await PollInIterationAsync(spec, "integration_task_0", 1);
        spec.Expect(await CountAsync(spec, id, 6), ("FORK", C), ("DO_WHILE", Ip), ("integration_task_2", Sch), ("JOIN", Ip), ("integration_task_0", C), ("integration_task_1", Sch));
        await PollInIterationAsync(spec, "integration_task_1", 1);
        spec.Expect(await spec.WaitForAsync(id, r => S(Tasks(r)[1]["status"]) == C), ("FORK", C), ("DO_WHILE", C), ("integration_task_2", Sch), ("JOIN", Ip), ("integration_task_0", C), ("integration_task_1", C));
        await spec.PollAndCompleteAsync("integration_task_2");
        spec.Expect(await spec.WaitForStatusAsync(id, C), ("FORK", C), ("DO_WHILE", C), ("integration_task_2", C), ("JOIN", C), ("integration_task_0", C), ("integration_task_1", C));
    }

    [Fact]
    public async Task Test_workflow_with_Do_While_task_contains_loop_over_task_that_use_iteration_in_script_expression()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("Do_While_Workflow_Iteration_Fix", new JsonObject { ["loop"] = 2 }, "looptest");
        var run = await spec.WaitForStatusAsync(id, C, F);
        spec.Expect(run, ("DO_WHILE", C), ("LAMBDA", C), ("LAMBDA", C));
        Assert.Equal(0, Tasks(run)[1]["outputData"]!["result"]!.GetValue<int>());
        Assert.Equal(1, Tasks(run)[2]["outputData"]!["result"]!.GetValue<int>());
    }

    [Fact]
    public async Task Test_workflow_with_Do_While_task_contains_set_variable_task()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("do_while_Set_variable_fix", new JsonObject { ["value"] = 2 }, "looptest");
        var run = await spec.WaitForStatusAsync(id, C, F);
        spec.Expect(run, ("DO_WHILE", C), ("SET_VARIABLE", C));
        Assert.Equal("0", S(Tasks(run)[1]["inputData"]!["value"]));
    }

    [Fact]
    public async Task Test_workflow_with_Do_While_task_contains_decision_task()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("DO_While_with_Decision_task", new JsonObject { ["list"] = new JsonArray(1, 2) }, "looptest");
        var run = await spec.WaitForAsync(id, r => Tasks(r).Count == 4 && S(Tasks(r)[3]["status"]) == Ip);
        spec.Expect(run, ("DO_WHILE", Ip), ("INLINE", C), ("SWITCH", C), ("WAIT", Ip));
        (await spec.Client.PostAsync("/api/tasks", new JsonObject { ["workflowInstanceId"] = id, ["taskId"] = S(Tasks(run)[3]["taskId"]), ["status"] = C })).ShouldBe(HttpStatusCode.OK);

        run = await spec.WaitForAsync(id, r => Tasks(r).Count == 8 && S(Tasks(r)[7]["status"]) == Ip);
        spec.Expect(run, ("DO_WHILE", Ip), ("INLINE", C), ("SWITCH", C), ("WAIT", C), ("INLINE", C), ("INLINE", C), ("SWITCH", C), ("WAIT", Ip));
        Assert.Equal(2, Tasks(run)[0]["iteration"]!.GetValue<int>());
        (await spec.Client.PostAsync("/api/tasks", new JsonObject { ["workflowInstanceId"] = id, ["taskId"] = S(Tasks(run)[7]["taskId"]), ["status"] = C })).ShouldBe(HttpStatusCode.OK);

        run = await spec.WaitForStatusAsync(id, C);
        spec.Expect(run, ("DO_WHILE", C), ("INLINE", C), ("SWITCH", C), ("WAIT", C), ("INLINE", C), ("INLINE", C), ("SWITCH", C), ("WAIT", C), ("INLINE", C));
        Assert.Equal(2, Tasks(run)[0]["iteration"]!.GetValue<int>());
    }

    [Fact]
    public async Task Test_DO_WHILE_with_500_LAMBDA_iterations_completes_without_StackOverflowError()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("do_while_high_iteration_test", new JsonObject { ["loop"] = 500 }, "overflow-regression");
        var run = await spec.WaitForStatusAsync(id, C, F);
        Assert.Equal(C, S(run["status"]));
        var tasks = Tasks(run);
        Assert.Equal(501, tasks.Count);
        Assert.Equal(("DO_WHILE", C, 500), (S(tasks[0]["taskType"]), S(tasks[0]["status"]), tasks[0]["iteration"]!.GetValue<int>()));
        Assert.Equal(("LAMBDA", C, 1), (S(tasks[1]["taskType"]), S(tasks[1]["status"]), tasks[1]["iteration"]!.GetValue<int>()));
        Assert.Equal(("LAMBDA", C, 500), (S(tasks[500]["taskType"]), S(tasks[500]["status"]), tasks[500]["iteration"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Test_DO_WHILE_iteration_counter_is_correct_at_500_iterations_issue_799()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("Do_While_Workflow_Iteration_Fix", new JsonObject { ["loop"] = 500 }, "iteration-count-regression");
        var run = await spec.WaitForStatusAsync(id, C, F);
        Assert.Equal(C, S(run["status"]));
        var tasks = Tasks(run);
        Assert.Equal(501, tasks.Count);
        Assert.Equal(500, tasks[0]["iteration"]!.GetValue<int>());
        Assert.Equal(0, tasks[1]["outputData"]!["result"]!.GetValue<int>());
        Assert.Equal(499, tasks[500]["outputData"]!["result"]!.GetValue<int>());
    }
}
