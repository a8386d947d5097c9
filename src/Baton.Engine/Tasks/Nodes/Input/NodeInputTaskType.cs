using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Engine.SystemTasks;

namespace Baton.Engine.Tasks.Nodes.Input;

/// <summary>
/// INPUT (an approval): the run waits, durably (the node is IN_PROGRESS and its responses are in its output, so a
/// restart loses nothing), until responders press its buttons through
/// <c>POST /v1/workflows/nodes/runs/{id}/responses</c>. An outlet is chosen once as many responders as its
/// <c>numOfResponders</c> (default 1) pressed its button; the run follows that outlet's connection. Output
/// <c>selectedOutlet.identifier</c> and <c>responses[]</c> (<c>outlet</c>, <c>inputs</c>, <c>submitterInfo.submittedBy</c>).
/// Who may respond: the node's <c>responders</c> (users by id or email, roles, groups) and nobody else; with no
/// responders, whoever may operate the run. Each responder responds once. When the run reaches it, its
/// <c>notifications</c> with <c>target: "webhook"</c> are sent (<c>url</c>, <c>method</c>, <c>headers</c>, <c>body</c>,
/// templates rendered as a WEBHOOK's, secrets through the one hand-off); a notification that fails is logged on the node,
/// which waits all the same.
/// </summary>
public sealed class NodeInputTaskType : NodeTaskType
{
    /// <summary>At most this many responses are kept on one node (each responder responds once).</summary>
    public const int MaxResponses = 1000;

    public override string Name => NodeTypes.Input;

    /// <summary>A system task: it sends its notifications (<see cref="NodeInputTask"/>), then waits.</summary>
    public override TaskKind Kind => TaskKind.System;

    public override JsonObject? InputAtSchedule(WorkflowRun run, WorkflowTask task, string taskId, long now) =>
        DisplayInput(run, task, taskId, now);

    public override IEnumerable<WorkflowTask> Followers(DecisionContext context, WorkflowTask task, TaskRun entry) =>
        entry.OutputData["selectedOutlet"]?["identifier"] is JsonValue chosen && chosen.GetValueKind() == JsonValueKind.String
            ? Target(context, NodeWiring.OutletTarget(task, chosen.GetValue<string>()))
            : [];

    /// <summary>Who may respond, as the node names them: null when it names nobody (then whoever may operate the run).</summary>
    public static (HashSet<string> Users, HashSet<string> Roles, HashSet<string> Groups)? Responders(WorkflowTask node)
    {
        if (NodeWiring.Config(node)["responders"] is not JsonObject responders) return null;
        static HashSet<string> Names(JsonNode? list) => list is JsonArray array
            ? new HashSet<string>(array.OfType<JsonValue>().Where(v => v.GetValueKind() == JsonValueKind.String).Select(v => v.GetValue<string>()), StringComparer.OrdinalIgnoreCase)
            : new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var named = (Names(responders["users"]), Names(responders["roles"]), Names(responders["teams"] ?? responders["groups"]));
        return named.Item1.Count + named.Item2.Count + named.Item3.Count == 0 ? null : named;
    }

    /// <summary>
    /// Records a response; answers the outcome that completes the node once an outlet has its responders, else null.
    /// Throws <see cref="Execution.InvalidRequestException"/> for an unknown outlet and <see cref="Execution.ConflictException"/>
    /// for a second response by the same responder.
    /// </summary>
    public static TaskOutcome? Respond(TaskRun task, string responder, string outlet, JsonObject? inputs, long now)
    {
        var node = task.WorkflowTask!;
        var outlets = NodeWiring.Config(node)["outlets"] as JsonArray ?? [];
        var declared = outlets.OfType<JsonObject>().FirstOrDefault(o => o["identifier"]?.GetValue<string>() == outlet)
            ?? throw new Execution.InvalidRequestException("$.outlet", $"INPUT node '{task.ReferenceTaskName}' has no outlet '{outlet}' (its outlets: {string.Join(", ", outlets.OfType<JsonObject>().Select(o => o["identifier"]?.ToString()))})");
        var responses = task.OutputData["responses"] as JsonArray ?? [];
        if (responses.OfType<JsonObject>().Any(r => string.Equals(r["submitterInfo"]?["submittedBy"]?.GetValue<string>(), responder, StringComparison.OrdinalIgnoreCase)))
        {
            throw new Execution.ConflictException($"{responder} already responded to INPUT node '{task.ReferenceTaskName}'");
        }
        if (responses.Count >= MaxResponses) throw new Execution.ConflictException($"INPUT node '{task.ReferenceTaskName}' holds {MaxResponses} responses already");
        responses = (JsonArray)responses.DeepClone();
        responses.Add(new JsonObject
        {
            ["outlet"] = outlet,
            ["inputs"] = inputs?.DeepClone() ?? new JsonObject(),
            ["submitterInfo"] = new JsonObject { ["submittedBy"] = responder, ["submittedAt"] = NodeContext.Time(now) },
        });
        var needed = declared["numOfResponders"] is JsonValue n && n.TryGetValue<int>(out var count) && count > 0 ? count : 1;
        var forOutlet = responses.OfType<JsonObject>().Count(r => r["outlet"]?.GetValue<string>() == outlet);
        var output = new JsonObject { ["selectedOutlet"] = null, ["responses"] = responses };
        if (forOutlet < needed)
        {
            task.OutputData = output;
            task.UpdateTime = now;
            return null;
        }
        output["selectedOutlet"] = new JsonObject { ["identifier"] = outlet };
        return TaskOutcome.Completed(output);
    }
}
