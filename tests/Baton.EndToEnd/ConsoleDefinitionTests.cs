using System.Net;
using System.Text.Json.Nodes;
using Baton.Testing;

namespace Baton.EndToEnd;

/// <summary>
/// The console's definitions pages over real HTTP against a real server: the list and one definition (graph as SVG,
/// the secrets it names and whether the viewer may use them, the JSON with references only), the editor saving through
/// the API's save with each problem at the path the API's 400 names, and a viewer without rights refused.
/// </summary>
public sealed class ConsoleDefinitionTests : OwnServerTests
{
    private const string Value = "console-definition-canary-51c0de";

    private static JsonObject Definition(int version, string firstTask) => (JsonObject)JsonNode.Parse("""
        {"name": "billing_flow", "version": VERSION, "schemaVersion": 2, "ownerEmail": "ops@example.test", "tasks": [
          {"name": "FIRST_TASK", "taskReferenceName": "FIRST_TASK", "type": "HTTP", "inputParameters": {"http_request": {
             "uri": "https://example.test/charge", "method": "POST", "headers": {"Authorization": "Bearer ${workflow.secrets.stripe_key}"}}}},
          {"name": "split", "taskReferenceName": "split", "type": "FORK_JOIN", "forkTasks": [
             [{"name": "notify_mail", "taskReferenceName": "notify_mail", "type": "NOOP"}],
             [{"name": "notify_chat", "taskReferenceName": "notify_chat", "type": "NOOP"}]]},
          {"name": "gather", "taskReferenceName": "gather", "type": "JOIN", "joinOn": ["notify_mail", "notify_chat"]},
          {"name": "route", "taskReferenceName": "route", "type": "SWITCH", "evaluatorType": "value-param", "expression": "kind",
           "inputParameters": {"kind": "${workflow.input.kind}"},
           "decisionCases": {"refund_case": [{"name": "refund", "taskReferenceName": "refund", "type": "NOOP"}]},
           "defaultCase": [{"name": "keep", "taskReferenceName": "keep", "type": "NOOP"}]}]}
        """.Replace("VERSION", version.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
           .Replace("FIRST_TASK", firstTask, StringComparison.Ordinal))!;

    [Fact]
    public async Task A_definition_page_draws_its_graph_lists_its_secrets_and_its_editor_saves_with_the_apis_checks()
    {
        using var admin = new BatonClient(Server);
        (await admin.PutAsync("/api/secrets/stripe_key", JsonValue.Create(Value))).ShouldBe(HttpStatusCode.OK);
        (await admin.PutAsync("/api/metadata/workflow", new JsonArray(Definition(1, "charge_card")))).ShouldBe(HttpStatusCode.OK);

        using var browser = new ConsoleBrowser(Server.BaseUrl);
        await browser.SignInAsync(Server.AdminCredentials()["email"]!.GetValue<string>(), Server.AdminCredentials()["password"]!.GetValue<string>());
        var list = await browser.GetAsync("/console/definitions");
        Assert.Equal(HttpStatusCode.OK, list.Status);
        Assert.Contains("href=\"console/definitions/billing_flow\"", list.Html, StringComparison.Ordinal);
        Assert.Contains(">Definitions</a>", list.Html, StringComparison.Ordinal);

        var page = await browser.GetAsync("/console/definitions/billing_flow");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        var svgStart = page.Html.IndexOf("<svg", StringComparison.Ordinal);
        Assert.True(svgStart >= 0, "the page has no SVG graph");
        var svg = page.Html[svgStart..(page.Html.IndexOf("</svg>", svgStart, StringComparison.Ordinal) + 6)];
        Assert.Contains("role=\"img\"", svg, StringComparison.Ordinal);
        foreach (var task in new[] { "charge_card", "split", "notify_mail", "notify_chat", "gather", "route", "refund", "keep" })
        {
            Assert.Contains($">{task}<", svg, StringComparison.Ordinal);
        }
        Assert.Contains(">refund_case<", svg, StringComparison.Ordinal);
        Assert.Contains("stripe_key", page.Html, StringComparison.Ordinal);
        Assert.Contains("${workflow.secrets.stripe_key}", page.Html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"ok\">yes</span>", page.Html, StringComparison.Ordinal);

        var badVersion = await browser.GetAsync("/console/definitions/billing_flow?version=abc");
        Assert.Equal(HttpStatusCode.BadRequest, badVersion.Status);
        Assert.Contains("version: must be a whole number", badVersion.Html, StringComparison.Ordinal);
        var unknown = await browser.GetAsync("/console/definitions/billing_flow?version=9");
        Assert.Equal(HttpStatusCode.OK, unknown.Status);
        Assert.Contains("No workflow definition named &#x27;billing_flow&#x27; with version 9", unknown.Html, StringComparison.Ordinal);

        // A problem is shown at the very path the API's 400 names.
        var broken = Definition(1, "charge_card");
        broken["tasks"]![1]!["forkTasks"]![0]![0]!.AsObject().Remove("taskReferenceName");
        var apiAnswer = await admin.PutAsync("/api/metadata/workflow", new JsonArray(broken.DeepClone()));
        apiAnswer.ShouldBe(HttpStatusCode.BadRequest);
        var apiProblems = apiAnswer.Object["validationErrors"]!.AsArray();
        Assert.NotEmpty(apiProblems);
        var refused = await browser.PostFormAsync("/console/definitions/billing_flow", "definition-editor", page.Html, ("Input.Json", broken.ToJsonString()));
        Assert.Equal(HttpStatusCode.OK, refused.Status);
        var shown = WebUtility.HtmlDecode(refused.Html);
        foreach (var problem in apiProblems)
        {
            var path = "$" + problem!["path"]!.GetValue<string>()["$[0]".Length..];
            Assert.Contains($"<code class=\"path\">{path}</code> <span class=\"error\">{problem["message"]!.GetValue<string>()}</span>", shown, StringComparison.Ordinal);
        }
        var notJson = await browser.PostFormAsync("/console/definitions/billing_flow", "definition-editor", page.Html, ("Input.Json", "{\"name\": "));
        Assert.Contains("<code class=\"path\">$", notJson.Html, StringComparison.Ordinal);

        // A valid edit saves a new version through the API's save: the API sees it.
        var saved = await browser.PostFormAsync("/console/definitions/billing_flow", "definition-editor", page.Html, ("Input.Json", Definition(2, "charge_card_v2").ToJsonString()));
        Assert.Contains("Saved &#x27;billing_flow&#x27; version 2.", saved.Html, StringComparison.Ordinal);
        var stored = (await admin.GetAsync("/api/metadata/workflow/billing_flow?version=2")).Object;
        Assert.Equal("charge_card_v2", stored["tasks"]![0]!["name"]!.GetValue<string>());
        var second = await browser.GetAsync("/console/definitions/billing_flow?version=2");
        Assert.Contains(">charge_card_v2<", second.Html, StringComparison.Ordinal);
        Assert.Contains("href=\"console/definitions/billing_flow?version=1\"", second.Html, StringComparison.Ordinal);

        // The editor writes back what was typed; a value typed into it is refused by the save and masked by the redactor.
        var leaky = Definition(3, "charge_card");
        leaky["description"] = $"token {Value}";
        var masked = await browser.PostFormAsync("/console/definitions/billing_flow", "definition-editor", page.Html, ("Input.Json", leaky.ToJsonString()));
        Assert.Equal(HttpStatusCode.OK, masked.Status);
        Assert.Contains("<code class=\"path\">$.description</code>", masked.Html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/metadata/workflow/billing_flow?version=3")).Status);

        foreach (var visited in browser.Pages) AssertNoValue(visited);
    }

    [Fact]
    public async Task A_node_workflow_page_draws_its_nodes_names_its_template_secrets_and_saves_a_new_version()
    {
        using var admin = new BatonClient(Server);
        (await admin.PutAsync("/v1/workflows/notify", Nodes.NodeWorkflowApiTests.Document("notify"))).ShouldBe(HttpStatusCode.Created);

        using var browser = new ConsoleBrowser(Server.BaseUrl);
        await browser.SignInAsync(Server.AdminCredentials()["email"]!.GetValue<string>(), Server.AdminCredentials()["password"]!.GetValue<string>());
        Assert.Contains("<td>node workflow</td>", (await browser.GetAsync("/console/definitions")).Html, StringComparison.Ordinal);
        var page = await browser.GetAsync("/console/definitions/notify");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains(">Send webhook (send_webhook)<", page.Html, StringComparison.Ordinal);
        Assert.Contains(">trigger<", page.Html, StringComparison.Ordinal);
        Assert.Contains("<td>MY_API_TOKEN</td>", page.Html, StringComparison.Ordinal); // read by a template, found as the hand-off finds it
        Assert.Contains("not stored", page.Html, StringComparison.Ordinal);
        // Stored, the secret is usable by the admin's runs, and the secrets API names the node workflow as referencing it.
        (await admin.PutAsync("/api/secrets/MY_API_TOKEN", JsonValue.Create(Value))).ShouldBe(HttpStatusCode.OK);
        Assert.Contains("<span class=\"ok\">yes</span>", (await browser.GetAsync("/console/definitions/notify")).Html, StringComparison.Ordinal);
        Assert.Contains("\"notify\"", (await admin.GetAsync("/api/secrets/MY_API_TOKEN/usage")).Text, StringComparison.Ordinal);

        var doc = Nodes.NodeWorkflowApiTests.Document("notify");
        doc["title"] = "Notify, edited in the console";
        var saved = await browser.PostFormAsync("/console/definitions/notify", "definition-editor", page.Html, ("Input.Json", doc.ToJsonString()));
        Assert.Contains("Saved node workflow &#x27;notify&#x27; version 2.", saved.Html, StringComparison.Ordinal);
        Assert.Equal("Notify, edited in the console", (await admin.GetAsync("/v1/workflows/notify")).Object["workflow"]!["title"]!.GetValue<string>());

        doc["connections"]!.AsArray().Add(JsonNode.Parse("""{"sourceIdentifier": "send_webhook", "targetIdentifier": "ghost"}"""));
        var refused = await browser.PostFormAsync("/console/definitions/notify", "definition-editor", page.Html, ("Input.Json", doc.ToJsonString()));
        Assert.Contains("<code class=\"path\">$.connections[1].targetIdentifier</code>", refused.Html, StringComparison.Ordinal);

        // A new definition from its own page, through the same save.
        var blank = await browser.GetAsync("/console/new-definition");
        Assert.Equal(HttpStatusCode.OK, blank.Status);
        var created = await browser.PostFormAsync("/console/new-definition", "definition-editor", blank.Html, ("Input.Json",
            """{"name": "made_in_console", "version": 1, "tasks": [{"name": "wait_here", "taskReferenceName": "wait_here", "type": "WAIT"}]}"""));
        Assert.Contains("Saved &#x27;made_in_console&#x27; version 1.", created.Html, StringComparison.Ordinal);
        Assert.Contains(">wait_here<", (await browser.GetAsync("/console/definitions/made_in_console")).Html, StringComparison.Ordinal);
        foreach (var visited in browser.Pages) AssertNoValue(visited);
    }

    [Fact]
    public async Task A_viewer_without_rights_sees_no_definition_and_a_reader_cannot_save()
    {
        using var admin = new BatonClient(Server);
        (await admin.PutAsync("/api/secrets/stripe_key", JsonValue.Create(Value))).ShouldBe(HttpStatusCode.OK);
        (await admin.PutAsync("/api/metadata/workflow", new JsonArray(Definition(1, "charge_card")))).ShouldBe(HttpStatusCode.OK);
        (await admin.PutAsync("/api/users/nobody@example.test", new JsonObject { ["roles"] = new JsonArray(), ["password"] = "a long enough password" })).ShouldBe(HttpStatusCode.OK);
        (await admin.PutAsync("/api/users/reader@example.test", new JsonObject { ["roles"] = new JsonArray(), ["password"] = "a long enough password" })).ShouldBe(HttpStatusCode.OK);
        (await admin.PostAsync("/api/auth/authorization", new JsonObject
        {
            ["subject"] = new JsonObject { ["type"] = "USER", ["id"] = "reader@example.test" },
            ["target"] = new JsonObject { ["type"] = "WORKFLOW_DEF", ["id"] = "billing_flow" },
            ["access"] = new JsonArray("READ"),
        })).ShouldBe(HttpStatusCode.OK);

        using var nobody = new ConsoleBrowser(Server.BaseUrl);
        await nobody.SignInAsync("nobody@example.test", "a long enough password");
        Assert.Equal(HttpStatusCode.Forbidden, (await nobody.GetAsync("/console/definitions")).Status);
        var one = await nobody.GetAsync("/console/definitions/billing_flow");
        Assert.Equal(HttpStatusCode.Forbidden, one.Status);
        Assert.DoesNotContain("charge_card", one.Html, StringComparison.Ordinal);

        using var reader = new ConsoleBrowser(Server.BaseUrl);
        await reader.SignInAsync("reader@example.test", "a long enough password");
        var page = await reader.GetAsync("/console/definitions/billing_flow");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains(">charge_card<", page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("definition-editor", page.Html, StringComparison.Ordinal); // no editor without UPDATE
        Assert.Contains("<span class=\"error\">no: permission denied", page.Html, StringComparison.Ordinal); // the one policy's answer
        // Posting the editor's form anyway is refused by the save's own check, as PUT /api/metadata/workflow refuses it.
        var forced = await reader.PostFormAsync("/console/definitions/billing_flow", "definition-editor", page.Html, ("Input.Json", Definition(1, "hijacked").ToJsonString()));
        Assert.DoesNotContain("Saved", forced.Html, StringComparison.Ordinal);
        Assert.Equal("charge_card", (await admin.GetAsync("/api/metadata/workflow/billing_flow")).Object["tasks"]![0]!["name"]!.GetValue<string>());

        foreach (var visited in nobody.Pages.Concat(reader.Pages)) AssertNoValue(visited);
    }

    [Fact]
    public async Task Home_shows_counts_recent_failures_queues_and_health_only_of_what_the_viewer_may_see()
    {
        using var admin = new BatonClient(Server);
        (await admin.PutAsync("/api/metadata/workflow", new JsonArray(
            JsonNode.Parse("""
                {"name": "doomed", "version": 1, "tasks": [{"name": "stop", "taskReferenceName": "stop", "type": "TERMINATE",
                  "inputParameters": {"terminationStatus": "FAILED", "terminationReason": "the card was declined"}}]}
                """),
            JsonNode.Parse("""
                {"name": "waiting", "version": 1, "tasks": [{"name": "home_worker_task", "taskReferenceName": "work", "type": "SIMPLE"}]}
                """)))).ShouldBe(HttpStatusCode.OK);
        var failedId = await admin.StartAsync("doomed");
        await admin.StartAsync("waiting");
        await admin.StartAsync("waiting");

        using var browser = new ConsoleBrowser(Server.BaseUrl);
        await browser.SignInAsync(Server.AdminCredentials()["email"]!.GetValue<string>(), Server.AdminCredentials()["password"]!.GetValue<string>());
        var home = await browser.GetAsync("/console");
        Assert.Equal(HttpStatusCode.OK, home.Status);
        Assert.Contains("<dd id=\"count-running\">2</dd>", home.Html, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"count-failed\">1</dd>", home.Html, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"health\">UP</dd>", home.Html, StringComparison.Ordinal);
        Assert.Contains($"href=\"console/runs/{failedId}\"", home.Html, StringComparison.Ordinal);
        Assert.Contains("the card was declined", home.Html, StringComparison.Ordinal);
        Assert.Contains("<tr><td>home_worker_task</td><td>2</td></tr>", home.Html, StringComparison.Ordinal);

        // Someone with no rights signs in to the same home page and sees none of it, but the server's health.
        (await admin.PutAsync("/api/users/nobody@example.test", new JsonObject { ["roles"] = new JsonArray(), ["password"] = "a long enough password" })).ShouldBe(HttpStatusCode.OK);
        using var nobody = new ConsoleBrowser(Server.BaseUrl);
        await nobody.SignInAsync("nobody@example.test", "a long enough password");
        var theirs = await nobody.GetAsync("/console");
        Assert.Equal(HttpStatusCode.OK, theirs.Status);
        Assert.Contains("<dd id=\"count-running\">0</dd>", theirs.Html, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"count-failed\">0</dd>", theirs.Html, StringComparison.Ordinal);
        Assert.Contains("<dd id=\"health\">UP</dd>", theirs.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(failedId, theirs.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("home_worker_task", theirs.Html, StringComparison.Ordinal);
    }

    private static void AssertNoValue(ConsolePage page) =>
        Assert.False(page.Html.Contains(Value, StringComparison.Ordinal) || page.Html.Contains(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Value)).TrimEnd('='), StringComparison.Ordinal),
            $"{page.Path} carries the value");
}
