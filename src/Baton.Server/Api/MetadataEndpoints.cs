using Baton.Core.Definitions;
using Baton.Core.Json;
using Baton.Engine.Execution;

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
            await catalog.SaveWorkflowDefAsync(def, overwrite ?? false, null, ct);
            return Results.Ok();
        }).Accepts<WorkflowDef>("application/json").WithSummary("Register a workflow definition (409 when it exists, unless overwrite=true)");

        group.MapPut("/workflow", async (HttpRequest request, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            var defs = await JsonBody.ReadAsync(request, json.ListWorkflowDef);
            await catalog.SaveWorkflowDefsAsync(defs, null, ct);
            return Results.Json(new BulkResponse { BulkSuccessfulResults = [.. defs.Select(d => d.Name)] }, ServerJsonContext.Readable.BulkResponse);
        }).Accepts<List<WorkflowDef>>("application/json").WithSummary("Create or update a list of workflow definitions");

        group.MapPost("/workflow/validate", async (HttpRequest request, DefinitionCatalog catalog) =>
        {
            var def = await JsonBody.ReadAsync(request, json.WorkflowDef);
            catalog.Validate(def, "$");
            return Results.Ok();
        }).Accepts<WorkflowDef>("application/json").WithSummary("Validate a workflow definition without storing it");

        group.MapGet("/workflow", async (DefinitionCatalog catalog, CancellationToken ct) =>
            Results.Json(await catalog.ListWorkflowDefsAsync(ct), json.IReadOnlyListWorkflowDef))
            .WithSummary("Every version of every workflow definition");

        group.MapGet("/workflow/{name}", async (string name, int? version, DefinitionCatalog catalog, CancellationToken ct) =>
            Results.Json(await catalog.GetWorkflowDefAsync(name, version, ct), json.WorkflowDef))
            .WithSummary("One workflow definition (latest version unless ?version=)");

        group.MapDelete("/workflow/{name}/{version:int}", async (string name, int version, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            await catalog.DeleteWorkflowDefAsync(name, version, ct);
            return Results.Ok();
        }).WithSummary("Delete one version of a workflow definition");

        group.MapPost("/taskdefs", async (HttpRequest request, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            var defs = await JsonBody.ReadAsync(request, json.ListTaskDef);
            await catalog.SaveTaskDefsAsync(defs, null, ct);
            return Results.Ok();
        }).Accepts<List<TaskDef>>("application/json").WithSummary("Create or update a list of task definitions");

        group.MapPut("/taskdefs", async (HttpRequest request, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            var def = await JsonBody.ReadAsync(request, json.TaskDef);
            await catalog.SaveTaskDefsAsync([def], null, ct);
            return Results.Ok();
        }).Accepts<TaskDef>("application/json").WithSummary("Create or update one task definition");

        group.MapGet("/taskdefs", async (DefinitionCatalog catalog, CancellationToken ct) =>
            Results.Json(await catalog.ListTaskDefsAsync(ct), json.IReadOnlyListTaskDef))
            .WithSummary("Every task definition");

        group.MapGet("/taskdefs/{name}", async (string name, DefinitionCatalog catalog, CancellationToken ct) =>
            Results.Json(await catalog.GetTaskDefAsync(name, ct), json.TaskDef))
            .WithSummary("One task definition");

        group.MapDelete("/taskdefs/{name}", async (string name, DefinitionCatalog catalog, CancellationToken ct) =>
        {
            await catalog.DeleteTaskDefAsync(name, ct);
            return Results.Ok();
        }).WithSummary("Delete a task definition");
    }
}
