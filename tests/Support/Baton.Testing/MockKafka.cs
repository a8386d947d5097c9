using System.Text;
using System.Text.RegularExpressions;
using Confluent.Kafka;

namespace Baton.Testing;

/// <summary>
/// A real Kafka-protocol broker on loopback: librdkafka's mock cluster, started by a client configured with
/// <c>test.mock.num.brokers</c> and kept alive by it. Baton's server connects to <see cref="BootstrapServers"/> like to
/// any broker; tests read messages back with a real consumer.
/// </summary>
public sealed partial class MockKafka : IDisposable
{
    private readonly IProducer<Null, string> _holder;

    private MockKafka(IProducer<Null, string> holder, string bootstrap)
    {
        _holder = holder;
        BootstrapServers = bootstrap;
    }

    public string BootstrapServers { get; }

    [GeneratedRegex(@"127\.0\.0\.1:\d+")]
    private static partial Regex Address();

    public static MockKafka Start()
    {
        var config = new ProducerConfig { BootstrapServers = "localhost:9", Debug = "mock" };
        config.Set("test.mock.num.brokers", "1");
        string? bootstrap = null;
        using var found = new ManualResetEventSlim();
        var holder = new ProducerBuilder<Null, string>(config).SetLogHandler((_, message) =>
        {
            var hit = Address().Match(message.Message);
            if (bootstrap is null && hit.Success)
            {
                bootstrap = hit.Value;
                found.Set();
            }
        }).Build();
        if (!found.Wait(TimeSpan.FromSeconds(10)))
        {
            holder.Dispose();
            throw new InvalidOperationException("librdkafka's mock cluster did not say where it listens");
        }
        return new MockKafka(holder, bootstrap!);
    }

    /// <summary>Every message on <paramref name="topic"/> from its start, read until <paramref name="until"/> holds or the time is up.</summary>
    public IReadOnlyList<(string? Key, string Value, IReadOnlyDictionary<string, string> Headers)> Consume(string topic, Func<IReadOnlyList<(string? Key, string Value, IReadOnlyDictionary<string, string> Headers)>, bool> until, TimeSpan? within = null)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = "baton-tests-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        };
        using var consumer = new ConsumerBuilder<string?, string>(config).Build();
        consumer.Subscribe(topic);
        var messages = new List<(string?, string, IReadOnlyDictionary<string, string>)>();
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline && !until(messages))
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result?.Message is not { } message) continue;
            var headers = (message.Headers ?? []).ToDictionary(h => h.Key, h => Encoding.UTF8.GetString(h.GetValueBytes()), StringComparer.Ordinal);
            messages.Add((message.Key, message.Value, headers));
        }
        consumer.Close();
        return messages;
    }

    public void Dispose() => _holder.Dispose();
}
