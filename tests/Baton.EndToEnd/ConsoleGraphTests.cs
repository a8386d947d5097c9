using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Json;
using Baton.Engine.Tasks.Nodes.Model;
using Baton.Server.Console.Graph;

namespace Baton.EndToEnd;

/// <summary>The console's definition graph: boxes and arrows as the engine runs a definition, and its SVG drawing.</summary>
public sealed class ConsoleGraphTests
{
    private static WorkflowDef Def(string json) => BatonJson.Deserialize<WorkflowDef>(json)!;

    private static List<string> Arrows(DefinitionGraph graph) =>
        [.. graph.Edges.Select(e => e.Label is null ? $"{e.From}->{e.To}" : $"{e.From}-[{e.Label}]->{e.To}")];

    [Fact]
    public void A_fork_leads_to_each_branch_and_every_branch_end_to_its_join()
    {
        var graph = DefinitionGraph.Of(Def("""
            {"name": "f", "version": 1, "tasks": [
              {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [
                [{"name": "a", "taskReferenceName": "a", "type": "SIMPLE"}, {"name": "a2", "taskReferenceName": "a2", "type": "SIMPLE"}],
                [{"name": "b", "taskReferenceName": "b", "type": "SIMPLE"}]]},
              {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a2", "b"]},
              {"name": "after", "taskReferenceName": "after", "type": "SIMPLE"}]}
            """))!;

        Assert.Equal(["(start)->fork", "fork->a", "a->a2", "fork->b", "a2->join", "b->join", "join->after", "after->(end)"], Arrows(graph));
        Assert.Equal(GraphNodeKind.Fork, graph.Nodes.Single(n => n.Id == "fork").Kind);
        Assert.Equal(GraphNodeKind.Join, graph.Nodes.Single(n => n.Id == "join").Kind);
    }

    [Fact]
    public void A_switch_labels_each_case_and_the_default_and_a_terminate_ends_its_path()
    {
        var graph = DefinitionGraph.Of(Def("""
            {"name": "s", "version": 1, "tasks": [
              {"name": "route", "taskReferenceName": "route", "type": "SWITCH", "evaluatorType": "value-param", "expression": "kind",
               "decisionCases": {"gold": [{"name": "g", "taskReferenceName": "g", "type": "SIMPLE"}],
                                 "stop": [{"name": "halt", "taskReferenceName": "halt", "type": "TERMINATE"}],
                                 "skip": []},
               "defaultCase": [{"name": "d", "taskReferenceName": "d", "type": "SIMPLE"}]},
              {"name": "last", "taskReferenceName": "last", "type": "SIMPLE"}]}
            """))!;

        Assert.Equal(["(start)->route", "route-[gold]->g", "route-[stop]->halt", "route-[default]->d", "g->last", "route-[skip]->last", "d->last", "last->(end)"], Arrows(graph));
        Assert.DoesNotContain(graph.Edges, e => e.From == "halt");
    }

    [Fact]
    public void A_do_while_enters_its_loop_and_the_loop_end_goes_back_to_it()
    {
        var graph = DefinitionGraph.Of(Def("""
            {"name": "l", "version": 1, "tasks": [
              {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "false", "loopOver": [
                {"name": "one", "taskReferenceName": "one", "type": "SIMPLE"}, {"name": "two", "taskReferenceName": "two", "type": "HTTP"}]},
              {"name": "done", "taskReferenceName": "done", "type": "SIMPLE"}]}
            """))!;

        Assert.Equal(["(start)->loop", "loop->one", "one->two", "two-[loop]->loop", "loop-[done]->done", "done->(end)"], Arrows(graph));
        Assert.Equal(GraphNodeKind.Loop, graph.Nodes.Single(n => n.Id == "loop").Kind);
    }

    [Fact]
    public void A_node_workflow_is_drawn_from_its_nodes_and_connections_with_outlets_and_fallback()
    {
        var doc = JsonNode.Parse("""
            {"identifier": "tiers", "title": "Tiers", "nodes": [
              {"identifier": "form", "config": {"type": "SELF_SERVE_TRIGGER"}},
              {"identifier": "route", "title": "Route by tier", "config": {"type": "CONDITION", "outlets": [
                {"identifier": "gold", "expression": ".outputs.form.tier == \"gold\""}]}},
              {"identifier": "gold_hook", "config": {"type": "WEBHOOK", "url": "https://example.com/gold", "method": "POST"}},
              {"identifier": "other_hook", "config": {"type": "WEBHOOK", "url": "https://example.com/other", "method": "POST"}}],
             "connections": [
              {"sourceIdentifier": "form", "targetIdentifier": "route"},
              {"sourceIdentifier": "route", "sourceOutletIdentifier": "gold", "targetIdentifier": "gold_hook"},
              {"sourceIdentifier": "route", "targetIdentifier": "other_hook", "fallback": true}]}
            """)!.AsObject();
        Assert.Empty(NodeWorkflows.Validate(doc));
        var graph = DefinitionGraph.Of(NodeWorkflows.Compile(doc, 1))!;

        Assert.Equal(["form->route", "route-[gold]->gold_hook", "route-[fallback]->other_hook"], Arrows(graph));
        Assert.Equal(GraphNodeKind.Trigger, graph.Nodes.Single(n => n.Id == "form").Kind);
        var route = graph.Nodes.Single(n => n.Id == "route");
        Assert.Equal((GraphNodeKind.Condition, "CONDITION", "Route by tier (route)"), (route.Kind, route.Type, route.Label));
    }

    [Fact]
    public void The_svg_escapes_every_label_and_is_an_image_with_a_title()
    {
        var graph = DefinitionGraph.Of(Def("""
            {"name": "x", "version": 1, "tasks": [
              {"name": "<script>alert(1)</script>", "taskReferenceName": "a&b\"c", "type": "SIMPLE"},
              {"name": "second", "taskReferenceName": "second", "type": "SIMPLE"}]}
            """))!;
        var svg = SvgGraphRenderer.Render(graph, "Graph of <x>");

        Assert.StartsWith("<svg ", svg, StringComparison.Ordinal);
        Assert.Contains("role=\"img\"", svg, StringComparison.Ordinal);
        Assert.Contains("<title id=\"graph-title\">Graph of &lt;x&gt;</title>", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", svg, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; (a&amp;b&quot;c)", svg, StringComparison.Ordinal);
        Assert.Contains(">second<", svg, StringComparison.Ordinal);
        Assert.Equal(3, svg.Split("<polyline").Length - 1); // start -> a, a -> second, second -> end
    }

    [Fact]
    public void More_boxes_than_the_bound_are_not_laid_out()
    {
        var tasks = new JsonArray();
        for (var i = 0; i < DefinitionGraph.MaxNodes; i++) tasks.Add(new JsonObject { ["name"] = $"t{i}", ["taskReferenceName"] = $"t{i}", ["type"] = "SIMPLE" });
        var big = new JsonObject { ["name"] = "big", ["version"] = 1, ["tasks"] = tasks };
        Assert.Null(DefinitionGraph.Of(Def(big.ToJsonString())));
        tasks.RemoveAt(0);
        tasks.RemoveAt(0);
        Assert.NotNull(DefinitionGraph.Of(Def(big.ToJsonString())));
    }
}
