using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.Core.Expressions;
using Baton.Core.Runs;
using Baton.Secrets.Audit;
using Baton.Secrets.Service;

namespace Baton.Engine.Execution;

/// <summary>What a task gets at hand-off, prepared under the run's lock: its input, and which secret references may be resolved where.</summary>
/// <param name="SealOutput">The task is a script whose input holds secret material: its output is quarantined.</param>
public sealed record HandOffPlan(JsonObject Input, IReadOnlyList<AllowedField> Allowed, string? Principal, bool SealOutput)
{
    /// <summary>The definition whose template names the secrets (its author and content decide whether they may flow into it).</summary>
    public DefinitionOrigin? Origin { get; init; }

    /// <summary>
    /// A node's hand-off: the values go under <c>context.secrets</c> by name, for the node to render its templates
    /// with, instead of being substituted into the input.
    /// </summary>
    public bool SecretsAsContext { get; init; }

    /// <summary>The principal of the worker whose poll answer gets the values (null for a system task): it must hold READ or EXECUTE on each.</summary>
    public string? Worker { get; set; }

    /// <summary>
    /// The secrets the quarantined outputs this input reads were computed from (<see cref="TaskRun.SealedFrom"/>): not
    /// substituted anywhere, but checked, recorded and audited as if the fields named them, since the task gets a form of them.
    /// </summary>
    public IReadOnlyList<string> DerivedFrom { get; init; } = [];

    /// <summary>The secrets this hand-off will use, by name, each once, in the order the fields name them, then those it gets in derived form.</summary>
    public IReadOnlyList<string> SecretNames => _secretNames ??= Allowed.Count == 0 && DerivedFrom.Count == 0 ? [] : DistinctSecrets(Allowed, DerivedFrom);

    private IReadOnlyList<string>? _secretNames;

    /// <summary>
    /// The secrets and versions whose use was recorded (audit and manifest) in the very commit that scheduled the
    /// task, in the order of <see cref="SecretNames"/>.
    /// </summary>
    public IReadOnlyList<ResolvedSecret>? Recorded { get; set; }

    /// <summary>A plan is built for every system task's dispatch: a plain loop over its few names, not a LINQ pipeline.</summary>
    private static List<string> DistinctSecrets(IReadOnlyList<AllowedField> allowed, IReadOnlyList<string> derivedFrom)
    {
        var names = new List<string>();
        for (var i = 0; i < allowed.Count; i++)
        {
            var references = allowed[i].References;
            for (var j = 0; j < references.Count; j++)
            {
                if (!names.Contains(references[j].Secret)) names.Add(references[j].Secret);
            }
        }
        for (var i = 0; i < derivedFrom.Count; i++)
        {
            if (!names.Contains(derivedFrom[i])) names.Add(derivedFrom[i]);
        }
        return names;
    }
}

/// <summary>A field of a task's input (its path from the input's root) and the references the definition allows in it.</summary>
public sealed record AllowedField(IReadOnlyList<PathStep> Path, IReadOnlyList<SecretReference> References);

/// <summary>One step of a path into JSON: an object's key, or an array's index when <see cref="Key"/> is null.</summary>
public readonly record struct PathStep(string? Key, int Index);

/// <summary>
/// Resolves <c>${workflow.secrets.NAME}</c> in a task's input at the moment the task is handed over (a system
/// task about to run, a worker's poll answer), in a copy that is never stored. In two steps:
/// <list type="number">
/// <item><see cref="Prepare"/>, under the run's lock: copies the stored input, evaluates the <c>_secrets</c>
/// input again from the definition (it is masked at rest, as Orkes does), and works out, field by field, which
/// references may be resolved: those the definition's template wrote in that field, and those carried by a
/// variable that a SET_VARIABLE set from such a template. Data that merely contains reference text (a workflow
/// input, a task output) can never turn itself into a reference.</item>
/// <item><see cref="ResolveAsync"/>: takes the values whose use the scheduling commit recorded (see
/// <see cref="PrepareAheadAsync"/>), or else asks the vault for them (audited and recorded before they are given),
/// and substitutes them.</item>
/// </list>
/// </summary>
public sealed class SecretHandOff(SecretVault vault)
{
    /// <summary>The input key whose subtree is masked at rest and evaluated again at hand-off (Orkes' convention).</summary>
    public const string SecretsInputKey = "_secrets";

    private static readonly ConcurrentDictionary<string, IReadOnlyList<SecretReference>> ReferenceCache = new(StringComparer.Ordinal);

    /// <summary>True when the task needs anything done at hand-off.</summary>
    public static bool NeedsHandOff(WorkflowRun run, TaskRun task) =>
        (task.WorkflowTask is { } node && Tasks.Nodes.NodeTemplates.SecretFields(node).Count > 0) ||
        task.WorkflowTask?.InputParameters is { } template
        && (template.ContainsKey(SecretsInputKey) || HasReferences(template, run.SecretVariables) || ReadsSealed(template, run));

    /// <summary>Builds the hand-off of a task; call it under the run's lock.</summary>
    public HandOffPlan Prepare(WorkflowRun run, TaskRun task, JsonObject? environment)
    {
        if (task.WorkflowTask is { } node && Tasks.Nodes.NodeWiring.IsNodeTask(node)) return PrepareNode(run, task, node);
        var input = (JsonObject)task.InputData.DeepClone();
        var allowed = new List<AllowedField>();
        var seal = false;
        List<string> derivedFrom = [];
        if (task.WorkflowTask?.InputParameters is { } template)
        {
            if (template[SecretsInputKey] is { } secretsTemplate)
            {
                input[SecretsInputKey] = ParameterEvaluator.Evaluate(secretsTemplate, new WorkflowScope(run, task.TaskId, environment));
            }
            Collect(template, run.SecretVariables, allowed);
            var readsSealed = ReadsSealed(template, run);
            if (readsSealed)
            {
                var scope = new UnsealingScope(run, task.TaskId, environment, vault);
                Unseal(template, input, scope);
                derivedFrom = scope.DerivedFrom;
            }
            seal = Core.Definitions.TaskTypes.ComputesOnInput(task.TaskType) && (allowed.Count > 0 || readsSealed);
        }
        return new HandOffPlan(input, allowed, run.CreatedBy, seal)
        {
            DerivedFrom = derivedFrom,
            Origin = allowed.Count == 0 && derivedFrom.Count == 0 ? null : OriginOf(run.WorkflowDefinition),
        };
    }

    /// <summary>
    /// A node's hand-off: its input is the run's template context (<see cref="Tasks.Nodes.NodeContext"/>), and the
    /// node renders its config from its definition's templates at execution, after <see cref="ResolveAsync"/> has put
    /// exactly the secrets those templates name (the definition's, never the run's data) under <c>context.secrets</c>.
    /// </summary>
    private static HandOffPlan PrepareNode(WorkflowRun run, TaskRun task, Core.Definitions.WorkflowTask node)
    {
        var allowed = new List<AllowedField>();
        foreach (var (path, secrets) in Tasks.Nodes.NodeTemplates.SecretFields(node))
        {
            allowed.Add(new AllowedField(path, [.. secrets.Select(name => new SecretReference("", name, ""))]));
        }
        // A config that reads no secret was rendered whole at scheduling: the node runs it as stored, and needs the
        // context only for its variables and links.
        JsonObject input;
        if (allowed.Count == 0 && Tasks.Nodes.NodeTemplates.RenderedWhole(node, task.InputData["config"]) is { } rendered)
        {
            var config = Tasks.Nodes.NodeWiring.Node(node);
            input = new JsonObject { [RenderedConfigKey] = rendered.DeepClone() };
            if (config["variables"] is JsonObject { Count: > 0 } || config["links"] is JsonArray { Count: > 0 }) input[NodeContextKey] = Tasks.Nodes.NodeContext.For(run, task);
        }
        else
        {
            input = new JsonObject { [NodeContextKey] = Tasks.Nodes.NodeContext.For(run, task) };
        }
        return new HandOffPlan(input, allowed, run.CreatedBy, SealOutput: false)
        {
            Origin = allowed.Count == 0 ? null : OriginOf(run.WorkflowDefinition),
            SecretsAsContext = true,
        };
    }

    /// <summary>The key of a node's hand-off input that holds its template context.</summary>
    public const string NodeContextKey = "context";

    /// <summary>The key of a node's hand-off input that holds its config already rendered whole (see <see cref="Tasks.Nodes.NodeTemplates.RenderedWhole"/>).</summary>
    public const string RenderedConfigKey = "rendered";

    /// <summary>
    /// The definition as the run holds it: who saved it last, and its content's fingerprint. Made once per definition
    /// object (a run keeps its definition for its whole life, and every hand-off of a run with secrets asks).
    /// </summary>
    public static DefinitionOrigin OriginOf(Core.Definitions.WorkflowDef def) =>
        Origins.GetValue(def, d => new(d.Name, d.Version, d.UpdatedBy, Core.Definitions.DefinitionFingerprint.Of(d)));

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Core.Definitions.WorkflowDef, DefinitionOrigin> Origins = [];

    /// <summary>Fields whose template reads a quarantined output are evaluated again, with the real values.</summary>
    private static void Unseal(JsonObject template, JsonObject input, UnsealingScope scope) =>
        ForEachString(template, [], (text, path) =>
        {
            if (!ReadsSealed(text, scope.Run) || Locate(input, path) is not (var parent, var field, var index)) return;
            var evaluated = ParameterEvaluator.EvaluateString(text, scope);
            if (field is not null) ((JsonObject)parent)[field] = evaluated;
            else ((JsonArray)parent)[index] = evaluated;
        });

    /// <summary>Calls <paramref name="visit"/> with every string under <paramref name="node"/> and its path from the root.</summary>
    private static void ForEachString(JsonNode? node, List<PathStep> path, Action<string, List<PathStep>> visit)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj)
                {
                    path.Add(new PathStep(key, -1));
                    ForEachString(child, path, visit);
                    path.RemoveAt(path.Count - 1);
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    path.Add(new PathStep(null, i));
                    ForEachString(array[i], path, visit);
                    path.RemoveAt(path.Count - 1);
                }
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                visit(value.GetValue<string>(), path);
                break;
        }
    }

    private static bool ReadsSealed(JsonNode? template, WorkflowRun run) => template switch
    {
        _ when !run.Tasks.Exists(t => t.SealedOutput is not null) => false,
        JsonObject obj => obj.Any(p => ReadsSealed(p.Value, run)),
        JsonArray array => array.Any(item => ReadsSealed(item, run)),
        JsonValue value when value.GetValueKind() == JsonValueKind.String => ReadsSealed(value.GetValue<string>(), run),
        _ => false,
    };

    private static bool ReadsSealed(string text, WorkflowRun run) =>
        text.Contains("${", StringComparison.Ordinal)
        && ExpressionSyntax.Analyze(text, []).Any(r => run.LatestTask(r.Root)?.SealedOutput is not null);

    /// <summary>The run's scope, except that quarantined task outputs read as their real values.</summary>
    private sealed class UnsealingScope(WorkflowRun run, string taskId, JsonObject? environment, SecretVault vault) : IExpressionScope
    {
        private readonly WorkflowScope _inner = new(run, taskId, environment);

        public WorkflowRun Run => run;

        /// <summary>The secrets the outputs read so far were computed from.</summary>
        public List<string> DerivedFrom { get; } = [];

        public bool TryGetRoot(string name, out JsonNode? value)
        {
            if (run.LatestTask(name) is { SealedOutput: { } sealedOutput } task)
            {
                foreach (var secret in task.SealedFrom ?? [])
                {
                    if (!DerivedFrom.Contains(secret)) DerivedFrom.Add(secret);
                }
                var document = WorkflowScope.TaskDocument(task);
                document["output"] = JsonNode.Parse(vault.Unseal(run.WorkflowId, task.TaskId, sealedOutput));
                value = document;
                return true;
            }
            return _inner.TryGetRoot(name, out value);
        }
    }

    /// <summary>The plan's input with every allowed reference replaced by its value.</summary>
    /// <exception cref="SecretResolutionException">A secret is missing, deleted, undecryptable, lacks the field, or is empty.</exception>
    public async ValueTask<JsonObject> ResolveAsync(TaskRun task, HandOffPlan plan, CancellationToken ct)
    {
        // A plan with only derived secrets resolves them too: the check, the audit and the manifest are the point.
        if (plan.SecretNames.Count == 0) return plan.Input;
        // Usually the use was recorded with the scheduling commit, and this completes without awaiting anything. A
        // worker's hand-off is always checked afresh: the worker's own rights count.
        var values = (plan.Worker is null ? RecordedValues(plan) : null) ?? await ResolveNowAsync(task, plan, ct);
        if (plan.SecretsAsContext)
        {
            var secrets = new JsonObject();
            for (var i = 0; i < values.Length; i++) secrets[plan.SecretNames[i]] = values[i].AsNode();
            ((JsonObject)plan.Input[NodeContextKey]!)["secrets"] = secrets;
            return plan.Input;
        }
        for (var i = 0; i < plan.Allowed.Count; i++)
        {
            var (path, references) = plan.Allowed[i];
            if (Locate(plan.Input, path) is not (var parent, var key, var index)) continue;
            var current = key is not null ? ((JsonObject)parent)[key] : ((JsonArray)parent)[index];
            if (current is not JsonValue value || value.GetValueKind() != JsonValueKind.String) continue;
            var replaced = Substitute(value.GetValue<string>(), references, plan.SecretNames, values);
            if (key is not null) ((JsonObject)parent)[key] = replaced;
            else ((JsonArray)parent)[index] = replaced;
        }
        return plan.Input;
    }

    /// <summary>
    /// The values whose use was recorded with the scheduling commit, in the order of the plan's secret names (they
    /// were prepared from them), when all are still live: a version destroyed since is not handed over.
    /// </summary>
    private SecretValue[]? RecordedValues(HandOffPlan plan)
    {
        if (plan.Recorded is not { } recorded || recorded.Count != plan.SecretNames.Count) return null;
        var values = new SecretValue[recorded.Count];
        for (var i = 0; i < values.Length; i++)
        {
            var (name, version, _) = recorded[i];
            if (name != plan.SecretNames[i] || vault.RecordedValue(name, version) is not { } value) return null;
            values[i] = value;
        }
        return values;
    }

    /// <summary>Resolves the plan's secrets now (audited and recorded before they are given), in the order of its names.</summary>
    private async Task<SecretValue[]> ResolveNowAsync(TaskRun task, HandOffPlan plan, CancellationToken ct)
    {
        var resolved = await vault.ResolveAsync(plan.SecretNames, ContextOf(task, plan), ct);
        return [.. plan.SecretNames.Select(name => resolved[name])];
    }

    /// <summary>
    /// Prepares the plan's resolutions ahead of the hand-off (see <see cref="SecretVault.PrepareResolutionsAsync"/>);
    /// null when there is nothing to resolve or a secret cannot be given.
    /// </summary>
    public ValueTask<PreparedResolutions?> PrepareAheadAsync(TaskRun task, HandOffPlan plan, CancellationToken ct)
    {
        if (plan.SecretNames.Count == 0) return ValueTask.FromResult<PreparedResolutions?>(null);
        return vault.PrepareResolutionsAsync(plan.SecretNames, ContextOf(task, plan), ct);
    }

    private static ResolutionContext ContextOf(TaskRun task, HandOffPlan plan) =>
        new(task.WorkflowInstanceId, task.TaskId, task.ReferenceTaskName, plan.Principal) { Definition = plan.Origin, Worker = plan.Worker };

    /// <summary>The prepared resolutions were committed with the run: the hand-off takes its values from memory.</summary>
    public void Committed(HandOffPlan plan, PreparedResolutions prepared)
    {
        vault.ResolutionsCommitted(prepared);
        plan.Recorded = prepared.Resolution.Secrets;
    }

    /// <summary>
    /// Which references the definition allows in each field. A field whose template is exactly one reference gets
    /// the typed value; one that reads a secret-carrying variable may resolve that variable's references. The
    /// <c>_secrets</c> input is evaluated again at hand-off: every string in it may resolve what it names.
    /// </summary>
    private static void Collect(JsonObject template, Dictionary<string, List<string>>? secretVariables, List<AllowedField> allowed) =>
        ForEachString(template, [], (text, path) =>
        {
            var references = References(text);
            if (path[0].Key != SecretsInputKey && secretVariables is { Count: > 0 } && CarriedByVariables(text, secretVariables).ToList() is { Count: > 0 } carried)
            {
                references = [.. references, .. carried];
            }
            if (references.Count > 0) allowed.Add(new AllowedField([.. path], references));
        });

    /// <summary>References held by the variables a template string reads (<c>${workflow.variables.NAME...}</c>).</summary>
    private static IEnumerable<SecretReference> CarriedByVariables(string text, Dictionary<string, List<string>> secretVariables)
    {
        if (!text.Contains("variables", StringComparison.Ordinal)) yield break;
        foreach (var reference in ExpressionSyntax.Analyze(text, []))
        {
            const string prefix = "workflow.variables.";
            var path = reference.Path.StartsWith("$.", StringComparison.Ordinal) ? reference.Path[2..] : reference.Path;
            if (!path.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var name = path[prefix.Length..].Split('.', '[')[0];
            if (!secretVariables.TryGetValue(name, out var carried)) continue;
            foreach (var item in carried)
            {
                foreach (var secretReference in References(item)) yield return secretReference;
            }
        }
    }

    /// <param name="names">The plan's secret names; <paramref name="values"/> holds their values in the same order.</param>
    private static JsonNode? Substitute(string text, IReadOnlyList<SecretReference> references, IReadOnlyList<string> names, SecretValue[] values)
    {
        if (IsWholeField(text, references))
        {
            // The whole field is one reference: the typed value (a string, or a JSON secret or field).
            return ValueOf(references[0], names, values);
        }
        foreach (var reference in references.DistinctBy(r => r.Text))
        {
            if (!text.Contains(reference.Text, StringComparison.Ordinal)) continue;
            var value = ValueOf(reference, names, values);
            var replacement = value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value.ToJsonString();
            text = text.Replace(reference.Text, replacement, StringComparison.Ordinal);
        }
        return JsonValue.Create(text);
    }

    /// <summary>Whether a field's text is exactly its one reference (which the template may have named more than once).</summary>
    private static bool IsWholeField(string text, IReadOnlyList<SecretReference> references)
    {
        if (references.Count == 0 || text != references[0].Text) return false;
        for (var i = 1; i < references.Count; i++)
        {
            if (references[i].Text != text) return false;
        }
        return true;
    }

    private static JsonNode ValueOf(SecretReference reference, IReadOnlyList<string> names, SecretValue[] values)
    {
        var secret = ValueNamed(reference.Secret, names, values);
        var node = reference.Field.Length == 0 ? secret.AsNode() : secret.Field(reference.Field);
        if (node is null)
        {
            throw new SecretResolutionException(secret.HasFields
                ? $"secret '{reference.Secret}' has no field '{reference.Field}'"
                : $"secret '{reference.Secret}' is a string that is not a JSON object or array, so it has no field '{reference.Field}'");
        }
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String && string.IsNullOrEmpty(value.GetValue<string>()))
        {
            throw new SecretResolutionException($"secret '{reference.Secret}'{(reference.Field.Length > 0 ? $" field '{reference.Field}'" : "")} is empty; nothing was sent");
        }
        return node.Parent is null ? node : node.DeepClone();
    }

    /// <summary>A secret's value by name: a hand-off names a few secrets, so a scan is cheaper than a dictionary built for it.</summary>
    private static SecretValue ValueNamed(string secret, IReadOnlyList<string> names, SecretValue[] values)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] == secret) return values[i];
        }
        // The plan's names are those of every reference it allows.
        throw new InvalidOperationException($"secret '{secret}' is not one of the hand-off's secrets");
    }

    private static (JsonNode Parent, string? Key, int Index)? Locate(JsonObject root, IReadOnlyList<PathStep> path)
    {
        JsonNode? parent = null;
        JsonNode? current = root;
        string? key = null;
        var index = -1;
        for (var i = 0; i < path.Count; i++)
        {
            var step = path[i];
            parent = current;
            switch (current)
            {
                case JsonObject obj when step.Key is not null && obj.TryGetPropertyValue(step.Key, out var child):
                    key = step.Key;
                    index = -1;
                    current = child;
                    break;
                case JsonArray array when step.Key is null && step.Index >= 0 && step.Index < array.Count:
                    key = null;
                    index = step.Index;
                    current = array[step.Index];
                    break;
                default:
                    return null;
            }
        }
        return parent is null ? null : (parent, key, index);
    }

    /// <summary>Loops rather than <c>Any</c>: the decider asks this of a system task's template on every pass, and each lambda would be a closure.</summary>
    private static bool HasReferences(JsonNode? template, Dictionary<string, List<string>>? secretVariables)
    {
        switch (template)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    if (HasReferences(child, secretVariables)) return true;
                }
                return false;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (HasReferences(item, secretVariables)) return true;
                }
                return false;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                var text = value.GetValue<string>();
                return References(text).Count > 0 || (secretVariables is { Count: > 0 } && CarriedByVariables(text, secretVariables).Any());
            default:
                return false;
        }
    }

    /// <summary>The secret references a template string makes, cached by text.</summary>
    public static IReadOnlyList<SecretReference> References(string text)
    {
        if (!text.Contains("${", StringComparison.Ordinal)) return [];
        if (ReferenceCache.TryGetValue(text, out var cached)) return cached;
        var found = ExpressionSyntax.SecretReferences(text);
        if (ReferenceCache.Count > 8192) ReferenceCache.Clear();
        ReferenceCache[text] = found;
        return found;
    }
}
