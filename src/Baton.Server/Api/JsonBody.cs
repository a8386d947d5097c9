using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Baton.Engine.Execution;

namespace Baton.Server.Api;

/// <summary>Reads a JSON request body; malformed JSON or a wrong shape is a 400 naming the path and position.</summary>
public static class JsonBody
{
    public static async Task<T> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, bool required = true)
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync(request.Body, type, request.HttpContext.RequestAborted);
            if (value is null && required) throw new InvalidRequestException("$", "a JSON body is required");
            return value!;
        }
        catch (JsonException e)
        {
            throw new InvalidRequestException(e.Path ?? "$", Describe(e));
        }
    }

    /// <summary>Words for a JSON problem without echoing the body back.</summary>
    public static string Describe(JsonException e)
    {
        var where = e.LineNumber is { } line ? $" at line {line + 1}, position {(e.BytePositionInLine ?? 0) + 1}" : "";
        return e.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal)
            ? $"wrong JSON type for this field{where}"
            : $"invalid JSON{where}";
    }
}
