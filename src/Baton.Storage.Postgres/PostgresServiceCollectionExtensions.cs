using Baton.Access.Store;
using Baton.Engine.Cluster;
using Baton.Engine.Persistence;
using Baton.Secrets.Audit;
using Baton.Secrets.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Baton.Storage.Postgres;

public static class PostgresServiceCollectionExtensions
{
    /// <summary>Registers the shared store on the PostgreSQL database the options name (checked first with <see cref="PostgresOptions.Problem"/>).</summary>
    public static IServiceCollection AddBatonPostgresStorage(this IServiceCollection services, PostgresOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(_ => new PostgresDatabase(options.ConnectionString!, options.MaxPoolSize));
        services.AddSingleton<IStorageHealth>(sp => sp.GetRequiredService<PostgresDatabase>());
        services.AddSingleton(options);
        services.AddSingleton<PostgresMembership>();
        services.AddSingleton<Baton.Engine.Cluster.IRunOwnership>(sp => sp.GetRequiredService<PostgresMembership>());
        services.AddHostedService(sp => sp.GetRequiredService<PostgresMembership>());
        services.AddSingleton<Baton.Engine.Cluster.IClusterLocks, PostgresClusterLocks>();
        // The cluster bus: one instance, the IClusterBus, started (listening) before the secrets host and the engine.
        services.AddSingleton<PostgresClusterBus>();
        services.AddSingleton<IClusterBus>(sp => sp.GetRequiredService<PostgresClusterBus>());
        services.AddHostedService<PostgresClusterBusHost>();
        services.AddSingleton<IMetadataStore, PostgresMetadataStore>();
        services.AddSingleton<IExecutionStore, PostgresExecutionStore>();
        services.AddSingleton<ISecretRepository, PostgresSecretRepository>();
        services.AddSingleton<IAuditLog, PostgresAuditLog>();
        services.AddSingleton<IRunManifestStore, PostgresRunManifestStore>();
        services.AddSingleton<IEnvironmentStore, PostgresEnvironmentStore>();
        services.AddSingleton<IScheduleStore, PostgresScheduleStore>();
        services.AddSingleton<IAccessStore, PostgresAccessStore>();
        services.AddSingleton<ISignInFailureStore, PostgresSignInFailureStore>();
        return services;
    }
}
