namespace Baton.Core.Validation;

/// <summary>One thing wrong with a request, and where: a JSON path such as <c>$.tasks[2].taskReferenceName</c>.</summary>
public sealed record ValidationProblem(string Path, string Message);
