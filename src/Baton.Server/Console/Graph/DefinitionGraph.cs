using System.Text.Json;
using Baton.Core.Definitions;
using Baton.Engine.Tasks.Nodes;

namespace Baton.Server.Console.Graph;

/// <summary>What a box in a definition's graph stands for; the renderer gives each kind its own shape or colour.</summary>
public enum GraphNodeKind
{
    Start,
    End,
    Task,
    Fork,
    Join,
    Switch,
    Loop,
    Dynamic,
    Terminate,
    Trigger,
    Condition,
}

public sealed record GraphNode(string Id, string Label, string Type, GraphNodeKind Kind);

/// <param name="Label">A switch case, a node's outlet, "loop" for a do-while's way back; null for plain sequence.</param>
public sealed record GraphEdge(string From, string To, string? Label = null);

/// <summary>
/// A workflow definition as boxes and arrows, the way the engine runs it (docs/architecture.md, "Task types"): a
/// list's tasks in sequence; a FORK_JOIN to the first task of each branch, each branch's end to the JOIN that follows;
/// a SWITCH (or DECISION) to each case's first task, labelled with the case (and "default"); a DO_WHILE to its loop's
/// first task and from the loop's end back to itself; TERMINATE ends its path. A node workflow is drawn from its nodes
/// and connections as stored (<see cref="NodeWiring"/>): each node's next, each outlet labelled, and the fallback.
/// </summary>
public sealed class DefinitionGraph
{
    /// <summary>More boxes than this are not laid out: the page says so instead (layout grows faster than linearly).</summary>
    public const int MaxNodes = 500;

    public const string StartId = "(start)";
    public const string EndId = "(end)";

    private readonly List<GraphNode> _nodes = [];
    private readonly List<GraphEdge> _edges = [];
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

    private DefinitionGraph()
    {
    }

    public IReadOnlyList<GraphNode> Nodes => _nodes;
    public IReadOnlyList<GraphEdge> Edges => _edges;

    /// <summary>How many boxes a definition's graph would have, counted without building it (start and end included).</summary>
    public static int CountNodes(WorkflowDef def) =>
        NodeWiring.IsNodeWorkflow(def) ? def.Tasks.Count : def.AllTasks().Sum(t => t.Type == TaskTypes.ForkJoinDynamic ? 2 : 1) + 2;

    /// <summary>The graph of <paramref name="def"/>; null when it would have more than <see cref="MaxNodes"/> boxes.</summary>
    public static DefinitionGraph? Of(WorkflowDef def)
    {
        if (CountNodes(def) > MaxNodes) return null;
        var graph = new DefinitionGraph();
        if (NodeWiring.IsNodeWorkflow(def)) graph.AddNodeWorkflow(def);
        else graph.AddConductor(def);
        return graph;
    }

    private void AddConductor(WorkflowDef def)
    {
        Add(new GraphNode(StartId, "start", "", GraphNodeKind.Start));
        var exits = Sequence(def.Tasks, [new Exit(StartId, null)]);
        Add(new GraphNode(EndId, "end", "", GraphNodeKind.End));
        Connect(exits, EndId);
    }

    /// <summary>A path still open: the box it leaves from and the label its next arrow carries.</summary>
    private readonly record struct Exit(string From, string? Label);

    /// <summary>Lays out a list in sequence from <paramref name="entries"/>; answers the exits its last task leaves open.</summary>
    private List<Exit> Sequence(List<WorkflowTask>? tasks, List<Exit> entries)
    {
        var open = entries;
        foreach (var task in tasks ?? [])
        {
            if (task is null) continue;
            open = Task(task, open);
        }
        return open;
    }

    private List<Exit> Task(WorkflowTask task, List<Exit> entries)
    {
        var id = task.TaskReferenceName;
        var type = task.Type;
        var label = string.IsNullOrEmpty(task.Name) || task.Name == id ? id : $"{task.Name} ({id})";
        switch (type)
        {
            case TaskTypes.ForkJoin:
                {
                    id = Add(new GraphNode(id, label, type, GraphNodeKind.Fork));
                    Connect(entries, id);
                    var exits = new List<Exit>();
                    foreach (var branch in task.ForkTasks ?? []) exits.AddRange(Sequence(branch, [new Exit(id, null)]));
                    return exits.Count == 0 ? [new Exit(id, null)] : exits;
                }
            case TaskTypes.ForkJoinDynamic:
                {
                    id = Add(new GraphNode(id, label, type, GraphNodeKind.Fork));
                    Connect(entries, id);
                    var dynamic = Add(new GraphNode(id + " (dynamic)", "tasks named at run time", "", GraphNodeKind.Dynamic));
                    _edges.Add(new GraphEdge(id, dynamic));
                    return [new Exit(dynamic, null)];
                }
            case TaskTypes.Switch or TaskTypes.Decision:
                {
                    id = Add(new GraphNode(id, label, type, GraphNodeKind.Switch));
                    Connect(entries, id);
                    var exits = new List<Exit>();
                    foreach (var (value, branch) in task.DecisionCases ?? [])
                    {
                        exits.AddRange(Sequence(branch, [new Exit(id, value)]));
                    }
                    exits.AddRange(Sequence(task.DefaultCase, [new Exit(id, "default")]));
                    return exits;
                }
            case TaskTypes.DoWhile:
                {
                    id = Add(new GraphNode(id, label, type, GraphNodeKind.Loop));
                    Connect(entries, id);
                    var ends = Sequence(task.LoopOver, [new Exit(id, null)]);
                    foreach (var end in ends)
                    {
                        if (end.From != id) _edges.Add(new GraphEdge(end.From, id, "loop"));
                    }
                    return [new Exit(id, "done")];
                }
            default:
                {
                    var kind = type switch
                    {
                        TaskTypes.Join => GraphNodeKind.Join,
                        TaskTypes.Terminate => GraphNodeKind.Terminate,
                        _ => GraphNodeKind.Task,
                    };
                    id = Add(new GraphNode(id, label, type, kind));
                    Connect(entries, id);
                    return kind == GraphNodeKind.Terminate ? [] : [new Exit(id, null)];
                }
        }
    }

    private void AddNodeWorkflow(WorkflowDef def)
    {
        foreach (var task in def.Tasks)
        {
            var node = NodeWiring.Node(task);
            var title = node["title"]?.GetValueKind() == JsonValueKind.String ? node["title"]!.GetValue<string>() : null;
            var type = NodeWiring.ConfigText(task, "type") ?? task.Type;
            var id = task.TaskReferenceName;
            var kind = task.Type switch
            {
                NodeTypes.Trigger => GraphNodeKind.Trigger,
                NodeTypes.Condition or NodeTypes.Input => GraphNodeKind.Condition,
                _ => GraphNodeKind.Task,
            };
            Add(new GraphNode(id, string.IsNullOrEmpty(title) || title == id ? id : $"{title} ({id})", type, kind));
        }
        foreach (var task in def.Tasks)
        {
            var from = task.TaskReferenceName;
            if (NodeWiring.Next(task) is { } next) AddEdgeTo(from, next, null);
            if (task.Extra is { } extra && extra.TryGetValue("outlets", out var outlets) && outlets.ValueKind == JsonValueKind.Object)
            {
                foreach (var outlet in outlets.EnumerateObject())
                {
                    if (outlet.Value.ValueKind == JsonValueKind.String) AddEdgeTo(from, outlet.Value.GetString()!, outlet.Name);
                }
            }
            if (NodeWiring.Fallback(task) is { } fallback) AddEdgeTo(from, fallback, "fallback");
        }
    }

    /// <summary>An arrow to a box that exists (a stored node workflow was validated whole, but the graph never trusts that).</summary>
    private void AddEdgeTo(string from, string to, string? label)
    {
        if (_ids.Contains(to)) _edges.Add(new GraphEdge(from, to, label));
    }

    private void Connect(List<Exit> exits, string to)
    {
        foreach (var exit in exits) _edges.Add(new GraphEdge(exit.From, to, exit.Label));
    }

    /// <summary>Adds a box; a reference name used twice (refused at save, but never trusted) gets a distinct id.</summary>
    private string Add(GraphNode node)
    {
        var id = node.Id;
        for (var n = 2; !_ids.Add(id); n++) id = $"{node.Id} #{n}";
        _nodes.Add(id == node.Id ? node : node with { Id = id });
        return id;
    }
}
