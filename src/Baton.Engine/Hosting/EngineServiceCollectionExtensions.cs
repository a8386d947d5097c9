using Baton.Engine.Execution;
using Baton.Engine.Queue;
using Baton.Engine.Scripting;
using Baton.Engine.SystemTasks;
using Baton.Engine.Timers;
using Microsoft.Extensions.DependencyInjection;

namespace Baton.Engine.Hosting;

public static class EngineServiceCollectionExtensions
{
    /// <summary>
    /// Registers the engine. A storage provider must register the persistence contracts, and the host the one
    /// <c>SecretRedactor</c> and the <c>SecretVault</c>.
    /// </summary>
    public static IServiceCollection AddBatonEngine(this IServiceCollection services)
    {
        services.AddOptions<EngineOptions>();
        services.AddSingleton<DefinitionCatalog>();
        services.AddSingleton<WorkflowLocks>();
        services.AddSingleton<WorkerQueues>();
        services.AddSingleton<WorkflowTimers>();
        services.AddSingleton<CompletionWaiters>();
        services.AddSingleton<JavaScriptEvaluator>();
        services.AddSingleton<ISystemTask, HttpTask>();
        services.AddSingleton<ISystemTask, InlineTask>();
        services.AddSingleton<ISystemTask, UpdateSecretTask>();
        services.AddSingleton<SystemTaskRegistry>();
        services.AddSingleton<SecretHandOff>();
        services.AddSingleton<Environment.EnvironmentValues>();
        services.AddSingleton<WorkflowDecider>();
        services.AddSingleton<WorkflowExecutor>();
        services.AddSingleton<EngineReadiness>();
        services.AddHostedService<EngineHost>();
        return services;
    }
}
