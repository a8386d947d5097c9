using System.Text.Json.Nodes;
using Baton.Access.Service;
using Baton.Access.Tokens;
using Baton.Core.Json;

namespace Baton.Server.Auth;

/// <summary>
/// Reads the token (<c>X-Authorization: &lt;jwt&gt;</c>, as Orkes, or <c>Authorization: Bearer &lt;jwt&gt;</c>),
/// checks it, and finds its principal in the current access model. A missing, invalid or expired token, a removed
/// principal (a user re-created with the same email is another principal), a changed password, or a paused or
/// removed key is a 401 whose <c>error</c> is INVALID_TOKEN or EXPIRED_TOKEN (the Orkes SDKs refresh
/// on these). Public routes (<see cref="AccessRule.Public"/>) pass without one.
/// </summary>
/// <remarks>Services come per request, not at construction: the pipeline is built before the vault that signs tokens is opened.</remarks>
public sealed class AuthenticationMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, AccessControl access, TokenService tokens)
    {
        var rule = context.GetEndpoint()?.Metadata.GetMetadata<AccessRule>();
        if (rule?.IsPublic == true || context.GetEndpoint() is null)
        {
            await next(context);
            return;
        }

        var console = context.GetEndpoint()!.Metadata.GetMetadata<Console.ConsolePageMarker>() is not null;
        // A console page's session is its cookie (and only there: the API never reads it, so no cross-site request
        // can drive the API with it); a page without a valid session goes to the sign-in page.
        var token = console ? Console.ConsoleSession.TokenOf(context.Request) : TokenOf(context.Request);
        if (console)
        {
            var held = token is null ? null : await tokens.CheckAsync(token);
            if (held?.Status == TokenStatus.Expired || held?.HolderIn(access.Model) is not { } holder)
            {
                Console.ConsoleSession.RedirectToSignIn(context);
                return;
            }
            Caller.Set(context, holder);
            await next(context);
            return;
        }
        if (token is null)
        {
            await RejectAsync(context, "INVALID_TOKEN", "A token is required: sign in with POST /api/token and send it as X-Authorization");
            return;
        }
        var check = await tokens.CheckAsync(token);
        if (check.Status == TokenStatus.Expired)
        {
            await RejectAsync(context, "EXPIRED_TOKEN", "The token has expired; sign in again with POST /api/token");
            return;
        }
        // The signature check may be remembered; whether the principal still holds the credentials is asked of the
        // current snapshot every time.
        var principal = check.HolderIn(access.Model);
        if (principal is null)
        {
            await RejectAsync(context, "INVALID_TOKEN", "The token is not valid (malformed, signed by another server, or its principal was removed, its password changed, or its access key was removed or paused)");
            return;
        }
        Caller.Set(context, principal);
        await next(context);
    }

    private static string? TokenOf(HttpRequest request)
    {
        var header = request.Headers["X-Authorization"].ToString();
        if (header.Length > 0) return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : header.Trim();
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;
    }

    private static Task RejectAsync(HttpContext context, string error, string message)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        var body = new JsonObject { ["status"] = 401, ["error"] = error, ["message"] = message };
        if (Api.ErrorResponse.IsPortFace(context)) body["ok"] = false; // Port's clients read ok; the error stays the token's own code
        return context.Response.WriteAsJsonAsync(body, BatonJson.Context.JsonObject);
    }
}
