using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Engine.SystemTasks;
using Baton.Jq;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tasks.JsonJqTransform;

/// <summary>
/// Runs a JSON_JQ_TRANSFORM as Conductor does: the jq input is the whole task input; the output is <c>result</c> (the
/// first result) and <c>resultList</c> (all of them); an error fails the task with jq's message in the reason and in
/// <c>error</c>. It runs in the decider unless its input needs secrets; then, like a script, its output is sealed and an
/// error withheld, since a program can compute any form of a value.
/// </summary>
public sealed class JsonJqTransformTask : ISystemTask
{
    private const int CacheLimit = 4096;
    private static readonly ConcurrentDictionary<string, JqProgram> Programs = new(StringComparer.Ordinal);

    public string Type => TaskTypes.JsonJqTransform;

    public bool RunsAsync => false;

    public Task<TaskOutcome> ExecuteAsync(SystemTaskContext context, CancellationToken ct)
    {
        var input = context.Input;
        if (input["queryExpression"] is not JsonValue query || query.GetValueKind() != System.Text.Json.JsonValueKind.String)
        {
            return Task.FromResult(TaskOutcome.Failed("Missing 'queryExpression' in input parameters"));
        }
        try
        {
            var results = Compiled(query.GetValue<string>()).Run(input);
            var list = new JsonArray([.. results.Select(r => r?.DeepClone())]);
            return Task.FromResult(TaskOutcome.Completed(new JsonObject
            {
                ["result"] = results.Count == 0 ? null : results[0]?.DeepClone(),
                ["resultList"] = list,
            }));
        }
        catch (Exception e) when (e is JqParseException or JqRuntimeException)
        {
            return Task.FromResult(new TaskOutcome(TaskStatus.Failed, new JsonObject { ["error"] = e.Message }, e.Message));
        }
    }

    /// <summary>A program compiled once and shared (compiled programs are safe to run on many threads).</summary>
    public static JqProgram Compiled(string source)
    {
        if (Programs.TryGetValue(source, out var program)) return program;
        program = JqProgram.Compile(source);
        if (Programs.Count >= CacheLimit) Programs.Clear();
        Programs[source] = program;
        return program;
    }
}
