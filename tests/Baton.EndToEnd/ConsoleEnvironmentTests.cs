using System.Net;
using System.Text.Json.Nodes;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// The console's Environment page against a real server: it lists what the API lists for the same person, saves and
/// deletes through the API's own checks, refuses a value that equals a secret's without echoing it, and an ordinary
/// user can neither read nor change a value that is not theirs.
/// </summary>
public sealed class ConsoleEnvironmentTests : OwnServerTests
{
    [Fact]
    public async Task An_admin_adds_changes_and_deletes_a_value_and_the_api_sees_each_change()
    {
        using var admin = new BatonClient(Server);
        using var browser = new ConsoleBrowser(Server.BaseUrl);
        await browser.SignInAsync(Server.AdminCredentials()["email"]!.GetValue<string>(), Server.AdminCredentials()["password"]!.GetValue<string>());
        var page = await browser.GetAsync("/console/environment");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("href=\"console/environment\"", page.Html, StringComparison.Ordinal);

        var saved = await browser.PostFormAsync("/console/environment", "save-env", page.Html, ("Saving.Name", "region"), ("Saving.Value", "eu-west-1"));
        Assert.Contains("Saved &#x27;region&#x27;", saved.Html, StringComparison.Ordinal);
        Assert.Equal("eu-west-1", (await admin.GetAsync("/api/environment/region")).Text);
        Assert.Contains("eu-west-1", saved.Html, StringComparison.Ordinal);

        var changed = await browser.PostFormAsync("/console/environment", "save-env", saved.Html, ("Saving.Name", "region"), ("Saving.Value", "us-east-2"));
        Assert.Contains("us-east-2", changed.Html, StringComparison.Ordinal);
        Assert.Equal("us-east-2", (await admin.GetAsync("/api/environment/region")).Text);

        var badName = await browser.PostFormAsync("/console/environment", "save-env", changed.Html, ("Saving.Name", "no spaces allowed"), ("Saving.Value", "x"));
        Assert.Equal(HttpStatusCode.OK, badName.Status);
        Assert.Contains("class=\"error\"", badName.Html, StringComparison.Ordinal);

        var deleted = await browser.PostFormAsync("/console/environment", "delete-env", badName.Html, ("Deleting.Name", "region"));
        Assert.Contains("Deleted &#x27;region&#x27;", deleted.Html, StringComparison.Ordinal);
        (await admin.GetAsync("/api/environment/region")).ShouldBe(HttpStatusCode.NotFound);
        var again = await browser.PostFormAsync("/console/environment", "delete-env", deleted.Html, ("Deleting.Name", "region"));
        Assert.Contains("No environment value named &#x27;region&#x27;", again.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_equal_to_a_secret_is_refused_and_the_page_never_shows_it()
    {
        const string secretValue = "env-page-secret-9c1d44";
        using var admin = new BatonClient(Server);
        await admin.PutSecretAsync("db_password", secretValue);
        using var browser = new ConsoleBrowser(Server.BaseUrl);
        await browser.SignInAsync(Server.AdminCredentials()["email"]!.GetValue<string>(), Server.AdminCredentials()["password"]!.GetValue<string>());
        var page = await browser.GetAsync("/console/environment");

        var refused = await browser.PostFormAsync("/console/environment", "save-env", page.Html, ("Saving.Name", "copy"), ("Saving.Value", secretValue));
        Assert.Equal(HttpStatusCode.OK, refused.Status);
        Assert.Contains("class=\"error\"", refused.Html, StringComparison.Ordinal);
        Assert.Contains("db_password", refused.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(secretValue, refused.Html, StringComparison.Ordinal);
        (await admin.GetAsync("/api/environment/copy")).ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_ordinary_user_sees_only_their_own_values_and_cannot_change_or_delete_anothers()
    {
        using var admin = new BatonClient(Server);
        (await admin.SendRawAsync(HttpMethod.Put, "/api/environment/admins_only", "hidden-admin-value", "text/plain")).ShouldBe(HttpStatusCode.OK);
        (await admin.PutAsync("/api/users/plain@example.test", new JsonObject { ["roles"] = new JsonArray("USER"), ["password"] = "a long enough password" })).ShouldBe(HttpStatusCode.OK);
        (await admin.PutAsync("/api/users/nobody@example.test", new JsonObject { ["roles"] = new JsonArray(), ["password"] = "a long enough password" })).ShouldBe(HttpStatusCode.OK);

        using var nobody = new ConsoleBrowser(Server.BaseUrl);
        await nobody.SignInAsync("nobody@example.test", "a long enough password");
        var refused = await nobody.GetAsync("/console/environment");
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.DoesNotContain("hidden-admin-value", refused.Html, StringComparison.Ordinal);

        // A USER may create values of their own (and then holds every right on them, as their creator).
        using (var plainApi = new BatonClient(Server.BaseUrl, new JsonObject { ["email"] = "plain@example.test", ["password"] = "a long enough password" }))
        {
            (await plainApi.SendRawAsync(HttpMethod.Put, "/api/environment/plain_own", "plain-own-value", "text/plain")).ShouldBe(HttpStatusCode.OK);
        }
        using var plain = new ConsoleBrowser(Server.BaseUrl);
        await plain.SignInAsync("plain@example.test", "a long enough password");
        var page = await plain.GetAsync("/console/environment");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("plain-own-value", page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("hidden-admin-value", page.Html, StringComparison.Ordinal);
        var overwrite = await plain.PostFormAsync("/console/environment", "save-env", page.Html, ("Saving.Name", "admins_only"), ("Saving.Value", "taken over"));
        Assert.Contains("Forbidden", overwrite.Html, StringComparison.Ordinal);
        var delete = await plain.PostFormAsync("/console/environment", "delete-env", page.Html, ("Deleting.Name", "admins_only"));
        Assert.Contains("Forbidden", delete.Html, StringComparison.Ordinal);
        Assert.Equal("hidden-admin-value", (await admin.GetAsync("/api/environment/admins_only")).Text);
        Assert.DoesNotContain("hidden-admin-value", overwrite.Html + delete.Html, StringComparison.Ordinal);
    }
}
