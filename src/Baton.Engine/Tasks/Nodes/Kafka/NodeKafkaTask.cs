using System.Text.Json.Nodes;
using Baton.Engine.Events;
using Baton.Engine.Execution;
using Baton.Engine.SystemTasks;
using Baton.Secrets.Service;

namespace Baton.Engine.Tasks.Nodes.Kafka;

/// <summary>KAFKA: the server publishes the node's rendered payload (see <see cref="NodeKafkaTask"/>).</summary>
public sealed class NodeKafkaTaskType : NodeTaskType
{
    public override string Name => NodeTypes.Kafka;

    public override TaskKind Kind => TaskKind.System;

    public override JsonObject? InputAtSchedule(Core.Runs.WorkflowRun run, Core.Definitions.WorkflowTask task, string taskId, long now) =>
        DisplayInput(run, task, taskId, now);
}

/// <summary>
/// Executes a KAFKA node with the run principal's rights: renders its <c>payload</c> from the definition's templates
/// with the hand-off's context (the secrets it names resolved through the one hand-off; every string computed from
/// one taught to the redactor for the run's life) and publishes, through the one producer
/// (<see cref="IKafkaPublisher"/>: idempotent, acks=all, to the configured brokers only), an envelope
/// <c>{context: {workflowIdentifier, workflowVersion, workflowRunIdentifier, nodeIdentifier, nodeRunIdentifier}, payload}</c>
/// keyed by the run's id to the node's <c>topic</c>, else the configured default. It completes when the broker
/// confirms delivery (output <c>delivery: {topic, partition, offset}</c>, never the payload) and fails with the
/// broker's reason otherwise; <c>onFailure</c> decides what a failure does. The message carries the resolved secret
/// (its author asked for it); the stored input keeps the template.
/// </summary>
public sealed class NodeKafkaTask(IKafkaPublisher publisher, SecretVault vault) : ISystemTask
{
    public string Type => NodeTypes.Kafka;

    public bool RunsAsync => true;

    public async Task<TaskOutcome> ExecuteAsync(SystemTaskContext context, CancellationToken ct)
    {
        var task = context.Task;
        var node = task.WorkflowTask!;
        var (config, scope, failure) = NodeOutcomes.Render(context, vault);
        if (failure is not null) return failure;
        var envelope = new JsonObject
        {
            ["context"] = new JsonObject
            {
                ["workflowIdentifier"] = task.WorkflowType,
                ["workflowVersion"] = scope["workflow"]?["versionIdentifier"]?.DeepClone(),
                ["workflowRunIdentifier"] = task.WorkflowInstanceId,
                ["nodeIdentifier"] = task.ReferenceTaskName,
                ["nodeRunIdentifier"] = task.TaskId,
            },
            ["payload"] = config["payload"]?.DeepClone(),
        };
        var topic = config["topic"] is JsonValue t && t.TryGetValue<string>(out var named) && named.Length > 0 ? named : null;
        try
        {
            var delivery = await publisher.PublishAsync(new KafkaMessage(topic, task.WorkflowInstanceId, envelope.ToJsonString(), new Dictionary<string, string>
            {
                ["baton-workflow-run"] = task.WorkflowInstanceId,
                ["baton-node-run"] = task.TaskId,
            }), ct);
            var output = new JsonObject
            {
                ["delivery"] = new JsonObject { ["topic"] = delivery.Topic, ["partition"] = delivery.Partition, ["offset"] = delivery.Offset },
            };
            return NodeOutcomes.Succeeded(node, scope, TaskOutcome.Completed(output), task);
        }
        catch (KafkaPublishException e)
        {
            return NodeOutcomes.Failed(node, $"KAFKA node '{task.ReferenceTaskName}': the broker did not confirm delivery: {e.Message}");
        }
    }
}
