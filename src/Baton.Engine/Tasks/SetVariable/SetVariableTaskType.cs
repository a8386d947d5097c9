using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Runs;
using Baton.Engine.Execution;
using Baton.Engine.SystemTasks;

namespace Baton.Engine.Tasks.SetVariable;

/// <summary>SET_VARIABLE: copies its input into the run's variables.</summary>
public sealed class SetVariableTaskType : TaskType
{
    public override string Name => TaskTypes.SetVariable;

    public override bool Advance(DecisionContext context, TaskRun task)
    {
        var run = context.Run;
        foreach (var (key, value) in task.InputData)
        {
            run.Variables[key] = value?.DeepClone();
            RecordSecretVariable(run, key, task.WorkflowTask?.InputParameters?[key]);
        }
        context.Finish(task, TaskOutcome.Completed([]));
        return true;
    }

    /// <summary>A variable set from a template that names secrets carries those references (never a value).</summary>
    private static void RecordSecretVariable(WorkflowRun run, string key, JsonNode? template)
    {
        var references = new List<string>();
        Gather(template, references);
        if (references.Count > 0)
        {
            (run.SecretVariables ??= [])[key] = references;
        }
        else
        {
            run.SecretVariables?.Remove(key);
        }

        static void Gather(JsonNode? node, List<string> found)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (_, child) in obj) Gather(child, found);
                    break;
                case JsonArray array:
                    foreach (var item in array) Gather(item, found);
                    break;
                case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                    found.AddRange(SecretHandOff.References(value.GetValue<string>()).Select(r => r.Text));
                    break;
            }
        }
    }
}
