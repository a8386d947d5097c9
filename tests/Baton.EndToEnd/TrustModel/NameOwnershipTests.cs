using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd.TrustModel;

/// <summary>
/// Issue 13 findings 5, 6 and 8: whoever makes a run execute code its principal did not choose becomes its principal;
/// task type names and workflow names are owned; only the worker holding a task reports it, and never a system task.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class NameOwnershipTests(ServerFixture fixture) : IDisposable
{
    private readonly TrustUsers _users = new(fixture);

    public void Dispose() => _users.Dispose();

    [Fact]
    public async Task Restarting_someone_elses_run_with_the_latest_definition_rebinds_it_to_the_caller()
    {
        var (ownerEmail, owner) = await _users.UserAsync("USER");
        var (editorEmail, editor) = await _users.UserAsync("USER");
        var value = TrustUsers.Value("owner-only");
        var secret = await owner.NewSecretAsync(value);
        var workflow = Defs.Unique("wf_restart");
        await TrustUsers.SaveAsync(owner, Defs.Workflow(workflow, Defs.Http("call", $"{_users.PeerUrl}/echo/owner", headers: new JsonObject { ["X-Token"] = $"${{workflow.secrets.{secret}}}" })));
        var run = await TrustUsers.RunAsync(owner, workflow);
        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        var id = run["workflowId"]!.GetValue<string>();

        // The editor may change and run the definition, not use the secret.
        await _users.GrantAsync(editorEmail, "WORKFLOW_DEF", workflow, "READ", "UPDATE", "EXECUTE");
        var marker = Defs.Unique("stolen");
        var edited = Defs.Workflow(workflow, Defs.Http("call", $"{_users.PeerUrl}/echo/{marker}", headers: new JsonObject { ["X-Token"] = $"${{workflow.secrets.{secret}}}" }));
        edited["version"] = 2;
        await TrustUsers.SaveAsync(editor, edited);

        (await editor.PostAsync($"/api/workflow/{id}/restart?useLatestDefinitions=true")).ShouldBe(HttpStatusCode.OK);
        var restarted = await editor.WaitForStatusAsync(id, "FAILED", "COMPLETED");
        Assert.Equal("FAILED", restarted["status"]!.GetValue<string>());
        Assert.Equal(editorEmail, restarted["createdBy"]!.GetValue<string>());
        Assert.Contains($"permission denied: {editorEmail} may not use secret '{secret}'", TrustUsers.Reason(restarted), StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Peer.Requests, r => r.ToJsonString().Contains(marker, StringComparison.Ordinal));
        var rebind = (await _users.Admin.GetAsync($"/api/audit?workflowId={id}&action=run-rebind")).Array;
        Assert.Contains(rebind, e => e!["principal"]!.GetValue<string>() == editorEmail && e["detail"]!.GetValue<string>().Contains(ownerEmail, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Restarting_with_the_latest_definition_needs_the_right_to_start_it()
    {
        var (_, owner) = await _users.UserAsync("USER");
        var (viewerEmail, viewer) = await _users.UserAsync("USER");
        var workflow = Defs.Unique("wf_restart_rights");
        await TrustUsers.SaveAsync(owner, Defs.Workflow(workflow, Defs.Inline("noop", "1")));
        var id = (await TrustUsers.RunAsync(owner, workflow))["workflowId"]!.GetValue<string>();
        await _users.GrantAsync(viewerEmail, "WORKFLOW_DEF", workflow, "READ");
        (await viewer.PostAsync($"/api/workflow/{id}/restart?useLatestDefinitions=true")).ShouldBe(HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("HTTP")]
    [InlineData("INLINE")]
    [InlineData("SIMPLE")]
    [InlineData("UPDATE_SECRET")]
    [InlineData("fork_join")]
    public async Task A_task_definition_cannot_take_a_system_task_types_name(string name)
    {
        var (_, user) = await _users.UserAsync("USER");
        var reply = await user.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject { ["name"] = name }));
        reply.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("system task type", reply.Text, StringComparison.Ordinal);
        Assert.Contains("$[0].name", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_type_a_workflow_uses_belongs_to_its_author_and_no_one_else_can_claim_it()
    {
        var (ownerEmail, owner) = await _users.UserAsync("USER");
        var (_, claimer) = await _users.UserAsync("USER");
        var type = Defs.Unique("unclaimed");
        var workflow = Defs.Unique("wf_claim");
        await TrustUsers.SaveAsync(owner, Defs.Workflow(workflow, Defs.Simple(type, "work", new JsonObject { ["private"] = "${workflow.input.p}" })));
        Assert.Equal(ownerEmail, (await owner.GetAsync($"/api/metadata/taskdefs/{type}")).Object["createdBy"]!.GetValue<string>());

        (await claimer.PostAsync("/api/metadata/taskdefs", new JsonArray(new JsonObject { ["name"] = type }))).ShouldBe(HttpStatusCode.Forbidden);
        var id = await owner.StartAsync(workflow, new JsonObject { ["p"] = "owner's data" });
        (await claimer.GetAsync($"/api/tasks/poll/{type}?timeout=100")).ShouldBe(HttpStatusCode.Forbidden);

        // The author polls and completes its own task.
        var task = await owner.PollTaskAsync(type);
        await owner.CompleteTaskAsync(task);
        await owner.WaitForStatusAsync(id, "COMPLETED");
    }

    [Fact]
    public async Task A_worker_type_another_users_workflow_uses_cannot_be_claimed_by_saving_a_workflow_either()
    {
        var (_, owner) = await _users.UserAsync("USER");
        var (_, claimer) = await _users.UserAsync("USER");
        var type = Defs.Unique("left_unclaimed");
        await TrustUsers.SaveAsync(owner, Defs.Workflow(Defs.Unique("wf_owner"), Defs.Simple(type, "work")));
        // Its owner drops the task definition: the type is unclaimed, and still used by the owner's workflow.
        (await owner.DeleteAsync($"/api/metadata/taskdefs/{type}")).ShouldBe(HttpStatusCode.OK);

        var taken = await claimer.PutAsync("/api/metadata/workflow", new JsonArray(Defs.Workflow(Defs.Unique("wf_claimer"), Defs.Simple(type, "steal"))));
        taken.ShouldBe(HttpStatusCode.Conflict);
        Assert.Contains($"Task type '{type}' is used by workflow", taken.Text, StringComparison.Ordinal);
        (await _users.Admin.GetAsync($"/api/metadata/taskdefs/{type}")).ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Only_the_worker_holding_a_task_reports_it_and_no_one_reports_a_system_task()
    {
        var type = Defs.Unique("held");
        var workflow = Defs.Unique("wf_held");
        await TrustUsers.SaveAsync(_users.Admin, Defs.Workflow(workflow, Defs.Simple(type, "work"), Defs.Http("after", $"{_users.PeerUrl}/delay/3000")));
        var (holderId, holder) = await _users.ApplicationAsync("WORKER");
        var (otherId, other) = await _users.ApplicationAsync("WORKER");
        await _users.GrantAsync(holderId, "TASK_DEF", type, "EXECUTE");
        await _users.GrantAsync(otherId, "TASK_DEF", type, "EXECUTE");

        var id = await _users.Admin.StartAsync(workflow);
        var scheduled = (await _users.Admin.GetWorkflowAsync(id))["tasks"]![0]!.AsObject();
        // Not polled yet: no one but an administrator reports it.
        (await other.PostAsync("/api/tasks", Result(scheduled, "COMPLETED"))).ShouldBe(HttpStatusCode.Forbidden);

        var task = await holder.PollTaskAsync(type);
        Assert.Equal(holderId, task["workerPrincipal"]!.GetValue<string>());
        var forged = await other.PostAsync("/api/tasks", Result(task, "COMPLETED"));
        forged.ShouldBe(HttpStatusCode.Forbidden);
        Assert.Contains("not held by", forged.Text, StringComparison.Ordinal);
        (await other.PostAsync($"/api/tasks/{id}/work/COMPLETED", new JsonObject())).ShouldBe(HttpStatusCode.Forbidden);
        await holder.CompleteTaskAsync(task);

        // The HTTP task that follows is the server's own: even an administrator cannot report it.
        var run = await _users.Admin.GetWorkflowAsync(id);
        var http = run["tasks"]!.AsArray().Single(t => t!["referenceTaskName"]!.GetValue<string>() == "after")!.AsObject();
        var refused = await _users.Admin.PostAsync("/api/tasks", Result(http, "COMPLETED"));
        refused.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("which the server runs itself", refused.Text, StringComparison.Ordinal);
    }

    private static JsonObject Result(JsonObject task, string status) => new()
    {
        ["workflowInstanceId"] = task["workflowInstanceId"]!.GetValue<string>(),
        ["taskId"] = task["taskId"]!.GetValue<string>(),
        ["status"] = status,
        ["outputData"] = new JsonObject { ["forged"] = true },
    };

    [Fact]
    public async Task A_deleted_workflow_name_and_its_runs_do_not_pass_to_whoever_defines_it_next()
    {
        var (_, owner) = await _users.UserAsync("USER");
        var (_, newcomer) = await _users.UserAsync("USER");
        var workflow = Defs.Unique("wf_reused");
        await TrustUsers.SaveAsync(owner, Defs.Workflow(workflow, Defs.Inline("noop", "1")));
        var id = (await TrustUsers.RunAsync(owner, workflow))["workflowId"]!.GetValue<string>();
        (await owner.DeleteAsync($"/api/metadata/workflow/{workflow}/1")).ShouldBe(HttpStatusCode.OK);

        var taken = await newcomer.PutAsync("/api/metadata/workflow", new JsonArray(Defs.Workflow(workflow, Defs.Inline("noop", "2"))));
        taken.ShouldBe(HttpStatusCode.Conflict);
        Assert.Contains("belonged to a definition that was deleted", taken.Text, StringComparison.Ordinal);
        (await newcomer.GetAsync($"/api/workflow/{id}")).ShouldBe(HttpStatusCode.Forbidden);

        // Its owner defines it again and still sees its runs.
        await TrustUsers.SaveAsync(owner, Defs.Workflow(workflow, Defs.Inline("noop", "3")));
        (await owner.GetAsync($"/api/workflow/{id}")).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_deleted_workflow_name_whose_runs_an_administrator_made_is_not_free_either()
    {
        var (_, newcomer) = await _users.UserAsync("USER");
        var workflow = Defs.Unique("wf_admins");
        await TrustUsers.SaveAsync(_users.Admin, Defs.Workflow(workflow, Defs.Inline("noop", "1")));
        var id = (await TrustUsers.RunAsync(_users.Admin, workflow))["workflowId"]!.GetValue<string>();
        (await _users.Admin.DeleteAsync($"/api/metadata/workflow/{workflow}/1")).ShouldBe(HttpStatusCode.OK);
        (await newcomer.PostAsync("/api/metadata/workflow", Defs.Workflow(workflow, Defs.Inline("noop", "2")))).ShouldBe(HttpStatusCode.Conflict);
        (await newcomer.GetAsync($"/api/workflow/{id}")).ShouldBe(HttpStatusCode.Forbidden);
    }
}
