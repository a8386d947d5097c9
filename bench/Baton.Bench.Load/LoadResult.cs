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

    /// <summary>The server's CPU time (user and system) over the measured window, when its process was given.</summary>
    public TimeSpan? ServerCpu { get; init; }

    /// <summary>The CPU time of the server's SQLite writer thread over the same window, when it could be read.</summary>
    public TimeSpan? WriterCpu { get; init; }

    /// <summary>Each node's, PostgreSQL's, this generator's and the machine's CPU over the same window, when a probe was given.</summary>
    public CpuSnapshot? CpuSplit { get; init; }

    /// <summary>Writer-thread CPU microseconds per completed workflow, when measured.</summary>
    public double? WriterCpuMicrosPerCompleted => WriterCpu is { } cpu && Completed > 0 ? cpu.TotalMicroseconds / Completed : null;

    /// <summary>Server CPU microseconds per completed workflow, when measured.</summary>
    public double? ServerCpuMicrosPerCompleted => ServerCpu is { } cpu && Completed > 0 ? cpu.TotalMicroseconds / Completed : null;
}
