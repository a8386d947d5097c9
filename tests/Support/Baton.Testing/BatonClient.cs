using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Baton.Testing;

/// <summary>
/// A thin HTTP client for the Baton API that keeps tests readable: JSON in, status and JSON out. Every answer is
/// recorded (method, path, body) so a canary scan can read every byte the API ever sent back. It signs in on its
/// first request (as the server's first administrator, from the credentials file the server wrote, unless told
/// otherwise) and sends the token as X-Authorization.
/// </summary>
public sealed class BatonClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly SignInHandler _signIn;

    /// <summary>A client that signs in with <paramref name="credentials"/> (a /api/token body), or sends no token when null.</summary>
    public BatonClient(string baseUrl, JsonObject? credentials = null)
    {
        _signIn = new SignInHandler(new Uri(baseUrl), credentials) { InnerHandler = new HttpClientHandler() };
        _http = new HttpClient(_signIn) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>A client acting as the server's first administrator.</summary>
    public BatonClient(ServerProcess server) : this(server.BaseUrl, server.AdminCredentials()) { }

    /// <summary>The token this client sends (after its first request).</summary>
    public string? Token => _signIn.Token;

    public HttpClient Http => _http;

    /// <summary>Every answer this client received, in order.</summary>
    public ConcurrentQueue<Exchange> Exchanges { get; } = new();

    public Task<Reply> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null);
    public Task<Reply> PostAsync(string path, JsonNode? body = null) => SendAsync(HttpMethod.Post, path, body);
    public Task<Reply> PutAsync(string path, JsonNode? body = null) => SendAsync(HttpMethod.Put, path, body);
    public Task<Reply> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path, null);

    public async Task<Reply> SendRawAsync(HttpMethod method, string path, string body, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, contentType) };
        // As curl does for large bodies: the server can refuse before the body is sent.
        request.Headers.ExpectContinue = body.Length > 1024 * 1024;
        return Record(method, path, await ReplyOf(await _http.SendAsync(request)));
    }

    public async Task<Reply> SendAsync(HttpMethod method, string path, JsonNode? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        return Record(method, path, await ReplyOf(await _http.SendAsync(request)));
    }

    private Reply Record(HttpMethod method, string path, Reply reply)
    {
        Exchanges.Enqueue(new Exchange(method.Method, path, reply));
        return reply;
    }

    private static async Task<Reply> ReplyOf(HttpResponseMessage response)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            return new Reply(response.StatusCode, response.Content.Headers.ContentType?.MediaType, text);
        }
    }

    // ---- conveniences over the Conductor API ----

    public async Task RegisterWorkflowAsync(JsonObject def)
    {
        var reply = await PostAsync("/api/metadata/workflow?overwrite=true", def);
        reply.ShouldBe(HttpStatusCode.OK);
    }

    /// <summary>Stores a secret as the Orkes SDKs send it: a JSON-encoded string (or a JSON object as it is).</summary>
    public async Task PutSecretAsync(string name, string value)
    {
        var body = value.StartsWith('{') ? value : System.Text.Json.JsonSerializer.Serialize(value);
        (await SendRawAsync(HttpMethod.Put, $"/api/secrets/{name}", body)).ShouldBe(HttpStatusCode.OK);
    }

    /// <summary>Stores a secret under a fresh name and answers the name.</summary>
    public async Task<string> NewSecretAsync(string value)
    {
        var name = "secret-" + Guid.NewGuid().ToString("N")[..12];
        await PutSecretAsync(name, value);
        return name;
    }

    /// <summary>Registers a definition and runs it synchronously to its end.</summary>
    public async Task<JsonObject> ExecuteAsync(JsonObject def, JsonObject? input = null)
    {
        await RegisterWorkflowAsync(def);
        var reply = await PostAsync($"/api/workflow/execute/{def["name"]}/{def["version"] ?? 1}", new JsonObject { ["input"] = input ?? new JsonObject() });
        reply.ShouldBe(HttpStatusCode.OK);
        return reply.Object;
    }

    public async Task<string> StartAsync(string name, JsonObject? input = null, string? correlationId = null)
    {
        var request = new JsonObject { ["name"] = name, ["input"] = input ?? new JsonObject(), ["correlationId"] = correlationId };
        var reply = await PostAsync("/api/workflow", request);
        reply.ShouldBe(HttpStatusCode.OK);
        return reply.Text;
    }

    public async Task<JsonObject> GetWorkflowAsync(string id)
    {
        var reply = await GetAsync($"/api/workflow/{id}");
        reply.ShouldBe(HttpStatusCode.OK);
        return reply.Object;
    }

    /// <summary>Polls the run until its status is one of <paramref name="statuses"/> (bounded wait).</summary>
    public async Task<JsonObject> WaitForStatusAsync(string id, params string[] statuses)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonObject run;
        do
        {
            run = await GetWorkflowAsync(id);
            if (statuses.Contains(run["status"]!.GetValue<string>())) return run;
            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"Workflow {id} stayed {run["status"]}, expected {string.Join("/", statuses)}: {run.ToJsonString()}");
    }

    /// <summary>Polls the run until <paramref name="condition"/> holds (bounded wait).</summary>
    public async Task<JsonObject> WaitForAsync(string id, Func<JsonObject, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonObject run;
        do
        {
            run = await GetWorkflowAsync(id);
            if (condition(run)) return run;
            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"Workflow {id} never reached the expected state: {run.ToJsonString()}");
    }

    /// <summary>Polls one task of a type, waiting for it to be queued (bounded).</summary>
    public async Task<JsonObject> PollTaskAsync(string taskType, string workerId = "test-worker")
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var reply = await GetAsync($"/api/tasks/poll/{taskType}?workerid={workerId}&timeout=500");
            if (reply.Status == HttpStatusCode.OK) return reply.Object;
        }
        throw new TimeoutException($"No {taskType} task was handed out within 30 s");
    }

    public async Task CompleteTaskAsync(JsonObject task, JsonObject? output = null, string status = "COMPLETED", string? reason = null)
    {
        var result = new JsonObject
        {
            ["workflowInstanceId"] = task["workflowInstanceId"]!.GetValue<string>(),
            ["taskId"] = task["taskId"]!.GetValue<string>(),
            ["status"] = status,
            ["outputData"] = output ?? new JsonObject(),
            ["reasonForIncompletion"] = reason,
        };
        var reply = await PostAsync("/api/tasks", result);
        reply.ShouldBe(HttpStatusCode.OK);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Signs in once, on the first request that needs it, and adds the token to every request.</summary>
    private sealed class SignInHandler(Uri baseUrl, JsonObject? credentials) : DelegatingHandler
    {
        private readonly SemaphoreSlim _gate = new(1, 1);

        public string? Token { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var isSignIn = request.RequestUri?.AbsolutePath.TrimEnd('/') == "/api/token" && request.Method == HttpMethod.Post;
            if (credentials is not null && !isSignIn && !request.Headers.Contains("X-Authorization"))
            {
                request.Headers.Add("X-Authorization", await TokenAsync(cancellationToken));
            }
            return await base.SendAsync(request, cancellationToken);
        }

        private async Task<string> TokenAsync(CancellationToken ct)
        {
            await _gate.WaitAsync(ct);
            try
            {
                if (Token is not null) return Token;
                using var content = new StringContent(credentials!.ToJsonString(), Encoding.UTF8, "application/json");
                using var response = await base.SendAsync(new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "/api/token")) { Content = content }, ct);
                var text = await response.Content.ReadAsStringAsync(ct);
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"Sign-in failed: {(int)response.StatusCode} {text}");
                return Token = JsonNode.Parse(text)!["token"]!.GetValue<string>();
            }
            finally
            {
                _gate.Release();
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _gate.Dispose();
            base.Dispose(disposing);
        }
    }
}

/// <summary>One request this client made and the answer it got.</summary>
public sealed record Exchange(string Method, string Path, Reply Reply);

/// <summary>An HTTP answer.</summary>
public sealed record Reply(HttpStatusCode Status, string? ContentType, string Text)
{
    public JsonNode? Json => Text.Length == 0 ? null : JsonNode.Parse(Text);
    public JsonObject Object => Json as JsonObject ?? throw new InvalidOperationException($"Not a JSON object: {Text}");
    public JsonArray Array => Json as JsonArray ?? throw new InvalidOperationException($"Not a JSON array: {Text}");

    public void ShouldBe(HttpStatusCode expected)
    {
        if (Status != expected) throw new Xunit.Sdk.XunitException($"Expected {(int)expected} but got {(int)Status}: {Text}");
    }
}
