using Npgsql;

namespace Baton.Storage.Postgres;

/// <summary>
/// The PostgreSQL database several nodes share: a pooled data source, migrated once (under an advisory lock) before
/// the first command. Every write is its own transaction; PostgreSQL's commit is the durability point.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    private readonly SemaphoreSlim _migrateGate = new(1, 1);
    private volatile bool _migrated;

    public PostgresDatabase(string connectionString, int maxPoolSize = 50)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPoolSize, 1);
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = maxPoolSize };
        DataSource = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>Opens a pooled connection, migrating the schema first when this node has not yet done so.</summary>
    public async Task<NpgsqlConnection> OpenAsync(CancellationToken ct = default)
    {
        await EnsureMigratedAsync(ct);
        return await DataSource.OpenConnectionAsync(ct);
    }

    public async Task EnsureMigratedAsync(CancellationToken ct = default)
    {
        if (_migrated) return;
        await _migrateGate.WaitAsync(ct);
        try
        {
            if (_migrated) return;
            await PostgresSchema.MigrateAsync(DataSource, ct);
            _migrated = true;
        }
        finally
        {
            _migrateGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        _migrateGate.Dispose();
    }
}
