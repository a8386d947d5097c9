using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Hangfire;

namespace Baton.Bench.Hangfire;

/// <summary>
/// The three Hangfire jobs of one chain, mirroring Baton's bench_three_step (HTTP, INLINE, HTTP): step one POSTs
/// {"n": n} to the echo peer and returns the echoed n; step two, a continuation, doubles it; step three, a continuation,
/// POSTs {"d": d}, reads d back and completes the chain's waiter, which checks d = 2n. Steps two and three receive the
/// step before's return value through Hangfire's own result passing (<see cref="FromResultAttribute"/>, enabled by
/// UseResultsInContinuations), so every value crosses PostgreSQL as it would in a real Hangfire application.
/// Public because Hangfire only invokes public methods; the state is static because Hangfire activates the jobs itself.
/// </summary>
public static class ChainSteps
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource<long>> Waiters = new(StringComparer.Ordinal);
    private static HttpClient? http;
    private static Uri? echoUri;

    internal static void Configure(HttpClient client, Uri echo)
    {
        http = client;
        echoUri = echo;
    }

    /// <summary>Registers a chain before its jobs are created; the task completes with the chain's final d.</summary>
    internal static Task<long> Expect(string chainId)
    {
        var waiter = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Waiters[chainId] = waiter;
        return waiter.Task;
    }

    internal static void Forget(string chainId) => Waiters.TryRemove(chainId, out _);

    /// <summary>Step 1: the first HTTP call.</summary>
    public static async Task<long> CallOneAsync(long n)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, echoUri) { Content = JsonContent.Create(new { n }) };
        request.Headers.Add("X-Step", "one");
        return await PostAsync(request, "n");
    }

    /// <summary>Step 2: the computation on step 1's result (Baton's INLINE task doubles it).</summary>
    public static long Transform([FromResult] long value) => value * 2;

    /// <summary>Step 3: the second HTTP call; then the chain is complete and its waiter hears d.</summary>
    public static async Task CallTwoAsync(string chainId, [FromResult] long d)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, echoUri) { Content = JsonContent.Create(new { d }) };
        var echoed = await PostAsync(request, "d");
        if (Waiters.TryRemove(chainId, out var waiter))
        {
            waiter.TrySetResult(echoed);
        }
    }

    private static async Task<long> PostAsync(HttpRequestMessage request, string field)
    {
        var client = http ?? throw new InvalidOperationException("ChainSteps.Configure was not called");
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var echo = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync());
        return echo.RootElement.GetProperty("body").GetProperty(field).GetInt64();
    }
}
