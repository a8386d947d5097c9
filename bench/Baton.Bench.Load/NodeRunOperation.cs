using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Bench.Load;

/// <summary>
/// One node workflow run to its end: POST /v1/workflows/{identifier}/runs?waitForSeconds=W with {"inputs":{"n"}}.
/// Counted only when the run COMPLETED with result SUCCESS and the last node's output d == 2n.
/// </summary>
internal sealed class NodeRunOperation(BatonApi api, int waitForSeconds, string identifier = NodeRunOperation.ThreeStep, string outputNode = "call_two") : ICheckedOperation
{
    /// <summary>The node-format three-step workflow: trigger, WEBHOOK, CONDITION, WEBHOOK whose variables make d = 2n.</summary>
    public const string ThreeStep = "bench_node_three";

    private const int MaxSamples = 20;
    private readonly string _path = string.Create(CultureInfo.InvariantCulture, $"v1/workflows/{identifier}/runs?waitForSeconds={waitForSeconds}");
    private readonly ConcurrentDictionary<string, string> _samples = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> ErrorSamples => _samples;

    public async ValueTask<string?> RunOnceAsync(long sequence, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $$$"""{"inputs":{"n":{{{sequence}}}}}"""));
        using var request = api.CreateRequest(HttpMethod.Post, _path, body);
        using var response = await api.SendAsync(request, cancellationToken);
        var content = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode) return Fail($"http {(int)response.StatusCode}", content);
        try
        {
            using var document = JsonDocument.Parse(content);
            var run = document.RootElement.GetProperty("run");
            if (!run.TryGetProperty("result", out var result) || result.ValueKind != JsonValueKind.String || !result.ValueEquals("SUCCESS"u8))
            {
                return Fail($"result {(run.TryGetProperty("result", out var r) ? r.ToString() : "missing")}", content);
            }
            if (identifier != ThreeStep) return null;
            var d = run.GetProperty("variables").GetProperty("outputs").GetProperty(outputNode).GetProperty("d");
            return d.ValueKind == JsonValueKind.Number && d.GetDouble() == 2.0 * sequence ? null : Fail("output d wrong", content);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return Fail("answer not as expected", content);
        }
    }

    /// <summary>The node-format three-step workflow, saved with PUT /v1/workflows/{identifier} (create or new version).</summary>
    public static JsonObject BuildThreeStep(Uri echoUri) => JsonNode.Parse("""
        {"identifier": "IDENTIFIER", "title": "Baton load benchmark: WEBHOOK, CONDITION, WEBHOOK",
         "nodes": [
           {"identifier": "trigger", "config": {"type": "SELF_SERVE_TRIGGER", "userInputs": {"properties": {"n": {"type": "number"}}, "required": ["n"]}}},
           {"identifier": "call_one", "config": {"type": "WEBHOOK", "url": "ECHO", "method": "POST", "headers": {"X-Step": "one"},
             "body": {"n": "{{ .outputs.trigger.n }}"}}},
           {"identifier": "check", "config": {"type": "CONDITION", "outlets": [{"identifier": "ok", "expression": ".outputs.call_one.response.status == 200"}]}},
           {"identifier": "call_two", "config": {"type": "WEBHOOK", "url": "ECHO", "method": "POST",
             "body": {"n": "{{ .outputs.call_one.response.data.body.n }}"}},
            "variables": {"d": "{{ .result.response.data.body.n * 2 }}"}}],
         "connections": [
           {"sourceIdentifier": "trigger", "targetIdentifier": "call_one"},
           {"sourceIdentifier": "call_one", "targetIdentifier": "check"},
           {"sourceIdentifier": "check", "sourceOutletIdentifier": "ok", "targetIdentifier": "call_two"}]}
        """.Replace("IDENTIFIER", ThreeStep, StringComparison.Ordinal).Replace("ECHO", echoUri.ToString(), StringComparison.Ordinal))!.AsObject();

    /// <summary>A node workflow of a self-service trigger (input n) and one node with <paramref name="config"/>.</summary>
    public static JsonObject BuildOneNode(string identifier, string config) => new()
    {
        ["identifier"] = identifier,
        ["nodes"] = new JsonArray(
            JsonNode.Parse("""{"identifier": "trigger", "config": {"type": "SELF_SERVE_TRIGGER", "userInputs": {"properties": {"n": {"type": "number"}}}}}"""),
            new JsonObject { ["identifier"] = "only", ["config"] = JsonNode.Parse(config) }),
        ["connections"] = new JsonArray(new JsonObject { ["sourceIdentifier"] = "trigger", ["targetIdentifier"] = "only" }),
    };

    private string Fail(string reason, byte[] content)
    {
        if (_samples.Count < MaxSamples) _samples.TryAdd(reason, BatonApi.Truncate(Encoding.UTF8.GetString(content), 600));
        return reason;
    }
}

/// <summary>A load operation that keeps one sample answer per failure reason.</summary>
internal interface ICheckedOperation : ILoadOperation
{
    IReadOnlyDictionary<string, string> ErrorSamples { get; }
}
