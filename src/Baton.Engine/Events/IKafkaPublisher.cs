namespace Baton.Engine.Events;

/// <summary>A message for Kafka. <paramref name="Topic"/> null sends it to the configured default topic.</summary>
public sealed record KafkaMessage(string? Topic, string? Key, string Value, IReadOnlyDictionary<string, string>? Headers);

/// <summary>Where the broker stored a message it confirmed.</summary>
public sealed record KafkaDelivery(string Topic, int Partition, long Offset);

/// <summary>The broker did not confirm a message; the message says why and never holds a value or a password.</summary>
public sealed class KafkaPublishException : Exception
{
    public KafkaPublishException() : this("Kafka did not confirm the message") { }

    public KafkaPublishException(string message) : base(message) { }

    public KafkaPublishException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// Baton's one Kafka producer (Baton.Kafka, on Confluent.Kafka: idempotent, acks=all), to the brokers configured under
/// <c>Baton:Kafka</c> only: a definition never chooses where the server connects.
/// </summary>
public interface IKafkaPublisher
{
    bool IsConfigured { get; }

    /// <summary>The topic a message without one goes to (<c>Baton:Kafka:DefaultTopic</c>, <c>baton.runs</c> by default).</summary>
    string DefaultTopic { get; }

    /// <summary>Completes when the broker confirmed delivery.</summary>
    /// <exception cref="KafkaPublishException">It did not, or Kafka is not configured.</exception>
    Task<KafkaDelivery> PublishAsync(KafkaMessage message, CancellationToken ct);
}

/// <summary>The publisher of a server with no brokers configured: every publish fails, saying so.</summary>
public sealed class UnconfiguredKafka : IKafkaPublisher
{
    public bool IsConfigured => false;

    public string DefaultTopic => "baton.runs";

    public Task<KafkaDelivery> PublishAsync(KafkaMessage message, CancellationToken ct) =>
        Task.FromException<KafkaDelivery>(new KafkaPublishException("Kafka is not configured: set Baton:Kafka:BootstrapServers"));
}
