using System.Text.Json.Nodes;
using System.Threading.Channels;
using Baton.Secrets.Redaction;
using Baton.Secrets.Service;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Baton.Engine.Events;

/// <summary>One of Baton's events: its type (<c>RUN_FINISHED</c>, <c>SECRET_ROTATED</c>, <c>EVENT</c>), a payload that never holds a value, its time.</summary>
public sealed record BatonEvent(string Type, JsonObject Payload, long Time);

/// <summary>
/// Baton's own event bus, in the process: a run that finished, a secret's new version, and what EVENT tasks send to
/// the <c>conductor</c> (or <c>baton</c>) sink. Publishing never waits: events go through a bounded queue (10,000;
/// past that an event is dropped and logged) to the subscribers, one at a time, off the publisher's thread. Payloads
/// pass the one redactor before anyone sees them. Events are not durable: those queued when the process stops are
/// lost (a run's end is in its record; a schedule, not an event, is the durable way to start work).
/// </summary>
public sealed class BatonEvents : BackgroundService
{
    public const string RunFinished = "RUN_FINISHED";
    public const string SecretRotated = "SECRET_ROTATED";
    public const string Published = "EVENT";
    private const int Capacity = 10_000;

    private readonly Channel<BatonEvent> _queue = Channel.CreateBounded<BatonEvent>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly Lock _gate = new();
    private readonly SecretRedactor _redactor;
    private readonly ILogger<BatonEvents> _logger;
    private readonly TimeProvider _time;
    private ImmutableHandlers _handlers = new([]);

    private sealed record ImmutableHandlers(IReadOnlyList<(string Type, Func<BatonEvent, CancellationToken, Task> Handler)> List);

    public BatonEvents(SecretVault vault, SecretRedactor redactor, ILogger<BatonEvents> logger, TimeProvider time)
    {
        _redactor = redactor;
        _logger = logger;
        _time = time;
        vault.VersionStored += (name, version) => Publish(SecretRotated, new JsonObject { ["secret"] = name, ["version"] = version });
    }

    /// <summary>Whether anyone listens to events of <paramref name="type"/> (publishers skip building payloads nobody reads).</summary>
    public bool HasSubscribers(string type) => _handlers.List.Any(h => h.Type == type);

    public void Publish(string type, JsonObject payload)
    {
        if (!HasSubscribers(type)) return;
        var redacted = JsonNode.Parse(_redactor.Redact(payload.ToJsonString()))!.AsObject();
        if (!_queue.Writer.TryWrite(new BatonEvent(type, redacted, _time.GetUtcNow().ToUnixTimeMilliseconds())))
        {
            _logger.LogWarning("Event bus full ({Capacity} waiting): a {Type} event was dropped", Capacity, type);
        }
    }

    /// <summary>Calls <paramref name="handler"/> with every event of <paramref name="type"/> from now on, until disposed.</summary>
    public IDisposable Subscribe(string type, Func<BatonEvent, CancellationToken, Task> handler)
    {
        lock (_gate) _handlers = new([.. _handlers.List, (type, handler)]);
        return new Subscription(this, handler);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var e in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            foreach (var (type, handler) in _handlers.List)
            {
                if (type != e.Type) continue;
                try
                {
                    await handler(e, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _logger.LogError(ex, "A subscriber to {Type} events failed", e.Type);
                }
            }
        }
    }

    private sealed class Subscription(BatonEvents bus, Func<BatonEvent, CancellationToken, Task> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (bus._gate) bus._handlers = new([.. bus._handlers.List.Where(h => h.Handler != handler)]);
        }
    }
}
