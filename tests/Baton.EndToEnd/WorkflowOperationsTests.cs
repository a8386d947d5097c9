using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

[Collection(SharedServer.Name)]
public sealed class WorkflowOperationsTests(ServerFixture fixture)
{
    private readonly BatonClient _client = fixture.Client;

    private async Task<(string Name, string TaskType)> RegisterAsync(int retryCount = 0)
    {
        var name = Defs.Unique("ops");
        var type = Defs.Unique("opwork");
        (await _client.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject { ["name"] = type, ["retryCount"] = retryCount, ["retryDelaySeconds"] = 0 }))).ShouldBe(HttpStatusCode.OK);
        await _client.RegisterWorkflowAsync(Defs.Workflow(name, Defs.Simple(type, "work"), Defs.Inline("after", "'done'")));
        return (name, type);
    }

    [Fact]
    public async Task Start_by_name_takes_the_body_as_input_and_answers_the_id_as_text()
    {
        var (name, _) = await RegisterAsync();
        var reply = await _client.PostAsync($"/api/workflow/{name}?correlationId=c-1&priority=5", new JsonObject { ["k"] = "v" });
        reply.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("text/plain", reply.ContentType);
        var run = await _client.GetWorkflowAsync(reply.Text);
        Assert.Equal("v", run["input"]!["k"]!.GetValue<string>());
        Assert.Equal("c-1", run["correlationId"]!.GetValue<string>());
        Assert.Equal(5, run["priority"]!.GetValue<int>());
        Assert.Equal(name, run["workflowName"]!.GetValue<string>());
        Assert.Equal("RUNNING", run["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_run_reads_with_or_without_tasks_and_its_status_on_its_own()
    {
        var (name, _) = await RegisterAsync();
        var id = await _client.StartAsync(name);
        Assert.Single((await _client.GetWorkflowAsync(id))["tasks"]!.AsArray());
        Assert.Empty((await _client.GetAsync($"/api/workflow/{id}?includeTasks=false")).Object["tasks"]!.AsArray());
        var status = (await _client.GetAsync($"/api/workflow/{id}/status?includeVariables=true")).Object;
        Assert.Equal("RUNNING", status["status"]!.GetValue<string>());
        Assert.NotNull(status["variables"]);
        Assert.Null(status["output"]);
    }

    [Fact]
    public async Task Execute_answers_a_running_run_when_the_wait_is_over()
    {
        var (name, _) = await RegisterAsync();
        var reply = await _client.PostAsync($"/api/workflow/execute/{name}/1?waitForSeconds=1", new JsonObject());
        reply.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("RUNNING", reply.Object["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Terminate_cancels_pending_tasks_and_keeps_the_reason()
    {
        var (name, type) = await RegisterAsync();
        var id = await _client.StartAsync(name);
        (await _client.DeleteAsync($"/api/workflow/{id}?reason={Uri.EscapeDataString("operator said so")}")).ShouldBe(HttpStatusCode.OK);
        var run = await _client.GetWorkflowAsync(id);
        Assert.Equal("TERMINATED", run["status"]!.GetValue<string>());
        Assert.Equal("operator said so", run["reasonForIncompletion"]!.GetValue<string>());
        Assert.Equal("CANCELED", run["tasks"]![0]!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NoContent, (await _client.GetAsync($"/api/tasks/poll/{type}?timeout=100")).Status);
        (await _client.DeleteAsync($"/api/workflow/{id}")).ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task A_paused_run_schedules_nothing_new_until_resumed()
    {
        var (name, type) = await RegisterAsync();
        var id = await _client.StartAsync(name);
        (await _client.PutAsync($"/api/workflow/{id}/pause")).ShouldBe(HttpStatusCode.OK);
        var task = await _client.PollTaskAsync(type);
        await _client.CompleteTaskAsync(task);
        await Task.Delay(300);
        var paused = await _client.GetWorkflowAsync(id);
        Assert.Equal("PAUSED", paused["status"]!.GetValue<string>());
        Assert.Single(paused["tasks"]!.AsArray());

        (await _client.PutAsync($"/api/workflow/{id}/resume")).ShouldBe(HttpStatusCode.OK);
        var run = await _client.WaitForStatusAsync(id, "COMPLETED");
        Assert.Equal("done", run["output"]!["result"]!.GetValue<string>());
        (await _client.PutAsync($"/api/workflow/{id}/resume")).ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Retry_reschedules_the_failed_task_and_the_run_can_complete()
    {
        var (name, type) = await RegisterAsync();
        var id = await _client.StartAsync(name);
        (await _client.PostAsync($"/api/workflow/{id}/retry")).ShouldBe(HttpStatusCode.Conflict);
        await _client.CompleteTaskAsync(await _client.PollTaskAsync(type), status: "FAILED", reason: "first try");
        await _client.WaitForStatusAsync(id, "FAILED");

        (await _client.PostAsync($"/api/workflow/{id}/retry")).ShouldBe(HttpStatusCode.OK);
        var again = await _client.PollTaskAsync(type);
        await _client.CompleteTaskAsync(again);
        var run = await _client.WaitForStatusAsync(id, "COMPLETED");
        Assert.Equal(["FAILED", "COMPLETED", "COMPLETED"], run["tasks"]!.AsArray().Select(t => t!["status"]!.GetValue<string>()));
        Assert.True(run["lastRetriedTime"]!.GetValue<long>() > 0);
        Assert.Null(run["reasonForIncompletion"]);
    }

    [Fact]
    public async Task Restart_runs_a_finished_run_again_under_the_same_id_and_refuses_a_running_one()
    {
        var (name, type) = await RegisterAsync();
        var id = await _client.StartAsync(name, new JsonObject { ["keep"] = "me" });
        (await _client.PostAsync($"/api/workflow/{id}/restart")).ShouldBe(HttpStatusCode.Conflict);
        await _client.CompleteTaskAsync(await _client.PollTaskAsync(type));
        await _client.WaitForStatusAsync(id, "COMPLETED");

        (await _client.PostAsync($"/api/workflow/{id}/restart")).ShouldBe(HttpStatusCode.OK);
        var restarted = await _client.GetWorkflowAsync(id);
        Assert.Equal("RUNNING", restarted["status"]!.GetValue<string>());
        Assert.Single(restarted["tasks"]!.AsArray());
        Assert.Equal("me", restarted["input"]!["keep"]!.GetValue<string>());
        await _client.CompleteTaskAsync(await _client.PollTaskAsync(type));
        await _client.WaitForStatusAsync(id, "COMPLETED");
    }

    [Fact]
    public async Task Remove_deletes_the_run_and_its_tasks()
    {
        var (name, type) = await RegisterAsync();
        var id = await _client.StartAsync(name);
        var task = await _client.PollTaskAsync(type);
        (await _client.DeleteAsync($"/api/workflow/{id}/remove")).ShouldBe(HttpStatusCode.OK);
        (await _client.GetAsync($"/api/workflow/{id}")).ShouldBe(HttpStatusCode.NotFound);
        (await _client.GetAsync($"/api/tasks/{task["taskId"]}")).ShouldBe(HttpStatusCode.NotFound);
        (await _client.DeleteAsync($"/api/workflow/{id}/remove")).ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Running_ids_list_only_running_runs_of_that_definition()
    {
        var (name, _) = await RegisterAsync();
        var a = await _client.StartAsync(name);
        var b = await _client.StartAsync(name);
        (await _client.DeleteAsync($"/api/workflow/{b}")).ShouldBe(HttpStatusCode.OK);
        var ids = (await _client.GetAsync($"/api/workflow/running/{name}?version=1")).Array.Select(n => n!.GetValue<string>()).ToList();
        Assert.Equal([a], ids);
    }

    [Fact]
    public async Task Search_filters_by_name_status_correlation_time_and_text_and_pages()
    {
        var (name, _) = await RegisterAsync();
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1;
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add(await _client.StartAsync(name, new JsonObject { ["marker"] = $"needle-{i}" }, correlationId: i == 0 ? "corr-" + name : null));
        (await _client.DeleteAsync($"/api/workflow/{ids[4]}")).ShouldBe(HttpStatusCode.OK);

        async Task<JsonObject> Search(string query) => (await _client.GetAsync("/api/workflow/search?" + query)).Object;

        var byName = await Search("query=" + Uri.EscapeDataString($"workflowType = '{name}'"));
        Assert.Equal(5, byName["totalHits"]!.GetValue<int>());
        var running = await Search("query=" + Uri.EscapeDataString($"workflowType = '{name}' AND status IN (RUNNING)"));
        Assert.Equal(4, running["totalHits"]!.GetValue<int>());
        var terminated = await Search($"name={name}&status=TERMINATED");
        Assert.Equal(ids[4], terminated["results"]![0]!["workflowId"]!.GetValue<string>());
        var correlated = await Search($"correlationId=corr-{name}");
        Assert.Equal(ids[0], correlated["results"]!.AsArray().Single()!["workflowId"]!.GetValue<string>());
        var text = await Search($"name={name}&freeText=needle-3");
        Assert.Equal(ids[3], text["results"]!.AsArray().Single()!["workflowId"]!.GetValue<string>());
        var timed = await Search("query=" + Uri.EscapeDataString($"workflowType = '{name}' AND startTime > {before}"));
        Assert.Equal(5, timed["totalHits"]!.GetValue<int>());
        var none = await Search($"name={name}&startTimeTo={before}");
        Assert.Equal(0, none["totalHits"]!.GetValue<int>());

        var page1 = await Search($"name={name}&start=0&size=2&sort=startTime:ASC");
        var page3 = await Search($"name={name}&start=4&size=2&sort=startTime:ASC");
        Assert.Equal(5, page1["totalHits"]!.GetValue<int>());
        Assert.Equal(2, page1["results"]!.AsArray().Count);
        Assert.Single(page3["results"]!.AsArray());
        Assert.Equal(ids[4], page3["results"]![0]!["workflowId"]!.GetValue<string>());
    }
}
