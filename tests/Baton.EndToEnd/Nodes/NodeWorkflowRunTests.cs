using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd.Nodes;

/// <summary>
/// Node workflows run on the engine: the seed's webhook examples as written (outside URLs pointed at the local peer),
/// Port's template rules, failure modes, and the trust rules, each against the real server.
/// </summary>
[Collection(NodeServer.Name)]
public sealed class NodeWorkflowRunTests(NodeServerFixture fixture)
{
    private readonly BatonClient _admin = fixture.Admin;

    private static string Value(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static JsonObject Trigger(string identifier = "trigger") => JsonNode.Parse($$$$"""
        {"identifier": "{{{{identifier}}}}", "title": "Trigger", "config": {"type": "SELF_SERVE_TRIGGER",
         "userInputs": {"properties": {"message": {"type": "string"}, "tier": {"type": "string", "enum": ["gold", "silver"], "default": "silver"}}, "required": ["message"]}}}
        """)!.AsObject();

    private static JsonObject Workflow(string identifier, JsonArray nodes, JsonArray connections) => new()
    {
        ["identifier"] = identifier,
        ["title"] = "Test " + identifier,
        ["nodes"] = nodes,
        ["connections"] = connections,
    };

    private static JsonObject Connect(string from, string to) => new() { ["sourceIdentifier"] = from, ["targetIdentifier"] = to };

    private async Task PutSecretAsync(string name, string value) =>
        (await _admin.SendRawAsync(HttpMethod.Put, $"/api/secrets/{name}", value, "text/plain")).ShouldBe(HttpStatusCode.OK);

    [Fact]
    public async Task The_seed_bearer_token_example_runs_as_written_and_nothing_stored_holds_the_token()
    {
        var token = Value("token");
        await PutSecretAsync("MY_API_TOKEN", token);
        var identifier = Defs.Unique("seed_bearer");
        // The seed's node, as written, but for its outside URL, pointed at the local peer.
        var sendWebhook = JsonNode.Parse($$$$"""
            {
              "identifier": "send_webhook",
              "title": "Send webhook",
              "config": {
                "type": "WEBHOOK",
                "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/webhook",
                "method": "POST",
                "synchronized": true,
                "headers": {
                  "Authorization": "Bearer {{ .secrets.MY_API_TOKEN }}"
                },
                "body": {
                  "message": "{{ .outputs.trigger.message }}"
                }
              }
            }
            """)!.AsObject();
        await NodeServerFixture.SaveAsync(_admin, Workflow(identifier, [Trigger(), sendWebhook], [Connect("trigger", "send_webhook")]));
        var marker = Value("hello");

        var run = await NodeServerFixture.RunAsync(_admin, identifier, new JsonObject { ["message"] = marker });

        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        Assert.Equal("SUCCESS", run["result"]!.GetValue<string>());
        var received = fixture.Received(marker);
        Assert.Equal($"Bearer {token}", received["headers"]!["authorization"]!.GetValue<string>());
        Assert.Equal(marker, received["body"]!["message"]!.GetValue<string>());
        var output = run["variables"]!["outputs"]!["send_webhook"]!["response"]!;
        Assert.Equal(200, output["status"]!.GetValue<int>());
        Assert.Equal("/echo/webhook", output["data"]!["path"]!.GetValue<string>());
        // The peer echoed the header back: the stored output shows it masked, and the stored input keeps the template.
        var stored = (await _admin.GetAsync($"/v1/workflows/runs/{run["identifier"]}")).Text;
        Assert.DoesNotContain(token, stored, StringComparison.Ordinal);
        var node = run["nodeRuns"]!.AsArray().Single(n => n!["node"]!["identifier"]!.GetValue<string>() == "send_webhook")!;
        Assert.Equal("Bearer {{ .secrets.MY_API_TOKEN }}", node["input"]!["config"]!["headers"]!["Authorization"]!.GetValue<string>());
        Assert.Equal(marker, node["input"]!["config"]!["body"]!["message"]!.GetValue<string>());
        Assert.DoesNotContain(token, (await _admin.GetAsync($"/api/workflow/{run["identifier"]}")).Text, StringComparison.Ordinal);
        Assert.Empty(fixture.FilesHolding(token));
    }

    [Fact]
    public async Task The_seed_url_example_builds_the_url_from_two_secrets()
    {
        var hook = Value("hook");
        // The peer's address as localhost: written as 127.0.0.1 in other tests' URLs, this value would be refused there as a secret's.
        await PutSecretAsync("MY_DOMAIN", fixture.Peer.BaseUrl.Replace("http://127.0.0.1", "localhost", StringComparison.Ordinal) + "/echo");
        await PutSecretAsync("HOOK_ID", hook);
        var identifier = Defs.Unique("seed_url");
        // As written but for the scheme: the local peer speaks plain HTTP.
        var node = JsonNode.Parse("""
            {
              "identifier": "send",
              "config": {
                "type": "WEBHOOK",
                "url": "http://{{ .secrets.MY_DOMAIN }}/hooks/{{ .secrets.HOOK_ID }}",
                "method": "POST"
              }
            }
            """)!.AsObject();
        await NodeServerFixture.SaveAsync(_admin, Workflow(identifier, [Trigger(), node], [Connect("trigger", "send")]));

        var run = await NodeServerFixture.RunAsync(_admin, identifier, new JsonObject { ["message"] = "x" });

        Assert.Equal("SUCCESS", run["result"]!.GetValue<string>());
        Assert.Contains(fixture.Peer.Requests, r => r["path"]!.GetValue<string>() == $"/echo/hooks/{hook}");
        Assert.Empty(fixture.FilesHolding(hook));
    }

    [Fact]
    public async Task Secrets_computed_on_in_jq_make_a_basic_auth_header_and_the_derived_value_is_masked()
    {
        var user = Value("user");
        var password = Value("pass");
        await PutSecretAsync("BASIC_USER", user);
        await PutSecretAsync("BASIC_PASSWORD", password);
        var identifier = Defs.Unique("basic");
        var node = JsonNode.Parse($$$$"""
            {"identifier": "call", "verbose": true, "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/basic",
             "headers": {"Authorization": "Basic {{ .secrets.BASIC_USER + \":\" + .secrets.BASIC_PASSWORD | @base64 }}"},
             "body": {"message": "{{ .outputs.trigger.message }}"}}}
            """)!.AsObject();
        await NodeServerFixture.SaveAsync(_admin, Workflow(identifier, [Trigger(), node], [Connect("trigger", "call")]));
        var marker = Value("basic");

        var run = await NodeServerFixture.RunAsync(_admin, identifier, new JsonObject { ["message"] = marker });

        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        Assert.Equal("SUCCESS", run["result"]!.GetValue<string>());
        Assert.Equal($"Basic {encoded}", fixture.Received(marker)["headers"]!["authorization"]!.GetValue<string>());
        var nodeRun = run["nodeRuns"]!.AsArray().Single(n => n!["node"]!["identifier"]!.GetValue<string>() == "call")!["identifier"]!.GetValue<string>();
        var logs = (await _admin.GetAsync($"/v1/workflows/nodes/runs/{nodeRun}/logs")).Text;
        Assert.Contains(marker, logs, StringComparison.Ordinal); // verbose: the request was logged...
        Assert.DoesNotContain(encoded, logs, StringComparison.Ordinal); // ...with the derived header masked
        Assert.DoesNotContain(encoded, (await _admin.GetAsync($"/v1/workflows/runs/{run["identifier"]}")).Text, StringComparison.Ordinal);
        Assert.Empty(fixture.FilesHolding(encoded));
        Assert.Empty(fixture.FilesHolding(password));
    }

    [Fact]
    public async Task A_missing_secret_fails_the_node_naming_the_secret_and_the_field_and_nothing_is_sent()
    {
        var identifier = Defs.Unique("missing");
        var marker = Value("never");
        var node = JsonNode.Parse($$$$"""
            {"identifier": "call", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/missing",
             "headers": {"Authorization": "Bearer {{ .secrets.NOT_THERE_{{{{marker.Replace('-', '_')}}}} }}"}, "body": {"m": "{{{{marker}}}}"}}}
            """)!.AsObject();
        await NodeServerFixture.SaveAsync(_admin, Workflow(identifier, [Trigger(), node], [Connect("trigger", "call")]));

        var run = await NodeServerFixture.RunAsync(_admin, identifier, new JsonObject { ["message"] = "x" });

        Assert.Equal("FAILED", run["result"]!.GetValue<string>());
        var reason = run["nodeRuns"]!.AsArray().Single(n => n!["node"]!["identifier"]!.GetValue<string>() == "call")!["reason"]!.GetValue<string>();
        Assert.Contains("NOT_THERE_", reason, StringComparison.Ordinal);
        Assert.Contains("'call'", reason, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Peer.Requests, r => r.ToJsonString().Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failing_webhook_with_onFailure_continue_lets_the_run_go_on_with_its_error_message()
    {
        var identifier = Defs.Unique("continue");
        var marker = Value("after");
        var nodes = new JsonArray(
            Trigger(),
            JsonNode.Parse($$$$"""{"identifier": "fails", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/status/503", "onFailure": "continue"}}"""),
            JsonNode.Parse($$$$"""{"identifier": "after", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/after", "body": {"m": "{{{{marker}}}}", "error": "{{ .outputs.fails.error.message }}"}}}"""));
        await NodeServerFixture.SaveAsync(_admin, Workflow(identifier, nodes, [Connect("trigger", "fails"), Connect("fails", "after")]));

        var run = await NodeServerFixture.RunAsync(_admin, identifier, new JsonObject { ["message"] = "x" });

        Assert.Equal("SUCCESS", run["result"]!.GetValue<string>());
        Assert.Contains("503", fixture.Received(marker)["body"]!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        var failed = run["nodeRuns"]!.AsArray().Single(n => n!["node"]!["identifier"]!.GetValue<string>() == "fails")!;
        Assert.Equal("FAILED", failed["result"]!.GetValue<string>());
    }

    [Fact]
    public async Task Variables_replace_a_node_output_and_later_nodes_read_them()
    {
        var identifier = Defs.Unique("variables");
        var marker = Value("vars");
        var nodes = new JsonArray(
            Trigger(),
            JsonNode.Parse($$$$"""
                {"identifier": "first", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/first", "body": {"id": "{{{{marker}}}}"}},
                 "variables": {"request_id": "{{ .result.response.data.body.id }}", "status": "{{ .result.response.status }}"}}
                """),
            JsonNode.Parse($$$$"""{"identifier": "second", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/second", "body": {"requestId": "{{ .outputs.first.request_id }}", "n": "{{ .outputs.first.status }}"}}}"""));
        await NodeServerFixture.SaveAsync(_admin, Workflow(identifier, nodes, [Connect("trigger", "first"), Connect("first", "second")]));

        var run = await NodeServerFixture.RunAsync(_admin, identifier, new JsonObject { ["message"] = "x" });

        Assert.Equal("SUCCESS", run["result"]!.GetValue<string>());
        Assert.Equal($$$$"""{"request_id":"{{{{marker}}}}","status":200}""", run["variables"]!["outputs"]!["first"]!.ToJsonString());
        var second = fixture.Peer.Requests.Last(r => r["path"]!.GetValue<string>() == "/echo/second" && r["body"]!["requestId"]?.GetValue<string>() == marker);
        Assert.Equal(200, second["body"]!["n"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_run_checks_its_form_and_names_every_bad_input()
    {
        var identifier = Defs.Unique("form");
        await NodeServerFixture.SaveAsync(_admin, Workflow(identifier,
            [Trigger(), JsonNode.Parse($$$$"""{"identifier": "call", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/form"}}""")],
            [Connect("trigger", "call")]));

        var reply = await _admin.PostAsync($"/v1/workflows/{identifier}/runs", new JsonObject { ["inputs"] = new JsonObject { ["tier"] = "bronze", ["extra"] = 1 } });

        reply.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("$.inputs.message", reply.Text, StringComparison.Ordinal);
        Assert.Contains("$.inputs.tier", reply.Text, StringComparison.Ordinal);
        Assert.Contains("$.inputs.extra", reply.Text, StringComparison.Ordinal);

        // Conductor's start API is another way in: it checks the same form, at the input's own paths.
        var conductor = await _admin.PostAsync($"/api/workflow/{identifier}", new JsonObject { ["trigger"] = "trigger", ["data"] = new JsonObject { ["tier"] = "bronze", ["extra"] = 1 } });
        conductor.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("$.input.data.message", conductor.Text, StringComparison.Ordinal);
        Assert.Contains("$.input.data.tier", conductor.Text, StringComparison.Ordinal);
        Assert.Contains("$.input.data.extra", conductor.Text, StringComparison.Ordinal);
        var untriggered = await _admin.PostAsync($"/api/workflow/{identifier}", new JsonObject { ["message"] = "no trigger" });
        untriggered.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("$.input.trigger", untriggered.Text, StringComparison.Ordinal);
        Assert.Contains("$.input.message", untriggered.Text, StringComparison.Ordinal);

        var started = await _admin.PostAsync($"/api/workflow/{identifier}", new JsonObject { ["trigger"] = "trigger", ["data"] = new JsonObject { ["message"] = "via conductor" } });
        started.ShouldBe(HttpStatusCode.OK);
        var run = await WaitForRunAsync(started.Text.Trim('"'));
        Assert.Equal("""{"message":"via conductor","tier":"silver"}""", run["variables"]!["outputs"]!["trigger"]!.ToJsonString());
    }

    [Fact]
    public async Task An_asynchronous_webhook_waits_for_its_callback_and_cancel_ends_a_run_that_waits()
    {
        var identifier = Defs.Unique("callback");
        var nodes = new JsonArray(
            Trigger(),
            JsonNode.Parse($$$$"""{"identifier": "ask", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/ask", "synchronized": false, "body": {"nodeRun": "{{ .workflowNodeRun.identifier }}", "run": "{{ .workflowRun.identifier }}"}}}"""),
            JsonNode.Parse($$$$"""{"identifier": "done", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/done", "body": {"answer": "{{ .outputs.ask.answer }}"}}}"""));
        await NodeServerFixture.SaveAsync(_admin, Workflow(identifier, nodes, [Connect("trigger", "ask"), Connect("ask", "done")]));

        var started = (await _admin.PostAsync($"/v1/workflows/{identifier}/runs", new JsonObject { ["inputs"] = new JsonObject { ["message"] = "x" } })).Object["run"]!;
        var runId = started["identifier"]!.GetValue<string>();
        var asked = await WaitForPeerAsync(r => r["path"]!.GetValue<string>() == "/echo/ask" && r["body"]!["run"]!.GetValue<string>() == runId);
        var nodeRun = asked["body"]!["nodeRun"]!.GetValue<string>();
        Assert.Equal("IN_PROGRESS", (await _admin.GetAsync($"/v1/workflows/runs/{runId}")).Object["run"]!["status"]!.GetValue<string>());

        var answer = Value("answer");
        (await _admin.SendAsync(HttpMethod.Patch, $"/v1/workflows/nodes/runs/{nodeRun}", new JsonObject
        {
            ["status"] = "COMPLETED",
            ["result"] = "SUCCESS",
            ["output"] = new JsonObject { ["answer"] = answer },
        })).ShouldBe(HttpStatusCode.OK);
        var ended = await WaitForRunAsync(runId);
        Assert.Equal("SUCCESS", ended["result"]!.GetValue<string>());
        Assert.Contains(fixture.Peer.Requests, r => r["body"]?["answer"]?.GetValue<string>() == answer);
        (await _admin.SendAsync(HttpMethod.Patch, $"/v1/workflows/nodes/runs/{nodeRun}", new JsonObject { ["status"] = "COMPLETED", ["result"] = "FAILED" })).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("SUCCESS", (await _admin.GetAsync($"/v1/workflows/runs/{runId}")).Object["run"]!["result"]!.GetValue<string>());

        // A second run whose callback never comes: cancel ends it, CANCELLED.
        var waiting = (await _admin.PostAsync($"/v1/workflows/{identifier}/runs", new JsonObject { ["inputs"] = new JsonObject { ["message"] = "y" } })).Object["run"]!["identifier"]!.GetValue<string>();
        await WaitForPeerAsync(r => r["path"]!.GetValue<string>() == "/echo/ask" && r["body"]!["run"]!.GetValue<string>() == waiting);
        var cancelled = (await _admin.PostAsync($"/v1/workflows/runs/{waiting}/cancel")).Object["run"]!;
        Assert.Equal("COMPLETED", cancelled["status"]!.GetValue<string>());
        Assert.Equal("CANCELLED", cancelled["result"]!.GetValue<string>());
        (await _admin.PostAsync($"/v1/workflows/runs/{waiting}/cancel")).ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task A_cancel_while_a_webhook_is_in_flight_waits_for_it_and_schedules_nothing_after()
    {
        var identifier = Defs.Unique("cancelling");
        var marker = Value("never-after");
        var nodes = new JsonArray(
            Trigger(),
            JsonNode.Parse($$$$"""{"identifier": "slow", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/delay/1500", "body": {"run": "{{ .workflowRun.identifier }}"}}}"""),
            JsonNode.Parse($$$$"""{"identifier": "after", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/after", "body": {"m": "{{{{marker}}}}"}}}"""));
        await NodeServerFixture.SaveAsync(_admin, Workflow(identifier, nodes, [Connect("trigger", "slow"), Connect("slow", "after")]));
        var runId = (await _admin.PostAsync($"/v1/workflows/{identifier}/runs", new JsonObject { ["inputs"] = new JsonObject { ["message"] = "x" } })).Object["run"]!["identifier"]!.GetValue<string>();
        await WaitForPeerAsync(r => r["path"]!.GetValue<string>() == "/delay/1500" && r["body"]?["run"]?.GetValue<string>() == runId);

        var cancelling = (await _admin.PostAsync($"/v1/workflows/runs/{runId}/cancel")).Object["run"]!;

        Assert.Equal("CANCELLING", cancelling["status"]!.GetValue<string>());
        var ended = await WaitForRunAsync(runId);
        Assert.Equal("CANCELLED", ended["result"]!.GetValue<string>());
        Assert.Equal("SUCCESS", ended["nodeRuns"]!.AsArray().Single(n => n!["node"]!["identifier"]!.GetValue<string>() == "slow")!["result"]!.GetValue<string>());
        Assert.DoesNotContain(ended["nodeRuns"]!.AsArray(), n => n!["node"]!["identifier"]!.GetValue<string>() == "after");
        Assert.DoesNotContain(fixture.Peer.Requests, r => r.ToJsonString().Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_peer_that_does_not_answer_in_time_fails_the_node_or_with_onTimeout_continue_gives_timeout_true()
    {
        // The peer holds each request 20 s, far beyond the 1 s timeout: a loaded machine that stalls the timers for a
        // second or two must not let the answer in first (CI once saw it with a 3 s hold). The client's cancel ends the hold.
        var identifier = Defs.Unique("timeouts");
        var nodes = new JsonArray(
            Trigger(),
            JsonNode.Parse($$$$"""{"identifier": "lenient", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/delay/20000", "timeoutSeconds": 1, "onTimeout": "continue"}}"""),
            JsonNode.Parse($$$$"""{"identifier": "strict", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/delay/20000", "timeoutSeconds": 1}}"""));
        await NodeServerFixture.SaveAsync(_admin, Workflow(identifier, nodes, [Connect("trigger", "lenient"), Connect("lenient", "strict")]));

        var started = await NodeServerFixture.RunAsync(_admin, identifier, new JsonObject { ["message"] = "x" });
        var run = await WaitForRunAsync(started["identifier"]!.GetValue<string>());

        Assert.Equal("FAILED", run["result"]!.GetValue<string>());
        Assert.True(run["variables"]!["outputs"]!["lenient"]!["timeout"]!.GetValue<bool>());
        var strict = run["nodeRuns"]!.AsArray().Single(n => n!["node"]!["identifier"]!.GetValue<string>() == "strict")!;
        Assert.Contains("WEBHOOK node 'strict': no response from", strict["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_schedule_trigger_is_a_schedule_of_the_owner_paused_while_unpublished_and_gone_with_the_workflow()
    {
        var identifier = Defs.Unique("nightly");
        var workflow = Workflow(identifier,
            [JsonNode.Parse("""{"identifier": "nightly", "config": {"type": "SCHEDULE_TRIGGER", "cron": "0 2 * * *", "published": false}}"""),
             JsonNode.Parse($$$$"""{"identifier": "call", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/nightly"}}""")],
            [Connect("nightly", "call")]);
        await NodeServerFixture.SaveAsync(_admin, workflow);

        var schedules = (await _admin.GetAsync($"/api/scheduler/schedules?workflowName={identifier}")).Array;
        var schedule = Assert.Single(schedules);
        Assert.Equal("0 2 * * *", schedule!["cronExpression"]!.GetValue<string>());
        Assert.True(schedule["paused"]!.GetValue<bool>());
        Assert.Equal("nightly", schedule["startWorkflowRequest"]!["input"]!["trigger"]!.GetValue<string>());

        workflow["nodes"]![0]!["config"]!["published"] = true;
        (await _admin.PutAsync($"/v1/workflows/{identifier}", workflow)).ShouldBe(HttpStatusCode.OK);
        Assert.False(Assert.Single((await _admin.GetAsync($"/api/scheduler/schedules?workflowName={identifier}")).Array)!["paused"]!.GetValue<bool>());

        (await _admin.DeleteAsync($"/v1/workflows/{identifier}")).ShouldBe(HttpStatusCode.OK);
        Assert.Empty((await _admin.GetAsync($"/api/scheduler/schedules?workflowName={identifier}")).Array);
    }

    [Fact]
    public async Task Links_render_with_the_result_when_a_node_completes_and_a_callback_adds_its_own()
    {
        var identifier = Defs.Unique("links");
        // Three link templates: a URL from the result, one that renders to no URL, one whose jq fails. Only the first stays.
        var nodes = new JsonArray(
            Trigger(),
            JsonNode.Parse($$$$"""
                {"identifier": "call", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/linked", "body": {"id": "{{ .outputs.trigger.message }}"}},
                 "links": ["https://ci.example.com/runs/{{ .result.response.data.body.id }}?node={{ .workflowNodeRun.identifier }}", "{{ .result.response.status }}", "{{ .result.nothing | error(\"no link here\") }}"]}
                """),
            JsonNode.Parse($$$$"""
                {"identifier": "ask", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/ask-linked", "synchronized": false, "body": {"nodeRun": "{{ .workflowNodeRun.identifier }}", "run": "{{ .workflowRun.identifier }}"}},
                 "links": ["https://builds.example.com/{{ .result.build }}"]}
                """));
        await NodeServerFixture.SaveAsync(_admin, Workflow(identifier, nodes, [Connect("trigger", "call"), Connect("call", "ask")]));
        var runId = (await _admin.PostAsync($"/v1/workflows/{identifier}/runs", new JsonObject { ["inputs"] = new JsonObject { ["message"] = "r42" } })).Object["run"]!["identifier"]!.GetValue<string>();
        var asked = await WaitForPeerAsync(r => r["path"]!.GetValue<string>() == "/echo/ask-linked" && r["body"]!["run"]!.GetValue<string>() == runId);
        var askRun = asked["body"]!["nodeRun"]!.GetValue<string>();

        // A callback's links are checked, every problem named at its path, and nothing changes.
        var bad = await _admin.SendAsync(HttpMethod.Patch, $"/v1/workflows/nodes/runs/{askRun}", new JsonObject
        {
            ["status"] = "COMPLETED",
            ["result"] = "SUCCESS",
            ["links"] = new JsonArray("javascript:alert(1)", "https://ok.example.com/x", 7),
        });
        bad.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("$.links[0]", bad.Text, StringComparison.Ordinal);
        Assert.Contains("$.links[2]", bad.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("$.links[1]", bad.Text, StringComparison.Ordinal);

        (await _admin.SendAsync(HttpMethod.Patch, $"/v1/workflows/nodes/runs/{askRun}", new JsonObject
        {
            ["status"] = "COMPLETED",
            ["result"] = "SUCCESS",
            ["output"] = new JsonObject { ["build"] = "b-9" },
            ["links"] = new JsonArray("https://agent.example.com/jobs/1"),
            ["externalRunId"] = "job-1",
        })).ShouldBe(HttpStatusCode.OK);
        var run = await WaitForRunAsync(runId);

        Assert.Equal("SUCCESS", run["result"]!.GetValue<string>());
        var call = run["nodeRuns"]!.AsArray().Single(n => n!["node"]!["identifier"]!.GetValue<string>() == "call")!;
        Assert.Equal($"[\"https://ci.example.com/runs/r42?node={call["identifier"]!.GetValue<string>()}\"]", call["links"]!.ToJsonString());
        var logs = (await _admin.GetAsync($"/v1/workflows/nodes/runs/{call["identifier"]!.GetValue<string>()}/logs")).Object["logs"]!.AsArray();
        Assert.Contains(logs, l => l!["level"]!.GetValue<string>() == "WARN" && l["message"]!.GetValue<string>().StartsWith("link $.links[1] dropped", StringComparison.Ordinal));
        Assert.Contains(logs, l => l!["message"]!.GetValue<string>().StartsWith("link $.links[2] dropped", StringComparison.Ordinal) && l["message"]!.GetValue<string>().Contains("no link here", StringComparison.Ordinal));
        var ask = run["nodeRuns"]!.AsArray().Single(n => n!["node"]!["identifier"]!.GetValue<string>() == "ask")!;
        Assert.Equal("""["https://builds.example.com/b-9","https://agent.example.com/jobs/1"]""", ask["links"]!.ToJsonString());
        Assert.Equal("job-1", ask["externalRunId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_link_built_from_a_peer_that_echoes_a_secret_is_stored_and_shown_masked()
    {
        var token = Value("link-token");
        await PutSecretAsync("LINK_TOKEN", token);
        var identifier = Defs.Unique("link_leak");
        // Links may not read secrets, but .result may hold one: this peer echoes the Authorization header back.
        var node = JsonNode.Parse($$$$"""
            {"identifier": "call", "config": {"type": "WEBHOOK", "url": "{{{{fixture.Peer.BaseUrl}}}}/echo/link-leak", "headers": {"Authorization": "{{ .secrets.LINK_TOKEN }}"}},
             "links": ["https://audit.example.com/{{ .result.response.data.headers.authorization }}"]}
            """)!.AsObject();
        await NodeServerFixture.SaveAsync(_admin, Workflow(identifier, [Trigger(), node], [Connect("trigger", "call")]));

        var run = await NodeServerFixture.RunAsync(_admin, identifier, new JsonObject { ["message"] = "x" });

        Assert.Equal("SUCCESS", run["result"]!.GetValue<string>());
        var call = run["nodeRuns"]!.AsArray().Single(n => n!["node"]!["identifier"]!.GetValue<string>() == "call")!;
        Assert.StartsWith("https://audit.example.com/", Assert.Single(call["links"]!.AsArray())!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(token, call["links"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(token, (await _admin.GetAsync($"/v1/workflows/runs/{run["identifier"]}")).Text, StringComparison.Ordinal);
        Assert.DoesNotContain(token, (await _admin.GetAsync($"/api/workflow/{run["identifier"]}")).Text, StringComparison.Ordinal);
        Assert.Empty(fixture.FilesHolding(token));
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

    private async Task<JsonObject> WaitForRunAsync(string runId)
    {
        for (var i = 0; i < 300; i++)
        {
            var run = (await _admin.GetAsync($"/v1/workflows/runs/{runId}")).Object["run"]!.AsObject();
            if (run["status"]!.GetValue<string>() == "COMPLETED") return run;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"run {runId} never completed");
    }
}
