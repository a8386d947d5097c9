using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// Kills the server with SIGKILL while hundreds of workflows run, starts it again on the same data folder, and
/// checks that every workflow finishes, no task is lost, and no task a worker was told was completed is handed
/// out or completed again.
/// </summary>
public sealed class DurabilityTests(ITestOutputHelper output) : OwnServerTests
{
    private const int Workflows = 300;
    private static readonly string[] FinishedStatuses = ["COMPLETED", "TIMED_OUT"];

    [Fact]
    public async Task A_retry_after_a_server_restart_uses_the_secret_version_its_run_first_used()
    {
        using var client = new BatonClient(Server);
        var first = "tok-" + Guid.NewGuid().ToString("N");
        var secret = await client.NewSecretAsync(first);
        var type = Defs.Unique("pinned_worker");
        (await client.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject { ["name"] = type, ["retryCount"] = 1, ["retryDelaySeconds"] = 0 }))).ShouldBe(HttpStatusCode.OK);
        var name = Defs.Unique("pinned");
        await client.RegisterWorkflowAsync(Defs.Workflow(name, Defs.Simple(type, "work", new JsonObject { ["key"] = $"${{workflow.secrets.{secret}}}" })));
        var id = await client.StartAsync(name);
        var attempt = await client.PollTaskAsync(type);
        Assert.Equal(first, attempt["inputData"]!["key"]!.GetValue<string>());
        await client.PutSecretAsync(secret, "tok-" + Guid.NewGuid().ToString("N"));

        // The pins are in memory only; after the restart they come back from the manifest (the audit's resolutions).
        await Server.KillAsync();
        await Server.LaunchAsync();
        await client.CompleteTaskAsync(attempt, status: "FAILED", reason: "try again");
        var retry = await client.PollTaskAsync(type);

        Assert.Equal(first, retry["inputData"]!["key"]!.GetValue<string>());
        var entry = Assert.Single((await client.GetAsync($"/api/workflow/{id}/secrets")).Array)!;
        Assert.Equal(1, entry["version"]!.GetValue<int>());
        Assert.Equal(["work"], entry["taskReferenceNames"]!.AsArray().Select(r => r!.GetValue<string>()));
    }

    [Fact]
    public async Task A_value_derived_from_a_secret_is_still_masked_in_what_comes_back_after_a_restart()
    {
        using var client = new BatonClient(Server);
        var value = "derive-me-" + Guid.NewGuid().ToString("N");
        var reversed = new string([.. value.Reverse()]); // a form the redactor cannot derive from the value itself
        var secret = await client.NewSecretAsync(value);
        var type = Defs.Unique("derived_echo");
        await RegisterWorkerTypeAsync(client, type, retryCount: 0, responseTimeoutSeconds: 300);
        var name = Defs.Unique("derived");
        await client.RegisterWorkflowAsync(Defs.Workflow(name,
            Defs.Inline("calc", "(function(){ return { reversed: $.key.split('').reverse().join('') }; })()", new JsonObject { ["key"] = $"${{workflow.secrets.{secret}}}" }),
            Defs.Simple(type, "work", new JsonObject { ["v"] = "${calc.output.result.reversed}" }),
            Defs.Http("send", $"{Peer.BaseUrl}/echo", "POST", body: new JsonObject { ["u"] = "${calc.output.result.reversed}" })));
        var id = await client.StartAsync(name);
        var attempt = await client.PollTaskAsync(type);
        Assert.Equal(reversed, attempt["inputData"]!["v"]!.GetValue<string>()); // the worker was given the derived value

        // The derived values the redactor masks were in memory only; after the restart they must be known again
        // before the worker's echo is stored, and before the next task's unsealed input comes back from the peer.
        await Server.KillAsync();
        await Server.LaunchAsync();
        var taskId = attempt["taskId"]!.GetValue<string>();
        (await client.SendRawAsync(HttpMethod.Post, $"/api/tasks/{taskId}/log", $"working on {reversed}", "text/plain")).ShouldBe(HttpStatusCode.OK);
        (await client.PostAsync("/api/tasks", new JsonObject
        {
            ["workflowInstanceId"] = id,
            ["taskId"] = taskId,
            ["status"] = "COMPLETED",
            ["outputData"] = new JsonObject { ["echo"] = reversed },
            ["logs"] = new JsonArray(new JsonObject { ["log"] = $"done with {reversed}" }),
        })).ShouldBe(HttpStatusCode.OK);
        var run = await client.WaitForStatusAsync(id, "COMPLETED");

        Assert.DoesNotContain(reversed, run.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("***", run["tasks"]![1]!["outputData"]!["echo"]!.GetValue<string>());
        var logs = (await client.GetAsync($"/api/tasks/{taskId}/log")).Text;
        Assert.Contains("working on ***", logs, StringComparison.Ordinal);
        Assert.Contains("done with ***", logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_answer_held_while_the_server_was_down_longer_than_the_response_timeout_completes_its_task()
    {
        using var client = new BatonClient(Server);
        var type = Defs.Unique("held_work");
        await RegisterWorkerTypeAsync(client, type, retryCount: 1, responseTimeoutSeconds: 2);
        var name = Defs.Unique("held");
        await client.RegisterWorkflowAsync(Defs.Workflow(name, Defs.Simple(type, "work")));
        var answered = await client.StartAsync(name);
        var silent = await client.StartAsync(name);
        var held = await client.PollTaskAsync(type);
        var forgotten = await client.PollTaskAsync(type);
        Assert.Equal(answered, held["workflowInstanceId"]!.GetValue<string>());

        // Down for longer than the response timeout: the worker could not report, so the time does not count against it.
        await Server.KillAsync();
        await Task.Delay(2500);
        await Server.LaunchAsync();
        await client.CompleteTaskAsync(held, new JsonObject { ["kept"] = true });

        // The result is committed, and the run decided, before the answer: no waiting.
        var run = await client.GetWorkflowAsync(answered);
        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        var task = Assert.Single(run["tasks"]!.AsArray())!;
        Assert.True(task["outputData"]!["kept"]!.GetValue<bool>());
        // A worker that stays silent after the restart still runs out of time, counted from the restart, and the task is tried again.
        Assert.Equal(forgotten["taskId"]!.GetValue<string>(), (await client.GetWorkflowAsync(silent))["tasks"]![0]!["taskId"]!.GetValue<string>());
        var retry = await client.PollTaskAsync(type);
        Assert.Equal(silent, retry["workflowInstanceId"]!.GetValue<string>());
        var first = (await client.GetWorkflowAsync(silent))["tasks"]![0]!;
        Assert.Equal("TIMED_OUT", first["status"]!.GetValue<string>());
    }

    /// <summary>
    /// Issue 14's bar: 300 runs of a worker task, an HTTP task against a close-delimited HTTP/1.0 peer that holds
    /// each request a while (so calls are in flight at a kill) and an INLINE, with the server SIGKILLed three times
    /// at different points (a quarter of the worker answers in, right after a restart while recovery re-runs the
    /// HTTP calls, three quarters in) and started again on the same data folder each time. Every run completes,
    /// every reference completes exactly once, and no worker answer the server acknowledged is lost or handed out again.
    /// </summary>
    [Fact]
    public async Task Three_kills_while_300_workflows_run_lose_no_run_no_answer_and_complete_no_reference_twice()
    {
        await using var peer = ClosingPeer.Start(answerDelayMs: 150);
        using var client = new BatonClient(Server);
        var name = Defs.Unique("durable");
        var type = Defs.Unique("durable_work");
        // A worker whose poll answer was lost in a kill gets its task back after the response timeout.
        await RegisterWorkerTypeAsync(client, type, retryCount: 5, responseTimeoutSeconds: 2);
        await client.RegisterWorkflowAsync(Defs.Workflow(name,
            Defs.Simple(type, "work", new JsonObject { ["n"] = "${workflow.input.n}" }),
            Defs.Http("call", $"{peer.BaseUrl}/closing", "POST", body: new JsonObject { ["n"] = "${work.output.n}" }),
            Defs.Inline("check", "$.ok === true ? $.n * 2 : -1", new JsonObject { ["n"] = "${work.output.n}", ["ok"] = "${call.output.response.body.ok}" })));

        var started = new List<(string Id, int N)>();
        for (var i = 0; i < Workflows; i++) started.Add((await client.StartAsync(name, new JsonObject { ["n"] = i }), i));

        var log = new WorkLog();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() => WorkAsync(client, type, $"worker-{w}", log, stop.Token))).ToList();

        var httpInFlightAtKills = new List<int>();
        async Task KillAndRestartAsync()
        {
            httpInFlightAtKills.Add(peer.InFlight);
            await Server.KillAsync();
            await Server.LaunchAsync();
        }
        async Task WaitForAsync(Func<bool> condition)
        {
            while (!condition() && !stop.IsCancellationRequested) await Task.Delay(10);
        }

        await WaitForAsync(() => log.Acknowledged >= Workflows / 4);
        await KillAndRestartAsync();
        // Right after the restart, recovery has re-run the HTTP calls that were in flight: kill while they are.
        var answeredBefore = peer.Answered;
        await WaitForAsync(() => peer.InFlight > 0 || peer.Answered > answeredBefore);
        await KillAndRestartAsync();
        await WaitForAsync(() => log.Acknowledged >= Workflows * 3 / 4);
        await KillAndRestartAsync();

        long completed = 0;
        while (!stop.IsCancellationRequested)
        {
            var reply = await client.GetAsync("/api/workflow/search?size=0&query=" + Uri.EscapeDataString($"workflowType = '{name}' AND status IN (COMPLETED)"));
            completed = reply.Object["totalHits"]!.GetValue<long>();
            if (completed == Workflows) break;
            await Task.Delay(100);
        }
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        output.WriteLine($"HTTP calls held by the peer at the three kills: {string.Join(", ", httpInFlightAtKills)}; answers it sent for {Workflows} runs: {peer.Answered}; worker answers acknowledged: {log.Acknowledged}");
        Assert.Equal(Workflows, completed);
        Assert.Equal(3, Regex.Count(Server.Output, "Resumed [0-9]+ active workflows"));
        Assert.Contains(httpInFlightAtKills, n => n > 0);
        Assert.Empty(log.HandedAfterAcknowledged());
        var acknowledged = log.AcknowledgedOutputs();
        foreach (var (id, n) in started)
        {
            var run = await client.GetWorkflowAsync(id);
            var tasks = run["tasks"]!.AsArray();
            foreach (var reference in new[] { "work", "call", "check" })
            {
                var completions = tasks.Count(t => t!["referenceTaskName"]!.GetValue<string>() == reference && t["status"]!.GetValue<string>() == "COMPLETED");
                Assert.True(completions == 1, $"{reference} of run {id} COMPLETED {completions} times");
            }
            Assert.Equal(n * 2, run["output"]!["result"]!.GetValue<int>());
            Assert.All(tasks, t => Assert.Contains(t!["status"]!.GetValue<string>(), FinishedStatuses));
            // Every answer the server acknowledged is the one the run kept.
            foreach (var task in tasks.Where(t => t!["referenceTaskName"]!.GetValue<string>() == "work"))
            {
                if (!acknowledged.TryGetValue(task!["taskId"]!.GetValue<string>(), out var answered)) continue;
                Assert.True(task["status"]!.GetValue<string>() == "COMPLETED", $"an acknowledged answer was lost: {task.ToJsonString()}");
                Assert.Equal(answered, task["outputData"]!["n"]!.GetValue<int>());
            }
        }
    }

    private static async Task RegisterWorkerTypeAsync(BatonClient client, string type, int retryCount, int responseTimeoutSeconds) =>
        (await client.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject
        {
            ["name"] = type,
            ["retryCount"] = retryCount,
            ["retryDelaySeconds"] = 0,
            ["responseTimeoutSeconds"] = responseTimeoutSeconds,
        }))).ShouldBe(HttpStatusCode.OK);

    /// <summary>What the workers saw: each poll answer with the time its poll was sent, each acknowledged result with its time.</summary>
    private sealed class WorkLog
    {
        private long _clock;
        private readonly ConcurrentDictionary<string, (long At, int N)> _acknowledged = new(StringComparer.Ordinal);
        private readonly ConcurrentBag<(string TaskId, long PollSentAt)> _handed = [];

        public int Acknowledged => _acknowledged.Count;

        public long Now() => Interlocked.Increment(ref _clock);

        public void Handed(string taskId, long pollSentAt) => _handed.Add((taskId, pollSentAt));

        public void Acknowledge(string taskId, int n) => _acknowledged.TryAdd(taskId, (Now(), n));

        /// <summary>Tasks handed out by a poll sent after the server had acknowledged their result: an answer lost.</summary>
        public List<string> HandedAfterAcknowledged() =>
            [.. _handed.Where(h => _acknowledged.TryGetValue(h.TaskId, out var ack) && h.PollSentAt > ack.At).Select(h => h.TaskId)];

        public Dictionary<string, int> AcknowledgedOutputs() => _acknowledged.ToDictionary(a => a.Key, a => a.Value.N, StringComparer.Ordinal);
    }

    /// <summary>A worker like an SDK's: polls, completes, and when the server is gone retries the same call.</summary>
    private static async Task WorkAsync(BatonClient client, string type, string workerId, WorkLog log, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            JsonArray tasks;
            try
            {
                var sentAt = log.Now();
                var reply = await client.GetAsync($"/api/tasks/poll/batch/{type}?workerid={workerId}&count=10&timeout=200");
                if (reply.Status != HttpStatusCode.OK) continue;
                tasks = reply.Array;
                foreach (var t in tasks) log.Handed(t!["taskId"]!.GetValue<string>(), sentAt);
            }
            catch (HttpRequestException)
            {
                await Task.Delay(50, CancellationToken.None);
                continue;
            }
            foreach (var task in tasks)
            {
                var n = task!["inputData"]!["n"]!.GetValue<int>();
                var result = new JsonObject
                {
                    ["workflowInstanceId"] = task["workflowInstanceId"]!.GetValue<string>(),
                    ["taskId"] = task["taskId"]!.GetValue<string>(),
                    ["status"] = "COMPLETED",
                    ["outputData"] = new JsonObject { ["n"] = n },
                };
                while (!ct.IsCancellationRequested)
                {
                    try
                    {
                        var reply = await client.PostAsync("/api/tasks", result);
                        if (reply.Status == HttpStatusCode.OK) log.Acknowledge(reply.Text, n);
                        break;
                    }
                    catch (HttpRequestException)
                    {
                        await Task.Delay(50, CancellationToken.None);
                    }
                }
            }
        }
    }
}
