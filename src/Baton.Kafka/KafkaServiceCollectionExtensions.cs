using Baton.Engine.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Baton.Kafka;

public static class KafkaServiceCollectionExtensions
{
    /// <summary>
    /// Baton's producer when brokers are configured (<c>Baton:Kafka:BootstrapServers</c>, bound to
    /// <see cref="KafkaOptions"/> by the host); otherwise publishes fail saying Kafka is not configured.
    /// </summary>
    public static IServiceCollection AddBatonKafka(this IServiceCollection services, bool configured)
    {
        if (configured) services.TryAddSingleton<IKafkaPublisher, ConfluentKafkaPublisher>();
        else services.TryAddSingleton<IKafkaPublisher, UnconfiguredKafka>();
        return services;
    }
}
