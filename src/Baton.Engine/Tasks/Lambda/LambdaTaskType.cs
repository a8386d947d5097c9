using Baton.Core.Definitions;
using Baton.Core.Validation;

namespace Baton.Engine.Tasks.Lambda;

/// <summary>LAMBDA (Conductor's older INLINE): the body of a JavaScript function in <c>scriptExpression</c> (<see cref="LambdaTask"/>).</summary>
public sealed class LambdaTaskType : TaskType
{
    public override string Name => TaskTypes.Lambda;

    public override TaskKind Kind => TaskKind.System;

    public override void Validate(TaskCheck check) => check.RequireString("scriptExpression");
}
