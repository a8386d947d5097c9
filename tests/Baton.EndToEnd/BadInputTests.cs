using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

[Collection(SharedServer.Name)]
public sealed class BadInputTests(ServerFixture fixture)
{
    private readonly BatonClient _client = fixture.Client;

    private static Dictionary<string, string> Problems(Reply reply)
    {
        reply.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Equal("application/json", reply.ContentType);
        var problems = new Dictionary<string, string>();
        foreach (var p in reply.Object["validationErrors"]!.AsArray())
        {
            var path = p!["path"]!.GetValue<string>();
            problems[path] = problems.TryGetValue(path, out var earlier) ? earlier + " | " + p["message"]!.GetValue<string>() : p["message"]!.GetValue<string>();
        }
        return problems;
    }

    [Fact]
    public async Task A_bad_definition_gets_every_problem_with_its_json_path()
    {
        var def = Defs.Parse("""
        {
          "name": "broken", "version": 1,
          "tasks": [
            { "name": "a", "taskReferenceName": "same", "type": "NOT_A_TYPE" },
            { "name": "b", "taskReferenceName": "same", "type": "SIMPLE",
              "inputParameters": { "x": "${ghost.output.value}", "y": "${workflow.input[}" } },
            { "taskReferenceName": "c", "type": "INLINE", "inputParameters": {} },
            { "name": "d", "taskReferenceName": "d", "type": "SWITCH", "evaluatorType": "value-param", "expression": "sw",
              "inputParameters": { "sw": "x" },
              "decisionCases": { "x": [ { "name": "e", "taskReferenceName": "e", "type": "HTTP", "inputParameters": {} } ] } }
          ]
        }
        """);
        var problems = Problems(await _client.PostAsync("/api/metadata/workflow", def));

        Assert.Contains("unknown task type 'NOT_A_TYPE'", problems["$.tasks[0].type"], StringComparison.Ordinal);
        Assert.Contains("used by more than one task", problems["$.tasks[1].taskReferenceName"], StringComparison.Ordinal);
        Assert.Contains("'ghost'", problems["$.tasks[1].inputParameters.x"], StringComparison.Ordinal);
        Assert.Contains("does not parse", problems["$.tasks[1].inputParameters.y"], StringComparison.Ordinal);
        Assert.Contains("name is required", problems["$.tasks[2].name"], StringComparison.Ordinal);
        Assert.Contains("expression is required", problems["$.tasks[2].inputParameters.expression"], StringComparison.Ordinal);
        Assert.Contains("uri is required", problems["$.tasks[3].decisionCases['x'][0].inputParameters.uri"], StringComparison.Ordinal);
        Assert.Contains("method is required", problems["$.tasks[3].decisionCases['x'][0].inputParameters.method"], StringComparison.Ordinal);
        (await _client.GetAsync("/api/metadata/workflow/broken")).ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Malformed_json_is_a_400_naming_where_it_broke()
    {
        var reply = await _client.SendRawAsync(HttpMethod.Post, "/api/metadata/workflow", """{"name": "x", "tasks": [ { "name": }""");
        var problems = Problems(reply);
        Assert.Contains("invalid JSON at line 1", problems.Values.Single(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_field_of_the_wrong_type_is_a_400_naming_the_field()
    {
        var problems = Problems(await _client.SendRawAsync(HttpMethod.Post, "/api/metadata/workflow", """{"name": "x", "tasks": "not a list"}"""));
        Assert.True(problems.ContainsKey("$.tasks"), string.Join(", ", problems.Keys));
    }

    [Fact]
    public async Task A_definition_without_tasks_or_name_lists_both()
    {
        var problems = Problems(await _client.PostAsync("/api/metadata/workflow", new JsonObject { ["version"] = 1 }));
        Assert.True(problems.ContainsKey("$.name"));
        Assert.True(problems.ContainsKey("$.tasks"));
    }

    [Fact]
    public async Task A_bad_task_definition_in_a_list_names_its_index()
    {
        var problems = Problems(await _client.PostAsync("/api/metadata/taskdefs", new JsonArray(
            new JsonObject { ["name"] = Defs.Unique("ok") },
            new JsonObject { ["name"] = "bad", ["retryLogic"] = "SOMETIMES", ["timeoutSeconds"] = 10, ["responseTimeoutSeconds"] = 20 })));
        Assert.Contains("SOMETIMES", problems["$[1].retryLogic"], StringComparison.Ordinal);
        Assert.Contains("must not exceed", problems["$[1].responseTimeoutSeconds"], StringComparison.Ordinal);
        Assert.False(problems.ContainsKey("$[0].name"));
    }

    [Fact]
    public async Task An_oversized_body_gets_413_naming_the_limit()
    {
        var huge = new string('x', 6 * 1024 * 1024);
        var reply = await _client.SendRawAsync(HttpMethod.Post, "/api/workflow/anything", $"{{\"blob\":\"{huge}\"}}");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, reply.Status);
        Assert.Contains("5242880 bytes", reply.Object["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_ids_are_404_with_a_message()
    {
        foreach (var path in new[] { "/api/workflow/no-such-id", "/api/tasks/no-such-task", "/api/metadata/workflow/no_such_def", "/api/metadata/taskdefs/no_such_task" })
        {
            var reply = await _client.GetAsync(path);
            reply.ShouldBe(HttpStatusCode.NotFound);
            Assert.False(string.IsNullOrEmpty(reply.Object["message"]!.GetValue<string>()));
        }
        (await _client.PostAsync("/api/workflow", new JsonObject { ["name"] = "never_registered" })).ShouldBe(HttpStatusCode.NotFound);
        (await _client.DeleteAsync("/api/workflow/no-such-id")).ShouldBe(HttpStatusCode.NotFound);
        (await _client.PostAsync("/api/workflow/no-such-id/retry")).ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_task_result_without_ids_or_with_a_bad_status_lists_each_problem()
    {
        var problems = Problems(await _client.PostAsync("/api/tasks", new JsonObject { ["status"] = "DONE" }));
        Assert.True(problems.ContainsKey("$.workflowInstanceId"));
        Assert.True(problems.ContainsKey("$.taskId"));
        Assert.Contains("DONE", problems["$.status"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_search_query_is_a_400_not_a_500()
    {
        var reply = await _client.GetAsync("/api/workflow/search?query=" + Uri.EscapeDataString("colour = 'red'"));
        Assert.Contains("cannot search by 'colour'", Problems(reply)["query"], StringComparison.Ordinal);
    }
}
