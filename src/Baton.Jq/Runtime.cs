using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Baton.Jq;

/// <summary>Receives one output (and, when paths are tracked, its path). Returns false to stop the generator.</summary>
internal delegate bool Emit(JsonNode? value, Path? path);

/// <summary>A compiled jq filter: runs on one input, emits every output to <paramref name="k"/>. <paramref name="path"/>
/// is null when only values are wanted, else the input's path (for path(f), assignments, del, paths...). Returns false
/// when a consumer asked to stop (limit, first, label/break); the stop is claimed by whoever asked (<see cref="Ctx.Stopping"/>).</summary>
internal delegate bool Filter(Ctx ctx, Env? env, JsonNode? input, Path? path, Emit k);

/// <summary>The run-time scope: variables, closure parameters and local function definitions, innermost first.</summary>
internal sealed class Env(Env? next, object? value)
{
    public readonly Env? Next = next;
    public object? Value = value;

    public Env Get(int index)
    {
        var e = this;
        for (var i = 0; i < index; i++) e = e.Next!;
        return e;
    }
}

/// <summary>A filter argument passed to a jq-defined function, with the scope it was written in.</summary>
internal sealed class Closure(Filter filter, Env? env)
{
    public readonly Filter Filter = filter;
    public readonly Env? Env = env;
}

/// <summary>A path as an immutable list (shared tails). <see cref="NotAPath"/> marks a value that is not a path of the input.</summary>
internal sealed class Path
{
    public static readonly Path Root = new(null, null, 0);
    public static readonly Path NotAPath = new(null, null, -1);

    public readonly Path? Parent;
    public readonly JsonNode? Key;
    public readonly int Length;

    private Path(Path? parent, JsonNode? key, int length)
    {
        Parent = parent;
        Key = key;
        Length = length;
    }

    public Path Append(JsonNode? key) => new(this, key, Length + 1);

    public JsonArray ToArray(Ctx ctx)
    {
        var keys = new JsonNode?[Length];
        var p = this;
        for (var i = Length - 1; i >= 0; i--)
        {
            keys[i] = Values.Attach(ctx, p!.Key);
            p = p.Parent;
        }
        return new JsonArray(keys);
    }
}

/// <summary>The state of one run: its bounds, counters and the stop signal.</summary>
internal sealed class Ctx(JqLimits limits, JsonNode?[] foreign, IReadOnlyDictionary<string, JsonNode?>? variables)
{
    public readonly JqLimits Limits = limits;
    private readonly JsonNode?[] _foreign = foreign;
    private readonly IReadOnlyDictionary<string, JsonNode?>? _variables = variables;
    private long _steps;
    private int _depth;
    private int _nextToken = 1;

    /// <summary>Who asked the generators to stop (a label, a limit, first...); 0 when nobody.</summary>
    public int Stopping;

    /// <summary>halt was called: the run ends with the outputs it has.</summary>
    public bool Halted;

    public DateTimeOffset? Now;

    public bool IsForeign(JsonNode n)
    {
        foreach (var f in _foreign)
            if (ReferenceEquals(f, n)) return true;
        return false;
    }

    public int NewToken() => _nextToken++;

    /// <summary>A $name the caller bound for this run.</summary>
    public JsonNode? Variable(string name) =>
        _variables is not null && _variables.TryGetValue(name, out var value) ? value : throw JqError.Of($"${name} is not defined");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Step()
    {
        if (++_steps > Limits.MaxSteps) throw new JqLimitError($"the program ran more than {Limits.MaxSteps} steps");
    }

    public void Enter()
    {
        Step();
        if (++_depth > Limits.MaxCallDepth) throw new JqLimitError($"the program recursed more than {Limits.MaxCallDepth} levels deep");
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()) throw new JqLimitError("the program recursed too deeply for the stack");
    }

    public void Exit() => _depth--;

    public void CheckString(int length)
    {
        if (length > Limits.MaxStringLength) throw new JqLimitError($"a string would be longer than {Limits.MaxStringLength} characters");
    }

    public void CheckArray(int length)
    {
        if (length > Limits.MaxArrayLength) throw new JqLimitError($"an array or object would hold more than {Limits.MaxArrayLength} elements");
    }

    /// <summary>Whether a false return means this token's stop; clears the signal when it does.</summary>
    public bool Claim(int token)
    {
        if (Stopping != token) return false;
        Stopping = 0;
        return true;
    }
}
