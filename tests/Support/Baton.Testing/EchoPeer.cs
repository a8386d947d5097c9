using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Testing;

/// <summary>
/// A small real HTTP peer on loopback for HTTP tasks. <c>/echo</c> answers the request back as JSON;
/// <c>/status/{code}</c> answers that status with the echo; <c>/delay/{ms}</c> answers after a pause;
/// <c>/text</c> answers plain text; <c>/straddle/{cut}/{shown}</c> answers a plain-text body that holds the
/// request's <c>X-Value</c> header with its first <c>shown</c> characters before character <c>cut</c> and the rest
/// after it (a value that a size limit at <c>cut</c> goes through). Every request is recorded.
/// </summary>
public sealed class EchoPeer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EchoPeer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public ConcurrentQueue<JsonObject> Requests { get; } = new();

    /// <summary>The last request that carried header <c>X-Marker: marker</c>.</summary>
    public JsonObject Received(string marker) =>
        Requests.LastOrDefault(r => r["headers"]!["x-marker"]?.GetValue<string>() == marker)
        ?? throw new Xunit.Sdk.XunitException($"the peer received no request marked {marker}");

    public static async Task<EchoPeer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        EchoPeer? peer = null;
        async Task<JsonObject> Record(HttpContext context)
        {
            var echo = await EchoOf(context.Request);
            peer!.Requests.Enqueue(echo);
            return echo;
        }
        app.Map("/echo/{**rest}", async (string? rest, HttpContext context) => Results.Json(await Record(context)));
        app.Map("/status/{code:int}", async (int code, HttpContext context) => Results.Json(await Record(context), statusCode: code));
        app.Map("/delay/{ms:int}", async (int ms, HttpContext context) =>
        {
            var echo = await Record(context);
            await Task.Delay(ms, context.RequestAborted);
            return Results.Json(echo);
        });
        app.Map("/text", async (HttpRequest request, HttpContext context) =>
        {
            await Record(context);
            return Results.Text("plain words", "text/plain");
        });
        app.Map("/straddle/{cut:int}/{shown:int}", async (int cut, int shown, HttpContext context) =>
        {
            await Record(context);
            var value = context.Request.Headers["X-Value"].ToString();
            return Results.Text(new string('x', cut - shown) + value + new string('y', 4096), "text/plain");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        peer = new EchoPeer(app, address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return peer;
    }

    private static async Task<JsonObject> EchoOf(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync();
        JsonNode? body;
        try
        {
            body = text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            body = JsonValue.Create(text);
        }
        var headers = new JsonObject();
        foreach (var (name, value) in request.Headers) headers[name.ToLowerInvariant()] = value.ToString();
        return new JsonObject
        {
            ["method"] = request.Method,
            ["path"] = request.Path.Value,
            ["query"] = request.QueryString.Value,
            ["headers"] = headers,
            ["body"] = body,
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
