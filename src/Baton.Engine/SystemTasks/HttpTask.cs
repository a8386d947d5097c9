using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Secrets.Redaction;
using Microsoft.Extensions.Options;

namespace Baton.Engine.SystemTasks;

/// <summary>
/// HTTP: calls <c>uri</c> with <c>method</c>, <c>headers</c>, <c>body</c>, <c>accept</c>, <c>contentType</c>
/// (nested in <c>http_request</c> or flat), within <c>connectionTimeOut</c> / <c>readTimeOut</c> ms. Output
/// <c>response.{body, headers, statusCode, reasonPhrase}</c>; a body that is JSON is parsed. A status outside 2xx
/// fails the task with the status in the reason. Reasons name the host, never the full URL or the body. A body over
/// <see cref="EngineOptions.HttpMaxResponseBytes"/> is kept as text cut at that size, redacted before the cut
/// (<see cref="SecretRedactor.RedactAndTruncate"/>), so a value the cut goes through is not left half visible.
/// </summary>
public sealed class HttpTask : ISystemTask, IDisposable
{
    private static readonly HttpRequestOptionsKey<int> ConnectTimeoutKey = new("baton.connectTimeoutMs");
    private static readonly HttpRequestOptionsKey<ExecutionTimer> TimerKey = new("baton.executionTimer");

    /// <summary>An execution's timeout, re-armed around the making of a connection so connecting does not eat the read time.</summary>
    private sealed record ExecutionTimer(CancellationTokenSource Timeout, int ConnectTimeoutMs, int ReadTimeoutMs)
    {
        public void Connecting() => Rearm(ConnectTimeoutMs + (long)ReadTimeoutMs);

        public void Connected() => Rearm(ReadTimeoutMs);

        private void Rearm(long ms)
        {
            try
            {
                if (!Timeout.IsCancellationRequested) Timeout.CancelAfter(TimeSpan.FromMilliseconds(ms));
            }
            catch (ObjectDisposedException)
            {
                // The execution that asked for this connection is over; the connection may serve another.
            }
        }
    }
    private readonly EngineOptions _options;
    private readonly SecretRedactor _redactor;
    private readonly HttpClient _client;
    private readonly HttpClient _freshClient;
    private readonly PeerConnectionLimit _peers;

    public HttpTask(IOptions<EngineOptions> options, SecretRedactor redactor)
    {
        _options = options.Value;
        _redactor = redactor;
        _peers = new PeerConnectionLimit(_options.HttpMaxConnectionsPerPeer);
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = 1024,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.All,
            ConnectCallback = ConnectAsync,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        // Retries after a transport fault go on a connection that is never pooled: not one the peer may have closed.
        _freshClient = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.Zero,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.All,
            ConnectCallback = ConnectAsync,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
    }

    public string Type => TaskTypes.Http;
    public bool RunsAsync => true;

    /// <summary>How many times one execution sends its request at most, when a transport fault allows sending it again.</summary>
    public const int MaxSendAttempts = 3;

    public async Task<TaskOutcome> ExecuteAsync(SystemTaskContext context, CancellationToken ct)
    {
        var (task, input) = (context.Task, context.Input);
        var spec = input["http_request"] as JsonObject ?? input;
        if (!TryBuildRequest(spec, out var first, out var problem, out var readTimeoutMs))
        {
            return TaskOutcome.Failed($"HTTP task '{task.ReferenceTaskName}': {problem}");
        }
        var host = first.RequestUri!.Authority;
        var method = first.Method.Method;
        // readTimeOut is the wait for the answer; connectionTimeOut bounds making a connection, and is not counted in
        // the read time: ConnectAsync re-arms this timer when it starts connecting (connect + read) and once connected
        // (read). Counting the connection in the read time made a burst larger than a peer's accept backlog time out:
        // a dropped SYN is sent again only after 1 s and 3 s.
        var connectTimeoutMs = first.Options.TryGetValue(ConnectTimeoutKey, out var connectMs) ? connectMs : _options.HttpConnectTimeoutMs;
        // At most HttpMaxConnectionsPerPeer executions talk to one peer at a time. The wait for a slot comes before
        // the timeouts start: it is bounded by the executions ahead, each of which holds its slot no longer than its
        // own timeouts allow (its sends' connections and its read time).
        using var slot = await _peers.AcquireAsync(PeerConnectionLimit.PeerOf(first.RequestUri), ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(readTimeoutMs);
        var timer = new ExecutionTimer(timeout, connectTimeoutMs, readTimeoutMs);
        for (var attempt = 1; ; attempt++)
        {
            // A request message is sent once: a retry builds it again, and goes on a connection of its own.
            using var request = attempt == 1 ? first : Rebuild(spec);
            request.Options.Set(TimerKey, timer);
            try
            {
                using var response = await (attempt == 1 ? _client : _freshClient).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                var output = new JsonObject { ["response"] = await ReadResponseAsync(response, timeout.Token) };
                var code = (int)response.StatusCode;
                if (code is >= 200 and < 300) return TaskOutcome.Completed(output);
                return TaskOutcome.Failed(
                    $"HTTP task '{task.ReferenceTaskName}': {host} answered {code} {response.ReasonPhrase}", output);
            }
            catch (Exception e) when (!ct.IsCancellationRequested && (e is OperationCanceledException
                || (e is HttpRequestException or IOException && timeout.IsCancellationRequested)))
            {
                // The execution's time ran out: the cancellation may surface as the transport's own error, mid-read.
                return TaskOutcome.Failed($"HTTP task '{task.ReferenceTaskName}': no response from {host} within {readTimeoutMs} ms") with { TimedOut = true };
            }
            catch (HttpRequestException e)
            {
                var fault = TransportFault.Of(e);
                var mayResend = fault.NeverReachedPeer || (fault.BeforeAnyResponse && IsIdempotent(method));
                if (mayResend && attempt < MaxSendAttempts)
                {
                    try
                    {
                        await Task.Delay(100 * attempt, timeout.Token);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        return TaskOutcome.Failed($"HTTP task '{task.ReferenceTaskName}': no response from {host} within {readTimeoutMs} ms ({fault.Description} before)") with { TimedOut = true };
                    }
                    continue;
                }
                var tries = attempt == 1 ? "" : $", sent {attempt} times";
                var notAgain = !mayResend && fault.BeforeAnyResponse ? $"; {method} is not idempotent, so it was not sent again" : "";
                return TaskOutcome.Failed($"HTTP task '{task.ReferenceTaskName}': request to {host} failed: {fault.Description}{tries}{notAgain}");
            }
        }
    }

    private HttpRequestMessage Rebuild(JsonObject spec)
    {
        TryBuildRequest(spec, out var request, out _, out _);
        return request;
    }

    /// <summary>Methods that mean the same when sent twice (RFC 9110): a fault after the request may have reached the peer still allows sending them again.</summary>
    private static bool IsIdempotent(string method) => method is "GET" or "HEAD" or "OPTIONS" or "TRACE" or "PUT" or "DELETE";

    private bool TryBuildRequest(JsonObject spec, out HttpRequestMessage request, out string problem, out int readTimeoutMs)
    {
        request = null!;
        readTimeoutMs = IntOr(spec["readTimeOut"], _options.HttpReadTimeoutMs);
        var connectTimeoutMs = IntOr(spec["connectionTimeOut"], _options.HttpConnectTimeoutMs);
        var uriText = Text(spec["uri"]);
        if (string.IsNullOrWhiteSpace(uriText))
        {
            problem = "missing HTTP URI: set inputParameters.http_request.uri (or inputParameters.uri)";
            return false;
        }
        if (!Uri.TryCreate(uriText, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            problem = "uri is not an absolute http(s) URL";
            return false;
        }
        var methodText = Text(spec["method"]);
        if (string.IsNullOrWhiteSpace(methodText))
        {
            problem = "no HTTP method specified: set inputParameters.http_request.method";
            return false;
        }
        var method = methodText.ToUpperInvariant();
        if (method is not ("GET" or "PUT" or "POST" or "PATCH" or "DELETE" or "OPTIONS" or "HEAD" or "TRACE"))
        {
            problem = $"HTTP method '{methodText}' is not one of GET, PUT, POST, PATCH, DELETE, OPTIONS, HEAD, TRACE";
            return false;
        }

        request = new HttpRequestMessage(new HttpMethod(method), uri);
        request.Options.Set(ConnectTimeoutKey, connectTimeoutMs);
        var contentType = Text(spec["contentType"]) ?? "application/json";
        var body = spec["body"];
        if (body is not null && method is not ("GET" or "HEAD"))
        {
            // As Conductor: a string body is sent as it is, anything else as JSON.
            var payload = body is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : body.ToJsonString();
            request.Content = new StringContent(payload, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.TryParse(contentType, out var parsed)
                ? parsed : new MediaTypeHeaderValue("application/json");
        }
        AddAccept(request, spec["accept"]);
        if (spec["headers"] is JsonObject headers)
        {
            foreach (var (name, value) in headers)
            {
                if (value is null) continue;
                var text = value is JsonValue hv && hv.GetValueKind() == JsonValueKind.String ? hv.GetValue<string>() : value.ToJsonString();
                if (string.Equals(name, "Content-Type", StringComparison.OrdinalIgnoreCase) && request.Content is not null)
                {
                    if (MediaTypeHeaderValue.TryParse(text, out var ct)) request.Content.Headers.ContentType = ct;
                    continue;
                }
                if (!request.Headers.TryAddWithoutValidation(name, text))
                {
                    request.Content?.Headers.TryAddWithoutValidation(name, text);
                }
            }
        }
        problem = "";
        return true;
    }

    private static void AddAccept(HttpRequestMessage request, JsonNode? accept)
    {
        switch (accept)
        {
            case JsonArray list:
                foreach (var item in list)
                {
                    if (Text(item) is { } one) request.Headers.TryAddWithoutValidation("Accept", one);
                }
                break;
            default:
                request.Headers.TryAddWithoutValidation("Accept", Text(accept) ?? "application/json");
                break;
        }
    }

    private async Task<JsonObject> ReadResponseAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var headers = new JsonObject();
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            headers[header.Key] = new JsonArray([.. header.Value.Select(v => (JsonNode?)JsonValue.Create(v))]);
        }
        return new JsonObject
        {
            ["body"] = await ReadBodyAsync(response.Content, ct),
            ["headers"] = headers,
            ["statusCode"] = (int)response.StatusCode,
            ["reasonPhrase"] = response.ReasonPhrase,
        };
    }

    /// <summary>The body, parsed when it is JSON; or, when it is over the limit, its text redacted and then cut at
    /// the limit. The read goes on past the limit by the longest form the redactor knows (3 UTF-8 bytes a character
    /// at most), so a value that straddles the cut is redacted whole; only a body longer than that is cut before
    /// redaction, and then the redactor masks an end that begins a value.</summary>
    private async Task<JsonNode?> ReadBodyAsync(HttpContent content, CancellationToken ct)
    {
        var limit = _options.HttpMaxResponseBytes;
        var readLimit = (int)Math.Min((long)limit + (3L * _redactor.LongestPatternLength) + 1, Array.MaxLength);
        var bytes = await ReadAtMostAsync(content, readLimit, ct);
        if (bytes.Length <= limit) return ParseBody(bytes);
        var keptChars = Math.Max(SecretRedactor.Mask.Length, Encoding.UTF8.GetCharCount(bytes, 0, limit));
        var text = Encoding.UTF8.GetString(bytes);
        return JsonValue.Create(_redactor.RedactAndTruncate(text, keptChars, textWasCut: bytes.Length >= readLimit));
    }

    private static async Task<byte[]> ReadAtMostAsync(HttpContent content, int maxBytes, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while (buffer.Length < maxBytes && (read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, Math.Min(read, maxBytes - (int)buffer.Length));
        }
        return buffer.ToArray();
    }

    private static JsonNode? ParseBody(byte[] bytes)
    {
        if (bytes.Length == 0) return null;
        try
        {
            return JsonNode.Parse(bytes);
        }
        catch (JsonException)
        {
            return JsonValue.Create(Encoding.UTF8.GetString(bytes));
        }
    }

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var timeoutMs = context.InitialRequestMessage.Options.TryGetValue(ConnectTimeoutKey, out var ms) ? ms : 3000;
        context.InitialRequestMessage.Options.TryGetValue(TimerKey, out var timer);
        timer?.Connecting();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(timeoutMs);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, timeout.Token);
            timer?.Connected();
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"connect timed out after {timeoutMs} ms");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : node?.ToJsonString();

    private static int IntOr(JsonNode? node, int fallback) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && d > 0 ? (int)Math.Min(d, int.MaxValue) : fallback;

    public void Dispose()
    {
        _client.Dispose();
        _freshClient.Dispose();
    }
}
