using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Bench.Load;

/// <summary>
/// The few Conductor REST calls the benchmark makes. With a token every call carries it as
/// X-Authorization (the application-auth variant); the echo peer never sees it.
/// </summary>
internal sealed class BatonApi(HttpClient http, Uri server)
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public string? Token { get; set; }

    public Uri Server { get; } = server;

    public HttpRequestMessage CreateRequest(HttpMethod method, string relative, byte[]? jsonBody = null)
    {
        var request = new HttpRequestMessage(method, new Uri(Server, relative));
        if (Token is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Authorization", Token);
        }

        if (jsonBody is not null)
        {
            request.Content = new ByteArrayContent(jsonBody);
            request.Content.Headers.ContentType = Json;
        }

        return request;
    }

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);

    /// <summary>POST /api/token {"keyId","keySecret"} → {"token"}.</summary>
    public async Task<string> ObtainTokenAsync(string keyId, string keySecret, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["keyId"] = keyId, ["keySecret"] = keySecret });
        using var request = CreateRequest(HttpMethod.Post, "api/token", body);
        using var response = await SendAsync(request, cancellationToken);
        var text = await EnsureSuccessAsync(request, response, cancellationToken);
        return JsonNode.Parse(text)?["token"]?.GetValue<string>()
            ?? throw new BenchSetupException($"POST /api/token answered without a token: {Truncate(text)}");
    }

    /// <summary>PUT /api/secrets/{name} with the value as a JSON string.</summary>
    public async Task PutSecretAsync(string name, string value, CancellationToken cancellationToken)
    {
        using var request = CreateRequest(HttpMethod.Put, $"api/secrets/{Uri.EscapeDataString(name)}", JsonSerializer.SerializeToUtf8Bytes(value));
        using var response = await SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(request, response, cancellationToken);
    }

    /// <summary>PUT /api/metadata/workflow with a list of definitions: Conductor's create-or-update.</summary>
    public async Task RegisterWorkflowAsync(JsonObject definition, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new JsonArray(definition));
        using var request = CreateRequest(HttpMethod.Put, "api/metadata/workflow", body);
        using var response = await SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(request, response, cancellationToken);
    }

    /// <summary>PUT /v1/workflows/{identifier}: saves a node workflow (creates it, or stores a new version).</summary>
    public async Task SaveNodeWorkflowAsync(JsonObject workflow, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(workflow);
        using var request = CreateRequest(HttpMethod.Put, $"v1/workflows/{workflow["identifier"]}", body);
        using var response = await SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(request, response, cancellationToken);
    }

    public static string Truncate(string text, int max = 400) =>
        text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");

    private static async Task<string> EnsureSuccessAsync(HttpRequestMessage request, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new BenchSetupException(
                $"{request.Method} {request.RequestUri?.AbsolutePath} answered {(int)response.StatusCode}: {Truncate(text)}");
        }

        return text;
    }
}
