using Baton.Server.Auth;
using Microsoft.AspNetCore.Antiforgery;

namespace Baton.Server.Console;

/// <summary>Maps the console (Blazor static server rendering, no circuit) under /console, each page with its rule.</summary>
public static class ConsoleEndpoints
{
    public static void AddBatonConsole(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "baton_console_af";
            o.Cookie.Path = "/console";
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
    }

    public static void MapBatonConsole(this WebApplication app)
    {
        app.MapRazorComponents<App>().Add(endpoint =>
        {
            if (endpoint.Metadata.OfType<ConsoleAccessAttribute>().LastOrDefault()?.Rule is { } rule)
            {
                endpoint.Metadata.Add(rule);
                endpoint.Metadata.Add(ConsolePageMarker.Instance);
            }
        });
        // Sign-out is a form post (anti-forgery checked by the middleware), so another site cannot sign a user out.
        app.MapPost("/console/signout", async (HttpContext context, IAntiforgery antiforgery) =>
        {
            if (!await antiforgery.IsRequestValidAsync(context))
            {
                return Results.Text("The form's anti-forgery token is missing or not valid; reload the page and try again.", "text/plain", statusCode: StatusCodes.Status400BadRequest);
            }
            ConsoleSession.End(context);
            return Results.Redirect(ConsoleSession.SignInPath);
        }).WithMetadata(AccessRule.AnyPrincipal, ConsolePageMarker.Instance).ExcludeFromDescription();
    }
}
