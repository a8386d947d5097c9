using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Json;
using Baton.Core.Runs;
using Baton.Core.Validation;
using Baton.Engine.Execution;
using Baton.Engine.SystemTasks;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tasks.ForkJoinDynamic;

/// <summary>
/// FORK_JOIN_DYNAMIC: forks into tasks named at run time, in either of Conductor's forms: <c>forkTaskName</c> /
/// <c>forkTaskType</c> with a list <c>forkTaskInputs</c> (one task per item, named <c>_name_i</c>), or the task list in
/// the input named by <c>dynamicForkTasksParam</c> with their inputs, by reference name, in the input named by
/// <c>dynamicForkTasksInputParamName</c>. The JOIN that must follow joins on them all.
/// Their content comes from the run's data, not from the definition, so the definition's author cannot vouch for it:
/// a dynamic task that would use a secret (a reference, <c>_secrets</c>, a variable set from a secret, a sealed output)
/// fails the fork. They may not hold nested lists either.
/// </summary>
public sealed class ForkJoinDynamicTaskType : TaskType
{
    /// <summary>At most this many tasks from one fork.</summary>
    public const int MaxTasks = 1000;

    public override string Name => TaskTypes.ForkJoinDynamic;

    public override void Validate(TaskCheck check)
    {
        var task = check.Task;
        var listForm = task.DynamicForkTasksParam is not null;
        if (listForm && string.IsNullOrWhiteSpace(task.DynamicForkTasksInputParamName))
        {
            check.Problem(".dynamicForkTasksInputParamName", "with dynamicForkTasksParam, name the input that holds the tasks' inputs");
        }
        if (!listForm && !(check.Input?.ContainsKey("forkTaskInputs") ?? false))
        {
            check.Problem(".inputParameters.forkTaskInputs", "a FORK_JOIN_DYNAMIC needs forkTaskInputs (with forkTaskName or forkTaskType), or dynamicForkTasksParam and dynamicForkTasksInputParamName");
        }
        if (check.Index + 1 >= check.Siblings.Count || check.Siblings[check.Index + 1]?.Type != TaskTypes.Join)
        {
            check.Problem(".type", $"FORK_JOIN_DYNAMIC '{task.TaskReferenceName}' must be followed by a JOIN task in the same list");
        }
    }

    public override bool Advance(DecisionContext context, TaskRun task)
    {
        var problems = new List<string>();
        var forked = Forked(context, task, problems);
        if (problems.Count > 0)
        {
            context.Finish(task, new TaskOutcome(TaskStatus.FailedWithTerminalError, [],
                $"FORK_JOIN_DYNAMIC '{task.ReferenceTaskName}' could not fork: {string.Join("; ", problems.Take(10))}"));
            return true;
        }
        var iteration = WorkflowDecider.LoopIteration(task);
        var joinOn = new JsonArray();
        foreach (var workflowTask in forked) joinOn.Add(context.Schedule(workflowTask, iteration).ReferenceTaskName);
        if (context.Graph.Following(task.WorkflowTask!.TaskReferenceName) is { Type: TaskTypes.Join } join)
        {
            var joinTask = context.Schedule(join, iteration);
            joinTask.InputData["joinOn"] = joinOn;
        }
        context.Finish(task, TaskOutcome.Completed(new JsonObject { ["forkedTasks"] = joinOn.DeepClone() }));
        return true;
    }

    private static List<WorkflowTask> Forked(DecisionContext context, TaskRun fork, List<string> problems)
    {
        var input = fork.InputData;
        var definition = fork.WorkflowTask!;
        var tasks = new List<WorkflowTask>();
        if (definition.DynamicForkTasksParam is { } tasksParam)
        {
            if (input[tasksParam] is not JsonArray list)
            {
                problems.Add($"input '{tasksParam}' must be a list of tasks");
                return tasks;
            }
            if (input[definition.DynamicForkTasksInputParamName ?? ""] is not JsonObject inputs)
            {
                problems.Add($"input '{definition.DynamicForkTasksInputParamName}' must be an object of task inputs by reference name");
                return tasks;
            }
            for (var i = 0; i < list.Count && problems.Count == 0; i++)
            {
                WorkflowTask? task = null;
                try
                {
                    task = list[i] is JsonObject item ? item.Deserialize(BatonJson.Context.WorkflowTask) : null;
                }
                catch (JsonException)
                {
                    // reported below
                }
                if (task is null)
                {
                    problems.Add($"{tasksParam}[{i}] is not a task");
                    continue;
                }
                task.InputParameters ??= [];
                switch (inputs[task.TaskReferenceName ?? ""])
                {
                    case JsonObject own:
                        foreach (var (key, value) in own) task.InputParameters[key] = value?.DeepClone();
                        break;
                    case null:
                        break;
                    default:
                        // As Conductor: tasks could not be dynamically forked due to invalid input.
                        problems.Add($"the input of forked task '{task.TaskReferenceName}' in '{definition.DynamicForkTasksInputParamName}' must be an object");
                        continue;
                }
                tasks.Add(task);
            }
        }
        else if (input["forkTaskInputs"] is JsonArray items)
        {
            var type = input["forkTaskType"]?.ToString() ?? TaskTypes.Simple;
            var name = input["forkTaskName"]?.ToString() ?? (type != TaskTypes.Simple ? type : definition.TaskReferenceName);
            var another = context.Run.Tasks.Exists(t => t.TaskId != fork.TaskId && t.WorkflowTask?.Type == TaskTypes.ForkJoinDynamic);
            for (var i = 0; i < items.Count; i++)
            {
                var itemInput = items[i] is JsonObject obj ? (JsonObject)obj.DeepClone() : new JsonObject { ["input"] = items[i]?.DeepClone() };
                itemInput["__index"] = i;
                tasks.Add(new WorkflowTask
                {
                    Name = name,
                    Type = type,
                    TaskReferenceName = another ? $"_{definition.TaskReferenceName}_{name}_{i}" : $"_{name}_{i}",
                    InputParameters = itemInput,
                    Optional = definition.Optional,
                });
            }
        }
        else
        {
            problems.Add("input 'forkTaskInputs' must be a list");
        }
        if (tasks.Count > MaxTasks) problems.Add($"it names {tasks.Count} tasks, more than {MaxTasks}");
        Check(context, tasks, problems);
        return tasks;
    }

    /// <summary>Each forked task must be a task the definition could have held, of a plain type, with a fresh name, and no secrets.</summary>
    private static void Check(DecisionContext context, List<WorkflowTask> tasks, List<string> problems)
    {
        var types = context.Types;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var references = new HashSet<string>(StringComparer.Ordinal);
        foreach (var task in tasks)
        {
            if (problems.Count >= 10) return;
            var reference = task.TaskReferenceName ?? "";
            if (string.IsNullOrWhiteSpace(task.Name) || string.IsNullOrWhiteSpace(reference))
            {
                problems.Add("every forked task needs a name and a taskReferenceName");
                continue;
            }
            if (!seen.Add(reference) || context.Graph.Find(reference) is not null || context.Run.LatestTask(reference) is not null)
            {
                problems.Add($"taskReferenceName '{reference}' is already used in this run");
            }
            if (!types.TryGet(task.Type ?? "", out var type) || type.NestedLists.Count > 0 || task.Type is TaskTypes.Join or TaskTypes.ForkJoinDynamic)
            {
                problems.Add($"task '{reference}' has type '{task.Type}', which a dynamic fork cannot make");
                continue;
            }
            var typeProblems = new List<ValidationProblem>();
            types.Validate(new TaskCheck(task, $"'{reference}'", [task], 0, [], references, typeProblems));
            problems.AddRange(typeProblems.Select(p => $"{p.Path}: {p.Message}"));
            if (SecretHandOff.NeedsHandOff(context.Run, new TaskRun { WorkflowTask = task }))
            {
                problems.Add($"task '{reference}' would use a secret; tasks made at run time cannot, as no definition's author vouches for them");
            }
        }
    }
}
