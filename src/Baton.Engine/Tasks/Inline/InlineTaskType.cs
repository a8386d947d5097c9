using Baton.Core.Definitions;
using Baton.Core.Validation;

namespace Baton.Engine.Tasks.Inline;

/// <summary>INLINE: a JavaScript expression over the task's input (<see cref="SystemTasks.InlineTask"/>).</summary>
public sealed class InlineTaskType : TaskType
{
    private static readonly HashSet<string> Evaluators = new(StringComparer.Ordinal) { "javascript", "graaljs" };

    public override string Name => TaskTypes.Inline;

    public override TaskKind Kind => TaskKind.System;

    public override void Validate(TaskCheck check)
    {
        check.RequireString("expression");
        if (check.InputString("evaluatorType") is { } evaluator && !Evaluators.Contains(evaluator))
        {
            check.Problem(".inputParameters.evaluatorType", $"evaluatorType '{evaluator}' is not one of javascript, graaljs");
        }
    }
}
