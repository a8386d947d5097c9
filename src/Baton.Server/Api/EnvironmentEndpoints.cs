using System.Text;
using System.Text.Json.Nodes;
using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Core.Json;
using Baton.Engine.Execution;
using Baton.Engine.Environment;
using Baton.Server.Auth;

namespace Baton.Server.Api;

/// <summary>
/// /api/environment (Orkes): cluster-wide values read by <c>${workflow.env.NAME}</c> when a task is scheduled.
/// They are not secrets: they are stored and shown as they are, and not masked; so one that holds a live secret's
/// value is refused with a 400 naming the secret (<see cref="EnvironmentValues.PutAsync"/>).
/// </summary>
public static class EnvironmentEndpoints
{
    public static void MapEnvironmentEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/environment").WithTags("Environment");

        group.MapGet("/", async (HttpRequest request, EnvironmentValues store, AccessControl access, CancellationToken ct) =>
        {
            var list = new JsonArray();
            foreach (var value in await ReadableAsync(request, store, access, ct))
                list.Add(new JsonObject { ["name"] = value.Name, ["value"] = value.Value, ["tags"] = SecretEndpoints.Tags(value.Tags) });
            return Results.Json(list, BatonJson.Context.JsonArray);
        }).WithMetadata(AccessRule.OnSome(TargetTypes.EnvVariable, AccessRight.Read)).WithSummary("Every environment value the caller may read");

        group.MapGet("/{key}", async (string key, EnvironmentValues store, CancellationToken ct) =>
            await store.GetAsync(key, ct) is { } value ? Results.Text(value.Value, "text/plain", Encoding.UTF8) : throw NotFound(key))
            .WithMetadata(On(AccessRight.Read)).Produces<string>(contentType: "text/plain").WithSummary("One environment value, as text");

        group.MapPut("/{key}", async (string key, HttpRequest request, EnvironmentValues store, CancellationToken ct) =>
        {
            var isJson = request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true;
            var body = await JsonBody.ReadTextAsync(request, isJson);
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
            await PutAsync(request, store, key, body, ct);
            return Results.Ok();
        }).WithMetadata(AccessRule.OnSome(TargetTypes.EnvVariable, AccessRight.Create | AccessRight.Update)).Accepts<string>("text/plain", "application/json").WithSummary("Create or update an environment value (text, or JSON text)");

        group.MapDelete("/{key}", async (string key, EnvironmentValues store, CancellationToken ct) =>
            await store.DeleteAsync(key, ct) is { } deleted ? Results.Text(deleted, "text/plain", Encoding.UTF8) : throw NotFound(key))
            .WithMetadata(On(AccessRight.Delete)).WithSummary("Delete an environment value; answers the deleted value");

        group.MapPut("/{key}/tags", (string key, HttpRequest request, EnvironmentValues store, AccessControl access, CancellationToken ct) =>
            ChangeTagsAsync(key, request, store, access, remove: false, ct))
            .WithMetadata(On(AccessRight.Update)).WithSummary("Add or replace tags");

        group.MapGet("/{key}/tags", async (string key, EnvironmentValues store, CancellationToken ct) =>
            Results.Json(SecretEndpoints.Tags((await store.GetAsync(key, ct) ?? throw NotFound(key)).Tags), BatonJson.Context.JsonArray))
            .WithMetadata(On(AccessRight.Read)).WithSummary("An environment value's tags");

        group.MapDelete("/{key}/tags", (string key, HttpRequest request, EnvironmentValues store, AccessControl access, CancellationToken ct) =>
            ChangeTagsAsync(key, request, store, access, remove: true, ct))
            .WithMetadata(On(AccessRight.Update)).WithSummary("Remove tags");
    }

    /// <summary>The environment values the caller may read (the API's list and the console's page).</summary>
    internal static async Task<List<Engine.Persistence.EnvironmentValue>> ReadableAsync(HttpRequest request, EnvironmentValues store, AccessControl access, CancellationToken ct)
    {
        var model = access.Model;
        return [.. (await store.ListAsync(ct)).Where(v => (model.RightsOn(request.CallerOf(), Env(v.Name), AccessControl.ToResourceTags(v.Tags)) & AccessRight.Read) != 0)];
    }

    /// <summary>
    /// Creates or updates a value as the caller: the name checked, CREATE or UPDATE required, the creator granted every
    /// right on a new one (the API's PUT and the console's form).
    /// </summary>
    internal static async Task PutAsync(HttpRequest request, EnvironmentValues store, string key, string value, CancellationToken ct)
    {
        if (Baton.Secrets.SecretName.Problem(key) is { } problem) throw new InvalidRequestException("key", problem.Replace("secret", "environment value", StringComparison.Ordinal));
        var exists = await store.GetAsync(key, ct) is not null;
        await Guard.RequireSaveAsync(request, Env(key), exists);
        await store.PutAsync(key, value, ct);
        if (!exists) await Guard.CreatedAsync(request, Env(key));
    }

    /// <summary>
    /// Deletes a value as the caller: DELETE required (the console's form; the API's route holds the same rule as its
    /// metadata). Answers the deleted value, or null when there was none.
    /// </summary>
    internal static async Task<string?> DeleteAsync(HttpRequest request, EnvironmentValues store, string key, CancellationToken ct)
    {
        await Guard.RequireAsync(request, Env(key), AccessRight.Delete);
        return await store.DeleteAsync(key, ct);
    }

    /// <summary>Sets or removes tags; a tag can grant access, so the change is checked against tag grants and audited.</summary>
    private static async Task<IResult> ChangeTagsAsync(string key, HttpRequest request, EnvironmentValues store, AccessControl access, bool remove, CancellationToken ct)
    {
        _ = await store.GetAsync(key, ct) ?? throw NotFound(key);
        var tags = await SecretEndpoints.ReadTagsAsync(request);
        AccessEndpoints.CheckTagRights(request, access, AccessControl.ToResourceTags(tags));
        if (remove) await store.RemoveTagsAsync(key, tags, ct);
        else await store.SetTagsAsync(key, tags, ct);
        await access.AuditAsync("tags", "ok", request.CallerOf().Id,
            $"environment value {key}: {(remove ? "removed" : "set")} {string.Join(", ", tags.Select(t => $"{t.Key}:{t.Value}"))}", ct);
        return Results.Ok();
    }

    private static AccessRule On(AccessRight rights) => AccessRule.On(TargetTypes.EnvVariable, rights, "key");

    internal static Target Env(string name) => new(TargetTypes.EnvVariable, name);

    private static NotFoundException NotFound(string key) => new($"No environment value named '{key}'");
}
