using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Engine.Execution;

namespace Baton.Server.Auth;

/// <summary>
/// Starting a workflow on someone's behalf (SUB_WORKFLOW, START_WORKFLOW, a failure workflow, a schedule's fire) needs
/// what starting it through the API needs: EXECUTE on the workflow definition, held by that principal now (a deleted
/// principal holds nothing).
/// </summary>
public sealed class WorkflowStartPolicy(AccessControl access, ResourceTags tags) : IWorkflowStartPolicy
{
    public async ValueTask<string?> StartRefusalAsync(string? principal, string workflowName, CancellationToken ct)
    {
        var model = access.Model;
        if (model.PrincipalOf(principal) is not { } who) return $"{principal ?? "(no principal)"} no longer exists, so it may not start workflow '{workflowName}'";
        var target = new Target(TargetTypes.WorkflowDef, workflowName);
        var rights = model.RightsOn(who, target, await tags.OfAsync(target, ct));
        return (rights & AccessRight.Execute) != 0 ? null : $"{principal} may not start workflow '{workflowName}': it needs EXECUTE on WORKFLOW_DEF '{workflowName}'";
    }
}
