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

    /// <summary>The shapes --shape can run: the three-step workflow, a 10-branch fork of HTTP calls, a 10-iteration loop of HTTP calls.</summary>
    public static readonly IReadOnlyList<string> Shapes = ["three-step", "fork10", "loop10"];

    /// <summary>The workflow name of a shape (the three-step one keeps its historical name).</summary>
    public static string NameOf(string shape) => shape switch
    {
        "fork10" => "bench_fork_ten",
        "loop10" => "bench_loop_ten",
        _ => Name,
    };

    /// <summary>
    /// The operator shapes, each ending with output d = 2n like the three-step one: FORK_JOIN of 10 branches, one HTTP call
    /// to the echo peer each, joined, then INLINE; or DO_WHILE of 10 iterations of one HTTP call, then INLINE.
    /// </summary>
    public static JsonObject BuildShape(string shape, Uri echoUri)
    {
        ArgumentNullException.ThrowIfNull(echoUri);
        var call = (string reference) => HttpTask(reference, echoUri, new Dictionary<string, string>(), new JsonObject { ["n"] = "${workflow.input.n}" });
        JsonArray tasks = shape switch
        {
            "fork10" => new JsonArray(
                new JsonObject
                {
                    ["name"] = "fan_out",
                    ["taskReferenceName"] = "fan_out",
                    ["type"] = "FORK_JOIN",
                    ["forkTasks"] = new JsonArray([.. Enumerable.Range(0, 10).Select(i => (JsonNode)new JsonArray(call($"branch_{i}")))]),
                },
                new JsonObject
                {
                    ["name"] = "fan_in",
                    ["taskReferenceName"] = "fan_in",
                    ["type"] = "JOIN",
                    ["joinOn"] = new JsonArray([.. Enumerable.Range(0, 10).Select(i => (JsonNode)$"branch_{i}")]),
                },
                Double("${branch_9.output.response.body.body.n}")),
            "loop10" => new JsonArray(
                new JsonObject
                {
                    ["name"] = "repeat",
                    ["taskReferenceName"] = "repeat",
                    ["type"] = "DO_WHILE",
                    ["loopCondition"] = "$.repeat['iteration'] < 10",
                    ["loopOver"] = new JsonArray(call("step")),
                },
                Double("${step.output.response.body.body.n}")),
            _ => throw new ArgumentException($"unknown shape '{shape}'", nameof(shape)),
        };
        return new JsonObject
        {
            ["name"] = NameOf(shape),
            ["description"] = $"Baton load benchmark: {shape}",
            ["version"] = Version,
            ["schemaVersion"] = 2,
            ["ownerEmail"] = "bench@baton.local",
            ["timeoutSeconds"] = 0,
            ["inputParameters"] = new JsonArray("n"),
            ["tasks"] = tasks,
            ["outputParameters"] = new JsonObject { ["d"] = "${transform.output.result.doubled}" },
        };

        static JsonObject Double(string value) => new()
        {
            ["name"] = "transform",
            ["taskReferenceName"] = "transform",
            ["type"] = "INLINE",
            ["inputParameters"] = new JsonObject
            {
                ["evaluatorType"] = "javascript",
                ["value"] = value,
                ["expression"] = "(function(){ return { doubled: $.value * 2 }; })()",
            },
        };
    }

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
