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
    private static readonly HashSet<string> TerminationStatuses = new(StringComparer.Ordinal) { "COMPLETED", "FAILED", "TERMINATED" };
    private static readonly HashSet<string> SwitchEvaluators = new(StringComparer.Ordinal) { "value-param", "javascript", "graaljs" };
    private static readonly HashSet<string> ScriptEvaluators = new(StringComparer.Ordinal) { "javascript", "graaljs" };

    public static void ValidateWorkflowDef(WorkflowDef def, string path, List<ValidationProblem> problems)
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
        var seen = new HashSet<string>(StringComparer.Ordinal);
        ValidateTaskList(def.Tasks, $"{path}.tasks", references, seen, problems);
        CheckExpressions(def.OutputParameters, $"{path}.outputParameters", references, problems);
        CheckExpressions(def.InputTemplate, $"{path}.inputTemplate", references, problems);
    }

    public static void ValidateTaskDef(TaskDef def, string path, List<ValidationProblem> problems)
    {
        CheckName(def.Name, $"{path}.name", "task definition", problems);
        if (def.RetryCount < 0) problems.Add(new($"{path}.retryCount", "retryCount cannot be negative"));
        if (def.RetryDelaySeconds < 0) problems.Add(new($"{path}.retryDelaySeconds", "retryDelaySeconds cannot be negative"));
        if (def.TimeoutSeconds < 0) problems.Add(new($"{path}.timeoutSeconds", "timeoutSeconds cannot be negative"));
        if (def.ResponseTimeoutSeconds < 0) problems.Add(new($"{path}.responseTimeoutSeconds", "responseTimeoutSeconds cannot be negative"));
        if (def.PollTimeoutSeconds < 0) problems.Add(new($"{path}.pollTimeoutSeconds", "pollTimeoutSeconds cannot be negative"));
        if (def.TimeoutSeconds > 0 && def.ResponseTimeoutSeconds > def.TimeoutSeconds)
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

    private static void ValidateTaskList(List<WorkflowTask> tasks, string path, HashSet<string> references, HashSet<string> seen, List<ValidationProblem> problems)
    {
        for (var i = 0; i < tasks.Count; i++)
        {
            var here = $"{path}[{i}]";
            var task = tasks[i];
            if (task is null)
            {
                problems.Add(new(here, "a task cannot be null"));
                continue;
            }
            ValidateTask(task, here, references, seen, problems);
        }
    }

    private static void ValidateTask(WorkflowTask task, string path, HashSet<string> references, HashSet<string> seen, List<ValidationProblem> problems)
    {
        if (string.IsNullOrWhiteSpace(task.Name)) problems.Add(new($"{path}.name", "name is required"));
        if (string.IsNullOrWhiteSpace(task.TaskReferenceName))
        {
            problems.Add(new($"{path}.taskReferenceName", "taskReferenceName is required"));
        }
        else if (!seen.Add(task.TaskReferenceName))
        {
            problems.Add(new($"{path}.taskReferenceName", $"taskReferenceName '{task.TaskReferenceName}' is used by more than one task"));
        }
        if (task.RetryCount is < 0) problems.Add(new($"{path}.retryCount", "retryCount cannot be negative"));
        if (task.TaskDefinition is not null) ValidateTaskDef(task.TaskDefinition, $"{path}.taskDefinition", problems);

        var type = task.Type ?? "";
        if (!TaskTypes.Supported.Contains(type))
        {
            problems.Add(new($"{path}.type", $"unknown task type '{type}'; supported: {string.Join(", ", TaskTypes.Supported.Order(StringComparer.Ordinal))}"));
        }
        else if (type == TaskTypes.Simple && TaskTypes.Reserved.Contains(task.Name ?? ""))
        {
            problems.Add(new($"{path}.name", $"a SIMPLE task cannot be named '{task.Name}', the name of a system task type: workers poll SIMPLE tasks by name"));
        }
        CheckExpressions(task.InputParameters, $"{path}.inputParameters", references, problems);
        var input = task.InputParameters;
        switch (type)
        {
            case TaskTypes.Inline:
                RequireString(input, "expression", $"{path}.inputParameters", problems);
                if (StringAt(input, "evaluatorType") is { } inlineEvaluator && !ScriptEvaluators.Contains(inlineEvaluator))
                {
                    problems.Add(new($"{path}.inputParameters.evaluatorType", $"evaluatorType '{inlineEvaluator}' is not one of javascript, graaljs"));
                }
                break;
            case TaskTypes.Http:
                var request = input?["http_request"] as JsonObject;
                var requestPath = request is null ? $"{path}.inputParameters" : $"{path}.inputParameters.http_request";
                RequireString(request ?? input, "uri", requestPath, problems);
                RequireString(request ?? input, "method", requestPath, problems);
                break;
            case TaskTypes.Switch:
                if (task.EvaluatorType is null || !SwitchEvaluators.Contains(task.EvaluatorType))
                {
                    problems.Add(new($"{path}.evaluatorType", $"a SWITCH needs evaluatorType value-param, javascript or graaljs (got '{task.EvaluatorType}')"));
                }
                if (string.IsNullOrWhiteSpace(task.Expression))
                {
                    problems.Add(new($"{path}.expression", "a SWITCH needs an expression"));
                }
                else if (task.EvaluatorType == "value-param" && input?[task.Expression] is null && !(input?.ContainsKey(task.Expression) ?? false))
                {
                    problems.Add(new($"{path}.expression", $"value-param expression '{task.Expression}' names no input parameter of the task"));
                }
                break;
            case TaskTypes.UpdateSecret:
                var secrets = input?["_secrets"] as JsonObject;
                RequireString(secrets, "secretKey", $"{path}.inputParameters._secrets", problems);
                if (secrets?["secretValue"] is null) problems.Add(new($"{path}.inputParameters._secrets.secretValue", "secretValue is required"));
                break;
            case TaskTypes.Terminate:
                var status = StringAt(input, "terminationStatus");
                if (status is null || !TerminationStatuses.Contains(status))
                {
                    problems.Add(new($"{path}.inputParameters.terminationStatus", "terminationStatus must be COMPLETED, FAILED or TERMINATED"));
                }
                break;
        }

        if (task.DecisionCases is not null)
        {
            foreach (var (value, list) in task.DecisionCases)
            {
                if (list is not null) ValidateTaskList(list, $"{path}.decisionCases['{value}']", references, seen, problems);
            }
        }
        if (task.DefaultCase is not null) ValidateTaskList(task.DefaultCase, $"{path}.defaultCase", references, seen, problems);
        if (task.ForkTasks is { Count: > 0 }) problems.Add(new($"{path}.forkTasks", "forkTasks are only allowed on FORK_JOIN tasks, which are not supported yet"));
        if (task.LoopOver is { Count: > 0 }) problems.Add(new($"{path}.loopOver", "loopOver is only allowed on DO_WHILE tasks, which are not supported yet"));
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

    private static void RequireString(JsonObject? input, string key, string path, List<ValidationProblem> problems)
    {
        var node = input?[key];
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetValue<string>()))
        {
            problems.Add(new($"{path}.{key}", $"{key} is required"));
        }
    }

    private static string? StringAt(JsonObject? input, string key) =>
        input?[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>Every <c>${...}</c> must parse and read <c>workflow</c>, <c>CPEWF_TASK_ID</c> or a task of this definition.</summary>
    private static void CheckExpressions(JsonNode? node, string path, HashSet<string> references, List<ValidationProblem> problems)
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
