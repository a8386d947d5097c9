using System.Text.Json.Nodes;

namespace Baton.Bench.Load;

/// <summary>
/// The benchmark workflow: HTTP to the echo peer, INLINE transform, HTTP again. Output d must be 2n.
/// In the secret-header variant both HTTP tasks carry headers X-Secret-i: ${workflow.secrets.bench-secret-i};
/// the plain variant it is compared with carries the same headers with literal values of the same length.
/// </summary>
internal static class BenchWorkflow
{
    public const string Name = "bench_three_step";
    public const int Version = 1;

    /// <summary>The secret-header variant, registered beside version 1 by --compare-secrets.</summary>
    public const int SecretsVersion = 2;

    public static string SecretName(int i) => $"bench-secret-{i}";

    public static string SecretHeader(int i) => $"X-Secret-{i}";

    public static JsonObject Build(Uri echoUri, int secretHeaders, int version = Version) =>
        Build(echoUri, version, secretHeaders > 0
            ? Enumerable.Range(1, secretHeaders).ToDictionary(SecretHeader, i => $"${{workflow.secrets.{SecretName(i)}}}")
            : null);

    /// <summary>
    /// The workflow with <paramref name="headers"/> (name → value text, literal or a reference) on both HTTP tasks;
    /// without them, the standalone benchmark's one literal header on the first task.
    /// </summary>
    public static JsonObject Build(Uri echoUri, int version, IReadOnlyDictionary<string, string>? headers)
    {
        ArgumentNullException.ThrowIfNull(echoUri);
        return new JsonObject
        {
            ["name"] = Name,
            ["description"] = "Baton load benchmark: HTTP, INLINE, HTTP",
            ["version"] = version,
            ["schemaVersion"] = 2,
            ["ownerEmail"] = "bench@baton.local",
            ["timeoutSeconds"] = 0,
            ["inputParameters"] = new JsonArray("n"),
            ["tasks"] = new JsonArray(
                HttpTask("call_one", echoUri, headers ?? new Dictionary<string, string> { ["X-Step"] = "one" }, new JsonObject { ["n"] = "${workflow.input.n}" }),
                new JsonObject
                {
                    ["name"] = "transform",
                    ["taskReferenceName"] = "transform",
                    ["type"] = "INLINE",
                    ["inputParameters"] = new JsonObject
                    {
                        ["evaluatorType"] = "javascript",
                        ["value"] = "${call_one.output.response.body.body.n}",
                        ["expression"] = "(function(){ return { doubled: $.value * 2 }; })()",
                    },
                },
                HttpTask("call_two", echoUri, headers ?? new Dictionary<string, string>(), new JsonObject { ["d"] = "${transform.output.result.doubled}" })),
            ["outputParameters"] = new JsonObject { ["d"] = "${call_two.output.response.body.body.d}" },
        };
    }

    private static JsonObject HttpTask(string reference, Uri echoUri, IReadOnlyDictionary<string, string> headers, JsonObject body)
    {
        var request = new JsonObject
        {
            ["uri"] = echoUri.ToString(),
            ["method"] = "POST",
        };
        if (headers.Count > 0)
        {
            request["headers"] = new JsonObject(headers.Select(h => KeyValuePair.Create(h.Key, (JsonNode?)h.Value)));
        }

        request["body"] = body;
        return new JsonObject
        {
            ["name"] = reference,
            ["taskReferenceName"] = reference,
            ["type"] = "HTTP",
            ["inputParameters"] = new JsonObject { ["http_request"] = request },
        };
    }
}
