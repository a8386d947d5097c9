using System.Text.Json.Nodes;
using Baton.Core.Validation;
using Baton.Engine.Events;
using Baton.Engine.SystemTasks;

namespace Baton.Engine.Tasks.EventSink;

/// <summary>EVENT: sends its input to a sink (see <see cref="EventTask"/>).</summary>
public sealed class EventTaskType : TaskType
{
    public override string Name => "EVENT";

    public override TaskKind Kind => TaskKind.System;

    public override void Validate(TaskCheck check)
    {
        if (string.IsNullOrWhiteSpace(check.Task.Sink)) check.Problem(".sink", "an EVENT task needs a sink: conductor[:name], baton[:name] or kafka:<topic>");
        else if (!check.Task.Sink.Contains("${", StringComparison.Ordinal) && EventTask.SinkProblem(check.Task.Sink) is { } problem) check.Problem(".sink", problem);
    }
}

/// <summary>
/// Conductor's EVENT task, with the run principal's rights: its input (secret references resolved through the one
/// hand-off, as HTTP's body; the user asked for the value to go there) plus the run's identity is the payload; to
/// <c>conductor[:name]</c> or <c>baton[:name]</c> it goes to Baton's event bus (type <c>EVENT</c>, where node
/// workflows' EVENT triggers listen; the bus passes it through the redactor), to <c>kafka:&lt;topic&gt;</c> through the
/// one producer, to the configured brokers. Output as Conductor's: <c>event_produced</c>, <c>sink</c> and the run's
/// identity, never the payload.
/// </summary>
public sealed class EventTask(BatonEvents events, IKafkaPublisher kafka) : ISystemTask
{
    public string Type => "EVENT";

    public bool RunsAsync => true;

    public static string? SinkProblem(string sink)
    {
        var (kind, name) = Split(sink);
        return kind switch
        {
            "conductor" or "baton" => null,
            "kafka" when name.Length is > 0 and <= 249 => null,
            "kafka" => "sink kafka:<topic> names a topic",
            _ => $"sink '{sink}' is not conductor[:name], baton[:name] or kafka:<topic> (Baton has no other event queues)",
        };
    }

    private static (string Kind, string Name) Split(string sink)
    {
        var colon = sink.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (sink, "") : (sink[..colon], sink[(colon + 1)..]);
    }

    public async Task<TaskOutcome> ExecuteAsync(SystemTaskContext context, CancellationToken ct)
    {
        var task = context.Task;
        var sink = task.WorkflowTask?.Sink ?? "";
        if (SinkProblem(sink) is { } problem) return TaskOutcome.Failed($"EVENT task '{task.ReferenceTaskName}': {problem}");
        var (kind, name) = Split(sink);
        var identity = new JsonObject
        {
            ["workflowInstanceId"] = task.WorkflowInstanceId,
            ["workflowType"] = task.WorkflowType,
            ["correlationId"] = task.CorrelationId,
        };
        var payload = (JsonObject)context.Input.DeepClone();
        foreach (var (key, value) in identity) payload[key] = value?.DeepClone();
        var produced = kind == "kafka" ? $"kafka:{name}" : $"{kind}:{task.WorkflowType}:{(name.Length > 0 ? name : task.ReferenceTaskName)}";
        if (kind == "kafka")
        {
            try
            {
                await kafka.PublishAsync(new KafkaMessage(name, task.WorkflowInstanceId, payload.ToJsonString(), null), ct);
            }
            catch (KafkaPublishException e)
            {
                return TaskOutcome.Failed($"EVENT task '{task.ReferenceTaskName}': the broker did not confirm the event: {e.Message}");
            }
        }
        else
        {
            payload["event"] = produced;
            events.Publish(BatonEvents.Published, payload);
        }
        var output = new JsonObject { ["event_produced"] = produced, ["sink"] = sink };
        foreach (var (key, value) in identity) output[key] = value?.DeepClone();
        return TaskOutcome.Completed(output);
    }
}
