using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Jq.Templates;

/// <summary>
/// What a block reads of its context, decided on its syntax tree before anything runs, conservatively: a block may
/// read a secret only as <c>.secrets.NAME</c> (or <c>.secrets["NAME"]</c>, <c>.secrets."NAME"</c>, with <c>?</c>),
/// a literal path from the context's root; and no block may hand the context's root, or <c>.secrets</c> whole, to
/// anything: a bare <c>.</c>, <c>..</c>, <c>.[]</c>, a computed key (<c>.[$k]</c>), an assignment, a format
/// (<c>@json</c>), a <c>def</c>, or any function but those that ignore their input, applied where <c>.</c> is the
/// root, is refused. Past the first stage of a pipe <c>.</c> is what that stage produced (<c>.outputs | keys</c> is
/// fine), and that stage could not produce the root. So the secrets a block reads are exactly the names listed,
/// and the runtime gives it those and no others.
/// </summary>
internal static class TemplateAnalysis
{
    /// <summary>Functions that never read their input: they may run where <c>.</c> is the context's root.</summary>
    private static readonly HashSet<string> IgnoreInput = new(StringComparer.Ordinal)
    {
        "empty", "error", "env", "now", "range", "not", "null", "true", "false", "infinite", "nan", "input_line_number",
        "spreadValue", "limit", "first", "last",
    };

    public sealed record Reads(List<string> Secrets, List<string> Outputs);

    /// <summary>The secrets and outputs a block reads; throws a <see cref="TemplateException"/> naming what it refuses.</summary>
    public static Reads Of(Ast ast, string path, string expression, TemplateOptions options)
    {
        var reads = new Reads([], []);
        Walk(ast, root: true, reads, Fail);
        if (!options.AllowSecrets && reads.Secrets.Count > 0)
        {
            throw new TemplateException(path, expression, "secrets cannot be read here (only a node's config may read them)");
        }
        return reads;

        void Fail(string why) => throw new TemplateException(path, expression,
            $"{why}; a template reads secrets only as .secrets.NAME or .secrets[\"NAME\"], and never hands the whole context or .secrets to anything");
    }

    private static void Walk(Ast ast, bool root, Reads reads, Action<string> fail)
    {
        switch (ast)
        {
            case LiteralAst:
                return;
            case IdentityAst:
                if (root) fail("'.' here is the whole context");
                return;
            case RecurseAst:
                if (root) fail("'..' here walks the whole context");
                return;
            case IndexAst { Target: IndexAst { Target: IdentityAst, Index: var group }, Index: var name } when root && Text(group) == "secrets":
                if (Text(name) is not { } secret) fail(".secrets is indexed by something other than a literal name");
                else if (!reads.Secrets.Contains(secret)) reads.Secrets.Add(secret);
                return;
            case IndexAst { Target: IdentityAst, Index: var key } when root:
                var field = Text(key);
                if (field is null) fail("a key computed from data is read from the whole context");
                else if (field == "secrets") fail(".secrets is used whole");
                return;
            case IndexAst { Target: IndexAst { Target: IdentityAst, Index: var group }, Index: var node } index when root && Text(group) == "outputs":
                if (Text(node) is { } output && !reads.Outputs.Contains(output)) reads.Outputs.Add(output);
                Walk(index.Index, root, reads, fail);
                return;
            case IndexAst index:
                Walk(index.Target, root, reads, fail);
                Walk(index.Index, root, reads, fail);
                return;
            case SliceAst slice:
                if (root && slice.Target is IdentityAst) fail("a slice of the whole context");
                Walk(slice.Target, root, reads, fail);
                if (slice.From is not null) Walk(slice.From, root, reads, fail);
                if (slice.To is not null) Walk(slice.To, root, reads, fail);
                return;
            case IterateAst iterate:
                Walk(iterate.Target, root, reads, fail);
                return;
            case TryAst attempt:
                Walk(attempt.Body, root, reads, fail);
                if (attempt.Catch is not null) Walk(attempt.Catch, root: false, reads, fail);
                return;
            case PipeAst pipe:
                Walk(pipe.Stages[0], root, reads, fail);
                for (var i = 1; i < pipe.Stages.Length; i++) Walk(pipe.Stages[i], root: false, reads, fail);
                return;
            case CommaAst comma:
                foreach (var item in comma.Items) Walk(item, root, reads, fail);
                return;
            case NegAst neg:
                Walk(neg.Operand, root, reads, fail);
                return;
            case BinaryAst binary:
                Walk(binary.Left, root, reads, fail);
                Walk(binary.Right, root, reads, fail);
                return;
            case AndAst and:
                Walk(and.Left, root, reads, fail);
                Walk(and.Right, root, reads, fail);
                return;
            case OrAst or:
                Walk(or.Left, root, reads, fail);
                Walk(or.Right, root, reads, fail);
                return;
            case AltAst alt:
                Walk(alt.Left, root, reads, fail);
                Walk(alt.Right, root, reads, fail);
                return;
            case AssignAst assign:
                if (root) fail("an assignment here returns the whole context");
                Walk(assign.Left, root, reads, fail);
                Walk(assign.Right, root, reads, fail);
                return;
            case IfAst branch:
                Walk(branch.Cond, root, reads, fail);
                Walk(branch.Then, root, reads, fail);
                Walk(branch.Else, root, reads, fail);
                return;
            case ArrayAst array:
                if (array.Body is not null) Walk(array.Body, root, reads, fail);
                return;
            case ObjectAst obj:
                foreach (var entry in obj.Entries)
                {
                    Walk(entry.Key, root, reads, fail);
                    Walk(entry.Value, root, reads, fail);
                }
                return;
            case StringAst text:
                foreach (var part in text.Parts)
                {
                    if (part is Ast inner) Walk(inner, root, reads, fail);
                }
                return;
            case FormatAst:
                if (root) fail("a format here is applied to the whole context");
                return;
            case VarAst:
                return;
            case CallAst call:
                if (call.Name is "input" or "inputs" or "getpath" or "paths" or "leaf_paths" or "tostream" or "$__loc__") fail($"'{call.Name}' reads data a template may not");
                // error, first and last without arguments read their input (the message, .[0], .[-1]).
                if (root && (!IgnoreInput.Contains(call.Name) || (call.Args.Length == 0 && call.Name is "error" or "first" or "last")))
                {
                    fail($"'{call.Name}' here is applied to the whole context");
                }
                foreach (var arg in call.Args) Walk(arg, root, reads, fail);
                return;
            case DefsAst:
                fail("a template may not define functions");
                return;
            case BindAst bind:
                Walk(bind.Source, root, reads, fail);
                WalkPattern(bind.Pattern, root, reads, fail);
                Walk(bind.Body, root, reads, fail);
                return;
            case ReduceAst reduce:
                Walk(reduce.Source, root, reads, fail);
                WalkPattern(reduce.Pattern, root, reads, fail);
                Walk(reduce.Init, root, reads, fail);
                Walk(reduce.Update, root: false, reads, fail);
                return;
            case ForeachAst each:
                Walk(each.Source, root, reads, fail);
                WalkPattern(each.Pattern, root, reads, fail);
                Walk(each.Init, root, reads, fail);
                Walk(each.Update, root: false, reads, fail);
                if (each.Extract is not null) Walk(each.Extract, root: false, reads, fail);
                return;
            case LabelAst label:
                Walk(label.Body, root, reads, fail);
                return;
            case BreakAst:
                return;
            default:
                fail($"'{ast.GetType().Name}' is not allowed in a template");
                return;
        }
    }

    private static void WalkPattern(Pattern pattern, bool root, Reads reads, Action<string> fail)
    {
        switch (pattern)
        {
            case ArrayPattern array:
                foreach (var item in array.Items) WalkPattern(item, root, reads, fail);
                break;
            case ObjectPattern obj:
                foreach (var entry in obj.Entries)
                {
                    if (entry.Key is not null) Walk(entry.Key, root, reads, fail);
                    if (entry.Value is not null) WalkPattern(entry.Value, root, reads, fail);
                }
                break;
        }
    }

    /// <summary>A literal string key, or null.</summary>
    private static string? Text(Ast key) =>
        key is LiteralAst { Value: JsonValue value } && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
}
