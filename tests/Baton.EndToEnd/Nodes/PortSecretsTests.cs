using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd.Nodes;

/// <summary>/v1/organization/secrets is a second face of the one vault: same store, same rules, never a value out.</summary>
[Collection(NodeServer.Name)]
public sealed class PortSecretsTests(NodeServerFixture fixture)
{
    private readonly BatonClient _admin = fixture.Admin;

    [Fact]
    public async Task A_secret_created_through_ports_face_is_the_vaults_and_no_answer_holds_its_value()
    {
        var name = Defs.Unique("PORT");
        var value = $"port-value-{Guid.NewGuid():N}";
        var created = await _admin.PostAsync("/v1/organization/secrets", new JsonObject { ["secretName"] = name, ["secretValue"] = value, ["description"] = "for the deploy hook" });
        created.ShouldBe(HttpStatusCode.Created);
        Assert.Equal("for the deploy hook", created.Object["secret"]!["description"]!.GetValue<string>());

        Assert.Equal(value, (await _admin.GetAsync($"/api/secrets/{name}")).Text); // the vault's own read-back, for READ holders
        var listed = await _admin.GetAsync("/v1/organization/secrets");
        Assert.Contains(name, listed.Text, StringComparison.Ordinal);
        var patched = await _admin.SendAsync(HttpMethod.Patch, $"/v1/organization/secrets/{name}", new JsonObject { ["secretValue"] = value + "-2" });
        patched.ShouldBe(HttpStatusCode.OK);
        Assert.Equal(2, (await _admin.GetAsync($"/api/secrets/{name}/versions")).Array.Count);
        Assert.Equal("for the deploy hook", patched.Object["secret"]!["description"]!.GetValue<string>());
        (await _admin.PostAsync("/v1/organization/secrets", new JsonObject { ["secretName"] = name, ["secretValue"] = "again-value" })).ShouldBe(HttpStatusCode.Conflict);

        // A description alone changes without a new version, and null clears it; the value stays.
        var described = await _admin.SendAsync(HttpMethod.Patch, $"/v1/organization/secrets/{name}", new JsonObject { ["description"] = "rotated monthly" });
        described.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("rotated monthly", described.Object["secret"]!["description"]!.GetValue<string>());
        Assert.Equal(2, (await _admin.GetAsync($"/api/secrets/{name}/versions")).Array.Count);
        Assert.Equal(value + "-2", (await _admin.GetAsync($"/api/secrets/{name}")).Text);
        var cleared = await _admin.SendAsync(HttpMethod.Patch, $"/v1/organization/secrets/{name}", new JsonObject { ["description"] = null });
        cleared.ShouldBe(HttpStatusCode.OK);
        Assert.Null(cleared.Object["secret"]!["description"]);
        Assert.Contains((await _admin.GetAsync($"/api/audit?secret={name}&limit=100")).Array, e => e!["action"]?.GetValue<string>() == "describe");
        var nothing = await _admin.SendAsync(HttpMethod.Patch, $"/v1/organization/secrets/{name}", new JsonObject { ["secretValue"] = null });
        nothing.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("$.secretValue", nothing.Text, StringComparison.Ordinal);
        (await _admin.SendAsync(HttpMethod.Patch, $"/v1/organization/secrets/{name}", new JsonObject())).ShouldBe(HttpStatusCode.BadRequest);

        foreach (var reply in new[] { created, listed, patched, described, await _admin.GetAsync($"/v1/organization/secrets/{name}") })
        {
            Assert.DoesNotContain(value, reply.Text, StringComparison.Ordinal);
        }
        (await _admin.DeleteAsync($"/v1/organization/secrets/{name}")).ShouldBe(HttpStatusCode.OK);
        (await _admin.GetAsync($"/v1/organization/secrets/{name}")).ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Bad_bodies_name_every_problem()
    {
        var reply = await _admin.PostAsync("/v1/organization/secrets", new JsonObject { ["secretName"] = "bad name!", ["secretValue"] = 3, ["description"] = new string('d', 201), ["extra"] = 1 });
        reply.ShouldBe(HttpStatusCode.BadRequest);
        foreach (var path in new[] { "$.secretName", "$.secretValue", "$.description", "$.extra" }) Assert.Contains(path, reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ordinary_user_sees_only_the_secrets_they_hold_a_right_on_and_cannot_overwrite_others()
    {
        var name = Defs.Unique("ADMINS");
        (await _admin.PostAsync("/v1/organization/secrets", new JsonObject { ["secretName"] = name, ["secretValue"] = "admin-only-value" })).ShouldBe(HttpStatusCode.Created);
        var email = $"{Guid.NewGuid().ToString("N")[..10]}@example.test";
        (await _admin.PutAsync($"/api/users/{email}", new JsonObject { ["name"] = "User", ["roles"] = new JsonArray("USER"), ["password"] = "correct horse battery staple" })).ShouldBe(HttpStatusCode.OK);
        using var user = new BatonClient(fixture.Server.BaseUrl, new JsonObject { ["email"] = email, ["password"] = "correct horse battery staple" });

        Assert.DoesNotContain(name, (await user.GetAsync("/v1/organization/secrets")).Text, StringComparison.Ordinal);
        (await user.GetAsync($"/v1/organization/secrets/{name}")).ShouldBe(HttpStatusCode.Forbidden);
        (await user.SendAsync(HttpMethod.Patch, $"/v1/organization/secrets/{name}", new JsonObject { ["secretValue"] = "mine-now-value" })).ShouldBe(HttpStatusCode.Forbidden);
        (await user.DeleteAsync($"/v1/organization/secrets/{name}")).ShouldBe(HttpStatusCode.Forbidden);
    }
}
