using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Baton.Engine.Cluster;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Baton.Storage.Postgres;

/// <summary>
/// The nodes sharing one PostgreSQL database tell each other what changed by <c>LISTEN/NOTIFY</c> on the channel
/// <see cref="ChannelName"/>, one <see cref="ClusterMessage"/> (JSON) per notification. A connection of its own
/// listens for the life of the process; when it breaks, it connects again with a short backoff and, listening again,
/// raises <see cref="ClusterMessage.Resync"/> here (whatever was sent meanwhile is lost). <see cref="Publish"/> only
/// queues: a sender sends the queue in batches on a pooled connection. Nothing waits and nothing is retried once sent:
/// delivery is at most once, and the store stays the truth.
/// <para>
/// A notification's payload must stay under 8000 bytes: a <see cref="ClusterMessage.TasksOffered"/> is split into
/// several messages of at most <see cref="MaxPayloadBytes"/>; anything else that large is dropped (and counted in the
/// log, never shown). While PostgreSQL is away at most <see cref="MaxQueued"/> messages wait, the oldest dropped first.
/// Anything on the channel that is not a message of another node (garbage, a wrong kind, a database user's crafted
/// payload) is logged without its content and ignored.
/// </para>
/// </summary>
public sealed partial class PostgresClusterBus : IClusterBus, IHostedService, IAsyncDisposable
{
    public const string ChannelName = "baton_cluster";

    /// <summary>The largest payload sent; PostgreSQL's limit is 8000 bytes.</summary>
    internal const int MaxPayloadBytes = 7000;

    /// <summary>The most messages waiting to be sent (PostgreSQL away); past this the oldest are dropped.</summary>
    internal const int MaxQueued = 10_000;

    /// <summary>The most messages sent in one batch (one round trip, one implicit transaction).</summary>
    private const int MaxBatch = 256;

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LastBackoff = TimeSpan.FromSeconds(2);

    /// <summary>How long the listener waits for a notification before it checks that its connection still answers.</summary>
    private static readonly TimeSpan ProbeAfter = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan LogEvery = TimeSpan.FromMinutes(1);

    private readonly PostgresDatabase _database;
    private readonly ILogger<PostgresClusterBus> _logger;
    private readonly Channel<ClusterMessage> _outbox;
    private readonly Channel<ClusterMessage> _inbox;
    private readonly CancellationTokenSource _stopping = new();
    private NpgsqlConnection? _listening;
    private Task _listener = Task.CompletedTask;
    private Task _sender = Task.CompletedTask;
    private Task _dispatcher = Task.CompletedTask;
    private volatile bool _started;

    private long _droppedQueued;
    private long _droppedTooLarge;
    private long _droppedUnsent;
    private long _refused;
    private volatile bool _inboxOverflowed;
    private long _lastDropLog;
    private long _lastRefusedLog;

    public PostgresClusterBus(PostgresDatabase database, ILogger<PostgresClusterBus> logger)
    {
        _database = database;
        _logger = logger;
        _outbox = Channel.CreateBounded<ClusterMessage>(
            new BoundedChannelOptions(MaxQueued) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref _droppedQueued));
        // Received messages wait here for the dispatcher, so the listening connection never waits for a handler.
        _inbox = Channel.CreateBounded<ClusterMessage>(
            new BoundedChannelOptions(MaxQueued) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true },
            _ => _inboxOverflowed = true);
    }

    public bool IsShared => true;

    public string NodeId { get; } = Guid.NewGuid().ToString("N");

    public event Action<ClusterMessage>? Received;

    public void Publish(ClusterMessage message)
    {
        if (message is null || _stopping.IsCancellationRequested) return;
        _outbox.Writer.TryWrite(message);
    }

    // ---- start and stop -------------------------------------------------------------------------------------

    /// <summary>Listens before it returns, so nothing another node sends after this node started is missed.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _database.EnsureMigratedAsync(cancellationToken);
        _listening = await ListenAsync(cancellationToken);
        _started = true;
        _listener = Task.Run(() => ListenLoopAsync(_stopping.Token), CancellationToken.None);
        _sender = Task.Run(() => SendLoopAsync(_stopping.Token), CancellationToken.None);
        _dispatcher = Task.Run(() => DispatchLoopAsync(_stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_started) return;
        _started = false;
        // What is queued is sent first (briefly: a node going away should still tell the others what it changed).
        _outbox.Writer.TryComplete();
        await Task.WhenAny(_sender, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None));
        await _stopping.CancelAsync();
        _inbox.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_listener, _sender, _dispatcher);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        if (_listening is { } connection)
        {
            _listening = null;
            await connection.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _stopping.Dispose();
    }

    // ---- listening ------------------------------------------------------------------------------------------

    private async Task<NpgsqlConnection> ListenAsync(CancellationToken ct)
    {
        var connection = await _database.OpenDedicatedAsync(ct);
        try
        {
            connection.Notification += (_, e) => OnNotification(e.Channel, e.Payload);
            await using var listen = new NpgsqlCommand($"LISTEN {ChannelName};", connection);
            await listen.ExecuteNonQueryAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task ListenLoopAsync(CancellationToken ct)
    {
        var backoff = FirstBackoff;
        var lost = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (_listening is null)
                {
                    _listening = await ListenAsync(ct);
                    backoff = FirstBackoff;
                    LogListeningAgain(_logger);
                    lost = false;
                    // Whatever was sent while this node was not listening is lost: say so to this node.
                    _inbox.Writer.TryWrite(new ClusterMessage { Kind = ClusterMessage.Resync, Sender = NodeId });
                }
                if (!await _listening.WaitAsync(ProbeAfter, ct))
                {
                    // Quiet for a while: a connection cut without a word (a network drop) shows only when used.
                    await using var probe = new NpgsqlCommand("SELECT 1;", _listening);
                    await probe.ExecuteScalarAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                if (!lost) LogListenLost(_logger, e.GetType().Name);
                lost = true;
                if (_listening is { } broken)
                {
                    _listening = null;
                    await broken.DisposeAsync();
                }
                try
                {
                    await Task.Delay(backoff, ct);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, LastBackoff.Ticks));
            }
        }
    }

    /// <summary>On the listening connection's thread: parse, check, queue for the dispatcher. Never throws.</summary>
    private void OnNotification(string channel, string payload)
    {
        if (channel != ChannelName) return;
        ClusterMessage? message = null;
        try
        {
            message = JsonSerializer.Deserialize(payload, ClusterJson.Default.ClusterMessage);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException)
        {
            // Refused below; the payload is never logged.
        }
        if (message is null || !IsFromAnotherNode(message))
        {
            if (message?.Sender == NodeId) return; // this node's own, heard back
            Refused(payload.Length);
            return;
        }
        _inbox.Writer.TryWrite(message);
    }

    /// <summary>A message another node's bus may send: a known kind (never Resync, which only a node's own bus says), a sender that is not this node.</summary>
    private bool IsFromAnotherNode(ClusterMessage message) =>
        message.Sender is { Length: > 0 and <= 64 } sender && sender != NodeId
        && message.Kind is ClusterMessage.RunChanged or ClusterMessage.TasksOffered or ClusterMessage.TaskTaken or ClusterMessage.ModelChanged or ClusterMessage.Hello
            or ClusterMessage.RunEnded
        && (message.Kind != ClusterMessage.ModelChanged || message.Model is ClusterMessage.ModelDefinitions or ClusterMessage.ModelSecrets or ClusterMessage.ModelAccess or ClusterMessage.ModelEnvironment)
        && (message.Kind != ClusterMessage.TasksOffered || message.Tasks is { Count: > 0 } tasks && tasks.All(t => t is { TaskId: not null, WorkflowId: not null }));

    private void Refused(int length)
    {
        var refused = Interlocked.Increment(ref _refused);
        if (!Due(ref _lastRefusedLog)) return;
        LogRefused(_logger, ChannelName, length, refused);
    }

    private async Task DispatchLoopAsync(CancellationToken ct)
    {
        try
        {
            while (await _inbox.Reader.WaitToReadAsync(ct))
            {
                while (_inbox.Reader.TryRead(out var message))
                {
                    Raise(message);
                    if (_inboxOverflowed)
                    {
                        // Handlers fell behind and messages were dropped: as good as not listening.
                        _inboxOverflowed = false;
                        Raise(new ClusterMessage { Kind = ClusterMessage.Resync, Sender = NodeId });
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    private void Raise(ClusterMessage message)
    {
        if (Received is not { } handlers) return;
        foreach (var handler in handlers.GetInvocationList().Cast<Action<ClusterMessage>>())
        {
            try
            {
                handler(message);
            }
            catch (Exception e)
            {
                LogHandlerFailed(_logger, e, message.Kind);
            }
        }
    }

    // ---- sending --------------------------------------------------------------------------------------------

    private async Task SendLoopAsync(CancellationToken ct)
    {
        var batch = new List<string>(MaxBatch);
        var backoff = FirstBackoff;
        try
        {
            while (await _outbox.Reader.WaitToReadAsync(ct))
            {
                while (batch.Count < MaxBatch && _outbox.Reader.TryRead(out var message)) Encode(message with { Sender = NodeId }, batch);
                LogDrops();
                if (batch.Count == 0) continue;
                NpgsqlConnection connection;
                try
                {
                    connection = await _database.OpenAsync(ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Nothing was sent: keep the batch (the outbox drops its oldest past its bound) and try again.
                    await Task.Delay(backoff, ct);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, LastBackoff.Ticks));
                    continue;
                }
                backoff = FirstBackoff;
                try
                {
                    await using (connection)
                    await using (var notify = connection.CreateBatch())
                    {
                        foreach (var payload in batch)
                        {
                            var command = new NpgsqlBatchCommand($"SELECT pg_notify('{ChannelName}', $1);");
                            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = payload });
                            notify.BatchCommands.Add(command);
                        }
                        await notify.ExecuteNonQueryAsync(ct);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Maybe sent, maybe not: at most once, so not again.
                    Interlocked.Add(ref _droppedUnsent, batch.Count);
                }
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    /// <summary>Adds the message's payload to the batch: a TasksOffered too large is split in halves until each fits.</summary>
    private void Encode(ClusterMessage message, List<string> batch)
    {
        var payload = JsonSerializer.Serialize(message, ClusterJson.Default.ClusterMessage);
        if (Encoding.UTF8.GetByteCount(payload) <= MaxPayloadBytes)
        {
            batch.Add(payload);
            return;
        }
        if (message is { Kind: ClusterMessage.TasksOffered, Tasks: { Count: > 1 } tasks })
        {
            var half = tasks.Count / 2;
            Encode(message with { Tasks = [.. tasks.Take(half)] }, batch);
            Encode(message with { Tasks = [.. tasks.Skip(half)] }, batch);
            return;
        }
        Interlocked.Increment(ref _droppedTooLarge);
    }

    private void LogDrops()
    {
        if (Volatile.Read(ref _droppedQueued) + Volatile.Read(ref _droppedTooLarge) + Volatile.Read(ref _droppedUnsent) == 0 || !Due(ref _lastDropLog)) return;
        LogDropped(_logger, Interlocked.Exchange(ref _droppedQueued, 0), Interlocked.Exchange(ref _droppedTooLarge, 0), Interlocked.Exchange(ref _droppedUnsent, 0));
    }

    /// <summary>True at most once per <see cref="LogEvery"/> for the given stamp.</summary>
    private static bool Due(ref long last)
    {
        var now = Environment.TickCount64;
        var previous = Volatile.Read(ref last);
        if (previous != 0 && now - previous < (long)LogEvery.TotalMilliseconds) return false;
        return Interlocked.CompareExchange(ref last, now, previous) == previous;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The cluster bus stopped listening ({Reason}); other nodes' messages are missed until PostgreSQL answers again")]
    private static partial void LogListenLost(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The cluster bus listens again; this node reloads what it keeps in memory")]
    private static partial void LogListeningAgain(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The cluster bus ignored a notification on {Channel} that is not another node's message ({Length} characters; {Total} ignored since start)")]
    private static partial void LogRefused(ILogger logger, string channel, int length, long total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The cluster bus dropped messages: {Queued} while PostgreSQL was away (queue full), {TooLarge} too large to send, {Unsent} in batches that failed")]
    private static partial void LogDropped(ILogger logger, long queued, long tooLarge, long unsent);

    [LoggerMessage(Level = LogLevel.Error, Message = "A handler of a {Kind} cluster message failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string kind);
}

/// <summary>Starts and stops the <see cref="PostgresClusterBus"/> singleton (so the host's deferral of Baton's services keeps one instance).</summary>
public sealed class PostgresClusterBusHost(PostgresClusterBus bus) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => bus.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => bus.StopAsync(cancellationToken);
}
