using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// Kills the server with SIGKILL while hundreds of workflows run, starts it again on the same data folder, and
/// checks that every workflow finishes, no task is lost, and no task a worker was told was completed is handed
/// out or completed again.
/// </summary>
public sealed class DurabilityTests : OwnServerTests
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
    public async Task A_server_killed_mid_run_finishes_every_workflow_without_losing_or_repeating_a_task()
    {
        using var client = new BatonClient(Server);
        var name = Defs.Unique("durable");
        var type = Defs.Unique("durable_work");
        // A worker whose poll answer was lost in the kill gets its task back after the response timeout.
        (await client.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject
        {
            ["name"] = type,
            ["retryCount"] = 3,
            ["retryDelaySeconds"] = 0,
            ["responseTimeoutSeconds"] = 2,
        }))).ShouldBe(HttpStatusCode.OK);
        await client.RegisterWorkflowAsync(Defs.Workflow(name,
            Defs.Simple(type, "work", new JsonObject { ["n"] = "${workflow.input.n}" }),
            Defs.Http("call", $"{Peer.BaseUrl}/echo", "POST", body: new JsonObject { ["n"] = "${work.output.n}" }),
            Defs.Inline("check", "$.n * 2", new JsonObject { ["n"] = "${call.output.response.body.body.n}" })));

        var started = new List<(string Id, int N)>();
        for (var i = 0; i < Workflows; i++) started.Add((await client.StartAsync(name, new JsonObject { ["n"] = i }), i));

        var acknowledged = new ConcurrentDictionary<string, byte>();
        var handedAfterRestart = new ConcurrentBag<string>();
        var restarted = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() => WorkAsync(client, type, $"worker-{w}", acknowledged, handedAfterRestart, () => Volatile.Read(ref restarted) == 1, stop.Token))).ToList();

        while (acknowledged.Count < Workflows / 3 && !stop.IsCancellationRequested) await Task.Delay(20);
        var acknowledgedBeforeKill = acknowledged.Keys.ToHashSet();
        await Server.KillAsync();
        await Task.Delay(200);
        await Server.LaunchAsync();
        Volatile.Write(ref restarted, 1);

        var deadline = DateTime.UtcNow.AddSeconds(120);
        long completed = 0;
        while (DateTime.UtcNow < deadline)
        {
            var reply = await client.GetAsync("/api/workflow/search?size=0&query=" + Uri.EscapeDataString($"workflowType = '{name}' AND status IN (COMPLETED)"));
            completed = reply.Object["totalHits"]!.GetValue<long>();
            if (completed == Workflows) break;
            await Task.Delay(250);
        }
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        Assert.Equal(Workflows, completed);
        Assert.True(acknowledgedBeforeKill.Count >= Workflows / 3);
        Assert.DoesNotContain(handedAfterRestart, acknowledgedBeforeKill.Contains);
        foreach (var (id, n) in started)
        {
            var run = await client.GetWorkflowAsync(id);
            var tasks = run["tasks"]!.AsArray();
            Assert.Equal(1, tasks.Count(t => t!["referenceTaskName"]!.GetValue<string>() == "work" && t["status"]!.GetValue<string>() == "COMPLETED"));
            Assert.Equal(n * 2, run["output"]!["result"]!.GetValue<int>());
            Assert.All(tasks, t => Assert.Contains(t!["status"]!.GetValue<string>(), FinishedStatuses));
        }
        Assert.Contains("Resumed", Server.Output, StringComparison.Ordinal);
    }

    /// <summary>A worker like an SDK's: polls, completes, and when the server is gone retries the same call.</summary>
    private static async Task WorkAsync(BatonClient client, string type, string workerId, ConcurrentDictionary<string, byte> acknowledged,
        ConcurrentBag<string> handedAfterRestart, Func<bool> restarted, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            JsonArray tasks;
            try
            {
                var afterRestart = restarted();
                var reply = await client.GetAsync($"/api/tasks/poll/batch/{type}?workerid={workerId}&count=10&timeout=200");
                if (reply.Status != HttpStatusCode.OK) continue;
                tasks = reply.Array;
                if (afterRestart)
                {
                    foreach (var t in tasks) handedAfterRestart.Add(t!["taskId"]!.GetValue<string>());
                }
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100, CancellationToken.None);
                continue;
            }
            foreach (var task in tasks)
            {
                var result = new JsonObject
                {
                    ["workflowInstanceId"] = task!["workflowInstanceId"]!.GetValue<string>(),
                    ["taskId"] = task["taskId"]!.GetValue<string>(),
                    ["status"] = "COMPLETED",
                    ["outputData"] = new JsonObject { ["n"] = task["inputData"]!["n"]!.DeepClone() },
                };
                while (!ct.IsCancellationRequested)
                {
                    try
                    {
                        var reply = await client.PostAsync("/api/tasks", result);
                        if (reply.Status == HttpStatusCode.OK) acknowledged.TryAdd(reply.Text, 0);
                        break;
                    }
                    catch (HttpRequestException)
                    {
                        await Task.Delay(100, CancellationToken.None);
                    }
                }
            }
        }
    }
}
