using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Core.Json;
using Baton.Core.Validation;
using Baton.Engine.Execution;
using Baton.Engine.Tasks.Nodes;
using Baton.Secrets.Service;
using Baton.Secrets.Store;
using Baton.Server.Auth;

namespace Baton.Server.Api;

/// <summary>
/// /v1/organization/secrets: Port's shapes over the same vault as /api/secrets, with the same rules: a value goes in
/// (POST, PATCH) and never comes out; a list shows the secrets the caller may use. Port's
/// <c>description</c> is the vault's description of the version written.
/// </summary>
public static partial class PortSecretEndpoints
{
    /// <summary>Seeing a secret's metadata takes what /api/secrets lists by: READ or EXECUTE on it.</summary>
    private const AccessRight Use = AccessRight.Read | AccessRight.Execute;

    [GeneratedRegex("^[A-Za-z0-9_-]{1,100}$")]
    private static partial Regex NamePattern();

    public static void MapPortSecretEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/organization/secrets").WithTags("Node workflows: secrets");
        var json = BatonJson.Context;

        group.MapGet("/", async (HttpRequest request, SecretVault vault, AccessControl access, CancellationToken ct) =>
        {
            var list = new JsonArray();
            foreach (var record in await vault.ListAsync(includeDeleted: false, ct))
            {
                if ((access.Model.RightsOn(request.CallerOf(), new Target(TargetTypes.SecretName, record.Name), AccessControl.ToResourceTags(record.Tags)) & Use) != 0) list.Add(View(record));
            }
            return Results.Json(new JsonObject { ["ok"] = true, ["secrets"] = list }, json.JsonObject);
        }).WithMetadata(AccessRule.OnSome(TargetTypes.SecretName, AccessRight.All)).WithSummary("The secrets the caller may use (READ or EXECUTE): names and descriptions, never values");

        group.MapGet("/{name}", async (string name, SecretVault vault, CancellationToken ct) =>
            Results.Json(new JsonObject { ["ok"] = true, ["secret"] = View(await vault.GetRecordAsync(name, ct)) }, json.JsonObject))
            .WithMetadata(AccessRule.On(TargetTypes.SecretName, Use, "name")).WithSummary("A secret's metadata, never its value");

        group.MapPost("/", async (HttpRequest request, SecretVault vault, CancellationToken ct) =>
        {
            var body = await JsonBody.ReadAsync(request, json.JsonObject);
            var problems = Unknown(body, "secretName", "secretValue", "description");
            var name = Text(body["secretName"]);
            if (name is null || !NamePattern().IsMatch(name)) problems.Add(new("$.secretName", "secretName is 1 to 100 letters, digits, '-' or '_'"));
            CheckValue(body, problems, required: true);
            CheckDescription(body, problems);
            if (problems.Count > 0) throw new InvalidRequestException(problems);
            if (await vault.ExistsAsync(name!, ct)) throw new ConflictException($"Secret '{name}' exists; PATCH /v1/organization/secrets/{name} gives it a new value");
            await vault.PutAsync(name!, SecretValue.FromString(Text(body["secretValue"])!), Text(body["description"]), 0, request.CallerOf().Id, ct);
            return Results.Json(new JsonObject { ["ok"] = true, ["secret"] = View(await vault.GetRecordAsync(name!, ct)) }, json.JsonObject, statusCode: StatusCodes.Status201Created);
        }).WithMetadata(AccessRule.OnSome(TargetTypes.SecretName, AccessRight.Create)).Accepts<JsonObject>("application/json")
          .WithSummary("Create a secret: {secretName, secretValue, description}; answers its metadata");

        group.MapPatch("/{name}", async (string name, HttpRequest request, SecretVault vault, CancellationToken ct) =>
        {
            var body = await JsonBody.ReadAsync(request, json.JsonObject);
            var problems = Unknown(body, "secretValue", "description");
            CheckValue(body, problems, required: false);
            CheckDescription(body, problems);
            if (!body.ContainsKey("secretValue") && !body.ContainsKey("description")) problems.Add(new("$", "send secretValue, description, or both"));
            if (body.ContainsKey("secretValue") && body["secretValue"] is null) problems.Add(new("$.secretValue", "secretValue is a non-empty string (a value cannot be cleared; DELETE the secret)"));
            if (problems.Count > 0) throw new InvalidRequestException(problems);
            var caller = request.CallerOf().Id;
            if (body.ContainsKey("secretValue"))
            {
                // A new value is a new version; a description sent with it goes with it, else the current one stays.
                var current = await vault.GetRecordAsync(name, ct);
                await vault.PutAsync(name, SecretValue.FromString(Text(body["secretValue"])!), body.ContainsKey("description") ? Text(body["description"]) : current.Description, null, caller, ct);
            }
            else
            {
                // Only a description (null clears it): no new version.
                await vault.SetDescriptionAsync(name, Text(body["description"]), caller, ct);
            }
            return Results.Json(new JsonObject { ["ok"] = true, ["secret"] = View(await vault.GetRecordAsync(name, ct)) }, json.JsonObject);
        }).WithMetadata(AccessRule.On(TargetTypes.SecretName, AccessRight.Update, "name")).Accepts<JsonObject>("application/json")
          .WithSummary("Give a secret a new value (a new version) and/or a new description (a description alone makes no new version; null clears it)");

        group.MapDelete("/{name}", async (string name, HttpRequest request, SecretVault vault, CancellationToken ct) =>
        {
            await vault.DeleteAsync(name, request.CallerOf().Id, ct);
            return Results.Json(new JsonObject { ["ok"] = true }, json.JsonObject);
        }).WithMetadata(AccessRule.On(TargetTypes.SecretName, AccessRight.Delete, "name")).WithSummary("Delete a secret (restorable within the recovery window through /api/secrets)");
    }

    private static JsonObject View(SecretRecord record) => new()
    {
        ["secretName"] = record.Name,
        ["description"] = record.Description,
        ["createdAt"] = NodeContext.Time(record.CreatedAt),
        ["updatedAt"] = NodeContext.Time(record.UpdatedAt),
    };

    private static List<ValidationProblem> Unknown(JsonObject body, params string[] known) =>
        [.. body.Where(p => !known.Contains(p.Key)).Select(p => new ValidationProblem($"$.{p.Key}", $"unknown field; the fields are {string.Join(", ", known)}"))];

    private static void CheckValue(JsonObject body, List<ValidationProblem> problems, bool required)
    {
        if (body["secretValue"] is null)
        {
            if (required) problems.Add(new("$.secretValue", "secretValue is required"));
        }
        else if (Text(body["secretValue"]) is not { Length: > 0 })
        {
            problems.Add(new("$.secretValue", "secretValue is a non-empty string"));
        }
    }

    private static void CheckDescription(JsonObject body, List<ValidationProblem> problems)
    {
        if (body["description"] is { } d && Text(d) is not { Length: <= 200 }) problems.Add(new("$.description", "description is a string of at most 200 characters"));
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
