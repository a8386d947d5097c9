using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// The console's Schedules page against a real server: the schedules the viewer may read with their executions, pause
/// and resume under the API's rule, and a reader without UPDATE or EXECUTE whose forged pause is refused.
/// </summary>
public sealed class ConsoleSchedulesTests : OwnServerTests
{
    [Fact]
    public async Task Schedules_and_their_executions_are_listed_and_pause_and_resume_go_through_the_apis_rule()
    {
        using var admin = new BatonClient(Server);
        var workflow = Defs.Unique("scheduled");
        await admin.RegisterWorkflowAsync(Defs.Workflow(workflow, Defs.Inline("noop", "1")));
        var every = Defs.Unique("every_second");
        (await admin.PostAsync("/api/scheduler/schedules", SchedulerTests.Schedule(every, workflow))).ShouldBe(HttpStatusCode.OK);
        // A fire is POLLED (claimed) before its run starts and it becomes EXECUTED: wait for the second.
        await SchedulerTests.WaitForFiresAsync(admin, every, fires => fires.Exists(f => f["state"]?.GetValue<string>() == "EXECUTED"), seconds: 30);

        using var browser = new ConsoleBrowser(Server.BaseUrl);
        await browser.SignInAsync(Server.AdminCredentials()["email"]!.GetValue<string>(), Server.AdminCredentials()["password"]!.GetValue<string>());
        var page = await browser.GetAsync("/console/schedules");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains(every, page.Html, StringComparison.Ordinal);
        Assert.Contains("EXECUTED", page.Html, StringComparison.Ordinal);
        Assert.Contains("href=\"console/runs/", page.Html, StringComparison.Ordinal);

        var paused = await browser.PostFormAsync("/console/schedules", $"pause-{every}", page.Html);
        Assert.Contains($"Paused {every}.", paused.Html, StringComparison.Ordinal);
        Assert.True((await admin.GetAsync($"/api/scheduler/schedules/{every}")).Object["paused"]!.GetValue<bool>());
        Assert.Contains("paused: paused in the console", paused.Html, StringComparison.Ordinal);
        var resumed = await browser.PostFormAsync("/console/schedules", $"resume-{every}", paused.Html);
        Assert.Contains($"Resumed {every}.", resumed.Html, StringComparison.Ordinal);
        Assert.False((await admin.GetAsync($"/api/scheduler/schedules/{every}")).Object["paused"]!.GetValue<bool>());
        (await admin.GetAsync($"/api/scheduler/schedules/{every}/pause")).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_reader_cannot_pause_and_someone_without_rights_sees_nothing()
    {
        using var admin = new BatonClient(Server);
        var workflow = Defs.Unique("scheduled");
        await admin.RegisterWorkflowAsync(Defs.Workflow(workflow, Defs.Inline("noop", "1")));
        var name = Defs.Unique("nightly");
        (await admin.PostAsync("/api/scheduler/schedules", SchedulerTests.Schedule(name, workflow, "0 0 3 * * *"))).ShouldBe(HttpStatusCode.OK);
        (await admin.PutAsync("/api/users/reader@example.test", new JsonObject { ["roles"] = new JsonArray("USER"), ["password"] = "a long enough password" })).ShouldBe(HttpStatusCode.OK);
        (await admin.PutAsync("/api/users/nobody@example.test", new JsonObject { ["roles"] = new JsonArray(), ["password"] = "a long enough password" })).ShouldBe(HttpStatusCode.OK);
        (await admin.PostAsync("/api/auth/authorization", new JsonObject
        {
            ["subject"] = new JsonObject { ["type"] = "USER", ["id"] = "reader@example.test" },
            ["target"] = new JsonObject { ["type"] = "WORKFLOW_SCHEDULE", ["id"] = name },
            ["access"] = new JsonArray("READ"),
        })).ShouldBe(HttpStatusCode.OK);

        using var reader = new ConsoleBrowser(Server.BaseUrl);
        await reader.SignInAsync("reader@example.test", "a long enough password");
        var page = await reader.GetAsync("/console/schedules");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Matches($"<button type=\"submit\" disabled[^>]*aria-label=\"Pause {name}\"", page.Html);
        var forged = await reader.PostFormAsync("/console/schedules", $"pause-{name}", page.Html);
        Assert.Contains($"Forbidden: needs UPDATE or EXECUTE on WORKFLOW_SCHEDULE &#x27;{name}&#x27;", forged.Html, StringComparison.Ordinal);
        Assert.False((await admin.GetAsync($"/api/scheduler/schedules/{name}")).Object["paused"]!.GetValue<bool>());

        using var nobody = new ConsoleBrowser(Server.BaseUrl);
        await nobody.SignInAsync("nobody@example.test", "a long enough password");
        var refused = await nobody.GetAsync("/console/schedules");
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.DoesNotContain(name, refused.Html, StringComparison.Ordinal);
    }
}
