using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing.Template;

namespace Baton.Server.Api;

/// <summary>
/// When a path exists but no route takes the request's method or Content-Type, routing picks a stand-in endpoint that
/// carries no <see cref="Auth.AccessRule"/>; left alone, authentication and the access rules would refuse it (401,
/// 403). This answers it first, as HTTP means it: 405 with <c>Allow</c> naming the methods, or 415 naming the
/// Content-Types the route accepts.
/// </summary>
public sealed class RouteMismatchMiddleware(RequestDelegate next, EndpointDataSource endpoints)
{
    // The display names ASP.NET Core's matcher policies give their rejection endpoints (HttpMethodMatcherPolicy,
    // AcceptsMatcherPolicy); they carry no metadata of their own.
    private const string MethodNotAllowed = "405 HTTP Method Not Supported";
    private const string MediaTypeNotSupported = "415 HTTP Unsupported Media Type";

    private IReadOnlyList<AcceptingRoute>? _accepting;

    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null or RouteEndpoint || endpoint.Metadata.Count > 0)
        {
            await next(context);
            return;
        }
        switch (endpoint.DisplayName)
        {
            case MethodNotAllowed:
                await endpoint.RequestDelegate!(context); // sets 405 and Allow
                var allow = context.Response.Headers.Allow.ToString();
                await WriteAsync(context, StatusCodes.Status405MethodNotAllowed,
                    $"{context.Request.Method} is not a method of {context.Request.Path}; it allows {allow}", allow);
                return;
            case MediaTypeNotSupported:
                var accepted = AcceptedTypes(context.Request);
                var sent = string.IsNullOrEmpty(context.Request.ContentType) ? "no Content-Type" : $"Content-Type {context.Request.ContentType}";
                await WriteAsync(context, StatusCodes.Status415UnsupportedMediaType,
                    $"{context.Request.Method} {context.Request.Path} was sent with {sent}; it accepts {(accepted.Count > 0 ? string.Join(", ", accepted) : "none")}", allow: null);
                return;
            default:
                await next(context);
                return;
        }
    }

    /// <summary>The Content-Types of the routes whose pattern and method match the request.</summary>
    private List<string> AcceptedTypes(HttpRequest request)
    {
        _accepting ??= [.. endpoints.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IAcceptsMetadata>() is not null)
            .Select(e => new AcceptingRoute(
                new TemplateMatcher(new RouteTemplate(e.RoutePattern), new RouteValueDictionary()),
                e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods,
                e.Metadata.GetMetadata<IAcceptsMetadata>()!.ContentTypes))];
        return [.. _accepting
            .Where(r => r.Methods is null || r.Methods.Contains(request.Method, StringComparer.OrdinalIgnoreCase))
            .Where(r => r.Matcher.TryMatch(request.Path, new RouteValueDictionary()))
            .SelectMany(r => r.ContentTypes)
            .Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    private static async Task WriteAsync(HttpContext context, int status, string message, string? allow)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        if (allow is not null) context.Response.Headers.Allow = allow;
        await context.Response.WriteAsJsonAsync(ErrorResponse.For(context, status, message), ServerJsonContext.Readable.ErrorResponse);
    }

    private sealed record AcceptingRoute(TemplateMatcher Matcher, IReadOnlyList<string>? Methods, IReadOnlyList<string> ContentTypes);
}
