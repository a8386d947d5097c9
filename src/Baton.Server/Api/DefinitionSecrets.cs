using Baton.Core.Definitions;
using Baton.Core.Expressions;
using Baton.Core.Json;
using Baton.Engine.Tasks.Nodes;

namespace Baton.Server.Api;

/// <summary>
/// The secrets a definition names, found as the engine finds them: Conductor's <c>${workflow.secrets.NAME}</c>
/// references (<see cref="ExpressionSyntax.SecretReferences"/>) and, for a node workflow, the secrets each node's
/// templates read (<see cref="NodeTemplates.SecretFields"/>, what a node's hand-off resolves).
/// </summary>
public static class DefinitionSecrets
{
    public static IReadOnlyList<string> Names(WorkflowDef def)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var reference in ExpressionSyntax.SecretReferences(BatonJson.Serialize(def))) names.Add(reference.Secret);
        if (NodeWiring.IsNodeWorkflow(def))
        {
            foreach (var task in def.Tasks)
            {
                foreach (var (_, secrets) in NodeTemplates.SecretFields(task)) names.UnionWith(secrets);
            }
        }
        return [.. names];
    }
}
