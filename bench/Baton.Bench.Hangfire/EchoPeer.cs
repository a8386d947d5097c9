using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Bench.Hangfire;

/// <summary>
/// The local HTTP peer the chain's two HTTP steps call: POST /echo answers {"method","path","headers","body"} with the
/// request's JSON body echoed as JSON, the same answer shape as Baton.Bench.Load's peer. A small copy of that peer (its
/// secret-header and GET variants left out) so this bench does not reference Baton's load project.
/// </summary>
internal sealed class EchoPeer : IAsyncDisposable
{
    private readonly WebApplication app;

    private EchoPeer(WebApplication app) => this.app = app;

    public Uri EchoUri { get; private set; } = null!;

    public static async Task<EchoPeer> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 1 << 20;
            kestrel.Listen(IPAddress.Loopback, 0);
        });

        var app = builder.Build();
        var peer = new EchoPeer(app);
        app.Run(HandleAsync);
        await app.StartAsync(cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features
            .GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        peer.EchoUri = new Uri(new Uri(address), "/echo");
        return peer;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private static async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        if (!string.Equals(request.Path.Value, "/echo", StringComparison.Ordinal) || !HttpMethods.IsPost(request.Method))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var reader = request.BodyReader;
        var body = await ReadToEndAsync(reader, context.RequestAborted);
        var output = new ArrayBufferWriter<byte>(256 + (int)Math.Min(body.Length, 1 << 20));
        try
        {
            WriteEcho(output, request, body);
        }
        catch (JsonException)
        {
            response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        finally
        {
            reader.AdvanceTo(body.End);
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.ContentLength = output.WrittenCount;
        await response.Body.WriteAsync(output.WrittenMemory, context.RequestAborted);
    }

    private static async ValueTask<ReadOnlySequence<byte>> ReadToEndAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            if (result.IsCompleted || result.IsCanceled)
            {
                return result.Buffer;
            }

            // Consume nothing, mark everything examined: the next read waits for more bytes.
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static void WriteEcho(IBufferWriter<byte> output, HttpRequest request, ReadOnlySequence<byte> body)
    {
        // The body must be one JSON value: parsing it here is what the bench's steps rely on when they read it back.
        using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("method", request.Method);
        json.WriteString("path", request.Path.Value);
        json.WriteStartObject("headers");
        foreach (var (name, value) in request.Headers)
        {
            json.WriteString(name, value.ToString());
        }

        json.WriteEndObject();
        json.WritePropertyName("body");
        document.WriteTo(json);
        json.WriteEndObject();
    }
}
