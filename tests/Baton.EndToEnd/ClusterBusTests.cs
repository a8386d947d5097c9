using System.Collections.Concurrent;
using Baton.Engine.Cluster;
using Baton.Storage.Postgres;
using Baton.Testing;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Baton.EndToEnd;

/// <summary>
/// <see cref="PostgresClusterBus"/> on a database of its own, two buses as two nodes: a large TasksOffered arrives
/// split under NOTIFY's payload limit and whole; a node never hears itself; whatever a database user sends on the
/// channel (garbage, too large, a wrong kind, a forged Resync) is ignored and logged without its content, and the bus
/// carries on.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes them through IAsyncLifetime.DisposeAsync.")]
public sealed class ClusterBusTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private PostgresTestDatabase _database = null!;
    private PostgresDatabase _storeA = null!;
    private PostgresDatabase _storeB = null!;
    private PostgresClusterBus _a = null!;
    private PostgresClusterBus _b = null!;
    private readonly ListLogger _logB = new();
    private readonly ConcurrentQueue<ClusterMessage> _heardByA = new();
    private readonly ConcurrentQueue<ClusterMessage> _heardByB = new();

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        _storeA = new PostgresDatabase(_database.ConnectionString);
        _storeB = new PostgresDatabase(_database.ConnectionString);
        _a = new PostgresClusterBus(_storeA, new ListLogger());
        _b = new PostgresClusterBus(_storeB, _logB);
        _a.Received += _heardByA.Enqueue;
        _b.Received += _heardByB.Enqueue;
        await _a.StartAsync(CancellationToken.None);
        await _b.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _storeA.DisposeAsync();
        await _storeB.DisposeAsync();
        await _database.DisposeAsync();
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_thousand_offered_tasks_arrive_split_under_the_payload_limit_and_whole()
    {
        var tasks = Enumerable.Range(0, 1000)
            .Select(i => new OfferedTask($"{Guid.NewGuid():N}-{i}", Guid.NewGuid().ToString("N"), 1_700_000_000_000 + i))
            .ToList();
        _a.Publish(new ClusterMessage { Kind = ClusterMessage.TasksOffered, TaskType = "big_type", Tasks = tasks });

        await UntilAsync(() => _heardByB.Where(m => m.Kind == ClusterMessage.TasksOffered).Sum(m => m.Tasks!.Count) >= 1000, "B never heard all 1000 tasks");
        var parts = _heardByB.Where(m => m.Kind == ClusterMessage.TasksOffered).ToList();
        Assert.True(parts.Count > 1, "1000 tasks do not fit one NOTIFY payload: they must come in several messages.");
        Assert.All(parts, p => Assert.Equal("big_type", p.TaskType));
        Assert.All(parts, p => Assert.Equal(_a.NodeId, p.Sender));
        Assert.Equal(tasks.OrderBy(t => t.TaskId, StringComparer.Ordinal), parts.SelectMany(p => p.Tasks!).OrderBy(t => t.TaskId, StringComparer.Ordinal));
        Assert.DoesNotContain(_heardByA, m => m.Kind == ClusterMessage.TasksOffered); // a node does not hear itself
    }

    [Fact]
    public async Task A_model_change_reaches_the_other_node_naming_only_the_model()
    {
        _a.Publish(new ClusterMessage { Kind = ClusterMessage.ModelChanged, Model = ClusterMessage.ModelSecrets });
        await UntilAsync(() => _heardByB.Any(m => m is { Kind: ClusterMessage.ModelChanged, Model: ClusterMessage.ModelSecrets }), "B never heard the model change");
        Assert.Empty(_heardByA);
    }

    [Fact]
    public async Task Whatever_a_database_user_sends_on_the_channel_is_ignored_and_the_bus_carries_on()
    {
        var marker = "attack-" + Guid.NewGuid().ToString("N");
        string[] payloads =
        [
            "not json at all " + marker,
            "{\"kind\":",
            "[1,2,3]",
            "null",
            "{\"kind\":\"model-changed\",\"sender\":\"x\",\"model\":\"" + new string('m', 7900) + "\"}",
            "{\"kind\":\"no-such-kind\",\"sender\":\"someone\",\"model\":\"" + marker + "\"}",
            "{\"kind\":\"resync\",\"sender\":\"someone\"}",
            "{\"kind\":\"model-changed\",\"model\":\"secrets\"}",
            "{\"kind\":\"model-changed\",\"sender\":\"someone\",\"model\":\"" + marker + "\"}",
            "{\"kind\":\"tasks-offered\",\"sender\":\"someone\",\"tasks\":[{\"taskId\":null}]}",
            "{\"kind\":\"tasks-offered\",\"sender\":\"someone\",\"tasks\":42}",
            "{\"kind\":\"model-changed\",\"sender\":\"" + _b.NodeId + "\",\"model\":\"access\"}",
        ];
        // A handler that throws must not stop the others, nor the bus.
        _b.Received += _ => throw new InvalidOperationException("a failing handler");
        await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_database.ConnectionString) { Pooling = false }.ConnectionString))
        {
            await connection.OpenAsync();
            foreach (var payload in payloads)
            {
                await using var notify = new NpgsqlCommand("SELECT pg_notify('baton_cluster', @p);", connection);
                notify.Parameters.AddWithValue("p", payload);
                await notify.ExecuteNonQueryAsync();
            }
            // A well-formed message from "another node" still gets through after all that.
            await using var good = new NpgsqlCommand("SELECT pg_notify('baton_cluster', @p);", connection);
            good.Parameters.AddWithValue("p", "{\"kind\":\"model-changed\",\"sender\":\"someone\",\"model\":\"environment\"}");
            await good.ExecuteNonQueryAsync();
        }

        await UntilAsync(() => _heardByB.Any(m => m.Model == ClusterMessage.ModelEnvironment), "B stopped hearing after the garbage");
        Assert.Equal([ClusterMessage.ModelEnvironment], _heardByB.Select(m => m.Model));
        // And it still hears a real node.
        _a.Publish(new ClusterMessage { Kind = ClusterMessage.ModelChanged, Model = ClusterMessage.ModelAccess });
        await UntilAsync(() => _heardByB.Any(m => m.Model == ClusterMessage.ModelAccess), "B stopped hearing A after the garbage");

        Assert.Contains(_logB.Lines, l => l.Contains("ignored a notification", StringComparison.Ordinal));
        Assert.Contains(_logB.Lines, l => l.Contains("handler of a model-changed", StringComparison.Ordinal));
        Assert.DoesNotContain(_logB.Lines, l => l.Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_message_too_large_to_send_is_dropped_and_the_next_one_goes_through()
    {
        _a.Publish(new ClusterMessage { Kind = ClusterMessage.RunChanged, WorkflowId = new string('w', 9000) });
        _a.Publish(new ClusterMessage { Kind = ClusterMessage.RunChanged, WorkflowId = "small" });
        await UntilAsync(() => _heardByB.Any(m => m.WorkflowId == "small"), "the message after the oversized one never arrived");
        Assert.DoesNotContain(_heardByB, m => m.WorkflowId?.Length > 100);
    }

    private sealed class ListLogger : ILogger<PostgresClusterBus>
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception));
    }
}
