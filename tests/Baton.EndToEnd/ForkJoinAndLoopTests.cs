using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>FORK_JOIN, JOIN and DO_WHILE through the API, with real HTTP calls and a real worker.</summary>
[Collection(SharedServer.Name)]
public sealed class ForkJoinAndLoopTests(ServerFixture fixture)
{
    private readonly BatonClient _client = fixture.Client;
    private readonly string _peer = fixture.Peer.BaseUrl;

    private static JsonObject Task(JsonObject run, string reference) =>
        run["tasks"]!.AsArray().Last(t => t!["referenceTaskName"]!.GetValue<string>() == reference)!.AsObject();

    private async Task<JsonObject> ExecuteAsync(JsonObject def)
    {
        await _client.RegisterWorkflowAsync(def);
        var reply = await _client.PostAsync($"/api/workflow/execute/{def["name"]!.GetValue<string>()}/1", new JsonObject { ["input"] = new JsonObject { ["id"] = 7 } });
        reply.ShouldBe(HttpStatusCode.OK);
        return reply.Object;
    }

    [Fact]
    public async Task A_fork_runs_an_http_call_and_a_script_side_by_side_and_the_join_hands_both_outputs_on()
    {
        var def = Defs.Workflow(Defs.Unique("fork"),
            Defs.Parse($$$$"""
                {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [
                  [{"name": "call", "taskReferenceName": "call", "type": "HTTP",
                    "inputParameters": {"http_request": {"uri": "{{{{_peer}}}}/echo/x?id=${workflow.input.id}", "method": "GET"}}}],
                  [{"name": "calc", "taskReferenceName": "calc", "type": "INLINE",
                    "inputParameters": {"evaluatorType": "javascript", "expression": "$.id * 6", "id": "${workflow.input.id}"}}]]}
                """),
            Defs.Parse("""{"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["call", "calc"]}"""),
            Defs.Inline("sum", "$.query + ':' + $.calc", new JsonObject
            {
                ["query"] = "${join.output.call.response.body.query}",
                ["calc"] = "${join.output.calc.result}",
            }));

        var run = await ExecuteAsync(def);

        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        Assert.Equal("?id=7:42", Task(run, "sum")["outputData"]!["result"]!.GetValue<string>());
        Assert.Equal(["fork", "call", "calc", "join", "sum"], run["tasks"]!.AsArray().Select(t => t!["referenceTaskName"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Workers_complete_the_branches_of_a_fork_and_the_run_goes_on_after_the_join()
    {
        var type = Defs.Unique("branch_work");
        var def = Defs.Workflow(Defs.Unique("forkwork"),
            Defs.Parse($$$$"""
                {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [
                  [{"name": "{{{{type}}}}", "taskReferenceName": "left", "inputParameters": {"side": "left"}}],
                  [{"name": "{{{{type}}}}", "taskReferenceName": "right", "inputParameters": {"side": "right"}}]]}
                """),
            Defs.Parse("""{"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["left", "right"]}"""));
        await _client.RegisterWorkflowAsync(def);
        var id = await _client.StartAsync(def["name"]!.GetValue<string>());

        var polled = new List<JsonObject>();
        for (var attempt = 0; attempt < 50 && polled.Count < 2; attempt++)
        {
            var batch = await _client.GetAsync($"/api/tasks/poll/batch/{type}?workerid=w&count=2&timeout=200");
            polled.AddRange(batch.Array.Select(t => t!.AsObject()));
        }
        Assert.Equal(["left", "right"], polled.Select(t => t["inputData"]!["side"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        foreach (var task in polled)
        {
            (await _client.PostAsync("/api/tasks", new JsonObject
            {
                ["workflowInstanceId"] = id,
                ["taskId"] = task["taskId"]!.GetValue<string>(),
                ["status"] = "COMPLETED",
                ["outputData"] = new JsonObject { ["done"] = task["inputData"]!["side"]!.GetValue<string>() },
            })).ShouldBe(HttpStatusCode.OK);
        }

        var run = await _client.WaitForStatusAsync(id, "COMPLETED", "FAILED");
        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        Assert.Equal("right", Task(run, "join")["outputData"]!["right"]!["done"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_loop_calls_a_peer_once_per_iteration_and_its_tasks_are_named_by_iteration()
    {
        var def = Defs.Workflow(Defs.Unique("loop"),
            Defs.Parse($$$$"""
                {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "$.loop['iteration'] < 3",
                 "loopOver": [{"name": "call", "taskReferenceName": "call", "type": "HTTP",
                   "inputParameters": {"http_request": {"uri": "{{{{_peer}}}}/echo/loop?i=${loop.output.iteration}", "method": "GET"}}}]}
                """));

        var run = await ExecuteAsync(def);

        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        var loop = Task(run, "loop");
        Assert.Equal(3, loop["iteration"]!.GetValue<int>());
        Assert.Equal(["?i=1", "?i=2", "?i=3"], Enumerable.Range(1, 3).Select(i => Task(run, $"call__{i}")["outputData"]!["response"]!["body"]!["query"]!.GetValue<string>()));
        Assert.Equal("?i=2", loop["outputData"]!["2"]!["call"]!["response"]!["body"]!["query"]!.GetValue<string>());
        Assert.All(Enumerable.Range(1, 3), i => Assert.Equal(i, Task(run, $"call__{i}")["iteration"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_fork_without_its_join_is_refused_with_the_path_of_the_problem()
    {
        var def = Defs.Workflow(Defs.Unique("nojoin"), Defs.Parse("""
            {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [[{"name": "x", "taskReferenceName": "x"}]]}
            """));

        var reply = await _client.PostAsync("/api/metadata/workflow", def);

        reply.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("$.tasks[0].type", reply.Text, StringComparison.Ordinal);
        Assert.Contains("must be followed by a JOIN", reply.Text, StringComparison.Ordinal);
    }
}
