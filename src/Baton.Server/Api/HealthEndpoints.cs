using Baton.Engine.Hosting;

namespace Baton.Server.Api;

/// <summary>/health/live (the process answers), /health/ready and /health (recovery finished; traffic welcome), and the root page.</summary>
public static class HealthEndpoints
{
    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/health").WithTags("Health").WithMetadata(Auth.AccessRule.Public);
        group.MapGet("/live", () => Results.Json(new HealthResponse("UP"), ServerJsonContext.Readable.HealthResponse));
        group.MapGet("/ready", Ready);
        // /health itself: the same answer as /ready, so a probe that knows only the folder gets something useful.
        group.MapGet("", Ready);

        // Until the console exists, the root is a short page that says where things are.
        app.MapGet("/", () => Results.Content(HomePage, "text/html; charset=utf-8")).WithTags("Health").WithMetadata(Auth.AccessRule.Public).ExcludeFromDescription();
    }

    private static async Task<IResult> Ready(EngineReadiness readiness, IServiceProvider services, CancellationToken ct)
    {
        var health = await CheckAsync(readiness, services, ct);
        return Results.Json(health, ServerJsonContext.Readable.HealthResponse,
            statusCode: health.Status == "UP" ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>
    /// What /health answers (and the console's home shows): STARTING until recovery has finished, DOWN (and why) while a
    /// store on a server of its own does not answer, else UP.
    /// </summary>
    public static async Task<HealthResponse> CheckAsync(EngineReadiness readiness, IServiceProvider services, CancellationToken ct)
    {
        if (!readiness.IsReady) return new HealthResponse("STARTING");
        if (services.GetService<Baton.Engine.Persistence.IStorageHealth>() is { } storage && await storage.ProblemAsync(ct) is { } problem)
        {
            return new HealthResponse("DOWN", problem);
        }
        return new HealthResponse("UP");
    }

    private const string HomePage = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Baton</title></head>
        <body>
        <h1>Baton</h1>
        <p>A workflow server that speaks Conductor's API and keeps the secrets your workflows use.</p>
        <ul>
        <li><a href="/console">Console</a>: secrets and workflow definitions in a browser, signing in with the same accounts</li>
        <li><a href="/scalar/v1">API reference</a> (sign in with <code>POST /api/token</code>; the first administrator's credentials are in the data folder)</li>
        <li><a href="/openapi/v1.json">OpenAPI document</a></li>
        <li><a href="/health/ready">Readiness</a> and <a href="/health/live">liveness</a></li>
        </ul>
        </body></html>
        """;
}
