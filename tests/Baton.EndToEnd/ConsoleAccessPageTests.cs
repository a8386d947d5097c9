using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// The console's Access page against a real server: an administrator adds a user, a group, an application and an
/// access key (its secret shown once, never cached, and working), and grants through the API's own checks; an
/// ordinary user sees no user list and can neither raise their own role, take a key for someone else's application,
/// nor grant what they do not hold.
/// </summary>
public sealed partial class ConsoleAccessPageTests : OwnServerTests
{
    private async Task<ConsoleBrowser> SignedInAsync(string? email = null, string password = "a long enough password")
    {
        var browser = new ConsoleBrowser(Server.BaseUrl);
        if (email is null) await browser.SignInAsync(Server.AdminCredentials()["email"]!.GetValue<string>(), Server.AdminCredentials()["password"]!.GetValue<string>());
        else await browser.SignInAsync(email, password);
        return browser;
    }

    [Fact]
    public async Task An_admin_adds_a_user_a_group_an_application_and_a_key_shown_once_and_grants_through_the_apis_checks()
    {
        using var admin = new BatonClient(Server);
        await admin.PutSecretAsync("ops_token", "ops-token-value-4f1a");
        using var browser = await SignedInAsync();
        var page = await browser.GetAsync("/console/access");
        Assert.Equal(HttpStatusCode.OK, page.Status);

        var user = await browser.PostFormAsync("/console/access", "put-user", page.Html,
            ("UserForm.Email", "dana@example.test"), ("UserForm.Name", "Dana"), ("UserForm.Roles", "USER"), ("UserForm.Groups", ""), ("UserForm.Password", "dana's long password"));
        Assert.Contains("Saved user dana@example.test.", user.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("dana&#x27;s long password", user.Html, StringComparison.Ordinal);
        Assert.Equal("Dana", (await admin.GetAsync("/api/users/dana@example.test")).Object["name"]!.GetValue<string>());
        using (var dana = new BatonClient(Server.BaseUrl, new JsonObject { ["email"] = "dana@example.test", ["password"] = "dana's long password" }))
        {
            var none = await dana.GetAsync("/api/secrets"); // signed in with the password the form set; no secret of hers yet
            none.ShouldBe(HttpStatusCode.OK);
            Assert.Equal("[]", none.Text);
        }

        var group = await browser.PostFormAsync("/console/access", "put-group", user.Html, ("GroupForm.Id", "operators"), ("GroupForm.Description", "on call"), ("GroupForm.Roles", "USER"));
        Assert.Contains("Saved group operators.", group.Html, StringComparison.Ordinal);

        var app = await browser.PostFormAsync("/console/access", "create-app", group.Html, ("AppForm.Name", "deployer"));
        Assert.Contains("Created application deployer", app.Html, StringComparison.Ordinal);
        var appId = AppId().Match(app.Html).Groups[1].Value;
        var key = await browser.PostFormAsync("/console/access", "create-key", app.Html, ("KeyForm.ApplicationId", appId));
        Assert.Contains("it is not stored and is never shown again", key.Html, StringComparison.Ordinal);
        var roled = await browser.PostFormAsync("/console/access", "app-role", app.Html, ("RoleForm.ApplicationId", appId), ("RoleForm.Role", "WORKER"));
        Assert.Contains("deployer now has the roles WORKER.", roled.Html, StringComparison.Ordinal);
        Assert.Contains("WORKER", (await admin.GetAsync($"/api/applications/{appId}")).Text, StringComparison.Ordinal);
        var keyId = KeyField().Match(key.Html).Groups[1].Value;
        var keySecret = SecretField().Match(key.Html).Groups[1].Value;
        Assert.NotEmpty(keySecret);
        Assert.Contains("no-store", key.CacheControl ?? "", StringComparison.Ordinal);
        (await new HttpClient().PostAsync(new Uri($"{Server.BaseUrl}/api/token"), JsonContent(new JsonObject { ["keyId"] = keyId, ["keySecret"] = keySecret }))).EnsureSuccessStatusCode();
        Assert.DoesNotContain(keySecret, (await browser.GetAsync("/console/access")).Html, StringComparison.Ordinal);

        var granted = await browser.PostFormAsync("/console/access", "grant", key.Html,
            ("GrantForm.SubjectType", "USER"), ("GrantForm.SubjectId", "dana@example.test"), ("GrantForm.TargetType", "SECRET_NAME"), ("GrantForm.TargetId", "ops_token"), ("GrantForm.Access", "EXECUTE"));
        Assert.Contains("Granted.", granted.Html, StringComparison.Ordinal);
        Assert.Contains("EXECUTE", (await admin.GetAsync("/api/users/dana@example.test/permissions")).Text, StringComparison.Ordinal);

        var bad = await browser.PostFormAsync("/console/access", "grant", granted.Html,
            ("GrantForm.SubjectType", "USER"), ("GrantForm.SubjectId", "dana@example.test"), ("GrantForm.TargetType", "SECRET_NAME"), ("GrantForm.TargetId", "ops_token"), ("GrantForm.Access", "FLY"));
        Assert.Contains("$.access[0]: unknown access", bad.Html, StringComparison.Ordinal);
        foreach (var visited in browser.Pages) Assert.DoesNotContain("ops-token-value-4f1a", visited.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ordinary_user_cannot_raise_their_role_take_a_key_for_another_application_or_grant_what_they_do_not_hold()
    {
        using var admin = new BatonClient(Server);
        await admin.PutSecretAsync("admin_secret", "admin-secret-value-77e2");
        (await admin.PutAsync("/api/users/eve@example.test", new JsonObject { ["roles"] = new JsonArray("USER"), ["password"] = "a long enough password" })).ShouldBe(HttpStatusCode.OK);
        var adminApp = (await admin.PostAsync("/api/applications", new JsonObject { ["name"] = "admins-app" })).Object["id"]!.GetValue<string>();

        using var eve = await SignedInAsync("eve@example.test");
        var page = await eve.GetAsync("/console/access");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.DoesNotContain("<h2>Users</h2>", page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(admin.Token!, page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("admins-app", page.Html, StringComparison.Ordinal);

        var raise = await eve.PostFormAsync("/console/access", "put-user", page.Html, ("UserForm.Email", "eve@example.test"), ("UserForm.Roles", "ADMIN"));
        Assert.NotEqual(HttpStatusCode.OK, raise.Status);
        Assert.DoesNotContain("ADMIN", (await admin.GetAsync("/api/users/eve@example.test")).Text, StringComparison.Ordinal);

        var role = await eve.PostFormAsync("/console/access", "app-role", page.Html, ("RoleForm.ApplicationId", adminApp), ("RoleForm.Role", "ADMIN"));
        Assert.Contains($"Forbidden: needs UPDATE on APPLICATION &#x27;{adminApp}&#x27;", role.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("ADMIN", (await admin.GetAsync($"/api/applications/{adminApp}")).Text, StringComparison.Ordinal);
        var key = await eve.PostFormAsync("/console/access", "create-key", page.Html, ("KeyForm.ApplicationId", adminApp));
        Assert.Contains($"Forbidden: needs UPDATE on APPLICATION &#x27;{adminApp}&#x27;", key.Html, StringComparison.Ordinal);
        Assert.Equal("[]", (await admin.GetAsync($"/api/applications/{adminApp}/accessKeys")).Text);

        var grant = await eve.PostFormAsync("/console/access", "grant", page.Html,
            ("GrantForm.SubjectType", "USER"), ("GrantForm.SubjectId", "eve@example.test"), ("GrantForm.TargetType", "SECRET_NAME"), ("GrantForm.TargetId", "admin_secret"), ("GrantForm.Access", "READ"));
        Assert.Contains("Forbidden", grant.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("admin_secret", (await admin.GetAsync("/api/users/eve@example.test/permissions")).Text, StringComparison.Ordinal);
        foreach (var visited in eve.Pages) Assert.DoesNotContain("admin-secret-value-77e2", visited.Html, StringComparison.Ordinal);
    }

    private static StringContent JsonContent(JsonNode body) => new(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");

    [GeneratedRegex(@"Created application deployer \(([^)]+)\)")]
    private static partial Regex AppId();

    [GeneratedRegex(@"<dt>Key id</dt><dd><code>([^<]+)</code>")]
    private static partial Regex KeyField();

    [GeneratedRegex(@"<dt>Key secret</dt><dd><code>([^<]+)</code>")]
    private static partial Regex SecretField();
}
