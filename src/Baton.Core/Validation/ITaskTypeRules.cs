using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;

namespace Baton.Core.Validation;

/// <summary>
/// What the definition validator asks of the engine's task types: which types exist, and what each one requires of a
/// task that uses it. The validator checks what every task shares (names, references, expressions, nesting); the
/// rest belongs to the type.
/// </summary>
public interface ITaskTypeRules
{
    IEnumerable<string> Names { get; }

    bool IsKnown(string type);

    void Validate(TaskCheck check);
}

/// <summary>One task being validated, where it stands, and where its problems go.</summary>
/// <param name="Siblings">The list that holds the task; <paramref name="Index"/> is its place in it.</param>
/// <param name="Ancestors">The tasks whose nested lists hold this task, outermost first.</param>
/// <param name="References">Every task reference name of the definition.</param>
public sealed record TaskCheck(
    WorkflowTask Task,
    string Path,
    IReadOnlyList<WorkflowTask> Siblings,
    int Index,
    IReadOnlyList<WorkflowTask> Ancestors,
    IReadOnlySet<string> References,
    List<ValidationProblem> Problems)
{
    public JsonObject? Input => Task.InputParameters;

    public void Problem(string relativePath, string message) => Problems.Add(new(Path + relativePath, message));

    /// <summary>Requires a non-blank string at <c>input[key]</c> (or in <paramref name="container"/>, found at <paramref name="containerPath"/>).</summary>
    public void RequireString(string key, JsonObject? container = null, string containerPath = ".inputParameters")
    {
        var node = (container ?? Input)?[key];
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetValue<string>()))
        {
            Problem($"{containerPath}.{key}", $"{key} is required");
        }
    }

    public string? InputString(string key) =>
        Input?[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
