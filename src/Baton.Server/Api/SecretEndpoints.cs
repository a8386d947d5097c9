using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Core.Definitions;
using Baton.Core.Expressions;
using Baton.Core.Json;
using Baton.Engine.Execution;
using Baton.Secrets.Audit;
using Baton.Secrets.Service;
using Baton.Secrets.Store;
using Baton.Server.Auth;
using Baton.Server.Views;

namespace Baton.Server.Api;

/// <summary>
/// /api/secrets in Orkes' shapes (so the Orkes SDKs work unmodified), plus Baton's additions: versions, restore,
/// destroy, metadata, usage. No list or metadata answer ever carries a value; the one deliberate, audited
/// read-back is GET /api/secrets/{key}.
/// </summary>
public static class SecretEndpoints
{
    public static void MapSecretEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/secrets").WithTags("Secrets");

        group.MapPut("/{key}", async (string key, string? description, HttpRequest request, SecretVault vault, CancellationToken ct) =>
        {
            var value = await ReadValueAsync(request, vault.Options.MaxValueBytes);
            // The vault checks the caller's rights (UPDATE on a taken name, a deleted one included; CREATE on a new
            // one, whose creator the caller becomes) through the one policy, as it does for an UPDATE_SECRET task.
            var version = await vault.PutAsync(key, value, description, ExpectedVersion(request), Principal(request), ct);
            request.HttpContext.Response.Headers.ETag = $"\"{version}\"";
            return Results.Ok();
        }).WithMetadata(AccessRule.OnSome(TargetTypes.SecretName, AccessRight.Create | AccessRight.Update)).Accepts<string>("application/json", "text/plain")
          .WithSummary("Create or update a secret: a JSON string, a JSON object, or text/plain. If-Match: <version> makes it check-and-set (412 on conflict); the new version comes back in ETag");

        group.MapGet("/{key}", async (string key, HttpRequest request, SecretVault vault, CancellationToken ct) =>
            Results.Text((await vault.ReadBackAsync(key, Principal(request), ct)).Text, "text/plain", Encoding.UTF8))
            .WithMetadata(new SecretValueResponse(), On(AccessRight.Read))
            .Produces<string>(contentType: "text/plain")
            .WithSummary("Read a secret's value back (audited); a JSON secret comes back as its JSON text");

        group.MapDelete("/{key}", async (string key, HttpRequest request, SecretVault vault, CancellationToken ct) =>
        {
            await vault.DeleteAsync(key, Principal(request), ct);
            return Results.Ok();
        }).WithMetadata(On(AccessRight.Delete)).WithSummary("Delete a secret (restorable within the recovery window)");

        group.MapGet("/{key}/exists", async (string key, SecretVault vault, CancellationToken ct) =>
            Results.Json(await vault.ExistsAsync(key, ct), BatonJson.Context.Boolean))
            .WithMetadata(On(Use)).WithSummary("true when the secret exists");

        group.MapPost("/", async (HttpRequest request, SecretVault vault, AccessControl access, CancellationToken ct) =>
            Results.Json(await NamesAsync(request, vault, access, Use, all: false, ct), BatonJson.Context.ListString))
            .WithMetadata(SomeSecret).WithSummary("Names of the secrets the caller may use (READ or EXECUTE)");
        group.MapGet("/", async (HttpRequest request, SecretVault vault, AccessControl access, CancellationToken ct) =>
            Results.Json(await NamesAsync(request, vault, access, ParseAccess(request), all: true, ct), BatonJson.Context.ListString))
            .WithMetadata(SomeSecret).WithSummary("Names of the secrets the caller holds every ?access= on (READ when none is given; several are AND)");

        app.MapGet("/api/secrets-v2", async (HttpRequest request, SecretVault vault, AccessControl access, CancellationToken ct) =>
        {
            var list = new JsonArray();
            foreach (var record in await vault.ListAsync(includeDeleted: false, ct))
            {
                if (!Holds(request, access, record, Use, all: false)) continue;
                list.Add(new JsonObject { ["name"] = record.Name, ["tags"] = Tags(record.Tags) });
            }
            return Results.Json(list, BatonJson.Context.JsonArray);
        }).WithTags("Secrets").WithMetadata(SomeSecret).WithSummary("Names of the secrets the caller may use, with their tags");

        group.MapPut("/{key}/tags", async (string key, HttpRequest request, SecretVault vault, AccessControl access, CancellationToken ct) =>
        {
            var tags = await ReadTagsAsync(request);
            AccessEndpoints.CheckTagRights(request, access, AccessControl.ToResourceTags(tags));
            await vault.SetTagsAsync(key, tags, Principal(request), ct);
            return Results.Ok();
        }).WithMetadata(On(AccessRight.Update)).Accepts<List<JsonObject>>("application/json").WithSummary("Add or replace tags: [{\"key\",\"value\"}]");

        group.MapGet("/{key}/tags", async (string key, SecretVault vault, CancellationToken ct) =>
            Results.Json(Tags((await vault.GetRecordAsync(key, ct)).Tags), BatonJson.Context.JsonArray))
            .WithMetadata(On(Use)).WithSummary("A secret's tags");

        group.MapDelete("/{key}/tags", async (string key, HttpRequest request, SecretVault vault, AccessControl access, CancellationToken ct) =>
        {
            var tags = await ReadTagsAsync(request);
            AccessEndpoints.CheckTagRights(request, access, AccessControl.ToResourceTags(tags));
            await vault.RemoveTagsAsync(key, tags, Principal(request), ct);
            return Results.Ok();
        }).WithMetadata(On(AccessRight.Update)).Accepts<List<JsonObject>>("application/json").WithSummary("Remove tags: [{\"key\",\"value\"}]");

        group.MapGet("/{key}/versions", async (string key, SecretVault vault, CancellationToken ct) =>
            Results.Json(await SecretViews.VersionsAsync(key, vault, ct), ViewJsonContext.Default.IReadOnlyListSecretVersionView))
            .WithMetadata(On(Use)).WithSummary("A secret's versions (metadata only, newest first)");

        group.MapDelete("/{key}/versions/{version:int}", async (string key, int version, HttpRequest request, SecretVault vault, CancellationToken ct) =>
        {
            await vault.DestroyVersionAsync(key, version, Principal(request), ct);
            return Results.Ok();
        }).WithMetadata(On(AccessRight.Delete)).WithSummary("Destroy one version for good (its ciphertext is erased)");

        group.MapPost("/{key}/versions/{version:int}/restore", async (string key, int version, HttpRequest request, SecretVault vault, CancellationToken ct) =>
            Results.Json(new JsonObject { ["version"] = await vault.RestoreVersionAsync(key, version, Principal(request), ct) }, BatonJson.Context.JsonObject))
            .WithMetadata(On(AccessRight.Update)).WithSummary("Make an earlier version's value current again, as a new version (the value never leaves the server)");

        group.MapPost("/{key}/restore", async (string key, HttpRequest request, SecretVault vault, CancellationToken ct) =>
        {
            await vault.RestoreAsync(key, Principal(request), ct);
            return Results.Ok();
        }).WithMetadata(On(AccessRight.Delete | AccessRight.Update)).WithSummary("Restore a deleted secret within the recovery window");

        group.MapGet("/{key}/metadata", async (string key, HttpRequest request, SecretVault vault, AccessControl access, DefinitionCatalog catalog, CancellationToken ct) =>
            Results.Json(await SecretViews.MetadataAsync(request, key, vault, access, catalog, ct), ViewJsonContext.Default.SecretMetadataView))
            .WithMetadata(On(Use)).WithSummary("What is known about a secret, never its value");

        group.MapGet("/{key}/bindings", async (string key, HttpRequest request, SecretVault vault, AccessControl access, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            await vault.GetRecordAsync(key, ct);
            return Results.Json(await SecretViews.BindingsAsync(request, key, access, catalog, ct), ViewJsonContext.Default.IReadOnlyListBindingView);
        }).WithMetadata(On(Use)).WithSummary("The definitions a secret is bound to: each may use it although its author may not READ it, as long as its content is the one bound");

        group.MapPut("/{key}/bindings/{workflowName}/{version:int}", async (string key, string workflowName, int version, HttpRequest request,
            SecretVault vault, AccessControl access, DefinitionCatalog catalog, CancellationToken ct) =>
            Results.Json(await BindAsync(request, key, workflowName, version, vault, access, catalog, ct), ViewJsonContext.Default.BindingView))
            .WithMetadata(On(BindRights))
            .WithSummary("Bind a secret to a workflow definition version as it is stored now (needs READ on both): its runs may use the secret whoever wrote it; a later edit is not covered");

        group.MapDelete("/{key}/bindings/{workflowName}/{version:int}", async (string key, string workflowName, int version, HttpRequest request,
            AccessControl access, CancellationToken ct) =>
        {
            await UnbindAsync(request, key, workflowName, version, access, ct);
            return Results.Ok();
        }).WithMetadata(On(UnbindRights)).WithSummary("Remove a secret's bindings to a workflow definition version");

        group.MapGet("/{key}/usage", async (string key, HttpRequest request, SecretVault vault, DefinitionCatalog catalog, WorkflowExecutor executor,
            AccessControl access, CancellationToken ct) =>
        {
            await vault.GetRecordAsync(key, ct);
            var runs = new JsonArray();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var caller = request.CallerOf();
            foreach (var e in await vault.QueryAuditAsync(new AuditQuery { Secret = key, Action = "resolve", Limit = 500 }, ct))
            {
                if (e.WorkflowId is null || e.Outcome != "ok" || !seen.Add(e.WorkflowId)) continue;
                // Only runs the caller may see: a secret's EXECUTE does not tell who else used it, or when.
                if (!await MayViewRunAsync(executor, caller, access, e.WorkflowId, ct)) continue;
                runs.Add(new JsonObject { ["workflowId"] = e.WorkflowId, ["version"] = e.Version, ["usedAt"] = e.Time });
                if (runs.Count == 50) break;
            }
            return Results.Json(new JsonObject { ["definitions"] = JsonSerializer.SerializeToNode(await SecretViews.ReferencingDefinitionsAsync(request, key, catalog, ct), ViewJsonContext.Default.IReadOnlyListDefinitionReferenceView), ["recentRuns"] = runs }, BatonJson.Context.JsonObject);
        }).WithMetadata(On(Use)).WithSummary("Which workflow definitions reference a secret, and which recent runs used it");
    }

    private static async Task<bool> MayViewRunAsync(WorkflowExecutor executor, Principal caller, AccessControl access, string workflowId, CancellationToken ct)
    {
        try
        {
            return RunAccess.MayView(caller, access.Model, await executor.GetWorkflowAsync(workflowId, includeTasks: false, ct));
        }
        catch (NotFoundException)
        {
            return false; // removed since
        }
    }

    /// <summary>Binding a secret needs READ on it (and READ on the definition, checked in <see cref="BindAsync"/>).</summary>
    internal const AccessRight BindRights = AccessRight.Read;

    /// <summary>Removing a binding needs READ or UPDATE on the secret.</summary>
    internal const AccessRight UnbindRights = AccessRight.Read | AccessRight.Update;

    /// <summary>
    /// Binds the secret to a definition version as stored now, as the caller: READ on the secret and on the definition
    /// (the API's PUT and the console's form).
    /// </summary>
    internal static async Task<BindingView> BindAsync(HttpRequest request, string key, string workflowName, int version,
        SecretVault vault, AccessControl access, DefinitionCatalog catalog, CancellationToken ct)
    {
        await vault.GetRecordAsync(key, ct);
        await Guard.RequireAsync(request, Secret(key), BindRights);
        await Guard.RequireAsync(request, new Target(TargetTypes.WorkflowDef, workflowName), AccessRight.Read);
        var origin = SecretHandOff.OriginOf(await catalog.GetWorkflowDefAsync(workflowName, version, ct));
        await access.ChangeBindingAsync(key, origin, remove: false, request.CallerOf(), ct);
        return new BindingView(origin.Name, origin.Version, origin.Fingerprint, Current: true);
    }

    /// <summary>Removes the secret's bindings to a definition version, as the caller (READ or UPDATE on the secret); 404 when there were none.</summary>
    internal static async Task UnbindAsync(HttpRequest request, string key, string workflowName, int version, AccessControl access, CancellationToken ct)
    {
        await Guard.RequireAsync(request, Secret(key), UnbindRights);
        var removed = 0;
        foreach (var id in access.BindingsOf(key))
        {
            if (ParseBinding(id) is not { } binding || binding.Name != workflowName || binding.Version != version) continue;
            await access.ChangeBindingAsync(key, binding, remove: true, request.CallerOf(), ct);
            removed++;
        }
        if (removed == 0) throw new NotFoundException($"Secret '{key}' is not bound to workflow '{workflowName}' version {version}");
    }

    /// <summary>Using a secret in a run needs READ or EXECUTE; so does seeing that it exists and its metadata.</summary>
    private const AccessRight Use = AccessRight.Read | AccessRight.Execute;

    private static readonly AccessRule SomeSecret = AccessRule.OnSome(TargetTypes.SecretName, AccessRight.All);

    private static AccessRule On(AccessRight rights) => AccessRule.On(TargetTypes.SecretName, rights, "key");

    private static Target Secret(string name) => new(TargetTypes.SecretName, name);

    private static async Task<List<string>> NamesAsync(HttpRequest request, SecretVault vault, AccessControl access, AccessRight rights, bool all, CancellationToken ct) =>
        [.. (await vault.ListAsync(includeDeleted: false, ct)).Where(r => Holds(request, access, r, rights, all)).Select(r => r.Name)];

    /// <summary>Whether the caller holds every one (<paramref name="all"/>) or any one of <paramref name="rights"/> on a secret.</summary>
    private static bool Holds(HttpRequest request, AccessControl access, SecretRecord record, AccessRight rights, bool all)
    {
        var held = access.Model.RightsOn(request.CallerOf(), Secret(record.Name), AccessControl.ToResourceTags(record.Tags));
        return all ? (held & rights) == rights : (held & rights) != 0;
    }

    /// <summary>Orkes' <c>?access=READ&amp;access=UPDATE</c>: READ when none is given.</summary>
    private static AccessRight ParseAccess(HttpRequest request)
    {
        var rights = AccessRight.None;
        var values = request.Query["access"];
        for (var i = 0; i < values.Count; i++)
        {
            if (AccessRights.TryParse(values[i], out var right)) rights |= right;
            else throw new InvalidRequestException("access", $"unknown access '{values[i]}'; valid: {AccessRights.ValidNames}");
        }
        return rights == AccessRight.None ? AccessRight.Read : rights;
    }

    /// <summary>A binding id, <c>name@version#fingerprint</c>, read from its end (a name may hold '@' or '#').</summary>
    internal static DefinitionOrigin? ParseBinding(string id)
    {
        var hash = id.LastIndexOf('#');
        var at = hash < 0 ? -1 : id.LastIndexOf('@', hash);
        if (at <= 0 || !int.TryParse(id.AsSpan(at + 1, hash - at - 1), System.Globalization.CultureInfo.InvariantCulture, out var version)) return null;
        return new DefinitionOrigin(id[..at], version, null, id[(hash + 1)..]);
    }

    internal static JsonArray Tags(IReadOnlyList<SecretTag> tags) =>
        new([.. tags.Select(t => (JsonNode?)new JsonObject { ["key"] = t.Key, ["value"] = t.Value })]);

    /// <summary>Reads a value body: a JSON string or object (what the Orkes SDKs send), or raw text/plain.</summary>
    internal static async Task<SecretValue> ReadValueAsync(HttpRequest request, int maxBytes)
    {
        var isJson = request.ContentType is null || request.ContentType.Contains("json", StringComparison.OrdinalIgnoreCase);
        var body = await JsonBody.ReadTextAsync(request, isJson);
        if (Encoding.UTF8.GetByteCount(body) > maxBytes + 64 * 1024)
        {
            throw new SecretTooLargeException($"A secret value is at most {maxBytes} bytes; the limit is Baton:Secrets:MaxValueBytes");
        }
        if (!SecretValue.TryParseBody(body, isJson, out var value, out var problem)) throw new SecretRequestException("$", problem!);
        return value!;
    }

    /// <summary>Reads <c>[{"key","value"}]</c>; anything else is a 400 naming the element at fault.</summary>
    internal static async Task<List<SecretTag>> ReadTagsAsync(HttpRequest request)
    {
        var node = await JsonBody.ReadNodeAsync(request);
        if (node is not JsonArray array) throw new InvalidRequestException("$", "tags are a JSON array of {\"key\", \"value\"} objects");
        var tags = new List<SecretTag>();
        var problems = new List<Core.Validation.ValidationProblem>();
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject tag)
            {
                problems.Add(new($"$[{i}]", "a tag is an object {\"key\", \"value\"}"));
                continue;
            }
            var key = tag["key"] is JsonValue k && k.GetValueKind() == JsonValueKind.String ? k.GetValue<string>() : null;
            var value = tag["value"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
            if (string.IsNullOrWhiteSpace(key)) problems.Add(new($"$[{i}].key", "key is required (a string)"));
            if (value is null) problems.Add(new($"$[{i}].value", "value is required (a string)"));
            if (key is not null && value is not null) tags.Add(new SecretTag(key, value));
        }
        if (problems.Count > 0) throw new InvalidRequestException(problems);
        return tags;
    }

    private static int? ExpectedVersion(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString();
        if (string.IsNullOrEmpty(header)) return null;
        var trimmed = header.Trim().TrimStart('W', '/').Trim('"');
        return int.TryParse(trimmed, System.Globalization.CultureInfo.InvariantCulture, out var version) && version >= 0
            ? version
            : throw new InvalidRequestException("If-Match", "If-Match holds the version the write expects, e.g. If-Match: \"3\" (0: must not exist yet)");
    }

    /// <summary>Who is calling (what the audit records).</summary>
    internal static string Principal(HttpRequest request) => request.CallerOf().Id;
}

/// <summary>
/// Marks the endpoints whose answer carries secret values on purpose: the audited read-back, and the worker poll
/// answers (the hand-off to a worker). The response filter lets their 200 answers through.
/// </summary>
public sealed class SecretValueResponse;
