using System.Text;
using Baton.Engine.Events;
using Baton.Secrets.Redaction;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Baton.Kafka;

/// <summary>
/// The one producer, shared by every publish: idempotent (<c>enable.idempotence</c>, so a retry inside librdkafka
/// never writes a message twice), <c>acks=all</c>, to the configured brokers. librdkafka's own log lines and errors
/// pass the one redactor, and its configuration (the SASL password) is never logged.
/// </summary>
public sealed class ConfluentKafkaPublisher : IKafkaPublisher, IDisposable
{
    private readonly IProducer<string?, string> _producer;
    private readonly KafkaOptions _options;

    public ConfluentKafkaPublisher(IOptions<KafkaOptions> options, SecretRedactor redactor, ILogger<ConfluentKafkaPublisher> logger)
    {
        _options = options.Value;
        var config = new ProducerConfig
        {
            BootstrapServers = _options.BootstrapServers,
            ClientId = _options.ClientId,
            EnableIdempotence = true,
            Acks = Acks.All,
            MessageTimeoutMs = _options.MessageTimeoutMs,
            // A node waits for its message's confirmation: librdkafka's default 5 ms wait to fill a batch is latency
            // added to every KAFKA node. Messages sent while others are in flight still share a batch.
            LingerMs = _options.LingerMs,
            SocketTimeoutMs = Math.Min(60_000, Math.Max(10, _options.MessageTimeoutMs)),
        };
        if (_options.SecurityProtocol is { Length: > 0 } protocol) config.SecurityProtocol = Enum.Parse<SecurityProtocol>(protocol.Replace("_", "", StringComparison.Ordinal), ignoreCase: true);
        if (_options.SaslMechanism is { Length: > 0 } mechanism) config.SaslMechanism = Enum.Parse<SaslMechanism>(mechanism.Replace("-", "", StringComparison.Ordinal), ignoreCase: true);
        if (_options.SaslUsername is { Length: > 0 } user) config.SaslUsername = user;
        if (_options.SaslPassword is { Length: > 0 } password) config.SaslPassword = password;
        if (_options.SslCaLocation is { Length: > 0 } ca) config.SslCaLocation = ca;
        _producer = new ProducerBuilder<string?, string>(config)
            .SetLogHandler((_, message) => logger.LogDebug("librdkafka {Facility}: {Message}", message.Facility, redactor.Redact(message.Message)))
            .SetErrorHandler((_, error) => logger.LogWarning("Kafka: {Reason}", redactor.Redact(error.Reason)))
            .Build();
        Redactor = redactor;
    }

    private SecretRedactor Redactor { get; }

    public bool IsConfigured => true;

    public string DefaultTopic => _options.DefaultTopic;

    public async Task<KafkaDelivery> PublishAsync(KafkaMessage message, CancellationToken ct)
    {
        var headers = new Headers();
        foreach (var (name, value) in message.Headers ?? new Dictionary<string, string>()) headers.Add(name, Encoding.UTF8.GetBytes(value));
        try
        {
            var result = await _producer.ProduceAsync(message.Topic ?? _options.DefaultTopic, new Message<string?, string> { Key = message.Key, Value = message.Value, Headers = headers }, ct);
            return new KafkaDelivery(result.Topic, result.Partition.Value, result.Offset.Value);
        }
        catch (ProduceException<string?, string> e)
        {
            // The broker's reason (or librdkafka's: a timeout, no broker up), never the message it failed on.
            throw new KafkaPublishException($"{e.Error.Code}: {Redactor.Redact(e.Error.Reason)}");
        }
        catch (KafkaException e)
        {
            throw new KafkaPublishException($"{e.Error.Code}: {Redactor.Redact(e.Error.Reason)}");
        }
    }

    public void Dispose()
    {
        try
        {
            _producer.Flush(TimeSpan.FromSeconds(5));
        }
        catch (KafkaException)
        {
            // Shutting down with the brokers gone: what was not confirmed was reported as failed to its task.
        }
        _producer.Dispose();
    }
}
