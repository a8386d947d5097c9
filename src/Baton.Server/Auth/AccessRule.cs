using Baton.Access.Model;

namespace Baton.Server.Auth;

/// <summary>
/// Who may call a route: every route carries exactly one (a test holds every mapped route to it, and
/// <see cref="AuthorizationMiddleware"/> refuses a route without one). The check runs before the handler; it
/// answers null when the caller may go on, or the access that is missing (the 403's message).
/// Routes whose target is in the body (or is a list) use a coarse rule here and refine in the handler.
/// </summary>
public sealed class AccessRule
{
    private AccessRule(string description, Func<AccessCheck, ValueTask<string?>> check, bool isPublic = false)
    {
        Description = description;
        Check = check;
        IsPublic = isPublic;
    }

    public string Description { get; }
    public bool IsPublic { get; }
    public Func<AccessCheck, ValueTask<string?>> Check { get; }

    /// <summary>No token needed (health, sign-in, the OpenAPI document).</summary>
    public static AccessRule Public { get; } = new("public", _ => ValueTask.FromResult<string?>(null), isPublic: true);

    /// <summary>Any signed-in principal (about itself only, e.g. userInfo).</summary>
    public static AccessRule AnyPrincipal { get; } = new("any principal", _ => ValueTask.FromResult<string?>(null));

    /// <summary>One of these roles (ADMIN always qualifies).</summary>
    public static AccessRule Role(params string[] roles) => new($"role {string.Join(" or ", roles)}", c =>
        ValueTask.FromResult(c.Principal.IsAdmin || c.Principal.Roles.Any(roles.Contains) ? null : $"needs the role {string.Join(" or ", roles.Prepend(Roles.Admin).Distinct())}"));

    /// <summary>At least one of <paramref name="rights"/> on the resource named by a route value.</summary>
    public static AccessRule On(string targetType, AccessRight rights, string routeValue) => new($"{Names(rights)} on {targetType} {{{routeValue}}}", async c =>
    {
        var id = c.Route(routeValue);
        return await c.HoldsAsync(new Target(targetType, id), rights) ? null : $"needs {Names(rights)} on {targetType} '{id}'";
    });

    /// <summary>At least one of <paramref name="rights"/> on some resource of the type (the handler checks the one in the body, or filters a list).</summary>
    public static AccessRule OnSome(string targetType, AccessRight rights) => new($"{Names(rights)} on some {targetType}", c =>
        ValueTask.FromResult(AccessRights.Singles(rights).Any(r => c.Model.MayOnSome(c.Principal, targetType, r)) ? null : $"needs {Names(rights)} on a {targetType}"));

    /// <summary>A right on the run named by a route value (see <see cref="RunAccess"/>).</summary>
    public static AccessRule Run(AccessRight right, string routeValue = "workflowId") => new($"{Names(right)} on the run {{{routeValue}}}", c => c.Runs.CheckRunAsync(c, c.Route(routeValue), right));

    /// <summary>A right on the run of the task named by a route value.</summary>
    public static AccessRule TaskRun(AccessRight right, string routeValue = "taskId") => new($"{Names(right)} on the run of task {{{routeValue}}}", c => c.Runs.CheckTaskAsync(c, c.Route(routeValue), right));

    /// <summary>A check of its own (described for the route listing).</summary>
    public static AccessRule Custom(string description, Func<AccessCheck, ValueTask<string?>> check) => new(description, check);

    private static string Names(AccessRight rights) => string.Join(" or ", AccessRights.ToNames(rights));
}

/// <summary>What a rule's check gets: the caller, the model snapshot, the request and the services it may ask.</summary>
public sealed class AccessCheck(HttpContext context, Principal principal, Baton.Access.Service.AccessModel model, ResourceTags tags, RunAccess runs)
{
    public HttpContext Context { get; } = context;
    public Principal Principal { get; } = principal;
    public Baton.Access.Service.AccessModel Model { get; } = model;
    public ResourceTags Tags { get; } = tags;
    public RunAccess Runs { get; } = runs;

    public string Route(string name) => Context.Request.RouteValues[name]?.ToString() ?? "";

    /// <summary>Whether the caller holds at least one of <paramref name="rights"/> on <paramref name="target"/>.</summary>
    public async ValueTask<bool> HoldsAsync(Target target, AccessRight rights) =>
        (Model.RightsOn(Principal, target, await Tags.OfAsync(target, Context.RequestAborted)) & rights) != 0;
}
