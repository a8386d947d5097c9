namespace Baton.Core.Definitions;

/// <summary>The task type names of the Conductor format that Baton runs.</summary>
public static class TaskTypes
{
    public const string Simple = "SIMPLE";
    public const string Http = "HTTP";
    public const string Inline = "INLINE";
    public const string Switch = "SWITCH";
    public const string SetVariable = "SET_VARIABLE";
    public const string Terminate = "TERMINATE";
    public const string Noop = "NOOP";
    public const string UpdateSecret = "UPDATE_SECRET";

    /// <summary>Types a definition may use today.</summary>
    public static readonly IReadOnlySet<string> Supported = new HashSet<string>(StringComparer.Ordinal)
    {
        Simple, Http, Inline, Switch, SetVariable, Terminate, Noop, UpdateSecret,
    };

    /// <summary>Types the server executes itself (everything but worker-polled SIMPLE tasks).</summary>
    public static bool IsSystem(string type) => type != Simple;
}
