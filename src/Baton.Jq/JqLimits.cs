namespace Baton.Jq;

/// <summary>The bounds a jq program is parsed and run within. Every bound ends the work with a clear
/// <see cref="JqParseException"/> or <see cref="JqRuntimeException"/>, never a crash or a hang.</summary>
public sealed record JqLimits
{
    /// <summary>The defaults: generous for templates and transforms, small enough that one evaluation stays well under a second.</summary>
    public static JqLimits Default { get; } = new();

    /// <summary>Longest program text, in characters.</summary>
    public int MaxSourceLength { get; init; } = 64 * 1024;

    /// <summary>Deepest nesting of the program (parentheses, brackets, operators, interpolations...).</summary>
    public int MaxNestingDepth { get; init; } = 256;

    /// <summary>Most evaluation steps (function calls, iterations, reductions) in one run.</summary>
    public long MaxSteps { get; init; } = 10_000_000;

    /// <summary>Most results one run may produce.</summary>
    public int MaxOutputs { get; init; } = 100_000;

    /// <summary>Deepest nesting of function calls (recursive defs, recurse, walk...) in one run.</summary>
    public int MaxCallDepth { get; init; } = 2_000;

    /// <summary>Longest string a run may build, in UTF-16 code units.</summary>
    public int MaxStringLength { get; init; } = 10_000_000;

    /// <summary>Most elements an array (or members an object) a run builds may hold.</summary>
    public int MaxArrayLength { get; init; } = 1_000_000;

    /// <summary>Deepest value (arrays and objects inside each other) a run may build or walk.</summary>
    public int MaxValueDepth { get; init; } = 1_000;

    /// <summary>Longest one regular expression match may take.</summary>
    public TimeSpan RegexTimeout { get; init; } = TimeSpan.FromSeconds(1);
}
