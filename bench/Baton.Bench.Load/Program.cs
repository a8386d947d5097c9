using System.Diagnostics;
using System.Security.Cryptography;

namespace Baton.Bench.Load;

/// <summary>
/// Runs the engine benchmark: echo peer ceiling, then C clients executing bench_three_step
/// synchronously against a Baton server. Exit codes: 0 ok, 1 setup failed or workflows failed,
/// 2 bad options, 3 a target missed (with --check-targets).
/// </summary>
internal static class Program
{
    private const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static async Task<int> Main(string[] args)
    {
        if (args is ["--mock-kafka"]) return await MockKafkaBroker.RunAsync();
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
        catch (BenchSetupException ex)
        {
            await Console.Error.WriteLineAsync($"bench: {ex.Message}");
            return 1;
        }
        catch (HttpRequestException ex)
        {
            await Console.Error.WriteLineAsync($"bench: server unreachable: {ex.Message}");
            return 1;
        }
        catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("bench: a server call timed out");
            return 1;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("bench: interrupted");
            return 130;
        }
    }

    private static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        // Secret-header variant: header name → random value; the peer rejects requests without them.
        var secretHeaders = Enumerable.Range(1, Math.Max(options.SecretHeaders, options.CompareSecrets)).ToDictionary(
            BenchWorkflow.SecretHeader,
            _ => RandomNumberGenerator.GetString(SecretAlphabet, 32),
            StringComparer.OrdinalIgnoreCase);

        var warmup = TimeSpan.FromSeconds(options.WarmupSeconds);
        var duration = TimeSpan.FromSeconds(options.DurationSeconds);
        var requestTimeout = TimeSpan.FromSeconds(options.WaitForSeconds + 15);
        var drain = requestTimeout + TimeSpan.FromSeconds(5);

        await using var peer = await EchoPeer.StartAsync(secretHeaders, cancellationToken);
        using var http = HttpClientFactory.Create(options.Clients, requestTimeout);
        var sampler = options.ServerPid is { } pid ? new MemorySampler(pid) : null;
        Console.WriteLine($"echo peer listening on {peer.EchoUri}");

        LoadResult? echo = null;
        if (!options.SkipPeer)
        {
            var echoOperation = new EchoOperation(http, peer.EchoUri, secretHeaders);
            echo = options.PeerOnly
                ? await Sampled(sampler, () => LoadRunner.RunAsync(echoOperation, options.Clients, warmup, duration, drain, cancellationToken), cancellationToken)
                : await LoadRunner.RunAsync(echoOperation, options.Clients, warmup, duration, drain, cancellationToken);
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"echo ceiling measured: {echo.PerSecond:F1} req/s"));
        }

        if (options.TimeSplit)
        {
            return await ClusterBench.RunAsync(options, http, peer, secretHeaders, warmup, duration, drain, cancellationToken);
        }

        LoadResult? workflows = null;
        ICheckedOperation? execute = null;
        if (!options.PeerOnly)
        {
            var api = new BatonApi(http, options.Server!) { Token = options.Token };
            if (options.KeyId is not null)
            {
                api.Token = await api.ObtainTokenAsync(options.KeyId, options.KeySecret!, cancellationToken);
            }
            if (options.ConsolePages)
            {
                return await ConsolePagesBench.RunAsync(api, http, options, cancellationToken);
            }
            await PrepareServerAsync(api, options, peer, secretHeaders, cancellationToken);
            if (options.CompareSecrets > 0)
            {
                return await CompareSecretsAsync(api, options, warmup, duration, drain, cancellationToken);
            }
            if (options.CompareNode)
            {
                return await CompareNodeAsync(api, options, peer, warmup, duration, drain, cancellationToken);
            }
            if (options.CompareKafka)
            {
                return await CompareKafkaAsync(api, options, warmup, duration, drain, cancellationToken);
            }
            if (options.BaselineServer is { } baselineServer)
            {
                var baseline = new BatonApi(http, baselineServer);
                if (options.BaselineKeyId is not null)
                {
                    baseline.Token = await baseline.ObtainTokenAsync(options.BaselineKeyId, options.BaselineKeySecret!, cancellationToken);
                }
                await PrepareServerAsync(baseline, options, peer, secretHeaders, cancellationToken);
                return await CompareAuthAsync(api, baseline, options, warmup, duration, drain, cancellationToken);
            }

            // With --servers, every node gets the workflow (before the cluster bus a node does not hear of a
            // definition another stored) and a first run; client i then talks to server i % n.
            var perServer = new List<ICheckedOperation>();
            foreach (var server in options.Servers)
            {
                var node = server == options.Server ? api : new BatonApi(http, server) { Token = api.Token };
                if (node != api)
                {
                    await PrepareServerAsync(node, options, peer, secretHeaders, cancellationToken);
                }
                var one = new ExecuteOperation(node, options.WaitForSeconds, name: BenchWorkflow.NameOf(options.Shape));
                if (await one.RunOnceAsync(1, cancellationToken) is { } failure)
                {
                    var sample = one.ErrorSamples.GetValueOrDefault(failure, "");
                    throw new BenchSetupException($"first workflow run on {server} failed ({failure}): {sample}");
                }
                perServer.Add(one);
            }
            execute = perServer.Count == 1 ? perServer[0] : new RoundRobinOperation(perServer, options.Clients);

            Console.WriteLine($"registered {BenchWorkflow.NameOf(options.Shape)} v{BenchWorkflow.Version}; a first run completed with the right output; running load…");
            var operation = execute;
            workflows = await Sampled(sampler, () => LoadRunner.RunAsync(operation, options.Clients, warmup, duration, drain, cancellationToken), cancellationToken);
        }

        var memory = sampler is null ? null : new MemoryReport(
            sampler.Pid,
            sampler.IdleRss is { } idle ? Math.Round(idle.RssMb, 1) : null,
            sampler.PeakRssKb > 0 ? Math.Round(sampler.PeakRssKb / 1024.0, 1) : null,
            sampler.Read() is { } last ? Math.Round(last.HwmMb, 1) : null,
            sampler.Samples);
        var echoReport = echo is null ? null : PhaseReport.From(echo);
        var workflowReport = workflows is null ? null : PhaseReport.From(workflows, execute?.ErrorSamples);
        var report = new BenchReport(
            DateTimeOffset.UtcNow,
            options.Server?.ToString(),
            options.Clients,
            options.WarmupSeconds,
            options.DurationSeconds,
            options.WaitForSeconds,
            Environment.ProcessorCount,
            new VariantReport(options.SecretHeaders, options.Auth),
            echoReport,
            workflowReport,
            memory,
            TargetsReport.Evaluate(workflowReport, memory));

        Console.WriteLine();
        Console.Write(report.ToText());
        if (options.JsonPath is not null)
        {
            await report.WriteJsonAsync(options.JsonPath, cancellationToken);
            Console.WriteLine($"wrote {options.JsonPath}");
        }

        if (workflowReport is { ErrorCount: > 0 } || echoReport is { ErrorCount: > 0 })
        {
            return 1;
        }

        return options.CheckTargets && !report.Targets.AllMet ? 3 : 0;
    }

    /// <summary>Secrets (if the variant asks), then the workflow definition.</summary>
    internal static async Task PrepareServerAsync(
        BatonApi api,
        BenchOptions options,
        EchoPeer peer,
        Dictionary<string, string> secretHeaders,
        CancellationToken cancellationToken)
    {
        for (var i = 1; i <= secretHeaders.Count; i++)
        {
            // The same random value the echo peer expects in header X-Secret-i.
            await api.PutSecretAsync(BenchWorkflow.SecretName(i), secretHeaders[BenchWorkflow.SecretHeader(i)], cancellationToken);
        }

        if (options.CompareSecrets > 0)
        {
            // The same headers in both variants, so that the comparison prices the secrets and nothing else: the
            // plain one sends literal values of the same length (not the secrets': a definition holding a secret's
            // value is refused), the other takes every one from a secret.
            var literal = secretHeaders.Keys.ToDictionary(name => name, _ => RandomNumberGenerator.GetString(SecretAlphabet, 32));
            var (plainVersion, secretsVersion) = options.ComparedVersions;
            await api.RegisterWorkflowAsync(BenchWorkflow.Build(peer.EchoUri, plainVersion, literal), cancellationToken);
            await api.RegisterWorkflowAsync(
                options.Control
                    ? BenchWorkflow.Build(peer.EchoUri, secretsVersion, literal)
                    : BenchWorkflow.Build(peer.SecureEchoUri, options.CompareSecrets, secretsVersion),
                cancellationToken);
            return;
        }

        await api.RegisterWorkflowAsync(
            options.Shape == "three-step"
                ? BenchWorkflow.Build(options.SecretHeaders > 0 ? peer.SecureEchoUri : peer.EchoUri, options.SecretHeaders)
                : BenchWorkflow.BuildShape(options.Shape, peer.EchoUri),
            cancellationToken);
    }

    /// <summary>
    /// The secrets-cost comparison: the plain workflow and the one whose headers all come from secrets, in the
    /// same run, alternating (see <see cref="AlternateAsync"/>).
    /// </summary>
    private static async Task<int> CompareSecretsAsync(BatonApi api, BenchOptions options, TimeSpan warmup, TimeSpan duration, TimeSpan drain, CancellationToken cancellationToken)
    {
        using var server = ProcessOf(options.ServerPid);
        var (plain, secrets, errors) = await AlternateAsync(
            (new ExecuteOperation(api, options.WaitForSeconds, options.ComparedVersions.Plain), "plain", server),
            (new ExecuteOperation(api, options.WaitForSeconds, options.ComparedVersions.Secrets), options.Control ? "plain-2" : "secrets", server),
            options, warmup, duration, drain, cancellationToken);
        Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{(options.Control ? "control: plain (second slot)" : $"secrets ({options.CompareSecrets} headers, every header from a secret)")} ran at {secrets.Rate / plain.Rate * 100:F1} % of the plain rate ({secrets.Rate:F1} vs {plain.Rate:F1} wf/s); target >= 95 %{CpuRatio(secrets, plain)}"));
        return errors > 0 ? 1 : 0;
    }

    /// <summary>
    /// The node format against the Conductor format: the three-step workflow (HTTP, INLINE, HTTP) and its node
    /// version (WEBHOOK, CONDITION, WEBHOOK after a trigger) on the same server, alternating.
    /// </summary>
    private static async Task<int> CompareNodeAsync(BatonApi api, BenchOptions options, EchoPeer peer, TimeSpan warmup, TimeSpan duration, TimeSpan drain, CancellationToken cancellationToken)
    {
        await api.SaveNodeWorkflowAsync(NodeRunOperation.BuildThreeStep(peer.EchoUri), cancellationToken);
        using var server = ProcessOf(options.ServerPid);
        var (conductor, node, errors) = await AlternateAsync(
            (new ExecuteOperation(api, options.WaitForSeconds), "conductor", server),
            (new NodeRunOperation(api, options.WaitForSeconds), "node", server),
            options, warmup, duration, drain, cancellationToken);
        Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"node format ran at {node.Rate / conductor.Rate * 100:F1} % of the Conductor format's rate ({node.Rate:F1} vs {conductor.Rate:F1} wf/s); target >= 90 %{CpuRatio(node, conductor)}"));
        return errors > 0 ? 1 : 0;
    }

    /// <summary>
    /// Publishing against not publishing: a trigger and one KAFKA node (each message confirmed by the broker the
    /// server was started with) and the same workflow with a CONDITION that does nothing in its place, alternating.
    /// </summary>
    private static async Task<int> CompareKafkaAsync(BatonApi api, BenchOptions options, TimeSpan warmup, TimeSpan duration, TimeSpan drain, CancellationToken cancellationToken)
    {
        await api.SaveNodeWorkflowAsync(NodeRunOperation.BuildOneNode("bench_node_kafka", """{"type": "KAFKA", "payload": {"n": "{{ .outputs.trigger.n }}"}}"""), cancellationToken);
        await api.SaveNodeWorkflowAsync(NodeRunOperation.BuildOneNode("bench_node_noop", """{"type": "CONDITION", "outlets": []}"""), cancellationToken);
        using var server = ProcessOf(options.ServerPid);
        var (noop, kafka, errors) = await AlternateAsync(
            (new NodeRunOperation(api, options.WaitForSeconds, "bench_node_noop"), "no-op", server),
            (new NodeRunOperation(api, options.WaitForSeconds, "bench_node_kafka"), "kafka", server),
            options, warmup, duration, drain, cancellationToken);
        Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"a KAFKA node ran at {kafka.Rate / noop.Rate * 100:F1} % of the rate of a no-op node in its place ({kafka.Rate:F1} vs {noop.Rate:F1} wf/s); target >= 80 %{CpuRatio(kafka, noop)}"));
        return errors > 0 ? 1 : 0;
    }

    /// <summary>
    /// The authorization-cost comparison: the same workflow against the real server, every call authenticated as
    /// the application, and against the baseline server built without access control, alternating.
    /// </summary>
    private static async Task<int> CompareAuthAsync(BatonApi api, BatonApi baseline, BenchOptions options, TimeSpan warmup, TimeSpan duration, TimeSpan drain, CancellationToken cancellationToken)
    {
        using var server = ProcessOf(options.ServerPid);
        using var baselineServer = ProcessOf(options.BaselinePid);
        var (authenticated, unauthenticated, errors) = await AlternateAsync(
            (new ExecuteOperation(api, options.WaitForSeconds), options.BaselineKeyId is null ? "auth" : "this", server),
            (new ExecuteOperation(baseline, options.WaitForSeconds), "baseline", baselineServer),
            options, warmup, duration, drain, cancellationToken);
        Console.WriteLine(options.BaselineKeyId is null
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"authenticated as an application ({options.SecretHeaders} secret headers) ran at {authenticated.Rate / unauthenticated.Rate * 100:F1} % of the rate without access control ({authenticated.Rate:F1} vs {unauthenticated.Rate:F1} wf/s); target >= 95 %{CpuRatio(authenticated, unauthenticated)}")
            : string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"this build ({options.SecretHeaders} secret headers) ran at {authenticated.Rate / unauthenticated.Rate * 100:F1} % of the baseline build's rate ({authenticated.Rate:F1} vs {unauthenticated.Rate:F1} wf/s){CpuRatio(authenticated, unauthenticated)}"));
        return errors > 0 ? 1 : 0;
    }

    private static Process? ProcessOf(int? pid) => pid is { } id ? Process.GetProcessById(id) : null;

    /// <summary>", server CPU per workflow a vs b (ratio)" when both were measured.</summary>
    private static string CpuRatio(Measured a, Measured b) => a.CpuMicros is { } x && b.CpuMicros is { } y
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"; server CPU per workflow {x:F0} vs {y:F0} us ({y / x * 100:F1} %)")
        : "";

    /// <summary>The mean rate of a load's phases, and its server CPU per workflow when the process was given.</summary>
    private sealed record Measured(double Rate, double? CpuMicros);

    /// <summary>
    /// Runs two loads in turn after one checked run of each and an unmeasured warm-up of each (the first load run
    /// in a process pays for JIT and connection set-up, in the server and in this generator alike), in rounds of
    /// first, second, second, first, so that neither the warm-up nor a drift (the database grows, the machine is
    /// shared) falls on one of them. Returns the mean rate (and server CPU per workflow) of each, and the errors of
    /// all phases. <c>--control</c> puts the same workflow in both slots to show the method itself is even.
    /// </summary>
    private static async Task<(Measured First, Measured Second, long Errors)> AlternateAsync(
        (ICheckedOperation Operation, string Label, Process? Server) first,
        (ICheckedOperation Operation, string Label, Process? Server) second,
        BenchOptions options, TimeSpan warmup, TimeSpan duration, TimeSpan drain, CancellationToken cancellationToken)
    {
        (ICheckedOperation Operation, string Label, Process? Server)[] both = [first, second];
        foreach (var (operation, label, _) in both)
        {
            if (await operation.RunOnceAsync(1, cancellationToken) is { } failure)
            {
                throw new BenchSetupException($"first {label} run failed ({failure}): {operation.ErrorSamples.GetValueOrDefault(failure, "")}");
            }
        }
        // Four times the per-phase warm-up each: tiered compilation and dynamic PGO go on re-compiling for the
        // first tens of seconds, and a measured phase that still pays for them reads 20-30 % slow.
        foreach (var (operation, _, _) in both)
        {
            await LoadRunner.RunAsync(operation, options.Clients, TimeSpan.Zero, 4 * warmup, drain, cancellationToken);
        }
        List<LoadResult>[] results = [[], []];
        var errors = 0L;
        foreach (var which in Enumerable.Repeat<int[]>([0, 1, 1, 0], options.Rounds).SelectMany(round => round))
        {
            var (operation, label, server) = both[which];
            var result = await LoadRunner.RunAsync(operation, options.Clients, warmup, duration, drain, cancellationToken, server);
            results[which].Add(result);
            errors += result.ErrorCount;
            var cpu = result.ServerCpuMicrosPerCompleted is { } micros ? FormattableString.Invariant($"  server CPU {micros:F0} us/wf") : "";
            cpu += result.WriterCpuMicrosPerCompleted is { } writer ? FormattableString.Invariant($" (writer {writer:F0})") : "";
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{label,-8} phase {results[which].Count}: {result.PerSecond,8:F1} wf/s  p50 {result.Latency.PercentileMicros(50) / 1000.0:F2} ms  p99 {result.Latency.PercentileMicros(99) / 1000.0:F2} ms  errors {result.ErrorCount}{cpu}"));
        }
        return (Summary(results[0]), Summary(results[1]), errors);

        static Measured Summary(List<LoadResult> phases) => new(
            phases.Average(r => r.PerSecond),
            phases.All(r => r.ServerCpu is not null) ? phases.Sum(r => r.ServerCpu!.Value.TotalMicroseconds) / phases.Sum(r => r.Completed) : null);
    }

    /// <summary>Reads idle memory, then samples every 250 ms while <paramref name="run"/> goes on.</summary>
    private static async Task<LoadResult> Sampled(MemorySampler? sampler, Func<Task<LoadResult>> run, CancellationToken cancellationToken)
    {
        if (sampler is null)
        {
            return await run();
        }

        sampler.ReadIdle();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampling = sampler.SampleAsync(stop.Token);
        try
        {
            return await run();
        }
        finally
        {
            await stop.CancelAsync();
            await sampling;
        }
    }
}
