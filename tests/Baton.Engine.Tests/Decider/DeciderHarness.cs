using System.Text.Json.Nodes;
using Baton.Core.Definitions;
using Baton.Core.Json;
using Baton.Core.Runs;
using Baton.Engine;
using Baton.Engine.Environment;
using Baton.Engine.Execution;
using Baton.Engine.Hosting;
using Baton.Engine.Scripting;
using Baton.Engine.SystemTasks;
using Baton.Secrets.Redaction;
using Baton.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using TaskStatus = Baton.Core.Runs.TaskStatus;

namespace Baton.Engine.Tests.Decider;

/// <summary>
/// The decider on its own, as Conductor's TestDeciderOutcomes tests it: a definition (JSON) and a run's state in, the
/// outcome of one pass out, time given as an argument. The parts around it are the server's own (the task types, the
/// definition catalog over a real SQLite file, the script engine); no executor, no server, no clock.
/// </summary>
internal sealed class DeciderHarness : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "baton-decider-" + Guid.NewGuid().ToString("N"));
    private readonly ServiceProvider _services;

    public DeciderHarness(Action<EngineOptions>? configure = null)
    {
        Directory.CreateDirectory(_folder);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOptions<EngineOptions>().Configure(o => configure?.Invoke(o));
        services.AddBatonSqliteStorage(Path.Combine(_folder, "baton.db"), new SqliteOptions());
        services.AddSingleton(new SecretRedactor());
        services.AddSingleton<JavaScriptEvaluator>();
        services.AddSingleton<ISystemTask, InlineTask>();
        services.AddSingleton<ISystemTask, Baton.Engine.Tasks.Lambda.LambdaTask>();
        services.AddSingleton<ISystemTask, Tasks.JsonJqTransform.JsonJqTransformTask>();
        services.AddSingleton<SystemTaskRegistry>();
        services.AddBatonTaskTypes();
        services.AddSingleton<DefinitionCatalog>();
        services.AddSingleton<EnvironmentValues>();
        services.AddSingleton<WorkflowDecider>();
        _services = services.BuildServiceProvider();
        Decider = _services.GetRequiredService<WorkflowDecider>();
        Catalog = _services.GetRequiredService<DefinitionCatalog>();
    }

    public WorkflowDecider Decider { get; }

    public DefinitionCatalog Catalog { get; }

    /// <summary>A definition from JSON, validated as the server validates it.</summary>
    public WorkflowDef Definition(string json)
    {
        var def = BatonJson.Deserialize<WorkflowDef>(json)!;
        Catalog.Validate(def, "$");
        return def;
    }

    /// <summary>A new run of <paramref name="def"/> with its first task scheduled and the first pass made, at <paramref name="now"/>.</summary>
    public (WorkflowRun Run, DecideOutcome Outcome) Start(WorkflowDef def, long now, JsonObject? input = null)
    {
        var run = new WorkflowRun
        {
            WorkflowId = WorkflowDecider.NewId(),
            WorkflowName = def.Name,
            WorkflowVersion = def.Version,
            Status = WorkflowStatus.Running,
            Input = input ?? [],
            CreateTime = now,
            StartTime = now,
            UpdateTime = now,
            WorkflowDefinition = def,
        };
        var first = Decider.Schedule(run, Tasks.Nodes.NodeWiring.StartingTask(run), now);
        var outcome = Decider.Decide(run, now);
        return (run, outcome with { Scheduled = [first, .. outcome.Scheduled] });
    }

    /// <summary>What a worker's report does to a task: it ends with this status and output.</summary>
    public static void Report(TaskRun task, TaskStatus status, JsonObject? output, long now, string? reason = null)
    {
        task.Status = status;
        task.OutputData = output ?? [];
        task.ReasonForIncompletion = reason;
        if (task.StartTime == 0) task.StartTime = now;
        task.EndTime = now;
        task.UpdateTime = now;
    }

    public void Dispose()
    {
        // The SQLite database only disposes asynchronously; a test's end has no context to deadlock on.
        _services.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }
}
