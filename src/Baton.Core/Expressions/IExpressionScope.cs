using System.Text.Json.Nodes;

namespace Baton.Core.Expressions;

/// <summary>Supplies the values an expression may read, by the first segment of its path.</summary>
public interface IExpressionScope
{
    /// <summary>
    /// "workflow" -> the workflow document; a task reference name -> that task's document;
    /// "CPEWF_TASK_ID" -> the current task id. false when unknown (the expression then yields null).
    /// </summary>
    bool TryGetRoot(string name, out JsonNode? value);
}

/// <summary>A secret reference as written in a template, the secret it names, and the field of a JSON secret ("" for the whole value).</summary>
public sealed record SecretReference(string Text, string Secret, string Field);
