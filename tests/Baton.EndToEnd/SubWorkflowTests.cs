using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.EndToEnd.TrustModel;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// SUB_WORKFLOW: the child runs as the parent's principal, with that principal's rights on workflows and secrets and
/// nothing more; it ends with its parent; its end ends the parent's task.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class SubWorkflowTests(ServerFixture fixture) : IDisposable
{
    private readonly TrustUsers _users = new(fixture);

    public void Dispose() => _users.Dispose();

    private static JsonObject SubWorkflow(string reference, string child, JsonObject? input = null) => new()
    {
        ["name"] = reference,
        ["taskReferenceName"] = reference,
        ["type"] = "SUB_WORKFLOW",
        ["subWorkflowParam"] = new JsonObject { ["name"] = child, ["version"] = 1 },
        ["inputParameters"] = input ?? new JsonObject(),
    };

    private static JsonObject Task(JsonObject run, string reference) =>
        run["tasks"]!.AsArray().Last(t => t!["referenceTaskName"]!.GetValue<string>() == reference)!.AsObject();

    [Fact]
    public async Task A_child_run_gets_the_parents_input_runs_as_its_principal_and_hands_its_output_back()
    {
        var (email, user) = await _users.UserAsync("USER");
        var child = Defs.Unique("child");
        var parent = Defs.Unique("parent");
        await TrustUsers.SaveAsync(user, Defs.Workflow(child, Defs.Inline("double", "$.n * 2", new JsonObject { ["n"] = "${workflow.input.n}" })));
        await TrustUsers.SaveAsync(user, Defs.Workflow(parent, SubWorkflow("sub", child, new JsonObject { ["n"] = "${workflow.input.n}" }),
            Defs.Inline("after", "$.r + 1", new JsonObject { ["r"] = "${sub.output.result}" })));

        var run = await TrustUsers.RunAsync(user, parent, new JsonObject { ["n"] = 20 });

        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        Assert.Equal(41, Task(run, "after")["outputData"]!["result"]!.GetValue<int>());
        var childId = Task(run, "sub")["subWorkflowId"]!.GetValue<string>();
        var childRun = await user.GetWorkflowAsync(childId);
        Assert.Equal(run["workflowId"]!.GetValue<string>(), childRun["parentWorkflowId"]!.GetValue<string>());
        Assert.Equal(email, childRun["createdBy"]!.GetValue<string>(), ignoreCase: true);
    }

    [Fact]
    public async Task A_child_uses_only_the_secrets_its_principal_may_use()
    {
        var (_, owner) = await _users.UserAsync("USER");
        var (runnerEmail, runner) = await _users.UserAsync("USER");
        var value = TrustUsers.Value("child-secret");
        var secret = await owner.NewSecretAsync(value);
        var child = Defs.Unique("child_secret");
        var parent = Defs.Unique("parent_secret");
        await TrustUsers.SaveAsync(owner, Defs.Workflow(child, Defs.Http("call", $"{_users.PeerUrl}/echo/child", headers: new JsonObject { ["X-Token"] = $"${{workflow.secrets.{secret}}}" })));
        await TrustUsers.SaveAsync(owner, Defs.Workflow(parent, SubWorkflow("sub", child)));

        var ownRun = await TrustUsers.RunAsync(owner, parent);
        Assert.Equal("COMPLETED", ownRun["status"]!.GetValue<string>());
        Assert.True(_users.PeerSaw(value));

        // Another user may run both workflows but holds no right on the secret: the child cannot use it for them.
        await _users.GrantAsync(runnerEmail, "WORKFLOW_DEF", parent, "EXECUTE", "READ");
        await _users.GrantAsync(runnerEmail, "WORKFLOW_DEF", child, "EXECUTE", "READ");
        var theirs = await TrustUsers.RunAsync(runner, parent);
        Assert.Equal("FAILED", theirs["status"]!.GetValue<string>());
        var childRun = await runner.GetWorkflowAsync(Task(theirs, "sub")["subWorkflowId"]!.GetValue<string>());
        Assert.Contains(secret, TrustUsers.Reason(childRun), StringComparison.Ordinal);
        Assert.DoesNotContain(value, theirs.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_principal_without_execute_on_the_child_workflow_cannot_start_it_from_a_parent()
    {
        var (_, owner) = await _users.UserAsync("USER");
        var (_, other) = await _users.UserAsync("USER");
        var child = Defs.Unique("private_child");
        await TrustUsers.SaveAsync(owner, Defs.Workflow(child, Defs.Inline("x", "1", new JsonObject())));
        var parent = Defs.Unique("their_parent");
        await TrustUsers.SaveAsync(other, Defs.Workflow(parent, SubWorkflow("sub", child)));

        var run = await TrustUsers.RunAsync(other, parent);

        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        Assert.Contains($"needs EXECUTE on WORKFLOW_DEF '{child}'", TrustUsers.Reason(run), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Terminating_the_parent_terminates_the_child_and_terminating_a_child_terminates_its_parent()
    {
        var child = Defs.Unique("waiting_child");
        var parent = Defs.Unique("waiting_parent");
        await TrustUsers.SaveAsync(_users.Admin, Defs.Workflow(child, Defs.Parse("""{"name": "hold", "taskReferenceName": "hold", "type": "HUMAN"}""")));
        await TrustUsers.SaveAsync(_users.Admin, Defs.Workflow(parent, SubWorkflow("sub", child)));

        var first = await _users.Admin.StartAsync(parent);
        var firstChild = await ChildOfAsync(first);
        (await _users.Admin.DeleteAsync($"/api/workflow/{first}?reason=enough")).ShouldBe(HttpStatusCode.OK);
        var endedChild = await _users.Admin.WaitForStatusAsync(firstChild, "TERMINATED");
        Assert.Contains(first, endedChild["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);

        var second = await _users.Admin.StartAsync(parent);
        var secondChild = await ChildOfAsync(second);
        (await _users.Admin.DeleteAsync($"/api/workflow/{secondChild}?reason=child stopped")).ShouldBe(HttpStatusCode.OK);
        var endedParent = await _users.Admin.WaitForStatusAsync(second, "TERMINATED", "FAILED");
        Assert.Equal("TERMINATED", endedParent["status"]!.GetValue<string>());
        Assert.Equal("CANCELED", Task(endedParent, "sub")["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_inline_child_definition_runs_and_secret_references_in_a_sub_workflows_input_are_refused()
    {
        var parent = Defs.Unique("inline_parent");
        var inline = Defs.Parse("""
            {"name": "inline_sub", "taskReferenceName": "inline_sub", "type": "SUB_WORKFLOW", "inputParameters": {"v": "${workflow.input.v}"},
             "subWorkflowParam": {"name": "inner", "workflowDefinition": {"name": "inner", "version": 1,
               "tasks": [{"name": "echo", "taskReferenceName": "echo", "type": "INLINE", "inputParameters": {"expression": "$.v + '!'", "v": "${workflow.input.v}"}}]}}}
            """);
        var run = await _users.Admin.ExecuteAsync(Defs.Workflow(parent, inline), new JsonObject { ["v"] = "hi" });
        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        Assert.Equal("hi!", Task(run, "inline_sub")["outputData"]!["result"]!.GetValue<string>());

        var leaking = SubWorkflow("sub", parent, new JsonObject { ["token"] = "${workflow.secrets.anything}" });
        var reply = await _users.Admin.PostAsync("/api/metadata/workflow", Defs.Workflow(Defs.Unique("leaky"), leaking));
        reply.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("$.tasks[0].inputParameters", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_workflow_that_starts_itself_stops_at_the_nesting_limit_and_fails_all_the_way_up()
    {
        var name = Defs.Unique("itself");
        await TrustUsers.SaveAsync(_users.Admin, Defs.Workflow(name, SubWorkflow("again", name)));

        var id = await _users.Admin.StartAsync(name);
        var run = await _users.Admin.WaitForStatusAsync(id, "FAILED", "COMPLETED");

        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        Assert.Contains("nest deeper than 32 levels", run.ToJsonString(), StringComparison.Ordinal);
    }

    private async Task<string> ChildOfAsync(string parentId)
    {
        var run = await _users.Admin.WaitForAsync(parentId, r => r["tasks"]!.AsArray().Any(t => t!["subWorkflowId"] is not null && t["status"]!.GetValue<string>() == "IN_PROGRESS"));
        return Task(run, "sub")["subWorkflowId"]!.GetValue<string>();
    }
}
