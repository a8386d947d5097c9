using System.Text.Json.Serialization;

namespace Baton.Server.Api;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(BulkResponse))]
internal sealed partial class ServerJsonContext : JsonSerializerContext
{
    /// <summary>The same text conventions as <see cref="Baton.Core.Json.BatonJson.Context"/>.</summary>
    public static ServerJsonContext Readable { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

/// <param name="Reason">Why the server is not ready, when it is not (omitted otherwise).</param>
public sealed record HealthResponse(string Status, string? Reason = null);

/// <summary>Conductor's BulkResponse.</summary>
public sealed class BulkResponse
{
    public List<string> BulkSuccessfulResults { get; set; } = [];
    public Dictionary<string, string> BulkErrorResults { get; set; } = [];
}
