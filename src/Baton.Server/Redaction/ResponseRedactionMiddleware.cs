using Baton.Secrets.Redaction;
using Baton.Server.Api;

namespace Baton.Server.Redaction;

/// <summary>
/// The last line of defence for API answers: every response body is buffered and passes the one redactor before
/// it leaves, whatever endpoint wrote it (errors included). The only exception is the endpoint marked
/// <see cref="SecretValueResponse"/>: the deliberate, audited read-back of a secret.
/// </summary>
public sealed class ResponseRedactionMiddleware(RequestDelegate next, SecretRedactor redactor)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = original;
        }
        if (buffer.Length == 0) return;
        var written = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        var passThrough = context.GetEndpoint()?.Metadata.GetMetadata<SecretValueResponse>() is not null && context.Response.StatusCode == StatusCodes.Status200OK;
        if (!passThrough && redactor.PatternCount > 0 && redactor.RedactUtf8(written.Span) is { } redacted)
        {
            if (context.Response.ContentLength is not null) context.Response.ContentLength = redacted.Length;
            await original.WriteAsync(redacted, context.RequestAborted);
            return;
        }
        await original.WriteAsync(written, context.RequestAborted);
    }
}
