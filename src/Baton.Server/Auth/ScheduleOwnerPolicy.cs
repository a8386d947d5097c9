using Baton.Access.Model;
using Baton.Access.Service;
using Baton.Engine.Scheduling;

namespace Baton.Server.Auth;

/// <summary>
/// A scheduled run acts as its schedule's owner: at each due time the owner must still exist and hold EXECUTE on the
/// workflow (the right to start it), checked through the one access model as the start endpoint checks its caller.
/// </summary>
public sealed class ScheduleOwnerPolicy(AccessControl access, ResourceTags tags) : IScheduleOwnerPolicy
{
    public async ValueTask<string?> StartRefusalAsync(string? owner, string workflowName, CancellationToken ct)
    {
        var model = access.Model;
        if (model.PrincipalOf(owner) is not { } principal)
            return $"permission denied: the schedule's owner {owner ?? "(none)"} no longer exists; nothing was started (someone who may start '{workflowName}' can save the schedule again to own it)";
        var target = new Target(TargetTypes.WorkflowDef, workflowName);
        if ((model.RightsOn(principal, target, await tags.OfAsync(target, ct)) & AccessRight.Execute) == 0)
            return $"permission denied: the schedule's owner {owner} may no longer start workflow '{workflowName}' (needs EXECUTE on WORKFLOW_DEF '{workflowName}'); nothing was started";
        return null;
    }
}
