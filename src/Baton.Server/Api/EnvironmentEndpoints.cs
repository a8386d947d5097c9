using System.Text;
using System.Text.Json.Nodes;
using Baton.Core.Json;
using Baton.Engine.Execution;
using Baton.Engine.Environment;

namespace Baton.Server.Api;

/// <summary>
/// /api/environment (Orkes): cluster-wide values read by <c>${workflow.env.NAME}</c> when a task is scheduled.
/// They are not secrets: they are stored and shown as they are, and not masked.
/// </summary>
public static class EnvironmentEndpoints
{
    public static void MapEnvironmentEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/environment").WithTags("Environment");

        group.MapGet("/", async (EnvironmentValues store, CancellationToken ct) =>
        {
            var list = new JsonArray();
            foreach (var value in await store.ListAsync(ct)) list.Add(new JsonObject { ["name"] = value.Name, ["value"] = value.Value, ["tags"] = SecretEndpoints.Tags(value.Tags) });
            return Results.Json(list, BatonJson.Context.JsonArray);
        }).WithSummary("Every environment value");

        group.MapGet("/{key}", async (string key, EnvironmentValues store, CancellationToken ct) =>
            await store.GetAsync(key, ct) is { } value ? Results.Text(value.Value, "text/plain", Encoding.UTF8) : throw NotFound(key))
            .Produces<string>(contentType: "text/plain").WithSummary("One environment value, as text");

        group.MapPut("/{key}", async (string key, HttpRequest request, EnvironmentValues store, CancellationToken ct) =>
        {
            if (Baton.Secrets.SecretName.Problem(key) is { } problem) throw new InvalidRequestException("key", problem.Replace("secret", "environment value", StringComparison.Ordinal));
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync(ct);
            var isJson = request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true;
            if (isJson && body.Length > 0 && body[0] == '"')
            {
                try
                {
                    body = JsonNode.Parse(body)!.GetValue<string>();
                }
                catch (System.Text.Json.JsonException e)
                {
                    throw new InvalidRequestException("$", JsonBody.Describe(e));
                }
            }
            await store.PutAsync(key, body, ct);
            return Results.Ok();
        }).Accepts<string>("text/plain", "application/json").WithSummary("Create or update an environment value (text, or JSON text)");

        group.MapDelete("/{key}", async (string key, EnvironmentValues store, CancellationToken ct) =>
            await store.DeleteAsync(key, ct) is { } deleted ? Results.Text(deleted, "text/plain", Encoding.UTF8) : throw NotFound(key))
            .WithSummary("Delete an environment value; answers the deleted value");

        group.MapPut("/{key}/tags", async (string key, HttpRequest request, EnvironmentValues store, CancellationToken ct) =>
        {
            _ = await store.GetAsync(key, ct) ?? throw NotFound(key);
            await store.SetTagsAsync(key, await SecretEndpoints.ReadTagsAsync(request), ct);
            return Results.Ok();
        }).WithSummary("Add or replace tags");

        group.MapGet("/{key}/tags", async (string key, EnvironmentValues store, CancellationToken ct) =>
            Results.Json(SecretEndpoints.Tags((await store.GetAsync(key, ct) ?? throw NotFound(key)).Tags), BatonJson.Context.JsonArray))
            .WithSummary("An environment value's tags");

        group.MapDelete("/{key}/tags", async (string key, HttpRequest request, EnvironmentValues store, CancellationToken ct) =>
        {
            _ = await store.GetAsync(key, ct) ?? throw NotFound(key);
            await store.RemoveTagsAsync(key, await SecretEndpoints.ReadTagsAsync(request), ct);
            return Results.Ok();
        }).WithSummary("Remove tags");
    }

    private static NotFoundException NotFound(string key) => new($"No environment value named '{key}'");
}
