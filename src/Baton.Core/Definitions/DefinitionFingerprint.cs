using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Baton.Core.Json;

namespace Baton.Core.Definitions;

/// <summary>
/// A workflow definition's content, as 32 hex digits of SHA-256 over its JSON without the save stamps (create and
/// update times, createdBy, updatedBy). Two saves of the same text have the same fingerprint; any change to what runs
/// changes it. A secret bound to a definition is bound to this, so a later edit by someone else is not covered.
/// </summary>
public static class DefinitionFingerprint
{
    private static readonly string[] Stamps = ["createTime", "updateTime", "createdBy", "updatedBy"];

    // A run keeps its definition object for its whole life: the hash is worked out once per object.
    private static readonly ConditionalWeakTable<WorkflowDef, string> Known = [];

    public static string Of(WorkflowDef def) => Known.GetValue(def, Compute);

    private static string Compute(WorkflowDef def)
    {
        var json = JsonNode.Parse(BatonJson.Serialize(def))!.AsObject();
        foreach (var stamp in Stamps) json.Remove(stamp);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(json.ToJsonString()));
        return Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }
}
