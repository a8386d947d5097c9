using Baton.Core.Definitions;
using Baton.Engine.Execution;

namespace Baton.Engine.Tests;

public sealed class WorkflowGraphTests
{
    private static WorkflowTask T(string reference, string type = TaskTypes.Simple) => new() { Name = reference, TaskReferenceName = reference, Type = type };

    [Fact]
    public void The_task_after_the_last_of_a_switch_case_is_the_one_after_the_switch()
    {
        var route = T("route", TaskTypes.Switch);
        route.DecisionCases = new() { ["a"] = [T("a1"), T("a2")], ["b"] = [] };
        route.DefaultCase = [T("d1")];
        var graph = new WorkflowGraph(new WorkflowDef { Tasks = [T("first"), route, T("last")] });

        Assert.Equal("route", graph.Following("first")!.TaskReferenceName);
        Assert.Equal("a2", graph.Following("a1")!.TaskReferenceName);
        Assert.Equal("last", graph.Following("a2")!.TaskReferenceName);
        Assert.Equal("last", graph.Following("d1")!.TaskReferenceName);
        Assert.Null(graph.Following("last"));
        Assert.Same(route, graph.Find("route"));
        Assert.Null(graph.Find("ghost"));
    }

    [Fact]
    public void Nested_switches_unwind_to_the_outermost_follower()
    {
        var inner = T("inner", TaskTypes.Switch);
        inner.DecisionCases = new() { ["x"] = [T("deep")] };
        var outer = T("outer", TaskTypes.Switch);
        outer.DecisionCases = new() { ["y"] = [inner] };
        var graph = new WorkflowGraph(new WorkflowDef { Tasks = [outer, T("after")] });
        Assert.Equal("after", graph.Following("deep")!.TaskReferenceName);
    }
}
