using Baton.Access.Service;
using Baton.Server.Api;

namespace Baton.Server.Auth;

/// <summary>
/// Runs the route's <see cref="AccessRule"/> after authentication. A route without a rule is refused to everyone
/// (closed by default), and the route sweep test fails on it. A refusal is a 403 naming the missing access.
/// </summary>
/// <remarks>Services come per request, not at construction: the pipeline is built before the data folder is opened.</remarks>
public sealed class AuthorizationMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, AccessControl access, ResourceTags tags, RunAccess runs)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null)
        {
            await next(context);
            return;
        }
        var rule = endpoint.Metadata.GetMetadata<AccessRule>();
        if (rule?.IsPublic == true)
        {
            await next(context);
            return;
        }
        var missing = rule is null
            ? "this route has no access rule, so no one may call it"
            : await rule.Check(new AccessCheck(context, Caller.Of(context), access.Model, tags, runs));
        if (missing is not null)
        {
            await ApiErrorMiddleware.WriteAsync(context, StatusCodes.Status403Forbidden, $"Forbidden: {missing}");
            return;
        }
        await next(context);
    }
}
