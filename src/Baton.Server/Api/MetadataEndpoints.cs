using Baton.Access.Model;
using Baton.Core.Definitions;
using Baton.Core.Json;
using Baton.Engine.Execution;
using Baton.Server.Auth;

namespace Baton.Server.Api;

/// <summary>/api/metadata: workflow and task definitions (Conductor paths and shapes).</summary>
public static class MetadataEndpoints
{
    public static void MapMetadataEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/metadata").WithTags("Metadata");
        var json = BatonJson.Context;

        group.MapPost("/workflow", async (HttpRequest request, DefinitionCatalog catalog, bool? overwrite, CancellationToken ct) =>
        {
            var def = await JsonBody.ReadAsync(request, json.WorkflowDef);
            RefuseNodeFormat([def]);
            var created = await DefinitionOwnership.RequireSaveAsync(request, catalog, [def], ct);
            catalog.Validate(def, "$");
            await DefinitionOwnership.ClaimWorkerTypesAsync(request, catalog, [def], ct);
            await catalog.SaveWorkflowDefAsync(def, overwrite ?? false, request.CallerOf().Id, ct);
            await GrantCreatorAsync(request, TargetTypes.WorkflowDef, created);
            return Results.Ok();
        }).WithMetadata(AccessRule.OnSome(TargetTypes.WorkflowDef, AccessRight.Create | AccessRight.Update)).Accepts<WorkflowDef>("application/json").WithSummary("Register a workflow definition (409 when it exists, unless overwrite=true)");

        group.MapPut("/workflow", async (HttpRequest request, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            var defs = await JsonBody.ReadAsync(request, json.ListWorkflowDef);
            await SaveWorkflowDefsAsync(request, catalog, defs, asList: true, ct);
            return Results.Json(new BulkResponse { BulkSuccessfulResults = [.. defs.Select(d => d.Name)] }, ServerJsonContext.Readable.BulkResponse);
        }).WithMetadata(AccessRule.OnSome(TargetTypes.WorkflowDef, AccessRight.Create | AccessRight.Update)).Accepts<List<WorkflowDef>>("application/json").WithSummary("Create or update a list of workflow definitions");

        group.MapPost("/workflow/validate", async (HttpRequest request, DefinitionCatalog catalog) =>
        {
            var def = await JsonBody.ReadAsync(request, json.WorkflowDef);
            catalog.Validate(def, "$");
            return Results.Ok();
        }).WithMetadata(AccessRule.OnSome(TargetTypes.WorkflowDef, AccessRight.Create | AccessRight.Update)).Accepts<WorkflowDef>("application/json").WithSummary("Validate a workflow definition without storing it");

        group.MapGet("/workflow", async (HttpRequest request, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            return Results.Json(await ReadableWorkflowDefsAsync(request, catalog, ct), json.ListWorkflowDef);
        }).WithMetadata(AccessRule.OnSome(TargetTypes.WorkflowDef, AccessRight.Read)).WithSummary("Every version of every workflow definition the caller may read");

        group.MapGet("/workflow/{name}", async (string name, int? version, DefinitionCatalog catalog, CancellationToken ct) =>
            Results.Json(await catalog.GetWorkflowDefAsync(name, version, ct), json.WorkflowDef))
            .WithMetadata(AccessRule.On(TargetTypes.WorkflowDef, AccessRight.Read, "name")).WithSummary("One workflow definition (latest version unless ?version=)");

        group.MapDelete("/workflow/{name}/{version:int}", async (string name, int version, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            await catalog.DeleteWorkflowDefAsync(name, version, ct);
            return Results.Ok();
        }).WithMetadata(AccessRule.On(TargetTypes.WorkflowDef, AccessRight.Delete, "name")).WithSummary("Delete one version of a workflow definition");

        group.MapPost("/taskdefs", async (HttpRequest request, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            var defs = await JsonBody.ReadAsync(request, json.ListTaskDef);
            var created = await RequireSaveTasksAsync(request, catalog, defs);
            await DefinitionOwnership.RequireFreeWorkerTypesAsync(request, catalog, created, ct);
            await catalog.SaveTaskDefsAsync(defs, request.CallerOf().Id, ct);
            await GrantCreatorAsync(request, TargetTypes.TaskDef, created);
            return Results.Ok();
        }).WithMetadata(AccessRule.OnSome(TargetTypes.TaskDef, AccessRight.Create | AccessRight.Update)).Accepts<List<TaskDef>>("application/json").WithSummary("Create or update a list of task definitions");

        group.MapPut("/taskdefs", async (HttpRequest request, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            var def = await JsonBody.ReadAsync(request, json.TaskDef);
            var created = await RequireSaveTasksAsync(request, catalog, [def]);
            await DefinitionOwnership.RequireFreeWorkerTypesAsync(request, catalog, created, ct);
            await catalog.SaveTaskDefsAsync([def], request.CallerOf().Id, ct);
            await GrantCreatorAsync(request, TargetTypes.TaskDef, created);
            return Results.Ok();
        }).WithMetadata(AccessRule.OnSome(TargetTypes.TaskDef, AccessRight.Create | AccessRight.Update)).Accepts<TaskDef>("application/json").WithSummary("Create or update one task definition");

        group.MapGet("/taskdefs", async (HttpRequest request, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            var visible = new List<TaskDef>();
            foreach (var def in await catalog.ListTaskDefsAsync(ct))
            {
                if (await Guard.HoldsAsync(request, new Target(TargetTypes.TaskDef, def.Name), AccessRight.Read)) visible.Add(def);
            }
            return Results.Json(visible, json.ListTaskDef);
        }).WithMetadata(AccessRule.OnSome(TargetTypes.TaskDef, AccessRight.Read)).WithSummary("Every task definition the caller may read");

        group.MapGet("/taskdefs/{name}", async (string name, DefinitionCatalog catalog, CancellationToken ct) =>
            Results.Json(await catalog.GetTaskDefAsync(name, ct), json.TaskDef))
            .WithMetadata(AccessRule.On(TargetTypes.TaskDef, AccessRight.Read, "name")).WithSummary("One task definition");

        group.MapDelete("/taskdefs/{name}", async (string name, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            await catalog.DeleteTaskDefAsync(name, ct);
            return Results.Ok();
        }).WithMetadata(AccessRule.On(TargetTypes.TaskDef, AccessRight.Delete, "name")).WithSummary("Delete a task definition");
    }

    /// <summary>Every version of every workflow definition (Conductor and node format) the caller may READ: GET /api/metadata/workflow, /v1/workflows and the console's list.</summary>
    public static async Task<List<WorkflowDef>> ReadableWorkflowDefsAsync(HttpRequest request, DefinitionCatalog catalog, CancellationToken ct)
    {
        var visible = new List<WorkflowDef>();
        var known = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var def in await catalog.ListWorkflowDefsAsync(ct))
        {
            if (!known.TryGetValue(def.Name, out var may))
            {
                known[def.Name] = may = await Guard.HoldsAsync(request, new Target(TargetTypes.WorkflowDef, def.Name), AccessRight.Read);
            }
            if (may) visible.Add(def);
        }
        return visible;
    }

    /// <summary>
    /// PUT /api/metadata/workflow's save, which the console's editor calls too: Conductor format only, CREATE or UPDATE on
    /// each name (and the worker types it claims), every problem with its JSON path (<c>$[i]...</c> for a list, <c>$...</c>
    /// for one definition), then stored as the caller's.
    /// </summary>
    public static async Task SaveWorkflowDefsAsync(HttpRequest request, DefinitionCatalog catalog, List<WorkflowDef> defs, bool asList, CancellationToken ct)
    {
        RefuseNodeFormat(defs, asList);
        var created = await DefinitionOwnership.RequireSaveAsync(request, catalog, defs, ct);
        for (var i = 0; i < defs.Count; i++) catalog.Validate(defs[i], asList ? $"$[{i}]" : "$");
        await DefinitionOwnership.ClaimWorkerTypesAsync(request, catalog, defs, ct);
        await catalog.SaveWorkflowDefsAsync(defs, request.CallerOf().Id, ct);
        await GrantCreatorAsync(request, TargetTypes.WorkflowDef, created);
    }

    private static async Task<List<string>> RequireSaveTasksAsync(HttpRequest request, DefinitionCatalog catalog, IReadOnlyList<TaskDef> defs)
    {
        var created = new List<string>();
        foreach (var def in defs.Where(d => !string.IsNullOrEmpty(d.Name)))
        {
            var exists = catalog.TaskDef(def.Name) is not null;
            await Guard.RequireSaveAsync(request, new Target(TargetTypes.TaskDef, def.Name), exists);
            if (!exists) created.Add(def.Name);
        }
        return created;
    }

    /// <summary>A node workflow is checked whole by the node validator: it is saved through /v1/workflows only.</summary>
    private static void RefuseNodeFormat(List<WorkflowDef> defs, bool asList = true)
    {
        for (var i = 0; i < defs.Count; i++)
        {
            if (Engine.Tasks.Nodes.NodeWiring.IsNodeWorkflow(defs[i]))
            {
                throw new InvalidRequestException($"{(asList ? $"$[{i}]" : "$")}.{Engine.Tasks.Nodes.NodeWiring.DocumentField}", "a node workflow is saved through POST or PUT /v1/workflows");
            }
        }
    }

    internal static async Task GrantCreatorAsync(HttpRequest request, string targetType, List<string> created)
    {
        foreach (var name in created.Distinct()) await Guard.CreatedAsync(request, new Target(targetType, name));
    }
}
