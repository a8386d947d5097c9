using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Engine.Scripting;
using Baton.Engine.SystemTasks;

namespace Baton.Engine.Tasks.Lambda;

/// <summary>
/// LAMBDA: runs <c>scriptExpression</c> as the body of a function with <c>$</c> bound to the inputs, as Conductor's
/// <c>Lambda</c> does (<c>function scriptFun(){ ... } scriptFun();</c>); output <c>result</c>.
/// </summary>
public sealed class LambdaTask(JavaScriptEvaluator scripts) : ISystemTask
{
    public string Type => TaskTypes.Lambda;
    public bool RunsAsync => false;

    public Task<TaskOutcome> ExecuteAsync(SystemTaskContext context, CancellationToken ct)
    {
        var (task, input) = (context.Task, context.Input);
        if (input["scriptExpression"] is not JsonValue script || script.GetValueKind() != JsonValueKind.String)
        {
            return Task.FromResult(TaskOutcome.Failed($"LAMBDA task '{task.ReferenceTaskName}': inputParameters.scriptExpression must be a string"));
        }
        try
        {
            var result = scripts.Evaluate("function scriptFun(){" + script.GetValue<string>() + "} scriptFun();", input);
            return Task.FromResult(TaskOutcome.Completed(new JsonObject { ["result"] = result }));
        }
        catch (ScriptException e)
        {
            return Task.FromResult(TaskOutcome.Failed($"LAMBDA task '{task.ReferenceTaskName}': {e.Message}"));
        }
    }
}
