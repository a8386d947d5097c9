using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Baton.Core.Expressions;

/// <summary>A path an expression reads: <see cref="Root"/> is its first segment ("workflow", a task reference name).</summary>
public readonly record struct ExpressionReference(string Root, string Path);

/// <summary>Static checks of the <c>${...}</c> expressions in a string, and the secret-reference rule.</summary>
public static class ExpressionSyntax
{
    /// <summary>How deep <c>${a.${b.${c}}}</c> may nest; deeper expressions are rejected (and evaluate to null).</summary>
    internal const int MaxNesting = 16;

    /// <summary>Errors reported for one string at most; a string with thousands of bad expressions gets the first few.</summary>
    internal const int MaxErrorsPerText = 10;

    /// <summary>How much of a long text or path an error message quotes.</summary>
    private const int QuotedLength = 80;

    private const string SecretsPrefix = "workflow.secrets";

    /// <summary>
    /// Checks every <c>${...}</c> in a string: returns the references it makes (root = first path segment,
    /// path = the path text) and adds a message to <paramref name="errors"/> for every expression that does not parse.
    /// Secret references (<c>${workflow.secrets.x}</c>) are returned as references with root "workflow".
    /// </summary>
    public static IReadOnlyList<ExpressionReference> Analyze(string text, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(errors);
        var references = new List<ExpressionReference>();
        if (text.Contains("${", StringComparison.Ordinal))
        {
            Analyze(text, errors, references, 0);
        }

        return references;
    }

    /// <summary>
    /// True when the path reads <c>workflow.secrets</c> (also written <c>$.workflow.secrets</c> or with brackets).
    /// Such expressions are never evaluated: their text stays literal until secrets are resolved at hand-off.
    /// </summary>
    public static bool IsSecretReference(string path) => TryGetSecretName(path, out _) || IsBareSecrets(path);

    /// <summary>
    /// For a secret reference path, the secret's name: everything after <c>workflow.secrets.</c>
    /// (<c>workflow.secrets.db.username</c> names "db.username"). False for other paths.
    /// </summary>
    public static bool TryGetSecretName(string path, [NotNullWhen(true)] out string? name)
    {
        ArgumentNullException.ThrowIfNull(path);
        name = null;
        var p = StripRoot(path.AsSpan().Trim());
        if (p.StartsWith(SecretsPrefix, StringComparison.Ordinal))
        {
            var rest = p[SecretsPrefix.Length..];
            if (rest.Length > 1 && rest[0] == '.')
            {
                name = rest[1..].ToString();
                return true;
            }

            if (rest.IsEmpty || rest[0] != '[')
            {
                return false;
            }
        }

        // Bracket spellings: workflow['secrets']['x'], $['workflow'].secrets.x ...
        if (!path.Contains("secrets", StringComparison.Ordinal)
            || !JsonPath.TryParse(path, out var parsed, out _))
        {
            return false;
        }

        var segments = parsed.Segments;
        if (segments.Length < 3
            || segments[0] is not PropertySegment { Name: "workflow" }
            || segments[1] is not PropertySegment { Name: "secrets" })
        {
            return false;
        }

        var names = new List<string>();
        foreach (var segment in segments[2..])
        {
            if (segment is not PropertySegment property)
            {
                return false;
            }

            names.Add(property.Name);
        }

        name = string.Join('.', names);
        return true;
    }

    /// <summary>"workflow.secrets" alone (no name): still never evaluated, so it can never dump the secrets.</summary>
    private static bool IsBareSecrets(string path)
    {
        var p = StripRoot(path.AsSpan().Trim());
        if (p.StartsWith(SecretsPrefix, StringComparison.Ordinal))
        {
            var rest = p[SecretsPrefix.Length..];
            return rest.IsEmpty || rest[0] is '.' or '[';
        }

        return path.Contains("secrets", StringComparison.Ordinal)
            && JsonPath.TryParse(path, out var parsed, out _)
            && parsed.Segments.Length >= 2
            && parsed.Segments[0] is PropertySegment { Name: "workflow" }
            && parsed.Segments[1] is PropertySegment { Name: "secrets" };
    }

    /// <summary>
    /// The secret references a template string makes, as written (e.g. <c>${workflow.secrets.api-token}</c>) with
    /// the secret's name and the field path inside a JSON secret (empty for the whole value). These are the only
    /// references that may be resolved, at hand-off, in the value this string evaluates to.
    /// </summary>
    public static IReadOnlyList<SecretReference> SecretReferences(string text)
    {
        if (!text.Contains("secrets", StringComparison.Ordinal)) return [];
        var found = new List<SecretReference>();
        var scanner = new ExpressionScanner(text);
        while (scanner.MoveNext())
        {
            var (open, close) = (scanner.Open, scanner.Close);
            if (close < 0) break;
            var path = text[(open + 2)..close];
            if (TryGetSecretName(path, out var name))
            {
                var dot = name.IndexOf('.', StringComparison.Ordinal);
                found.Add(new SecretReference(text[open..(close + 1)], dot < 0 ? name : name[..dot], dot < 0 ? "" : name[(dot + 1)..]));
            }
        }
        return found;
    }

    private static ReadOnlySpan<char> StripRoot(ReadOnlySpan<char> path) =>
        path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;

    /// <summary>
    /// The text quoted in a message: at most <see cref="QuotedLength"/> characters, so an error about a huge string
    /// does not repeat it (a definition's strings may be megabytes long).
    /// </summary>
    internal static string Quote(string text) =>
        text.Length <= QuotedLength ? text : string.Concat(text.AsSpan(0, QuotedLength), "...");

    private static void Analyze(string text, List<string> errors, List<ExpressionReference> references, int depth)
    {
        var scanner = new ExpressionScanner(text);
        var reportedUnterminated = false;
        var reported = 0;
        while (scanner.MoveNext())
        {
            var (open, close) = (scanner.Open, scanner.Close);
            if (close < 0)
            {
                // One report is enough: every later unterminated "${" is the same mistake.
                if (!reportedUnterminated && reported++ < MaxErrorsPerText)
                {
                    errors.Add(string.Create(CultureInfo.InvariantCulture, $"unterminated '${{' at {open} in '{Quote(text)}'"));
                }

                reportedUnterminated = true;
                continue;
            }

            var path = text[(open + 2)..close].Trim();
            if (path.Length == 0)
            {
                continue;
            }

            if (depth >= MaxNesting)
            {
                errors.Add($"expression nested too deeply (more than {MaxNesting} levels) in '{Quote(text)}'");
                return;
            }

            if (IsSecretReference(path))
            {
                references.Add(new ExpressionReference("workflow", StripRoot(path).ToString()));
                continue;
            }

            if (path.Contains("${", StringComparison.Ordinal))
            {
                // The path is built at run time: check the inner expressions, and report the root when it is fixed.
                Analyze(path, errors, references, depth + 1);
                if (StaticRoot(path) is { } root)
                {
                    references.Add(new ExpressionReference(root, StripRoot(path).ToString()));
                }

                continue;
            }

            if (!JsonPath.TryParse(path, out var parsed, out var error))
            {
                if (reported++ < MaxErrorsPerText)
                {
                    errors.Add($"bad path '{Quote(path)}': {error}");
                }
            }
            else if (parsed.RootName is null)
            {
                if (reported++ < MaxErrorsPerText)
                {
                    errors.Add($"bad path '{Quote(path)}': must start with a name (workflow, a task reference name or CPEWF_TASK_ID)");
                }
            }
            else
            {
                references.Add(new ExpressionReference(parsed.RootName, StripRoot(path).ToString()));
            }
        }
    }

    /// <summary>The first name of a path whose later part is dynamic ("task1.output.${...}" -> "task1").</summary>
    private static string? StaticRoot(string path)
    {
        var p = StripRoot(path.AsSpan());
        var end = p.IndexOfAny('.', '[', '$');
        return end > 0 && p[end] != '$' ? p[..end].ToString() : null;
    }
}
