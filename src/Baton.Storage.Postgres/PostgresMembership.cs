using Baton.Engine.Cluster;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using static Baton.Storage.Postgres.PostgresCommands;

namespace Baton.Storage.Postgres;

/// <summary>
/// The nodes sharing one database, and which of them owns which run. Each node has a row in <c>baton_nodes</c> whose
/// <c>heartbeat_at</c> it moves every fifth of the lease (database time, so clocks need not agree). A node whose
/// heartbeat is older than the lease (<see cref="PostgresOptions.NodeLeaseSeconds"/>) is taken for gone: any live
/// node deletes its row, and the runs it owned become orphans that the next claim gives to a live node, which carries
/// them on as after a restart (system tasks in flight run again, timers are armed again).
/// <para>
/// Only a node that has itself beaten without a break for a whole lease judges others, so after PostgreSQL was away
/// (no one could beat) every node gets a lease to come back before anyone is taken for gone. A node that finds its
/// own row gone (it was taken for gone while it was cut off) joins again, forgets the runs it kept in memory, and
/// goes on with what it is given; commits are versioned, so nothing it decided on an old copy is written. A node
/// that stops cleanly marks its row at once, so its runs move on at the others' next beat.
/// </para>
/// </summary>
public sealed partial class PostgresMembership(PostgresDatabase database, IClusterBus bus, PostgresOptions options, ILogger<PostgresMembership> logger)
    : BackgroundService, IRunOwnership
{
    /// <summary>Orphans are looked for after a node was taken for gone, at start, and this often besides.</summary>
    private static readonly TimeSpan ClaimAtLeastEvery = TimeSpan.FromSeconds(30);

    private readonly TimeSpan _lease = TimeSpan.FromSeconds(options.NodeLeaseSeconds);
    private DateTime? _beatingSince;
    private DateTime _lastClaim = DateTime.MinValue;
    private volatile bool _claimDue = true;

    public event Action? Rejoined;

    private TimeSpan BeatEvery => TimeSpan.FromMilliseconds(Math.Clamp(_lease.TotalMilliseconds / 5, 200, 2000));

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await database.EnsureMigratedAsync(cancellationToken);
        await BeatAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(BeatEvery);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await BeatAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or System.Net.Sockets.SocketException)
            {
                if (_beatingSince is not null) LogAway(logger, e.GetType().Name);
                _beatingSince = null; // PostgreSQL is away: no one beats, so no one is judged by this node until it has beaten a lease again.
            }
        }
    }

    private async Task BeatAsync(CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var beat = await PostgresCommands.ExecuteAsync(connection, null, "UPDATE baton_nodes SET heartbeat_at = now() WHERE node_id = @me;", ct, Text("me", bus.NodeId));
        if (beat == 0)
        {
            var rejoining = _beatingSince is not null || _lastClaim != DateTime.MinValue;
            await PostgresCommands.ExecuteAsync(connection, null, "INSERT INTO baton_nodes (node_id, host) VALUES (@me, @host) ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = now();", ct,
                Text("me", bus.NodeId), Text("host", System.Environment.MachineName));
            if (rejoining)
            {
                // Taken for gone while cut off: what this node kept in memory of its runs may be others' now.
                LogRejoined(logger, _lease.TotalSeconds);
                Rejoined?.Invoke();
                _claimDue = true;
            }
        }
        var now = DateTime.UtcNow;
        _beatingSince ??= now;
        // A node that stopped cleanly is gone at once; one that stopped beating, after a lease, judged by a node that has beaten that long.
        var mayJudge = now - _beatingSince >= _lease;
        await using var expire = Create(connection, null, """
            DELETE FROM baton_nodes WHERE node_id <> @me
              AND (heartbeat_at = '-infinity' OR (@judge AND heartbeat_at < now() - make_interval(secs => @lease)))
            RETURNING node_id;
            """, Text("me", bus.NodeId), new NpgsqlParameter("judge", NpgsqlTypes.NpgsqlDbType.Boolean) { Value = mayJudge },
            new NpgsqlParameter("lease", NpgsqlTypes.NpgsqlDbType.Double) { Value = _lease.TotalSeconds });
        await using (var reader = await expire.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                LogGone(logger, reader.GetString(0));
                _claimDue = true;
            }
        }
        if (now - _lastClaim >= ClaimAtLeastEvery) _claimDue = true;
    }

    public async Task<IReadOnlyList<string>> ClaimOrphanedRunsAsync(CancellationToken ct)
    {
        if (!_claimDue) return [];
        _claimDue = false;
        _lastClaim = DateTime.UtcNow;
        try
        {
            // The version moves too: a copy of the run that a node read before the claim can no longer be written.
            await using var connection = await database.OpenAsync(ct);
            await using var claim = Create(connection, null, """
                UPDATE workflows w SET owner_node = @me, version = w.version + 1
                WHERE w.status IN ('RUNNING', 'PAUSED')
                  AND (w.owner_node IS NULL OR NOT EXISTS (SELECT 1 FROM baton_nodes n WHERE n.node_id = w.owner_node))
                RETURNING w.workflow_id;
                """, Text("me", bus.NodeId));
            var claimed = new List<string>();
            await using var reader = await claim.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) claimed.Add(reader.GetString(0));
            if (claimed.Count > 0) LogClaimed(logger, claimed.Count);
            return claimed;
        }
        catch
        {
            _claimDue = true;
            throw;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            await PostgresCommands.ExecuteAsync(connection, null, "UPDATE baton_nodes SET heartbeat_at = '-infinity' WHERE node_id = @me;", cancellationToken, Text("me", bus.NodeId));
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or OperationCanceledException)
        {
            // PostgreSQL is away: the others take this node's runs once its lease runs out.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "This node could not beat its heartbeat ({Error}); it judges no other node until PostgreSQL has answered it for a whole lease")]
    private static partial void LogAway(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "This node was taken for gone (no heartbeat for {LeaseSeconds} s): it joins again and reads its runs afresh")]
    private static partial void LogRejoined(ILogger logger, double leaseSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {NodeId} stopped beating its heartbeat; its runs go to the live nodes")]
    private static partial void LogGone(ILogger logger, string nodeId);

    [LoggerMessage(Level = LogLevel.Information, Message = "This node took over {Count} runs whose node had stopped")]
    private static partial void LogClaimed(ILogger logger, int count);
}
