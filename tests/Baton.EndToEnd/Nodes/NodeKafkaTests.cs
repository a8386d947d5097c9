using System.Net;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;

namespace Baton.EndToEnd.Nodes;

/// <summary>KAFKA nodes against the real Kafka wire protocol: the seed's example as written, and what a failure does.</summary>
[Collection(NodeServer.Name)]
public sealed class NodeKafkaTests(NodeServerFixture fixture)
{
    private readonly BatonClient _admin = fixture.Admin;

    [Fact]
    public async Task The_seed_kafka_example_publishes_the_token_with_the_webhook_output_and_nothing_stored_holds_it()
    {
        var token = $"service-token-{Guid.NewGuid():N}";
        (await _admin.SendRawAsync(HttpMethod.Put, "/api/secrets/SERVICE_TOKEN", token, "text/plain")).ShouldBe(HttpStatusCode.OK);
        var identifier = Defs.Unique("seed_kafka");
        var topic = "baton.runs." + identifier;
        var requestId = $"req-{Guid.NewGuid():N}";
        // The seed's KAFKA node as written (its config), after a webhook whose variables name its request_id, on a topic of the test's own.
        var kafka = JsonNode.Parse("""
            {
              "identifier": "publish",
              "config": {
                "type": "KAFKA",
                "payload": {
                  "token": "{{ .secrets.SERVICE_TOKEN }}",
                  "requestId": "{{ .outputs.send_webhook.request_id }}"
                }
              }
            }
            """)!.AsObject();
        ((JsonObject)kafka["config"]!)["topic"] = topic;
        var workflow = new JsonObject
        {
            ["identifier"] = identifier,
            ["nodes"] = new JsonArray(
                JsonNode.Parse("""{"identifier": "trigger", "config": {"type": "SELF_SERVE_TRIGGER", "userInputs": {"properties": {"id": {"type": "string"}}}}}"""),
                JsonNode.Parse("""
                    {"identifier": "send_webhook", "config": {"type": "WEBHOOK", "url": "PEER/echo/kafka", "body": {"id": "{{ .outputs.trigger.id }}"}},
                     "variables": {"request_id": "{{ .result.response.data.body.id }}"}}
                    """.Replace("PEER", fixture.Peer.BaseUrl, StringComparison.Ordinal)),
                kafka),
            ["connections"] = new JsonArray(
                new JsonObject { ["sourceIdentifier"] = "trigger", ["targetIdentifier"] = "send_webhook" },
                new JsonObject { ["sourceIdentifier"] = "send_webhook", ["targetIdentifier"] = "publish" }),
        };
        await NodeServerFixture.SaveAsync(_admin, workflow);

        var run = await NodeServerFixture.RunAsync(_admin, identifier, new JsonObject { ["id"] = requestId });

        Assert.Equal("SUCCESS", run["result"]!.GetValue<string>());
        var delivery = run["variables"]!["outputs"]!["publish"]!["delivery"]!;
        Assert.Equal(topic, delivery["topic"]!.GetValue<string>());
        var messages = fixture.Kafka.Consume(topic, m => m.Count > 0);
        var (key, value, headers) = Assert.Single(messages);
        var envelope = JsonNode.Parse(value)!;
        Assert.Equal(token, envelope["payload"]!["token"]!.GetValue<string>());
        Assert.Equal(requestId, envelope["payload"]!["requestId"]!.GetValue<string>());
        Assert.Equal(run["identifier"]!.GetValue<string>(), key);
        Assert.Equal(run["identifier"]!.GetValue<string>(), envelope["context"]!["workflowRunIdentifier"]!.GetValue<string>());
        Assert.Equal("publish", envelope["context"]!["nodeIdentifier"]!.GetValue<string>());
        Assert.Equal(envelope["context"]!["nodeRunIdentifier"]!.GetValue<string>(), headers["baton-node-run"]);
        var stored = (await _admin.GetAsync($"/v1/workflows/runs/{run["identifier"]}")).Text;
        Assert.DoesNotContain(token, stored, StringComparison.Ordinal);
        Assert.Contains("{{ .secrets.SERVICE_TOKEN }}", stored, StringComparison.Ordinal);
        Assert.Empty(fixture.FilesHolding(token));
    }

    [Fact]
    public async Task A_broker_that_is_gone_fails_the_node_with_the_brokers_reason_and_the_server_goes_on()
    {
        var broker = MockKafka.Start();
        await using var server = await ServerProcess.StartAsync($"--Baton:Kafka:BootstrapServers={broker.BootstrapServers}", "--Baton:Kafka:MessageTimeoutMs=2000");
        using var admin = new BatonClient(server);
        var identifier = Defs.Unique("broker_gone");
        await NodeServerFixture.SaveAsync(admin, new JsonObject
        {
            ["identifier"] = identifier,
            ["nodes"] = new JsonArray(
                JsonNode.Parse("""{"identifier": "trigger", "config": {"type": "SELF_SERVE_TRIGGER"}}"""),
                JsonNode.Parse("""{"identifier": "publish", "config": {"type": "KAFKA", "payload": {"a": 1}}}""")),
            ["connections"] = new JsonArray(new JsonObject { ["sourceIdentifier"] = "trigger", ["targetIdentifier"] = "publish" }),
        });
        broker.Dispose();

        var run = await NodeServerFixture.RunAsync(admin, identifier);

        Assert.Equal("FAILED", run["result"]!.GetValue<string>());
        var reason = run["nodeRuns"]![1]!["reason"]!.GetValue<string>();
        Assert.Contains("KAFKA node 'publish'", reason, StringComparison.Ordinal);
        Assert.Contains("did not confirm", reason, StringComparison.Ordinal);
        (await admin.GetAsync("/health/ready")).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Without_brokers_a_kafka_node_fails_saying_kafka_is_not_configured()
    {
        await using var server = await ServerProcess.StartAsync();
        using var admin = new BatonClient(server);
        var identifier = Defs.Unique("no_kafka");
        await NodeServerFixture.SaveAsync(admin, new JsonObject
        {
            ["identifier"] = identifier,
            ["nodes"] = new JsonArray(
                JsonNode.Parse("""{"identifier": "trigger", "config": {"type": "SELF_SERVE_TRIGGER"}}"""),
                JsonNode.Parse("""{"identifier": "publish", "config": {"type": "KAFKA", "payload": {"a": 1}, "onFailure": "continue"}}""")),
            ["connections"] = new JsonArray(new JsonObject { ["sourceIdentifier"] = "trigger", ["targetIdentifier"] = "publish" }),
        });

        var run = await NodeServerFixture.RunAsync(admin, identifier);

        Assert.Equal("SUCCESS", run["result"]!.GetValue<string>()); // onFailure: continue
        Assert.Contains("Kafka is not configured", run["variables"]!["outputs"]!["publish"]!["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
