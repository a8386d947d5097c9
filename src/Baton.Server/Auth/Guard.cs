using Baton.Access.Model;
using Baton.Access.Service;

namespace Baton.Server.Auth;

/// <summary>
/// The checks handlers make when the target is in the body or a list is filtered (the route's
/// <see cref="AccessRule"/> has already let the caller in coarsely).
/// </summary>
public static class Guard
{
    /// <summary>Throws a 403 naming the access unless the caller holds at least one of <paramref name="rights"/> on <paramref name="target"/>.</summary>
    public static async Task RequireAsync(HttpRequest request, Target target, AccessRight rights)
    {
        if (!await HoldsAsync(request, target, rights))
        {
            throw new AccessDeniedException($"Forbidden: needs {string.Join(" or ", AccessRights.ToNames(rights))} on {target.Type} '{target.Id}'");
        }
    }

    public static async Task<bool> HoldsAsync(HttpRequest request, Target target, AccessRight rights)
    {
        var services = request.HttpContext.RequestServices;
        var model = services.GetRequiredService<AccessControl>().Model;
        var tags = await services.GetRequiredService<ResourceTags>().OfAsync(target, request.HttpContext.RequestAborted);
        return (model.RightsOn(request.CallerOf(), target, tags) & rights) != 0;
    }

    /// <summary>Saving a resource: UPDATE when it exists, CREATE when it does not.</summary>
    public static Task RequireSaveAsync(HttpRequest request, Target target, bool exists) =>
        RequireAsync(request, target, exists ? AccessRight.Update : AccessRight.Create);

    /// <summary>The creator of a new resource gets every right on it.</summary>
    public static Task CreatedAsync(HttpRequest request, Target target) =>
        request.HttpContext.RequestServices.GetRequiredService<AccessControl>().GrantToCreatorAsync(request.CallerOf(), target, request.HttpContext.RequestAborted);
}
