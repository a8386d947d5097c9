using System.Text.Json.Nodes;
using Baton.Engine.Tasks.Nodes;
using Baton.Engine.Tasks.Nodes.Model;

namespace Baton.Engine.Tests.Decider;

/// <summary>Port's rules for a node workflow, each problem with its JSON path, and the compiled form the engine runs.</summary>
public sealed class NodeWorkflowValidationTests
{
    private static JsonObject Doc(string nodes, string connections) =>
        JsonNode.Parse($$"""{"identifier": "wf", "nodes": [{{nodes}}], "connections": [{{connections}}]}""")!.AsObject();

    private const string Trigger = """{"identifier": "t", "config": {"type": "SELF_SERVE_TRIGGER"}}""";

    private static string Webhook(string id) => "{\"identifier\": \"" + id + "\", \"config\": {\"type\": \"WEBHOOK\", \"url\": \"http://peer/" + id + "\"}}";

    private static string Edge(string from, string to, string extra = "") => $$"""{"sourceIdentifier": "{{from}}", "targetIdentifier": "{{to}}"{{extra}}}""";

    private static List<string> Paths(JsonObject doc) => [.. NodeWorkflows.Validate(doc).Select(p => p.Path)];

    [Fact]
    public void A_valid_workflow_has_no_problems() =>
        Assert.Empty(Paths(Doc($"{Trigger}, {Webhook("a")}, {Webhook("b")}", $"{Edge("t", "a")}, {Edge("a", "b")}")));

    [Fact]
    public void Every_graph_problem_is_reported_with_its_path()
    {
        var paths = Paths(Doc($"{Trigger}, {Webhook("a")}, {Webhook("b")}, {Webhook("a")}",
            $"{Edge("t", "ghost")}, {Edge("a", "a")}, {Edge("a", "t")}, {Edge("b", "a")}, {Edge("b", "t", ", \"sourceOutletIdentifier\": \"x\"")}"));

        Assert.Contains("$.nodes[3].identifier", paths);           // used twice
        Assert.Contains("$.connections[0].targetIdentifier", paths); // no such node
        Assert.Contains("$.connections[1].targetIdentifier", paths); // itself
        Assert.Contains("$.connections[2].targetIdentifier", paths); // a trigger as target
        Assert.Contains("$.connections[2].sourceIdentifier", paths); // a second outgoing connection of a
        Assert.Contains("$.connections[4].sourceOutletIdentifier", paths); // an outlet on a WEBHOOK
    }

    [Fact]
    public void A_cycle_a_missing_trigger_and_ports_other_node_types_are_refused()
    {
        Assert.Contains("$.connections", Paths(Doc($"{Trigger}, {Webhook("a")}, {Webhook("b")}", $"{Edge("t", "a")}, {Edge("a", "b")}, {Edge("b", "a")}")));
        Assert.Contains("$.nodes", Paths(Doc(Webhook("a"), "")));
        var upsert = NodeWorkflows.Validate(Doc($"{Trigger}, {{\"identifier\": \"u\", \"config\": {{\"type\": \"UPSERT_ENTITY\"}}}}", ""));
        Assert.Contains(upsert, p => p.Path == "$.nodes[1].config.type" && p.Message.Contains("not supported by Baton", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"identifier": "w", "config": {"type": "WEBHOOK"}}""", "$.nodes[1].config.url")]
    [InlineData("""{"identifier": "w", "config": {"type": "WEBHOOK", "url": "x", "method": "FETCH"}}""", "$.nodes[1].config.method")]
    [InlineData("""{"identifier": "w", "config": {"type": "WEBHOOK", "url": "x", "onFailure": "ignore"}}""", "$.nodes[1].config.onFailure")]
    [InlineData("""{"identifier": "w", "config": {"type": "WEBHOOK", "url": "x", "timeoutSeconds": 0}}""", "$.nodes[1].config.timeoutSeconds")]
    [InlineData("""{"identifier": "w", "config": {"type": "WEBHOOK", "url": "x", "headers": {"A": "{{ .secrets | keys }}"}}}""", "$.nodes[1].config.headers.A")]
    [InlineData("""{"identifier": "w", "config": {"type": "WEBHOOK", "url": "{{ .a + }}"}}""", "$.nodes[1].config.url")]
    [InlineData("""{"identifier": "w", "config": {"type": "WEBHOOK", "url": "x"}, "variables": {"v": "{{ .secrets.A }}"}}""", "$.nodes[1].variables.v")]
    [InlineData("""{"identifier": "w", "config": {"type": "WEBHOOK", "url": "x"}, "links": ["a", "b", "c", "d"]}""", "$.nodes[1].links")]
    [InlineData("""{"identifier": "k", "config": {"type": "KAFKA"}}""", "$.nodes[1].config.payload")]
    [InlineData("""{"identifier": "c", "config": {"type": "CONDITION", "outlets": [{"identifier": "x", "expression": ".a +"}]}}""", "$.nodes[1].config.outlets[0].expression")]
    [InlineData("""{"identifier": "s", "config": {"type": "SCHEDULE_TRIGGER", "cron": "* * * * *"}}""", "$.nodes[1].config.cron")]
    [InlineData("""{"identifier": "s", "config": {"type": "SCHEDULE_TRIGGER", "cron": "0 0 * * * *"}}""", "$.nodes[1].config.cron")]
    [InlineData("""{"identifier": "e", "config": {"type": "EVENT_TRIGGER", "event": {"type": "ENTITY_CREATED"}}}""", "$.nodes[1].config.event.type")]
    [InlineData("""{"identifier": "bad id!", "config": {"type": "CONDITION", "outlets": []}}""", "$.nodes[1].identifier")]
    public void Node_configs_are_checked_where_they_are_written(string node, string path) =>
        Assert.Contains(path, Paths(Doc($"{Trigger}, {node}", "")));

    [Fact]
    public void A_schedule_every_five_minutes_or_slower_is_allowed()
    {
        Assert.Null(NodeWorkflows.CronProblem("*/5 * * * *"));
        Assert.Null(NodeWorkflows.CronProblem("@hourly"));
        Assert.NotNull(NodeWorkflows.CronProblem("*/4 * * * *"));
    }

    [Fact]
    public void The_compiled_form_puts_triggers_first_and_wires_connections_and_outlets()
    {
        var doc = Doc(Webhook("b") + ", " + """{"identifier": "c", "config": {"type": "CONDITION", "outlets": [{"identifier": "yes", "expression": "true"}]}}""" + ", " + Trigger + ", " + Webhook("a"), $"{Edge("t", "c")}, {Edge("c", "a", ", \"sourceOutletIdentifier\": \"yes\"")}, {Edge("c", "b", ", \"fallback\": true")}");
        Assert.Empty(NodeWorkflows.Validate(doc));

        var def = NodeWorkflows.Compile(doc, 3);

        Assert.Equal(["t", "c", "b", "a"], def.Tasks.Select(t => t.TaskReferenceName));
        Assert.Equal(3, def.Version);
        Assert.True(NodeWiring.IsNodeWorkflow(def));
        var condition = def.Tasks.Single(t => t.TaskReferenceName == "c");
        Assert.Equal(NodeTypes.Condition, condition.Type);
        Assert.Equal("a", NodeWiring.OutletTarget(condition, "yes"));
        Assert.Equal("b", NodeWiring.Fallback(condition));
        Assert.Equal("c", NodeWiring.Next(def.Tasks[0]));
        Assert.Equal("wf", NodeWorkflows.View(def)["identifier"]!.GetValue<string>());
    }
}
