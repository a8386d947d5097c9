using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Expressions;

namespace Baton.Core.Validation;

/// <summary>
/// Checks workflow and task definitions and reports every problem with its JSON path, so a person can fix them
/// all in one go.
/// </summary>
public static class DefinitionValidator
{

    public static void ValidateWorkflowDef(WorkflowDef def, string path, List<ValidationProblem> problems, ITaskTypeRules types)
    {
        CheckName(def.Name, $"{path}.name", "workflow", problems);
        if (def.Version < 1) problems.Add(new($"{path}.version", "version must be 1 or more"));
        if (def.SchemaVersion != 2) problems.Add(new($"{path}.schemaVersion", "only schemaVersion 2 is supported"));
        if (def.TimeoutSeconds < 0) problems.Add(new($"{path}.timeoutSeconds", "timeoutSeconds cannot be negative"));
        if (def.TimeoutPolicy is not null && !TimeoutPolicies.ForWorkflows.Contains(def.TimeoutPolicy))
        {
            problems.Add(new($"{path}.timeoutPolicy", $"timeoutPolicy '{def.TimeoutPolicy}' is not one of TIME_OUT_WF, ALERT_ONLY"));
        }
        if (def.Tasks is null || def.Tasks.Count == 0)
        {
            problems.Add(new($"{path}.tasks", "a workflow needs at least one task"));
            return;
        }

        var references = new HashSet<string>(StringComparer.Ordinal);
        foreach (var task in def.AllTasks())
        {
            if (!string.IsNullOrEmpty(task.TaskReferenceName)) references.Add(task.TaskReferenceName);
        }
        ValidateTaskList(def.Tasks, $"{path}.tasks", new TaskWalk(references, new HashSet<string>(StringComparer.Ordinal), problems, types), []);
        CheckExpressions(def.OutputParameters, $"{path}.outputParameters", references, problems);
        CheckExpressions(def.InputTemplate, $"{path}.inputTemplate", references, problems);
    }

    /// <param name="embedded">A workflow task's own <c>taskDefinition</c>: as in Conductor it may leave its name out (the
    /// task names it) and is not held to the timeout ratio (Conductor's own definitions embed responseTimeoutSeconds 3600
    /// with timeoutSeconds 120).</param>
    public static void ValidateTaskDef(TaskDef def, string path, List<ValidationProblem> problems, bool embedded = false)
    {
        if (!embedded || !string.IsNullOrEmpty(def.Name)) CheckName(def.Name, $"{path}.name", "task definition", problems);
        if (def.RetryCount < 0) problems.Add(new($"{path}.retryCount", "retryCount cannot be negative"));
        if (def.RetryDelaySeconds < 0) problems.Add(new($"{path}.retryDelaySeconds", "retryDelaySeconds cannot be negative"));
        if (def.TimeoutSeconds < 0) problems.Add(new($"{path}.timeoutSeconds", "timeoutSeconds cannot be negative"));
        if (def.ResponseTimeoutSeconds < 0) problems.Add(new($"{path}.responseTimeoutSeconds", "responseTimeoutSeconds cannot be negative"));
        if (def.PollTimeoutSeconds < 0) problems.Add(new($"{path}.pollTimeoutSeconds", "pollTimeoutSeconds cannot be negative"));
        if (def.TotalTimeoutSeconds < 0) problems.Add(new($"{path}.totalTimeoutSeconds", "totalTimeoutSeconds cannot be negative"));
        if (!embedded && def.TimeoutSeconds > 0 && def.ResponseTimeoutSeconds > def.TimeoutSeconds)
        {
            problems.Add(new($"{path}.responseTimeoutSeconds",
                $"responseTimeoutSeconds ({def.ResponseTimeoutSeconds}) must not exceed timeoutSeconds ({def.TimeoutSeconds})"));
        }
        if (def.TimeoutPolicy is not null && !TimeoutPolicies.ForTasks.Contains(def.TimeoutPolicy))
        {
            problems.Add(new($"{path}.timeoutPolicy", $"timeoutPolicy '{def.TimeoutPolicy}' is not one of RETRY, TIME_OUT_WF, ALERT_ONLY"));
        }
        if (def.RetryLogic is not null && !RetryLogics.All.Contains(def.RetryLogic))
        {
            problems.Add(new($"{path}.retryLogic", $"retryLogic '{def.RetryLogic}' is not one of FIXED, EXPONENTIAL_BACKOFF, LINEAR_BACKOFF"));
        }
        CheckExpressions(def.InputTemplate, $"{path}.inputTemplate", new HashSet<string>(StringComparer.Ordinal), problems);
    }

    private static void ValidateTaskList(List<WorkflowTask> tasks, string path, TaskWalk walk, List<WorkflowTask> ancestors)
    {
        for (var i = 0; i < tasks.Count; i++)
        {
            var here = $"{path}[{i}]";
            var task = tasks[i];
            if (task is null)
            {
                walk.Problems.Add(new(here, "a task cannot be null"));
                continue;
            }
            ValidateTask(new TaskCheck(task, here, tasks, i, ancestors, walk.References, walk.Problems), walk);
        }
    }

    private sealed record TaskWalk(IReadOnlySet<string> References, HashSet<string> Seen, List<ValidationProblem> Problems, ITaskTypeRules Types);

    private static void ValidateTask(TaskCheck check, TaskWalk walk)
    {
        var (task, path, problems) = (check.Task, check.Path, check.Problems);
        if (string.IsNullOrWhiteSpace(task.Name)) problems.Add(new($"{path}.name", "name is required"));
        if (string.IsNullOrWhiteSpace(task.TaskReferenceName))
        {
            problems.Add(new($"{path}.taskReferenceName", "taskReferenceName is required"));
        }
        else if (!walk.Seen.Add(task.TaskReferenceName))
        {
            problems.Add(new($"{path}.taskReferenceName", $"taskReferenceName '{task.TaskReferenceName}' is used by more than one task"));
        }
        if (task.RetryCount is < 0) problems.Add(new($"{path}.retryCount", "retryCount cannot be negative"));
        if (task.TaskDefinition is not null) ValidateTaskDef(task.TaskDefinition, $"{path}.taskDefinition", problems, embedded: true);

        var type = task.Type ?? "";
        if (!walk.Types.IsKnown(type))
        {
            problems.Add(new($"{path}.type", $"unknown task type '{type}'; supported: {string.Join(", ", walk.Types.Names.Order(StringComparer.Ordinal))}"));
        }
        else
        {
            walk.Types.Validate(check);
        }
        CheckExpressions(task.InputParameters, $"{path}.inputParameters", walk.References, problems);

        // Nested lists are checked wherever they stand; whether the type may have them is the type's rule.
        List<WorkflowTask> ancestors = [.. check.Ancestors, task];
        foreach (var (suffix, list) in NestedLists(task)) ValidateTaskList(list, path + suffix, walk, ancestors);
    }

    /// <summary>The task lists nested under a task, each with its path below the task.</summary>
    private static IEnumerable<(string Suffix, List<WorkflowTask> List)> NestedLists(WorkflowTask task)
    {
        if (task.DecisionCases is not null)
        {
            foreach (var (value, list) in task.DecisionCases)
            {
                if (list is not null) yield return ($".decisionCases['{value}']", list);
            }
        }
        if (task.DefaultCase is not null) yield return (".defaultCase", task.DefaultCase);
        if (task.ForkTasks is not null)
        {
            for (var i = 0; i < task.ForkTasks.Count; i++)
            {
                if (task.ForkTasks[i] is { } branch) yield return ($".forkTasks[{i}]", branch);
            }
        }
        if (task.LoopOver is not null) yield return (".loopOver", task.LoopOver);
    }

    private static void CheckName(string? name, string path, string what, List<ValidationProblem> problems)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            problems.Add(new(path, $"a {what} needs a name"));
        }
        else if (name.Length > 256 || name.Any(c => c == ':' || char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            problems.Add(new(path, $"name '{name}' must be at most 256 characters without spaces, control characters or ':'"));
        }
    }

    /// <summary>Every <c>${...}</c> must parse and read <c>workflow</c>, <c>CPEWF_TASK_ID</c> or a task of this definition.</summary>
    private static void CheckExpressions(JsonNode? node, string path, IReadOnlySet<string> references, List<ValidationProblem> problems)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj) CheckExpressions(child, $"{path}.{key}", references, problems);
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++) CheckExpressions(array[i], $"{path}[{i}]", references, problems);
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                var text = value.GetValue<string>();
                if (!text.Contains("${", StringComparison.Ordinal)) return;
                var errors = new List<string>();
                foreach (var reference in ExpressionSyntax.Analyze(text, errors))
                {
                    if (reference.Root is "workflow" or "CPEWF_TASK_ID" || references.Contains(reference.Root)) continue;
                    problems.Add(new(path, $"expression '${{{reference.Path}}}' refers to '{reference.Root}', which is not a task reference name of this workflow"));
                }
                foreach (var error in errors) problems.Add(new(path, $"expression does not parse: {error}"));
                break;
        }
    }
}
