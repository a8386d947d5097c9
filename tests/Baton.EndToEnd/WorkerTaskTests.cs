using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

[Collection(SharedServer.Name)]
public sealed class WorkerTaskTests(ServerFixture fixture)
{
    private readonly BatonClient _client = fixture.Client;

    private async Task<(string Name, string TaskType)> RegisterAsync(JsonObject? taskDef = null, Action<JsonObject>? tweak = null)
    {
        var name = Defs.Unique("wf");
        var taskType = Defs.Unique("work");
        if (taskDef is not null)
        {
            taskDef["name"] = taskType;
            (await _client.PostAsync("/api/metadata/taskdefs", new JsonArray(taskDef))).ShouldBe(HttpStatusCode.OK);
        }
        var def = Defs.Workflow(name, Defs.Simple(taskType, "work", new JsonObject { ["n"] = "${workflow.input.n}", ["me"] = "${CPEWF_TASK_ID}" }));
        tweak?.Invoke(def);
        await _client.RegisterWorkflowAsync(def);
        return (name, taskType);
    }

    [Fact]
    public async Task An_empty_queue_answers_204_for_a_poll_and_an_empty_list_for_a_batch_poll()
    {
        var type = Defs.Unique("idle");
        var single = await _client.GetAsync($"/api/tasks/poll/{type}?workerid=w&timeout=50");
        Assert.Equal(HttpStatusCode.NoContent, single.Status);
        Assert.Equal("", single.Text);
        var batch = await _client.GetAsync($"/api/tasks/poll/batch/{type}?workerid=w&count=5&timeout=50");
        batch.ShouldBe(HttpStatusCode.OK);
        Assert.Empty(batch.Array);
    }

    [Fact]
    public async Task A_worker_polls_its_task_with_evaluated_inputs_and_completes_the_run()
    {
        var (name, type) = await RegisterAsync();
        var id = await _client.StartAsync(name, new JsonObject { ["n"] = 5 });
        var task = await _client.PollTaskAsync(type, "worker-1");
        Assert.Equal("IN_PROGRESS", task["status"]!.GetValue<string>());
        Assert.Equal(type, task["taskType"]!.GetValue<string>());
        Assert.Equal(5, task["inputData"]!["n"]!.GetValue<int>());
        Assert.Equal(task["taskId"]!.GetValue<string>(), task["inputData"]!["me"]!.GetValue<string>());
        Assert.Equal("worker-1", task["workerId"]!.GetValue<string>());
        Assert.Equal(1, task["pollCount"]!.GetValue<int>());

        var reply = await _client.PostAsync("/api/tasks", new JsonObject
        {
            ["workflowInstanceId"] = id,
            ["taskId"] = task["taskId"]!.GetValue<string>(),
            ["status"] = "COMPLETED",
            ["outputData"] = new JsonObject { ["answer"] = 10 },
            ["logs"] = new JsonArray(new JsonObject { ["log"] = "from the result" }),
        });
        reply.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("text/plain", reply.ContentType);
        Assert.Equal(task["taskId"]!.GetValue<string>(), reply.Text);

        var run = await _client.WaitForStatusAsync(id, "COMPLETED");
        Assert.Equal(10, run["output"]!["answer"]!.GetValue<int>());
        var logs = (await _client.GetAsync($"/api/tasks/{task["taskId"]}/log")).Array;
        Assert.Equal("from the result", logs.Single()!["log"]!.GetValue<string>());
    }

    [Fact]
    public async Task Batch_poll_hands_out_up_to_count_tasks_and_each_only_once()
    {
        var (name, type) = await RegisterAsync();
        for (var i = 0; i < 5; i++) await _client.StartAsync(name, new JsonObject { ["n"] = i });
        var first = (await _client.GetAsync($"/api/tasks/poll/batch/{type}?workerid=w&count=3&timeout=1000")).Array;
        var second = (await _client.GetAsync($"/api/tasks/poll/batch/{type}?workerid=w&count=3&timeout=1000")).Array;
        Assert.Equal(3, first.Count);
        Assert.Equal(2, second.Count);
        var ids = first.Concat(second).Select(t => t!["taskId"]!.GetValue<string>()).ToList();
        Assert.Equal(5, ids.Distinct().Count());
    }

    [Fact]
    public async Task A_long_poll_returns_as_soon_as_a_task_is_scheduled()
    {
        var (name, type) = await RegisterAsync();
        var poll = _client.GetAsync($"/api/tasks/poll/batch/{type}?workerid=w&count=1&timeout=10000");
        await Task.Delay(300);
        await _client.StartAsync(name);
        var handed = (await poll).Array;
        Assert.Single(handed);
    }

    [Fact]
    public async Task Update_v2_answers_the_next_task_of_the_same_type_or_204_without_content_type()
    {
        var (name, type) = await RegisterAsync();
        var a = await _client.StartAsync(name);
        var b = await _client.StartAsync(name);
        var first = await _client.PollTaskAsync(type);
        var next = await _client.PostAsync("/api/tasks/update-v2", Result(first, "COMPLETED"));
        next.ShouldBe(HttpStatusCode.OK);
        var second = next.Object;
        Assert.NotEqual(first["taskId"]!.GetValue<string>(), second["taskId"]!.GetValue<string>());
        Assert.Equal("IN_PROGRESS", second["status"]!.GetValue<string>());

        var none = await _client.PostAsync("/api/tasks/update-v2", Result(second, "COMPLETED"));
        Assert.Equal(HttpStatusCode.NoContent, none.Status);
        Assert.Null(none.ContentType);
        await _client.WaitForStatusAsync(a, "COMPLETED");
        await _client.WaitForStatusAsync(b, "COMPLETED");
    }

    [Fact]
    public async Task A_result_for_a_task_that_already_finished_changes_nothing()
    {
        var (name, type) = await RegisterAsync();
        var id = await _client.StartAsync(name);
        var task = await _client.PollTaskAsync(type);
        await _client.CompleteTaskAsync(task, new JsonObject { ["v"] = "first" });
        await _client.CompleteTaskAsync(task, new JsonObject { ["v"] = "second" }, status: "FAILED", reason: "late");
        var run = await _client.WaitForStatusAsync(id, "COMPLETED");
        Assert.Equal("first", run["output"]!["v"]!.GetValue<string>());
        Assert.Single(run["tasks"]!.AsArray());
    }

    [Fact]
    public async Task A_task_can_be_completed_by_workflow_id_and_reference_name()
    {
        var (name, _) = await RegisterAsync();
        var id = await _client.StartAsync(name);
        var reply = await _client.PostAsync($"/api/tasks/{id}/work/COMPLETED?workerid=manual", new JsonObject { ["by"] = "reference" });
        reply.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("text/plain", reply.ContentType);
        var run = await _client.WaitForStatusAsync(id, "COMPLETED");
        Assert.Equal("reference", run["output"]!["by"]!.GetValue<string>());
        Assert.Equal(reply.Text, run["tasks"]![0]!["taskId"]!.GetValue<string>());
    }

    [Fact]
    public async Task In_progress_with_a_callback_puts_the_same_task_back_for_a_later_poll()
    {
        var (name, type) = await RegisterAsync();
        var id = await _client.StartAsync(name);
        var task = await _client.PollTaskAsync(type);
        var result = Result(task, "IN_PROGRESS");
        result["callbackAfterSeconds"] = 1;
        result["outputData"] = new JsonObject { ["progress"] = 50 };
        (await _client.PostAsync("/api/tasks", result)).ShouldBe(HttpStatusCode.OK);

        Assert.Equal(HttpStatusCode.NoContent, (await _client.GetAsync($"/api/tasks/poll/{type}?timeout=100")).Status);
        var again = await _client.PollTaskAsync(type);
        Assert.Equal(task["taskId"]!.GetValue<string>(), again["taskId"]!.GetValue<string>());
        Assert.Equal(2, again["pollCount"]!.GetValue<int>());
        Assert.Equal(50, again["outputData"]!["progress"]!.GetValue<int>());
        await _client.CompleteTaskAsync(again);
        var run = await _client.WaitForStatusAsync(id, "COMPLETED");
        Assert.Single(run["tasks"]!.AsArray());
    }

    [Fact]
    public async Task A_failed_task_is_retried_as_a_new_attempt_and_the_run_completes()
    {
        var (name, type) = await RegisterAsync(new JsonObject { ["retryCount"] = 2, ["retryDelaySeconds"] = 0 });
        var id = await _client.StartAsync(name);
        var first = await _client.PollTaskAsync(type);
        await _client.CompleteTaskAsync(first, status: "FAILED", reason: "flaky");
        var second = await _client.PollTaskAsync(type);
        Assert.NotEqual(first["taskId"]!.GetValue<string>(), second["taskId"]!.GetValue<string>());
        Assert.Equal(1, second["retryCount"]!.GetValue<int>());
        Assert.Equal(first["taskId"]!.GetValue<string>(), second["retriedTaskId"]!.GetValue<string>());
        Assert.Equal(second["taskId"]!.GetValue<string>(), second["inputData"]!["me"]!.GetValue<string>());
        await _client.CompleteTaskAsync(second);

        var run = await _client.WaitForStatusAsync(id, "COMPLETED");
        var tasks = run["tasks"]!.AsArray();
        Assert.Equal(["FAILED", "COMPLETED"], tasks.Select(t => t!["status"]!.GetValue<string>()));
        Assert.True(tasks[0]!["retried"]!.GetValue<bool>());
        Assert.Equal("work", run["failedReferenceTaskNames"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task When_retries_run_out_the_run_fails_naming_the_task_and_its_reason()
    {
        var (name, type) = await RegisterAsync(new JsonObject { ["retryCount"] = 1, ["retryDelaySeconds"] = 0 });
        var id = await _client.StartAsync(name);
        await _client.CompleteTaskAsync(await _client.PollTaskAsync(type), status: "FAILED", reason: "one");
        var last = await _client.PollTaskAsync(type);
        await _client.CompleteTaskAsync(last, status: "FAILED", reason: "two");
        var run = await _client.WaitForStatusAsync(id, "FAILED");
        Assert.Equal($"Task {last["taskId"]} failed with status: FAILED and reason: 'two'", run["reasonForIncompletion"]!.GetValue<string>());
        Assert.Equal(2, run["tasks"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_terminal_error_is_never_retried()
    {
        var (name, type) = await RegisterAsync(new JsonObject { ["retryCount"] = 3, ["retryDelaySeconds"] = 0 });
        var id = await _client.StartAsync(name);
        await _client.CompleteTaskAsync(await _client.PollTaskAsync(type), status: "FAILED_WITH_TERMINAL_ERROR", reason: "bad input");
        var run = await _client.WaitForStatusAsync(id, "FAILED");
        Assert.Single(run["tasks"]!.AsArray());
    }

    [Fact]
    public async Task A_retry_waits_its_delay_before_it_can_be_polled()
    {
        var (name, type) = await RegisterAsync(new JsonObject { ["retryCount"] = 1, ["retryDelaySeconds"] = 2, ["retryLogic"] = "FIXED" });
        var id = await _client.StartAsync(name);
        await _client.CompleteTaskAsync(await _client.PollTaskAsync(type), status: "FAILED", reason: "once");
        Assert.Equal(HttpStatusCode.NoContent, (await _client.GetAsync($"/api/tasks/poll/{type}?timeout=500")).Status);
        var retry = await _client.PollTaskAsync(type);
        Assert.Equal(2, (await _client.GetWorkflowAsync(id))["tasks"]![1]!["callbackAfterSeconds"]!.GetValue<int>());
        await _client.CompleteTaskAsync(retry);
        await _client.WaitForStatusAsync(id, "COMPLETED");
    }

    [Fact]
    public async Task An_optional_task_that_fails_ends_completed_with_errors_and_the_run_goes_on()
    {
        var (name, type) = await RegisterAsync(new JsonObject { ["retryCount"] = 0 }, def => def["tasks"]![0]!["optional"] = true);
        var id = await _client.StartAsync(name);
        await _client.CompleteTaskAsync(await _client.PollTaskAsync(type), status: "FAILED", reason: "meh");
        var run = await _client.WaitForStatusAsync(id, "COMPLETED");
        Assert.Equal("COMPLETED_WITH_ERRORS", run["tasks"]![0]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_worker_that_goes_silent_past_the_response_timeout_loses_the_task_to_a_retry()
    {
        var (name, type) = await RegisterAsync(new JsonObject { ["retryCount"] = 1, ["retryDelaySeconds"] = 0, ["responseTimeoutSeconds"] = 1, ["timeoutSeconds"] = 30 });
        var id = await _client.StartAsync(name);
        var silent = await _client.PollTaskAsync(type);
        var retry = await _client.PollTaskAsync(type);
        Assert.NotEqual(silent["taskId"]!.GetValue<string>(), retry["taskId"]!.GetValue<string>());
        var timedOut = (await _client.GetWorkflowAsync(id))["tasks"]![0]!;
        Assert.Equal("TIMED_OUT", timedOut["status"]!.GetValue<string>());
        Assert.Contains("responseTimeout", timedOut["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
        await _client.CompleteTaskAsync(retry);
        await _client.WaitForStatusAsync(id, "COMPLETED");
    }

    [Fact]
    public async Task A_task_past_its_timeout_with_policy_time_out_wf_times_the_run_out()
    {
        var (name, type) = await RegisterAsync(new JsonObject { ["retryCount"] = 0, ["timeoutSeconds"] = 1, ["responseTimeoutSeconds"] = 1, ["timeoutPolicy"] = "TIME_OUT_WF" });
        var id = await _client.StartAsync(name);
        await _client.PollTaskAsync(type);
        var run = await _client.WaitForStatusAsync(id, "TIMED_OUT");
        Assert.Equal("TIMED_OUT", run["tasks"]![0]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_task_nobody_polls_within_its_poll_timeout_times_out()
    {
        var (name, _) = await RegisterAsync(new JsonObject { ["retryCount"] = 0, ["pollTimeoutSeconds"] = 1 });
        var id = await _client.StartAsync(name);
        var run = await _client.WaitForStatusAsync(id, "TIMED_OUT");
        Assert.Contains("poll timed out", run["tasks"]![0]!["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_workflow_past_its_own_timeout_is_timed_out_and_its_task_canceled()
    {
        var (name, _) = await RegisterAsync(tweak: def => def["timeoutSeconds"] = 1);
        var id = await _client.StartAsync(name);
        var run = await _client.WaitForStatusAsync(id, "TIMED_OUT");
        Assert.Equal("CANCELED", run["tasks"]![0]!["status"]!.GetValue<string>());
        Assert.Contains("Workflow timed out", run["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Task_logs_queue_sizes_and_poll_data_are_readable()
    {
        var (name, type) = await RegisterAsync();
        await _client.StartAsync(name);
        await _client.StartAsync(name);
        var sizes = (await _client.GetAsync($"/api/tasks/queue/sizes?taskType={type}")).Object;
        Assert.Equal(2, sizes[type]!.GetValue<int>());

        var task = await _client.PollTaskAsync(type, "logger");
        (await _client.SendRawAsync(HttpMethod.Post, $"/api/tasks/{task["taskId"]}/log", "\"line one\"")).ShouldBe(HttpStatusCode.OK);
        (await _client.SendRawAsync(HttpMethod.Post, $"/api/tasks/{task["taskId"]}/log", "line two", "text/plain")).ShouldBe(HttpStatusCode.OK);
        // Bytes that are not UTF-8 are refused, never stored altered.
        using (var invalid = new HttpRequestMessage(HttpMethod.Post, $"/api/tasks/{task["taskId"]}/log") { Content = new ByteArrayContent([0x6F, 0x6B, 0xC3, 0x28, 0xFF]) })
        {
            invalid.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/plain");
            Assert.Equal(HttpStatusCode.BadRequest, (await _client.Http.SendAsync(invalid)).StatusCode);
        }
        var logs = (await _client.GetAsync($"/api/tasks/{task["taskId"]}/log")).Array;
        Assert.Equal(["line one", "line two"], logs.Select(l => l!["log"]!.GetValue<string>()));
        Assert.Equal(1, (await _client.GetAsync($"/api/tasks/queue/sizes?taskType={type}")).Object[type]!.GetValue<int>());

        var pollData = (await _client.GetAsync($"/api/tasks/queue/polldata?taskType={type}")).Array;
        Assert.Equal("logger", pollData.Single()!["workerId"]!.GetValue<string>());
        var read = (await _client.GetAsync($"/api/tasks/{task["taskId"]}")).Object;
        Assert.Equal("IN_PROGRESS", read["status"]!.GetValue<string>());
    }

    private static JsonObject Result(JsonObject task, string status) => new()
    {
        ["workflowInstanceId"] = task["workflowInstanceId"]!.GetValue<string>(),
        ["taskId"] = task["taskId"]!.GetValue<string>(),
        ["status"] = status,
        ["workerId"] = "w",
    };
}
