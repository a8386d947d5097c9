using Baton.Core.Validation;

namespace Baton.Access.Service;

/// <summary>A malformed request to the access API: every problem with its JSON path (HTTP 400). Nothing was applied.</summary>
public sealed class AccessRequestException(IReadOnlyList<ValidationProblem> problems)
    : Exception(problems.Count == 1 ? problems[0].Message : $"{problems.Count} problems, first: {problems[0].Message}")
{
    public AccessRequestException(string path, string message) : this([new ValidationProblem(path, message)]) { }

    public IReadOnlyList<ValidationProblem> Problems { get; } = problems;
}

/// <summary>An unknown user, group, application, key or subject (HTTP 404).</summary>
public sealed class AccessNotFoundException(string message) : Exception(message);

/// <summary>The caller lacks an access; the message names the access and the target, nothing else (HTTP 403).</summary>
public sealed class AccessDeniedException(string message) : Exception(message);
