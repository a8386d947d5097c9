namespace Baton.Bench.Load;

/// <summary>
/// Spreads the clients over several servers: client i always talks to server i % n. <see cref="LoadRunner"/> numbers
/// client i's requests i + 1, i + 1 + C, i + 1 + 2C... (C clients), so the client is (sequence - 1) % C.
/// </summary>
internal sealed class RoundRobinOperation(IReadOnlyList<ICheckedOperation> perServer, int clients) : ICheckedOperation
{
    public IReadOnlyList<ICheckedOperation> PerServer { get; } = perServer;

    public IReadOnlyDictionary<string, string> ErrorSamples =>
        PerServer.SelectMany(operation => operation.ErrorSamples)
            .GroupBy(sample => sample.Key, StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.First().Value, StringComparer.Ordinal);

    public ValueTask<string?> RunOnceAsync(long sequence, CancellationToken cancellationToken) =>
        PerServer[(int)((sequence - 1) % clients % PerServer.Count)].RunOnceAsync(sequence, cancellationToken);
}
