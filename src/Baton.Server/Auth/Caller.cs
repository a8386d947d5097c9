using Baton.Access.Model;

namespace Baton.Server.Auth;

/// <summary>The authenticated principal of a request, set by <see cref="AuthenticationMiddleware"/>.</summary>
public static class Caller
{
    private const string Key = "baton.principal";

    public static void Set(HttpContext context, Principal principal) => context.Items[Key] = principal;

    /// <summary>The caller; every route except the public ones runs only after authentication, so it is always there.</summary>
    public static Principal Of(HttpContext context) =>
        context.Items.TryGetValue(Key, out var value) && value is Principal principal
            ? principal
            : throw new InvalidOperationException("No authenticated caller on this request; is the route public by mistake?");

    public static Principal CallerOf(this HttpRequest request) => Of(request.HttpContext);
}
