using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Baton.Engine.Scheduling;

public static class SchedulerServiceCollectionExtensions
{
    /// <summary>
    /// Registers workflow schedules and the scheduler loop. Call after <c>AddBatonEngine</c> (hosted services start in
    /// order, so the scheduler starts once the engine has recovered its runs). The host registers the
    /// <see cref="Execution.IWorkflowStartPolicy"/>, and a storage provider the <c>IScheduleStore</c>.
    /// </summary>
    public static IServiceCollection AddBatonScheduler(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ScheduleSignal>();
        services.AddSingleton<ScheduleService>();
        services.AddHostedService<WorkflowScheduler>();
        return services;
    }
}
