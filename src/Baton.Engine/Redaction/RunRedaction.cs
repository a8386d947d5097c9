using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Runs;
using Baton.Secrets.Redaction;

namespace Baton.Engine.Redaction;

/// <summary>
/// The persistence sink's redaction: before a run is committed, every string in the parts that can carry a value
/// (task inputs and outputs, reasons, worker ids and domains, the run's output, variables, reason and correlation id) passes the
/// one redactor, in place,
/// so the committed copy, the in-memory copy and every later read agree.
/// </summary>
public static class RunRedaction
{
    public static void Apply(SecretRedactor redactor, WorkflowRun run, IEnumerable<TaskRun> changedTasks)
    {
        if (redactor.PatternCount > 0)
        {
            RedactInPlace(redactor, run.Output);
            RedactInPlace(redactor, run.Variables);
            RedactInPlace(redactor, run.Input);
            run.ReasonForIncompletion = Redact(redactor, run.ReasonForIncompletion);
            run.CorrelationId = Redact(redactor, run.CorrelationId);
        }
        foreach (var task in changedTasks)
        {
            MaskSecretsInput(task.InputData);
            if (redactor.PatternCount == 0) continue;
            RedactInPlace(redactor, task.InputData);
            RedactInPlace(redactor, task.OutputData);
            task.ReasonForIncompletion = Redact(redactor, task.ReasonForIncompletion);
            task.WorkerId = Redact(redactor, task.WorkerId);
            task.Domain = Redact(redactor, task.Domain);
            task.ExternalRunId = Redact(redactor, task.ExternalRunId);
            if (task.Links is { } links) task.Links = [.. links.Select(l => redactor.Redact(l))];
        }
    }

    /// <summary>
    /// The <c>_secrets</c> input (Orkes' convention, UPDATE_SECRET's new value) is masked whole at rest; the task
    /// gets it evaluated again from its definition at hand-off.
    /// </summary>
    private static void MaskSecretsInput(JsonObject input)
    {
        if (input[Execution.SecretHandOff.SecretsInputKey] is { } secrets) input[Execution.SecretHandOff.SecretsInputKey] = Masked(secrets);

        static JsonNode? Masked(JsonNode? node) => node switch
        {
            JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, Masked(p.Value)))),
            JsonArray array => new JsonArray([.. array.Select(Masked)]),
            null => null,
            _ => JsonValue.Create(SecretRedactor.Mask),
        };
    }

    public static string? Redact(SecretRedactor redactor, string? text) => text is null ? null : redactor.Redact(text);

    /// <summary>Redacts every string (and every number's text) under <paramref name="node"/>, replacing leaves in place.</summary>
    public static void RedactInPlace(SecretRedactor redactor, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    var child = obj[key];
                    if (child is JsonValue value)
                    {
                        if (RedactLeaf(redactor, value) is { } replaced) obj[key] = replaced;
                    }
                    else
                    {
                        RedactInPlace(redactor, child);
                    }
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonValue value)
                    {
                        if (RedactLeaf(redactor, value) is { } replaced) array[i] = replaced;
                    }
                    else
                    {
                        RedactInPlace(redactor, array[i]);
                    }
                }
                break;
        }
    }

    private static JsonValue? RedactLeaf(SecretRedactor redactor, JsonValue value)
    {
        var kind = value.GetValueKind();
        if (kind is not (JsonValueKind.String or JsonValueKind.Number)) return null;
        var text = kind == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
        var redacted = redactor.Redact(text);
        return ReferenceEquals(redacted, text) || redacted == text ? null : JsonValue.Create(redacted);
    }
}
