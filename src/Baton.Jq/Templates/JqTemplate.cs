using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Jq.Templates;

/// <summary>
/// Port's <c>{{ jq }}</c> templates over Baton's jq (docs/jq.md, "Templates"): compile a JSON value once (every block
/// parsed and analysed: which secrets and outputs it reads, and nothing it may not), then render it with a context.
/// </summary>
public static class JqTemplate
{
    /// <summary>Most strings, objects, arrays and values in one template.</summary>
    public const int MaxNodes = 10_000;

    private const int ProgramCacheLimit = 1000;
    private static readonly ConcurrentDictionary<string, JqProgram> Programs = new(StringComparer.Ordinal);

    /// <summary>Whether a string holds a block.</summary>
    public static bool IsTemplate(string text) => TemplateText.HasBlock(text);

    /// <summary>Compiles and analyses a whole JSON value (object, array, string or other).</summary>
    /// <param name="rootPath">The JSON path the value stands at, for messages (<c>$.config</c>).</param>
    /// <exception cref="TemplateException">A block does not parse, reads what a template may not, or a bound is exceeded; names the path.</exception>
    public static CompiledTemplate Compile(JsonNode? template, TemplateOptions? options = null, string rootPath = "$")
    {
        options ??= new TemplateOptions();
        var fields = new List<TemplateField>();
        var count = 0;
        var root = Build(template, rootPath, [], dynamicKey: false, options, fields, ref count);
        return new CompiledTemplate(root, fields, options);
    }

    private static TemplateNode Build(JsonNode? node, string path, List<TemplatePathStep> steps, bool dynamicKey, TemplateOptions options, List<TemplateField> fields, ref int count)
    {
        if (++count > MaxNodes) throw new TemplateException(path, null, $"a template holds at most {MaxNodes} values");
        switch (node)
        {
            case JsonObject obj:
                var entries = new List<TemplateEntry>();
                foreach (var (key, value) in obj)
                {
                    var keyPath = Child(path, key);
                    TemplateString? keyTemplate = null;
                    var spread = false;
                    if (TemplateText.HasBlock(key))
                    {
                        keyTemplate = Parse(key, keyPath + " (its key)", options);
                        spread = keyTemplate.IsWholeField && keyTemplate.Blocks.Single().IsSpread;
                        if (keyTemplate.ReadsSecrets) throw new TemplateException(keyPath, key, "an object key may not read secrets");
                    }
                    steps.Add(new TemplatePathStep(key, -1));
                    var child = Build(value, keyPath, steps, dynamicKey || keyTemplate is not null, options, fields, ref count);
                    steps.RemoveAt(steps.Count - 1);
                    entries.Add(new TemplateEntry(key, keyTemplate, spread, child));
                }
                return new ObjectNode(entries, path);
            case JsonArray array:
                var items = new List<TemplateNode>();
                for (var i = 0; i < array.Count; i++)
                {
                    steps.Add(new TemplatePathStep(null, i));
                    items.Add(Build(array[i], $"{path}[{i}]", steps, dynamicKey, options, fields, ref count));
                    steps.RemoveAt(steps.Count - 1);
                }
                return new ArrayNode(items);
            case JsonValue value when value.GetValueKind() == JsonValueKind.String && TemplateText.HasBlock(value.GetValue<string>()):
                var text = Parse(value.GetValue<string>(), path, options);
                if (text.ReadsSecrets && dynamicKey)
                {
                    throw new TemplateException(path, null, "a field under a templated key may not read secrets");
                }
                fields.Add(new TemplateField([.. steps], path,
                    [.. text.Blocks.SelectMany(b => b.Secrets).Distinct(StringComparer.Ordinal)],
                    [.. text.Blocks.SelectMany(b => b.Outputs).Distinct(StringComparer.Ordinal)]));
                return new StringNode(text, path);
            default:
                return new ConstantNode(node?.DeepClone());
        }
    }

    private static TemplateString Parse(string text, string path, TemplateOptions options)
    {
        var parts = new List<object>();
        foreach (var (literal, expression) in TemplateText.Split(text, path))
        {
            if (literal is not null)
            {
                parts.Add(literal);
                continue;
            }
            if (expression == "spreadValue()")
            {
                parts.Add(new TemplateBlock(expression, null!, [], [], IsSpread: true));
                continue;
            }
            JqProgram program;
            Ast ast;
            try
            {
                program = Program(expression!);
                ast = Parser.Parse(expression!, JqLimits.Default);
            }
            catch (JqParseException e)
            {
                throw new TemplateException(path, expression, $"jq: compile error: {e.Message}");
            }
            var reads = TemplateAnalysis.Of(ast, path, expression!, options);
            parts.Add(new TemplateBlock(expression!, program, reads.Secrets, reads.Outputs, IsSpread: false));
        }
        var compiled = new TemplateString(text, [.. parts]);
        if (compiled.Blocks.Any(b => b.IsSpread) && !(compiled.IsWholeField))
        {
            throw new TemplateException(path, "spreadValue()", "spreadValue() is a whole object key of its own");
        }
        return compiled;
    }

    private static JqProgram Program(string expression)
    {
        if (Programs.TryGetValue(expression, out var program)) return program;
        program = JqProgram.Compile(expression);
        if (Programs.Count >= ProgramCacheLimit) Programs.Clear();
        Programs[expression] = program;
        return program;
    }

    internal static string Child(string path, string key) =>
        key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') && !char.IsAsciiDigit(key[0])
            ? $"{path}.{key}"
            : $"{path}['{key.Replace("'", "\\'", StringComparison.Ordinal)}']";
}

/// <summary>A compiled template: render it as often as needed, from any thread.</summary>
public sealed class CompiledTemplate
{
    private readonly TemplateNode _root;
    private readonly TemplateOptions _options;

    internal CompiledTemplate(TemplateNode root, IReadOnlyList<TemplateField> fields, TemplateOptions options)
    {
        _root = root;
        _options = options;
        Fields = fields;
        Secrets = [.. fields.SelectMany(f => f.Secrets).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Every string of the template that holds blocks, with what it reads.</summary>
    public IReadOnlyList<TemplateField> Fields { get; }

    /// <summary>Every secret read anywhere, each once.</summary>
    public IReadOnlyList<string> Secrets { get; }

    public bool ReadsSecrets => Secrets.Count > 0;

    /// <summary>Renders with <paramref name="context"/> (<c>outputs</c>, <c>secrets</c>, <c>workflow</c>...).</summary>
    /// <exception cref="TemplateException">A block failed, or (strict) reads a secret or an output the context lacks.</exception>
    public JsonNode? Render(JsonObject context) => Render(context, null);

    /// <summary>Renders, adding to <paramref name="derived"/> every string rendered in a field that read a secret.</summary>
    public JsonNode? Render(JsonObject context, ICollection<string>? derived) =>
        _root.Render(new RenderState(context, _options, derived, KeepSecretFields: false)).Value;

    /// <summary>Renders, except the fields that read secrets, which keep their template text (a display copy).</summary>
    public JsonNode? RenderWithoutSecrets(JsonObject context) =>
        _root.Render(new RenderState(context, _options, null, KeepSecretFields: true)).Value;
}

internal sealed record RenderState(JsonObject Context, TemplateOptions Options, ICollection<string>? Derived, bool KeepSecretFields);

/// <summary>A rendered value, or nothing (<c>{{ empty }}</c>: its key or array item is left out).</summary>
internal readonly record struct Rendered(bool Defined, JsonNode? Value)
{
    public static Rendered Nothing => new(false, null);
}

internal abstract class TemplateNode
{
    public abstract Rendered Render(RenderState state);
}

internal sealed class ConstantNode(JsonNode? value) : TemplateNode
{
    public override Rendered Render(RenderState state) => new(true, value?.DeepClone());
}

internal sealed record TemplateEntry(string Key, TemplateString? KeyTemplate, bool Spread, TemplateNode Value);

internal sealed class ObjectNode(List<TemplateEntry> entries, string path) : TemplateNode
{
    public override Rendered Render(RenderState state)
    {
        var result = new JsonObject();
        foreach (var entry in entries)
        {
            var value = entry.Value.Render(state);
            if (entry.Spread)
            {
                if (!value.Defined) continue;
                if (value.Value is not JsonObject spread) throw new TemplateException(JqTemplate.Child(path, entry.Key), "spreadValue()", "the value spread into its object is not an object");
                foreach (var (k, v) in spread) result[k] = v?.DeepClone();
                continue;
            }
            var key = entry.Key;
            if (entry.KeyTemplate is { } keyTemplate)
            {
                var rendered = StringNode.Evaluate(keyTemplate, state, JqTemplate.Child(path, entry.Key) + " (its key)");
                if (!rendered.Defined || rendered.Value is null) continue;
                if (rendered.Value is not JsonValue text || text.GetValueKind() != JsonValueKind.String)
                {
                    throw new TemplateException(JqTemplate.Child(path, entry.Key), null, "an object key rendered to something other than a string");
                }
                key = text.GetValue<string>();
                if (key.Length == 0) continue;
            }
            if (value.Defined) result[key] = value.Value;
        }
        return new(true, result);
    }
}

internal sealed class ArrayNode(List<TemplateNode> items) : TemplateNode
{
    public override Rendered Render(RenderState state)
    {
        var result = new JsonArray();
        foreach (var item in items)
        {
            var value = item.Render(state);
            if (value.Defined) result.Add(value.Value);
        }
        return new(true, result);
    }
}

internal sealed class StringNode(TemplateString text, string path) : TemplateNode
{
    /// <summary>JSON as JavaScript's JSON.stringify writes it (Port's rule for a value inside text): quotes as \", not \u0022.</summary>
    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public override Rendered Render(RenderState state)
    {
        if (state.KeepSecretFields && text.ReadsSecrets) return new(true, JsonValue.Create(text.Text));
        var rendered = Evaluate(text, state, path);
        if (text.ReadsSecrets && state.Derived is { } derived && rendered.Value is { } value)
        {
            derived.Add(value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value.ToJsonString(Compact));
        }
        return rendered;
    }

    /// <summary>A template string's value: a whole-field block's own value, else the text with each block's value in place.</summary>
    public static Rendered Evaluate(TemplateString text, RenderState state, string path)
    {
        if (text.IsWholeField) return Block(text.Blocks.Single(), state, path);
        var result = new StringBuilder();
        foreach (var part in text.Parts)
        {
            if (part is string literal)
            {
                result.Append(literal);
                continue;
            }
            var value = Block((TemplateBlock)part, state, path);
            if (!value.Defined) continue;
            result.Append(value.Value switch
            {
                null => "null",
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                var other => other.ToJsonString(Compact),
            });
        }
        return new(true, JsonValue.Create(result.ToString()));
    }

    private static Rendered Block(TemplateBlock block, RenderState state, string path)
    {
        if (block.IsSpread) throw new TemplateException(path, block.Expression, "spreadValue() is a whole object key of its own");
        if (state.Options.Strict)
        {
            foreach (var secret in block.Secrets)
            {
                if (!TemplateContext.Has(state.Context, "secrets", secret)) throw new TemplateException(path, block.Expression, $"secret '{secret}' is not available to this run");
            }
        }
        try
        {
            var found = block.Program.TryFirst(state.Context, null, out var result);
            // A node that did not run (another branch) is an error only when the block came to nothing for it:
            // `.outputs.other.x // "default"` is how Port's users write a branch that may not have run.
            if (state.Options.Strict && (!found || result is null) && state.Context["outputs"] is JsonObject)
            {
                foreach (var output in block.Outputs)
                {
                    if (!TemplateContext.Has(state.Context, "outputs", output)) throw new TemplateException(path, block.Expression, $"node '{output}' has not run, so it has no output to read");
                }
            }
            return found ? new(true, result) : Rendered.Nothing;
        }
        catch (JqRuntimeException) when (block.Outputs.Any(o => state.Options.Strict && state.Context["outputs"] is JsonObject && !TemplateContext.Has(state.Context, "outputs", o)))
        {
            throw new TemplateException(path, block.Expression, $"node '{block.Outputs.First(o => !TemplateContext.Has(state.Context, "outputs", o))}' has not run, so it has no output to read");
        }
        catch (JqRuntimeException e)
        {
            // jq quotes the values it fails on: from a block that read secrets, that may be one.
            throw new TemplateException(path, block.Expression, block.Secrets.Count > 0
                ? "jq: error (its message is withheld: the expression reads secrets)"
                : $"jq: error: {e.Message}");
        }
    }
}
