using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.EndToEnd.TrustModel;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>START_WORKFLOW and failure workflows: both start a run as the principal of the run that starts it.</summary>
[Collection(SharedServer.Name)]
public sealed class StartAndFailureWorkflowTests(ServerFixture fixture) : IDisposable
{
    private readonly TrustUsers _users = new(fixture);

    public void Dispose() => _users.Dispose();

    private static JsonObject Start(string workflow, JsonObject input) => new()
    {
        ["name"] = "start",
        ["taskReferenceName"] = "start",
        ["type"] = "START_WORKFLOW",
        ["inputParameters"] = new JsonObject { ["startWorkflow"] = new JsonObject { ["name"] = workflow, ["version"] = 1, ["input"] = input } },
    };

    [Fact]
    public async Task Start_workflow_starts_another_run_as_the_same_principal_and_does_not_wait_for_it()
    {
        var (email, user) = await _users.UserAsync("USER");
        var other = Defs.Unique("started");
        var starter = Defs.Unique("starter");
        await TrustUsers.SaveAsync(user, Defs.Workflow(other, Defs.Parse("""{"name": "hold", "taskReferenceName": "hold", "type": "HUMAN"}""")));
        await TrustUsers.SaveAsync(user, Defs.Workflow(starter, Start(other, new JsonObject { ["from"] = "${workflow.workflowId}" })));

        var run = await TrustUsers.RunAsync(user, starter);

        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        var startedId = run["tasks"]![0]!["outputData"]!["workflowId"]!.GetValue<string>();
        var started = await user.GetWorkflowAsync(startedId);
        Assert.Equal("RUNNING", started["status"]!.GetValue<string>());
        Assert.Equal(run["workflowId"]!.GetValue<string>(), started["input"]!["from"]!.GetValue<string>());
        Assert.Equal(email, started["createdBy"]!.GetValue<string>(), ignoreCase: true);
        Assert.Null(started["parentWorkflowId"]);
    }

    [Fact]
    public async Task Start_workflow_cannot_start_a_workflow_its_principal_may_not_execute()
    {
        var (_, owner) = await _users.UserAsync("USER");
        var (_, other) = await _users.UserAsync("USER");
        var target = Defs.Unique("not_yours");
        await TrustUsers.SaveAsync(owner, Defs.Workflow(target, Defs.Inline("x", "1", new JsonObject())));
        var starter = Defs.Unique("sneaky_starter");
        await TrustUsers.SaveAsync(other, Defs.Workflow(starter, Start(target, new JsonObject())));

        var run = await TrustUsers.RunAsync(other, starter);

        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        Assert.Contains($"needs EXECUTE on WORKFLOW_DEF '{target}'", TrustUsers.Reason(run), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_run_starts_its_failure_workflow_with_the_failure_and_names_it_in_its_output()
    {
        var (_, user) = await _users.UserAsync("USER");
        var handler = Defs.Unique("on_failure");
        var failing = Defs.Unique("failing");
        await TrustUsers.SaveAsync(user, Defs.Workflow(handler, Defs.Inline("note", "$.why", new JsonObject { ["why"] = "${workflow.input.reason}" })));
        var def = Defs.Workflow(failing, Defs.Parse("""
            {"name": "stop", "taskReferenceName": "stop", "type": "TERMINATE",
             "inputParameters": {"terminationStatus": "FAILED", "terminationReason": "no luck"}}
            """));
        def["failureWorkflow"] = handler;
        await TrustUsers.SaveAsync(user, def);

        var run = await TrustUsers.RunAsync(user, failing, new JsonObject { ["order"] = 7 });

        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        var handlerId = run["output"]!["conductor.failure_workflow"]!.GetValue<string>();
        var handled = await user.WaitForStatusAsync(handlerId, "COMPLETED", "FAILED");
        Assert.Equal("no luck", handled["output"]!["result"]!.GetValue<string>());
        Assert.Equal(7, handled["input"]!["order"]!.GetValue<int>());
        Assert.Equal("FAILED", handled["input"]!["failureStatus"]!.GetValue<string>());
        Assert.Equal(run["workflowId"]!.GetValue<string>(), handled["input"]!["failedWorkflow"]!["workflowId"]!.GetValue<string>());
    }
}
