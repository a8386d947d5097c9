using System.Text.Json.Nodes;

namespace Baton.Jq.Templates;

/// <summary>A template that cannot be compiled or rendered: where (<see cref="Path"/>), which block, and why; never a secret's value.</summary>
public sealed class TemplateException : Exception
{
    public TemplateException() : this("$", null, "template error") { }

    public TemplateException(string message) : this("$", null, message) { }

    public TemplateException(string message, Exception innerException) : base(message, innerException) => Path = "$";

    public TemplateException(string path, string? expression, string reason)
        : base(expression is null ? $"{path}: {reason}" : $"{path}: {{{{ {expression} }}}}: {reason}")
    {
        Path = path;
        Expression = expression;
        Reason = reason;
    }

    /// <summary>The JSON path of the field (or key) whose template failed.</summary>
    public string Path { get; }

    /// <summary>The failing block's jq, when one block failed.</summary>
    public string? Expression { get; }

    /// <summary>Why, without the path.</summary>
    public string Reason { get; } = "";
}

/// <summary>How a template is compiled and rendered.</summary>
public sealed record TemplateOptions
{
    /// <summary>
    /// Loud rendering (Baton's, unlike Port's): a block reading a secret the context lacks, or a node's output the
    /// context lacks (<c>.outputs.n</c> of a node that has not run), fails instead of rendering null.
    /// </summary>
    public bool Strict { get; init; } = true;

    /// <summary>Whether blocks may read <c>.secrets</c> at all (false for a node's <c>variables</c> and <c>links</c>).</summary>
    public bool AllowSecrets { get; init; } = true;
}

/// <summary>One step of a path into JSON: an object's key, or an array's index when <see cref="Key"/> is null.</summary>
public readonly record struct TemplatePathStep(string? Key, int Index);

/// <summary>A string of the template that holds blocks: where it is and what its blocks read.</summary>
/// <param name="Path">Steps from the template's root.</param>
/// <param name="PathText">The same path as JSON path text, from the root path given to <see cref="JqTemplate.Compile"/>.</param>
/// <param name="Secrets">The secrets its blocks read, by name, each once.</param>
/// <param name="Outputs">The nodes whose outputs its blocks read by a literal name, each once.</param>
public sealed record TemplateField(IReadOnlyList<TemplatePathStep> Path, string PathText, IReadOnlyList<string> Secrets, IReadOnlyList<string> Outputs);

/// <summary>One <c>{{ … }}</c> block of a template string, compiled and analysed.</summary>
internal sealed record TemplateBlock(string Expression, JqProgram Program, IReadOnlyList<string> Secrets, IReadOnlyList<string> Outputs, bool IsSpread);

/// <summary>A template string cut into literal text (strings) and blocks.</summary>
internal sealed record TemplateString(string Text, object[] Parts)
{
    /// <summary>Exactly one block and nothing but blanks around it: the block's value keeps its JSON type.</summary>
    public bool IsWholeField => Parts.Length == 1 && Parts[0] is TemplateBlock
        || (Parts.Length is 2 or 3 && Parts.Count(p => p is TemplateBlock) == 1 && Parts.All(p => p is TemplateBlock || string.IsNullOrWhiteSpace((string)p)));

    public IEnumerable<TemplateBlock> Blocks => Parts.OfType<TemplateBlock>();

    public bool ReadsSecrets => Blocks.Any(b => b.Secrets.Count > 0);
}

/// <summary>The context a template is rendered with is a plain object: <c>outputs</c>, <c>secrets</c>, <c>workflow</c>...</summary>
internal static class TemplateContext
{
    public static bool Has(JsonObject context, string group, string name) =>
        context[group] is JsonObject values && values.ContainsKey(name);
}
