// Translated from Conductor OSS's ForkJoinSpec.groovy (test-harness, Apache-2.0, Copyright Conductor Authors).
using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;
using static Baton.EndToEnd.ConductorSpecs.SpecRun;

namespace Baton.EndToEnd.ConductorSpecs;

[Collection(SharedServer.Name)]
public sealed class ForkJoinSpecTests(ServerFixture fixture)
{
    private const string C = "COMPLETED", Sch = "SCHEDULED", Ip = "IN_PROGRESS", F = "FAILED", X = "CANCELED", Cwe = "COMPLETED_WITH_ERRORS";

    private async Task<SpecRun> SetupAsync()
    {
        var spec = new SpecRun(fixture.Client);
        await spec.RegisterAsync("fork_join_integration_test.json", "fork_join_with_no_task_retry_integration_test.json",
            "fork_join_with_no_permissive_task_retry_integration_test.json", "nested_fork_join_integration_test.json",
            "simple_workflow_1_integration_test.json", "nested_fork_join_with_sub_workflow_integration_test.json",
            "simple_one_task_sub_workflow_integration_test.json", "fork_join_with_optional_sub_workflow_forks_integration_test.json",
            "fork_join_sub_workflow.json", "fork_join_permissive_integration_test.json",
            "fork_join_with_permissive_sub_workflow_forks_integration_test.json");
        return spec;
    }

    private static Task<JsonObject> CountAsync(SpecRun spec, string id, int count) => spec.WaitForAsync(id, r => Tasks(r).Count == count);

    [Fact]
    public async Task Test_a_simple_workflow_with_fork_join_success_flow()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("FanInOutTest", correlationId: "fanoutTest");
        spec.Expect(await CountAsync(spec, id, 4), ("FORK", C), ("integration_task_1", Sch), ("integration_task_2", Sch), ("JOIN", Ip));

        await spec.PollAndCompleteAsync("integration_task_1");
        spec.Expect(await CountAsync(spec, id, 5), ("FORK", C), ("integration_task_1", C), ("integration_task_2", Sch), ("JOIN", Ip), ("integration_task_3", Sch));
        await spec.PollAndCompleteAsync("integration_task_3");
        var run = await spec.WaitForAsync(id, r => S(Tasks(r)[4]["status"]) == C);
        spec.Expect(run, ("FORK", C), ("integration_task_1", C), ("integration_task_2", Sch), ("JOIN", Ip), ("integration_task_3", C));
        await spec.PollAndCompleteAsync("integration_task_2");
        run = await CountAsync(spec, id, 6);
        Assert.Equal("RUNNING", S(run["status"]));
        spec.Expect(run, ("FORK", C), ("integration_task_1", C), ("integration_task_2", C), ("JOIN", C), ("integration_task_3", C), ("integration_task_4", Sch));

        await spec.PollAndCompleteAsync("integration_task_4");
        run = await spec.WaitForStatusAsync(id, C);
        Assert.Equal(6, Tasks(run).Count);
        Assert.Equal(C, S(Tasks(run)[5]["status"]));
    }

    [Fact]
    public async Task Test_a_simple_workflow_with_fork_join_failure_flow()
    {
        var spec = await SetupAsync();
        await spec.RegisterTaskDefAsync("integration_task_2", retryCount: 0);
        var id = await spec.StartAsync("FanInOutTest", correlationId: "fanoutTest");
        spec.Expect(await CountAsync(spec, id, 4), ("FORK", C), ("integration_task_1", Sch), ("integration_task_2", Sch), ("JOIN", Ip));
        await spec.PollAndCompleteAsync("integration_task_1");
        spec.Expect(await CountAsync(spec, id, 5), ("FORK", C), ("integration_task_1", C), ("integration_task_2", Sch), ("JOIN", Ip), ("integration_task_3", Sch));

        await spec.PollAndFailAsync("integration_task_2", "Failed....");

        var run = await spec.WaitForStatusAsync(id, F);
        spec.Expect(run, ("FORK", C), ("integration_task_1", C), ("integration_task_2", F), ("JOIN", X), ("integration_task_3", X));
    }

    [Fact]
    public async Task Test_a_simple_workflow_with_fork_join_permissive_failure_flow()
    {
        var spec = await SetupAsync();
        await spec.RegisterTaskDefAsync("integration_task_1", retryCount: 0);
        var id = await spec.StartAsync("FanInOutPermissiveTest", correlationId: "fanoutTest");
        var run = await CountAsync(spec, id, 4);
        spec.Expect(run, ("FORK", C), ("integration_task_1", Sch), ("integration_task_2", Sch), ("JOIN", Ip));
        Assert.True(Tasks(run)[1]["workflowTask"]!["permissive"]!.GetValue<bool>());
        Assert.True(Tasks(run)[2]["workflowTask"]!["permissive"]!.GetValue<bool>());

        await spec.PollAndFailAsync("integration_task_1", "Failed...");
        run = await spec.WaitForAsync(id, r => S(Tasks(r)[1]["status"]) == F);
        Assert.Equal("RUNNING", S(run["status"]));
        spec.Expect(run, ("FORK", C), ("integration_task_1", F), ("integration_task_2", Sch), ("JOIN", Ip));

        await spec.PollAndCompleteAsync("integration_task_2");
        run = await spec.WaitForStatusAsync(id, F);
        spec.Expect(run, ("FORK", C), ("integration_task_1", F), ("integration_task_2", C), ("JOIN", F));
    }

    [Fact]
    public async Task Test_retrying_a_failed_fork_join_workflow()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("FanInOutTest_2", correlationId: "fanoutTest");
        var run = await CountAsync(spec, id, 4);
        spec.Expect(run, ("FORK", C), ("integration_task_0_RT_1", Sch), ("integration_task_0_RT_2", Sch), ("JOIN", Ip));
        var joinId = S(Task(run, "fanouttask_join")["taskId"]);
        await spec.PollAndCompleteAsync("integration_task_0_RT_1");
        spec.Expect(await CountAsync(spec, id, 5), ("FORK", C), ("integration_task_0_RT_1", C), ("integration_task_0_RT_2", Sch), ("JOIN", Ip), ("integration_task_0_RT_3", Sch));
        await spec.PollAndFailAsync("integration_task_0_RT_2", "Failed....");
        run = await spec.WaitForStatusAsync(id, F);
        spec.Expect(run, ("FORK", C), ("integration_task_0_RT_1", C), ("integration_task_0_RT_2", F), ("JOIN", X), ("integration_task_0_RT_3", X));

        (await spec.Client.PostAsync($"/api/workflow/{id}/retry")).ShouldBe(HttpStatusCode.OK);

        run = await spec.GetAsync(id);
        Assert.Equal("RUNNING", S(run["status"]));
        spec.Expect(run, ("FORK", C), ("integration_task_0_RT_1", C), ("integration_task_0_RT_2", F), ("JOIN", Ip), ("integration_task_0_RT_3", X),
            ("integration_task_0_RT_2", Sch), ("integration_task_0_RT_3", Sch));
        Assert.Equal(joinId, S(Tasks(run)[3]["taskId"]));
        await spec.PollAndCompleteAsync("integration_task_0_RT_3");
        await spec.PollAndCompleteAsync("integration_task_0_RT_2");
        await spec.PollAndCompleteAsync("integration_task_0_RT_4");

        run = await spec.WaitForStatusAsync(id, C);
        spec.Expect(run, ("FORK", C), ("integration_task_0_RT_1", C), ("integration_task_0_RT_2", F), ("JOIN", C), ("integration_task_0_RT_3", X),
            ("integration_task_0_RT_2", C), ("integration_task_0_RT_3", C), ("integration_task_0_RT_4", C));
    }

    [Fact]
    public async Task Test_retrying_a_failed_permissive_fork_join_workflow()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("FanInOutPermissiveTest_2", correlationId: "fanoutTest");
        var run = await CountAsync(spec, id, 4);
        spec.Expect(run, ("FORK", C), ("integration_p_task_0_RT_1", Sch), ("integration_p_task_0_RT_2", Sch), ("JOIN", Ip));
        var joinId = S(Task(run, "fanouttask_join")["taskId"]);
        await spec.PollAndCompleteAsync("integration_p_task_0_RT_1");
        spec.Expect(await CountAsync(spec, id, 5), ("FORK", C), ("integration_p_task_0_RT_1", C), ("integration_p_task_0_RT_2", Sch), ("JOIN", Ip), ("integration_p_task_0_RT_3", Sch));
        await spec.PollAndFailAsync("integration_p_task_0_RT_2", "Failed....");
        run = await spec.WaitForAsync(id, r => S(Tasks(r)[2]["status"]) == F);
        Assert.Equal("RUNNING", S(run["status"]));
        spec.Expect(run, ("FORK", C), ("integration_p_task_0_RT_1", C), ("integration_p_task_0_RT_2", F), ("JOIN", Ip), ("integration_p_task_0_RT_3", Sch));
        await spec.PollAndFailAsync("integration_p_task_0_RT_3", "Failed....");
        run = await spec.WaitForStatusAsync(id, F);
        spec.Expect(run, ("FORK", C), ("integration_p_task_0_RT_1", C), ("integration_p_task_0_RT_2", F), ("JOIN", F), ("integration_p_task_0_RT_3", F));

        (await spec.Client.PostAsync($"/api/workflow/{id}/retry")).ShouldBe(HttpStatusCode.OK);

        run = await spec.GetAsync(id);
        Assert.Equal("RUNNING", S(run["status"]));
        spec.Expect(run, ("FORK", C), ("integration_p_task_0_RT_1", C), ("integration_p_task_0_RT_2", F), ("JOIN", Ip), ("integration_p_task_0_RT_3", F),
            ("integration_p_task_0_RT_2", Sch), ("integration_p_task_0_RT_3", Sch));
        Assert.Equal(joinId, S(Tasks(run)[3]["taskId"]));
        await spec.PollAndCompleteAsync("integration_p_task_0_RT_3");
        await spec.PollAndCompleteAsync("integration_p_task_0_RT_2");
        await spec.PollAndCompleteAsync("integration_p_task_0_RT_4");

        run = await spec.WaitForStatusAsync(id, C);
        spec.Expect(run, ("FORK", C), ("integration_p_task_0_RT_1", C), ("integration_p_task_0_RT_2", F), ("JOIN", C), ("integration_p_task_0_RT_3", F),
            ("integration_p_task_0_RT_2", C), ("integration_p_task_0_RT_3", C), ("integration_p_task_0_RT_4", C));
    }

    [Fact]
    public async Task Test_nested_fork_join_workflow_success_flow()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("FanInOutNestedTest", new JsonObject { ["case"] = "a" }, "fork_join_nested_test");
        var run = await CountAsync(spec, id, 7);
        Assert.Equal(5, Tasks(run).Count(t => S(t["referenceTaskName"]) is "t11" or "t12" or "t13" or "fork1" or "fork2"));
        Assert.DoesNotContain(Tasks(run), t => S(t["referenceTaskName"]) is "t1" or "t2" or "t16");
        spec.Expect(run, ("FORK", C), ("integration_task_11", Sch), ("FORK", C), ("integration_task_12", Sch), ("integration_task_13", Sch), ("JOIN", Ip), ("JOIN", Ip));
        Assert.Equal("""["t14","t20"]""", Tasks(run)[5]["inputData"]!["joinOn"]!.ToJsonString());
        Assert.Equal("""["t11","join2"]""", Tasks(run)[6]["inputData"]!["joinOn"]!.ToJsonString());

        await spec.PollAndCompleteAsync("integration_task_11");
        await spec.PollAndCompleteAsync("integration_task_12");
        await spec.PollAndCompleteAsync("integration_task_13");
        run = await CountAsync(spec, id, 10);
        spec.Expect(run, ("FORK", C), ("integration_task_11", C), ("FORK", C), ("integration_task_12", C), ("integration_task_13", C), ("JOIN", Ip), ("JOIN", Ip),
            ("integration_task_14", Sch), ("DECISION", C), ("integration_task_16", Sch));

        await spec.PollAndCompleteAsync("integration_task_16");
        await spec.PollAndCompleteAsync("integration_task_14");
        run = await CountAsync(spec, id, 11);
        Assert.Equal(("integration_task_19", Sch), (spec.Plain(S(Tasks(run)[10]["taskType"])), S(Tasks(run)[10]["status"])));
        Assert.Equal([Ip, Ip, C, C, C], Statuses(run)[5..10]);
        await spec.PollAndCompleteAsync("integration_task_19");
        run = await CountAsync(spec, id, 12);
        Assert.Equal(("integration_task_20", Sch), (spec.Plain(S(Tasks(run)[11]["taskType"])), S(Tasks(run)[11]["status"])));
        await spec.PollAndCompleteAsync("integration_task_20");
        run = await CountAsync(spec, id, 13);
        Assert.Equal("RUNNING", S(run["status"]));
        Assert.Equal([C, C], Statuses(run)[5..7]);
        Assert.Equal(("integration_task_15", Sch), (spec.Plain(S(Tasks(run)[12]["taskType"])), S(Tasks(run)[12]["status"])));

        await spec.PollAndCompleteAsync("integration_task_15");
        run = await spec.WaitForStatusAsync(id, C);
        Assert.Equal(13, Tasks(run).Count);
    }

    [Fact]
    public async Task Test_nested_workflow_which_contains_a_sub_workflow_task()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("FanInOutNestedSubWorkflowTest", new JsonObject { ["case"] = "a" }, "fork_join_nested_test");
        var run = await spec.WaitForAsync(id, r => Tasks(r).Count == 8 && S(Tasks(r)[6]["status"]) == Ip);
        Assert.Equal(6, Tasks(run).Count(t => S(t["referenceTaskName"]) is "t11" or "t12" or "t13" or "fork1" or "fork2" or "sw1"));
        spec.Expect(run, ("FORK", C), ("integration_task_11", Sch), ("FORK", C), ("integration_task_12", Sch), ("integration_task_13", Sch), ("JOIN", Ip),
            ("SUB_WORKFLOW", Ip), ("JOIN", Ip));
        Assert.Equal("""["t11","join2","sw1"]""", Tasks(run)[7]["inputData"]!["joinOn"]!.ToJsonString());

        // The child's integration_task_1 shares the queue with nothing else in this test, so it may be polled now.
        await spec.PollAndCompleteAsync("integration_task_11");
        await spec.PollAndCompleteAsync("integration_task_12");
        await spec.PollAndCompleteAsync("integration_task_13");
        run = await CountAsync(spec, id, 11);
        Assert.Equal(["integration_task_14", "DECISION", "integration_task_16"], spec.Types(run)[8..]);
        await spec.PollAndCompleteAsync("integration_task_16");
        await spec.PollAndCompleteAsync("integration_task_14");
        run = await CountAsync(spec, id, 12);
        Assert.Equal(("integration_task_19", Sch), (spec.Plain(S(Tasks(run)[11]["taskType"])), S(Tasks(run)[11]["status"])));
        var subWorkflowId = S(Task(run, "sw1")["subWorkflowId"]);
        var sub = await spec.GetAsync(subWorkflowId);
        Assert.Equal("RUNNING", S(sub["status"]));
        spec.Expect(sub, ("integration_task_1", Sch));

        await spec.PollAndCompleteAsync("integration_task_1");
        await spec.PollAndCompleteAsync("integration_task_2");
        sub = await spec.WaitForStatusAsync(subWorkflowId, C);
        spec.Expect(sub, ("integration_task_1", C), ("integration_task_2", C));
        run = await spec.WaitForAsync(id, r => S(Tasks(r)[6]["status"]) == C);
        Assert.Equal([Ip, C, Ip], Statuses(run)[5..8]);

        await spec.PollAndCompleteAsync("integration_task_19");
        await spec.PollAndCompleteAsync("integration_task_20");
        run = await CountAsync(spec, id, 14);
        Assert.Equal([C, C], [S(Tasks(run)[5]["status"]), S(Tasks(run)[7]["status"])]);
        Assert.Equal(("integration_task_15", Sch), (spec.Plain(S(Tasks(run)[13]["taskType"])), S(Tasks(run)[13]["status"])));
        await spec.PollAndCompleteAsync("integration_task_15");
        run = await spec.WaitForStatusAsync(id, C);
        Assert.Equal(14, Tasks(run).Count);
    }

    [Fact]
    public async Task Test_fork_join_with_sub_workflows_containing_optional_tasks()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("integration_test_fork_join_optional_sw", new JsonObject { ["param1"] = "p1 value", ["param2"] = "p2 value" });
        var run = await spec.WaitForAsync(id, r => Tasks(r).Count == 4 && Tasks(r).Skip(1).Take(2).All(t => S(t["status"]) == Ip));
        spec.Expect(run, ("FORK", C), ("SUB_WORKFLOW", Ip), ("SUB_WORKFLOW", Ip), ("JOIN", Ip));
        Assert.Equal("""["st1","st2"]""", Tasks(run)[3]["inputData"]!["joinOn"]!.ToJsonString());
        var sub1 = S(Task(run, "st1")["subWorkflowId"]);
        var sub2 = S(Task(run, "st2")["subWorkflowId"]);
        foreach (var sub in new[] { sub1, sub2 })
        {
            var child = await spec.WaitForAsync(sub, r => Tasks(r).Count == 1);
            Assert.Equal("RUNNING", S(child["status"]));
            spec.Expect(child, ("simple_task_in_sub_wf", Sch));
        }

        await spec.PollAndFailAsync("simple_task_in_sub_wf", "Failed....");
        await spec.PollAndFailAsync("simple_task_in_sub_wf", "Failed....");
        foreach (var sub in new[] { sub1, sub2 }) spec.Expect(await spec.WaitForStatusAsync(sub, F), ("simple_task_in_sub_wf", F));
        run = await spec.WaitForStatusAsync(id, C);
        spec.Expect(run, ("FORK", C), ("SUB_WORKFLOW", Cwe), ("SUB_WORKFLOW", Cwe), ("JOIN", Cwe));

        (await spec.Client.PostAsync($"/api/workflow/{sub1}/rerun", new JsonObject { ["reRunFromWorkflowId"] = sub1 })).ShouldBe(HttpStatusCode.OK);

        var rerun = await spec.GetAsync(sub1);
        Assert.Equal("RUNNING", S(rerun["status"]));
        spec.Expect(rerun, ("simple_task_in_sub_wf", Sch));
        run = await spec.GetAsync(id);
        Assert.Equal(C, S(run["status"]));
        spec.Expect(run, ("FORK", C), ("SUB_WORKFLOW", Cwe), ("SUB_WORKFLOW", Cwe), ("JOIN", Cwe));
    }

    [Fact]
    public async Task Test_fork_join_with_permissive_sub_workflow_forks_terminated_by_the_user()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("integration_test_fork_join_permissive_sw", new JsonObject { ["param1"] = "p1 value", ["param2"] = "p2 value" });
        var run = await spec.WaitForAsync(id, r => Tasks(r).Count == 4 && Tasks(r).Skip(1).Take(2).All(t => S(t["status"]) == Ip));
        spec.Expect(run, ("FORK", C), ("SUB_WORKFLOW", Ip), ("SUB_WORKFLOW", Ip), ("JOIN", Ip));
        var sub1 = S(Task(run, "st1")["subWorkflowId"]);
        var sub2 = S(Task(run, "st2")["subWorkflowId"]);
        foreach (var sub in new[] { sub1, sub2 }) Assert.Equal("RUNNING", S((await spec.GetAsync(sub))["status"]));

        foreach (var sub in new[] { sub1, sub2 })
        {
            (await spec.Client.DeleteAsync($"/api/workflow/{sub}?reason={Uri.EscapeDataString("terminated by the user")}")).ShouldBe(HttpStatusCode.OK);
            Assert.Equal("TERMINATED", S((await spec.GetAsync(sub))["status"]));
        }

        run = await spec.WaitForStatusAsync(id, "TERMINATED");
        spec.Expect(run, ("FORK", C), ("SUB_WORKFLOW", X), ("SUB_WORKFLOW", X), ("JOIN", X));
    }

    [Fact]
    public async Task Test_fork_join_with_sub_workflow_task_using_task_definition()
    {
        var spec = await SetupAsync();
        // The harness's sub_workflow_task definition: one retry, no delay.
        (await spec.Client.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject
        {
            ["name"] = "sub_workflow_task",
            ["retryCount"] = 1,
            ["retryDelaySeconds"] = 0,
            ["responseTimeoutSeconds"] = 5,
            ["ownerEmail"] = "test@harness.com",
        }))).ShouldBe(HttpStatusCode.OK);
        var id = await spec.StartAsync("integration_test_fork_join_sw", new JsonObject { ["param1"] = "p1 value", ["param2"] = "p2 value" });
        var run = await spec.WaitForAsync(id, r => Tasks(r).Count == 4 && S(Tasks(r)[1]["status"]) == Ip);
        spec.Expect(run, ("FORK", C), ("SUB_WORKFLOW", Ip), ("integration_task_2", Sch), ("JOIN", Ip));
        Assert.Equal("""["st1","t2"]""", Tasks(run)[3]["inputData"]!["joinOn"]!.ToJsonString());
        var sub = S(Task(run, "st1")["subWorkflowId"]);
        spec.Expect(await spec.WaitForAsync(sub, r => Tasks(r).Count == 1), ("simple_task_in_sub_wf", Sch));

        await spec.PollAndFailAsync("simple_task_in_sub_wf", "Failed....");
        spec.Expect(await spec.WaitForStatusAsync(sub, F), ("simple_task_in_sub_wf", F));
        run = await spec.WaitForAsync(id, r => Tasks(r).Count == 5 && S(Tasks(r)[4]["status"]) == Ip);
        Assert.Equal("RUNNING", S(run["status"]));
        spec.Expect(run, ("FORK", C), ("SUB_WORKFLOW", F), ("integration_task_2", Sch), ("JOIN", Ip), ("SUB_WORKFLOW", Ip));
        sub = S(Tasks(run)[4]["subWorkflowId"]);
        spec.Expect(await spec.WaitForAsync(sub, r => Tasks(r).Count == 1), ("simple_task_in_sub_wf", Sch));

        await spec.PollAndCompleteAsync("simple_task_in_sub_wf");
        spec.Expect(await spec.WaitForStatusAsync(sub, C), ("simple_task_in_sub_wf", C));
        run = await spec.WaitForAsync(id, r => S(Tasks(r)[4]["status"]) == C);
        spec.Expect(run, ("FORK", C), ("SUB_WORKFLOW", F), ("integration_task_2", Sch), ("JOIN", Ip), ("SUB_WORKFLOW", C));
        await spec.PollAndCompleteAsync("integration_task_2");
        run = await spec.WaitForStatusAsync(id, C);
        spec.Expect(run, ("FORK", C), ("SUB_WORKFLOW", F), ("integration_task_2", C), ("JOIN", C), ("SUB_WORKFLOW", C));
    }
}
