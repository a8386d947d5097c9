using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Jq.Tests;

/// <summary>Equality of JSON values (numbers as doubles, object members in any order), as the tests compare results.</summary>
internal static class JsonCompare
{
    public static bool Same(JsonNode? a, JsonNode? b)
    {
        switch (a)
        {
            case null:
                return b is null || (b is JsonValue bv && bv.GetValueKind() == JsonValueKind.Null);
            case JsonObject oa:
                {
                    if (b is not JsonObject ob || oa.Count != ob.Count) return false;
                    foreach (var (k, v) in oa)
                        if (!ob.TryGetPropertyValue(k, out var w) || !Same(v, w)) return false;
                    return true;
                }
            case JsonArray aa:
                {
                    if (b is not JsonArray ab || aa.Count != ab.Count) return false;
                    for (var i = 0; i < aa.Count; i++)
                        if (!Same(aa[i], ab[i])) return false;
                    return true;
                }
            default:
                {
                    if (b is not JsonValue) return false;
                    var ka = a.GetValueKind();
                    var kb = b.GetValueKind();
                    if (ka != kb) return false;
                    if (ka == JsonValueKind.Number) return Number(a) == Number(b);
                    if (ka == JsonValueKind.String) return a.GetValue<string>() == b.GetValue<string>();
                    return true;
                }
        }
    }

    public static bool Same(IReadOnlyList<JsonNode?> a, IReadOnlyList<JsonNode?> b) =>
        a.Count == b.Count && a.Zip(b).All(pair => Same(pair.First, pair.Second));

    private static double Number(JsonNode n) =>
        double.Parse(n.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);

    public static string Show(IEnumerable<JsonNode?> values) => "[" + string.Join(", ", values.Select(v => v?.ToJsonString() ?? "null")) + "]";
}
