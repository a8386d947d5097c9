using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.EndToEnd.TrustModel;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// WAIT and HUMAN tasks, completed by time or from outside. Who may complete one: whoever may execute the run's workflow
/// (the right to start, retry or terminate it), not a worker of some task type, not a user without that right.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class WaitAndHumanTests(ServerFixture fixture) : IDisposable
{
    private readonly TrustUsers _users = new(fixture);

    public void Dispose() => _users.Dispose();

    [Fact]
    public async Task A_wait_of_one_second_completes_on_its_own_and_the_run_goes_on()
    {
        var def = Defs.Workflow(Defs.Unique("wait"),
            Defs.Parse("""{"name": "pause", "taskReferenceName": "pause", "type": "WAIT", "inputParameters": {"duration": "1s"}}"""),
            Defs.Inline("after", "'done'", new JsonObject()));
        await TrustUsers.SaveAsync(_users.Admin, def);
        var id = await _users.Admin.StartAsync(def["name"]!.GetValue<string>());

        var run = await _users.Admin.WaitForStatusAsync(id, "COMPLETED", "FAILED");

        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        var pause = run["tasks"]![0]!;
        Assert.True(pause["endTime"]!.GetValue<long>() - pause["startTime"]!.GetValue<long>() >= 1000, pause.ToJsonString());
    }

    [Fact]
    public async Task A_human_task_is_completed_by_a_user_who_may_execute_the_workflow_and_by_no_one_else()
    {
        var (ownerEmail, owner) = await _users.UserAsync("USER");
        var (_, outsider) = await _users.UserAsync("USER");
        var (_, worker) = await _users.ApplicationAsync("WORKER");
        var workflow = Defs.Unique("approve");
        await TrustUsers.SaveAsync(owner, Defs.Workflow(workflow,
            Defs.Parse("""{"name": "approval", "taskReferenceName": "approval", "type": "HUMAN"}"""),
            Defs.Inline("after", "$.ok ? 'approved' : 'refused'", new JsonObject { ["ok"] = "${approval.output.ok}" })));
        var id = await owner.StartAsync(workflow);
        var waiting = await owner.WaitForAsync(id, run => run["tasks"]![0]!["status"]!.GetValue<string>() == "IN_PROGRESS");
        var taskId = waiting["tasks"]![0]!["taskId"]!.GetValue<string>();
        var result = new JsonObject { ["workflowInstanceId"] = id, ["taskId"] = taskId, ["status"] = "COMPLETED", ["outputData"] = new JsonObject { ["ok"] = true } };

        (await outsider.PostAsync("/api/tasks", result)).ShouldBe(HttpStatusCode.Forbidden);
        (await worker.PostAsync("/api/tasks", result)).ShouldBe(HttpStatusCode.Forbidden);
        (await outsider.PostAsync($"/api/tasks/{id}/approval/COMPLETED", new JsonObject { ["ok"] = true })).ShouldBe(HttpStatusCode.Forbidden);
        Assert.Equal("IN_PROGRESS", (await owner.GetWorkflowAsync(id))["tasks"]![0]!["status"]!.GetValue<string>());

        (await owner.PostAsync($"/api/tasks/{id}/approval/COMPLETED", new JsonObject { ["ok"] = true })).ShouldBe(HttpStatusCode.OK);

        var done = await owner.WaitForStatusAsync(id, "COMPLETED", "FAILED");
        Assert.Equal("approved", done["output"]!["result"]!.GetValue<string>());
        _ = ownerEmail;
    }

    [Fact]
    public async Task A_system_task_that_is_not_completed_from_outside_still_cannot_be_reported()
    {
        var def = Defs.Workflow(Defs.Unique("join_report"),
            Defs.Parse("""{"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [[{"name": "hold", "taskReferenceName": "hold", "type": "HUMAN"}]]}"""),
            Defs.Parse("""{"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["hold"]}"""));
        await TrustUsers.SaveAsync(_users.Admin, def);
        var id = await _users.Admin.StartAsync(def["name"]!.GetValue<string>());
        var run = await _users.Admin.WaitForAsync(id, r => r["tasks"]!.AsArray().Count == 3);
        var join = run["tasks"]!.AsArray().Single(t => t!["referenceTaskName"]!.GetValue<string>() == "join")!;

        var reply = await _users.Admin.PostAsync("/api/tasks", new JsonObject
        {
            ["workflowInstanceId"] = id,
            ["taskId"] = join["taskId"]!.GetValue<string>(),
            ["status"] = "COMPLETED",
        });

        reply.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("which the server runs itself", reply.Text, StringComparison.Ordinal);
    }
}
