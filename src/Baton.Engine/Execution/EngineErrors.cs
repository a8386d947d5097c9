using Baton.Core.Validation;

namespace Baton.Engine.Execution;

/// <summary>The thing asked for does not exist (HTTP 404).</summary>
public sealed class NotFoundException(string message) : Exception(message);

/// <summary>The caller may not do this to this thing, e.g. report a task another worker holds (HTTP 403).</summary>
public sealed class ForbiddenException(string message) : Exception(message);

/// <summary>The request is valid but the state forbids it, e.g. restarting a running workflow (HTTP 409).</summary>
public sealed class ConflictException(string message) : Exception(message);

/// <summary>The request is invalid; every problem is listed with its JSON path (HTTP 400).</summary>
public sealed class InvalidRequestException(IReadOnlyList<ValidationProblem> problems)
    : Exception(problems.Count == 1 ? problems[0].Message : $"{problems.Count} problems, first: {problems[0].Message}")
{
    public InvalidRequestException(string path, string message) : this([new ValidationProblem(path, message)]) { }

    public IReadOnlyList<ValidationProblem> Problems { get; } = problems;
}
