using Baton.Access.Store;
using Baton.Engine.Persistence;
using Baton.Secrets.Audit;
using Baton.Secrets.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Storage.Sqlite;

public static class SqliteServiceCollectionExtensions
{
    /// <summary>Registers the embedded store on the database file at <paramref name="path"/>.</summary>
    public static IServiceCollection AddBatonSqliteStorage(this IServiceCollection services, string path, SqliteOptions options)
    {
        services.AddSingleton(sp => new SqliteDatabase(path, options, sp.GetRequiredService<ILogger<SqliteDatabase>>()));
        services.AddSingleton<IMetadataStore, SqliteMetadataStore>();
        services.AddSingleton<IExecutionStore, SqliteExecutionStore>();
        services.AddSingleton<ISecretRepository, SqliteSecretRepository>();
        services.AddSingleton<IAuditLog, SqliteAuditLog>();
        services.AddSingleton<IRunManifestStore, SqliteRunManifestStore>();
        services.AddSingleton<IEnvironmentStore, SqliteEnvironmentStore>();
        services.AddSingleton<IScheduleStore, SqliteScheduleStore>();
        services.AddSingleton<IAccessStore, SqliteAccessStore>();
        services.AddSingleton<ISignInFailureStore, SqliteSignInFailureStore>();
        return services;
    }
}
