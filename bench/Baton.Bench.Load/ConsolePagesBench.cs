using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Bench.Load;

/// <summary>
/// The console's pages over a full store (issue 17's bar: with 10,000 runs and 1,000 secrets stored, each list and
/// detail page renders in under 100 ms of server time). Seeds the runs (one INLINE each, one in ten failing) and the
/// secrets through the API, then fetches each page with the console's cookie, a few times to warm up and then
/// <c>samples</c> times one after the other, and reports the median, the 95th percentile and the largest. Times are
/// measured by the client over loopback, so they bound the server's time from above.
/// </summary>
internal static class ConsolePagesBench
{
    private const string Workflow = "bench_console_run";
    private const int Warmups = 3;

    public static async Task<int> RunAsync(BatonApi api, HttpClient http, BenchOptions options, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await api.RegisterWorkflowAsync(JsonNode.Parse($$$"""
            {"name": "{{{Workflow}}}", "version": 1, "schemaVersion": 2, "ownerEmail": "bench@example.test",
             "inputParameters": ["n", "fail"],
             "tasks": [{"name": "double", "taskReferenceName": "double", "type": "INLINE",
                        "inputParameters": {"n": "${workflow.input.n}", "fail": "${workflow.input.fail}", "evaluatorType": "javascript",
                                            "expression": "(function () { if ($.fail) throw new Error('asked to fail'); return $.n * 2; })()"}}]}
            """)!.AsObject(), ct);
        var runIds = await SeedRunsAsync(api, options.ConsoleRuns, Math.Min(options.Clients, 32), ct);
        await SeedSecretsAsync(api, options.ConsoleSecrets, ct);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"console pages: seeded {runIds.Count} runs and {options.ConsoleSecrets} secrets in {clock.Elapsed.TotalSeconds:F1} s"));

        var pages = new[]
        {
            "console", "console/secrets", "console/runs", $"console/runs/{runIds[^1]}", $"console/runs/{runIds[runIds.Count / 2]}",
            "console/definitions", $"console/definitions/{Workflow}", "console/environment",
        };
        var results = new JsonArray();
        var slowest = 0.0;
        Console.WriteLine("page                                               status   median    p95      max   (ms, client-side over loopback)");
        foreach (var page in pages)
        {
            var samples = new List<double>();
            HttpStatusCode status = 0;
            for (var i = 0; i < Warmups + options.ConsoleSamples; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(api.Server, page));
                request.Headers.TryAddWithoutValidation("Cookie", $"baton_console={api.Token}");
                var started = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
                _ = await response.Content.ReadAsByteArrayAsync(ct);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                status = response.StatusCode;
                if (i >= Warmups) samples.Add(elapsed);
            }
            samples.Sort();
            var (median, p95, max) = (samples[samples.Count / 2], samples[(int)Math.Ceiling(samples.Count * 0.95) - 1], samples[^1]);
            if (status == HttpStatusCode.OK) slowest = Math.Max(slowest, median);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Shorten(page),-50} {(int)status,6} {median,8:F1} {p95,8:F1} {max,8:F1}"));
            results.Add(new JsonObject { ["page"] = Shorten(page), ["status"] = (int)status, ["medianMs"] = Math.Round(median, 2), ["p95Ms"] = Math.Round(p95, 2), ["maxMs"] = Math.Round(max, 2) });
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"slowest page median: {slowest:F1} ms (target < 100 ms)"));
        if (options.JsonPath is { } path)
        {
            await File.WriteAllTextAsync(path, new JsonObject { ["runs"] = runIds.Count, ["secrets"] = options.ConsoleSecrets, ["pages"] = results }.ToJsonString(), ct);
        }
        return options.CheckTargets && slowest >= 100 ? 3 : 0;
    }

    private static string Shorten(string page) => page.Length <= 48 ? "/" + page : "/" + page[..47] + "…";

    /// <summary>Starts <paramref name="count"/> runs through synchronous execute, <paramref name="parallel"/> at a time; answers their ids.</summary>
    private static async Task<List<string>> SeedRunsAsync(BatonApi api, int count, int parallel, CancellationToken ct)
    {
        var ids = new string[count];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                var body = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["input"] = new JsonObject { ["n"] = i, ["fail"] = i % 10 == 9 } });
                using var request = api.CreateRequest(HttpMethod.Post, $"api/workflow/execute/{Workflow}/1?waitForSeconds=10", body);
                using var response = await api.SendAsync(request, ct);
                var text = await response.Content.ReadAsStringAsync(ct);
                if (!response.IsSuccessStatusCode) throw new BenchSetupException($"seeding run {i}: {(int)response.StatusCode} {BatonApi.Truncate(text)}");
                ids[i] = JsonNode.Parse(text)!["workflowId"]!.GetValue<string>();
            }
        }));
        return [.. ids];
    }

    private static async Task SeedSecretsAsync(BatonApi api, int count, CancellationToken ct)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                await api.PutSecretAsync($"bench-console-{i:D4}", RandomNumberGenerator.GetHexString(32), ct);
            }
        }));
    }
}
