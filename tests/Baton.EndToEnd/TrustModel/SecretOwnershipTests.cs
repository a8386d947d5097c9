using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd.TrustModel;

/// <summary>
/// Issue 13 findings 1 and 2: a task that writes a secret acts with its run's principal's rights, and a deleted
/// secret's name stays with its owners until it is purged.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class SecretOwnershipTests(ServerFixture fixture) : IDisposable
{
    private readonly TrustUsers _users = new(fixture);

    public void Dispose() => _users.Dispose();

    [Fact]
    public async Task An_update_secret_task_cannot_change_a_secret_its_runs_principal_has_no_rights_on()
    {
        var (_, owner) = await _users.UserAsync("USER");
        var (attackerEmail, attacker) = await _users.UserAsync("USER");
        var original = TrustUsers.Value("owned");
        var secret = await owner.NewSecretAsync(original);

        var workflow = Defs.Unique("wf_overwrite");
        await TrustUsers.SaveAsync(attacker, Defs.Workflow(workflow, new JsonObject
        {
            ["name"] = "overwrite",
            ["taskReferenceName"] = "overwrite",
            ["type"] = "UPDATE_SECRET",
            ["inputParameters"] = new JsonObject { ["_secrets"] = new JsonObject { ["secretKey"] = secret, ["secretValue"] = TrustUsers.Value("forged") } },
        }));
        var run = await TrustUsers.RunAsync(attacker, workflow);

        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        Assert.Contains($"permission denied: {attackerEmail} needs UPDATE on SECRET_NAME '{secret}'", TrustUsers.Reason(run), StringComparison.Ordinal);
        Assert.Equal(original, (await owner.GetAsync($"/api/secrets/{secret}")).Text);
        Assert.Single((await owner.GetAsync($"/api/secrets/{secret}/versions")).Array);
    }

    [Fact]
    public async Task An_update_secret_task_creates_a_new_secret_as_its_runs_principal_who_then_owns_it()
    {
        var (email, user) = await _users.UserAsync("USER");
        var name = "made-by-task-" + Guid.NewGuid().ToString("N")[..8];
        var value = TrustUsers.Value("made");
        var workflow = Defs.Unique("wf_create_secret");
        await TrustUsers.SaveAsync(user, Defs.Workflow(workflow, new JsonObject
        {
            ["name"] = "create",
            ["taskReferenceName"] = "create",
            ["type"] = "UPDATE_SECRET",
            ["inputParameters"] = new JsonObject { ["_secrets"] = new JsonObject { ["secretKey"] = name, ["secretValue"] = "${workflow.input.v}" } },
        }));

        Assert.Equal("COMPLETED", (await TrustUsers.RunAsync(user, workflow, new JsonObject { ["v"] = value }))["status"]!.GetValue<string>());
        Assert.Equal(value, (await user.GetAsync($"/api/secrets/{name}")).Text);
        Assert.Equal(email, (await user.GetAsync($"/api/secrets/{name}/metadata")).Object["createdBy"]!.GetValue<string>());
        var (_, other) = await _users.UserAsync("USER");
        (await other.GetAsync($"/api/secrets/{name}")).ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_deleted_secrets_name_cannot_be_taken_by_someone_without_rights_on_it()
    {
        var (_, owner) = await _users.UserAsync("USER");
        var (_, squatter) = await _users.UserAsync("USER");
        var original = TrustUsers.Value("kept");
        var secret = await owner.NewSecretAsync(original);
        (await owner.DeleteAsync($"/api/secrets/{secret}")).ShouldBe(HttpStatusCode.OK);

        var squat = await squatter.SendRawAsync(HttpMethod.Put, $"/api/secrets/{secret}", "\"squatted-value-123\"");
        squat.ShouldBe(HttpStatusCode.Conflict);
        Assert.Contains("was deleted", squat.Text, StringComparison.Ordinal);
        // The squatter holds nothing on it: no read-back of the owner's version, no destroy, no restore.
        Assert.True((await squatter.GetAsync($"/api/secrets/{secret}")).Status is HttpStatusCode.Forbidden or HttpStatusCode.NotFound);
        (await squatter.DeleteAsync($"/api/secrets/{secret}/versions/1")).ShouldBe(HttpStatusCode.Forbidden);
        (await squatter.PostAsync($"/api/secrets/{secret}/restore")).ShouldBe(HttpStatusCode.Forbidden);

        // Its owner may restore it, or write it again.
        (await owner.PostAsync($"/api/secrets/{secret}/restore")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(original, (await owner.GetAsync($"/api/secrets/{secret}")).Text);
        (await owner.DeleteAsync($"/api/secrets/{secret}")).ShouldBe(HttpStatusCode.OK);
        (await owner.SendRawAsync(HttpMethod.Put, $"/api/secrets/{secret}", "\"written-again-value\"")).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("written-again-value", (await owner.GetAsync($"/api/secrets/{secret}")).Text);
    }
}
