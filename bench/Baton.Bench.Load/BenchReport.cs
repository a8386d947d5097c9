using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Baton.Bench.Load;

/// <summary>Latency percentiles of the successful requests, in milliseconds.</summary>
internal sealed record LatencyReport(double P50Ms, double P95Ms, double P99Ms, double MaxMs, double MeanMs)
{
    public static LatencyReport From(LatencyHistogram histogram) => new(
        Ms(histogram.PercentileMicros(50)),
        Ms(histogram.PercentileMicros(95)),
        Ms(histogram.PercentileMicros(99)),
        Ms(histogram.MaxMicros),
        histogram.Count == 0 ? 0 : Math.Round(histogram.SumMicros / histogram.Count / 1000.0, 3));

    private static double Ms(long micros) => Math.Round(micros / 1000.0, 3);
}

/// <summary>One measured phase: the echo ceiling (requests/s) or the workflow run (workflows/s).</summary>
internal sealed record PhaseReport(
    double PerSecond,
    long Completed,
    double ElapsedSeconds,
    LatencyReport Latency,
    long ErrorCount,
    IReadOnlyDictionary<string, long> Errors,
    long Abandoned,
    IReadOnlyDictionary<string, string>? ErrorSamples)
{
    public static PhaseReport From(LoadResult result, IReadOnlyDictionary<string, string>? samples = null) => new(
        Math.Round(result.PerSecond, 1),
        result.Completed,
        Math.Round(result.ElapsedSeconds, 3),
        LatencyReport.From(result.Latency),
        result.ErrorCount,
        result.Errors,
        result.Abandoned,
        samples is { Count: > 0 } ? samples : null);
}

/// <summary>The server's resident memory: idle before the run, peak sampled during it, VmHWM at the end.</summary>
internal sealed record MemoryReport(int Pid, double? IdleRssMb, double? PeakRssMb, double? HwmMb, int Samples);

/// <summary>Which variant ran: secret-sourced headers and application auth.</summary>
internal sealed record VariantReport(int SecretHeaders, string Auth);

/// <summary>The targets; null where not measured.</summary>
internal sealed record TargetsReport(bool? Throughput, bool? P99, bool? IdleMemory, bool? PeakMemory)
{
    public const double MinWorkflowsPerSecond = 1000;
    public const double MaxP99Ms = 100;
    public const double MaxIdleRssMb = 150;
    public const double MaxPeakRssMb = 512;

    public bool AllMet => Throughput != false && P99 != false && IdleMemory != false && PeakMemory != false;

    public static TargetsReport Evaluate(PhaseReport? workflows, MemoryReport? memory) => new(
        workflows is null ? null : workflows.PerSecond >= MinWorkflowsPerSecond,
        workflows is null ? null : workflows.Latency.P99Ms < MaxP99Ms,
        memory?.IdleRssMb is { } idle ? idle < MaxIdleRssMb : null,
        memory?.PeakRssMb is { } peak ? peak < MaxPeakRssMb : null);
}

/// <summary>Everything one benchmark run measured; printed for people and optionally written as JSON.</summary>
internal sealed record BenchReport(
    DateTimeOffset TimestampUtc,
    string? Server,
    int Clients,
    int WarmupSeconds,
    int DurationSeconds,
    int WaitForSeconds,
    int ProcessorCount,
    VariantReport Variant,
    PhaseReport? Echo,
    PhaseReport? Workflows,
    MemoryReport? Memory,
    TargetsReport Targets)
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task WriteJsonAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, this, JsonOptions, cancellationToken);
    }

    public string ToText()
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));

        Line($"Baton load benchmark — {Clients} clients, {WarmupSeconds} s warm-up, {DurationSeconds} s measured, {ProcessorCount} cores");
        Line($"variant: secret headers {Variant.SecretHeaders}, auth {Variant.Auth}");
        if (Echo is not null)
        {
            Line($"echo peer alone (ceiling): {Echo.PerSecond,10:F1} req/s   {Describe(Echo)}");
            Line($"  ceiling for 2 HTTP calls per workflow: {Echo.PerSecond / 2,10:F1} workflows/s");
        }

        if (Workflows is not null)
        {
            Line($"workflows completed:       {Workflows.PerSecond,10:F1} wf/s    {Describe(Workflows)}");
            if (Echo is { PerSecond: > 0 })
            {
                Line($"  {Workflows.PerSecond / (Echo.PerSecond / 2):P1} of the echo ceiling");
            }

            foreach (var (reason, sample) in Workflows.ErrorSamples ?? new Dictionary<string, string>())
            {
                Line($"  sample [{reason}]: {sample}");
            }
        }

        if (Memory is not null)
        {
            Line($"server memory (pid {Memory.Pid}): idle {Memory.IdleRssMb:F1} MB, peak during run {Memory.PeakRssMb:F1} MB ({Memory.Samples} samples), VmHWM {Memory.HwmMb:F1} MB");
        }

        Line($"targets: {Mark(Targets.Throughput)} >= {TargetsReport.MinWorkflowsPerSecond} wf/s, {Mark(Targets.P99)} p99 < {TargetsReport.MaxP99Ms} ms, {Mark(Targets.IdleMemory)} idle < {TargetsReport.MaxIdleRssMb} MB, {Mark(Targets.PeakMemory)} peak < {TargetsReport.MaxPeakRssMb} MB");
        return text.ToString();
    }

    private static string Describe(PhaseReport phase)
    {
        var errors = phase.ErrorCount == 0
            ? "no errors"
            : $"{phase.ErrorCount} errors: " + string.Join(", ", phase.Errors.Select(e => $"{e.Key} ×{e.Value}"));
        return string.Create(
            CultureInfo.InvariantCulture,
            $"p50 {phase.Latency.P50Ms:F2} ms, p95 {phase.Latency.P95Ms:F2} ms, p99 {phase.Latency.P99Ms:F2} ms, max {phase.Latency.MaxMs:F2} ms; {phase.Completed} ok in {phase.ElapsedSeconds:F1} s; {errors}");
    }

    private static string Mark(bool? met) => met switch
    {
        true => "PASS",
        false => "MISS",
        null => "n/a ",
    };
}
