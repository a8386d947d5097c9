using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// The console's Runs pages against a real server: the list with its filters, a run's page with each task's input as
/// stored and the secret manifest (never a value), and the actions, each under the API's rule; a reader sees a run
/// but cannot act on it, and someone else's run is not there for a user without rights.
/// </summary>
public sealed class ConsoleRunsTests : OwnServerTests
{
    private const string Value = "run-page-secret-3b9f20aa";

    private async Task<ConsoleBrowser> AdminAsync()
    {
        var browser = new ConsoleBrowser(Server.BaseUrl);
        await browser.SignInAsync(Server.AdminCredentials()["email"]!.GetValue<string>(), Server.AdminCredentials()["password"]!.GetValue<string>());
        return browser;
    }

    [Fact]
    public async Task The_list_filters_and_a_runs_page_shows_tasks_as_stored_and_the_manifest_without_the_value()
    {
        using var admin = new BatonClient(Server);
        await admin.PutSecretAsync("run_page_token", Value);
        var name = Defs.Unique("run_page");
        var run = await admin.ExecuteAsync(Defs.Workflow(name, Defs.Http("call", $"{Peer.BaseUrl}/echo", "POST",
            body: new JsonObject { ["token"] = "${workflow.secrets.run_page_token}" },
            headers: new JsonObject { ["Authorization"] = "Bearer ${workflow.secrets.run_page_token}" })));
        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        var id = run["workflowId"]!.GetValue<string>();

        using var browser = await AdminAsync();
        var list = await browser.GetAsync($"/console/runs?name={name}&status=COMPLETED");
        Assert.Equal(HttpStatusCode.OK, list.Status);
        Assert.Contains($"href=\"console/runs/{id}\"", list.Html, StringComparison.Ordinal);
        var none = await browser.GetAsync($"/console/runs?name={name}&status=FAILED");
        Assert.DoesNotContain(id, none.Html, StringComparison.Ordinal);
        var bad = await browser.GetAsync("/console/runs?status=SLEEPING&from=yesterday&start=x");
        Assert.Equal(HttpStatusCode.OK, bad.Status);
        Assert.Contains("status &#x27;SLEEPING&#x27; is not a run status", bad.Html, StringComparison.Ordinal);
        Assert.Contains("from &#x27;yesterday&#x27; is not a date and time", bad.Html, StringComparison.Ordinal);

        var page = await browser.GetAsync($"/console/runs/{id}");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("<strong>call</strong>", page.Html, StringComparison.Ordinal);
        Assert.Contains("${workflow.secrets.run_page_token}", page.Html, StringComparison.Ordinal); // the input as stored: the reference
        Assert.Contains("<td>run_page_token</td><td>1</td>", page.Html, StringComparison.Ordinal); // the manifest
        foreach (var visited in browser.Pages) Assert.DoesNotContain(Value, visited.Html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/console/runs/no-such-run")).Status);
    }

    [Fact]
    public async Task Pause_resume_terminate_and_restart_act_as_the_api_does()
    {
        using var admin = new BatonClient(Server);
        var name = Defs.Unique("run_actions");
        await admin.RegisterWorkflowAsync(Defs.Workflow(name, Defs.Simple(name + "_work", "work")));
        var id = await admin.StartAsync(name);
        await admin.WaitForStatusAsync(id, "RUNNING");

        using var browser = await AdminAsync();
        var page = await browser.GetAsync($"/console/runs/{id}");
        var paused = await browser.PostFormAsync($"/console/runs/{id}", "run-pause", page.Html);
        Assert.Contains("Paused.", paused.Html, StringComparison.Ordinal);
        Assert.Equal("PAUSED", (await admin.GetWorkflowAsync(id))["status"]!.GetValue<string>());
        var resumed = await browser.PostFormAsync($"/console/runs/{id}", "run-resume", paused.Html);
        Assert.Contains("Resumed.", resumed.Html, StringComparison.Ordinal);
        var terminated = await browser.PostFormAsync($"/console/runs/{id}", "run-terminate", resumed.Html);
        Assert.Contains("Terminated.", terminated.Html, StringComparison.Ordinal);
        Assert.Equal("TERMINATED", (await admin.GetWorkflowAsync(id))["status"]!.GetValue<string>());
        var restarted = await browser.PostFormAsync($"/console/runs/{id}", "run-restart", terminated.Html);
        Assert.Contains("Restarted.", restarted.Html, StringComparison.Ordinal);
        Assert.Equal("RUNNING", (await admin.GetWorkflowAsync(id))["status"]!.GetValue<string>());
        // An action that does not apply now is refused with the executor's reason, not a 500.
        var again = await browser.PostFormAsync($"/console/runs/{id}", "run-resume", restarted.Html);
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Contains("class=\"error\"", again.Html, StringComparison.Ordinal);
        Assert.Equal("RUNNING", (await admin.GetWorkflowAsync(id))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_input_nodes_responder_answers_from_the_run_page_and_someone_else_cannot()
    {
        using var admin = new BatonClient(Server);
        var identifier = Defs.Unique("approval");
        foreach (var user in new[] { "approver@example.test", "stranger@example.test" })
        {
            (await admin.PutAsync($"/api/users/{user}", new JsonObject { ["roles"] = new JsonArray("USER"), ["password"] = "a long enough password" })).ShouldBe(HttpStatusCode.OK);
        }
        var workflow = JsonNode.Parse($$$$$"""
            {"identifier": "{{{{{identifier}}}}}",
             "nodes": [
               {"identifier": "trigger", "config": {"type": "SELF_SERVE_TRIGGER", "userInputs": {"properties": {}}}},
               {"identifier": "approve", "config": {"type": "INPUT", "description": "Deploy?",
                 "userInputs": {"properties": {}, "buttons": [{"identifier": "yes", "label": "Ship it"}, {"identifier": "no", "label": "Hold"}]},
                 "outlets": [{"identifier": "yes"}, {"identifier": "no"}],
                 "responders": {"users": ["approver@example.test"]}}},
               {"identifier": "done", "config": {"type": "CONDITION", "outlets": []}}],
             "connections": [
               {"sourceIdentifier": "trigger", "targetIdentifier": "approve"},
               {"sourceIdentifier": "approve", "sourceOutletIdentifier": "yes", "targetIdentifier": "done"},
               {"sourceIdentifier": "approve", "sourceOutletIdentifier": "no", "targetIdentifier": "done"}]}
            """)!.AsObject();
        Assert.True((await admin.PutAsync($"/v1/workflows/{identifier}", workflow)).Status is HttpStatusCode.OK or HttpStatusCode.Created);
        foreach (var user in new[] { "approver@example.test", "stranger@example.test" })
        {
            // Both may look at the run (READ on the workflow); only the approver is a responder.
            (await admin.PostAsync("/api/auth/authorization", new JsonObject
            {
                ["subject"] = new JsonObject { ["type"] = "USER", ["id"] = user },
                ["target"] = new JsonObject { ["type"] = "WORKFLOW_DEF", ["id"] = identifier },
                ["access"] = new JsonArray("READ"),
            })).ShouldBe(HttpStatusCode.OK);
        }
        var runId = (await admin.PostAsync($"/v1/workflows/{identifier}/runs", new JsonObject())).Object["run"]!["identifier"]!.GetValue<string>();
        await admin.WaitForAsync(runId, r => r["tasks"]!.AsArray().Any(t => t!["referenceTaskName"]!.GetValue<string>() == "approve" && t["status"]!.GetValue<string>() == "IN_PROGRESS"));

        using var stranger = new ConsoleBrowser(Server.BaseUrl);
        await stranger.SignInAsync("stranger@example.test", "a long enough password");
        var seen = await stranger.GetAsync($"/console/runs/{runId}");
        Assert.Equal(HttpStatusCode.OK, seen.Status);
        Assert.Contains("You may not respond: stranger@example.test is not one of the responders", seen.Html, StringComparison.Ordinal);
        var taskId = (await admin.GetWorkflowAsync(runId))["tasks"]!.AsArray().First(t => t!["referenceTaskName"]!.GetValue<string>() == "approve")!["taskId"]!.GetValue<string>();
        var forged = await stranger.PostFormAsync($"/console/runs/{runId}", $"respond-{taskId}-yes", seen.Html);
        Assert.Contains("Forbidden: stranger@example.test is not one of the responders", forged.Html, StringComparison.Ordinal);

        using var approver = new ConsoleBrowser(Server.BaseUrl);
        await approver.SignInAsync("approver@example.test", "a long enough password");
        var page = await approver.GetAsync($"/console/runs/{runId}");
        Assert.Contains("Waiting for a response: approve", page.Html, StringComparison.Ordinal);
        Assert.Contains(">Ship it</button>", page.Html, StringComparison.Ordinal);
        var answered = await approver.PostFormAsync($"/console/runs/{runId}", $"respond-{taskId}-yes", page.Html);
        Assert.Contains("Responded &#x27;yes&#x27;.", answered.Html, StringComparison.Ordinal);
        var done = await admin.WaitForStatusAsync(runId, "COMPLETED");
        var input = done["tasks"]!.AsArray().First(t => t!["referenceTaskName"]!.GetValue<string>() == "approve")!;
        Assert.Equal("yes", input["outputData"]!["selectedOutlet"]!["identifier"]!.GetValue<string>());
        Assert.Equal("approver@example.test", input["outputData"]!["responses"]![0]!["submitterInfo"]!["submittedBy"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_reader_sees_a_run_without_acting_and_a_user_without_rights_sees_neither_the_run_nor_the_list_entry()
    {
        using var admin = new BatonClient(Server);
        var name = Defs.Unique("guarded_run");
        await admin.RegisterWorkflowAsync(Defs.Workflow(name, Defs.Simple(name + "_work", "work")));
        var id = await admin.StartAsync(name);
        (await admin.PutAsync("/api/users/reader@example.test", new JsonObject { ["roles"] = new JsonArray("USER"), ["password"] = "a long enough password" })).ShouldBe(HttpStatusCode.OK);
        (await admin.PutAsync("/api/users/other@example.test", new JsonObject { ["roles"] = new JsonArray("USER"), ["password"] = "a long enough password" })).ShouldBe(HttpStatusCode.OK);
        (await admin.PostAsync("/api/auth/authorization", new JsonObject
        {
            ["subject"] = new JsonObject { ["type"] = "USER", ["id"] = "reader@example.test" },
            ["target"] = new JsonObject { ["type"] = "WORKFLOW_DEF", ["id"] = name },
            ["access"] = new JsonArray("READ"),
        })).ShouldBe(HttpStatusCode.OK);

        using var reader = new ConsoleBrowser(Server.BaseUrl);
        await reader.SignInAsync("reader@example.test", "a long enough password");
        var page = await reader.GetAsync($"/console/runs/{id}");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("You may look at this run but not act on it", page.Html, StringComparison.Ordinal);
        var forged = await reader.PostFormAsync($"/console/runs/{id}", "run-terminate", page.Html);
        Assert.Contains($"Forbidden: needs EXECUTE on WORKFLOW_DEF &#x27;{name}&#x27;", forged.Html, StringComparison.Ordinal);
        Assert.Equal("RUNNING", (await admin.GetWorkflowAsync(id))["status"]!.GetValue<string>());

        using var other = new ConsoleBrowser(Server.BaseUrl);
        await other.SignInAsync("other@example.test", "a long enough password");
        Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync($"/console/runs/{id}")).Status);
        var list = await other.GetAsync("/console/runs");
        Assert.DoesNotContain(id, list.Html, StringComparison.Ordinal);
    }
}
