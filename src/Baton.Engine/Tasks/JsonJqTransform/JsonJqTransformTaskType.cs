using Baton.Core.Definitions;
using Baton.Core.Validation;
using Baton.Jq;

namespace Baton.Engine.Tasks.JsonJqTransform;

/// <summary>
/// JSON_JQ_TRANSFORM: runs the jq program in <c>queryExpression</c> over the task's input
/// (<see cref="JsonJqTransformTask"/>), with Baton's own jq. A literal program is compiled when the definition is saved,
/// so a syntax error is a 400 with its line and column.
/// </summary>
public sealed class JsonJqTransformTaskType : TaskType
{
    public override string Name => TaskTypes.JsonJqTransform;

    public override TaskKind Kind => TaskKind.System;

    public override void Validate(TaskCheck check)
    {
        check.RequireString("queryExpression");
        if (check.InputString("queryExpression") is { } query && !query.Contains("${", StringComparison.Ordinal))
        {
            try
            {
                JsonJqTransformTask.Compiled(query);
            }
            catch (JqParseException e)
            {
                check.Problem(".inputParameters.queryExpression", $"the jq program does not parse: {e.Message}");
            }
        }
    }
}
