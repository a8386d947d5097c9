namespace Baton.Core.Expressions;

/// <summary>
/// Thrown inside one evaluation when it has used up <see cref="EvaluationContext.MaxCost"/>; caught where the
/// evaluation began, which then yields "nothing found" (evaluation never throws to its callers).
/// </summary>
internal sealed class EvaluationTooCostlyException : Exception
{
    public EvaluationTooCostlyException()
        : base($"the evaluation visited or copied more than {EvaluationContext.MaxCost} nodes")
    {
    }

    public EvaluationTooCostlyException(string message)
        : base(message)
    {
    }

    public EvaluationTooCostlyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
