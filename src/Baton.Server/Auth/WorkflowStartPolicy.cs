using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Engine.Execution;

namespace Baton.Server.Auth;

/// <summary>
/// Starting a workflow from inside a run (SUB_WORKFLOW) needs what starting it through the API needs: EXECUTE on the
/// workflow definition, held by the run's principal now (a deleted principal holds nothing).
/// </summary>
public sealed class WorkflowStartPolicy(AccessControl access, ResourceTags tags) : IWorkflowStartPolicy
{
    public async ValueTask<string?> StartRefusalAsync(string? principal, string workflowName, CancellationToken ct)
    {
        var model = access.Model;
        if (model.PrincipalOf(principal) is not { } who) return $"the run's principal '{principal}' no longer exists, so it may not start '{workflowName}'";
        var target = new Target(TargetTypes.WorkflowDef, workflowName);
        var rights = model.RightsOn(who, target, await tags.OfAsync(target, ct));
        return (rights & AccessRight.Execute) != 0 ? null : $"the run's principal '{principal}' needs EXECUTE on WORKFLOW_DEF '{workflowName}' to start it";
    }
}
