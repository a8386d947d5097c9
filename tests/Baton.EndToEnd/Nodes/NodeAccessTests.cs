using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd.Nodes;

/// <summary>
/// Ordinary users attack node workflows: a writer of workflows who may not read a secret tries to get it sent
/// somewhere, an outsider tries to read or cancel a run, a non-responder tries to approve, and the INPUT node's
/// responders do approve.
/// </summary>
[Collection(NodeServer.Name)]
public sealed class NodeAccessTests(NodeServerFixture fixture) : IDisposable
{
    private readonly List<BatonClient> _clients = [];

    public void Dispose()
    {
        foreach (var client in _clients) client.Dispose();
    }

    private Task<(string Email, BatonClient Client)> UserAsync(params string[] roles) => NamedUserAsync("Node test user", roles);

    private async Task<(string Email, BatonClient Client)> NamedUserAsync(string name, params string[] roles)
    {
        var email = $"{Guid.NewGuid().ToString("N")[..10]}@example.test";
        const string password = "correct horse battery staple";
        (await fixture.Admin.PutAsync($"/api/users/{email}", new JsonObject
        {
            ["name"] = name,
            ["roles"] = new JsonArray([.. roles.Select(r => (JsonNode)r)]),
            ["password"] = password,
        })).ShouldBe(HttpStatusCode.OK);
        var client = new BatonClient(fixture.Server.BaseUrl, new JsonObject { ["email"] = email, ["password"] = password });
        _clients.Add(client);
        return (email, client);
    }

    private static JsonObject Workflow(string identifier, params JsonNode[] nodes)
    {
        var connections = new JsonArray();
        for (var i = 1; i < nodes.Length; i++)
        {
            if (nodes[i - 1]!["config"]!["type"]!.GetValue<string>() is "CONDITION" or "INPUT") continue;
            connections.Add(new JsonObject { ["sourceIdentifier"] = nodes[i - 1]!["identifier"]!.GetValue<string>(), ["targetIdentifier"] = nodes[i]!["identifier"]!.GetValue<string>() });
        }
        return new JsonObject { ["identifier"] = identifier, ["nodes"] = new JsonArray(nodes), ["connections"] = connections };
    }

    private static JsonNode Trigger() => JsonNode.Parse("""{"identifier": "trigger", "config": {"type": "SELF_SERVE_TRIGGER", "userInputs": {"properties": {}}}}""")!;

    [Fact]
    public async Task A_writer_who_may_not_read_a_secret_cannot_get_it_sent_and_the_failure_names_the_secret()
    {
        var value = $"admins-only-{Guid.NewGuid():N}";
        var secret = $"ADMIN_ONLY_{Guid.NewGuid():N}"[..30];
        (await fixture.Admin.SendRawAsync(HttpMethod.Put, $"/api/secrets/{secret}", value, "text/plain")).ShouldBe(HttpStatusCode.OK);
        var (_, writer) = await UserAsync("USER");
        var identifier = Defs.Unique("steal");
        await NodeServerFixture.SaveAsync(writer, Workflow(identifier, Trigger(), JsonNode.Parse($$$$"""
            {"identifier": "leak", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/steal", "headers": {"X-Stolen": "{{ .secrets.{{{{secret}}}} }}"}}}
            """)!));

        var run = await NodeServerFixture.RunAsync(writer, identifier);

        Assert.Equal("FAILED", run["result"]!.GetValue<string>());
        Assert.Contains(secret, run.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Peer.Requests, r => r.ToJsonString().Contains(value, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{{ .secrets | tojson }}")]
    [InlineData("{{ . | tojson }}")]
    [InlineData("{{ .secrets[.outputs.trigger.which] }}")]
    [InlineData("{{ [..] | tojson }}")]
    public async Task A_template_that_would_read_past_the_secrets_it_names_is_refused_when_saved(string header)
    {
        var (_, writer) = await UserAsync("USER");
        var reply = await writer.PostAsync("/v1/workflows", Workflow(Defs.Unique("dump"), Trigger(), new JsonObject
        {
            ["identifier"] = "dump",
            ["config"] = new JsonObject { ["type"] = "WEBHOOK", ["url"] = $"{fixture.Peer.BaseUrl}/echo/dump", ["headers"] = new JsonObject { ["X-All"] = header } },
        }));

        reply.ShouldBe(HttpStatusCode.BadRequest);
        Assert.True(reply.Text.Contains("$.nodes[1].config.headers.X-All", StringComparison.Ordinal), reply.Text);
    }

    [Fact]
    public async Task Secrets_in_variables_are_refused_when_saved()
    {
        var reply = await fixture.Admin.PostAsync("/v1/workflows", Workflow(Defs.Unique("vars"), Trigger(), JsonNode.Parse($$$$"""
            {"identifier": "call", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/v"}, "variables": {"token": "{{ .secrets.MY_API_TOKEN }}"}}
            """)!));

        reply.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("$.nodes[1].variables.token", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Someone_who_cannot_see_a_run_cannot_read_cancel_or_call_back_into_it()
    {
        var (_, owner) = await UserAsync("USER");
        var (_, outsider) = await UserAsync("USER");
        var identifier = Defs.Unique("private");
        var workflow = Workflow(identifier, Trigger(), JsonNode.Parse($$$$"""{"identifier": "ask", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/private", "synchronized": false}}""")!);
        workflow["allowAnyoneToViewRuns"] = false;
        await NodeServerFixture.SaveAsync(owner, workflow);
        var run = (await owner.PostAsync($"/v1/workflows/{identifier}/runs", new JsonObject())).Object["run"]!;
        var runId = run["identifier"]!.GetValue<string>();
        var nodeRun = await WaitForNodeRunAsync(owner, runId, "ask");

        (await outsider.GetAsync($"/v1/workflows/runs/{runId}")).ShouldBe(HttpStatusCode.Forbidden);
        (await outsider.PostAsync($"/v1/workflows/runs/{runId}/cancel")).ShouldBe(HttpStatusCode.Forbidden);
        (await outsider.SendAsync(HttpMethod.Patch, $"/v1/workflows/nodes/runs/{nodeRun}", new JsonObject { ["status"] = "COMPLETED", ["result"] = "SUCCESS" })).ShouldBe(HttpStatusCode.Forbidden);
        (await outsider.PostAsync($"/v1/workflows/{identifier}/runs", new JsonObject())).ShouldBe(HttpStatusCode.Forbidden);
        Assert.DoesNotContain((await outsider.GetAsync("/v1/workflows/runs")).Text, runId, StringComparison.Ordinal);
        Assert.Contains(runId, (await owner.GetAsync("/v1/workflows/runs")).Text, StringComparison.Ordinal);
        (await owner.PostAsync($"/v1/workflows/runs/{runId}/cancel")).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Only_an_input_nodes_responders_may_respond_and_the_run_follows_the_button_pressed()
    {
        var (approverEmail, approver) = await UserAsync("USER");
        // A responder is named by identity: a user whose display name is the approver's email is a stranger still.
        var (_, stranger) = await NamedUserAsync(approverEmail, "USER");
        var identifier = Defs.Unique("approval");
        var marker = $"approved-{Guid.NewGuid():N}";
        var workflow = new JsonObject
        {
            ["identifier"] = identifier,
            ["nodes"] = new JsonArray(
                Trigger(),
                JsonNode.Parse($$$$"""
                    {"identifier": "approve", "config": {"type": "INPUT", "description": "Deploy?",
                     "userInputs": {"properties": {"note": {"type": "string"}}, "buttons": [{"identifier": "yes", "label": "Yes"}, {"identifier": "no", "label": "No"}]},
                     "outlets": [{"identifier": "yes"}, {"identifier": "no"}],
                     "responders": {"users": ["{{{{approverEmail}}}}"]},
                     "notifications": [{"target": "webhook", "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/notify", "body": {"run": "{{ .workflowRun.identifier }}", "nodeRun": "{{ .workflowNodeRun.identifier }}"}}]}}
                    """),
                JsonNode.Parse($$$$"""{"identifier": "deploy", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/deploy", "body": {"m": "{{{{marker}}}}", "note": "{{ .outputs.approve.responses[0].inputs.note }}", "by": "{{ .outputs.approve.responses[0].submitterInfo.submittedBy }}"}}}"""),
                JsonNode.Parse("""{"identifier": "stop", "config": {"type": "CONDITION", "outlets": []}}""")),
            ["connections"] = new JsonArray(
                new JsonObject { ["sourceIdentifier"] = "trigger", ["targetIdentifier"] = "approve" },
                new JsonObject { ["sourceIdentifier"] = "approve", ["sourceOutletIdentifier"] = "yes", ["targetIdentifier"] = "deploy" },
                new JsonObject { ["sourceIdentifier"] = "approve", ["sourceOutletIdentifier"] = "no", ["targetIdentifier"] = "stop" }),
        };
        await NodeServerFixture.SaveAsync(fixture.Admin, workflow);
        var runId = (await fixture.Admin.PostAsync($"/v1/workflows/{identifier}/runs", new JsonObject())).Object["run"]!["identifier"]!.GetValue<string>();
        var notified = await WaitForPeerAsync(r => r["path"]!.GetValue<string>() == "/echo/notify" && r["body"]?["run"]?.GetValue<string>() == runId);
        var nodeRun = notified["body"]!["nodeRun"]!.GetValue<string>();
        await WaitForNodeRunAsync(fixture.Admin, runId, "approve", "IN_PROGRESS");

        (await stranger.PostAsync($"/v1/workflows/nodes/runs/{nodeRun}/responses", new JsonObject { ["outlet"] = "yes" })).ShouldBe(HttpStatusCode.Forbidden);
        (await approver.PostAsync($"/v1/workflows/nodes/runs/{nodeRun}/responses", new JsonObject { ["outlet"] = "maybe" })).ShouldBe(HttpStatusCode.BadRequest);
        (await approver.PostAsync($"/v1/workflows/nodes/runs/{nodeRun}/responses", new JsonObject { ["outlet"] = "yes", ["inputs"] = new JsonObject { ["note"] = "ship it" } })).ShouldBe(HttpStatusCode.OK);
        (await approver.PostAsync($"/v1/workflows/nodes/runs/{nodeRun}/responses", new JsonObject { ["outlet"] = "no" })).ShouldBe(HttpStatusCode.Conflict);

        var deployed = await WaitForPeerAsync(r => r.ToJsonString().Contains(marker, StringComparison.Ordinal));
        Assert.Equal("ship it", deployed["body"]!["note"]!.GetValue<string>());
        Assert.Equal(approverEmail, deployed["body"]!["by"]!.GetValue<string>());
    }

    private async Task<JsonObject> WaitForPeerAsync(Func<JsonObject, bool> match)
    {
        for (var i = 0; i < 300; i++)
        {
            if (fixture.Peer.Requests.FirstOrDefault(match) is { } found) return found;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException("the peer never received the expected request");
    }

    private static async Task<string> WaitForNodeRunAsync(BatonClient client, string runId, string node, string status = "IN_PROGRESS")
    {
        for (var i = 0; i < 300; i++)
        {
            var run = (await client.GetAsync($"/v1/workflows/runs/{runId}")).Object["run"]!;
            if (run["nodeRuns"]!.AsArray().FirstOrDefault(n => n!["node"]!["identifier"]!.GetValue<string>() == node && n["status"]!.GetValue<string>() == status) is { } found
                && (node != "approve" || found["output"]?["responses"] is not null))
            {
                return found["identifier"]!.GetValue<string>();
            }
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"node {node} of run {runId} never reached {status}");
    }
}
