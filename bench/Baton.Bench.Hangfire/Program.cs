using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Baton.Bench.Load;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.States;
using Npgsql;

namespace Baton.Bench.Hangfire;

/// <summary>
/// Runs Hangfire's server in this process on PostgreSQL and measures completed three-step chains a second, end to end:
/// from creating a chain's three jobs to its last step's answer. Exit codes: 0 ok, 1 setup failed or chains failed,
/// 2 bad options.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"{ex.Message}\n\n{BenchOptions.Usage}");
            return 2;
        }

        if (options.ShowHelp)
        {
            Console.WriteLine(BenchOptions.Usage);
            return 0;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        try
        {
            return await RunAsync(options, cancel.Token);
        }
        catch (NpgsqlException ex)
        {
            await Console.Error.WriteLineAsync($"bench-hangfire: PostgreSQL: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("bench-hangfire: interrupted");
            return 130;
        }
    }

    private static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        // Producers call Hangfire's synchronous client API (a blocking database round trip each), and the jobs'
        // HTTP continuations run on the pool: enough threads up front that neither waits on the pool's slow growth.
        ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
        ThreadPool.SetMinThreads(Math.Max(minWorkers, options.Clients + options.Workers + 8), minIo);

        // Fail fast and plainly on a wrong connection string: Hangfire's client would retry each call for a long while.
        await using (var probe = new NpgsqlConnection(options.Postgres))
        {
            await probe.OpenAsync(cancellationToken);
        }

        await using var peer = await EchoPeer.StartAsync(new Dictionary<string, string>(), cancellationToken);
        using var handler = new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan, MaxConnectionsPerServer = 1024 };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30), DefaultRequestVersion = HttpVersion.Version11 };
        ChainSteps.Configure(http, peer.EchoUri);

        var storageOptions = new PostgreSqlStorageOptions
        {
            QueuePollInterval = TimeSpan.FromMilliseconds(options.QueuePollMs),
            EnableLongPolling = options.LongPolling,
            PrepareSchemaIfNecessary = true,
            SchemaName = options.Schema,
        };
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseResultsInContinuations()
            .UsePostgreSqlStorage(bootstrap => bootstrap.UseNpgsqlConnection(options.Postgres), storageOptions);
        var storage = JobStorage.Current;
        var client = new BackgroundJobClient(storage);

        var serverOptions = new BackgroundJobServerOptions
        {
            WorkerCount = options.Workers,
            ServerName = $"bench-{Environment.ProcessId}",
            ShutdownTimeout = TimeSpan.FromSeconds(3),
        };
        using var server = new BackgroundJobServer(serverOptions, storage);

        var warmup = TimeSpan.FromSeconds(options.WarmupSeconds);
        var duration = TimeSpan.FromSeconds(options.DurationSeconds);
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var measureTo = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Console.Error.WriteLineAsync(
            $"bench-hangfire: {options.Clients} producers, {options.Workers} workers, queue poll {options.QueuePollMs} ms, " +
            $"long polling {(options.LongPolling ? "on" : "off")}, chains created {(options.Held ? "held" : "enqueued")}; {options.WarmupSeconds} s warm-up, {options.DurationSeconds} s measured");

        var producers = Enumerable.Range(0, options.Clients)
            .Select(p => Task.Run(() => ProduceAsync(p, client, options, measureFrom, measureTo, cancellationToken), cancellationToken))
            .ToArray();
        var results = await Task.WhenAll(producers);

        server.SendStop();
        var latencies = results.SelectMany(r => r.LatenciesMs).Order().ToArray();
        var errors = results.Sum(r => r.Errors);
        var firstError = results.Select(r => r.FirstError).FirstOrDefault(e => e is not null);
        var rate = latencies.Length / duration.TotalSeconds;
        await Console.Error.WriteLineAsync(
            $"bench-hangfire: {latencies.Length} chains in {options.DurationSeconds} s = {rate:F1} chains/s, " +
            $"p50 {Percentile(latencies, 50):F1} ms, p99 {Percentile(latencies, 99):F1} ms, {errors} errors" +
            (firstError is null ? string.Empty : $" (first: {firstError})"));

        var report = new Dictionary<string, object>
        {
            ["chainsPerSecond"] = Math.Round(rate, 1),
            ["p50Ms"] = Math.Round(Percentile(latencies, 50), 1),
            ["p99Ms"] = Math.Round(Percentile(latencies, 99), 1),
            ["workers"] = options.Workers,
            ["clients"] = options.Clients,
            ["queuePollMs"] = options.QueuePollMs,
            ["longPolling"] = options.LongPolling,
            ["create"] = options.Held ? "held" : "enqueued",
            ["completed"] = latencies.Length,
            ["errors"] = errors,
            ["durationSeconds"] = options.DurationSeconds,
        };
        Console.WriteLine(JsonSerializer.Serialize(report));
        return errors == 0 && latencies.Length > 0 ? 0 : 1;
    }

    /// <summary>
    /// One producer: create a chain (a job and two continuations), wait for its last step, repeat until the measured
    /// window ends. Chains that finish inside the window are counted, with their latency.
    /// </summary>
    private static async Task<ProducerResult> ProduceAsync(
        int producer, BackgroundJobClient client, BenchOptions options, long measureFrom, long measureTo, CancellationToken cancellationToken)
    {
        var result = new ProducerResult();
        var chainTimeout = TimeSpan.FromSeconds(options.ChainTimeoutSeconds);
        for (long i = 0; Stopwatch.GetTimestamp() < measureTo; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chainId = string.Create(CultureInfo.InvariantCulture, $"{producer}-{i}");
            var n = (producer * 1_000_000L) + i;
            var started = Stopwatch.GetTimestamp();
            var done = ChainSteps.Expect(chainId);
            try
            {
                if (!CreateChain(client, options.Held, chainId, n))
                {
                    result.Fail($"chain {chainId}: its first job left the scheduled state before it was enqueued");
                    continue;
                }

                var d = await done.WaitAsync(chainTimeout, cancellationToken);
                var finished = Stopwatch.GetTimestamp();
                if (d != 2 * n)
                {
                    result.Fail($"chain {chainId}: d = {d}, expected {2 * n}");
                }
                else if (finished >= measureFrom && finished < measureTo)
                {
                    result.LatenciesMs.Add(Stopwatch.GetElapsedTime(started, finished).TotalMilliseconds);
                }
            }
            catch (TimeoutException)
            {
                result.Fail($"chain {chainId} not done after {options.ChainTimeoutSeconds} s");
            }
            catch (BackgroundJobClientException ex)
            {
                result.Fail($"creating chain {chainId}: {ex.InnerException?.Message ?? ex.Message}");
            }
            finally
            {
                ChainSteps.Forget(chainId);
            }
        }

        return result;
    }

    /// <summary>
    /// Creates the chain's three jobs. Enqueued: Hangfire's idiom (Enqueue, then ContinueJobWith twice); a worker may
    /// already run a parent while its continuation is being attached, and then both wait for the parent's state lock,
    /// which Hangfire.PostgreSql retries after sleeping up to a second. Held: the first job is created scheduled an
    /// hour ahead, its continuations are attached while nothing runs, then it is moved to the queue (one more state
    /// change, no lock contention).
    /// </summary>
    private static bool CreateChain(BackgroundJobClient client, bool held, string chainId, long n)
    {
        var first = held
            ? client.Create(() => ChainSteps.CallOneAsync(n), new ScheduledState(TimeSpan.FromHours(1)))
            : client.Enqueue(() => ChainSteps.CallOneAsync(n));
        var second = client.ContinueJobWith(first, () => ChainSteps.Transform(0));
        client.ContinueJobWith(second, () => ChainSteps.CallTwoAsync(chainId, 0));
        return !held || client.ChangeState(first, new EnqueuedState(), ScheduledState.StateName);
    }

    private static double Percentile(double[] sorted, double percentile) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    private sealed class ProducerResult
    {
        public List<double> LatenciesMs { get; } = [];

        public int Errors { get; private set; }

        public string? FirstError { get; private set; }

        public void Fail(string message)
        {
            Errors++;
            FirstError ??= message;
        }
    }
}
