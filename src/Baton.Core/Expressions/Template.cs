using System.Collections.Concurrent;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Core.Expressions;

/// <summary>
/// A template string compiled once: literal text and expressions. Compiled forms are cached by text, since the
/// same definition strings are evaluated on every task scheduling.
/// </summary>
internal sealed class Template
{
    private const int CacheLimit = 8192;
    private static readonly ConcurrentDictionary<string, Template> Cache = new(StringComparer.Ordinal);
    private static int cacheCount;

    private readonly TemplatePart[] parts;

    /// <summary>The result when the text has no expression ("$${" already unescaped).</summary>
    private readonly string? constant;

    private Template(TemplatePart[] parts)
    {
        this.parts = parts;
        if (parts.Length == 0)
        {
            constant = "";
        }
        else if (parts.Length == 1 && parts[0] is LiteralPart literal)
        {
            constant = literal.Text;
        }
    }

    public static Template Get(string text)
    {
        if (Cache.TryGetValue(text, out var cached))
        {
            return cached;
        }

        var compiled = Compile(text, 0);
        if (Cache.TryAdd(text, compiled) && Interlocked.Increment(ref cacheCount) > CacheLimit)
        {
            // Bounded: definitions come and go; recompiling after a reset is cheap.
            Cache.Clear();
            Interlocked.Exchange(ref cacheCount, 0);
        }

        return compiled;
    }

    /// <summary>Top-level rule: a string that is exactly one expression yields the typed value; else text.</summary>
    public JsonNode? Evaluate(IExpressionScope scope)
    {
        if (constant is not null)
        {
            return JsonValue.Create(constant);
        }

        if (parts.Length == 1 && parts[0] is ExpressionPart single)
        {
            var value = single.Read(scope, out var fresh);
            return fresh ? value : value?.DeepClone();
        }

        return JsonValue.Create(EvaluateText(scope));
    }

    /// <summary>The interpolated text (used for mixed strings and for paths built from nested expressions).</summary>
    public string EvaluateText(IExpressionScope scope)
    {
        if (constant is not null)
        {
            return constant;
        }

        var builder = new StringBuilder();
        foreach (var part in parts)
        {
            part.AppendText(builder, scope);
        }

        return builder.ToString();
    }

    private static Template Compile(string text, int depth)
    {
        var parts = new List<TemplatePart>();
        var literalStart = 0;
        var scanner = new ExpressionScanner(text);
        while (scanner.MoveNext())
        {
            var (open, close) = (scanner.Open, scanner.Close);
            if (close < 0)
            {
                continue; // unterminated: stays literal text, as in Conductor
            }

            if (open > literalStart)
            {
                parts.Add(new LiteralPart(Unescape(text[literalStart..open])));
            }

            parts.Add(CompileExpression(text[(open + 2)..close], text[open..(close + 1)], depth));
            literalStart = close + 1;
        }

        if (literalStart < text.Length)
        {
            parts.Add(new LiteralPart(Unescape(text[literalStart..])));
        }

        return new Template([.. parts]);
    }

    private static ExpressionPart CompileExpression(string path, string original, int depth)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return BlankExpression.Instance;
        }

        if (ExpressionSyntax.IsSecretReference(path))
        {
            return new SecretExpression(original);
        }

        if (path.Contains("${", StringComparison.Ordinal))
        {
            return depth >= ExpressionSyntax.MaxNesting
                ? new PathExpression(null)
                : new DynamicExpression(Compile(path, depth + 1), original);
        }

        return new PathExpression(JsonPath.TryParse(path, out var parsed, out _) ? parsed : null);
    }

    /// <summary>"$${" is the escape for a literal "${" (only in literal text, never in substituted values).</summary>
    private static string Unescape(string literal) =>
        literal.Contains("$${", StringComparison.Ordinal) ? literal.Replace("$${", "${", StringComparison.Ordinal) : literal;
}

internal abstract class TemplatePart
{
    public abstract void AppendText(StringBuilder builder, IExpressionScope scope);
}

internal sealed class LiteralPart(string text) : TemplatePart
{
    public string Text { get; } = text;

    public override void AppendText(StringBuilder builder, IExpressionScope scope) => builder.Append(Text);
}

internal abstract class ExpressionPart : TemplatePart
{
    private static readonly JsonSerializerOptions TextOptions = new()
    {
        // Interpolated text is for people and services, not for HTML: keep non-ASCII and quotes as they are.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The value; when <paramref name="fresh"/> is false it may belong to the scope and must be cloned.</summary>
    public abstract JsonNode? Read(IExpressionScope scope, out bool fresh);

    public override void AppendText(StringBuilder builder, IExpressionScope scope)
    {
        var value = Read(scope, out _);
        if (value is null)
        {
            builder.Append("null"); // Conductor: Objects.toString(null)
        }
        else if (value is JsonValue v && v.TryGetValue<string>(out var s))
        {
            builder.Append(s);
        }
        else
        {
            builder.Append(value.ToJsonString(TextOptions));
        }
    }
}

/// <summary>${} or ${  }: the empty string.</summary>
internal sealed class BlankExpression : ExpressionPart
{
    public static readonly BlankExpression Instance = new();

    public override JsonNode? Read(IExpressionScope scope, out bool fresh)
    {
        fresh = true;
        return JsonValue.Create("");
    }
}

/// <summary>${workflow.secrets.x}: never evaluated; the original text stays for resolution at hand-off.</summary>
internal sealed class SecretExpression(string original) : ExpressionPart
{
    public override JsonNode? Read(IExpressionScope scope, out bool fresh)
    {
        fresh = true;
        return JsonValue.Create(original);
    }
}

/// <summary>A fixed path; null when it did not parse (Conductor logs and yields null).</summary>
internal sealed class PathExpression(JsonPath? path) : ExpressionPart
{
    public override JsonNode? Read(IExpressionScope scope, out bool fresh)
    {
        if (path is null)
        {
            fresh = true;
            return null;
        }

        return path.SelectInScope(scope, out _, out fresh);
    }
}

/// <summary>A path with nested expressions, e.g. ${workflow.input.${workflow.input.key}}: inner ones first.</summary>
internal sealed class DynamicExpression(Template pathTemplate, string original) : ExpressionPart
{
    public override JsonNode? Read(IExpressionScope scope, out bool fresh)
    {
        fresh = true;
        var path = pathTemplate.EvaluateText(scope);
        if (string.IsNullOrWhiteSpace(path))
        {
            return JsonValue.Create("");
        }

        if (ExpressionSyntax.IsSecretReference(path))
        {
            // Data must not be able to turn itself into a secret reference: keep the expression as written.
            return JsonValue.Create(original);
        }

        return JsonPath.GetCached(path) is { } compiled ? compiled.SelectInScope(scope, out _, out fresh) : null;
    }
}
