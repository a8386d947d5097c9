using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Engine.Execution;
using Baton.Jq.Templates;

namespace Baton.Engine.Tasks.Nodes;

/// <summary>A node's template failed: the message names the field, the expression and why, never a secret's value.</summary>
public sealed class NodeTemplateException(string message) : Exception(message);

/// <summary>
/// A node's <c>config</c> as Port templates (<c>{{ jq }}</c>, rendered by Baton's own jq, docs/jq.md "Templates"),
/// compiled and analysed once per node: which fields read which secrets (known before anything is rendered, so the
/// hand-off resolves exactly those), rendering with the hand-off's context, and a display copy for the stored input
/// in which the fields that read secrets keep their template.
/// </summary>
public static class NodeTemplates
{
    private static readonly ConditionalWeakTable<WorkflowTask, Compiled> Cache = [];
    private static readonly ConditionalWeakTable<JsonNode, CompiledTemplate> Variables = [];
    private static readonly TemplateOptions NoSecrets = new() { AllowSecrets = false };

    // Stored configs that are the whole render of their node's config (it reads no secret), by the object the run holds.
    private static readonly ConditionalWeakTable<JsonObject, WorkflowTask> Whole = [];

    /// <summary>
    /// The config as rendered at scheduling when it is the node's whole render (no secret read, no template failed), so
    /// the execution needs no second render; null otherwise (after a restart the run's objects are new, and it renders).
    /// </summary>
    public static JsonObject? RenderedWhole(WorkflowTask node, JsonNode? stored) =>
        stored is JsonObject config && Whole.TryGetValue(config, out var of) && ReferenceEquals(of, node) ? config : null;

    private sealed record Compiled(CompiledTemplate? Config, IReadOnlyList<(IReadOnlyList<PathStep> Path, IReadOnlyList<string> Secrets)> SecretFields, string? Problem);

    /// <summary>The fields of a node's config that read secrets (paths from the config's root), and the secrets each reads.</summary>
    public static IReadOnlyList<(IReadOnlyList<PathStep> Path, IReadOnlyList<string> Secrets)> SecretFields(WorkflowTask node) =>
        NodeWiring.IsNodeTask(node) ? Of(node).SecretFields : [];

    /// <summary>Renders the node's config with <paramref name="context"/>; each string computed from a secret is added to <paramref name="derived"/>.</summary>
    /// <exception cref="NodeTemplateException">A template failed, or a secret or an output it reads is missing.</exception>
    public static JsonObject RenderConfig(WorkflowTask node, JsonObject context, List<string> derived)
    {
        var compiled = Of(node);
        if (compiled.Problem is not null || compiled.Config is null) throw new NodeTemplateException(compiled.Problem ?? "the node has no config");
        JsonNode? rendered;
        try
        {
            rendered = compiled.Config.Render(context);
        }
        catch (TemplateException e)
        {
            throw new NodeTemplateException(Describe(e));
        }
        if (rendered is not JsonObject config) throw new NodeTemplateException("$.config: the config did not render to an object");
        foreach (var (path, _) in compiled.SecretFields)
        {
            Collect(Locate(config, path), derived);
        }
        return config;
    }

    /// <summary>
    /// The node's config for the stored input: rendered, except the fields that read secrets, which keep their template.
    /// A config that reads no secret and rendered whole is remembered (<see cref="RenderedWhole"/>): the execution
    /// that follows uses it instead of rendering the same templates over the same context again.
    /// </summary>
    public static JsonObject DisplayConfig(WorkflowTask node, JsonObject context)
    {
        var compiled = Of(node);
        if (compiled.Config is null) return (JsonObject)NodeWiring.Config(node).DeepClone();
        try
        {
            if (compiled.Config.RenderWithoutSecrets(context) is not JsonObject config) return (JsonObject)NodeWiring.Config(node).DeepClone();
            if (compiled.SecretFields.Count == 0) Whole.AddOrUpdate(config, node);
            return config;
        }
        catch (TemplateException)
        {
            // The execution renders again and fails the node, naming the field; the stored input shows what was written.
            return (JsonObject)NodeWiring.Config(node).DeepClone();
        }
    }

    /// <summary>Renders a template that may not read secrets (a node's <c>variables</c> or <c>links</c>).</summary>
    /// <exception cref="NodeTemplateException">The template failed, naming the field and expression.</exception>
    public static JsonNode? Render(JsonNode? template, JsonObject context, string rootPath)
    {
        try
        {
            // A node's variables are the same object for every run of its definition: compiled once.
            var compiled = template is null
                ? JqTemplate.Compile(null, NoSecrets, rootPath)
                : Variables.GetValue(template, t =>
                {
                    var key = rootPath + "\n" + t.ToJsonString();
                    if (VariablesByText.TryGetValue(key, out var known)) return known;
                    var made = JqTemplate.Compile(t, NoSecrets, rootPath);
                    if (VariablesByText.Count >= ByTextLimit) VariablesByText.Clear();
                    VariablesByText[key] = made;
                    return made;
                });
            return compiled.Render(context);
        }
        catch (TemplateException e)
        {
            throw new NodeTemplateException(Describe(e));
        }
    }

    /// <summary>
    /// Each run reads its definition afresh from the store, so a node's compiled config is also kept by the node's
    /// text: runs of one definition compile its templates once.
    /// </summary>
    private static Compiled Of(WorkflowTask node) => Cache.GetValue(node, n =>
    {
        var text = n.Extra is { } extra && extra.TryGetValue("node", out var raw) ? raw.GetRawText() : "";
        if (ByText.TryGetValue(text, out var known)) return known;
        var compiled = CompileConfig(n);
        if (ByText.Count >= ByTextLimit) ByText.Clear();
        ByText[text] = compiled;
        return compiled;
    });

    private const int ByTextLimit = 4096;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Compiled> ByText = new(StringComparer.Ordinal);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, CompiledTemplate> VariablesByText = new(StringComparer.Ordinal);

    private static Compiled CompileConfig(WorkflowTask n)
    {
        try
        {
            var config = JqTemplate.Compile(NodeWiring.Config(n), new TemplateOptions(), "$.config");
            var fields = new List<(IReadOnlyList<PathStep>, IReadOnlyList<string>)>();
            foreach (var field in config.Fields)
            {
                if (field.Secrets.Count == 0) continue;
                fields.Add(([.. field.Path.Select(s => new PathStep(s.Key, s.Index))], field.Secrets));
            }
            return new Compiled(config, fields, null);
        }
        catch (TemplateException e)
        {
            // The node validator compiles every template when the workflow is saved; this is a definition saved before.
            return new Compiled(null, [], Describe(e));
        }
    }

    private static string Describe(TemplateException e) =>
        e.Message.StartsWith(e.Path, StringComparison.Ordinal) || string.IsNullOrEmpty(e.Path) ? e.Message : $"{e.Path}: {e.Message}";

    private static JsonNode? Locate(JsonNode? node, IReadOnlyList<PathStep> path)
    {
        foreach (var step in path)
        {
            node = step.Key is not null
                ? (node as JsonObject)?[step.Key]
                : node is JsonArray array && step.Index >= 0 && step.Index < array.Count ? array[step.Index] : null;
            if (node is null) return null;
        }
        return node;
    }

    private static void Collect(JsonNode? node, List<string> strings)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj) Collect(child, strings);
                break;
            case JsonArray array:
                foreach (var item in array) Collect(item, strings);
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                strings.Add(value.GetValue<string>());
                break;
            case JsonValue value:
                strings.Add(value.ToJsonString());
                break;
        }
    }
}
