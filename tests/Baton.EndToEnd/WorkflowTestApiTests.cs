using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>POST /api/workflow/test: a run whose worker tasks are completed by the caller's mocks, in order.</summary>
[Collection(SharedServer.Name)]
public sealed class WorkflowTestApiTests(ServerFixture fixture)
{
    private readonly BatonClient _client = fixture.Client;

    [Fact]
    public async Task Mocks_complete_worker_tasks_in_order_and_retries_take_the_next_mock()
    {
        var worker = Defs.Unique("mocked");
        var name = Defs.Unique("test_api");
        var def = Defs.Workflow(name,
            Defs.Simple(worker, "first"),
            Defs.Simple(worker, "second", new JsonObject { ["got"] = "${first.output.value}" }),
            Defs.Parse("""{"name": "wait", "taskReferenceName": "wait", "type": "WAIT"}"""));
        (await _client.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject { ["name"] = worker, ["retryCount"] = 1, ["retryDelaySeconds"] = 0 }))).ShouldBe(HttpStatusCode.OK);
        await _client.RegisterWorkflowAsync(def);

        var reply = await _client.PostAsync("/api/workflow/test", new JsonObject
        {
            ["name"] = name,
            ["input"] = new JsonObject { ["x"] = 1 },
            ["taskRefToMockOutput"] = new JsonObject
            {
                ["first"] = new JsonArray(
                    new JsonObject { ["status"] = "FAILED", ["output"] = new JsonObject { ["why"] = "first attempt" } },
                    new JsonObject { ["status"] = "COMPLETED", ["output"] = new JsonObject { ["value"] = "${workflow.secrets.anything}" } }),
                ["second"] = new JsonArray(new JsonObject { ["status"] = "COMPLETED", ["output"] = new JsonObject { ["ok"] = true } }),
                ["wait"] = new JsonArray(new JsonObject { ["status"] = "COMPLETED" }),
            },
        });

        reply.ShouldBe(HttpStatusCode.OK);
        var run = reply.Object;
        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        var tasks = run["tasks"]!.AsArray();
        Assert.Equal(["first", "first", "second", "wait"], tasks.Select(t => t!["referenceTaskName"]!.GetValue<string>()));
        Assert.Equal("FAILED", tasks[0]!["status"]!.GetValue<string>());
        // Mocked text that looks like a reference is data: it reaches the next task as written, never resolved.
        Assert.Equal("${workflow.secrets.anything}", tasks[2]!["inputData"]!["got"]!.GetValue<string>());
    }

    [Fact]
    public async Task Without_execute_on_the_workflow_a_test_is_refused_and_bad_mocks_name_their_path()
    {
        var name = Defs.Unique("test_api_bad");
        await _client.RegisterWorkflowAsync(Defs.Workflow(name, Defs.Simple(Defs.Unique("w"), "only")));
        var bad = await _client.PostAsync("/api/workflow/test", new JsonObject
        {
            ["name"] = name,
            ["taskRefToMockOutput"] = new JsonObject { ["only"] = new JsonArray(new JsonObject { ["status"] = "SKIPPED" }, new JsonObject { ["output"] = 3 }) },
        });
        bad.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("$.taskRefToMockOutput.only[0].status", bad.Text, StringComparison.Ordinal);
        Assert.Contains("$.taskRefToMockOutput.only[1].output", bad.Text, StringComparison.Ordinal);

        var email = $"{Guid.NewGuid().ToString("N")[..10]}@example.test";
        (await _client.PutAsync($"/api/users/{email}", new JsonObject { ["name"] = "U", ["roles"] = new JsonArray("USER"), ["password"] = "correct horse battery staple" })).ShouldBe(HttpStatusCode.OK);
        using var user = new BatonClient(fixture.Server.BaseUrl, new JsonObject { ["email"] = email, ["password"] = "correct horse battery staple" });
        (await user.PostAsync("/api/workflow/test", new JsonObject { ["name"] = name })).ShouldBe(HttpStatusCode.Forbidden);
    }
}
