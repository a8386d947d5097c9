using System.Net;
using System.Text.Json.Nodes;
using Baton.Testing;
using Microsoft.Playwright;

namespace Baton.Console.Tests;

/// <summary>
/// The seed's console flow in a real Chromium against the real server: sign in, Secrets in the left menu, Add secret,
/// listed, tagged; a workflow that uses it runs and its page opens; a user without rights sees neither the secret nor
/// any value; a form posted without its anti-forgery token is refused. Every page visited passes axe-core (no serious
/// or critical violation) and no page, DOM text or network response holds the value in any encoding.
/// </summary>
public sealed class SeedFlowInChromiumTests : OwnServerTests
{
    private const string SecretName = "stripe_api_key";

    [Fact]
    public async Task The_seed_console_flow_works_in_chromium_and_no_value_reaches_the_browser()
    {
        var value = "sk_live_" + Guid.NewGuid().ToString("N");
        var admin = Server.AdminCredentials();
        await using var browser = await BrowserSession.StartAsync(Server.BaseUrl);
        var page = browser.Page;
        await browser.SignInAsync(admin["email"]!.GetValue<string>(), admin["password"]!.GetValue<string>());
        await browser.CheckPageAsync("home", [value]);

        // "navigate to the Secrets option from the left menu… Click Add Secrets… Secret Name, Secret Value… Add".
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Console" }).GetByRole(AriaRole.Link, new() { Name = "Secrets" }).ClickAsync();
        await page.WaitForURLAsync("**/console/secrets");
        await page.GetByLabel("Secret Name").First.FillAsync(SecretName);
        await page.GetByLabel("Secret Value").FillAsync(value);
        await page.GetByLabel("Tags (key:value, comma separated)").FillAsync("team:payments");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"Saved '{SecretName}' (version 1).");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = SecretName })).ToBeVisibleAsync();
        Assert.Equal("", await page.GetByLabel("Secret Value").InputValueAsync());
        await browser.CheckPageAsync("secrets", [value]);

        await page.Locator("#tag-name").FillAsync(SecretName);
        await page.Locator("#tag-tags").FillAsync("env:prod");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set tags" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"Tagged '{SecretName}'.");
        await Assertions.Expect(page.GetByText("env:prod").First).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = SecretName }).ClickAsync();
        await page.WaitForURLAsync($"**/console/secrets/{SecretName}");
        await browser.CheckPageAsync("secret", [value]);

        // A workflow that uses the secret, run through the API; its page opened in the browser.
        using var api = new BatonClient(Server);
        var workflow = "charge_customer";
        var definition = new JsonObject
        {
            ["name"] = workflow,
            ["version"] = 1,
            ["schemaVersion"] = 2,
            ["tasks"] = new JsonArray(new JsonObject
            {
                ["name"] = "charge",
                ["taskReferenceName"] = "charge",
                ["type"] = "HTTP",
                ["inputParameters"] = new JsonObject
                {
                    ["http_request"] = new JsonObject
                    {
                        ["uri"] = $"{Peer.BaseUrl}/echo",
                        ["method"] = "POST",
                        ["headers"] = new JsonObject { ["Authorization"] = $"Bearer ${{workflow.secrets.{SecretName}}}" },
                        ["body"] = new JsonObject { ["amount"] = 42 },
                    },
                },
            }),
        };
        var run = await api.ExecuteAsync(definition);
        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        Assert.Contains(Peer.Requests, r => r["headers"]?["authorization"]?.GetValue<string>() == $"Bearer {value}");
        var runId = run["workflowId"]!.GetValue<string>();

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Console" }).GetByRole(AriaRole.Link, new() { Name = "Runs" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = runId }).ClickAsync();
        await page.WaitForURLAsync($"**/console/runs/{runId}");
        await Assertions.Expect(page.GetByText("charge").First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = SecretName, Exact = true })).ToBeVisibleAsync();
        await browser.CheckPageAsync("run", [value]);

        await page.GotoAsync("/console/definitions/" + workflow);
        await Assertions.Expect(page.Locator("svg[role=img]")).ToBeVisibleAsync();
        await browser.CheckPageAsync("definition", [value]);
        foreach (var (path, name) in new[] { ("/console/definitions", "definitions"), ("/console/runs", "runs"), ("/console/schedules", "schedules"), ("/console/environment", "environment"), ("/console/access", "access") })
        {
            await page.GotoAsync(path);
            await browser.CheckPageAsync(name, [value]);
        }

        // A form posted without its anti-forgery token is refused and changes nothing.
        var forged = await page.EvaluateAsync<int>("""
            async () => (await fetch('/console/secrets', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
                body: '_handler=add-secret&NewSecret.Name=forged_secret&NewSecret.Value=forged-value-123' })).status
            """);
        Assert.Equal(400, forged);
        Assert.Equal("false", (await api.GetAsync("/api/secrets/forged_secret/exists")).Text);

        await browser.AssertNoResponseHoldsAsync([value]);
    }

    [Fact]
    public async Task A_user_without_rights_sees_neither_the_secret_nor_a_value_in_chromium()
    {
        var value = "guarded-" + Guid.NewGuid().ToString("N");
        using var api = new BatonClient(Server);
        await api.PutSecretAsync("guarded_key", value);
        (await api.PutAsync("/api/users/nobody@example.test", new JsonObject { ["roles"] = new JsonArray("USER"), ["password"] = "a long enough password" })).ShouldBe(HttpStatusCode.OK);

        await using var browser = await BrowserSession.StartAsync(Server.BaseUrl);
        await browser.SignInAsync("nobody@example.test", "a long enough password");
        var page = browser.Page;
        // A USER may create secrets of their own, so the page opens, and lists none of anyone else's.
        var secrets = await page.GotoAsync("/console/secrets");
        Assert.Equal(200, secrets!.Status);
        await Assertions.Expect(page.GetByText("No secrets you may use yet.")).ToBeVisibleAsync();
        Assert.DoesNotContain("guarded_key", await page.ContentAsync(), StringComparison.Ordinal);
        await browser.CheckPageAsync("secrets-without-rights", [value]);
        var secret = await page.GotoAsync("/console/secrets/guarded_key");
        Assert.Equal(403, secret!.Status);
        Assert.DoesNotContain(value, await page.ContentAsync(), StringComparison.Ordinal);
        await page.GotoAsync("/console");
        await browser.CheckPageAsync("home-without-rights", [value]);
        await browser.AssertNoResponseHoldsAsync([value]);
    }
}
