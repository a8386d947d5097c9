using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Core.Runs;
using Baton.Engine.Execution;
using Baton.Engine.Persistence;

namespace Baton.Server.Auth;

/// <summary>
/// Who may see and operate a run. Seeing: its starter, ADMIN and WORKFLOW_MANAGER, and whoever may READ its
/// definition, unless the definition says <c>allowAnyoneToViewRuns: false</c>, which narrows that to explicit READ
/// grants (to the principal, its groups or roles, or on a tag) rather than a role's blanket READ. EXECUTE alone
/// starts runs and sees one's own, not others'.
/// Operating (terminate, pause, retry, ...): those who see it and are its starter or hold EXECUTE on the
/// definition. Removing: DELETE on the definition. Search results, run and task reads, logs and the manifest all
/// go through here.
/// </summary>
public sealed class RunAccess(WorkflowExecutor executor, DefinitionCatalog catalog)
{
    private const AccessRight See = AccessRight.Read;

    public static bool MayView(Principal principal, AccessModel model, WorkflowRun run)
    {
        if (principal.ManagesAllRuns || string.Equals(run.CreatedBy, principal.Id, StringComparison.OrdinalIgnoreCase)) return true;
        return MayViewAllRunsOf(principal, model, run.WorkflowName, run.WorkflowDefinition.AllowAnyoneToViewRuns);
    }

    public static bool MayViewAllRunsOf(Principal principal, AccessModel model, string workflowName, bool? allowAnyoneToViewRuns)
    {
        if (principal.ManagesAllRuns) return true;
        var target = new Target(TargetTypes.WorkflowDef, workflowName);
        var rights = allowAnyoneToViewRuns == false ? model.GrantedOn(principal, target, []) : model.RightsOn(principal, target, []);
        return (rights & See) != 0;
    }

    public static string? MayOperate(Principal principal, AccessModel model, WorkflowRun run, AccessRight right)
    {
        if (!MayView(principal, model, run)) return $"needs READ on the runs of WORKFLOW_DEF '{run.WorkflowName}'";
        if (principal.ManagesAllRuns) return null;
        var rights = model.RightsOn(principal, new Target(TargetTypes.WorkflowDef, run.WorkflowName), []);
        var starter = string.Equals(run.CreatedBy, principal.Id, StringComparison.OrdinalIgnoreCase);
        return right switch
        {
            AccessRight.Read => null,
            AccessRight.Delete when (rights & AccessRight.Delete) != 0 => null,
            AccessRight.Delete => $"needs DELETE on WORKFLOW_DEF '{run.WorkflowName}'",
            _ when starter || (rights & AccessRight.Execute) != 0 => null,
            _ => $"needs EXECUTE on WORKFLOW_DEF '{run.WorkflowName}' (or to have started the run)",
        };
    }

    /// <summary>The check of <see cref="AccessRule.Run"/>. An unknown run passes to the handler (404) only for callers who may see some runs.</summary>
    public async ValueTask<string?> CheckRunAsync(AccessCheck c, string workflowId, AccessRight right)
    {
        WorkflowRun run;
        try
        {
            run = await executor.GetWorkflowAsync(workflowId, includeTasks: false, c.Context.RequestAborted);
        }
        catch (NotFoundException)
        {
            return MaySeeSomeRuns(c) ? null : "needs READ on the runs of a WORKFLOW_DEF";
        }
        return MayOperate(c.Principal, c.Model, run, right);
    }

    public async ValueTask<string?> CheckTaskAsync(AccessCheck c, string taskId, AccessRight right)
    {
        TaskRun task;
        try
        {
            task = await executor.GetTaskAsync(taskId, c.Context.RequestAborted);
        }
        catch (NotFoundException)
        {
            return MaySeeSomeRuns(c) ? null : "needs READ on the runs of a WORKFLOW_DEF";
        }
        return await CheckRunAsync(c, task.WorkflowInstanceId, right);
    }

    private static bool MaySeeSomeRuns(AccessCheck c) =>
        c.Principal.ManagesAllRuns || c.Model.MayOnSome(c.Principal, TargetTypes.WorkflowDef, AccessRight.Read) || c.Model.MayOnSome(c.Principal, TargetTypes.WorkflowDef, AccessRight.Execute);

    /// <summary>The search restriction for a caller: null when it sees every run.</summary>
    public async Task<RunVisibility?> VisibilityAsync(Principal principal, AccessModel model, CancellationToken ct)
    {
        if (principal.ManagesAllRuns) return null;
        var names = new List<string>();
        foreach (var def in (await catalog.ListWorkflowDefsAsync(ct)).GroupBy(d => d.Name).Select(g => g.MaxBy(d => d.Version)!))
        {
            if (MayViewAllRunsOf(principal, model, def.Name, def.AllowAnyoneToViewRuns)) names.Add(def.Name);
        }
        return new RunVisibility(principal.Id, names);
    }
}
