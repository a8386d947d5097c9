using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>Conductor's skiptask and resetcallbacks operations on a running run.</summary>
[Collection(SharedServer.Name)]
public sealed class SkipAndResetTests(ServerFixture fixture)
{
    private readonly BatonClient _client = fixture.Client;

    [Fact]
    public async Task A_skipped_task_is_passed_over_when_the_flow_reaches_it_and_its_output_is_what_the_request_gave()
    {
        var type = Defs.Unique("before_skip");
        var def = Defs.Workflow(Defs.Unique("skip"),
            Defs.Simple(type, "first"),
            Defs.Simple(Defs.Unique("never_polled"), "second"),
            Defs.Inline("third", "$.v", new JsonObject { ["v"] = "${second.output.given}" }));
        await _client.RegisterWorkflowAsync(def);
        var id = await _client.StartAsync(def["name"]!.GetValue<string>());

        (await _client.PutAsync($"/api/workflow/{id}/skiptask/second", new JsonObject { ["taskOutput"] = new JsonObject { ["given"] = "by hand" } })).ShouldBe(HttpStatusCode.OK);
        (await _client.PutAsync($"/api/workflow/{id}/skiptask/second", new JsonObject())).ShouldBe(HttpStatusCode.Conflict);
        (await _client.PutAsync($"/api/workflow/{id}/skiptask/nowhere", new JsonObject())).ShouldBe(HttpStatusCode.BadRequest);
        Assert.Equal("RUNNING", (await _client.GetWorkflowAsync(id))["status"]!.GetValue<string>());

        var first = await _client.PollTaskAsync(type);
        (await _client.PostAsync("/api/tasks", new JsonObject
        {
            ["workflowInstanceId"] = id,
            ["taskId"] = first["taskId"]!.DeepClone(),
            ["status"] = "COMPLETED",
        })).ShouldBe(HttpStatusCode.OK);

        var run = await _client.WaitForStatusAsync(id, "COMPLETED", "FAILED");
        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        Assert.Equal(["first", "second", "third"], run["tasks"]!.AsArray().Select(t => t!["referenceTaskName"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal("SKIPPED", run["tasks"]!.AsArray().Single(t => t!["referenceTaskName"]!.GetValue<string>() == "second")!["status"]!.GetValue<string>());
        Assert.Equal("by hand", run["output"]!["result"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reset_callbacks_makes_a_task_held_back_by_its_worker_pollable_at_once()
    {
        var type = Defs.Unique("callback");
        var def = Defs.Workflow(Defs.Unique("reset"), Defs.Simple(type, "work"));
        await _client.RegisterWorkflowAsync(def);
        var id = await _client.StartAsync(def["name"]!.GetValue<string>());
        var task = await _client.PollTaskAsync(type);
        (await _client.PostAsync("/api/tasks", new JsonObject
        {
            ["workflowInstanceId"] = id,
            ["taskId"] = task["taskId"]!.DeepClone(),
            ["status"] = "IN_PROGRESS",
            ["callbackAfterSeconds"] = 3600,
        })).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.GetAsync($"/api/tasks/poll/{type}?workerid=w&timeout=100")).Status);

        (await _client.PostAsync($"/api/workflow/{id}/resetcallbacks")).ShouldBe(HttpStatusCode.NoContent);

        var again = await _client.PollTaskAsync(type);
        Assert.Equal(task["taskId"]!.GetValue<string>(), again["taskId"]!.GetValue<string>());
        Assert.Equal(0, again["callbackAfterSeconds"]!.GetValue<long>());
    }
}

/// <summary>A workflow-level retry evaluates the task's template anew, as Conductor does.</summary>
[Collection(SharedServer.Name)]
public sealed class RetryInputTests(ServerFixture fixture)
{
    private readonly BatonClient _client = fixture.Client;

    [Fact]
    public async Task After_a_workflow_retry_cpewf_task_id_names_the_new_attempt()
    {
        var type = Defs.Unique("retry_me");
        (await _client.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject { ["name"] = type, ["retryCount"] = 0 }))).ShouldBe(HttpStatusCode.OK);
        var def = Defs.Workflow(Defs.Unique("retry_cpewf"), Defs.Simple(type, "work", new JsonObject { ["me"] = "${CPEWF_TASK_ID}" }));
        await _client.RegisterWorkflowAsync(def);
        var id = await _client.StartAsync(def["name"]!.GetValue<string>());
        var first = await _client.PollTaskAsync(type);
        (await _client.PostAsync("/api/tasks", new JsonObject
        {
            ["workflowInstanceId"] = id,
            ["taskId"] = first["taskId"]!.DeepClone(),
            ["status"] = "FAILED",
            ["reasonForIncompletion"] = "once",
        })).ShouldBe(HttpStatusCode.OK);
        await _client.WaitForStatusAsync(id, "FAILED");

        (await _client.PostAsync($"/api/workflow/{id}/retry")).ShouldBe(HttpStatusCode.OK);

        var second = await _client.PollTaskAsync(type);
        Assert.NotEqual(first["taskId"]!.GetValue<string>(), second["taskId"]!.GetValue<string>());
        Assert.Equal(second["taskId"]!.GetValue<string>(), second["inputData"]!["me"]!.GetValue<string>());
    }
}

/// <summary>Conductor's SimpleWorkflowSpec "Test non restartable simple workflow", over REST.</summary>
[Collection(SharedServer.Name)]
public sealed class NonRestartableTests(ServerFixture fixture)
{
    private readonly BatonClient _client = fixture.Client;

    [Fact]
    public async Task A_failed_non_restartable_run_restarts_but_a_completed_one_is_not_found()
    {
        var type = Defs.Unique("non_restartable_work");
        (await _client.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject { ["name"] = type, ["retryCount"] = 0 }))).ShouldBe(HttpStatusCode.OK);
        var def = Defs.Workflow(Defs.Unique("non_restartable"), Defs.Simple(type, "work"));
        def["restartable"] = false;
        await _client.RegisterWorkflowAsync(def);
        var id = await _client.StartAsync(def["name"]!.GetValue<string>());
        var first = await _client.PollTaskAsync(type);
        (await _client.PostAsync("/api/tasks", new JsonObject { ["workflowInstanceId"] = id, ["taskId"] = first["taskId"]!.DeepClone(), ["status"] = "FAILED" })).ShouldBe(HttpStatusCode.OK);
        await _client.WaitForStatusAsync(id, "FAILED");

        (await _client.PostAsync($"/api/workflow/{id}/restart")).ShouldBe(HttpStatusCode.OK);
        var again = await _client.PollTaskAsync(type);
        (await _client.PostAsync("/api/tasks", new JsonObject { ["workflowInstanceId"] = id, ["taskId"] = again["taskId"]!.DeepClone(), ["status"] = "COMPLETED" })).ShouldBe(HttpStatusCode.OK);
        await _client.WaitForStatusAsync(id, "COMPLETED");

        var refused = await _client.PostAsync($"/api/workflow/{id}/restart");
        refused.ShouldBe(HttpStatusCode.NotFound);
        Assert.Contains("is non-restartable", refused.Text, StringComparison.Ordinal);
    }
}

/// <summary>Conductor's SimpleWorkflowSpec: a terminal error is not retried, and the reason names the run's status.</summary>
[Collection(SharedServer.Name)]
public sealed class TerminalErrorTests(ServerFixture fixture)
{
    private readonly BatonClient _client = fixture.Client;

    [Fact]
    public async Task A_terminal_error_fails_the_run_at_once_with_conductors_reason_and_the_outputs_it_reported()
    {
        var type = Defs.Unique("terminal_work");
        (await _client.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject { ["name"] = type, ["retryCount"] = 3, ["retryDelaySeconds"] = 0 }))).ShouldBe(HttpStatusCode.OK);
        var def = Defs.Workflow(Defs.Unique("terminal"), Defs.Simple(type, "t1"));
        def["outputParameters"] = new JsonObject { ["validationErrors"] = "${t1.output.ErrorMessage}" };
        await _client.RegisterWorkflowAsync(def);
        var id = await _client.StartAsync(def["name"]!.GetValue<string>());
        var task = await _client.PollTaskAsync(type);

        (await _client.PostAsync("/api/tasks", new JsonObject
        {
            ["workflowInstanceId"] = id,
            ["taskId"] = task["taskId"]!.DeepClone(),
            ["status"] = "FAILED_WITH_TERMINAL_ERROR",
            ["reasonForIncompletion"] = "NON TRANSIENT ERROR OCCURRED",
            ["outputData"] = new JsonObject { ["ErrorMessage"] = "There was a terminal error" },
        })).ShouldBe(HttpStatusCode.OK);

        var run = await _client.WaitForStatusAsync(id, "FAILED");
        Assert.Equal($"Task {task["taskId"]} failed with status: FAILED and reason: 'NON TRANSIENT ERROR OCCURRED'", run["reasonForIncompletion"]!.GetValue<string>());
        Assert.Equal("There was a terminal error", run["output"]!["validationErrors"]!.GetValue<string>());
        var tasks = run["tasks"]!.AsArray();
        Assert.Single(tasks);
        Assert.Equal(("FAILED_WITH_TERMINAL_ERROR", 0), (tasks[0]!["status"]!.GetValue<string>(), tasks[0]!["retryCount"]!.GetValue<int>()));
        Assert.Equal(["t1"], run["failedReferenceTaskNames"]!.AsArray().Select(n => n!.GetValue<string>()));
    }
}
