using Baton.Access.Tokens;

namespace Baton.Server.Console;

/// <summary>
/// The console's session: an HttpOnly, SameSite=Strict cookie holding the very token POST /api/token issues, so a
/// session has the API's principal, its token epoch (a changed password or a removed principal ends it at once) and
/// its expiry (the cookie lapses with the token). The cookie is read only on console routes, never by the API, so
/// a browser's cookie cannot drive the API across sites.
/// </summary>
public static class ConsoleSession
{
    public const string CookieName = "baton_console";
    public const string SignInPath = "/console/signin";

    public static void Start(HttpContext context, IssuedToken token) =>
        context.Response.Cookies.Append(CookieName, token.Text, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/console",
            Expires = token.ExpiresAt,
        });

    public static void End(HttpContext context) =>
        context.Response.Cookies.Delete(CookieName, new CookieOptions { Path = "/console", HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = context.Request.IsHttps });

    public static string? TokenOf(HttpRequest request) =>
        request.Cookies.TryGetValue(CookieName, out var token) && token.Length > 0 ? token : null;

    /// <summary>A console route without a valid session goes to the sign-in page (a page, not the API's 401 JSON).</summary>
    public static void RedirectToSignIn(HttpContext context)
    {
        End(context);
        context.Response.Redirect(SignInPath);
    }
}
