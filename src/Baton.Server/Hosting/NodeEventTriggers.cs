using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Engine.Events;
using Baton.Engine.Execution;
using Baton.Engine.Tasks.JsonJqTransform;
using Baton.Engine.Tasks.Nodes;
using Baton.Jq;
using Baton.Server.Auth;

namespace Baton.Server.Hosting;

/// <summary>
/// Node workflows' EVENT_TRIGGERs on Baton's own events (RUN_FINISHED, SECRET_ROTATED): each matching trigger whose
/// <c>condition</c> holds over the event starts a run of its workflow as the workflow's owner (whoever saved it last),
/// who must still hold EXECUTE on it and must be able to see what the event is about (the finished run; the rotated
/// secret), so a trigger never tells its owner about runs or secrets they could not see. A run an EVENT trigger started
/// does not fire RUN_FINISHED triggers, so triggers cannot chain into a loop. The triggers are indexed in memory and the
/// index is built again after a node workflow is saved or deleted.
/// </summary>
public sealed class NodeEventTriggers(BatonEvents events, DefinitionCatalog catalog, WorkflowExecutor executor, AccessControl access,
    IWorkflowStartPolicy startPolicy, ILogger<NodeEventTriggers> logger) : IHostedService
{
    private readonly List<IDisposable> _subscriptions = [];
    private volatile IReadOnlyList<(WorkflowDef Def, WorkflowTask Trigger, string Type)>? _index;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var type in new[] { BatonEvents.RunFinished, BatonEvents.SecretRotated })
        {
            _subscriptions.Add(events.Subscribe(type, OnEventAsync));
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var subscription in _subscriptions) subscription.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A node workflow was saved or deleted here: the index is built again at the next event, and other nodes are told (<see cref="Changed"/>).</summary>
    public void Invalidate()
    {
        _index = null;
        Changed?.Invoke();
    }

    /// <summary>Another node saved or deleted a node workflow: the index is built again at the next event.</summary>
    public void Forget() => _index = null;

    /// <summary>A node workflow was saved or deleted through this node (several nodes: the others forget their index).</summary>
    public event Action? Changed;

    private async Task<IReadOnlyList<(WorkflowDef Def, WorkflowTask Trigger, string Type)>> IndexAsync(CancellationToken ct)
    {
        if (_index is { } index) return index;
        var latest = new Dictionary<string, WorkflowDef>(StringComparer.Ordinal);
        foreach (var def in await catalog.ListWorkflowDefsAsync(ct))
        {
            if (NodeWiring.IsNodeWorkflow(def) && (!latest.TryGetValue(def.Name, out var seen) || seen.Version < def.Version)) latest[def.Name] = def;
        }
        var built = new List<(WorkflowDef, WorkflowTask, string)>();
        foreach (var def in latest.Values)
        {
            foreach (var task in def.Tasks)
            {
                if (task.Type != NodeTypes.Trigger || NodeWiring.ConfigText(task, "type") != "EVENT_TRIGGER") continue;
                if (NodeWiring.Config(task)["published"] is JsonValue p && p.GetValueKind() == JsonValueKind.False) continue;
                if (NodeWiring.Config(task)["event"]?["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String) built.Add((def, task, t.GetValue<string>()));
            }
        }
        _index = built;
        return built;
    }

    private async Task OnEventAsync(BatonEvent e, CancellationToken ct)
    {
        if (e.Type == BatonEvents.RunFinished && e.Payload["eventTriggered"] is JsonValue looped && looped.GetValueKind() == JsonValueKind.True) return;
        foreach (var (def, trigger, type) in await IndexAsync(ct))
        {
            if (type != e.Type || !Holds(trigger, e.Payload)) continue;
            var owner = def.UpdatedBy;
            if (access.Model.PrincipalOf(owner) is not { } principal || !await MaySeeAsync(principal, e, ct)) continue;
            if (await startPolicy.StartRefusalAsync(owner, def.Name, ct) is { } refusal)
            {
                logger.LogInformation("EVENT_TRIGGER {Trigger} of {Workflow} did not start: {Refusal}", trigger.TaskReferenceName, def.Name, refusal);
                continue;
            }
            var data = (JsonObject)e.Payload.DeepClone();
            data["type"] = e.Type;
            data["time"] = NodeContext.Time(e.Time);
            try
            {
                await executor.StartAsync(new StartWorkflowRequest
                {
                    Name = def.Name,
                    Version = def.Version,
                    Input = new JsonObject { ["trigger"] = trigger.TaskReferenceName, ["data"] = data },
                }, owner, ct);
            }
            catch (Exception ex) when (ex is InvalidRequestException or NotFoundException or ConflictException)
            {
                logger.LogWarning("EVENT_TRIGGER {Trigger} of {Workflow} did not start: {Reason}", trigger.TaskReferenceName, def.Name, ex.Message);
            }
        }
    }

    /// <summary>The trigger's <c>condition</c> (jq over the event; <c>and</c> by default), or true without one.</summary>
    private bool Holds(WorkflowTask trigger, JsonObject payload)
    {
        if (NodeWiring.Config(trigger)["condition"] is not JsonObject condition || condition["expressions"] is not JsonArray expressions) return true;
        var any = condition["combinator"] is JsonValue c && c.GetValueKind() == JsonValueKind.String && c.GetValue<string>() == "or";
        foreach (var item in expressions)
        {
            bool holds;
            try
            {
                var result = JsonJqTransformTask.Compiled(item?.ToString() ?? "false").First(payload);
                holds = result is not null && !(result is JsonValue v && v.GetValueKind() == JsonValueKind.False);
            }
            catch (Exception ex) when (ex is JqParseException or JqRuntimeException)
            {
                logger.LogInformation("EVENT_TRIGGER {Trigger}: condition failed: {Reason}", trigger.TaskReferenceName, ex.Message);
                holds = false;
            }
            if (holds && any) return true;
            if (!holds && !any) return false;
        }
        return !any;
    }

    /// <summary>Whether the owner could see what the event is about.</summary>
    private async Task<bool> MaySeeAsync(Principal owner, BatonEvent e, CancellationToken ct)
    {
        switch (e.Type)
        {
            case BatonEvents.RunFinished:
                try
                {
                    var run = await executor.GetWorkflowAsync(e.Payload["workflowId"]?.ToString() ?? "", includeTasks: false, ct);
                    return RunAccess.MayView(owner, access.Model, run);
                }
                catch (NotFoundException)
                {
                    return false;
                }
            case BatonEvents.SecretRotated:
                return access.Model.RightsOn(owner, new Target(TargetTypes.SecretName, e.Payload["secret"]?.ToString() ?? ""), []) != AccessRight.None;
            default:
                return false;
        }
    }
}
