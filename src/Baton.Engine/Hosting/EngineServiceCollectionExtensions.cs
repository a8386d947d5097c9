using Microsoft.Extensions.DependencyInjection.Extensions;
using Baton.Engine.Execution;
using Baton.Engine.Queue;
using Baton.Engine.Scripting;
using Baton.Engine.SystemTasks;
using Baton.Engine.Tasks;
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
        // One node unless a shared store registers its own (PostgreSQL); both are one object on one node.
        services.TryAddSingleton<Cluster.SingleNode>();
        services.TryAddSingleton<Cluster.IClusterBus>(sp => sp.GetRequiredService<Cluster.SingleNode>());
        services.TryAddSingleton<Cluster.IRunOwnership>(sp => sp.GetRequiredService<Cluster.SingleNode>());
        services.TryAddSingleton<Cluster.IClusterLocks>(sp => sp.GetRequiredService<Cluster.SingleNode>());
        services.AddSingleton<WorkflowTimers>();
        services.AddSingleton<CompletionWaiters>();
        services.AddSingleton<JavaScriptEvaluator>();
        services.AddSingleton<HttpTask>();
        services.AddSingleton<ISystemTask>(sp => sp.GetRequiredService<HttpTask>());
        services.AddSingleton<ISystemTask, Tasks.Nodes.Webhook.NodeWebhookTask>();
        services.AddSingleton<ISystemTask, Tasks.Nodes.Input.NodeInputTask>();
        services.AddSingleton<ISystemTask, Tasks.Nodes.Kafka.NodeKafkaTask>();
        services.TryAddSingleton<Events.IKafkaPublisher, Events.UnconfiguredKafka>();
        services.AddSingleton<ISystemTask, Tasks.EventSink.EventTask>();
        services.AddSingleton<ISystemTask, Tasks.KafkaPublish.KafkaPublishTask>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<Events.BatonEvents>();
        services.AddHostedService(sp => sp.GetRequiredService<Events.BatonEvents>());
        services.AddSingleton<Tasks.Nodes.Trigger.NodeSchedules>();
        services.AddSingleton<ISystemTask, InlineTask>();
        services.AddSingleton<ISystemTask, Tasks.Lambda.LambdaTask>();
        services.AddSingleton<ISystemTask, UpdateSecretTask>();
        services.AddSingleton<ISystemTask, Tasks.SubWorkflow.SubWorkflowTask>();
        services.AddSingleton<ISystemTask, Tasks.StartWorkflow.StartWorkflowTask>();
        services.AddSingleton<ISystemTask, Tasks.JsonJqTransform.JsonJqTransformTask>();
        services.AddSingleton<SystemTaskRegistry>();
        services.AddBatonTaskTypes();
        services.AddSingleton<SecretHandOff>();
        services.AddSingleton<Environment.EnvironmentValues>();
        services.AddSingleton<WorkflowDecider>();
        services.AddSingleton<WorkflowExecutor>();
        services.AddSingleton<EngineReadiness>();
        services.AddHostedService<EngineHost>();
        return services;
    }

    /// <summary>The task types, one class each in its folder under Tasks/, and their registry. A new type is one line here.</summary>
    public static IServiceCollection AddBatonTaskTypes(this IServiceCollection services)
    {
        services.AddSingleton<TaskType, Tasks.Simple.SimpleTaskType>();
        services.AddSingleton<TaskType, Tasks.Http.HttpTaskType>();
        services.AddSingleton<TaskType, Tasks.Inline.InlineTaskType>();
        services.AddSingleton<TaskType, Tasks.UpdateSecret.UpdateSecretTaskType>();
        services.AddSingleton<TaskType, Tasks.Switch.SwitchTaskType>();
        services.AddSingleton<TaskType, Tasks.Decision.DecisionTaskType>();
        services.AddSingleton<TaskType, Tasks.Lambda.LambdaTaskType>();
        services.AddSingleton<TaskType, Tasks.SetVariable.SetVariableTaskType>();
        services.AddSingleton<TaskType, Tasks.Noop.NoopTaskType>();
        services.AddSingleton<TaskType, Tasks.Terminate.TerminateTaskType>();
        services.AddSingleton<TaskType, Tasks.ForkJoin.ForkJoinTaskType>();
        services.AddSingleton<TaskType, Tasks.Join.JoinTaskType>();
        services.AddSingleton<TaskType, Tasks.DoWhile.DoWhileTaskType>();
        services.AddSingleton<TaskType, Tasks.ForkJoinDynamic.ForkJoinDynamicTaskType>();
        services.AddSingleton<TaskType, Tasks.Wait.WaitTaskType>();
        services.AddSingleton<TaskType, Tasks.Human.HumanTaskType>();
        services.AddSingleton<TaskType, Tasks.SubWorkflow.SubWorkflowTaskType>();
        services.AddSingleton<TaskType, Tasks.StartWorkflow.StartWorkflowTaskType>();
        services.AddSingleton<TaskType, Tasks.JsonJqTransform.JsonJqTransformTaskType>();
        services.AddSingleton<TaskType, Tasks.EventSink.EventTaskType>();
        services.AddSingleton<TaskType, Tasks.KafkaPublish.KafkaPublishTaskType>();
        services.AddSingleton<TaskType, Tasks.Nodes.Trigger.NodeTriggerTaskType>();
        services.AddSingleton<TaskType, Tasks.Nodes.Condition.NodeConditionTaskType>();
        services.AddSingleton<TaskType, Tasks.Nodes.Input.NodeInputTaskType>();
        services.AddSingleton<TaskType, Tasks.Nodes.Webhook.NodeWebhookTaskType>();
        services.AddSingleton<TaskType, Tasks.Nodes.Kafka.NodeKafkaTaskType>();
        services.AddSingleton<TaskTypeRegistry>();
        return services;
    }
}
