using System.Text.Json.Serialization;

namespace Baton.Engine.Cluster;

/// <summary>
/// How the nodes sharing one database tell each other what changed. On one node (SQLite, <see cref="SingleNode"/>)
/// nothing is sent: every run is this node's and every cache is the truth. Over PostgreSQL the messages travel by
/// <c>LISTEN/NOTIFY</c>. Delivery is at most once and not durable: every message is a hint that spares a node a read,
/// never the only record of anything (the store is), and a node that may have missed messages (its listening
/// connection broke) hears <see cref="ClusterMessage.Resync"/> from its own bus and reloads what it keeps in memory.
/// </summary>
public interface IClusterBus
{
    /// <summary>False on one node: <see cref="Publish"/> sends nothing and every run is this node's.</summary>
    bool IsShared { get; }

    /// <summary>This node's id, unique for the life of the process.</summary>
    string NodeId { get; }

    /// <summary>Sends to the other nodes. Never waits and never throws: a message that cannot be sent is dropped (and logged).</summary>
    void Publish(ClusterMessage message);

    /// <summary>A message from another node, or <see cref="ClusterMessage.Resync"/> from this node's bus. Handlers must not block.</summary>
    event Action<ClusterMessage>? Received;
}

/// <summary>One node's message to the others. <see cref="Kind"/> says which fields it uses.</summary>
public sealed record ClusterMessage
{
    /// <summary>A run changed on a node that does not own it: its owner (<see cref="Target"/>) reads it again and hands out what it asks for.</summary>
    public const string RunChanged = "run-changed";
    /// <summary>Worker tasks were scheduled (<see cref="Tasks"/>, all of <see cref="TaskType"/>): every node queues them for its pollers.</summary>
    public const string TasksOffered = "tasks-offered";
    /// <summary>A worker task was taken by a poll (<see cref="TaskId"/>): the other nodes drop it from their queues.</summary>
    public const string TaskTaken = "task-taken";
    /// <summary>A model every node keeps in memory changed (<see cref="Model"/>): each node loads it again.</summary>
    public const string ModelChanged = "model-changed";
    /// <summary>A node joined or came back: the others send it their queued worker tasks.</summary>
    public const string Hello = "hello";
    /// <summary>A run with quarantined outputs ended (<see cref="WorkflowId"/>): every node lets their strings leave its redactor.</summary>
    public const string RunEnded = "run-ended";
    /// <summary>Only from a node's own bus: messages may have been missed; reload every model and re-read owned runs.</summary>
    public const string Resync = "resync";

    public const string ModelDefinitions = "definitions";
    public const string ModelSecrets = "secrets";
    public const string ModelAccess = "access";
    public const string ModelEnvironment = "environment";

    public required string Kind { get; init; }
    /// <summary>The sending node (set by the bus).</summary>
    public string? Sender { get; init; }
    /// <summary>The one node meant (<see cref="RunChanged"/>); null for all.</summary>
    public string? Target { get; init; }
    public string? WorkflowId { get; init; }
    public string? TaskType { get; init; }
    public string? TaskId { get; init; }
    public IReadOnlyList<OfferedTask>? Tasks { get; init; }
    public string? Model { get; init; }
}

/// <summary>A worker task a node may hand to its pollers from <see cref="VisibleAt"/> (ms since the epoch).</summary>
public sealed record OfferedTask(string TaskId, string WorkflowId, long VisibleAt);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ClusterMessage))]
public sealed partial class ClusterJson : JsonSerializerContext;

/// <summary>
/// A lock that every node sharing the store respects, for what one node's in-process lock cannot cover alone (a start
/// with an idempotency key: two nodes given the same new key at once must make one run). On one node it holds nothing:
/// the in-process lock taken beside it is the whole story.
/// </summary>
public interface IClusterLocks
{
    /// <summary>Waits for the lock named <paramref name="name"/>; disposing the result releases it.</summary>
    Task<IAsyncDisposable> AcquireAsync(string name, CancellationToken ct);
}

/// <summary>One node alone on its store: nothing to tell anyone, no run to claim, no other node to lock out.</summary>
public sealed class SingleNode : IClusterBus, IRunOwnership, IClusterLocks
{
    private sealed class Nothing : IAsyncDisposable
    {
        public static readonly Nothing Held = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    public Task<IAsyncDisposable> AcquireAsync(string name, CancellationToken ct) => Task.FromResult<IAsyncDisposable>(Nothing.Held);

    public bool IsShared => false;

    public string NodeId { get; } = Guid.NewGuid().ToString("N");

    public void Publish(ClusterMessage message)
    {
    }

    public Task<IReadOnlyList<string>> ClaimOrphanedRunsAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<string>>([]);

#pragma warning disable CS0067 // Never raised: one node hears from no one and is never taken for gone.
    public event Action<ClusterMessage>? Received;

    public event Action? Rejoined;
#pragma warning restore CS0067
}

/// <summary>
/// Which node owns which run, over a shared store: nodes prove they are alive by a heartbeat, and the runs of a node
/// that stopped (its lease ran out) go to a node that is. On one node every run is its own and nothing is claimed.
/// </summary>
public interface IRunOwnership
{
    /// <summary>Makes this node the owner of every active run no live node owns; returns their ids, to be carried on as after a restart.</summary>
    Task<IReadOnlyList<string>> ClaimOrphanedRunsAsync(CancellationToken ct);

    /// <summary>Raised when this node learns it was taken for gone (no heartbeat within the lease): its runs may be others' now.</summary>
    event Action? Rejoined;
}
