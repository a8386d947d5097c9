using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Baton.Storage.Postgres;

/// <summary>
/// Holds, for the life of the process, a session advisory lock that says "a Baton node runs on this database". The
/// engine still coordinates in one process (its run locks, worker queues, timers and caches are in memory), so a
/// second node on the same database would run the same runs twice; until the engine's multi-node contracts exist, a
/// second node refuses to start, naming the reason. Started before the secrets host and the engine.
/// <para>
/// PostgreSQL ends the session, and the lock with it, when the connection breaks (a restart of PostgreSQL, a network
/// cut). The node then takes the lock again as soon as PostgreSQL answers; should another node have taken it in the
/// meantime, this one stops rather than run beside it.
/// </para>
/// </summary>
public sealed partial class PostgresNodeLock(PostgresDatabase database, ILogger<PostgresNodeLock> logger) : BackgroundService
{
    /// <summary>An arbitrary constant naming the lock among the database's advisory locks ("BatonNod").</summary>
    internal const long NodeLockKey = 0x4261746F6E4E6F64;

    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(2);

    private NpgsqlConnection? _held;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await database.EnsureMigratedAsync(cancellationToken);
        _held = await TakeAsync(cancellationToken) ?? throw new InvalidOperationException(
            "another Baton node is running on this PostgreSQL database. This version runs one node per database; " +
            "stop the other node first (several nodes on one database are not supported yet, see docs/operations.md).");
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CheckEvery);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (await StillHeldAsync(stoppingToken)) continue;
            LogLost(logger);
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    // Taken again, or held by another node: either way this loop is over.
                    _held = await TakeAsync(stoppingToken) ?? throw new InvalidOperationException(
                        "another Baton node took this PostgreSQL database while the connection to it was lost; this node stops.");
                    LogRetaken(logger);
                    break;
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException or IOException)
                {
                    await Task.Delay(CheckEvery, stoppingToken); // PostgreSQL is still away.
                }
            }
        }
    }

    /// <returns>The connection holding the lock; null when another session holds it.</returns>
    private async Task<NpgsqlConnection?> TakeAsync(CancellationToken ct)
    {
        // Its own connection, outside the pool's reach: the lock lasts as long as this session does.
        var connection = await database.OpenDedicatedAsync(ct);
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key);", connection);
        command.Parameters.AddWithValue("key", NodeLockKey);
        if (await command.ExecuteScalarAsync(ct) is true) return connection;
        await connection.DisposeAsync();
        return null;
    }

    private async Task<bool> StillHeldAsync(CancellationToken ct)
    {
        if (_held is not { } held) return false;
        try
        {
            await using var command = new NpgsqlCommand("SELECT 1;", held);
            await command.ExecuteScalarAsync(ct);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or IOException)
        {
            _held = null;
            await held.DisposeAsync();
            return false;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_held is { } held)
        {
            _held = null;
            await held.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The connection holding this node's PostgreSQL lock broke; taking the lock again once PostgreSQL answers")]
    private static partial void LogLost(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "This node holds its PostgreSQL lock again")]
    private static partial void LogRetaken(ILogger logger);
}
