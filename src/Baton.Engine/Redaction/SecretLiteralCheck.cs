using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Validation;
using Baton.Secrets.Redaction;

namespace Baton.Engine.Redaction;

/// <summary>
/// Refuses definitions and start requests that carry the literal value of a secret (in any encoding the redactor
/// knows), naming the secret and the reference to write instead. Values belong in the vault, not in definitions.
/// </summary>
public static class SecretLiteralCheck
{
    public static void Check(SecretRedactor redactor, JsonNode? node, string path, List<ValidationProblem> problems)
    {
        if (redactor.PatternCount == 0 || node is null) return;
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj)
                {
                    if (redactor.FindSecretName(key) is { } inKey) problems.Add(Problem($"{path}.{key}", inKey));
                    Check(redactor, child, $"{path}.{key}", problems);
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++) Check(redactor, array[i], $"{path}[{i}]", problems);
                break;
            case JsonValue value when value.GetValueKind() is JsonValueKind.String or JsonValueKind.Number:
                var text = value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
                if (redactor.FindSecretName(text) is { } name) problems.Add(Problem(path, name));
                break;
        }
    }

    /// <summary>The problem, naming the reference to write in the document's own syntax: a node template under <c>$.nodes</c>, else Conductor's.</summary>
    private static ValidationProblem Problem(string path, string secret) =>
        new(path, $"this holds the value of secret '{secret}'; write the reference {(path.StartsWith("$.nodes", StringComparison.Ordinal) ? $"{{{{ .secrets[\"{secret}\"] }}}}" : $"${{workflow.secrets.{secret}}}")} instead, so the value stays in the vault");
}
