using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Engine.Scripting;

namespace Baton.Engine.SystemTasks;

/// <summary>INLINE: evaluates <c>expression</c> as JavaScript with <c>$</c> bound to the inputs; output <c>result</c>.</summary>
public sealed class InlineTask(JavaScriptEvaluator scripts) : ISystemTask
{
    public string Type => TaskTypes.Inline;
    public bool RunsAsync => false;

    public Task<TaskOutcome> ExecuteAsync(SystemTaskContext context, CancellationToken ct)
    {
        var (task, input) = (context.Task, context.Input);
        var evaluator = input["evaluatorType"]?.GetValueKind() == System.Text.Json.JsonValueKind.String
            ? input["evaluatorType"]!.GetValue<string>() : "javascript";
        if (evaluator is not ("javascript" or "graaljs"))
        {
            return Task.FromResult(TaskOutcome.Failed($"INLINE task '{task.ReferenceTaskName}': evaluatorType '{evaluator}' is not supported (use javascript or graaljs)"));
        }
        if (input["expression"] is not JsonValue expressionNode || expressionNode.GetValueKind() != System.Text.Json.JsonValueKind.String)
        {
            return Task.FromResult(TaskOutcome.Failed($"INLINE task '{task.ReferenceTaskName}': inputParameters.expression must be a string"));
        }
        try
        {
            var result = scripts.Evaluate(expressionNode.GetValue<string>(), input);
            return Task.FromResult(TaskOutcome.Completed(new JsonObject { ["result"] = result }));
        }
        catch (ScriptException e)
        {
            return Task.FromResult(TaskOutcome.Failed($"INLINE task '{task.ReferenceTaskName}': {e.Message}"));
        }
    }
}
