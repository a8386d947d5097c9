using System.Text.Json.Nodes;
using Baton.Core.Runs;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tests.Decider;

/// <summary>Node workflows in their compiled form (docs/architecture.md, "Node workflows"): what follows a node is its connection's target.</summary>
public sealed class NodeOutcomeTests : IDisposable
{
    private readonly DeciderHarness _harness = new();

    // Two triggers; a CONDITION with two outlets and a fallback; the branches end in CONDITIONs with no outlet.
    private const string Tiers = """
        {"name": "tiers", "version": 3, "nodeWorkflow": {"identifier": "tiers"}, "tasks": [
          {"name": "form", "taskReferenceName": "form", "type": "NODE_TRIGGER", "next": "route",
           "node": {"identifier": "form", "config": {"type": "SELF_SERVE_TRIGGER"}}},
          {"name": "nightly", "taskReferenceName": "nightly", "type": "NODE_TRIGGER", "next": "route",
           "node": {"identifier": "nightly", "config": {"type": "SCHEDULE_TRIGGER", "cron": "0 2 * * *"}}},
          {"name": "route", "taskReferenceName": "route", "type": "NODE_CONDITION",
           "outlets": {"gold": "gold_path", "silver": "silver_path"}, "fallback": "other_path",
           "node": {"identifier": "route", "config": {"type": "CONDITION", "outlets": [
             {"identifier": "gold", "expression": ".outputs.form.tier == \"gold\""},
             {"identifier": "silver", "expression": "(.outputs[\"form\"].tier // \"\") | test(\"^sil\")"}]}}},
          {"name": "gold_path", "taskReferenceName": "gold_path", "type": "NODE_CONDITION",
           "node": {"identifier": "gold_path", "config": {"type": "CONDITION", "outlets": []}}},
          {"name": "silver_path", "taskReferenceName": "silver_path", "type": "NODE_CONDITION",
           "node": {"identifier": "silver_path", "config": {"type": "CONDITION", "outlets": []}}},
          {"name": "other_path", "taskReferenceName": "other_path", "type": "NODE_CONDITION",
           "node": {"identifier": "other_path", "config": {"type": "CONDITION", "outlets": []}}}]}
        """;

    private static JsonObject Fired(string trigger, JsonObject data) => new() { ["trigger"] = trigger, ["data"] = data };

    [Theory]
    [InlineData("gold", "gold_path")]
    [InlineData("silver", "silver_path")]
    [InlineData("bronze", "other_path")]
    public void A_condition_follows_its_first_true_outlet_else_its_fallback(string tier, string expected)
    {
        var (run, outcome) = _harness.Start(_harness.Definition(Tiers), now: 1_000, Fired("form", new JsonObject { ["tier"] = tier }));

        // The trigger is no entry of the run: its data is the run's input, and .outputs.form to the nodes after it.
        Assert.Equal(["route", expected], outcome.Scheduled.Select(t => t.ReferenceTaskName));
        Assert.Null(run.LatestTask("form"));
        Assert.Equal(tier, Baton.Engine.Tasks.Nodes.NodeContext.For(run, null)["outputs"]!["form"]!["tier"]!.GetValue<string>());
        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
    }

    [Fact]
    public void The_run_starts_at_the_trigger_that_fired_not_at_the_first_node()
    {
        var (run, outcome) = _harness.Start(_harness.Definition(Tiers), now: 1_000, Fired("nightly", new JsonObject { ["scheduledTime"] = "2026-12-05T02:00:00Z" }));

        Assert.Equal(["route", "other_path"], outcome.Scheduled.Select(t => t.ReferenceTaskName));
        Assert.Null(run.LatestTask("form"));
        var route = run.LatestTask("route")!;
        Assert.Null(route.OutputData["selectedOutlet"]);
        Assert.True(route.OutputData["fallback"]!.GetValue<bool>());
    }

    [Fact]
    public void An_expression_that_fails_fails_the_node_naming_the_outlet_and_the_expression()
    {
        var def = _harness.Definition(Tiers.Replace(".outputs.form.tier == \\\"gold\\\"", ".outputs.form.tier + 1", StringComparison.Ordinal));
        var (run, outcome) = _harness.Start(def, now: 1_000, Fired("form", new JsonObject { ["tier"] = "gold" }));

        var route = run.LatestTask("route")!;
        Assert.Equal(TaskStatus.Failed, route.Status);
        Assert.Contains("outlet 'gold'", route.ReasonForIncompletion, StringComparison.Ordinal);
        Assert.Contains(".outputs.form.tier + 1", route.ReasonForIncompletion, StringComparison.Ordinal);
        Assert.Equal(WorkflowStatus.Failed, outcome.Status);
    }

    [Fact]
    public void Without_a_matching_outlet_or_a_fallback_the_branch_ends_and_the_run_completes()
    {
        var def = _harness.Definition(Tiers.Replace(", \"fallback\": \"other_path\"", "", StringComparison.Ordinal));
        var (run, outcome) = _harness.Start(def, now: 1_000, Fired("form", new JsonObject { ["tier"] = "bronze" }));

        Assert.Equal(["route"], outcome.Scheduled.Select(t => t.ReferenceTaskName));
        Assert.False(run.LatestTask("route")!.OutputData["fallback"]!.GetValue<bool>());
        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
    }

    [Fact]
    public void A_trigger_that_connects_to_nothing_is_the_runs_one_entry_and_completes_it()
    {
        var def = _harness.Definition("""
            {"name": "alone", "version": 1, "nodeWorkflow": {"identifier": "alone"}, "tasks": [
              {"name": "t", "taskReferenceName": "t", "type": "NODE_TRIGGER", "node": {"identifier": "t", "config": {"type": "SELF_SERVE_TRIGGER"}}}]}
            """);
        var (run, outcome) = _harness.Start(def, now: 1_000, Fired("t", new JsonObject { ["a"] = 1 }));

        Assert.Equal(["t"], outcome.Scheduled.Select(t => t.ReferenceTaskName));
        Assert.Equal(1, run.LatestTask("t")!.OutputData["a"]!.GetValue<int>());
        Assert.Equal(WorkflowStatus.Completed, outcome.Status);
    }

    public void Dispose() => _harness.Dispose();
}
