using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Baton.EndToEnd.Infrastructure;
using Baton.Testing;
using Microsoft.AspNetCore.Routing;

namespace Baton.EndToEnd;

/// <summary>
/// No 500, no crash: the server is built here so the test reads its route table, and every route gets the inputs a
/// fuzzer and a careless newcomer send (names with <c>../</c>, <c>%2e%2e</c>, NUL, spaces, huge names; bodies with
/// duplicate keys, lone surrogates, invalid and overlong UTF-8, deep nesting, huge strings, the wrong JSON shape, no
/// or the wrong content type), as an anonymous caller, as a signed-in user without grants, and as the administrator.
/// Every answer must be below 500, and the server must answer its liveness probe after each route.
/// </summary>
public sealed class FuzzSweepTests : IAsyncLifetime
{
    private InProcessServer _server = null!;

    public async Task InitializeAsync() => _server = await InProcessServer.StartAsync("baton-fuzz");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>Route parameter values: each replaces every parameter of a route in turn.</summary>
    private static readonly string[] Names =
        ["probe", "..%2F..%2Fetc", "%2e%2e", "a%00b", "a%20b", "%20", new string('n', 5000), "%C3%A9t%C3%A9", "%FF%FE", "-1", "99999999999999999999"];

    private static readonly (string Label, byte[] Body, string? ContentType)[] Bodies =
    [
        ("empty object", "{}"u8.ToArray(), "application/json"),
        ("duplicate keys", """{"name":"a","name":"b","email":"x@y.z","email":"q@r.s","password":"p","password":"q","subject":{"type":"USER","id":"x"},"subject":{}}"""u8.ToArray(), "application/json"),
        ("lone surrogate", Encoding.UTF8.GetBytes("""{"name":"\ud800","value":"\udfff","id":"\ud800x"}"""), "application/json"),
        ("lone surrogate string", Encoding.UTF8.GetBytes("\"\\ud800\""), "application/json"),
        ("invalid utf-8", [(byte)'{', (byte)'"', (byte)'n', (byte)'"', (byte)':', (byte)'"', 0xC3, 0x28, 0xFF, (byte)'"', (byte)'}'], "application/json"),
        ("overlong utf-8", [(byte)'"', 0xC0, 0xAF, 0xE0, 0x80, 0xAF, (byte)'"'], "application/json"),
        ("invalid utf-8 text", [0xC3, 0x28, 0xFF, 0xFE], "text/plain"),
        ("deep nesting", Encoding.UTF8.GetBytes(new string('[', 10_000) + new string(']', 10_000)), "application/json"),
        ("deep objects", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 5_000)) + "1" + new string('}', 5_000)), "application/json"),
        ("wrong shape", "[1, \"two\", null, {\"x\": [true]}]"u8.ToArray(), "application/json"),
        ("null", "null"u8.ToArray(), "application/json"),
        ("truncated", "{\"name\": \"abc"u8.ToArray(), "application/json"),
        ("numbers", """{"version": 1e400, "count": -99999999999999999999, "timeout": "NaN"}"""u8.ToArray(), "application/json"),
        ("no content type", "{\"name\":\"x\"}"u8.ToArray(), null),
        ("form", "a=1&b=2"u8.ToArray(), "application/x-www-form-urlencoded"),
        ("huge string", Encoding.UTF8.GetBytes("{\"name\":\"" + new string('x', 3_000_000) + "\"}"), "application/json"),
    ];

    [Fact]
    public async Task No_route_answers_5xx_or_crashes_the_server_whatever_it_is_sent()
    {
        using var admin = new BatonClient(_server.BaseUrl, _server.AdminCredentials());
        (await admin.PutAsync("/api/users/fuzz@example.test", new JsonObject { ["roles"] = new JsonArray("USER"), ["password"] = "a long enough password" })).ShouldBe(HttpStatusCode.OK);
        using var user = new BatonClient(_server.BaseUrl, new JsonObject { ["email"] = "fuzz@example.test", ["password"] = "a long enough password" });
        (await user.GetAsync("/api/token/userInfo")).ShouldBe(HttpStatusCode.OK);
        var callers = new (string Label, string? Token)[] { ("anonymous", null), ("user", user.Token), ("admin", admin.Token) };

        using var http = new HttpClient { BaseAddress = new Uri(_server.BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        var failures = new List<string>();
        var sent = 0;
        var routes = _server.Routes
            .Where(r => r.RoutePattern.RawText is { } raw && !raw.Contains("scalar", StringComparison.OrdinalIgnoreCase))
            .ToList();
        foreach (var route in routes)
        {
            var methods = route.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in methods)
            {
                foreach (var (caller, token) in callers)
                {
                    foreach (var name in Names)
                    {
                        var path = InProcessServer.Concrete(route.RoutePattern.RawText!, name);
                        await SendAsync(http, method, path, token, Bodies[0], $"{caller} {method} {path[..Math.Min(path.Length, 120)]}", failures);
                        sent++;
                    }
                    if (method is "GET" or "HEAD" or "DELETE") continue;
                    foreach (var body in Bodies)
                    {
                        // A body the size of a small file is only worth sending where it would be read.
                        if (body.Label == "huge string" && caller != "admin") continue;
                        var path = InProcessServer.Concrete(route.RoutePattern.RawText!);
                        await SendAsync(http, method, path, token, body, $"{caller} {method} {path} with {body.Label}", failures);
                        sent++;
                    }
                }
                using var live = await http.GetAsync("/health/live");
                Assert.True(live.StatusCode == HttpStatusCode.OK, $"the server stopped answering after {method} {route.RoutePattern.RawText}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} requests answered 5xx:\n" + string.Join("\n", failures.Take(40)));
        Assert.True(sent > 3000, $"only {sent} requests were sent");
    }

    private static async Task SendAsync(HttpClient http, string method, string path, string? token, (string Label, byte[] Body, string? ContentType) body, string what, List<string> failures)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (token is not null) request.Headers.Add("X-Authorization", token);
        if (method is not ("GET" or "HEAD" or "DELETE"))
        {
            request.Content = new ByteArrayContent(body.Body);
            if (body.ContentType is not null) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(body.ContentType);
        }
        try
        {
            using var response = await http.SendAsync(request);
            if ((int)response.StatusCode >= 500)
            {
                var text = await response.Content.ReadAsStringAsync();
                failures.Add($"{what}: {(int)response.StatusCode} {text[..Math.Min(text.Length, 200)]}");
            }
        }
        catch (HttpRequestException e)
        {
            failures.Add($"{what}: no answer ({e.Message})");
        }
    }
}
