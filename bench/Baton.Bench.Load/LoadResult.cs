namespace Baton.Bench.Load;

/// <summary>What a measured load phase produced: successes, their latency, and failures by reason.</summary>
internal sealed record LoadResult(
    int Clients,
    double ElapsedSeconds,
    long Completed,
    LatencyHistogram Latency,
    IReadOnlyDictionary<string, long> Errors,
    long Abandoned)
{
    public double PerSecond => ElapsedSeconds > 0 ? Completed / ElapsedSeconds : 0;

    public long ErrorCount => Errors.Values.Sum();
}
