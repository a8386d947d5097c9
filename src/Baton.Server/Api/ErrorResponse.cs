using Baton.Core.Validation;

namespace Baton.Server.Api;

/// <summary>
/// Conductor's error body: status, message, and for a 400 every problem with its JSON path. On Port's face
/// (<c>/v1/...</c>) it also carries Port's <c>ok: false</c> and an <c>error</c> code, which Port's clients read.
/// </summary>
public sealed class ErrorResponse
{
    public bool? Ok { get; set; }
    public string? Error { get; set; }
    public int Status { get; set; }
    public string Message { get; set; } = "";
    public bool Retryable { get; set; }
    public List<ValidationProblem>? ValidationErrors { get; set; }

    /// <summary>The error body for a request: Conductor's shape, with Port's fields when the request is on <c>/v1</c>.</summary>
    public static ErrorResponse For(HttpContext context, int status, string message, List<ValidationProblem>? problems = null, bool retryable = false)
    {
        var response = new ErrorResponse { Status = status, Message = message, Retryable = retryable, ValidationErrors = problems };
        if (IsPortFace(context))
        {
            response.Ok = false;
            response.Error = PortCode(status);
        }
        return response;
    }

    public static bool IsPortFace(HttpContext context) => context.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal);

    private static string PortCode(int status) => status switch
    {
        400 => "invalid_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        412 => "precondition_failed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        503 => "unavailable",
        _ => "internal_error",
    };
}
