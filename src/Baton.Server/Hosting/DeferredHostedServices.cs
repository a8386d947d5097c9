namespace Baton.Server.Hosting;

/// <summary>The hosted service types <see cref="StartAfterListening"/> starts, in order.</summary>
public sealed class DeferredHostedServices(IReadOnlyList<Type> types)
{
    public IReadOnlyList<Type> Types { get; } = types;

    /// <summary>
    /// Takes Baton's hosted services out of the host's list (keeping them as singletons of their own type) and
    /// registers <see cref="StartAfterListening"/> to start them after the listener is bound.
    /// </summary>
    public static void Defer(IServiceCollection services)
    {
        var own = services
            .Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Namespace?.StartsWith("Baton.", StringComparison.Ordinal) == true)
            .ToList();
        foreach (var descriptor in own)
        {
            services.Remove(descriptor);
            services.AddSingleton(descriptor.ImplementationType!);
        }
        services.AddSingleton(new DeferredHostedServices([.. own.Select(d => d.ImplementationType!)]));
        services.AddHostedService<StartAfterListening>();
    }
}
