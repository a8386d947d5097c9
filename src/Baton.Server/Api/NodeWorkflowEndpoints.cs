using System.Text.Json.Nodes;
using Baton.Access.Model;
using Baton.Core.Definitions;
using Baton.Core.Json;
using Baton.Engine.Execution;
using Baton.Engine.Tasks.Nodes;
using Baton.Engine.Tasks.Nodes.Model;
using Baton.Engine.Tasks.Nodes.Trigger;
using Baton.Server.Auth;

namespace Baton.Server.Api;

/// <summary>
/// /v1/workflows: node workflows as Port shapes them, a second face of the workflow definitions. A node workflow is
/// a definition (<see cref="NodeWorkflows.Compile"/>), so it has the same names, versions, owners and grants
/// (WORKFLOW_DEF &lt;identifier&gt;): saving needs CREATE on a free name or UPDATE on one's own, reading READ, deleting
/// DELETE; the document passes the node validator (every problem with its JSON path, templates compiled and analysed)
/// and the check that it holds no secret's value.
/// </summary>
public static class NodeWorkflowEndpoints
{
    public static void MapNodeWorkflowEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/workflows").WithTags("Node workflows");
        var json = BatonJson.Context;

        group.MapPost("/", async (HttpRequest request, DefinitionCatalog catalog, NodeSchedules schedules, CancellationToken ct) =>
        {
            var doc = await JsonBody.ReadAsync(request, json.JsonObject);
            Check(doc, catalog);
            var identifier = doc["identifier"]!.GetValue<string>();
            if (await LatestAsync(catalog, identifier, ct) is { } taken)
            {
                throw new ConflictException(NodeWiring.IsNodeWorkflow(taken)
                    ? $"A workflow named '{identifier}' exists; PUT /v1/workflows/{identifier} stores a new version"
                    : $"'{identifier}' is a Conductor workflow definition (/api/metadata/workflow/{identifier}); a node workflow needs another identifier");
            }
            var saved = await SaveAsync(request, catalog, schedules, doc, 1, ct);
            return Results.Json(new JsonObject { ["ok"] = true, ["workflow"] = NodeWorkflows.View(saved, saved) }, json.JsonObject, statusCode: StatusCodes.Status201Created);
        }).WithMetadata(AccessRule.OnSome(TargetTypes.WorkflowDef, AccessRight.Create)).Accepts<JsonObject>("application/json")
          .WithSummary("Create a node workflow (409 when the identifier is taken); answers {ok, workflow}");

        group.MapPut("/{identifier}", async (string identifier, HttpRequest request, DefinitionCatalog catalog, NodeSchedules schedules, CancellationToken ct) =>
        {
            var doc = await JsonBody.ReadAsync(request, json.JsonObject);
            var (saved, isNew) = await PutAsync(request, catalog, schedules, identifier, doc, ct);
            return Results.Json(new JsonObject { ["ok"] = true, ["workflow"] = NodeWorkflows.View(saved, await FirstAsync(catalog, identifier, ct)) }, json.JsonObject,
                statusCode: isNew ? StatusCodes.Status201Created : StatusCodes.Status200OK);
        }).WithMetadata(AccessRule.OnSome(TargetTypes.WorkflowDef, AccessRight.Create | AccessRight.Update)).Accepts<JsonObject>("application/json")
          .WithSummary("Store a new version of a node workflow (or create it: 201); answers {ok, workflow}");

        group.MapGet("/{identifier}", async (string identifier, int? version, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            var def = await catalog.GetWorkflowDefAsync(identifier, version, ct);
            if (!NodeWiring.IsNodeWorkflow(def)) throw new NotFoundException($"No node workflow '{identifier}' (it is a Conductor definition: /api/metadata/workflow/{identifier})");
            return Results.Json(new JsonObject { ["ok"] = true, ["workflow"] = NodeWorkflows.View(def, await FirstAsync(catalog, identifier, ct)) }, json.JsonObject);
        }).WithMetadata(AccessRule.On(TargetTypes.WorkflowDef, AccessRight.Read, "identifier")).WithSummary("A node workflow: its latest version, or ?version=N");

        group.MapGet("/", async (HttpRequest request, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            var (latest, first) = (new Dictionary<string, WorkflowDef>(StringComparer.Ordinal), new Dictionary<string, WorkflowDef>(StringComparer.Ordinal));
            foreach (var def in await MetadataEndpoints.ReadableWorkflowDefsAsync(request, catalog, ct))
            {
                if (!NodeWiring.IsNodeWorkflow(def)) continue;
                if (!latest.TryGetValue(def.Name, out var newest) || newest.Version < def.Version) latest[def.Name] = def;
                if (!first.TryGetValue(def.Name, out var oldest) || oldest.Version > def.Version) first[def.Name] = def;
            }
            var list = new JsonArray();
            foreach (var def in latest.Values.OrderBy(d => d.Name, StringComparer.Ordinal)) list.Add(NodeWorkflows.View(def, first[def.Name]));
            return Results.Json(new JsonObject { ["ok"] = true, ["workflows"] = list }, json.JsonObject);
        }).WithMetadata(AccessRule.OnSome(TargetTypes.WorkflowDef, AccessRight.Read)).WithSummary("The node workflows the caller may read, each at its latest version");

        group.MapDelete("/{identifier}", async (string identifier, HttpRequest request, DefinitionCatalog catalog, NodeSchedules schedules, CancellationToken ct) =>
        {
            var versions = (await catalog.ListWorkflowDefsAsync(ct)).Where(d => d.Name == identifier).ToList();
            if (versions.Count == 0 || !versions.All(NodeWiring.IsNodeWorkflow)) throw new NotFoundException($"No node workflow '{identifier}'");
            await schedules.DeleteAllAsync(identifier, ct);
            foreach (var def in versions) await catalog.DeleteWorkflowDefAsync(identifier, def.Version, ct);
            request.HttpContext.RequestServices.GetRequiredService<Hosting.NodeEventTriggers>().Invalidate();
            return Results.Json(new JsonObject { ["ok"] = true }, json.JsonObject);
        }).WithMetadata(AccessRule.On(TargetTypes.WorkflowDef, AccessRight.Delete, "identifier")).WithSummary("Delete a node workflow, every version (its runs stay)");
    }

    /// <summary>
    /// PUT /v1/workflows/{identifier}'s save, which the console's editor calls too: the document is checked whole (every
    /// problem with its path), then stored as a new version under the ownership rules of every definition.
    /// </summary>
    public static async Task<(WorkflowDef Saved, bool IsNew)> PutAsync(HttpRequest request, DefinitionCatalog catalog, NodeSchedules schedules, string identifier, JsonObject doc, CancellationToken ct)
    {
        doc["identifier"] ??= identifier;
        if (doc["identifier"]?.ToString() != identifier) throw new InvalidRequestException("$.identifier", $"the identifier in the body must be the path's ('{identifier}')");
        Check(doc, catalog);
        var latest = await LatestAsync(catalog, identifier, ct);
        return (await SaveAsync(request, catalog, schedules, doc, (latest?.Version ?? 0) + 1, ct), latest is null);
    }

    private static void Check(JsonObject doc, DefinitionCatalog catalog)
    {
        var problems = NodeWorkflows.Validate(doc);
        if (problems.Count > 0) throw new InvalidRequestException(problems);
        catalog.CheckNoSecretValues(doc, "$");
    }

    /// <summary>The workflow's first version: its creation is the workflow's (Port's createdAt and createdBy); null when it was deleted.</summary>
    private static async Task<WorkflowDef?> FirstAsync(DefinitionCatalog catalog, string identifier, CancellationToken ct)
    {
        try
        {
            return await catalog.GetWorkflowDefAsync(identifier, 1, ct);
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    private static async Task<WorkflowDef?> LatestAsync(DefinitionCatalog catalog, string identifier, CancellationToken ct)
    {
        try
        {
            return await catalog.GetWorkflowDefAsync(identifier, null, ct);
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    /// <summary>Saves the compiled definition as the caller's (the ownership rules of every definition) and its schedule triggers.</summary>
    private static async Task<WorkflowDef> SaveAsync(HttpRequest request, DefinitionCatalog catalog, NodeSchedules schedules, JsonObject doc, int version, CancellationToken ct)
    {
        var def = NodeWorkflows.Compile(doc, version);
        var created = await DefinitionOwnership.RequireSaveAsync(request, catalog, [def], ct);
        var caller = request.CallerOf().Id;
        await catalog.SaveWorkflowDefAsync(def, overwrite: false, caller, ct);
        await MetadataEndpoints.GrantCreatorAsync(request, TargetTypes.WorkflowDef, created);
        await schedules.SyncAsync(def, caller, ct);
        request.HttpContext.RequestServices.GetRequiredService<Hosting.NodeEventTriggers>().Invalidate();
        return await catalog.GetWorkflowDefAsync(def.Name, def.Version, ct);
    }
}
