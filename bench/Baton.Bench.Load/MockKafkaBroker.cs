using System.Text.RegularExpressions;
using Confluent.Kafka;

namespace Baton.Bench.Load;

/// <summary>
/// <c>--mock-kafka</c>: holds librdkafka's mock cluster (a real Kafka-protocol broker on loopback) for scripts/bench.sh
/// --kafka, printing <c>mock-kafka: host:port</c> once it listens, until the process is stopped.
/// </summary>
internal static partial class MockKafkaBroker
{
    [GeneratedRegex(@"127\.0\.0\.1:\d+")]
    private static partial Regex Address();

    public static async Task<int> RunAsync()
    {
        var config = new ProducerConfig { BootstrapServers = "localhost:9", Debug = "mock" };
        config.Set("test.mock.num.brokers", "1");
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var holder = new ProducerBuilder<Null, string>(config)
            .SetLogHandler((_, message) => { if (Address().Match(message.Message) is { Success: true } hit) found.TrySetResult(hit.Value); })
            .Build();
        var bootstrap = await found.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Console.WriteLine($"mock-kafka: {bootstrap}");
        using var stop = new CancellationTokenSource();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Stopped: the broker goes with the process.
        }
        return 0;
    }
}
