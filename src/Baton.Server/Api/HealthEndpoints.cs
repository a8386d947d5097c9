using Baton.Engine.Hosting;

namespace Baton.Server.Api;

/// <summary>/health/live (the process answers) and /health/ready (recovery finished; traffic welcome).</summary>
public static class HealthEndpoints
{
    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/health").WithTags("Health").WithMetadata(Auth.AccessRule.Public);
        group.MapGet("/live", () => Results.Json(new HealthResponse("UP"), ServerJsonContext.Readable.HealthResponse));
        group.MapGet("/ready", (EngineReadiness readiness) => readiness.IsReady
            ? Results.Json(new HealthResponse("UP"), ServerJsonContext.Readable.HealthResponse)
            : Results.Json(new HealthResponse("STARTING"), ServerJsonContext.Readable.HealthResponse, statusCode: StatusCodes.Status503ServiceUnavailable));
    }
}
