using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd.TrustModel;

/// <summary>
/// runtimeMetadata: names a task definition declares, whose values a polling worker gets beside the task (never in its
/// stored input), under every rule of a hand-off.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class RuntimeMetadataTests(ServerFixture fixture) : IDisposable
{
    private readonly TrustUsers _users = new(fixture);

    public void Dispose() => _users.Dispose();

    [Fact]
    public async Task A_worker_gets_the_declared_secret_and_environment_value_beside_the_task_and_nothing_is_stored()
    {
        var value = TrustUsers.Value("declared");
        var secret = await _users.Admin.NewSecretAsync(value);
        var env = Defs.Unique("region");
        (await _users.Admin.PutAsync($"/api/environment/{env}", "eu-west-7")).ShouldBe(HttpStatusCode.OK);
        var type = Defs.Unique("declaring_work");
        (await _users.Admin.PutAsync("/api/metadata/taskdefs", new JsonObject
        {
            ["name"] = type,
            ["retryCount"] = 0,
            ["runtimeMetadata"] = new JsonArray(secret, env, "no-such-name"),
        })).ShouldBe(HttpStatusCode.OK);
        var workflow = Defs.Unique("wf_declared");
        await TrustUsers.SaveAsync(_users.Admin, Defs.Workflow(workflow, Defs.Simple(type, "work")));
        var (appId, worker) = await _users.ApplicationAsync("WORKER");
        await _users.GrantAsync(appId, "TASK_DEF", type, "EXECUTE");
        await _users.GrantAsync(appId, "SECRET_NAME", secret, "EXECUTE");

        var id = await _users.Admin.StartAsync(workflow);
        var task = await worker.PollTaskAsync(type);

        var metadata = task["runtimeMetadata"]!.AsObject();
        Assert.Equal(value, metadata[secret]!.GetValue<string>());
        Assert.Equal("eu-west-7", metadata[env]!.GetValue<string>());
        Assert.False(metadata.ContainsKey("no-such-name"));
        var stored = await _users.Admin.GetAsync($"/api/tasks/{task["taskId"]!.GetValue<string>()}");
        Assert.DoesNotContain("runtimeMetadata", stored.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(value, (await _users.Admin.GetAsync($"/api/workflow/{id}")).Text, StringComparison.Ordinal);
        await worker.CompleteTaskAsync(task);
        await _users.Admin.WaitForStatusAsync(id, "COMPLETED");
    }

    [Fact]
    public async Task A_user_who_declares_someone_elses_secret_in_their_own_task_definition_gets_nothing()
    {
        var value = TrustUsers.Value("not-yours");
        var secret = await _users.Admin.NewSecretAsync(value);
        var (email, user) = await _users.UserAsync("USER");
        // They may even use the secret (EXECUTE): using is not reading, and the names they write are theirs.
        await _users.GrantAsync(email, "SECRET_NAME", secret, "EXECUTE");
        var type = Defs.Unique("greedy_work");
        (await user.PutAsync("/api/metadata/taskdefs", new JsonObject { ["name"] = type, ["retryCount"] = 0, ["runtimeMetadata"] = new JsonArray(secret) })).ShouldBe(HttpStatusCode.OK);
        var workflow = Defs.Unique("wf_greedy");
        await TrustUsers.SaveAsync(user, Defs.Workflow(workflow, Defs.Simple(type, "work")));

        var id = await user.StartAsync(workflow);
        var answer = await user.GetAsync($"/api/tasks/poll/{type}?timeout=2000");

        Assert.DoesNotContain(value, answer.Text, StringComparison.Ordinal);
        var failed = await user.WaitForStatusAsync(id, "FAILED");
        Assert.Contains($"'{secret}'", TrustUsers.Reason(failed), StringComparison.Ordinal);
        Assert.Contains("was not handed over", TrustUsers.Reason(failed), StringComparison.Ordinal);
        Assert.Contains($"runtimeMetadata of task definition '{type}'", TrustUsers.Reason(failed), StringComparison.Ordinal);
    }
}
