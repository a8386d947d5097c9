using Baton.Core.Validation;

namespace Baton.Server.Api;

/// <summary>Conductor's error body: status, message, and for a 400 every problem with its JSON path.</summary>
public sealed class ErrorResponse
{
    public int Status { get; set; }
    public string Message { get; set; } = "";
    public bool Retryable { get; set; }
    public List<ValidationProblem>? ValidationErrors { get; set; }
}
