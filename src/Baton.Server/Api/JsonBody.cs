using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;
using Baton.Engine.Execution;

namespace Baton.Server.Api;

/// <summary>
/// Reads a request body. Every JSON body goes through <see cref="JsonBodyCheck"/> first, so malformed JSON, a wrong
/// shape, a duplicate key, a lone surrogate or bytes that are not UTF-8 are a 400 naming the path, never an exception
/// later in a handler that reads the value.
/// </summary>
public static class JsonBody
{
    /// <summary>
    /// How deep a request body may nest. Stored JSON may go deeper (<see cref="Core.Json.BatonJson"/>): a task's input
    /// is a definition's template (a request body) with other request bodies' values put inside it.
    /// </summary>
    public const int MaxRequestDepth = 64;

    public static async Task<T> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, bool required = true) =>
        Parse((await ReadBytesAsync(request)).Span, type, required);

    /// <summary>Reads JSON text that did not come as a body (the console's editor) with the same checks and the same 400s.</summary>
    public static T Parse<T>(ReadOnlySpan<byte> body, JsonTypeInfo<T> type, bool required = true)
    {
        var readerOptions = new JsonReaderOptions
        {
            AllowTrailingCommas = type.Options.AllowTrailingCommas,
            CommentHandling = type.Options.ReadCommentHandling == JsonCommentHandling.Disallow ? JsonCommentHandling.Disallow : JsonCommentHandling.Skip,
            MaxDepth = MaxRequestDepth,
        };
        if (JsonBodyCheck.FindProblem(body, readerOptions, out _) is { } problem) throw new InvalidRequestException([problem]);
        try
        {
            var value = JsonSerializer.Deserialize(body, type);
            if (value is null && required) throw new InvalidRequestException("$", "a JSON body is required");
            return value!;
        }
        catch (JsonException e)
        {
            throw new InvalidRequestException(e.Path ?? "$", Describe(e));
        }
    }

    /// <summary>Reads any JSON value (null for the literal <c>null</c>), checked as <see cref="ReadAsync{T}"/> does.</summary>
    public static async Task<JsonNode?> ReadNodeAsync(HttpRequest request)
    {
        var body = await ReadBytesAsync(request);
        if (JsonBodyCheck.FindProblem(body.Span, default, out _) is { } problem) throw new InvalidRequestException([problem]);
        return JsonNode.Parse(body.Span);
    }

    /// <summary>
    /// Reads a body as text: bytes that are not UTF-8 are a 400, never replaced. When <paramref name="json"/> says the
    /// body is JSON, it is checked as <see cref="ReadAsync{T}"/> does, except that text which is not JSON at all is
    /// returned for the caller to judge (some routes take JSON or plain text).
    /// </summary>
    public static async Task<string> ReadTextAsync(HttpRequest request, bool json)
    {
        var body = await ReadBytesAsync(request);
        if (!Utf8.IsValid(body.Span))
        {
            Utf8.ToUtf16(body.Span, new char[body.Length], out var validBytes, out _, replaceInvalidSequences: false);
            throw new InvalidRequestException("$", $"the body is not UTF-8 (an invalid or overlong sequence at byte {validBytes}); send it as UTF-8");
        }
        if (json && JsonBodyCheck.FindProblem(body.Span, default, out var malformed) is { } problem && !malformed) throw new InvalidRequestException([problem]);
        return Encoding.UTF8.GetString(body.Span);
    }

    /// <summary>Words for a JSON problem without echoing the body back.</summary>
    public static string Describe(JsonException e)
    {
        var where = e.LineNumber is { } line ? $" at line {line + 1}, position {(e.BytePositionInLine ?? 0) + 1}" : "";
        return e.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal)
            ? $"wrong JSON type for this field{where}"
            : $"invalid JSON{where}";
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBytesAsync(HttpRequest request)
    {
        // The server's body limit (Baton:MaxRequestBodyBytes) bounds this copy; a larger body ends it with a 413.
        using var buffer = new MemoryStream(request.ContentLength is > 0 and < 1 << 20 ? (int)request.ContentLength : 4096);
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }
}
