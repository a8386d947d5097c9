using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Core.Definitions;
using Baton.Engine.Execution;
using Baton.Engine.Persistence;
using Baton.Server.Auth;

namespace Baton.Server.Api;

/// <summary>
/// Names are owned. A workflow name whose definition was deleted stays with those who had rights on it while its runs
/// (or grants) remain, since whoever defines the name again would see them; and a SIMPLE task type a definition uses
/// is claimed by the definition's author when nobody claimed it, so no one else can register the name later and be
/// handed its tasks.
/// </summary>
public static class DefinitionOwnership
{
    /// <summary>
    /// Checks that the caller may save these workflow definitions (UPDATE on an existing or owned name, CREATE on a
    /// free one) and may claim the worker types they use; answers the names the caller newly creates.
    /// </summary>
    public static async Task<List<string>> RequireSaveAsync(HttpRequest request, DefinitionCatalog catalog, IReadOnlyList<WorkflowDef> defs, CancellationToken ct)
    {
        var created = new List<string>();
        foreach (var def in defs.Where(d => !string.IsNullOrEmpty(d.Name)))
        {
            var target = new Target(TargetTypes.WorkflowDef, def.Name);
            var exists = await catalog.WorkflowDefExistsAsync(def.Name, ct);
            if (!exists && await HasHistoryAsync(request, def.Name, ct))
            {
                if (!await Guard.HoldsAsync(request, target, AccessRight.Update))
                {
                    throw new ConflictException(
                        $"Workflow name '{def.Name}' belonged to a definition that was deleted while its runs or grants remain; only those who had " +
                        "rights on it may define it again (it needs UPDATE on it). Choose another name.");
                }
                exists = true;
            }
            await Guard.RequireSaveAsync(request, target, exists);
            if (!exists) created.Add(def.Name);
            await RequireClaimsAsync(request, catalog, def, ct);
        }
        return created;
    }

    /// <summary>
    /// The SIMPLE types <paramref name="def"/> uses that no task definition claims: the caller must be able to create
    /// them, and no workflow the caller may not change may use them already (claiming one would hand its tasks over).
    /// </summary>
    public static async Task RequireClaimsAsync(HttpRequest request, DefinitionCatalog catalog, WorkflowDef def, CancellationToken ct)
    {
        var unclaimed = catalog.UnclaimedWorkerTypes(def);
        await RequireFreeWorkerTypesAsync(request, catalog, unclaimed, ct);
        foreach (var name in unclaimed)
        {
            if (!await Guard.HoldsAsync(request, new Target(TargetTypes.TaskDef, name), AccessRight.Create))
            {
                throw new AccessDeniedException(
                    $"Forbidden: SIMPLE task '{name}' has no task definition, and saving this workflow would register it as yours, which needs CREATE on TASK_DEF '{name}'; " +
                    "register the task definition first (POST /api/metadata/taskdefs) or ask someone who may");
            }
        }
    }

    /// <summary>Registers, as the caller's, the SIMPLE types <paramref name="defs"/> use that are still unclaimed.</summary>
    public static async Task ClaimWorkerTypesAsync(HttpRequest request, DefinitionCatalog catalog, IEnumerable<WorkflowDef> defs, CancellationToken ct)
    {
        var names = defs.SelectMany(catalog.UnclaimedWorkerTypes).Distinct(StringComparer.Ordinal).ToList();
        if (names.Count == 0) return;
        await catalog.SaveTaskDefsAsync([.. names.Select(TaskDef.DefaultFor)], request.CallerOf().Id, ct);
        foreach (var name in names) await Guard.CreatedAsync(request, new Target(TargetTypes.TaskDef, name));
    }

    /// <summary>
    /// New task definitions may not take a SIMPLE type that a workflow the caller may not change already uses (such
    /// workflows were saved before types were claimed): its tasks would be handed to the caller's workers.
    /// </summary>
    public static async Task RequireFreeWorkerTypesAsync(HttpRequest request, DefinitionCatalog catalog, IReadOnlyList<string> newNames, CancellationToken ct)
    {
        if (newNames.Count == 0) return;
        var wanted = newNames.ToHashSet(StringComparer.Ordinal);
        foreach (var def in await catalog.ListWorkflowDefsAsync(ct))
        {
            foreach (var task in def.AllTasks())
            {
                if (task.Type != TaskTypes.Simple || !wanted.Contains(task.Name)) continue;
                if (await Guard.HoldsAsync(request, new Target(TargetTypes.WorkflowDef, def.Name), AccessRight.Update)) continue;
                throw new ConflictException(
                    $"Task type '{task.Name}' is used by workflow '{def.Name}' version {def.Version}, which you may not change: registering it would hand you that workflow's tasks. " +
                    "Its owner may register it, or choose another name.");
            }
        }
    }

    /// <summary>Runs of the name are kept, or someone still holds a grant on it.</summary>
    private static async Task<bool> HasHistoryAsync(HttpRequest request, string name, CancellationToken ct)
    {
        var services = request.HttpContext.RequestServices;
        if (services.GetRequiredService<AccessControl>().Model.GrantsOn(new Target(TargetTypes.WorkflowDef, name)).Count > 0) return true;
        var runs = await services.GetRequiredService<WorkflowExecutor>().SearchAsync(new WorkflowQuery { WorkflowName = name, Size = 1 }, ct);
        return runs.TotalHits > 0;
    }
}
