using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Baton.Bench.Load;

/// <summary>
/// One configuration of the several-nodes benchmark: the nodes of one cluster (one database), their processes, and
/// the application key that signs in to them (one per database), and their storage ("sqlite" or "postgres": only a
/// PostgreSQL configuration's database CPU is its own; beside SQLite it is the idle cost of the other clusters).
/// </summary>
internal sealed record ClusterTarget(string Name, IReadOnlyList<Uri> Servers, IReadOnlyList<int> Pids, string? KeyId, string? KeySecret, string? Storage = null)
{
    public bool OnPostgres => !string.Equals(Storage, "sqlite", StringComparison.Ordinal);

    private static readonly JsonSerializerOptions ReadOptions = new(JsonSerializerDefaults.Web);

    public static IReadOnlyList<ClusterTarget> Load(string path)
    {
        List<ClusterTarget>? targets;
        try
        {
            targets = JsonSerializer.Deserialize<List<ClusterTarget>>(File.ReadAllText(path), ReadOptions);
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            throw new ArgumentException($"--cluster-targets {path}: {ex.Message}");
        }

        if (targets is not { Count: > 0 } || targets.Any(t => t.Servers is not { Count: > 0 } || t.Pids is null || t.Pids.Count != t.Servers.Count || t.Pids.Distinct().Count() != t.Pids.Count || string.IsNullOrEmpty(t.Name)))
        {
            throw new ArgumentException($"--cluster-targets {path}: expected a non-empty list of {{\"name\", \"servers\": [URL], \"pids\": [PID, one a server, each once]}}");
        }

        return targets;
    }
}

/// <summary>
/// Where the time goes with 1, 2, 3... nodes: each configuration gets the same closed-loop load (clients spread round
/// robin over its nodes), in rounds of all configurations in order and then in reverse, so that neither the warm-up
/// nor a drift of the shared machine falls on one of them. Every phase reads, over its measured window, the CPU of
/// each node, of PostgreSQL (postmaster and children), of this generator (clients and echo peer) and of the whole
/// machine; divided by the workflows completed, and with the cores' idle time as the remainder, that is the time split
/// per workflow. The table gives the median of each figure over a configuration's phases.
/// </summary>
internal static class ClusterBench
{
    private static readonly JsonSerializerOptions WriteOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static async Task<int> RunAsync(
        BenchOptions options,
        HttpClient http,
        EchoPeer peer,
        Dictionary<string, string> secretHeaders,
        TimeSpan warmup,
        TimeSpan duration,
        TimeSpan drain,
        CancellationToken cancellationToken)
    {
        var targets = options.ClusterTargetsPath is { } path
            ? ClusterTarget.Load(path)
            : [new ClusterTarget($"{options.Servers.Count} node{(options.Servers.Count == 1 ? "" : "s")}", options.Servers, options.ServerPids, options.KeyId, options.KeySecret, options.PostgresPid is null ? "sqlite" : "postgres")];

        var operations = new List<ICheckedOperation>();
        foreach (var target in targets)
        {
            operations.Add(await PrepareAsync(target, options, http, peer, secretHeaders, cancellationToken));
            Console.WriteLine($"{target.Name}: {string.Join(", ", target.Servers)} (pids {string.Join(", ", target.Pids)}); a first run on each node completed");
        }

        // Four times the per-phase warm-up each, as the two-sided comparisons do: tiered compilation goes on for tens of seconds.
        for (var i = 0; i < targets.Count; i++)
        {
            await LoadRunner.RunAsync(operations[i], options.Clients, TimeSpan.Zero, 4 * warmup, drain, cancellationToken);
        }

        var order = Enumerable.Range(0, targets.Count).ToArray();
        var phases = targets.Select(_ => new List<PhaseSplit>()).ToArray();
        var errors = 0L;
        for (var round = 0; round < options.Rounds; round++)
        {
            foreach (var which in order.Concat(order.Reverse()))
            {
                var target = targets[which];
                var probe = new CpuProbe(target.Pids, options.PostgresPid);
                var result = await LoadRunner.RunAsync(operations[which], options.Clients, warmup, duration, drain, cancellationToken, probe: probe);
                errors += result.ErrorCount;
                var phase = PhaseSplit.From(result, Environment.ProcessorCount);
                phases[which].Add(phase);
                Console.WriteLine(Invariant($"{target.Name,-10} phase {phases[which].Count}: {phase.Rate,8:F1} wf/s  p50 {phase.P50Ms:F2} ms  p99 {phase.P99Ms:F2} ms  errors {result.ErrorCount}  node CPU {phase.NodeMicros.Sum():F0} us/wf  postgres {Us(phase.PostgresMicros)}  bench {phase.BenchMicros:F0}  other {Us(phase.OtherMicros)}  idle {Us(phase.IdleMicros)}"));
                foreach (var (reason, sample) in result.ErrorCount > 0 ? operations[which].ErrorSamples : new Dictionary<string, string>())
                {
                    Console.WriteLine($"  sample [{reason}]: {sample}");
                }
            }
        }

        var report = new ClusterReport(
            DateTimeOffset.UtcNow,
            options.Clients,
            options.WarmupSeconds,
            options.DurationSeconds,
            options.Rounds,
            Environment.ProcessorCount,
            options.PostgresPid is not null,
            [.. targets.Select((target, i) => TargetReport.From(target, phases[i]))]);
        Console.WriteLine();
        Console.Write(report.ToText());
        if (options.JsonPath is not null)
        {
            await using var file = File.Create(options.JsonPath);
            await JsonSerializer.SerializeAsync(file, report, WriteOptions, cancellationToken);
            Console.WriteLine($"wrote {options.JsonPath}");
        }

        return errors > 0 ? 1 : 0;
    }

    /// <summary>
    /// Signs in on the first node, puts the secrets and the workflow through every node (before the cluster bus a node
    /// does not hear of a definition another node stored; after it, the repeat is a no-op update), and checks one run
    /// on each node.
    /// </summary>
    private static async Task<ICheckedOperation> PrepareAsync(
        ClusterTarget target,
        BenchOptions options,
        HttpClient http,
        EchoPeer peer,
        Dictionary<string, string> secretHeaders,
        CancellationToken cancellationToken)
    {
        var apis = target.Servers.Select(server => new BatonApi(http, server) { Token = options.Token }).ToList();
        if (target.KeyId is not null)
        {
            var token = await apis[0].ObtainTokenAsync(target.KeyId, target.KeySecret ?? "", cancellationToken);
            apis.ForEach(api => api.Token = token);
        }

        var perServer = new List<ICheckedOperation>();
        for (var i = 0; i < apis.Count; i++)
        {
            await Program.PrepareServerAsync(apis[i], options, peer, secretHeaders, cancellationToken);
            var operation = new ExecuteOperation(apis[i], options.WaitForSeconds, name: BenchWorkflow.NameOf(options.Shape));
            // A node hears of a model another node changed (the application's grants) through the cluster bus, a
            // moment later: a refusal is asked again for up to 10 s before it counts.
            var failure = await operation.RunOnceAsync(1, cancellationToken);
            for (var attempt = 0; failure is "http 403" or "http 404" && attempt < 20; attempt++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
                failure = await operation.RunOnceAsync(1, cancellationToken);
            }

            if (failure is not null)
            {
                throw new BenchSetupException($"{target.Name}: first workflow run on {target.Servers[i]} failed ({failure}): {operation.ErrorSamples.GetValueOrDefault(failure, "")}");
            }

            perServer.Add(operation);
        }

        return new RoundRobinOperation(perServer, options.Clients);
    }

    internal static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    internal static string Us(double? micros) => micros is { } value ? Invariant($"{value:F0}") : "-";

    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : Math.Round((sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2, 3);
    }

    internal static double? MedianOrNull(IEnumerable<double?> values) =>
        values.ToArray() is var all && all.All(v => v is not null) && all.Length > 0 ? Median(all.Select(v => v!.Value)) : null;
}

/// <summary>
/// One measured phase and where its time went, per completed workflow (microseconds): each node's CPU, PostgreSQL's,
/// this generator's (clients and echo peer), the rest of the machine's (other processes, including idle servers of the
/// other configurations), and the cores' idle time (waiting: round trips, fsync, locks). The five add up to the wall
/// time of the window times the cores, divided by the workflows.
/// </summary>
internal sealed record PhaseSplit(
    double Rate,
    long Completed,
    long Errors,
    double P50Ms,
    double P99Ms,
    double[] NodeMicros,
    double? PostgresMicros,
    double BenchMicros,
    double? OtherMicros,
    double? IdleMicros,
    double CoreSecondsUsed,
    double CoreSecondsAvailable)
{
    public static PhaseSplit From(LoadResult result, int cores)
    {
        var split = result.CpuSplit ?? throw new InvalidOperationException("a phase without a CPU probe");
        var n = Math.Max(1, result.Completed);
        double PerWf(TimeSpan span) => Math.Round(span.TotalMicroseconds / n, 1);
        var nodes = split.Nodes.Select(PerWf).ToArray();
        var postgres = split.Postgres is { } pg ? PerWf(pg) : (double?)null;
        var bench = PerWf(split.Bench);
        var available = split.Wall.TotalSeconds * cores;
        var known = split.Nodes.Sum(t => t.TotalSeconds) + (split.Postgres?.TotalSeconds ?? 0) + split.Bench.TotalSeconds;
        var used = split.Machine?.TotalSeconds ?? known;
        return new PhaseSplit(
            Math.Round(result.PerSecond, 1),
            result.Completed,
            result.ErrorCount,
            Math.Round(result.Latency.PercentileMicros(50) / 1000.0, 2),
            Math.Round(result.Latency.PercentileMicros(99) / 1000.0, 2),
            nodes,
            postgres,
            bench,
            split.Machine is { } machine ? Math.Round(Math.Max(0, machine.TotalSeconds - known) * 1e6 / n, 1) : null,
            split.Machine is { } busy ? Math.Round(Math.Max(0, available - busy.TotalSeconds) * 1e6 / n, 1) : null,
            Math.Round(used, 2),
            Math.Round(available, 2));
    }
}

/// <summary>The medians of one configuration's phases, and what they predict for nodes on machines of their own.</summary>
internal sealed record TargetReport(
    string Name,
    string Storage,
    int Nodes,
    IReadOnlyList<string> Servers,
    PhaseSplit Median,
    double NodeCeilingPerCore,
    double? PostgresCeilingPerCore,
    IReadOnlyList<PhaseSplit> Phases)
{
    public static TargetReport From(ClusterTarget target, IReadOnlyList<PhaseSplit> phases)
    {
        var median = new PhaseSplit(
            ClusterBench.Median(phases.Select(p => p.Rate)),
            (long)ClusterBench.Median(phases.Select(p => (double)p.Completed)),
            phases.Sum(p => p.Errors),
            ClusterBench.Median(phases.Select(p => p.P50Ms)),
            ClusterBench.Median(phases.Select(p => p.P99Ms)),
            [.. Enumerable.Range(0, target.Servers.Count).Select(i => ClusterBench.Median(phases.Select(p => p.NodeMicros[i])))],
            ClusterBench.MedianOrNull(phases.Select(p => p.PostgresMicros)),
            ClusterBench.Median(phases.Select(p => p.BenchMicros)),
            ClusterBench.MedianOrNull(phases.Select(p => p.OtherMicros)),
            ClusterBench.MedianOrNull(phases.Select(p => p.IdleMicros)),
            ClusterBench.Median(phases.Select(p => p.CoreSecondsUsed)),
            ClusterBench.Median(phases.Select(p => p.CoreSecondsAvailable)));
        // Each node runs the workflows it starts, so the nodes' CPU summed over one workflow is one node's cost of a
        // workflow; a node with a core to itself runs at most 1e6 / that many a second.
        var nodeCost = median.NodeMicros.Sum();
        return new TargetReport(
            target.Name,
            target.OnPostgres ? "postgres" : "sqlite",
            target.Servers.Count,
            [.. target.Servers.Select(s => s.ToString())],
            median,
            Math.Round(1e6 / nodeCost, 0),
            target.OnPostgres && median.PostgresMicros is > 1 and var pg ? Math.Round(1e6 / pg, 0) : null,
            phases);
    }
}

/// <summary>The several-nodes report: one row of medians per configuration, printed and optionally written as JSON.</summary>
internal sealed record ClusterReport(
    DateTimeOffset TimestampUtc,
    int Clients,
    int WarmupSeconds,
    int DurationSeconds,
    int Rounds,
    int ProcessorCount,
    bool PostgresMeasured,
    IReadOnlyList<TargetReport> Targets)
{
    public string ToText()
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        var phases = Targets.Count == 0 ? 0 : Targets[0].Phases.Count;
        Line($"Baton several nodes — {Clients} clients, {WarmupSeconds} s warm-up, {DurationSeconds} s measured, {Rounds} round(s) (median of {phases} phases each), {ProcessorCount} cores shared by everything");
        Line($"CPU per completed workflow in us; other = the rest of the machine (other processes, idle servers); idle = cores doing nothing (waiting on round trips, fsync, locks)");
        Line($"postgres = the whole PostgreSQL server, so also work one phase leaves for later (autovacuum, checkpoints, idle nodes): beside SQLite it is only that");
        Line($"");
        Line($"| config | nodes | wf/s | p50 ms | p99 ms | node CPU us/wf: sum (per node) | postgres us/wf | bench us/wf | other us/wf | idle us/wf | core-s used / available |");
        Line($"|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var target in Targets)
        {
            var m = target.Median;
            var perNode = string.Join(" + ", m.NodeMicros.Select(us => ClusterBench.Us(us)));
            Line($"| {target.Name} | {target.Nodes} | {m.Rate:F1} | {m.P50Ms:F2} | {m.P99Ms:F2} | {m.NodeMicros.Sum():F0} ({perNode}) | {ClusterBench.Us(m.PostgresMicros)} | {m.BenchMicros:F0} | {ClusterBench.Us(m.OtherMicros)} | {ClusterBench.Us(m.IdleMicros)} | {m.CoreSecondsUsed:F1} / {m.CoreSecondsAvailable:F1} |");
        }

        Line($"");
        var errors = Targets.Sum(t => t.Median.Errors);
        Line($"errors: {errors}");
        var sqlite = Targets.FirstOrDefault(t => t is { Storage: "sqlite", Nodes: 1 });
        var pg = Targets.Where(t => t.Storage == "postgres").ToList();
        if (sqlite is not null && pg.FirstOrDefault(t => t.Nodes == 1) is { } pg1)
        {
            Line($"PostgreSQL, 1 node: {pg1.Median.Rate / sqlite.Median.Rate * 100:F1} % of SQLite's rate ({pg1.Median.Rate:F1} vs {sqlite.Median.Rate:F1} wf/s; node CPU {pg1.Median.NodeMicros.Sum():F0} vs {sqlite.Median.NodeMicros.Sum():F0} us/wf); bar >= 50 %");
            foreach (var more in pg.Where(t => t.Nodes > 1))
            {
                Line($"PostgreSQL, {more.Nodes} nodes: {more.Median.Rate / pg1.Median.Rate * 100:F1} % of 1 node's rate on the same 2 cores");
            }
        }

        Line($"");
        Line($"what the CPU per workflow predicts for machines of their own (ceilings per core, this run's CPU costs; clients elsewhere):");
        foreach (var target in Targets)
        {
            var db = target.PostgresCeilingPerCore is { } ceiling
                ? Invariant($"; PostgreSQL {ceiling:F0} wf/s per core; {target.Nodes} node(s) of 2 cores over a 2-core database: <= {Math.Min(target.Nodes * 2 * target.NodeCeilingPerCore, 2 * ceiling):F0} wf/s")
                : Invariant($"; {target.Nodes} node(s) of 2 cores: <= {target.Nodes * 2 * target.NodeCeilingPerCore:F0} wf/s");
            Line($"  {target.Name}: a node {target.NodeCeilingPerCore:F0} wf/s per core{db}");
        }

        return text.ToString();
    }

    private static string Invariant(FormattableString text) => ClusterBench.Invariant(text);
}
