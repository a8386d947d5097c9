using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.EndToEnd.TrustModel;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// /api/scheduler over REST against the real server: the Orkes shapes, per-second schedules whose runs act as the
/// schedule's owner, pause and resume, nextFewSchedules, bad input, and who may schedule and see what.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class SchedulerTests(ServerFixture fixture) : IDisposable
{
    private readonly TrustUsers _users = new(fixture);

    public void Dispose() => _users.Dispose();

    private BatonClient Admin => _users.Admin;

    /// <summary>A one-task workflow (NOOP) saved by <paramref name="client"/>.</summary>
    internal static async Task<string> WorkflowAsync(BatonClient client)
    {
        var name = Defs.Unique("scheduled");
        await TrustUsers.SaveAsync(client, Defs.Workflow(name, new JsonObject { ["name"] = "nothing", ["taskReferenceName"] = "nothing", ["type"] = "NOOP" }));
        return name;
    }

    internal static JsonObject Schedule(string name, string workflow, string cron = "*/1 * * * * *", bool paused = false, bool catchUp = false) => new()
    {
        ["name"] = name,
        ["cronExpression"] = cron,
        ["startWorkflowRequest"] = new JsonObject { ["name"] = workflow, ["version"] = 1, ["input"] = new JsonObject { ["from"] = "schedule" } },
        ["paused"] = paused,
        ["runCatchupScheduleInstances"] = catchUp,
        ["description"] = "a test schedule",
        ["createdBy"] = "someone-else@example.test", // the server stamps the owner; this is ignored
        ["updatedBy"] = "someone-else@example.test",
    };

    /// <summary>The fires of a schedule, newest due time first.</summary>
    internal static async Task<List<JsonObject>> FiresAsync(BatonClient client, string schedule)
    {
        var reply = await client.GetAsync($"/api/scheduler/search/executions?query=scheduleName%3D{schedule}&size=1000");
        reply.ShouldBe(HttpStatusCode.OK);
        return [.. reply.Object["results"]!.AsArray().Select(r => r!.AsObject())];
    }

    /// <summary>Polls until <paramref name="done"/> holds for the schedule's fires (generous deadline).</summary>
    internal static async Task<List<JsonObject>> WaitForFiresAsync(BatonClient client, string schedule, Func<List<JsonObject>, bool> done, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        List<JsonObject> fires;
        do
        {
            fires = await FiresAsync(client, schedule);
            if (done(fires)) return fires;
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"Schedule {schedule}'s fires never got there: {new JsonArray([.. fires.Select(f => (JsonNode)f.DeepClone())]).ToJsonString()}");
    }

    internal static string State(JsonObject fire) => fire["state"]!.GetValue<string>();

    [Fact]
    public async Task A_schedule_is_saved_read_listed_paused_resumed_and_deleted_in_orkes_shapes()
    {
        var workflow = await WorkflowAsync(Admin);
        var name = Defs.Unique("crud");
        var admin = fixture.Server.AdminCredentials()["email"]!.GetValue<string>();

        var saved = await Admin.PostAsync("/api/scheduler/schedules", Schedule(name, workflow, "0 0 9 * * MON-FRI", paused: true));
        saved.ShouldBe(HttpStatusCode.OK);

        var read = (await Admin.GetAsync($"/api/scheduler/schedules/{name}")).Object;
        Assert.Equal(name, read["name"]!.GetValue<string>());
        Assert.Equal("0 0 9 * * MON-FRI", read["cronExpression"]!.GetValue<string>());
        Assert.Equal("UTC", read["zoneId"]!.GetValue<string>());
        Assert.Equal(workflow, read["startWorkflowRequest"]!["name"]!.GetValue<string>());
        Assert.Equal("schedule", read["startWorkflowRequest"]!["input"]!["from"]!.GetValue<string>());
        Assert.True(read["paused"]!.GetValue<bool>());
        Assert.Equal(admin, read["createdBy"]!.GetValue<string>());
        Assert.Equal(admin, read["updatedBy"]!.GetValue<string>());
        Assert.True(read["createTime"]!.GetValue<long>() > 0);
        Assert.True(read["updatedTime"]!.GetValue<long>() >= read["createTime"]!.GetValue<long>());
        Assert.Null(read["nextRunTime"]);
        Assert.Empty(read["tags"]!.AsArray());

        var listed = (await Admin.GetAsync($"/api/scheduler/schedules?workflowName={workflow}")).Array;
        Assert.Equal([name], listed.Select(s => s!["name"]!.GetValue<string>()));
        Assert.Contains((await Admin.GetAsync("/api/scheduler/schedules")).Array, s => s!["name"]!.GetValue<string>() == name);

        (await Admin.GetAsync($"/api/scheduler/schedules/{name}/resume")).ShouldBe(HttpStatusCode.OK);
        var resumed = (await Admin.GetAsync($"/api/scheduler/schedules/{name}")).Object;
        Assert.False(resumed["paused"]!.GetValue<bool>());
        var next = DateTimeOffset.FromUnixTimeMilliseconds(resumed["nextRunTime"]!.GetValue<long>());
        Assert.True(next > DateTimeOffset.UtcNow && next.Hour == 9 && next.Minute == 0 && next.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday), next.ToString("O"));

        (await Admin.PutAsync($"/api/scheduler/schedules/{name}/pause")).ShouldBe(HttpStatusCode.OK);
        Assert.Null((await Admin.GetAsync($"/api/scheduler/schedules/{name}")).Object["nextRunTime"]);

        (await Admin.DeleteAsync($"/api/scheduler/schedules/{name}")).ShouldBe(HttpStatusCode.OK);
        (await Admin.GetAsync($"/api/scheduler/schedules/{name}")).ShouldBe(HttpStatusCode.NotFound);
        (await Admin.DeleteAsync($"/api/scheduler/schedules/{name}")).ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_per_second_schedule_starts_runs_as_its_owner_and_pausing_stops_it()
    {
        var (email, user) = await _users.UserAsync("USER");
        var workflow = await WorkflowAsync(user);
        var name = Defs.Unique("every_second");
        (await user.PostAsync("/api/scheduler/schedules", Schedule(name, workflow))).ShouldBe(HttpStatusCode.OK);

        var fires = await WaitForFiresAsync(user, name, f => f.Count(x => State(x) == "EXECUTED") >= 2);
        var fire = fires.First(f => State(f) == "EXECUTED");
        Assert.Equal(workflow, fire["workflowName"]!.GetValue<string>());
        var run = await user.WaitForStatusAsync(fire["workflowId"]!.GetValue<string>(), "COMPLETED");
        Assert.Equal(email, run["createdBy"]!.GetValue<string>());
        Assert.Equal("schedule", run["input"]!["from"]!.GetValue<string>());
        Assert.Equal(fire["scheduledTime"]!.GetValue<long>(), run["input"]!["_scheduledTime"]!.GetValue<long>());
        Assert.Equal(name, run["input"]!["_startedByScheduler"]!.GetValue<string>());
        Assert.Equal(fire["executionId"]!.GetValue<string>(), run["input"]!["_executionId"]!.GetValue<string>());
        Assert.Equal(email, (await user.GetAsync($"/api/scheduler/schedules/{name}")).Object["updatedBy"]!.GetValue<string>());

        (await user.GetAsync($"/api/scheduler/schedules/{name}/pause")).ShouldBe(HttpStatusCode.OK);
        var atPause = (await FiresAsync(user, name)).Count;
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal(atPause, (await FiresAsync(user, name)).Count);
        Assert.Equal(fires.Count, fires.Select(f => f["scheduledTime"]!.GetValue<long>()).Distinct().Count());
        (await user.DeleteAsync($"/api/scheduler/schedules/{name}")).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Next_few_schedules_answers_the_due_times_within_the_bounds()
    {
        var start = new DateTimeOffset(2040, 3, 1, 10, 30, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var times = (await Admin.GetAsync($"/api/scheduler/nextFewSchedules?cronExpression=0%200%20*%20*%20*%20*&scheduleStartTime={start}&limit=3")).Array;
        Assert.Equal([start + 1_800_000, start + 5_400_000, start + 9_000_000], times.Select(t => t!.GetValue<long>()));

        var bounded = (await Admin.GetAsync($"/api/scheduler/nextFewSchedules?cronExpression=0%200%20*%20*%20*%20*&scheduleStartTime={start}&scheduleEndTime={start + 5_400_000}&limit=5")).Array;
        Assert.Equal(2, bounded.Count);
        Assert.Equal(3, (await Admin.GetAsync("/api/scheduler/nextFewSchedules?cronExpression=*%20*%20*%20*%20*")).Array.Count);
        Assert.Empty((await Admin.GetAsync("/api/scheduler/nextFewSchedules?cronExpression=*%20*%20*%20*%20*&scheduleStartTime=0&scheduleEndTime=0&limit=5")).Array);

        var bad = await Admin.GetAsync("/api/scheduler/nextFewSchedules?cronExpression=nonsense&limit=1000");
        bad.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Equal(["cronExpression", "limit"], bad.Object["validationErrors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task Bad_schedules_are_400s_naming_every_path()
    {
        var workflow = await WorkflowAsync(Admin);
        async Task<List<string>> PathsAsync(JsonObject body)
        {
            var reply = await Admin.PostAsync("/api/scheduler/schedules", body);
            Assert.True(reply.Status == HttpStatusCode.BadRequest, reply.Text);
            return [.. reply.Object["validationErrors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).Order()];
        }

        var bad = Schedule("has spaces", workflow, "61 * * * * *");
        bad["zoneId"] = "Mars/Olympus";
        bad["scheduleStartTime"] = 2_000;
        bad["scheduleEndTime"] = 1_000;
        Assert.Equal(["$.cronExpression", "$.name", "$.scheduleEndTime", "$.zoneId"], await PathsAsync(bad));

        Assert.Equal(["$.cronExpression"], await PathsAsync(Schedule(Defs.Unique("s"), workflow, "0 0 0 * * * 2040")));
        Assert.Equal(["$.startWorkflowRequest.name"], await PathsAsync(Schedule(Defs.Unique("s"), Defs.Unique("no_such_workflow"))));
        var wrongVersion = Schedule(Defs.Unique("s"), workflow);
        wrongVersion["startWorkflowRequest"]!["version"] = 7;
        Assert.Equal(["$.startWorkflowRequest.version"], await PathsAsync(wrongVersion));
        var inline = Schedule(Defs.Unique("s"), workflow);
        inline["startWorkflowRequest"]!["workflowDef"] = Defs.Workflow(workflow);
        Assert.Equal(["$.startWorkflowRequest.workflowDef"], await PathsAsync(inline));
        Assert.Equal(["$.startWorkflowRequest"], await PathsAsync(new JsonObject { ["name"] = Defs.Unique("s"), ["cronExpression"] = "* * * * *" }));
        var wrongType = Schedule(Defs.Unique("s"), workflow);
        wrongType["paused"] = "sometimes";
        Assert.Equal(["$.paused"], await PathsAsync(wrongType));
        (await Admin.GetAsync("/api/scheduler/search/executions?query=colour%3Dred")).ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_user_schedules_only_what_it_may_start_and_sees_only_its_own_schedules()
    {
        var adminsWorkflow = await WorkflowAsync(Admin);
        var (_, mallory) = await _users.UserAsync("USER");
        var (aliceEmail, alice) = await _users.UserAsync("USER");
        var alicesWorkflow = await WorkflowAsync(alice);
        var alices = Defs.Unique("alices");
        (await alice.PostAsync("/api/scheduler/schedules", Schedule(alices, alicesWorkflow, "0 0 0 1 1 *"))).ShouldBe(HttpStatusCode.OK);

        // Without EXECUTE on the workflow, no schedule of it (whatever the body claims about its author), even for a
        // user who may start workflows of its own.
        (await mallory.PostAsync("/api/scheduler/schedules", Schedule(Defs.Unique("mine"), adminsWorkflow))).ShouldBe(HttpStatusCode.Forbidden);
        var malloryWorkflow = await WorkflowAsync(mallory);
        var refused = await mallory.PostAsync("/api/scheduler/schedules", Schedule(Defs.Unique("mine"), adminsWorkflow));
        refused.ShouldBe(HttpStatusCode.Forbidden);
        Assert.Contains($"EXECUTE on WORKFLOW_DEF '{adminsWorkflow}'", refused.Text, StringComparison.Ordinal);
        // Nor over someone else's schedule, even with a workflow of one's own.
        var takeover = await mallory.PostAsync("/api/scheduler/schedules", Schedule(alices, malloryWorkflow));
        takeover.ShouldBe(HttpStatusCode.Forbidden);
        Assert.Contains("UPDATE on WORKFLOW_SCHEDULE", takeover.Text, StringComparison.Ordinal);

        var own = Defs.Unique("mallorys");
        (await mallory.PostAsync("/api/scheduler/schedules", Schedule(own, malloryWorkflow, "0 0 0 1 1 *"))).ShouldBe(HttpStatusCode.OK);
        Assert.Equal([own], (await mallory.GetAsync("/api/scheduler/schedules")).Array.Select(s => s!["name"]!.GetValue<string>()));
        (await mallory.GetAsync($"/api/scheduler/schedules/{alices}")).ShouldBe(HttpStatusCode.Forbidden);
        (await mallory.GetAsync($"/api/scheduler/schedules/{alices}/pause")).ShouldBe(HttpStatusCode.Forbidden);
        (await mallory.DeleteAsync($"/api/scheduler/schedules/{alices}")).ShouldBe(HttpStatusCode.Forbidden);
        Assert.Equal(0, (await mallory.GetAsync($"/api/scheduler/search/executions?query=scheduleName%3D{alices}")).Object["totalHits"]!.GetValue<long>());

        var stillAlices = (await alice.GetAsync($"/api/scheduler/schedules/{alices}")).Object;
        Assert.Equal(aliceEmail, stillAlices["updatedBy"]!.GetValue<string>());
        Assert.False(stillAlices["paused"]!.GetValue<bool>());

        // Deleted, its name keeps no grants: whoever makes a schedule of that name next shares nothing with alice.
        (await alice.DeleteAsync($"/api/scheduler/schedules/{alices}")).ShouldBe(HttpStatusCode.OK);
        (await mallory.PostAsync("/api/scheduler/schedules", Schedule(alices, malloryWorkflow, "0 0 0 1 1 *"))).ShouldBe(HttpStatusCode.OK);
        (await alice.GetAsync($"/api/scheduler/schedules/{alices}")).ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task When_the_owner_loses_execute_each_fire_fails_with_the_reason_and_starts_nothing()
    {
        var workflow = await WorkflowAsync(Admin);
        var (email, user) = await _users.UserAsync("USER");
        await _users.GrantAsync(email, "WORKFLOW_DEF", workflow, "EXECUTE");
        var name = Defs.Unique("revoked");
        (await user.PostAsync("/api/scheduler/schedules", Schedule(name, workflow))).ShouldBe(HttpStatusCode.OK);
        await WaitForFiresAsync(user, name, f => f.Any(x => State(x) == "EXECUTED"));

        (await Admin.SendAsync(HttpMethod.Delete, "/api/auth/authorization", new JsonObject
        {
            ["subject"] = new JsonObject { ["type"] = "USER", ["id"] = email },
            ["target"] = new JsonObject { ["type"] = "WORKFLOW_DEF", ["id"] = workflow },
            ["access"] = new JsonArray("EXECUTE"),
        })).ShouldBe(HttpStatusCode.OK);

        var fires = await WaitForFiresAsync(user, name, f => f.Any(x => State(x) == "FAILED"));
        var failed = fires.First(f => State(f) == "FAILED");
        Assert.Contains($"the schedule's owner: {email} may not start workflow '{workflow}'", failed["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(failed["workflowId"]);

        // Deleted, the owner's schedule fails the same way: nobody else's rights stand in.
        (await Admin.DeleteAsync($"/api/users/{email}")).ShouldBe(HttpStatusCode.OK);
        var afterDelete = await WaitForFiresAsync(Admin, name, f => f.Any(x => x["reason"]?.GetValue<string>().Contains("no longer exists", StringComparison.Ordinal) == true));
        Assert.DoesNotContain(afterDelete, f => State(f) == "EXECUTED" && f["scheduledTime"]!.GetValue<long>() > failed["scheduledTime"]!.GetValue<long>());
        (await Admin.DeleteAsync($"/api/scheduler/schedules/{name}")).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_scheduled_run_uses_secrets_with_its_owners_rights_so_an_owner_without_them_gets_nothing()
    {
        var value = TrustUsers.Value("scheduled-secret");
        var secret = await Admin.NewSecretAsync(value);
        var workflow = Defs.Unique("scheduled_secret");
        // The administrator (who may READ the secret) wrote the definition; the schedule's owner may not use the secret.
        await TrustUsers.SaveAsync(Admin, Defs.Workflow(workflow, Defs.Http("call", $"{_users.PeerUrl}/echo", headers: new JsonObject { ["Authorization"] = $"Bearer ${{workflow.secrets.{secret}}}" })));
        var (email, user) = await _users.UserAsync("USER");
        await _users.GrantAsync(email, "WORKFLOW_DEF", workflow, "EXECUTE");
        var name = Defs.Unique("secret_schedule");
        (await user.PostAsync("/api/scheduler/schedules", Schedule(name, workflow))).ShouldBe(HttpStatusCode.OK);

        var fires = await WaitForFiresAsync(user, name, f => f.Any(x => State(x) == "EXECUTED"));
        (await user.GetAsync($"/api/scheduler/schedules/{name}/pause")).ShouldBe(HttpStatusCode.OK);
        var run = await user.WaitForStatusAsync(fires.First(f => State(f) == "EXECUTED")["workflowId"]!.GetValue<string>(), "FAILED");

        Assert.Equal(email, run["createdBy"]!.GetValue<string>());
        Assert.Contains($"permission denied: {email} may not use secret '{secret}'", TrustUsers.Reason(run), StringComparison.Ordinal);
        Assert.False(_users.PeerSaw(value));
        (await user.DeleteAsync($"/api/scheduler/schedules/{name}")).ShouldBe(HttpStatusCode.OK);
    }
}
