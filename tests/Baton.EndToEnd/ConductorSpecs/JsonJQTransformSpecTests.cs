// Translated from Conductor OSS's JsonJQTransformSpec.groovy (test-harness, Apache-2.0, Copyright Conductor Authors).
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using static Baton.EndToEnd.ConductorSpecs.SpecRun;

namespace Baton.EndToEnd.ConductorSpecs;

[Collection(SharedServer.Name)]
public sealed class JsonJQTransformSpecTests(ServerFixture fixture)
{
    private async Task<SpecRun> SetupAsync()
    {
        var spec = new SpecRun(fixture.Client);
        await spec.RegisterAsync("simple_json_jq_transform_integration_test.json", "sequential_json_jq_transform_integration_test.json",
            "json_jq_transform_result_integration_test.json");
        return spec;
    }

    private static JsonObject ValidInput() => new()
    {
        ["in1"] = new JsonObject { ["array"] = new JsonArray("a", "b") },
        ["in2"] = new JsonObject { ["array"] = new JsonArray("c", "d") },
    };

    [Fact]
    public async Task Test_workflow_with_json_jq_transform_task_succeeds()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("test_json_jq_transform_wf", ValidInput());

        var run = await spec.WaitForStatusAsync(id, "COMPLETED", "FAILED");
        Assert.Equal("COMPLETED", S(run["status"]));
        var task = Assert.Single(Tasks(run));
        Assert.Equal("COMPLETED", S(task["status"]));
        Assert.Equal("JSON_JQ_TRANSFORM", S(task["taskType"]));
        Assert.True(task["outputData"]!.AsObject().ContainsKey("result") && task["outputData"]!.AsObject().ContainsKey("resultList"));
        Assert.Equal("""{"out":["a","b","c","d"]}""", task["outputData"]!["result"]!.ToJsonString());
    }

    [Fact]
    public async Task Test_workflow_with_json_jq_transform_task_fails()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("test_json_jq_transform_wf", new JsonObject { ["in1"] = "a", ["in2"] = "b" });

        var run = await spec.WaitForStatusAsync(id, "COMPLETED", "FAILED");
        Assert.Equal("FAILED", S(run["status"]));
        var task = Assert.Single(Tasks(run));
        Assert.Equal("FAILED", S(task["status"]));
        Assert.Equal("JSON_JQ_TRANSFORM", S(task["taskType"]));
        Assert.Equal("Cannot index string with string \"array\"", S(task["reasonForIncompletion"]));
    }

    [Fact]
    public async Task Test_rerun_workflow_with_failed_json_jq_transform_task()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("test_json_jq_transform_wf", new JsonObject { ["in1"] = "a", ["in2"] = "b" });
        var run = await spec.WaitForStatusAsync(id, "COMPLETED", "FAILED");
        Assert.Equal("FAILED", S(run["status"]));
        var failed = Assert.Single(Tasks(run));
        Assert.Equal("Cannot index string with string \"array\"", S(failed["reasonForIncompletion"]));

        var rerun = await spec.Client.PostAsync($"/api/workflow/{id}/rerun", new JsonObject
        {
            ["reRunFromWorkflowId"] = id,
            ["reRunFromTaskId"] = S(failed["taskId"]),
            ["taskInput"] = new JsonObject { ["input"] = ValidInput(), ["queryExpression"] = ".input as $_ | { out: ($_.in1.array + $_.in2.array) }" },
        });
        rerun.ShouldBe(System.Net.HttpStatusCode.OK);
        Assert.Equal(id, rerun.Text);

        run = await spec.WaitForStatusAsync(id, "COMPLETED", "FAILED");
        Assert.Equal("COMPLETED", S(run["status"]));
        var task = Assert.Single(Tasks(run));
        Assert.Equal("COMPLETED", S(task["status"]));
        Assert.Equal("JSON_JQ_TRANSFORM", S(task["taskType"]));
        Assert.True(task["outputData"]!.AsObject().ContainsKey("result") && task["outputData"]!.AsObject().ContainsKey("resultList"));
    }

    [Fact]
    public async Task Test_json_jq_transform_task_with_nested_json_object_succeeds()
    {
        var spec = await SetupAsync();
        var input = new JsonObject
        {
            ["method"] = "POST",
            ["body"] = new JsonObject { ["name"] = "Beary Beariston", ["title"] = "the Brown Bear" },
            ["requestTransform"] = "{name: (.body.name + \" you are \" + .body.title) }",
            ["responseTransform"] = "{result: \"reply: \" + .response.body.message}",
        };
        var id = await spec.StartAsync("sequential_json_jq_transform_wf", input);

        var run = await spec.WaitForStatusAsync(id, "COMPLETED", "FAILED");
        Assert.Equal("COMPLETED", S(run["status"]));
        var tasks = Tasks(run);
        Assert.Equal(2, tasks.Count);
        Assert.All(tasks, t => Assert.Equal("COMPLETED", S(t["status"])));
        Assert.All(tasks, t => Assert.Equal("JSON_JQ_TRANSFORM", S(t["taskType"])));
        Assert.True(tasks[0]["outputData"]!.AsObject().ContainsKey("result") && tasks[0]["outputData"]!.AsObject().ContainsKey("resultList"));
        var result1 = tasks[0]["outputData"]!["result"]!;
        Assert.Equal("POST", S(result1["method"]));
        Assert.Equal(S(input["requestTransform"]), S(result1["requestTransform"]));
        Assert.Equal(S(input["responseTransform"]), S(result1["responseTransform"]));
        Assert.True(tasks[1]["outputData"]!.AsObject().ContainsKey("result"));
        Assert.Equal("Beary Beariston you are the Brown Bear", S(tasks[1]["outputData"]!["result"]!["name"]));
    }

    [Fact]
    public async Task Test_json_jq_transform_task_with_different_json_object_results_succeeds()
    {
        var spec = await SetupAsync();
        var id = await spec.StartAsync("json_jq_transform_result_wf", new JsonObject { ["requestedAction"] = "redeliver" });

        var run = await spec.WaitForStatusAsync(id, "COMPLETED", "FAILED");
        Assert.Equal("COMPLETED", S(run["status"]));
        var tasks = Tasks(run);
        Assert.Equal(4, tasks.Count);
        Assert.All(tasks, t => Assert.Equal("COMPLETED", S(t["status"])));
        Assert.Equal(["JSON_JQ_TRANSFORM", "DECISION", "JSON_JQ_TRANSFORM", "DECISION"], tasks.Select(t => S(t["taskType"])));
        Assert.True(tasks[0]["outputData"]!.AsObject().ContainsKey("result") && tasks[0]["outputData"]!.AsObject().ContainsKey("resultList"));
        Assert.Equal("CREATE", S(tasks[0]["outputData"]!["result"]));
        Assert.Equal("CREATE", S(tasks[1]["inputData"]!["case"]));
        var result = tasks[2]["outputData"]!["result"]!.AsArray();
        Assert.Equal(3, result.Count);
        Assert.Contains("redeliver", result.Select(S));
        Assert.Equal("true", S(tasks[3]["inputData"]!["case"]));
    }
}
