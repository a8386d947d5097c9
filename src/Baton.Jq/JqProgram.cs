using System.Text.Json.Nodes;

namespace Baton.Jq;

/// <summary>A compiled jq program. Compile once (it is immutable, so it can be cached and run from many threads at
/// once), then run it on inputs. Results never have a parent node, so they can go straight into another document;
/// a result may be the input itself (or a variable's value) when the program returns it unchanged.</summary>
public sealed class JqProgram
{
    private static readonly Lazy<Dictionary<string, FuncInfo>> Globals = new(() =>
    {
        var globals = new Dictionary<string, FuncInfo>(StringComparer.Ordinal);
        var limits = JqLimits.Default with { MaxSourceLength = int.MaxValue };
        var source = Builtins.Library + "\n.";
        Compiler.CompileBuiltins(source, Parser.Parse(source, limits), globals);
        return globals;
    });

    private readonly Filter _filter;
    private readonly (string? Name, double Index)[]? _simplePath;

    private JqProgram(string source, JqLimits limits, Filter filter, (string? Name, double Index)[]? simplePath)
    {
        Source = source;
        Limits = limits;
        _filter = filter;
        _simplePath = simplePath;
    }

    /// <summary>The program's text.</summary>
    public string Source { get; }

    /// <summary>The bounds every run of this program is held to.</summary>
    public JqLimits Limits { get; }

    /// <summary>Parses and compiles a program.</summary>
    /// <param name="source">The jq program.</param>
    /// <param name="limits">Bounds for parsing and for every run (default: <see cref="JqLimits.Default"/>).</param>
    /// <param name="variables">The names of the $variables callers will bind; an unknown $name is then a compile error.
    /// Null allows any name (an unbound one is a run-time error).</param>
    /// <exception cref="JqParseException">The text is not a valid program, exceeds a bound, or names an unknown function.</exception>
    public static JqProgram Compile(string source, JqLimits? limits = null, IEnumerable<string>? variables = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        limits ??= JqLimits.Default;
        var ast = Parser.Parse(source, limits);
        var filter = Compiler.CompileProgram(source, ast, Globals.Value, variables is null ? null : [.. variables]);
        return new JqProgram(source, limits, filter, SimplePath(ast));
    }

    /// <summary>A chain of constant fields and indexes from "." (such as .a.b[0]) walks the nodes directly.</summary>
    private static (string? Name, double Index)[]? SimplePath(Ast ast)
    {
        var keys = new List<JsonNode>();
        while (ast is IndexAst { Index: LiteralAst { Value: { } key } } ix && Values.Kind(key) is JqKind.String or JqKind.Number)
        {
            keys.Add(key);
            ast = ix.Target;
        }
        if (ast is not IdentityAst || keys.Count == 0) return null;
        keys.Reverse();
        return [.. keys.Select(k => Values.TryString(k, out var name) ? (name, 0.0) : ((string?)null, Values.Number(k)))];
    }

    /// <summary>Runs the program on one input and returns every result, in order.</summary>
    /// <exception cref="JqRuntimeException">The program raised an error, or a bound was exceeded.</exception>
    public IReadOnlyList<JsonNode?> Run(JsonNode? input, IReadOnlyDictionary<string, JsonNode?>? variables = null)
    {
        if (_simplePath is not null && TryWalk(input, out var walked)) return [Detach(walked)];
        var results = new List<JsonNode?>();
        Execute(input, variables, (x, _) =>
        {
            if (results.Count >= Limits.MaxOutputs) throw new JqLimitError($"the program produced more than {Limits.MaxOutputs} results");
            results.Add(x);
            return true;
        });
        for (var i = 0; i < results.Count; i++)
        {
            var r = results[i];
            if (r is null) continue;
            var shared = r.Parent is not null;
            for (var j = 0; j < i && !shared; j++) shared = ReferenceEquals(results[j], r);
            if (shared) results[i] = r.DeepClone();
        }
        return results;
    }

    /// <summary>The first result, or null when there is none (the rest are not computed).</summary>
    public JsonNode? First(JsonNode? input, IReadOnlyDictionary<string, JsonNode?>? variables = null) =>
        TryFirst(input, variables, out var result) ? result : null;

    /// <summary>Whether there is a result, and the first one (the rest are not computed).</summary>
    public bool TryFirst(JsonNode? input, IReadOnlyDictionary<string, JsonNode?>? variables, out JsonNode? result)
    {
        if (_simplePath is not null && TryWalk(input, out var walked))
        {
            result = Detach(walked);
            return true;
        }
        JsonNode? found = null;
        var any = false;
        Execute(input, variables, (x, _) =>
        {
            found = x;
            any = true;
            return false;
        });
        result = Detach(found);
        return any;
    }

    /// <summary>The one result; a <see cref="JqRuntimeException"/> when there is none or more than one.</summary>
    public JsonNode? Single(JsonNode? input, IReadOnlyDictionary<string, JsonNode?>? variables = null)
    {
        var results = Run(input, variables);
        return results.Count == 1 ? results[0] : throw new JqRuntimeException(null, $"the program produced {results.Count} results where one was expected", false);
    }

    private static JsonNode? Detach(JsonNode? n) => n is { Parent: not null } ? n.DeepClone() : n;

    private bool TryWalk(JsonNode? input, out JsonNode? result)
    {
        var cur = input;
        foreach (var (name, index) in _simplePath!)
        {
            switch (cur)
            {
                case null:
                    break;
                case JsonObject o when name is not null:
                    cur = o.TryGetPropertyValue(name, out var next) ? next : null;
                    break;
                case JsonArray a when name is null && index == Math.Floor(index):
                    var i = index < 0 ? index + a.Count : index;
                    cur = i >= 0 && i < a.Count ? a[(int)i] : null;
                    break;
                default:
                    result = null;
                    return false;
            }
        }
        result = cur;
        // Non-finite numbers and odd value kinds take the general path, which normalises them.
        if (cur is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number && Values.TryNumber(v, out var x) && !double.IsFinite(x)) return false;
        return true;
    }

    private void Execute(JsonNode? input, IReadOnlyDictionary<string, JsonNode?>? variables, Emit k)
    {
        var foreign = new List<JsonNode?> { input };
        if (variables is not null) foreach (var v in variables.Values) foreign.Add(v);
        var ctx = new Ctx(Limits, [.. foreign], variables);
        Values.NonFiniteMade = false;
        try
        {
            _filter(ctx, null, input, null, (x, p) => k(Values.NonFiniteMade ? Values.Sanitize(x) : x, p));
        }
        catch (JqError e)
        {
            throw new JqRuntimeException(e.Value, Values.ErrorMessage(e.Value), isLimit: false);
        }
        catch (JqLimitError e)
        {
            throw new JqRuntimeException(JsonValue.Create(e.Message), e.Message, isLimit: true);
        }
        catch (HaltError e)
        {
            throw new JqRuntimeException(e.Value, $"halt_error: {Values.ErrorMessage(e.Value)}", isLimit: false);
        }
        catch (Downstream d)
        {
            throw new JqRuntimeException(d.Inner.Value, Values.ErrorMessage(d.Inner.Value), isLimit: false);
        }
        catch (InsufficientExecutionStackException)
        {
            throw new JqRuntimeException(JsonValue.Create("the program recursed too deeply for the stack"), "the program recursed too deeply for the stack", isLimit: true);
        }
    }
}
