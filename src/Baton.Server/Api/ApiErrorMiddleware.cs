using Baton.Access.Service;
using Baton.Engine.Execution;
using Baton.Secrets.Service;
using Baton.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Baton.Server.Api;

/// <summary>
/// Turns what went wrong into a JSON answer a person can act on: 400 with every problem and its path, 404, 409,
/// 413 naming the limit. Anything unexpected is logged and answered 500 without a stack trace.
/// </summary>
public sealed class ApiErrorMiddleware(RequestDelegate next, ILogger<ApiErrorMiddleware> logger, IOptions<ServerOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (InvalidRequestException e)
        {
            await WriteAsync(context, StatusCodes.Status400BadRequest, "Validation failed, check below errors for detail.", [.. e.Problems]);
        }
        catch (AccessRequestException e)
        {
            await WriteAsync(context, StatusCodes.Status400BadRequest, "Validation failed, check below errors for detail.", [.. e.Problems]);
        }
        catch (AccessNotFoundException e)
        {
            await WriteAsync(context, StatusCodes.Status404NotFound, e.Message);
        }
        catch (AccessDeniedException e)
        {
            await WriteAsync(context, StatusCodes.Status403Forbidden, e.Message);
        }
        catch (Exception e) when (e is ForbiddenException or SecretAccessDeniedException)
        {
            await WriteAsync(context, StatusCodes.Status403Forbidden, e.Message);
        }
        catch (SecretNameReservedException e)
        {
            await WriteAsync(context, StatusCodes.Status409Conflict, e.Message);
        }
        catch (NotFoundException e)
        {
            await WriteAsync(context, StatusCodes.Status404NotFound, e.Message);
        }
        catch (ConflictException e)
        {
            await WriteAsync(context, StatusCodes.Status409Conflict, e.Message);
        }
        catch (SecretRequestException e)
        {
            await WriteAsync(context, StatusCodes.Status400BadRequest, "Validation failed, check below errors for detail.", [new(e.Field, e.Message)]);
        }
        catch (SecretNotFoundException e)
        {
            await WriteAsync(context, StatusCodes.Status404NotFound, e.Message);
        }
        catch (SecretVersionConflictException e)
        {
            await WriteAsync(context, StatusCodes.Status412PreconditionFailed, e.Message);
        }
        catch (KeyringChangedElsewhereException e)
        {
            await WriteAsync(context, StatusCodes.Status409Conflict, e.Message);
        }
        catch (SecretTooLargeException e)
        {
            await WriteAsync(context, StatusCodes.Status413PayloadTooLarge, e.Message);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteAsync(context, StatusCodes.Status413PayloadTooLarge,
                $"Request body is larger than the limit of {options.Value.MaxRequestBodyBytes} bytes (setting Baton:MaxRequestBodyBytes)");
        }
        catch (BadHttpRequestException e)
        {
            await WriteAsync(context, e.StatusCode, "Bad request: the request could not be read");
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Baton.Engine.Persistence.RunChangedElsewhereException)
        {
            // Other nodes changed the run each time this one decided again: nothing was changed here, try again.
            await WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "The workflow is being changed by other requests right now; nothing was changed. Try again.", retryable: true, retryAfterSeconds: 1);
        }
        catch (Exception e) when (StoreAway(e) is { } away)
        {
            // The store is on a server of its own (PostgreSQL) and cannot be reached: nothing was changed, try again.
            logger.LogWarning("Request {TraceId} {Method} {Path}: the store is unreachable ({Reason})", context.TraceIdentifier, context.Request.Method, context.Request.Path, away.Message);
            await WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "The store is unreachable; nothing was changed. Try again shortly (GET /health/ready says when it is back).", retryable: true, retryAfterSeconds: 1);
        }
        catch (Exception e)
        {
            var id = context.TraceIdentifier;
            logger.LogError(e, "Request {TraceId} {Method} {Path} failed", id, context.Request.Method, context.Request.Path);
            await WriteAsync(context, StatusCodes.Status500InternalServerError, $"Internal error; the server log has the details under request id {id}", retryable: true);
        }
    }

    /// <summary>The transient database error (connection refused, reset, timed out) behind <paramref name="e"/>, if that is what it is.</summary>
    private static System.Data.Common.DbException? StoreAway(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Data.Common.DbException { IsTransient: true } transient) return transient;
        }
        return null;
    }

    /// <param name="retryAfterSeconds">Sent as <c>Retry-After</c>; set here, after the response is cleared of headers an earlier step set.</param>
    internal static async Task WriteAsync(HttpContext context, int status, string message, List<Core.Validation.ValidationProblem>? problems = null, bool retryable = false,
        int? retryAfterSeconds = null)
    {
        if (context.Response.HasStarted) return;
        context.Response.Clear();
        context.Response.StatusCode = status;
        if (retryAfterSeconds is { } seconds) context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await context.Response.WriteAsJsonAsync(
            ErrorResponse.For(context, status, message, problems, retryable),
            ServerJsonContext.Readable.ErrorResponse);
    }
}
