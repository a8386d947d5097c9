using Npgsql;

namespace Baton.Storage.Postgres;

/// <summary>
/// The PostgreSQL database: a pooled data source, migrated once (under an advisory lock) before the first command.
/// A run's changes are group-committed (<see cref="GroupWriteAsync"/>); other writes are transactions of their own.
/// PostgreSQL's commit is the durability point.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable, Baton.Engine.Persistence.IStorageHealth
{
    private readonly SemaphoreSlim _migrateGate = new(1, 1);
    private volatile bool _migrated;

    public PostgresDatabase(string connectionString, int maxPoolSize = 50)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPoolSize, 1);
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = maxPoolSize };
        // Baton sends the same few dozen statements over and over: prepared once per connection, PostgreSQL parses
        // and plans each once instead of at every call. A connection string that sets these keeps its own values.
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }
        // Nothing session-wide is ever set on a pooled connection, so the reset at each return to the pool is not needed.
        if (!connectionString.Contains("Reset On Close", StringComparison.OrdinalIgnoreCase)) builder.NoResetOnClose = true;
        DataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        // The data source's own ConnectionString leaves the password out; a connection of its own needs it.
        _dedicated = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
        _groupWriter = new PostgresGroupWriter(this);
    }

    private readonly PostgresGroupWriter _groupWriter;

    /// <summary>
    /// Commits <paramref name="append"/>'s commands together with the other writes waiting (group commit: see
    /// <see cref="PostgresGroupWriter"/>); returns once they are committed.
    /// </summary>
    internal Task GroupWriteAsync(Action<NpgsqlBatch> append) => _groupWriter.WriteAsync(append);

    private readonly string _dedicated;

    /// <summary>A connection outside the pool, for a session that must last (a session lock): closing it ends the session.</summary>
    public async Task<NpgsqlConnection> OpenDedicatedAsync(CancellationToken ct = default)
    {
        var connection = new NpgsqlConnection(_dedicated);
        await connection.OpenAsync(ct);
        return connection;
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

    /// <summary>
    /// Whether a trivial query answers within two seconds. The answer is public (/health/ready needs no token), so it
    /// names the kind of failure only: no host, port, user or database, and never the connection string.
    /// </summary>
    public async Task<string?> ProblemAsync(CancellationToken ct = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await using var connection = await DataSource.OpenConnectionAsync(timeout.Token);
            await using var command = new NpgsqlCommand("SELECT 1;", connection);
            await command.ExecuteScalarAsync(timeout.Token);
            return null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return "PostgreSQL did not answer within 2 s";
        }
        catch (PostgresException e)
        {
            return $"PostgreSQL refused the connection (SQLSTATE {e.SqlState})";
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return e.InnerException is System.Net.Sockets.SocketException socket
                ? $"PostgreSQL is unreachable ({socket.SocketErrorCode})"
                : "PostgreSQL is unreachable";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _groupWriter.DisposeAsync();
        await DataSource.DisposeAsync();
        _migrateGate.Dispose();
    }
}
