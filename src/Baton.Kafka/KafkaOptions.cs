namespace Baton.Kafka;

/// <summary><c>Baton:Kafka</c>: where Baton publishes (docs/operations.md). No brokers, no Kafka: publishes fail saying so.</summary>
public sealed class KafkaOptions
{
    /// <summary>Comma-separated host:port list; empty turns Kafka off.</summary>
    public string? BootstrapServers { get; set; }

    /// <summary>PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL.</summary>
    public string? SecurityProtocol { get; set; }

    /// <summary>PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.</summary>
    public string? SaslMechanism { get; set; }

    public string? SaslUsername { get; set; }

    /// <summary>Never logged, never in an answer.</summary>
    public string? SaslPassword { get; set; }

    /// <summary>A CA file to check the brokers' certificates with.</summary>
    public string? SslCaLocation { get; set; }

    public string ClientId { get; set; } = "baton";

    public string DefaultTopic { get; set; } = "baton.runs";

    /// <summary>How long a message may wait for the broker's confirmation before its publish fails.</summary>
    public int MessageTimeoutMs { get; set; } = 30_000;

    /// <summary>How long the producer waits to fill a batch before sending (librdkafka's linger.ms; its default is 5).</summary>
    public double LingerMs { get; set; }

    /// <summary>What is wrong with the settings, checked at start so a typo stops the server instead of every publish.</summary>
    public static string? Problem(KafkaOptions options)
    {
        string[] protocols = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];
        string[] mechanisms = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];
        if (options.SecurityProtocol is { Length: > 0 } p && !protocols.Contains(p, StringComparer.OrdinalIgnoreCase))
        {
            return $"the setting Baton:Kafka:SecurityProtocol is '{p}'; it is one of {string.Join(", ", protocols)}.";
        }
        if (options.SaslMechanism is { Length: > 0 } m && !mechanisms.Contains(m, StringComparer.OrdinalIgnoreCase))
        {
            return $"the setting Baton:Kafka:SaslMechanism is '{m}'; it is one of {string.Join(", ", mechanisms)}.";
        }
        if (options.MessageTimeoutMs is < 100 or > 900_000) return "the setting Baton:Kafka:MessageTimeoutMs is from 100 to 900000.";
        return string.IsNullOrWhiteSpace(options.DefaultTopic) ? "the setting Baton:Kafka:DefaultTopic cannot be empty." : null;
    }
}
