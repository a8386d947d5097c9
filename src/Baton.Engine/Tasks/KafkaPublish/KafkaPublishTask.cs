using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Validation;
using Baton.Engine.Events;
using Baton.Engine.SystemTasks;

namespace Baton.Engine.Tasks.KafkaPublish;

/// <summary>KAFKA_PUBLISH: Conductor's Kafka task (see <see cref="KafkaPublishTask"/>).</summary>
public sealed class KafkaPublishTaskType : TaskType
{
    public override string Name => "KAFKA_PUBLISH";

    public override TaskKind Kind => TaskKind.System;

    public override void Validate(TaskCheck check)
    {
        if (check.Input?["kafka_request"] is not JsonObject request)
        {
            check.Problem(".inputParameters.kafka_request", "a KAFKA_PUBLISH task needs kafka_request: {topic, value, key, headers}");
            return;
        }
        check.RequireString("topic", request, ".inputParameters.kafka_request");
        if (request["value"] is null) check.Problem(".inputParameters.kafka_request.value", "kafka_request needs a value");
    }
}

/// <summary>
/// Conductor's KAFKA_PUBLISH with the run principal's rights, on Baton's one producer: <c>kafka_request.topic</c>,
/// <c>value</c> (a string as is, anything else as JSON; secret references resolved through the one hand-off, as
/// HTTP's body), <c>key</c>, <c>headers</c>. Baton publishes only to the brokers it is configured with: a
/// <c>bootStrapServers</c> naming others fails the task, since a definition that could choose the address could send a
/// resolved secret anywhere. Completes when the broker confirmed delivery; output <c>delivery: {topic, partition,
/// offset}</c>, never the value.
/// </summary>
public sealed class KafkaPublishTask(IKafkaPublisher kafka, Microsoft.Extensions.Options.IOptions<KafkaBrokers> brokers) : ISystemTask
{
    public string Type => "KAFKA_PUBLISH";

    public bool RunsAsync => true;

    public async Task<TaskOutcome> ExecuteAsync(SystemTaskContext context, CancellationToken ct)
    {
        var task = context.Task;
        if (context.Input["kafka_request"] is not JsonObject request || Text(request["topic"]) is not { Length: > 0 } topic)
        {
            return TaskOutcome.Failed($"KAFKA_PUBLISH task '{task.ReferenceTaskName}': kafka_request.topic is required");
        }
        if (Text(request["bootStrapServers"]) is { Length: > 0 } servers && !SameBrokers(servers, brokers.Value.BootstrapServers))
        {
            return TaskOutcome.Failed($"KAFKA_PUBLISH task '{task.ReferenceTaskName}': kafka_request.bootStrapServers names brokers other than the server's (Baton:Kafka:BootstrapServers); Baton publishes only to those");
        }
        var value = request["value"] switch
        {
            null => "",
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            var other => other.ToJsonString(),
        };
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        if (request["headers"] is JsonObject given)
        {
            foreach (var (name, header) in given) headers[name] = header is JsonValue hv && hv.GetValueKind() == JsonValueKind.String ? hv.GetValue<string>() : header?.ToJsonString() ?? "";
        }
        var key = request["key"] is { } k ? (Text(k) ?? k.ToJsonString()) : null;
        try
        {
            var delivery = await kafka.PublishAsync(new KafkaMessage(topic, key, value, headers), ct);
            return TaskOutcome.Completed(new JsonObject { ["delivery"] = new JsonObject { ["topic"] = delivery.Topic, ["partition"] = delivery.Partition, ["offset"] = delivery.Offset } });
        }
        catch (KafkaPublishException e)
        {
            return TaskOutcome.Failed($"KAFKA_PUBLISH task '{task.ReferenceTaskName}': the broker did not confirm the message: {e.Message}");
        }
    }

    private static bool SameBrokers(string given, string? configured)
    {
        static HashSet<string> Set(string? s) => [.. (s ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x => x.ToLowerInvariant())];
        return Set(given).IsSubsetOf(Set(configured)) && Set(given).Count > 0;
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}

/// <summary>The brokers the server publishes to, for the task that checks a definition names no others.</summary>
public sealed class KafkaBrokers
{
    public string? BootstrapServers { get; set; }
}
