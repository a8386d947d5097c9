using System.Diagnostics;

namespace Baton.Bench.Load;

/// <summary>
/// Closed-loop load: C clients each repeat one operation back to back. Requests started during the
/// warm-up are not counted; requests started inside the measured window are awaited and counted, and
/// the rate is successes over the time from window start to the last of them finishing. Every loop
/// stops by itself: no request starts after the window, and a hard deadline cancels stragglers.
/// Given the server's process, it also reports the server's CPU time from the window's start to the last
/// counted request's end: CPU per workflow is a steadier measure than the rate on a shared machine. Given a
/// <see cref="CpuProbe"/>, it reads every clock the probe knows (each node, PostgreSQL, itself, the machine) over the
/// same span.
/// </summary>
internal static class LoadRunner
{
    public static async Task<LoadResult> RunAsync(
        ILoadOperation operation,
        int clients,
        TimeSpan warmup,
        TimeSpan duration,
        TimeSpan drainTimeout,
        CancellationToken cancellationToken,
        Process? server = null,
        CpuProbe? probe = null)
    {
        var origin = Stopwatch.GetTimestamp();
        var window = new Window(
            origin + ToTicks(warmup),
            origin + ToTicks(warmup) + ToTicks(duration));

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(warmup + duration + drainTimeout);

        var workers = new Worker[clients];
        var tasks = new Task[clients];
        for (var i = 0; i < clients; i++)
        {
            workers[i] = new Worker(i, clients);
            var worker = workers[i];
            tasks[i] = Task.Run(() => worker.RunAsync(operation, window, deadline.Token), CancellationToken.None);
        }

        var cpuAtStart = CpuAtAsync(server, warmup, cancellationToken);
        var probeAtStart = ProbeAtAsync(probe, warmup, cancellationToken);
        await Task.WhenAll(tasks);
        cancellationToken.ThrowIfCancellationRequested();
        var (serverCpu, writerCpu) = server is null ? default : Cpu(server) - await cpuAtStart;
        var split = probe is null ? null : probe.Take() - (await probeAtStart)!;

        var latency = new LatencyHistogram();
        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        long completed = 0, abandoned = 0;
        var lastFinish = window.End;
        foreach (var worker in workers)
        {
            latency.Add(worker.Latency);
            completed += worker.Completed;
            abandoned += worker.Abandoned;
            lastFinish = Math.Max(lastFinish, worker.LastFinish);
            foreach (var (reason, count) in worker.Errors)
            {
                errors[reason] = errors.GetValueOrDefault(reason) + count;
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(window.Start, lastFinish).TotalSeconds;
        return new LoadResult(clients, elapsed, completed, latency, errors, abandoned) { ServerCpu = serverCpu, WriterCpu = writerCpu, CpuSplit = split };
    }

    private static async Task<CpuTimes> CpuAtAsync(Process? server, TimeSpan at, CancellationToken cancellationToken)
    {
        if (server is null)
        {
            return default;
        }

        await Task.Delay(at, cancellationToken);
        return Cpu(server);
    }

    private static async Task<CpuSnapshot?> ProbeAtAsync(CpuProbe? probe, TimeSpan at, CancellationToken cancellationToken)
    {
        if (probe is null)
        {
            return null;
        }

        await Task.Delay(at, cancellationToken);
        return probe.Take();
    }

    private static CpuTimes Cpu(Process server)
    {
        server.Refresh();
        return new CpuTimes(server.TotalProcessorTime, WriterCpu(server.Id));
    }

    /// <summary>
    /// The CPU time of the server's SQLite writer thread (named <c>baton-sqlite-wr</c>), from
    /// <c>/proc/PID/task/*/stat</c> (user + system clock ticks, 100 per second on Linux); null elsewhere.
    /// </summary>
    private static TimeSpan? WriterCpu(int pid)
    {
        var tasks = $"/proc/{pid}/task";
        if (!Directory.Exists(tasks))
        {
            return null;
        }

        foreach (var task in Directory.EnumerateDirectories(tasks))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                if (!stat.AsSpan(open + 1, close - open - 1).StartsWith("baton-sqlite-wr", StringComparison.Ordinal))
                {
                    continue;
                }

                // Fields after the name: state is the 3rd of stat, utime the 14th, stime the 15th.
                var fields = stat[(close + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture)
                    + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
                return TimeSpan.FromSeconds(ticks / 100.0);
            }
            catch (IOException)
            {
                // The thread ended between listing and reading.
            }
        }

        return null;
    }

    private readonly record struct CpuTimes(TimeSpan? Total, TimeSpan? Writer)
    {
        public static CpuTimes operator -(CpuTimes end, CpuTimes start) => new(end.Total - start.Total, end.Writer - start.Writer);
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private readonly record struct Window(long Start, long End);

    private sealed class Worker(int index, int clients)
    {
        public LatencyHistogram Latency { get; } = new();

        public Dictionary<string, long> Errors { get; } = new(StringComparer.Ordinal);

        public long Completed { get; private set; }

        public long Abandoned { get; private set; }

        public long LastFinish { get; private set; }

        public async Task RunAsync(ILoadOperation operation, Window window, CancellationToken deadline)
        {
            for (long iteration = 0; ; iteration++)
            {
                var started = Stopwatch.GetTimestamp();
                if (started >= window.End || deadline.IsCancellationRequested)
                {
                    return;
                }

                var measured = started >= window.Start;
                string? failure;
                try
                {
                    // Unique per request across clients, so a response can be checked against its own input.
                    failure = await operation.RunOnceAsync((iteration * clients) + index + 1, deadline);
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested)
                {
                    Abandoned += measured ? 1 : 0;
                    return;
                }
                catch (OperationCanceledException)
                {
                    failure = "timeout (client)";
                }
                catch (HttpRequestException ex)
                {
                    failure = $"transport: {ex.HttpRequestError}";
                }

                var finished = Stopwatch.GetTimestamp();
                if (!measured)
                {
                    continue;
                }

                LastFinish = finished;
                if (failure is null)
                {
                    Completed++;
                    Latency.RecordTicks(finished - started);
                }
                else
                {
                    Errors[failure] = Errors.GetValueOrDefault(failure) + 1;
                }
            }
        }
    }
}
