using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Validation;
using Baton.Core.Json;
using Baton.Engine.Persistence;
using Baton.Engine.Redaction;
using Baton.Secrets.Redaction;

namespace Baton.Engine.Execution;

/// <summary>
/// The metadata service: validates and stores definitions, and keeps task definitions in memory so the decider
/// reads them without I/O. Single node: the cache is filled at start and updated on every write through here.
/// </summary>
public sealed class DefinitionCatalog(IMetadataStore store, SecretRedactor redactor, Tasks.TaskTypeRegistry types) : IDisposable
{
    private readonly ConcurrentDictionary<string, TaskDef> _taskDefs = new(StringComparer.Ordinal);

    public async Task LoadAsync(CancellationToken ct)
    {
        foreach (var def in await store.ListTaskDefsAsync(ct)) _taskDefs[def.Name] = def;
    }

    /// <summary>A task definition was saved or deleted through here: other nodes sharing the store reload. Handlers must not block.</summary>
    public event Action? TaskDefsChanged;

    private readonly SemaphoreSlim _reloadGate = new(1, 1);

    /// <summary>
    /// Reads the task definitions again (another node sharing the store changed them): each one is replaced, and one
    /// no longer stored is removed. A lookup sees each definition either as it was or as it is now.
    /// </summary>
    public async Task ReloadTaskDefsAsync(CancellationToken ct)
    {
        await _reloadGate.WaitAsync(ct);
        try
        {
            var stored = await store.ListTaskDefsAsync(ct);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var def in stored)
            {
                names.Add(def.Name);
                _taskDefs[def.Name] = def;
            }
            foreach (var name in _taskDefs.Keys)
            {
                if (!names.Contains(name)) _taskDefs.TryRemove(name, out _);
            }
        }
        finally
        {
            _reloadGate.Release();
        }
    }

    public TaskDef? TaskDef(string name) => _taskDefs.TryGetValue(name, out var def) ? def : null;

    public async Task SaveTaskDefsAsync(IReadOnlyList<TaskDef> defs, string? principal, CancellationToken ct)
    {
        var problems = new List<ValidationProblem>();
        for (var i = 0; i < defs.Count; i++)
        {
            DefinitionValidator.ValidateTaskDef(defs[i], $"$[{i}]", problems);
            if (TaskTypes.Reserved.Contains(defs[i].Name ?? ""))
            {
                problems.Add(new($"$[{i}].name", $"'{defs[i].Name}' is the name of a system task type; a task definition cannot take it"));
            }
            CheckLiterals(defs[i], $"$[{i}]", problems);
        }
        if (problems.Count > 0) throw new InvalidRequestException(problems);
        var now = Clock.NowMs();
        foreach (var def in defs)
        {
            var existing = TaskDef(def.Name);
            def.CreateTime = existing?.CreateTime ?? now;
            def.CreatedBy = existing?.CreatedBy ?? principal;
            def.UpdateTime = now;
            def.UpdatedBy = principal;
        }
        // Under the reload gate: a reload that read the store before this write must not put the old definitions back after it.
        await _reloadGate.WaitAsync(ct);
        try
        {
            await store.UpsertTaskDefsAsync(defs, ct);
            foreach (var def in defs) _taskDefs[def.Name] = def;
        }
        finally
        {
            _reloadGate.Release();
        }
        TaskDefsChanged?.Invoke();
    }

    public async Task<TaskDef> GetTaskDefAsync(string name, CancellationToken ct) =>
        await store.GetTaskDefAsync(name, ct) ?? throw new NotFoundException($"No task definition named '{name}'");

    public Task<IReadOnlyList<TaskDef>> ListTaskDefsAsync(CancellationToken ct) => store.ListTaskDefsAsync(ct);

    public async Task DeleteTaskDefAsync(string name, CancellationToken ct)
    {
        await _reloadGate.WaitAsync(ct);
        try
        {
            if (!await store.DeleteTaskDefAsync(name, ct)) throw new NotFoundException($"No task definition named '{name}'");
            _taskDefs.TryRemove(name, out _);
        }
        finally
        {
            _reloadGate.Release();
        }
        TaskDefsChanged?.Invoke();
    }

    /// <summary>Validates and stores one workflow definition.</summary>
    /// <exception cref="ConflictException">It exists and <paramref name="overwrite"/> is false.</exception>
    public async Task SaveWorkflowDefAsync(WorkflowDef def, bool overwrite, string? principal, CancellationToken ct)
    {
        Validate(def, "$");
        await StampAsync(def, principal, ct);
        if (!await store.SaveWorkflowDefAsync(def, overwrite, ct))
        {
            throw new ConflictException($"Workflow definition '{def.Name}' version {def.Version} already exists; use PUT /api/metadata/workflow to update it");
        }
    }

    /// <summary>Validates every definition first, then stores them all (or none, when any is invalid).</summary>
    public async Task SaveWorkflowDefsAsync(IReadOnlyList<WorkflowDef> defs, string? principal, CancellationToken ct)
    {
        var problems = new List<ValidationProblem>();
        for (var i = 0; i < defs.Count; i++) Check(defs[i], $"$[{i}]", problems);
        if (problems.Count > 0) throw new InvalidRequestException(problems);
        foreach (var def in defs)
        {
            await StampAsync(def, principal, ct);
            await store.SaveWorkflowDefAsync(def, overwrite: true, ct);
        }
    }

    /// <summary>Checks a workflow definition: its shape and expressions, and that it holds no secret's value.</summary>
    public void Validate(WorkflowDef def, string path)
    {
        var problems = new List<ValidationProblem>();
        Check(def, path, problems);
        if (problems.Count > 0) throw new InvalidRequestException(problems);
    }

    /// <summary>Refuses any JSON (a start request's input) that holds a secret's value.</summary>
    public void CheckNoSecretValues(JsonNode? node, string path)
    {
        var problems = new List<ValidationProblem>();
        SecretLiteralCheck.Check(redactor, node, path, problems);
        if (problems.Count > 0) throw new InvalidRequestException(problems);
    }

    private void Check(WorkflowDef def, string path, List<ValidationProblem> problems)
    {
        if (!Tasks.Nodes.NodeWiring.IsNodeWorkflow(def))
        {
            // A top-level task is named by its place; a nested one (in a fork, a switch, a loop) by its reference.
            foreach (var task in def.AllTasks())
            {
                if (Tasks.Nodes.NodeWiring.IsNodeTask(task))
                {
                    var place = def.Tasks.IndexOf(task);
                    problems.Add(new(place >= 0 ? $"{path}.tasks[{place}].type" : $"{path}.tasks", $"task '{task.TaskReferenceName}' is of type {task.Type}: node task types exist only in node workflows, saved through /v1/workflows"));
                }
            }
        }
        DefinitionValidator.ValidateWorkflowDef(def, path, problems, types);
        CheckLiterals(def, path, problems);
    }

    /// <summary>A definition holds no secret's value (serialized only when there are secrets to look for).</summary>
    private void CheckLiterals<T>(T definition, string path, List<ValidationProblem> problems)
    {
        if (redactor.PatternCount == 0) return;
        SecretLiteralCheck.Check(redactor, JsonNode.Parse(BatonJson.Serialize(definition)), path, problems);
    }

    public async Task<WorkflowDef> GetWorkflowDefAsync(string name, int? version, CancellationToken ct) =>
        await store.GetWorkflowDefAsync(name, version, ct)
        ?? throw new NotFoundException(version is null
            ? $"No workflow definition named '{name}'"
            : $"No workflow definition named '{name}' with version {version}");

    public async Task<bool> WorkflowDefExistsAsync(string name, CancellationToken ct) => await store.GetWorkflowDefAsync(name, null, ct) is not null;

    public Task<IReadOnlyList<WorkflowDef>> ListWorkflowDefsAsync(CancellationToken ct) => store.ListWorkflowDefsAsync(ct);

    public async Task DeleteWorkflowDefAsync(string name, int version, CancellationToken ct)
    {
        if (!await store.DeleteWorkflowDefAsync(name, version, ct))
        {
            throw new NotFoundException($"No workflow definition named '{name}' with version {version}");
        }
    }

    /// <summary>
    /// The save stamps are the server's, never the request's: <c>updatedBy</c> is the author whose rights decide which
    /// secrets flow into the definition, and <c>createdBy</c> stays that of the version's first save.
    /// </summary>
    private async Task StampAsync(WorkflowDef def, string? principal, CancellationToken ct)
    {
        // One name is one kind of workflow: a node workflow is not overwritten by a Conductor definition, nor the reverse.
        if (await store.GetWorkflowDefAsync(def.Name, null, ct) is { } latest && Tasks.Nodes.NodeWiring.IsNodeWorkflow(latest) != Tasks.Nodes.NodeWiring.IsNodeWorkflow(def))
        {
            throw new ConflictException(Tasks.Nodes.NodeWiring.IsNodeWorkflow(latest)
                ? $"'{def.Name}' is a node workflow; change it through PUT /v1/workflows/{def.Name}"
                : $"'{def.Name}' is a Conductor workflow definition; change it through /api/metadata/workflow");
        }
        var existing = await store.GetWorkflowDefAsync(def.Name, def.Version, ct);
        var now = Clock.NowMs();
        def.CreateTime = existing?.CreateTime ?? now;
        def.CreatedBy = existing?.CreatedBy ?? principal;
        def.UpdateTime = now;
        def.UpdatedBy = principal;
    }

    /// <summary>An inline definition (a start request's <c>workflowDef</c>) is authored by whoever starts it.</summary>
    public static void StampInline(WorkflowDef def, string? principal)
    {
        var now = Clock.NowMs();
        def.CreateTime = def.UpdateTime = now;
        def.CreatedBy = def.UpdatedBy = principal;
    }

    /// <summary>The SIMPLE task names of a definition that no task definition claims yet, each once.</summary>
    public IReadOnlyList<string> UnclaimedWorkerTypes(WorkflowDef def) =>
        [.. def.AllTasks().Where(t => t.Type == TaskTypes.Simple && !string.IsNullOrEmpty(t.Name) && TaskDef(t.Name) is null).Select(t => t.Name).Distinct(StringComparer.Ordinal)];

    public void Dispose() => _reloadGate.Dispose();
}
