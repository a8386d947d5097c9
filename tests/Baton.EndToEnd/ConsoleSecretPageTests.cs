using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// One secret's console page against a real server: versions, references and audit without any value, a new version,
/// destroying one, delete and restore, each through the API's checks; and a user who may only use the secret sees
/// no action they could not take through the API, and forged posts change nothing.
/// </summary>
public sealed class ConsoleSecretPageTests : OwnServerTests
{
    private const string First = "first-value-5d2e81c0";
    private const string Second = "second-value-9a7b33f4";

    private async Task<ConsoleBrowser> AdminBrowserAsync()
    {
        var browser = new ConsoleBrowser(Server.BaseUrl);
        await browser.SignInAsync(Server.AdminCredentials()["email"]!.GetValue<string>(), Server.AdminCredentials()["password"]!.GetValue<string>());
        return browser;
    }

    [Fact]
    public async Task The_page_shows_versions_references_and_audit_and_its_actions_work_without_ever_showing_a_value()
    {
        using var admin = new BatonClient(Server);
        await admin.PutSecretAsync("payments_token", First);
        var workflow = Defs.Unique("uses_token");
        await admin.RegisterWorkflowAsync(Defs.Workflow(workflow, Defs.Http("call", $"{Peer.BaseUrl}/echo", headers: new JsonObject { ["Authorization"] = "Bearer ${workflow.secrets.payments_token}" })));
        var run = await admin.ExecuteAsync(Defs.Workflow(workflow, Defs.Http("call", $"{Peer.BaseUrl}/echo", headers: new JsonObject { ["Authorization"] = "Bearer ${workflow.secrets.payments_token}" })));
        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());

        using var browser = await AdminBrowserAsync();
        var list = await browser.GetAsync("/console/secrets");
        Assert.Contains("href=\"console/secrets/payments_token\"", list.Html, StringComparison.Ordinal);
        var page = await browser.GetAsync("/console/secrets/payments_token");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("1 (current)", page.Html, StringComparison.Ordinal);
        Assert.Contains(workflow, page.Html, StringComparison.Ordinal);
        Assert.Contains("resolve", page.Html, StringComparison.Ordinal); // the audit of the run's hand-off
        Assert.Contains("<h2>Who may use it</h2>", page.Html, StringComparison.Ordinal);

        // Bindings: the page binds the secret to the definition version and removes the binding, as the API's routes do.
        var bound = await browser.PostFormAsync("/console/secrets/payments_token", "bind", page.Html, ("Binding.Workflow", workflow), ("Binding.Version", "1"));
        Assert.Contains($"Bound to {workflow} version 1.", bound.Html, StringComparison.Ordinal);
        Assert.Contains(workflow, (await admin.GetAsync("/api/secrets/payments_token/bindings")).Text, StringComparison.Ordinal);
        var badVersion = await browser.PostFormAsync("/console/secrets/payments_token", "bind", bound.Html, ("Binding.Workflow", workflow), ("Binding.Version", "one"));
        Assert.Contains("version: version &#x27;one&#x27; is not a version number", badVersion.Html, StringComparison.Ordinal);
        var unbound = await browser.PostFormAsync("/console/secrets/payments_token", $"unbind-{workflow}-1", badVersion.Html);
        Assert.Contains($"Removed the binding to {workflow} version 1.", unbound.Html, StringComparison.Ordinal);
        Assert.Equal("[]", (await admin.GetAsync("/api/secrets/payments_token/bindings")).Text);

        var saved = await browser.PostFormAsync("/console/secrets/payments_token", "new-value", unbound.Html, ("NewValue.Value", Second));
        Assert.Contains("Saved version 2.", saved.Html, StringComparison.Ordinal);
        Assert.Contains("2 (current)", saved.Html, StringComparison.Ordinal);
        Assert.Equal(Second, (await admin.GetAsync("/api/secrets/payments_token")).Text);

        // Version 1's value made current again, as version 3, without the value leaving the server.
        var restoredVersion = await browser.PostFormAsync("/console/secrets/payments_token", "restore-1", saved.Html);
        Assert.Contains("The value of version 1 is current again, as version 3.", restoredVersion.Html, StringComparison.Ordinal);
        Assert.Equal(First, (await admin.GetAsync("/api/secrets/payments_token")).Text);
        Assert.Contains("restore-version", (await admin.GetAsync("/api/audit?secret=payments_token")).Text, StringComparison.Ordinal);
        var viaApi = await admin.PostAsync("/api/secrets/payments_token/versions/2/restore");
        viaApi.ShouldBe(HttpStatusCode.OK);
        Assert.Equal(4, viaApi.Object["version"]!.GetValue<int>());
        Assert.Equal(Second, (await admin.GetAsync("/api/secrets/payments_token")).Text);

        var destroyed = await browser.PostFormAsync("/console/secrets/payments_token", "destroy-1", restoredVersion.Html);
        Assert.Contains("Destroyed version 1.", destroyed.Html, StringComparison.Ordinal);
        Assert.Contains("destroyed", (await admin.GetAsync("/api/secrets/payments_token/versions")).Text, StringComparison.Ordinal);

        var deleted = await browser.PostFormAsync("/console/secrets/payments_token", "delete-secret", destroyed.Html);
        Assert.Contains("This secret was deleted.", deleted.Html, StringComparison.Ordinal);
        Assert.Equal("false", (await admin.GetAsync("/api/secrets/payments_token/exists")).Text);
        var listed = await browser.GetAsync("/console/secrets");
        Assert.Contains("Deleted, restorable", listed.Html, StringComparison.Ordinal);
        Assert.Contains("href=\"console/secrets/payments_token\"", listed.Html, StringComparison.Ordinal);
        var restored = await browser.PostFormAsync("/console/secrets/payments_token", "restore-secret", deleted.Html);
        Assert.Contains("Restored payments_token.", restored.Html, StringComparison.Ordinal);
        Assert.Equal("true", (await admin.GetAsync("/api/secrets/payments_token/exists")).Text);

        var missing = await browser.GetAsync("/console/secrets/no_such_secret");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Contains("No secret named", missing.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", missing.Html, StringComparison.Ordinal);

        foreach (var visited in browser.Pages)
        {
            Assert.DoesNotContain(First, visited.Html, StringComparison.Ordinal);
            Assert.DoesNotContain(Second, visited.Html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_user_who_may_only_use_the_secret_gets_no_action_and_forged_posts_change_nothing()
    {
        using var admin = new BatonClient(Server);
        await admin.PutSecretAsync("shared_token", First);
        (await admin.PutAsync("/api/users/user@example.test", new JsonObject { ["roles"] = new JsonArray("USER"), ["password"] = "a long enough password" })).ShouldBe(HttpStatusCode.OK);
        (await admin.PostAsync("/api/auth/authorization", new JsonObject
        {
            ["subject"] = new JsonObject { ["type"] = "USER", ["id"] = "user@example.test" },
            ["target"] = new JsonObject { ["type"] = "SECRET_NAME", ["id"] = "shared_token" },
            ["access"] = new JsonArray("EXECUTE"),
        })).ShouldBe(HttpStatusCode.OK);
        await admin.PutSecretAsync("other_token", Second);

        // A definition the user may not read names the secret: holding EXECUTE on the secret must not reveal its name.
        var hidden = Defs.Unique("admins_only_def");
        await admin.RegisterWorkflowAsync(Defs.Workflow(hidden, Defs.Http("call", $"{Peer.BaseUrl}/echo", headers: new JsonObject { ["Authorization"] = "Bearer ${workflow.secrets.shared_token}" })));
        Assert.Contains(hidden, (await admin.GetAsync("/api/secrets/shared_token/metadata")).Text, StringComparison.Ordinal);
        using (var userApi = new BatonClient(Server.BaseUrl, new JsonObject { ["email"] = "user@example.test", ["password"] = "a long enough password" }))
        {
            var metadata = await userApi.GetAsync("/api/secrets/shared_token/metadata");
            metadata.ShouldBe(HttpStatusCode.OK);
            Assert.DoesNotContain(hidden, metadata.Text, StringComparison.Ordinal);
            Assert.DoesNotContain(hidden, (await userApi.GetAsync("/api/secrets/shared_token/usage")).Text, StringComparison.Ordinal);
            // Nor whose runs used it: the admin's run of the hidden definition is not in the user's usage.
            var adminsRun = await admin.ExecuteAsync(Defs.Workflow(hidden, Defs.Http("call", $"{Peer.BaseUrl}/echo", headers: new JsonObject { ["Authorization"] = "Bearer ${workflow.secrets.shared_token}" })));
            var runId = adminsRun["workflowId"]!.GetValue<string>();
            Assert.Contains(runId, (await admin.GetAsync("/api/secrets/shared_token/usage")).Text, StringComparison.Ordinal);
            Assert.DoesNotContain(runId, (await userApi.GetAsync("/api/secrets/shared_token/usage")).Text, StringComparison.Ordinal);
        }

        using var user = new ConsoleBrowser(Server.BaseUrl);
        await user.SignInAsync("user@example.test", "a long enough password");
        var page = await user.GetAsync("/console/secrets/shared_token");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.DoesNotContain(hidden, page.Html, StringComparison.Ordinal);
        Assert.Contains("Needs UPDATE on this secret.", page.Html, StringComparison.Ordinal);
        Assert.Contains("Needs DELETE on this secret.", page.Html, StringComparison.Ordinal);
        Assert.Matches("<button type=\"submit\" disabled[^>]*>Save new version", page.Html);
        Assert.DoesNotContain("<h2>Audit</h2>", page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("<h2>Who may use it</h2>", page.Html, StringComparison.Ordinal); // EXECUTE does not show the grants: READ does

        // Posting the forms the page did not offer, with a valid anti-forgery token, is refused by the same checks.
        var newValue = await user.PostFormAsync("/console/secrets/shared_token", "new-value", page.Html, ("NewValue.Value", "an attacker's value 1"));
        Assert.Contains("Forbidden: needs UPDATE on SECRET_NAME &#x27;shared_token&#x27;", newValue.Html, StringComparison.Ordinal);
        var destroy = await user.PostFormAsync("/console/secrets/shared_token", "destroy-1", page.Html);
        Assert.Contains("Forbidden: needs DELETE", destroy.Html, StringComparison.Ordinal);
        var delete = await user.PostFormAsync("/console/secrets/shared_token", "delete-secret", page.Html);
        Assert.Contains("Forbidden: needs DELETE", delete.Html, StringComparison.Ordinal);
        Assert.Equal(First, (await admin.GetAsync("/api/secrets/shared_token")).Text);
        Assert.Equal("true", (await admin.GetAsync("/api/secrets/shared_token/exists")).Text);

        // Nor can the user make an earlier version current again.
        await admin.PutSecretAsync("shared_token", "a-newer-value-8c1e");
        var restore = await user.PostFormAsync("/console/secrets/shared_token", "restore-1", (await user.GetAsync("/console/secrets/shared_token")).Html);
        Assert.Contains("Forbidden: needs UPDATE on SECRET_NAME &#x27;shared_token&#x27;", restore.Html, StringComparison.Ordinal);
        Assert.Equal("a-newer-value-8c1e", (await admin.GetAsync("/api/secrets/shared_token")).Text);

        // A secret the user has no right on is not shown at all.
        var other = await user.GetAsync("/console/secrets/other_token");
        Assert.Equal(HttpStatusCode.Forbidden, other.Status);
        foreach (var visited in user.Pages)
        {
            Assert.DoesNotContain(First, visited.Html, StringComparison.Ordinal);
            Assert.DoesNotContain(Second, visited.Html, StringComparison.Ordinal);
        }
    }
}
