using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Bench.Load;

/// <summary>
/// The local HTTP peer the workflow's HTTP tasks call: GET/POST /echo answers
/// {"method","path","query","headers","body"} with the request's JSON body echoed as JSON.
/// Kept lean (no routing, no logging, one buffer per response) because measured alone it is
/// the ceiling for this workload. /echo-secure also checks the required headers (the secret-header
/// variant): a request missing one gets 400, so a server that does not substitute secrets fails.
/// </summary>
internal sealed class EchoPeer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly KeyValuePair<string, string>[] requiredHeaders;

    private EchoPeer(WebApplication app, KeyValuePair<string, string>[] requiredHeaders)
    {
        this.app = app;
        this.requiredHeaders = requiredHeaders;
    }

    public Uri EchoUri { get; private set; } = null!;

    /// <summary>Like <see cref="EchoUri"/>, but a request without every required header gets 400.</summary>
    public Uri SecureEchoUri => new(EchoUri, "/echo-secure");

    public static async Task<EchoPeer> StartAsync(
        IReadOnlyDictionary<string, string> requiredHeaders,
        CancellationToken cancellationToken)
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
        var peer = new EchoPeer(app, [.. requiredHeaders]);
        app.Run(peer.HandleAsync);
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

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var secure = string.Equals(request.Path.Value, "/echo-secure", StringComparison.Ordinal);
        if (!secure && !string.Equals(request.Path.Value, "/echo", StringComparison.Ordinal))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var isPost = HttpMethods.IsPost(request.Method);
        if (!isPost && !HttpMethods.IsGet(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        foreach (var (name, expected) in secure ? requiredHeaders : [])
        {
            if (!string.Equals(request.Headers[name].ToString(), expected, StringComparison.Ordinal))
            {
                response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }
        }

        var reader = request.BodyReader;
        var body = await ReadToEndAsync(reader, context.RequestAborted);
        var output = new ArrayBufferWriter<byte>(256 + (int)Math.Min(body.Length, 1 << 20));
        try
        {
            WriteEcho(output, request, body);
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
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("method", request.Method);
        json.WriteString("path", request.Path.Value);

        json.WriteStartObject("query");
        foreach (var (name, value) in request.Query)
        {
            json.WriteString(name, value.ToString());
        }

        json.WriteEndObject();

        json.WriteStartObject("headers");
        foreach (var (name, value) in request.Headers)
        {
            json.WriteString(name, value.ToString());
        }

        json.WriteEndObject();

        json.WritePropertyName("body");
        if (body.IsEmpty)
        {
            json.WriteNullValue();
        }
        else if (IsJson(body))
        {
            json.WriteRawValue(body, skipInputValidation: true);
        }
        else
        {
            json.WriteStringValue(Encoding.UTF8.GetString(body));
        }

        json.WriteEndObject();
    }

    private static bool IsJson(ReadOnlySequence<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        try
        {
            if (!reader.Read())
            {
                return false;
            }

            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
