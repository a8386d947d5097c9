using Baton.Engine.Hosting;
using Baton.Server.Api;

namespace Baton.Server.Hosting;

/// <summary>
/// The listener is bound before the data folder is opened (<see cref="StartAfterListening"/>): until recovery has
/// finished, every route but /health answers 503 with Retry-After, as /health/ready does.
/// </summary>
public sealed class StartingGateMiddleware(RequestDelegate next, EngineReadiness readiness)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (readiness.IsReady || context.Request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase))
        {
            await next(context);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "1";
        await context.Response.WriteAsJsonAsync(
            Api.ErrorResponse.For(context, StatusCodes.Status503ServiceUnavailable, "Baton is starting (opening its data, resuming active runs); try again in a moment", retryable: true),
            ServerJsonContext.Readable.ErrorResponse);
    }
}
