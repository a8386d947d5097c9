using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Expressions;
using Baton.Core.Runs;
using Baton.Secrets.Service;

namespace Baton.Engine.Execution;

/// <summary>
/// Resolves <c>${workflow.secrets.NAME}</c> in a task's input at the moment the task is handed over (a system
/// task about to run, a worker's poll answer), in a copy that is never stored. Only the references the
/// definition's template wrote in a field are resolved in that field: data that merely contains such text (a
/// workflow input, a previous task's output) can never turn itself into a secret reference.
/// </summary>
public sealed class SecretHandOff(SecretVault vault)
{
    private static readonly ConcurrentDictionary<string, IReadOnlyList<SecretReference>> ReferenceCache = new(StringComparer.Ordinal);

    /// <summary>True when the task's template names at least one secret.</summary>
    public static bool NeedsSecrets(TaskRun task) => task.WorkflowTask?.InputParameters is { } template && HasReferences(template);

    /// <summary>A copy of <paramref name="input"/> with the template's secret references replaced by their values.</summary>
    /// <exception cref="SecretResolutionException">A secret is missing, deleted, undecryptable, lacks the field, or is empty.</exception>
    public async Task<JsonObject> ResolveAsync(TaskRun task, JsonObject input, string? principal, CancellationToken ct)
    {
        var resolved = (JsonObject)input.DeepClone();
        if (task.WorkflowTask?.InputParameters is not { } template || !HasReferences(template)) return resolved;
        var context = new ResolutionContext(task.WorkflowInstanceId, task.TaskId, task.ReferenceTaskName, principal);
        var values = new Dictionary<string, SecretValue>(StringComparer.Ordinal);
        await ResolveObjectAsync(template, resolved, context, values, ct);
        return resolved;
    }

    private async Task ResolveObjectAsync(JsonObject template, JsonObject target, ResolutionContext context, Dictionary<string, SecretValue> values, CancellationToken ct)
    {
        foreach (var (key, templateChild) in template)
        {
            if (templateChild is null || !target.TryGetPropertyValue(key, out var targetChild)) continue;
            var result = await ResolveNodeAsync(templateChild, targetChild, context, values, ct);
            if (!ReferenceEquals(result, targetChild)) target[key] = result;
        }
    }

    private async Task<JsonNode?> ResolveNodeAsync(JsonNode template, JsonNode? target, ResolutionContext context, Dictionary<string, SecretValue> values, CancellationToken ct)
    {
        switch (template)
        {
            case JsonObject templateObject when target is JsonObject targetObject:
                await ResolveObjectAsync(templateObject, targetObject, context, values, ct);
                return targetObject;
            case JsonArray templateArray when target is JsonArray targetArray:
                for (var i = 0; i < templateArray.Count && i < targetArray.Count; i++)
                {
                    if (templateArray[i] is not { } item) continue;
                    var current = targetArray[i];
                    var result = await ResolveNodeAsync(item, current, context, values, ct);
                    if (!ReferenceEquals(result, current)) targetArray[i] = result;
                }
                return targetArray;
            case JsonValue templateValue when templateValue.GetValueKind() == JsonValueKind.String
                                            && target is JsonValue targetValue && targetValue.GetValueKind() == JsonValueKind.String:
                var references = References(templateValue.GetValue<string>());
                if (references.Count == 0) return target;
                var text = targetValue.GetValue<string>();
                if (references.Count == 1 && text == references[0].Text && templateValue.GetValue<string>() == references[0].Text)
                {
                    // The whole field is one reference: the typed value (a string, or a JSON secret or field).
                    return await ValueOfAsync(references[0], context, values, ct);
                }
                foreach (var reference in references)
                {
                    var value = await ValueOfAsync(reference, context, values, ct);
                    var replacement = value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value!.ToJsonString();
                    text = text.Replace(reference.Text, replacement, StringComparison.Ordinal);
                }
                return JsonValue.Create(text);
            default:
                return target;
        }
    }

    private async Task<JsonNode> ValueOfAsync(SecretReference reference, ResolutionContext context, Dictionary<string, SecretValue> values, CancellationToken ct)
    {
        if (!values.TryGetValue(reference.Secret, out var secret))
        {
            secret = await vault.ResolveAsync(reference.Secret, context, ct);
            values[reference.Secret] = secret;
        }
        var node = reference.Field.Length == 0 ? secret.AsNode() : secret.Field(reference.Field);
        if (node is null)
        {
            throw new SecretResolutionException(secret.Kind == SecretValue.JsonKind
                ? $"secret '{reference.Secret}' has no field '{reference.Field}'"
                : $"secret '{reference.Secret}' is a string, so it has no field '{reference.Field}'");
        }
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String && string.IsNullOrEmpty(value.GetValue<string>()))
        {
            throw new SecretResolutionException($"secret '{reference.Secret}'{(reference.Field.Length > 0 ? $" field '{reference.Field}'" : "")} is empty; nothing was sent");
        }
        return node.Parent is null ? node : node.DeepClone();
    }

    private static bool HasReferences(JsonNode? template) => template switch
    {
        JsonObject obj => obj.Any(p => HasReferences(p.Value)),
        JsonArray array => array.Any(HasReferences),
        JsonValue value when value.GetValueKind() == JsonValueKind.String => References(value.GetValue<string>()).Count > 0,
        _ => false,
    };

    private static IReadOnlyList<SecretReference> References(string text)
    {
        if (!text.Contains("${", StringComparison.Ordinal)) return [];
        if (ReferenceCache.TryGetValue(text, out var cached)) return cached;
        var found = ExpressionSyntax.SecretReferences(text);
        if (ReferenceCache.Count > 8192) ReferenceCache.Clear();
        ReferenceCache[text] = found;
        return found;
    }
}
